"""The guests' taps after a round: we met / they were not there, worth it?, follow up?

One answer per conversation per side: a retried tap finds the first answer and changes nothing.
Neither side sees the other's. Both sides "met" makes the follow-up connection at once.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eventkit.attendees.models import Attendee
from eventkit.db import db, insert_ignore
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event
from eventkit.followup.services import connect_pairs
from eventkit.live.models import LiveState, LiveTap, Worth
from eventkit.live.rounds import round_is_over
from eventkit.matching.models import Conversation, ConversationStatus

WORTH_VALUES = {w.value for w in Worth}


def own_taps(attendee: Attendee) -> dict[int, LiveTap]:
    """The guest's own answers by conversation id (never anyone else's)."""
    rows = db.session.scalars(select(LiveTap).where(LiveTap.attendee_id == attendee.id))
    return {tap.conversation_id: tap for tap in rows}


def _conversation_of(attendee: Attendee, conversation_id: int) -> Conversation:
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or conversation.event_id != attendee.event_id or attendee.id not in conversation.member_ids:
        raise NotFound("No such conversation.", "not_found")
    return conversation


def record_tap(attendee: Attendee, state: LiveState | None, conversation_id: int, met: bool, worth: str,
               follow_up: bool | None, now: datetime) -> tuple[LiveTap, bool]:
    """Record the guest's answer; returns (the answer, whether this call recorded it).

    A second tap (a retry, or a change of mind) returns the first answer unchanged.
    """
    conversation = _conversation_of(attendee, conversation_id)
    if conversation.status == ConversationStatus.SKIPPED:
        raise DomainError("This conversation was set aside: there is nothing to answer.", "skipped", 409)
    if not round_is_over(state, conversation.round, now):
        raise DomainError("You can answer once the round is over.", "too_early", 409)
    worth = (worth or "").strip().lower()
    if worth and worth not in WORTH_VALUES:
        raise DomainError("Choose yes, somewhat or no.", "bad_worth", 422)
    if not met:
        worth, follow_up = "", None
    tap_id = insert_ignore(LiveTap, {"event_id": attendee.event_id, "conversation_id": conversation.id,
                                     "attendee_id": attendee.id, "met": met, "worth": worth,
                                     "follow_up": follow_up, "at": now}, ["conversation_id", "attendee_id"])
    tap = db.session.scalars(select(LiveTap).where(LiveTap.conversation_id == conversation.id,
                                                   LiveTap.attendee_id == attendee.id)).one()
    if tap_id is None:
        return tap, False
    if not met:
        conversation.not_held_by_id = conversation.not_held_by_id or attendee.id
    elif conversation.not_held_by_id is None:
        _connect_if_both_met(attendee, conversation, now)
    db.session.flush()
    return tap, True


def _connect_if_both_met(attendee: Attendee, conversation: Conversation, now: datetime) -> None:
    others_met = set(db.session.scalars(select(LiveTap.attendee_id).where(
        LiveTap.conversation_id == conversation.id, LiveTap.attendee_id != attendee.id, LiveTap.met.is_(True))))
    pairs = {tuple(sorted((attendee.id, other))) for other in others_met}
    if pairs:
        connect_pairs(db.session.get(Event, attendee.event_id), pairs, "plan", now)


def follow_up_first(attendee: Attendee) -> list[tuple[Attendee, int]]:
    """The partners the guest said were worth it or to follow up, highest priority first (their own
    answers only)."""
    taps = [tap for tap in own_taps(attendee).values() if tap.priority > 0]
    if not taps:
        return []
    conversations = {c.id: c for c in db.session.scalars(
        select(Conversation).where(Conversation.id.in_([t.conversation_id for t in taps])))}
    ranked = []
    for tap in sorted(taps, key=lambda t: (-t.priority, t.at)):
        conversation = conversations.get(tap.conversation_id)
        if conversation is not None and conversation.not_held_by_id is None:
            ranked += [(other, tap.priority) for other in conversation.partners_of(attendee.id)]
    return ranked
