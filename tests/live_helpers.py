"""An evening for the live tests: six ready guests, a planned 3-round plan, check-ins by hand."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.live.models import LiveState
from eventkit.matching import services as matching
from eventkit.matching.models import Conversation, ConversationStatus
from tests.matching_helpers import four_guests, ready_guest

T0 = datetime(2026, 12, 1, 18, 0, tzinfo=timezone.utc)


def six_guests(make_attendee, make_intent, event):
    guests = four_guests(make_attendee, make_intent, event)
    guests.append(ready_guest(make_attendee, make_intent, event, "Eli Stone", "Policy",
                              [("Climate policy", "climate policy contacts")], [("Design feedback", "design feedback")]))
    guests.append(ready_guest(make_attendee, make_intent, event, "Fay Okafor", "Design",
                              [("Design feedback", "design feedback")], [("Climate policy", "climate policy contacts")]))
    return guests


def plan(app, event, rounds=3, minutes=10, lock=True):
    with app.app_context():
        ev = db.session.get(Event, event.id)
        if matching.get_plan(ev) is not None:
            matching.set_locked(ev, False, T0)
        matching.update_settings(ev, rounds, minutes, 4, "rest")
        matching.plan_event(ev, T0)
        if lock:
            matching.set_locked(ev, True, T0)
        db.session.commit()


def check_in(app, *guests, at=T0):
    with app.app_context():
        db.session.execute(update(Attendee).where(Attendee.id.in_([g.id for g in guests])).values(checked_in_at=at))
        db.session.commit()


def six_at_two_rounds(app, event, make_attendee, make_intent):
    """The six guests, a locked plan of two rounds, everyone checked in: the evening the live tests run."""
    guests = six_guests(make_attendee, make_intent, event)
    plan(app, event, rounds=2)
    check_in(app, *guests)
    return guests


def conversations(round_no, event_id, active_only=True):
    query = select(Conversation).where(Conversation.event_id == event_id, Conversation.round == round_no)
    if active_only:
        query = query.where(Conversation.status != ConversationStatus.SKIPPED)
    return list(db.session.scalars(query.order_by(Conversation.table_no)))


def partner_in(round_no, event_id, guest_id):
    for c in conversations(round_no, event_id):
        if guest_id in c.member_ids:
            return [m for m in c.member_ids if m != guest_id]
    return None


def state(event_id) -> LiveState:
    return db.session.scalars(select(LiveState).where(LiveState.event_id == event_id)).one()


def later(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)
