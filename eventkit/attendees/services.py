"""Guest-list workflows: adding guests, status changes, capacity and the waitlist, magic links.

Every function flushes only; the request (or CLI command) commits. Functions that depend on the
clock take `now`.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import selectinload

from eventkit import audit
from eventkit.attendees import invitations
from eventkit.attendees.models import HOLDS_PLACE, Attendee, AttendeeStatus, Person
from eventkit.db import db, insert_ignore, locked
from eventkit.errors import DomainError
from eventkit.events.models import Event, EventStatus
from eventkit.signals import accepting_invitation

S = AttendeeStatus

#: what an organiser may do to a guest: action -> (new status, statuses it may come from)
ORGANISER_ACTIONS: dict[str, tuple[AttendeeStatus, frozenset[AttendeeStatus]]] = {
    "approve": (S.APPROVED, frozenset({S.INVITED, S.REGISTERED, S.WAITLISTED, S.DECLINED, S.CANCELLED})),
    "waitlist": (S.WAITLISTED, frozenset({S.INVITED, S.REGISTERED, S.APPROVED, S.DECLINED, S.CANCELLED})),
    "decline": (S.DECLINED, frozenset({S.INVITED, S.REGISTERED, S.WAITLISTED})),
    "cancel": (S.CANCELLED, frozenset({S.INVITED, S.REGISTERED, S.APPROVED, S.WAITLISTED})),
}
ACTION_LABELS = {"approve": "Approve", "waitlist": "Waitlist", "decline": "Mark declined", "cancel": "Cancel"}


@dataclass(frozen=True)
class GuestData:
    """One guest to add, already cleaned (email lower-cased, text stripped)."""

    name: str
    email: str
    organisation: str = ""
    role: str = ""
    field: str = ""


def allowed_actions(attendee: Attendee) -> list[str]:
    """The organiser actions valid for this guest's current status."""
    return [action for action, (_new, sources) in ORGANISER_ACTIONS.items() if attendee.status in sources]


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def lock_event(event_id: int) -> Event:
    """Reload the event with a row lock (PostgreSQL) so capacity checks cannot race (`db.locked`:
    the door's check-ins, which reference the event, do not wait for it)."""
    stmt = locked(select(Event).where(Event.id == event_id))
    return db.session.scalars(stmt.execution_options(populate_existing=True)).one()


def places_taken(event_id: int, excluding: int | None = None) -> int:
    """How many guests hold a place (invited, registered, approved)."""
    stmt = select(func.count(Attendee.id)).where(
        Attendee.event_id == event_id, Attendee.holds_place
    )
    if excluding is not None:
        stmt = stmt.where(Attendee.id != excluding)
    return db.session.scalar(stmt) or 0


def places_left(event: Event) -> int:
    return max(event.capacity - places_taken(event.id), 0)


def status_counts(event_id: int) -> dict[str, int]:
    """Guests per status (every status present, zero when none)."""
    rows = db.session.execute(
        select(Attendee.status, func.count(Attendee.id)).where(Attendee.event_id == event_id).group_by(Attendee.status)
    ).all()
    counts = {str(status): 0 for status in AttendeeStatus}
    counts.update({status: n for status, n in rows})
    return counts


def guest_rows(event_id: int) -> list[Attendee]:
    """The whole guest list in the order guests were added, intents loaded in one extra query (no N+1)."""
    stmt = (select(Attendee).where(Attendee.event_id == event_id)
            .options(selectinload(Attendee.intents)).order_by(Attendee.created_at, Attendee.id))
    return list(db.session.scalars(stmt))


def is_on_list(event_id: int, email: str) -> bool:
    stmt = select(Attendee.id).where(Attendee.event_id == event_id, Attendee.email == normalise_email(email))
    return db.session.scalar(stmt) is not None


def person_for(email: str) -> Person:
    """The Person with this email, created if new (safe when two requests race)."""
    email = normalise_email(email)
    insert_ignore(Person, {"email": email}, ["email"])
    return db.session.scalars(select(Person).where(Person.email == email)).one()


def set_status(attendee: Attendee, status: AttendeeStatus, *, actor: str, now: datetime, reason: str = "") -> None:
    """Change a guest's status and write the audit entry (no checks: callers decide)."""
    old = attendee.status
    attendee.status = status
    attendee.status_changed_at = now
    audit.record(
        "attendee.status", actor=actor, target=f"attendee:{attendee.id}", event_id=attendee.event_id,
        old=str(old), new=str(status), reason=reason,
    )


def add_guest(event: Event, data: GuestData, *, actor: str, now: datetime) -> Attendee:
    """Put one guest on the list (waitlisted past capacity) and queue their invitation."""
    event = lock_event(event.id)
    if event.status == EventStatus.FINISHED:
        raise DomainError("This gathering is finished; guests can no longer be added.", "finished", 409)
    if is_on_list(event.id, data.email):
        raise DomainError(f"{data.email} is already on the guest list.", "duplicate", 409)
    status = S.INVITED if places_taken(event.id) < event.capacity else S.WAITLISTED
    attendee = Attendee(
        event_id=event.id, person=person_for(data.email), name=data.name, email=normalise_email(data.email),
        organisation=data.organisation, role=data.role, field=data.field, status=status,
        status_changed_at=now, created_at=now, link_requested_at=now,
    )
    db.session.add(attendee)
    db.session.flush()
    audit.record("attendee.added", actor=actor, target=f"attendee:{attendee.id}", event_id=event.id,
                 status=str(status))
    invitations.queue_invitation(attendee)
    return attendee


def promote_from_waitlist(event: Event, *, actor: str, now: datetime,
                          skip: int | list[int] | None = None) -> list[Attendee]:
    """Offer free places to the longest-waiting guests (waitlisted → invited, with an email).

    `skip`: a guest (or the guests) the organiser has just moved to the waitlist on purpose.
    """
    skipped = [skip] if isinstance(skip, int) else list(skip or [0])
    promoted = []
    free = event.capacity - places_taken(event.id)
    if free <= 0:
        return promoted
    stmt = (
        select(Attendee)
        .where(Attendee.event_id == event.id, Attendee.status == S.WAITLISTED, Attendee.id.not_in(skipped))
        .order_by(Attendee.status_changed_at, Attendee.id)
        .limit(free)
    )
    for attendee in db.session.scalars(stmt):
        set_status(attendee, S.INVITED, actor=actor, now=now, reason="a place became free")
        invitations.queue_place_offered(attendee)
        promoted.append(attendee)
    db.session.flush()
    return promoted


def apply_capacity(event: Event, *, actor: str, now: datetime) -> list[Attendee]:
    """After a capacity edit (already flushed, so the event row is locked): refuse a capacity below
    the places already held; a larger one offers places to the waiting list while replies are open."""
    taken = places_taken(event.id)
    if event.capacity < taken:
        raise DomainError(
            f"{taken} guests already hold a place, so the capacity cannot go below {taken}. "
            "Move guests to the waiting list or cancel their places first.", "capacity_below_held", 409)
    return promote_from_waitlist(event, actor=actor, now=now) if replies_open(event, now) else []


def organiser_change_status(event: Event, attendee: Attendee, action: str, *, actor: str, now: datetime) -> list[Attendee]:
    """Apply an organiser's action to a guest; returns the guests promoted from the waitlist."""
    if action not in ORGANISER_ACTIONS:
        raise DomainError("Unknown action.", "bad_action")
    new, allowed_from = ORGANISER_ACTIONS[action]
    event = lock_event(event.id)
    if S(attendee.status) not in allowed_from:
        raise DomainError(f"{attendee.name} is {attendee.status}; they cannot be moved to {new}.", "bad_transition", 409)
    if new in HOLDS_PLACE and not attendee.holds_place and places_taken(event.id) >= event.capacity:
        raise DomainError("No places left: raise the capacity or cancel a guest first.", "full", 409)
    freed = attendee.holds_place and new not in HOLDS_PLACE
    set_status(attendee, new, actor=actor, now=now)
    db.session.flush()
    return promote_from_waitlist(event, actor=actor, now=now, skip=attendee.id) if freed else []


def replies_open(event: Event, now: datetime) -> bool:
    """Guests may still accept or decline (the gathering is not over)."""
    return event.status != EventStatus.FINISHED and event.ends_at > now


def accept_invitation(attendee: Attendee, *, now: datetime) -> Attendee:
    """The guest says yes: registered if a place is free, else waitlisted.

    Receivers of `accepting_invitation` may refuse with a DomainError; nothing is changed then.
    """
    event = lock_event(attendee.event_id)
    if attendee.status not in (S.INVITED, S.DECLINED):
        raise DomainError(f"Your reply is already recorded: you are {attendee.status}.", "bad_transition", 409)
    if event.status == EventStatus.DRAFT:
        raise DomainError("This gathering is not open yet; you can reply once the organiser opens it.", "draft", 409)
    if not replies_open(event, now):
        raise DomainError("This gathering is over; replies are closed.", "closed", 409)
    accepting_invitation.send(attendee, now=now)
    has_place = places_taken(event.id, excluding=attendee.id) < event.capacity
    set_status(attendee, S.REGISTERED if has_place else S.WAITLISTED, actor=attendee.actor, now=now)
    db.session.flush()
    return attendee


def decline_invitation(attendee: Attendee, *, now: datetime) -> list[Attendee]:
    """The guest says no (or cancels their yes); their place goes to the waitlist."""
    event = lock_event(attendee.event_id)
    if attendee.status in (S.DECLINED, S.CANCELLED):
        raise DomainError(f"Your reply is already recorded: you are {attendee.status}.", "bad_transition", 409)
    if not replies_open(event, now):
        raise DomainError("This gathering is over; replies are closed.", "closed", 409)
    freed = attendee.holds_place
    set_status(attendee, S.DECLINED, actor=attendee.actor, now=now)
    db.session.flush()
    return promote_from_waitlist(event, actor=attendee.actor, now=now) if freed else []


def rotate_link(attendee: Attendee, *, actor: str, now: datetime) -> None:
    """Replace the guest's links: every link and session they had stops working, a new link is emailed."""
    attendee.end_sessions(now)
    attendee.link_requested_at = now
    db.session.flush()
    audit.record("attendee.link_rotated", actor=actor, target=f"attendee:{attendee.id}", event_id=attendee.event_id)
    invitations.queue_invitation(attendee, renewed=True)


#: a guest can have a fresh personal link emailed at most this often
LINK_REQUEST_INTERVAL = timedelta(minutes=15)


def request_new_link(event: Event, email: str, now: datetime) -> Attendee | None:
    """A guest who lost their link asks for a new one: email them one more link (the others keep working).

    Returns the guest, or None when the email is not on this gathering's list or a link went out
    less than LINK_REQUEST_INTERVAL ago; the caller must answer the same in every case, so the form
    tells nobody who is on the list. Nothing is revoked, so knowing a guest's email signs nobody out.
    """
    address = normalise_email(email)
    attendee = db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id, Attendee.email == address)).first()
    if attendee is None or now - attendee.link_requested_at < LINK_REQUEST_INTERVAL:
        return None
    attendee.link_requested_at = now
    db.session.flush()
    audit.record("attendee.link_requested", actor=attendee.actor, target=f"attendee:{attendee.id}",
                 event_id=attendee.event_id)
    invitations.queue_invitation(attendee, requested=True)
    return attendee


def _guests_with_address(to_email: str, event_id: int | None):
    """The guest rows of `to_email`: at `event_id` (its unique index), or of the person everywhere."""
    address = normalise_email(to_email)
    if event_id is not None:
        return (Attendee.event_id == event_id) & (Attendee.email == address)
    return Attendee.person_id.in_(select(Person.id).where(Person.email == address))


def mark_email_failing(to_email: str, event_id: int | None, reason: str, now: datetime) -> int:
    """A mail server refused `to_email` for good: mark that guest (at `event_id`, or everywhere) as failing."""
    result = db.session.execute(update(Attendee).where(_guests_with_address(to_email, event_id))
                                .values(email_failed_at=now, email_failure=reason[:500])
                                .execution_options(synchronize_session=False))
    return result.rowcount


def clear_email_failing(to_email: str, event_id: int | None) -> None:
    """A message reached `to_email` again: it is no longer marked as failing there."""
    db.session.execute(update(Attendee).where(_guests_with_address(to_email, event_id),
                                              Attendee.email_failed_at.is_not(None))
                       .values(email_failed_at=None, email_failure="").execution_options(synchronize_session=False))
