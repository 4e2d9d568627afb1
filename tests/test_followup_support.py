"""Shared builders for the followup tests (imported by the test_followup_* modules; no tests here)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event, EventStatus
from eventkit.matching.models import Conversation, Plan
from eventkit.signals import event_status_changed

#: a fixed, known clock: the gathering ends Monday 2 Nov 2026, 21:00 UTC
ENDS = datetime(2026, 11, 2, 21, 0, tzinfo=timezone.utc)
STARTS = ENDS - timedelta(hours=3)


def gathering(make_event, make_attendee, app, names, conversations, checked_in=None, fields=None, **event_fields):
    """An event with guests `names` and planned conversations (tuples of names; trios allowed)."""
    fields = fields or {}
    event = make_event(starts_at=event_fields.pop("starts_at", STARTS), ends_at=event_fields.pop("ends_at", ENDS),
                       status=EventStatus.CLOSED, **event_fields)
    guests = {}
    for name in names:
        checked = checked_in is None or name in checked_in
        guests[name] = make_attendee(event, name=name, email=f"{name.lower()}@example.com", field=fields.get(name, ""),
                                     checked_in_at=STARTS + timedelta(minutes=5) if checked else None)
    with app.app_context():
        plan = Plan(event_id=event.id)
        db.session.add(plan)
        db.session.flush()
        for round_no, members in enumerate(conversations, start=1):
            ids = [guests[name].id for name in members]
            db.session.add(Conversation(plan_id=plan.id, event_id=event.id, round=round_no, a_id=ids[0], b_id=ids[1],
                                        c_id=ids[2] if len(ids) > 2 else None))
        db.session.commit()
    return event, guests


def finish(app, event_id: int, now: datetime) -> None:
    """Do what the events service does: move to finished and send the signal, then commit."""
    with app.app_context():
        event = db.session.get(Event, event_id)
        old, event.status = event.status, EventStatus.FINISHED
        event_status_changed.send(event, old=old, new="finished", now=now)
        db.session.commit()


def load(app, model, ident):
    with app.app_context():
        obj = db.session.get(model, ident)
        db.session.expunge(obj)
        return obj


def attendee(app, ident) -> Attendee:
    """The guest, in the current app context's session when there is one."""
    from flask import has_app_context

    return db.session.get(Attendee, ident) if has_app_context() else load(app, Attendee, ident)


def all_rows(app, statement):
    with app.app_context():
        return db.session.execute(statement).all()


def sweep_at(app, now):
    from eventkit.followup.reminders import sweep

    with app.app_context():
        counts = sweep(now)
        db.session.commit()
    return counts


def outbox(app):
    from eventkit.mail.models import OutboundEmail

    return [row[0] for row in all_rows(app, select(OutboundEmail).order_by(OutboundEmail.id))]
