"""Profile workflows: editing a profile and intents, readiness, reminders (export and deletion: mydata.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from eventkit import audit
from eventkit.attendees.models import Attendee
from eventkit.db import db, locked
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event, Tag
from eventkit.mail.services import queue_email
from eventkit.profiles.models import MAX_INTENTS_PER_KIND, Intent, IntentKind
from eventkit.urls import external_url_for

#: guests who are no longer coming: never listed, never reminded, not counted

KIND_WORDS = {IntentKind.OFFER: "offers", IntentKind.SEEK: "seeks"}


def update_profile(attendee: Attendee, values: dict, now: datetime) -> Attendee:
    """Save a guest's profile (cleaned values from ProfileForm)."""
    for name, value in values.items():
        setattr(attendee, name, value)
    attendee.profile_updated_at = now
    db.session.flush()
    return attendee


def own_intents(attendee: Attendee) -> list[Intent]:
    """A guest's offers and seeks with their tags, offers first, oldest first."""
    return list(db.session.scalars(
        select(Intent).where(Intent.attendee_id == attendee.id)
        .options(selectinload(Intent.tag)).order_by(Intent.kind, Intent.created_at, Intent.id)
    ))


def _lock_attendee(attendee: Attendee) -> None:
    """Serialise intent changes of one guest (PostgreSQL row lock; SQLite holds the write lock)."""
    db.session.execute(locked(select(Attendee.id).where(Attendee.id == attendee.id)))


def _event_tag(event_id: int, tag_id: int) -> Tag:
    tag = db.session.get(Tag, tag_id)
    if tag is None or tag.event_id != event_id:
        raise DomainError("Choose one of this gathering's topics.", "unknown_tag", 422)
    return tag


def add_intent(attendee: Attendee, kind: str, tag_id: int, text: str, now: datetime) -> Intent:
    """Add an offer or a seek; at most MAX_INTENTS_PER_KIND of each kind."""
    kind = IntentKind(kind)
    tag = _event_tag(attendee.event_id, tag_id)
    _lock_attendee(attendee)
    count = db.session.scalar(
        select(func.count(Intent.id)).where(Intent.attendee_id == attendee.id, Intent.kind == kind)
    )
    if count >= MAX_INTENTS_PER_KIND:
        raise DomainError(
            f"You already have {MAX_INTENTS_PER_KIND} {KIND_WORDS[kind]}, the most there can be. "
            "Delete or edit one first.", "too_many_intents", 422,
        )
    intent = Intent(attendee_id=attendee.id, kind=kind, tag_id=tag.id, text=text.strip(), created_at=now)
    db.session.add(intent)
    attendee.profile_updated_at = now
    db.session.flush()
    return intent


def get_own_intent_or_404(attendee: Attendee, intent_id: int) -> Intent:
    """One of this guest's intents; 404 for anyone else's (ids leak nothing)."""
    intent = db.session.get(Intent, intent_id)
    if intent is None or intent.attendee_id != attendee.id:
        raise NotFound("There is no such offer or seek.", "not_found")
    return intent


def update_intent(attendee: Attendee, intent: Intent, tag_id: int, text: str, now: datetime) -> Intent:
    """Change the topic and text of an intent (its kind stays)."""
    intent.tag_id = _event_tag(attendee.event_id, tag_id).id
    intent.text = text.strip()
    attendee.profile_updated_at = now
    db.session.flush()
    return intent


def delete_intent(attendee: Attendee, intent: Intent, now: datetime) -> None:
    db.session.delete(intent)
    attendee.profile_updated_at = now
    db.session.flush()


# --- Readiness and reminders (organiser) -------------------------------------------------------

@dataclass(frozen=True)
class Readiness:
    total: int
    complete: int
    with_offers: int
    with_seeks: int
    ready: int

    @property
    def unready(self) -> int:
        return self.total - self.ready


def all_guests(event: Event) -> list[Attendee]:
    """Every guest of the gathering, whatever their status, with their intents (two queries)."""
    return list(db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id)
        .options(selectinload(Attendee.intents)).order_by(Attendee.name, Attendee.id)
    ))


def active_guests(event: Event) -> list[Attendee]:
    """The gathering's guests who are still coming, with their intents (two queries)."""
    return list(db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id, Attendee.is_coming)
        .options(selectinload(Attendee.intents)).order_by(Attendee.name, Attendee.id)
    ))


def readiness(guests: list[Attendee]) -> Readiness:
    return Readiness(
        total=len(guests),
        complete=sum(guest.profile_complete for guest in guests),
        with_offers=sum(guest.has_offers for guest in guests),
        with_seeks=sum(guest.has_seeks for guest in guests),
        ready=sum(guest.is_ready for guest in guests),
    )


def missing(guest: Attendee) -> list[str]:
    """What a guest still has to do to be ready, in words."""
    items = []
    if not guest.profile_complete:
        items.append("complete your profile (role, organisation, field and a short bio)")
    if not guest.has_offers:
        items.append("add at least one thing you can offer")
    if not guest.has_seeks:
        items.append("say what you are looking for")
    return items


def remind_unready(event: Event, actor: str, now: datetime) -> int:
    """Queue a profile reminder to every unready guest still coming; at most one per guest per day.

    Guests who opted out of reminder emails are skipped. Returns how many emails were queued.
    """
    day = now.astimezone(event.zone).date().isoformat()
    due = {
        f"profile-reminder:{guest.id}:{day}": guest
        for guest in active_guests(event) if not guest.is_ready and not guest.reminders_opt_out
    }
    queued = 0
    for key, guest in due.items():
        email = queue_email(
            to_email=guest.email, to_name=guest.name, template="profile_reminder", purpose="profile_reminder",
            dedupe_key=key, event_id=event.id, recipient_id=guest.id, event=event, todo=missing(guest),
            page_url=external_url_for("profiles.edit_profile", slug=event.slug),
        )
        queued += email is not None
    audit.record("profiles.reminded", actor=actor, event_id=event.id, queued=queued)
    return queued
