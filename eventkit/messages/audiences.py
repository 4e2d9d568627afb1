"""Who each audience is, at the moment a message goes (or is previewed).

The statuses are those of `eventkit.attendees.models`; "applied" (applicants awaiting review) is
compared as a plain string, so this works whether or not the guest list knows that status yet.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventkit.attendees.models import HOLDS_PLACE, Attendee, AttendeeStatus
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.messages.models import Audience

APPLIED = "applied"

LABELS = {
    Audience.PLACE: "Everyone holding a place",
    Audience.CHECKED_IN: "Checked in",
    Audience.NO_SHOW: "Expected but not checked in",
    Audience.UNREADY: "Not ready (profile or offers missing)",
    Audience.WAITLIST: "Waiting list",
    Audience.GONE: "Declined or cancelled",
    Audience.APPLIED: "Applicants awaiting review",
    Audience.PICKED: "Guests I pick from the list",
}
#: still part of the gathering (what "not ready" looks at): holding a place or waiting for one
STILL_COMING = HOLDS_PLACE | {AttendeeStatus.WAITLISTED}


@dataclass(frozen=True)
class Phase:
    """Where the gathering is at `now`: before its start, during it, or after its end."""

    name: str

    @classmethod
    def of(cls, event: Event, at: datetime) -> Phase:
        if at < event.starts_at:
            return cls("before")
        return cls("during" if at < event.ends_at else "after")

    @property
    def started(self) -> bool:
        return self.name != "before"


def offered(event: Event, at: datetime) -> list[Audience]:
    """The audiences a message going at `at` may choose: no-shows only once the gathering has started."""
    return [a for a in Audience if a != Audience.NO_SHOW or Phase.of(event, at).started]


def _condition(audience: Audience, picked: list[int]):
    if audience == Audience.PLACE:
        return Attendee.holds_place
    if audience == Audience.CHECKED_IN:
        return Attendee.checked_in_at.is_not(None)
    if audience == Audience.NO_SHOW:
        return Attendee.is_expected & Attendee.checked_in_at.is_(None)
    if audience == Audience.UNREADY:
        return Attendee.status.in_(sorted(STILL_COMING))
    if audience == Audience.WAITLIST:
        return Attendee.status == AttendeeStatus.WAITLISTED
    if audience == Audience.GONE:
        return Attendee.is_gone
    if audience == Audience.APPLIED:
        return Attendee.status == APPLIED
    return Attendee.id.in_(sorted({int(i) for i in picked}))


def recipients(event: Event, audience: str, picked: list[int], at: datetime) -> list[Attendee]:
    """The guests of `audience` when a message goes at `at`, by name (no-shows: nobody before the start).

    Two queries for "not ready" (it needs the intents), one otherwise.
    """
    audience = Audience(audience)
    if audience == Audience.NO_SHOW and not Phase.of(event, at).started:
        return []
    query = (select(Attendee).where(Attendee.event_id == event.id, _condition(audience, picked))
             .order_by(Attendee.name, Attendee.id))
    if audience == Audience.UNREADY:
        return [guest for guest in db.session.scalars(query.options(selectinload(Attendee.intents)))
                if not guest.is_ready]
    return list(db.session.scalars(query))


def guest_choices(event: Event) -> list[tuple[int, str]]:
    """Every guest of the gathering as (id, "Name (status)") for a hand-picked audience."""
    rows = db.session.execute(select(Attendee.id, Attendee.name, Attendee.status)
                              .where(Attendee.event_id == event.id).order_by(Attendee.name, Attendee.id))
    return [(guest_id, f"{name} ({status})") for guest_id, name, status in rows]
