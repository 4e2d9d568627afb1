"""Workflows on gatherings: create, edit, delete, status changes, topic tags and co-organisers."""
from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime

from sqlalchemy import ColumnElement, delete, exists, func, or_, select, update

from eventkit import audit
from eventkit.attendees.models import Attendee
from eventkit.auth.models import Organiser
from eventkit.auth.services import normalise_email, organiser_by_email
from eventkit.db import atomic, db, utcnow
from eventkit.errors import DomainError
from eventkit.events import rules
from eventkit.events.access import get_for_event_or_404
from eventkit.events.models import Event, EventOrganiser, EventStatus, Tag
from eventkit.events.zones import is_known_zone
from eventkit.profiles.models import Intent
from eventkit.signals import capacity_changed, event_deleting, event_status_changed
from eventkit.templating import localtime

MAX_SLUG_LENGTH = 60
EDITABLE = frozenset({
    "title", "theme", "description", "venue", "timezone", "starts_at", "ends_at", "capacity",
    "followup_first_hours", "followup_cadence_days", "followup_blocks_registration", "field_options",
})


def _managed_by(organiser: Organiser) -> ColumnElement[bool]:
    """SQL: the gathering is owned or co-organised by `organiser`."""
    co_organised = select(EventOrganiser.event_id).where(EventOrganiser.organiser_id == organiser.id)
    return or_(Event.owner_id == organiser.id, Event.id.in_(co_organised))


def managed_events(organiser: Organiser):
    """The organiser's own and co-organised gatherings by start, each with its guest count (one query)."""
    guests = (
        select(func.count(Attendee.id)).where(Attendee.event_id == Event.id).correlate(Event).scalar_subquery()
    )
    query = (
        select(Event, guests.label("guest_count"))
        .where(_managed_by(organiser))
        .order_by(Event.starts_at, Event.id)
    )
    return db.session.execute(query).all()


def managed_event_ids(organiser: Organiser) -> list[int]:
    """The ids of the organiser's own and co-organised gatherings, by start."""
    return list(db.session.scalars(select(Event.id).where(_managed_by(organiser)).order_by(Event.starts_at, Event.id)))


def slugify(title: str) -> str:
    """'Café Rust & Climate!' -> 'cafe-rust-climate' (ASCII, at most 60 characters)."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")
    return slug[:MAX_SLUG_LENGTH].strip("-") or "gathering"


def unique_slug(title: str) -> str:
    """A slug from the title not used by any gathering yet (a short random suffix when taken)."""
    base = slugify(title)
    candidate = base
    while db.session.scalar(select(exists().where(Event.slug == candidate))):
        candidate = f"{base[:MAX_SLUG_LENGTH - 7]}-{secrets.token_hex(3)}"
    return candidate


def _check_values(values: dict) -> None:
    unknown = set(values) - EDITABLE
    if unknown:
        raise DomainError(f"Unknown settings: {', '.join(sorted(unknown))}.", "unknown_field")
    if not (values.get("title") or "").strip():
        raise DomainError("A gathering needs a title.", "missing_title")
    if not is_known_zone(values["timezone"]):
        raise DomainError(f"Unknown time zone “{values['timezone']}”.", "bad_timezone")
    if values["ends_at"] <= values["starts_at"]:
        raise DomainError("The end must be after the start.", "bad_times")
    if not rules.MIN_CAPACITY <= values["capacity"] <= rules.MAX_CAPACITY:
        raise DomainError(f"Capacity is between {rules.MIN_CAPACITY} and {rules.MAX_CAPACITY}.", "bad_capacity")
    values["followup_cadence_days"] = rules.normalise_cadence(values.get("followup_cadence_days", ""))


def create_event(owner: Organiser, values: dict) -> Event:
    """A new draft gathering owned by `owner`; raises DomainError for invalid values."""
    _check_values(values)
    event = Event(owner_id=owner.id, slug=unique_slug(values["title"]), status=EventStatus.DRAFT, **values)
    db.session.add(event)
    db.session.flush()
    audit.record("event.created", actor=owner.actor, target=f"event:{event.id}", event_id=event.id)
    return event


def update_event(event: Event, values: dict, actor: Organiser) -> Event:
    """Apply edited settings (the slug stays, so links already sent keep working).

    A capacity change goes past `capacity_changed` receivers (the guest list refuses one below the
    places held); on a refusal nothing is saved and the object gets its old values back.
    """
    _check_values(values)
    old_capacity = event.capacity
    changed = sorted(name for name, value in values.items() if getattr(event, name) != value)
    with atomic():
        for name, value in values.items():
            setattr(event, name, value)
        db.session.flush()
        if "capacity" in changed:
            capacity_changed.send(event, old=old_capacity, new=event.capacity, actor=actor.actor, now=utcnow())
    if changed:
        audit.record("event.updated", actor=actor.actor, target=f"event:{event.id}", event_id=event.id,
                     fields=changed)
    return event


def delete_event(event: Event, typed_title: str, actor: Organiser) -> str:
    """Delete a draft gathering and everything of it (guests, notes, plan, door links); returns its title.

    Only the owner may, only while it is a draft (an open one goes back to draft first; a finished
    one keeps its follow-up history), and only with its title typed as confirmation.
    """
    if actor.id != event.owner_id:
        raise DomainError("Only the owner of a gathering can delete it.", "not_owner", 403)
    if event.status != EventStatus.DRAFT:
        raise DomainError("Only a draft gathering can be deleted. Move it back to draft first; a finished "
                          "gathering cannot be deleted, it keeps its follow-up history.", "not_draft", 409)
    if " ".join((typed_title or "").split()).casefold() != " ".join(event.title.split()).casefold():
        raise DomainError("Type the gathering's title exactly to confirm the deletion.", "not_confirmed", 422)
    title, event_id = event.title, event.id
    event_deleting.send(event, actor=actor.actor)
    db.session.expunge(event)
    db.session.execute(delete(Event).where(Event.id == event_id))  # the database cascades its rows
    audit.record("event.deleted", actor=actor.actor, target=f"event:{event_id}", title=title)
    db.session.flush()
    return title


def change_status(event: Event, new: str, actor: Organiser, now: datetime) -> Event:
    """Move the gathering to `new` if `Event.can_move_to` allows it and tell other features (event_status_changed).

    Raises DomainError for an unknown or disallowed status, or when a receiver refuses;
    nothing is written then.
    """
    try:
        target = EventStatus(new)
    except ValueError:
        raise DomainError(f"“{new}” is not a status.", "bad_status") from None
    old = EventStatus(event.status)
    if not event.can_move_to(target):
        raise DomainError(f"A {old} gathering cannot become {target}.", "bad_transition", 409)
    if target == EventStatus.FINISHED and now < event.starts_at:
        raise DomainError("A gathering can only be marked finished once it has started "
                          f"({localtime(event.starts_at, event.timezone)}).", "not_started", 409)
    with atomic():
        moved = db.session.execute(
            update(Event).where(Event.id == event.id, Event.status == old).values(status=target)
        ).rowcount
        if moved != 1:
            raise DomainError("Someone else changed the status just now. Reload and try again.", "conflict", 409)
        db.session.refresh(event, ["status"])
        audit.record("event.status_changed", actor=actor.actor, target=f"event:{event.id}", event_id=event.id,
                     old=str(old), new=str(target))
        db.session.flush()
        event_status_changed.send(event, old=str(old), new=str(target), now=now)
    return event


def add_tags(event: Event, text: str, actor: Organiser) -> list[Tag]:
    """Add comma-separated topic tags; all or nothing, refusing duplicates (case-insensitive)."""
    names = [rules.clean_tag(part) for part in (text or "").split(",") if part.strip()]
    if not names:
        raise DomainError("Type a tag first.", "bad_tag")
    existing = {tag.name.lower() for tag in event.tags}
    seen = set()
    for name in names:
        if name.lower() in existing or name.lower() in seen:
            raise DomainError(f"“{name}” is already a topic tag of this gathering.", "duplicate_tag")
        seen.add(name.lower())
    tags = [Tag(event_id=event.id, name=name) for name in names]
    db.session.add_all(tags)
    db.session.flush()
    audit.record("event.tags_added", actor=actor.actor, target=f"event:{event.id}", event_id=event.id, names=names)
    return tags


def remove_tag(event: Event, tag_id: int, actor: Organiser) -> Tag:
    """Remove a topic tag no guest has used yet; raises NotFound-like 404 for another event's tag."""
    tag = get_for_event_or_404(Tag, tag_id, event, "That tag is not part of this gathering.")
    used = db.session.scalar(select(func.count(Intent.id)).where(Intent.tag_id == tag.id))
    if used:
        raise DomainError(
            f"“{tag.name}” is used by {used} guest offer{' or seek' if used == 1 else 's or seeks'}, "
            "so it cannot be removed.",
            "tag_in_use", 409,
        )
    db.session.delete(tag)
    db.session.flush()
    audit.record("event.tag_removed", actor=actor.actor, target=f"event:{event.id}", event_id=event.id, name=tag.name)
    return tag


def add_co_organiser(event: Event, email: str, actor: Organiser) -> Organiser:
    """Give an existing organiser account the same rights on this gathering."""
    email = normalise_email(email)
    organiser = organiser_by_email(email)
    if organiser is None:
        raise DomainError(
            f"No organiser account uses {email}. Ask them to create one first, then add them again.", "no_account"
        )
    if organiser.id == event.owner_id:
        raise DomainError(f"{organiser.name} owns this gathering already.", "is_owner")
    if any(link.organiser_id == organiser.id for link in event.co_organisers):
        raise DomainError(f"{organiser.name} is already a co-organiser.", "already_added")
    event.co_organisers.append(EventOrganiser(organiser_id=organiser.id))
    db.session.flush()
    audit.record("event.organiser_added", actor=actor.actor, target=organiser.actor, event_id=event.id)
    return organiser


def remove_co_organiser(event: Event, organiser_id: int, actor: Organiser) -> Organiser:
    """Take a co-organiser off this gathering (the owner cannot be removed)."""
    link = next((link for link in event.co_organisers if link.organiser_id == organiser_id), None)
    if link is None:
        raise DomainError("That person is not a co-organiser of this gathering.", "not_co_organiser", 404)
    organiser = link.organiser
    event.co_organisers.remove(link)
    db.session.flush()
    audit.record("event.organiser_removed", actor=actor.actor, target=organiser.actor, event_id=event.id)
    return organiser
