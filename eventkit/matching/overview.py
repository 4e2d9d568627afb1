"""What the organiser's plan page shows: rounds, each guest's conversations, the network, who is missing."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.matching import services
from eventkit.matching.models import Conversation, Plan
from eventkit.matching.network import network_svg, round_colour


def plan_page(event: Event, plan: Plan | None) -> dict:
    """The plan page's data (a few queries whatever the number of guests)."""
    conversations = []
    if plan is not None:
        conversations = db.session.scalars(
            select(Conversation).where(Conversation.plan_id == plan.id)
            .order_by(Conversation.round, Conversation.table_no)
        ).all()
    # Every guest once, with their intents (readiness): the rounds, the pickers and the network share them.
    people = {a.id: a for a in db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id).options(selectinload(Attendee.intents))
        .order_by(Attendee.id))}
    rounds: dict[int, list] = {}
    per_guest: dict[int, list] = {}
    meetings = []
    for c in conversations:
        rounds.setdefault(c.round, []).append(c)
        ids = c.member_ids
        for m in ids:
            per_guest.setdefault(m, []).append((c, [people[o] for o in ids if o != m]))
        meetings += [(c.round, x, y) for i, x in enumerate(ids) for y in ids[i + 1:]]
    ready = [guest for guest in people.values() if guest.is_expected and guest.is_ready]  # services.participants
    ready_ids = {g.id for g in ready}
    in_plan = set(per_guest)
    held = plan.rounds_held if plan else 0
    future_ids = {m for c in conversations if c.round > held for m in c.member_ids}
    shown = sorted({*ready_ids, *in_plan}, key=lambda i: people[i].name.lower())
    return {
        "rounds": rounds, "per_guest": [(people[i], per_guest.get(i, [])) for i in shown],
        "people": people, "ready_count": len(ready), "round_colour": round_colour,
        "svg": network_svg([(i, people[i].name) for i in shown], meetings),
        "dropped_out": [people[i] for i in sorted(future_ids - ready_ids)],
        "not_planned": [people[i] for i in sorted(ready_ids - in_plan)] if conversations else [],
        "constraints": services.constraints(event),
        "guests_by_name": sorted(people.values(), key=lambda guest: (guest.name, guest.id)),
    }
