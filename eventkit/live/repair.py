"""Re-pairing on the day: guests whose partner has not arrived, walk-ins, and "they are not here".

The same scoring, rules and no-repeat constraint as the plan (eventkit.matching.engine): the
candidates are the arrived guests without a conversation this round; pairs who have a conversation
anywhere in the plan, never-pairs and guests at their cap are excluded. The sub-problem is small
(the guests left alone) and solved exactly up to engine.EXACT_LIMIT guests.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventkit import audit
from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event
from eventkit.live.models import ChangeKind, LiveChange, LiveState, LiveTap
from eventkit.matching import engine
from eventkit.matching.history import previous_pairs
from eventkit.matching.models import ConstraintKind, Conversation, ConversationStatus, PairConstraint, Plan
from eventkit.matching.services import to_guest
from eventkit.profiles.models import Intent as ProfileIntent


def arrived_ids(event_id: int) -> set[int]:
    return set(db.session.scalars(select(Attendee.id).where(
        Attendee.event_id == event_id, Attendee.checked_in_at.is_not(None))))


def event_conversations(event_id: int) -> list[Conversation]:
    return list(db.session.scalars(select(Conversation).where(Conversation.event_id == event_id)
                                   .order_by(Conversation.round, Conversation.table_no, Conversation.id)))


def active(conversations: list[Conversation], round_no: int | None = None) -> list[Conversation]:
    return [c for c in conversations if c.status != ConversationStatus.SKIPPED
            and (round_no is None or c.round == round_no)]


def planner_for(event: Event, plan: Plan, round_no: int, guest_ids: set[int],
                conversations: list[Conversation]) -> engine.Planner:
    """The plan's engine over `guest_ids`, knowing every conversation of the plan (no pair twice)."""
    guests = db.session.scalars(
        select(Attendee).where(Attendee.id.in_(guest_ids))
        .options(selectinload(Attendee.intents).selectinload(ProfileIntent.tag)).order_by(Attendee.id)).all()
    rules = db.session.scalars(select(PairConstraint).where(PairConstraint.event_id == event.id)).all()
    settings = engine.Settings(rounds=round_no, cap=plan.per_guest_cap, odd=plan.odd_policy, first_round=round_no)
    return engine.Planner(
        [to_guest(g) for g in guests], settings,
        never=[(r.low_id, r.high_id) for r in rules if r.kind == ConstraintKind.NEVER],
        must=[(r.low_id, r.high_id) for r in rules if r.kind == ConstraintKind.MUST],
        previous=previous_pairs(event),
        held=[tuple(c.member_ids) for c in active(conversations) if guest_ids.intersection(c.member_ids)],
    )


def _free_tables(conversations: list[Conversation], round_no: int) -> list[int]:
    """Table numbers of this round no active conversation uses, then new ones after the last."""
    this_round = [c for c in conversations if c.round == round_no]
    used = {c.table_no for c in this_round if c.status != ConversationStatus.SKIPPED}
    freed = sorted({c.table_no for c in this_round} - used)
    last = max([c.table_no for c in this_round] or [0])
    return freed + list(range(last + 1, last + 100))


def repair_round(event: Event, plan: Plan, round_no: int, now: datetime) -> list[LiveChange]:
    """At round start: set aside conversations missing a partner and pair the guests left alone."""
    conversations = event_conversations(event.id)
    arrived = arrived_ids(event.id)
    replaced: dict[int, int] = {}
    for conversation in active(conversations, round_no):
        present = [m for m in conversation.member_ids if m in arrived]
        if len(present) >= 2:
            continue  # a pair, or a trio short of one: they talk
        conversation.status = ConversationStatus.SKIPPED.value
        replaced.update({m: conversation.id for m in present})
    seated = {m for c in active(conversations, round_no) for m in c.member_ids}
    pool = arrived - seated
    if len(pool) < 2:
        db.session.flush()
        return []
    planner = planner_for(event, plan, round_no, pool, conversations)
    groups = planner.plan_round(round_no)
    tables = _free_tables(conversations, round_no)
    return _add_groups(event, plan, round_no, [(tables.pop(0), group) for group in groups], replaced,
                       ChangeKind.REPAIR, now)


def _add_groups(event: Event, plan: Plan, round_no: int, groups: list[tuple[int, engine.Group]],
                replaced: dict[int, int], kind: ChangeKind, now: datetime) -> list[LiveChange]:
    """The new conversations (one flush) and a change record for each, saying who and why."""
    if not groups:
        return []
    ids = {m for _table, group in groups for m in group.members}
    names = dict(db.session.execute(select(Attendee.id, Attendee.name).where(Attendee.id.in_(ids))).all())
    made = []
    for table, group in groups:
        members = list(group.members) + [None]
        made.append(Conversation(plan_id=plan.id, event_id=event.id, round=round_no, table_no=table,
                                 a_id=members[0], b_id=members[1], c_id=members[2], score=round(group.score, 4),
                                 reasons=group.reasons, status=ConversationStatus.PLANNED.value, created_at=now))
    db.session.add_all(made)
    db.session.flush()
    changes = []
    for conversation, (table, group) in zip(made, groups):
        why = {m: ("partner absent" if m in replaced else "was free") for m in group.members}
        summary = " meets ".join(f"{names[m]} ({why[m]})" for m in group.members) + f", table {table}"
        changes.append(LiveChange(
            event_id=event.id, round=round_no, kind=kind.value, conversation_id=conversation.id,
            replaced_ids=sorted({replaced[m] for m in group.members if m in replaced}),
            member_ids=list(group.members), summary=summary[:300], created_at=now))
    db.session.add_all(changes)
    db.session.flush()
    return changes


def not_here(event: Event, plan: Plan, state: LiveState, attendee: Attendee, conversation_id: int,
             now: datetime) -> Conversation | None:
    """A guest says their partner is not here: the conversation is set aside and, if someone arrived is
    free, the guest gets a new partner at once (returned); None when nobody is free."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or conversation.event_id != event.id or attendee.id not in conversation.member_ids:
        raise NotFound("No such conversation.", "not_found")
    if not state.in_round or conversation.round != state.round_no:
        raise DomainError("You can say this during the round of that conversation.", "not_this_round", 409)
    if conversation.status == ConversationStatus.SKIPPED:
        raise DomainError("This conversation was already set aside.", "already_skipped", 409)
    if attendee.checked_in_at is None:
        raise DomainError("Check in at the door first: then you can be paired with someone here.", "not_arrived", 409)
    conversation.status = ConversationStatus.SKIPPED.value
    conversation.not_held_by_id = conversation.not_held_by_id or attendee.id
    absent = set(conversation.member_ids) - {attendee.id}
    conversations = event_conversations(event.id)
    seated = {m for c in active(conversations, state.round_no) for m in c.member_ids}
    free = arrived_ids(event.id) - seated - absent
    state.touch()
    partner = _best_partner(event, plan, state.round_no, attendee.id, free, conversations)
    if partner is None:
        db.session.flush()
        return None
    group = engine.Group(state.round_no, 0, (attendee.id, partner))
    scorer_planner = planner_for(event, plan, state.round_no, {attendee.id, partner}, conversations)
    group.score = scorer_planner.scorer.score(attendee.id, partner)
    group.reasons = scorer_planner.scorer.reasons([attendee.id, partner])
    replaced = {attendee.id: conversation.id}
    change, = _add_groups(event, plan, state.round_no, [(_free_tables(conversations, state.round_no)[0], group)],
                          replaced, ChangeKind.NOT_HERE, now)
    return db.session.get(Conversation, change.conversation_id)


def _best_partner(event: Event, plan: Plan, round_no: int, guest_id: int, free: set[int],
                  conversations: list[Conversation]) -> int | None:
    candidates = free - {guest_id}
    if not candidates:
        return None
    planner = planner_for(event, plan, round_no, candidates | {guest_id}, conversations)
    me = planner.index[guest_id]
    if planner.count[me] >= plan.per_guest_cap:
        return None
    best, best_score = None, None
    for other in candidates:
        j = planner.index[other]
        if not planner.allowed[me, j] or planner.count[j] >= plan.per_guest_cap:
            continue
        value = float(planner.scorer.pair[me, j])
        if best_score is None or value > best_score:
            best, best_score = other, value
    return best


def undo_change(event: Event, state: LiveState, change_id: int, now: datetime, actor: str) -> LiveChange:
    """Undo a re-pairing: its conversation goes, the planned ones it replaced come back when their
    guests are free. Refused once a guest answered about the new conversation."""
    change = db.session.get(LiveChange, change_id)
    if change is None or change.event_id != event.id:
        raise NotFound("No such change.", "not_found")
    if not change.active:
        raise DomainError("This change was already undone.", "already_undone", 409)
    if change.conversation_id and db.session.scalar(
            select(LiveTap.id).where(LiveTap.conversation_id == change.conversation_id).limit(1)):
        raise DomainError("A guest already answered about this conversation: it cannot be undone.", "answered", 409)
    new = db.session.get(Conversation, change.conversation_id) if change.conversation_id else None
    if new is not None:
        db.session.delete(new)
        db.session.flush()
    conversations = event_conversations(event.id)
    for old in [c for c in conversations if c.id in set(change.replaced_ids)]:
        seated = {m for c in active(conversations, old.round) for m in c.member_ids}
        if not seated & set(old.member_ids):
            old.status = ConversationStatus.PLANNED.value
            old.not_held_by_id = None
    change.undone_at = now
    state.touch()
    audit.record("live.change_undone", actor=actor, target=f"live_change:{change.id}", event_id=event.id,
                 summary=change.summary)
    db.session.flush()
    return change
