"""Building ready guests for the matching tests."""
from __future__ import annotations

from sqlalchemy import select

from eventkit.db import db
from eventkit.matching.models import Conversation


def ready_guest(make_attendee, make_intent, event, name, field, offers=(), seeks=(), **fields):
    """A registered guest with a complete profile and the given (tag, text) offers and seeks."""
    values = {"role": "Founder", "organisation": f"{name} Ltd", "field": field, "bio": f"{name} builds things."}
    values.update(fields)
    attendee = make_attendee(event, name=name, **values)
    for tag, text in offers:
        make_intent(attendee, "offer", tag, text)
    for tag, text in seeks:
        make_intent(attendee, "seek", tag, text)
    return attendee


def four_guests(make_attendee, make_intent, event):
    """Ana<->Ben and Cleo<->Dev are complementary across fields: the best round 1 is known."""
    return [
        ready_guest(make_attendee, make_intent, event, "Ana", "Climate",
                    [("Fundraising", "seed-stage fundraising intros")], [("Rust", "Rust code review")]),
        ready_guest(make_attendee, make_intent, event, "Ben", "Developer tools",
                    [("Rust", "Rust code review")], [("Fundraising", "seed-stage fundraising intros")]),
        ready_guest(make_attendee, make_intent, event, "Cleo", "Design",
                    [("Hiring", "intros to senior designers")], [("Go-to-market", "pricing advice")]),
        ready_guest(make_attendee, make_intent, event, "Dev", "Finance",
                    [("Go-to-market", "pricing advice for startups")], [("Hiring", "hiring designers")]),
    ]


def planned_pairs(event_id, round_no=None):
    query = select(Conversation).where(Conversation.event_id == event_id)
    if round_no is not None:
        query = query.where(Conversation.round == round_no)
    return {frozenset(m for m in (c.a_id, c.b_id, c.c_id) if m) for c in db.session.scalars(query)}
