"""Who already met whom at this organiser's earlier gatherings (pairs of person ids)."""
from __future__ import annotations

from itertools import combinations

from sqlalchemy import select
from sqlalchemy.orm import aliased

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.followup.models import Connection, ConnectionLink
from eventkit.matching.models import Conversation, ConversationStatus


def previous_pairs(event: Event) -> set[frozenset]:
    """Person pairs already connected at this organiser's earlier gatherings: a conversation that
    was not skipped, or a follow-up connection (which also covers encounters logged off-plan)."""
    return _conversation_pairs(event) | _connection_pairs(event)


def _connection_pairs(event: Event) -> set[frozenset]:
    rows = db.session.execute(
        select(Connection.low_person_id, Connection.high_person_id)
        .join(ConnectionLink, ConnectionLink.connection_id == Connection.id)
        .join(Event, Event.id == ConnectionLink.event_id)
        .where(Event.owner_id == event.owner_id, Event.id != event.id)
    )
    return {frozenset(row) for row in rows}


def _conversation_pairs(event: Event) -> set[frozenset]:
    a, b, c = aliased(Attendee), aliased(Attendee), aliased(Attendee)
    rows = db.session.execute(
        select(a.person_id, b.person_id, c.person_id)
        .select_from(Conversation)
        .join(Event, Event.id == Conversation.event_id)
        .join(a, a.id == Conversation.a_id)
        .join(b, b.id == Conversation.b_id)
        .outerjoin(c, c.id == Conversation.c_id)
        .where(Event.owner_id == event.owner_id, Event.id != event.id, Event.starts_at < event.starts_at,
               Conversation.status != ConversationStatus.SKIPPED)
    )
    pairs: set[frozenset] = set()
    for row in rows:
        people = [p for p in row if p is not None]
        pairs.update(frozenset(pair) for pair in combinations(people, 2) if pair[0] != pair[1])
    return pairs
