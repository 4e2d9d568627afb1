"""People met outside the plan: one guest logs it, the other confirms, only then a connection."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event, EventStatus
from eventkit.followup import links
from eventkit.followup.models import ConnectionLink, Encounter
from eventkit.followup.services import _clean_note, connect_pairs
from eventkit.mail.links import send_time_link
from eventkit.mail.services import queue_email


def loggable_guests(attendee: Attendee) -> list[Attendee]:
    """The other guests of the gathering one can say they met."""
    return list(db.session.scalars(
        select(Attendee).where(Attendee.event_id == attendee.event_id, Attendee.id != attendee.id,
                               Attendee.is_expected).order_by(Attendee.name)
    ))


def log_encounter(attendee: Attendee, other_id: int, note: str, now: datetime) -> Encounter:
    """Log meeting `other_id`; they get an email to confirm. A mutual log confirms at once."""
    event = db.session.get(Event, attendee.event_id)
    other = db.session.get(Attendee, other_id)
    if other is None or other.event_id != event.id or other.id == attendee.id or not other.is_expected:
        raise DomainError("Choose someone from this gathering's guest list.", "not_on_list", 422)
    if now < event.starts_at:
        raise DomainError("You can log people you met once the gathering has started.", "too_early", 409)
    note = _clean_note(note, False, "a note")[:300]
    pair = sorted((attendee.id, other.id))
    if db.session.scalars(select(ConnectionLink.id).where(
            ConnectionLink.event_id == event.id, ConnectionLink.low_attendee_id.in_(pair),
            ConnectionLink.high_attendee_id.in_(pair))).first():
        raise DomainError(f"You are already connected with {other.name} from this gathering.", "already_connected", 409)
    if db.session.scalars(select(Encounter.id).where(Encounter.logged_by_id == attendee.id,
                                                     Encounter.other_id == other.id)).first():
        raise DomainError(f"You already logged meeting {other.name}.", "already_logged", 409)
    mirror = db.session.scalars(select(Encounter).where(
        Encounter.logged_by_id == other.id, Encounter.other_id == attendee.id)).first()
    encounter = Encounter(event_id=event.id, logged_by_id=attendee.id, other_id=other.id, note=note, created_at=now)
    db.session.add(encounter)
    db.session.flush()
    if mirror is not None and mirror.pending:
        _confirm(mirror, event, now)
        encounter.confirmed_at = now
        return encounter
    queue_email(to_email=other.email, to_name=other.name, template="followup_encounter", purpose="followup",
                kind="encounter", label="followup_encounter", dedupe_key=f"followup:encounter:{encounter.id}",
                event_id=event.id, event=event, logger=attendee, note=note,
                link=send_time_link(links.MAIL_PURPOSES["confirm"], other.id, encounter.id))
    return encounter


def pending_for(attendee: Attendee) -> list[Encounter]:
    """Encounters others logged with `attendee` that wait for their confirmation."""
    return list(db.session.scalars(select(Encounter).where(
        Encounter.other_id == attendee.id, Encounter.confirmed_at.is_(None), Encounter.declined_at.is_(None))))


def encounter_for(attendee: Attendee, encounter_id: int) -> Encounter:
    """An encounter someone logged with `attendee`, still unanswered; NotFound or DomainError (409) otherwise."""
    encounter = db.session.get(Encounter, encounter_id)
    if encounter is None or encounter.other_id != attendee.id:
        raise NotFound("No such encounter.", "not_found")
    if not encounter.pending:
        raise DomainError("You already answered this one.", "already_answered", 409)
    return encounter


def _confirm(encounter: Encounter, event: Event, now: datetime) -> None:
    encounter.confirmed_at = now
    db.session.flush()
    if event.status == EventStatus.FINISHED:
        connect_pairs(event, {tuple(sorted((encounter.logged_by_id, encounter.other_id)))}, "encounter", now)


def confirm_encounter(attendee: Attendee, encounter_id: int, now: datetime) -> Encounter:
    """The other side confirms: a connection now (or when the gathering is marked finished)."""
    encounter = encounter_for(attendee, encounter_id)
    _confirm(encounter, db.session.get(Event, encounter.event_id), now)
    return encounter


def decline_encounter(attendee: Attendee, encounter_id: int, now: datetime) -> Encounter:
    """The other side says it didn't happen; no connection."""
    encounter = encounter_for(attendee, encounter_id)
    encounter.declined_at = now
    db.session.flush()
    return encounter
