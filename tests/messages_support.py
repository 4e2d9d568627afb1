"""Helpers for the messages tests: a gathering with one guest of each kind, drafts, the outbox."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from types import SimpleNamespace

from sqlalchemy import select

from eventkit.attendees.models import AttendeeStatus
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.mail.models import OutboundEmail
from eventkit.messages import services
from eventkit.messages.models import Message, MessageSettings

STARTS = datetime(2030, 6, 1, 17, 0, tzinfo=timezone.utc)
ENDS = STARTS + timedelta(hours=3)
BEFORE, DURING, AFTER = STARTS - timedelta(days=2), STARTS + timedelta(hours=1), ENDS + timedelta(hours=1)


def gathering(app, make_event, make_attendee, make_intent=None, day_before: bool = False):
    """One guest per audience: holding places (invited, registered, approved, checked in), waitlisted, gone, applied.

    The automatic day-before reminder is off unless `day_before`.
    """
    event = make_event(starts_at=STARTS, ends_at=ENDS)
    if not day_before:
        with app.app_context():
            db.session.add(MessageSettings(event_id=event.id, day_before_reminder=False))
            db.session.commit()
    g = SimpleNamespace(event=event)
    g.invited = make_attendee(event, "Ines Invited", status=AttendeeStatus.INVITED)
    g.registered = make_attendee(event, "Rita Registered", status=AttendeeStatus.REGISTERED)
    g.approved = make_attendee(event, "Anna Approved", status=AttendeeStatus.APPROVED)
    g.came = make_attendee(event, "Carl Came", status=AttendeeStatus.APPROVED, checked_in_at=STARTS + timedelta(minutes=5),
                           role="Engineer", organisation="Grid Co", field="Climate", bio="Builds grids.")
    g.waiting = make_attendee(event, "Walt Waiting", status=AttendeeStatus.WAITLISTED)
    g.declined = make_attendee(event, "Dora Declined", status=AttendeeStatus.DECLINED)
    g.cancelled = make_attendee(event, "Cees Cancelled", status=AttendeeStatus.CANCELLED)
    g.applied = make_attendee(event, "Pia Applied", status="applied")
    if make_intent is not None:
        make_intent(g.came, "offer", "Rust", "intro to grid software")
    return g


def draft(**values) -> services.Draft:
    values.setdefault("subject", "Hello")
    values.setdefault("body", "Hello {name}, see you.")
    return services.Draft(**values)


def event_row(event) -> Event:
    return db.session.get(Event, event.id)


def names(guests) -> set[str]:
    return {guest.name for guest in guests}


def outbox(app) -> list[OutboundEmail]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def messages(app) -> list[Message]:
    with app.app_context():
        rows = list(db.session.scalars(select(Message).order_by(Message.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def create(app, event, now, **values) -> int:
    with app.app_context():
        message = services.create(event_row(event), draft(**values), "organiser:1", now)
        db.session.commit()
        return message.id
