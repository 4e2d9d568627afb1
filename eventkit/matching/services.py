"""The conversation plan of one gathering: planning, re-planning, swaps, constraints and locking."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventkit import audit
from eventkit.attendees.models import Attendee
from eventkit.db import atomic, db, insert_ignore, locked
from eventkit.errors import DomainError
from eventkit.events.access import get_for_event_or_404
from eventkit.events.models import Event
from eventkit.matching import engine
from eventkit.matching.history import previous_pairs
from eventkit.matching.models import ConstraintKind, Conversation, ConversationStatus, OddPolicy, PairConstraint, Plan
from eventkit.matching.scoring import Guest, Intent, Scorer
from eventkit.profiles.models import Intent as ProfileIntent

MAX_ROUNDS = 12


def get_plan(event: Event, for_update: bool = False) -> Plan | None:
    """The event's plan; `for_update` locks its row (PostgreSQL) so two organisers' changes queue up."""
    query = select(Plan).where(Plan.event_id == event.id)
    return db.session.scalars(locked(query) if for_update else query).first()


def get_or_create_plan(event: Event) -> Plan:
    """The event's plan row, created with the defaults if missing, locked for this transaction."""
    insert_ignore(Plan, {"event_id": event.id, "rounds": 4, "round_minutes": 12, "per_guest_cap": 4,
                         "odd_policy": str(OddPolicy.TRIO), "rounds_held": 0}, ["event_id"])
    return get_plan(event, for_update=True)


def participants(event: Event) -> list[Attendee]:
    """Registered or approved guests who are ready (complete profile and an offer)."""
    guests = db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id, Attendee.is_expected)
        .options(selectinload(Attendee.intents).selectinload(ProfileIntent.tag)).order_by(Attendee.id)
    ).all()
    return [guest for guest in guests if guest.is_ready]


def guests_by_name(event: Event) -> list[Attendee]:
    """Every guest of the gathering, whatever their status, by name (the organiser's pickers)."""
    guests = db.session.scalars(select(Attendee).where(Attendee.event_id == event.id)).all()
    return sorted(guests, key=lambda guest: (guest.name, guest.id))  # the same order on SQLite and PostgreSQL


def to_guest(attendee: Attendee) -> Guest:
    intents = sorted(attendee.intents, key=lambda i: i.id)
    tag_names = {intent.tag_id: intent.tag.name for intent in intents}
    return Guest(
        id=attendee.id, name=attendee.name, person_id=attendee.person_id, field=attendee.field,
        organisation=attendee.organisation,
        offers=[Intent(tag_names[i.tag_id], i.text) for i in intents if i.kind == "offer"],
        seeks=[Intent(tag_names[i.tag_id], i.text) for i in intents if i.kind == "seek"],
    )


def constraints(event: Event) -> list[PairConstraint]:
    return db.session.scalars(
        select(PairConstraint).where(PairConstraint.event_id == event.id).order_by(PairConstraint.id)
    ).all()


def _check_editable(plan: Plan) -> None:
    if plan.is_locked:
        raise DomainError("The plan is locked. Unlock it first to change it.", "locked", 409)


def update_settings(event: Event, rounds: int, minutes: int, cap: int, odd: str) -> Plan:
    """The plan's new settings; a refusal writes nothing (not even the plan row made for them)."""
    with atomic():
        plan = get_or_create_plan(event)
        _check_editable(plan)
        if rounds < max(plan.rounds_held, 1):
            raise DomainError(f"{plan.rounds_held} rounds are already held; plan at least that many.", "rounds")
    plan.rounds, plan.round_minutes, plan.per_guest_cap, plan.odd_policy = rounds, minutes, cap, OddPolicy(odd)
    db.session.flush()
    return plan


def plan_event(event: Event, now: datetime, actor: str = "system") -> Plan:
    """(Re-)plan the rounds after those already held; held rounds are never touched."""
    plan, guests = _plannable(event)
    held = [c for c in plan.conversations if c.round <= plan.rounds_held]
    for conversation in [c for c in plan.conversations if c.round > plan.rounds_held]:
        plan.conversations.remove(conversation)
    db.session.flush()
    rules = constraints(event)
    settings = engine.Settings(rounds=plan.rounds, cap=plan.per_guest_cap, odd=plan.odd_policy,
                               first_round=plan.rounds_held + 1)
    result = engine.plan(
        [to_guest(g) for g in guests], settings,
        never=[(r.low_id, r.high_id) for r in rules if r.kind == ConstraintKind.NEVER],
        must=[(r.low_id, r.high_id) for r in rules if r.kind == ConstraintKind.MUST],
        previous=previous_pairs(event),
        held=[tuple(m.id for m in c.members) for c in held if c.status != ConversationStatus.SKIPPED],
    )
    for group in result.groups:
        members = list(group.members) + [None]
        plan.conversations.append(Conversation(
            event_id=event.id, round=group.round, table_no=group.table, a_id=members[0], b_id=members[1],
            c_id=members[2], score=round(group.score, 4), reasons=group.reasons,
            status=ConversationStatus.PLANNED,
        ))
    plan.planned_at = now
    audit.record("plan.planned", actor=actor, target=f"plan:{plan.id}", event_id=event.id,
                 rounds=f"{settings.first_round}-{plan.rounds}", conversations=len(result.groups))
    db.session.flush()
    return plan


def replan(event: Event, rounds: int, minutes: int, cap: int, odd: str, now: datetime,
           actor: str = "system") -> Plan:
    """New settings and a new plan of the rounds not yet held: both, or (on a DomainError) neither."""
    with atomic():
        update_settings(event, rounds, minutes, cap, odd)
        return plan_event(event, now, actor=actor)


def _plannable(event: Event) -> tuple[Plan, list[Attendee]]:
    """The plan to (re-)plan and its ready guests; a refusal writes nothing (not even a new plan row)."""
    with atomic():
        plan = get_or_create_plan(event)
        _check_editable(plan)
        if plan.rounds_held >= plan.rounds:
            raise DomainError("Every round of the plan is already held; add rounds to plan more.", "all_held")
        guests = participants(event)
        if len(guests) < 2:
            raise DomainError("At least two ready guests (registered or approved, with a complete profile "
                              "and an offer) are needed to plan conversations.", "too_few")
    return plan, guests


def set_locked(event: Event, locked: bool, now: datetime, actor: str = "system") -> Plan:
    plan = get_plan(event, for_update=True)
    if plan is None or not plan.conversations:
        raise DomainError("Plan the conversations before locking.", "no_plan")
    plan.locked_at = now if locked else None
    audit.record("plan.locked" if locked else "plan.unlocked", actor=actor, target=f"plan:{plan.id}",
                 event_id=event.id)
    db.session.flush()
    return plan


def mark_held(event: Event, rounds_held: int, actor: str = "system") -> Plan:
    """Rounds 1..rounds_held took place; re-planning keeps them as they are."""
    plan = get_plan(event, for_update=True)
    if plan is None or not 0 <= rounds_held <= plan.rounds:
        raise DomainError("Choose a round of the plan.", "round")
    plan.rounds_held = rounds_held
    audit.record("plan.rounds_held", actor=actor, target=f"plan:{plan.id}", event_id=event.id,
                 rounds_held=rounds_held)
    db.session.flush()
    return plan


def _conversation(event: Event, conversation_id: int) -> Conversation:
    return get_for_event_or_404(Conversation, conversation_id, event, "No such conversation.")


def _check_round_open(plan: Plan, round_no: int) -> None:
    _check_editable(plan)
    if round_no <= plan.rounds_held:
        raise DomainError(f"Round {round_no} is already held and cannot change.", "held", 409)


def remove_conversation(event: Event, conversation_id: int, actor: str = "system") -> None:
    get_plan(event, for_update=True)
    conversation = _conversation(event, conversation_id)
    _check_round_open(conversation.plan, conversation.round)
    audit.record("conversation.removed", actor=actor, target=f"conversation:{conversation.id}",
                 event_id=event.id, members=conversation.member_ids, round=conversation.round)
    conversation.plan.conversations.remove(conversation)
    db.session.flush()


def scorer_for(event: Event) -> Scorer:
    return Scorer([to_guest(g) for g in participants(event)], previous_pairs(event))


def swap_guests(event: Event, round_no: int, first_id: int, second_id: int, actor: str = "system") -> None:
    """Exchange two guests' seats in one round; their conversations' reasons are recomputed.

    Every check runs on the seating the swap would make before any seat changes, so a refusal
    (DomainError) leaves the plan as it was.
    """
    plan = get_plan(event, for_update=True)
    if plan is None:
        raise DomainError("Plan the conversations first.", "no_plan")
    _check_round_open(plan, round_no)
    moves = _swap_moves(event, plan, round_no, first_id, second_id)
    _check_pairs_allowed(event, plan, _seating_after(moves))
    for conversation, column, attendee_id in moves:
        setattr(conversation, column, attendee_id)
    _rescore(event, list(dict.fromkeys(conversation for conversation, _, _ in moves)))
    audit.record("plan.swapped", actor=actor, target=f"plan:{plan.id}", event_id=event.id, round=round_no,
                 guests=[first_id, second_id])
    db.session.flush()


def _swap_moves(event: Event, plan: Plan, round_no: int, first_id: int, second_id: int) -> list[tuple]:
    """The seat changes a swap makes, as (conversation, column, new guest id); raises if it cannot be made."""
    seats = [c for c in plan.conversations if c.round == round_no]
    first, second = _seat(seats, first_id), _seat(seats, second_id)
    if first_id == second_id or (first is None and second is None):
        raise DomainError("Choose two different guests, at least one with a conversation in that round.", "swap")
    if first is not None and second is not None and first[0] is second[0]:
        raise DomainError("Those two guests already sit at the same table.", "swap")
    if first is not None and second is not None:
        return [(*first, second_id), (*second, first_id)]
    # One of them has no seat this round (resting, or a walk-in): they take the other's seat.
    seated, newcomer_id = (first, second_id) if second is None else (second, first_id)
    newcomer = db.session.get(Attendee, newcomer_id)
    if newcomer is None or newcomer.event_id != event.id or newcomer not in participants(event):
        raise DomainError("Only ready, registered or approved guests can take a seat.", "swap")
    return [(*seated, newcomer_id)]


def _seating_after(moves: list[tuple]) -> dict[Conversation, list[int]]:
    """The members of each conversation a swap changes, as they would be after it."""
    seating: dict[Conversation, dict[str, int | None]] = {}
    for conversation, column, attendee_id in moves:
        columns = seating.setdefault(conversation, {c: getattr(conversation, c) for c in ("a_id", "b_id", "c_id")})
        columns[column] = attendee_id
    return {conversation: [m for m in columns.values() if m is not None] for conversation, columns in seating.items()}


def _rescore(event: Event, changed: list[Conversation]) -> None:
    scorer = scorer_for(event)
    for conversation in changed:
        ids = conversation.member_ids
        known = all(i in scorer.index for i in ids)
        total = sum(scorer.score(x, y) for i, x in enumerate(ids) for y in ids[i + 1:]) if known else 0.0
        conversation.score = round(total, 4)
        conversation.reasons = scorer.reasons(ids) if known else ["changed by the organiser"]
        conversation.status = ConversationStatus.SWAPPED


def _seat(conversations, attendee_id: int):
    for conversation in conversations:
        for column in ("a_id", "b_id", "c_id"):
            if getattr(conversation, column) == attendee_id:
                return conversation, column
    return None


def _check_pairs_allowed(event: Event, plan: Plan, seating: dict[Conversation, list[int]]) -> None:
    """No never-pair and nobody meeting the same person twice in the proposed `seating`."""
    never = {frozenset((r.low_id, r.high_id)) for r in constraints(event) if r.kind == ConstraintKind.NEVER}
    others = [c for c in plan.conversations if c not in seating]
    met = {frozenset((x, y)) for c in others for x in c.member_ids for y in c.member_ids if x != y}
    for ids in seating.values():
        for i, x in enumerate(ids):
            for y in ids[i + 1:]:
                if frozenset((x, y)) in never:
                    raise DomainError("That swap would seat a never-pair together.", "never")
                if frozenset((x, y)) in met:
                    raise DomainError("That swap would make two guests meet a second time.", "repeat")


def add_constraint(event: Event, first_id: int, second_id: int, kind: str, note: str = "",
                   actor: str = "system") -> PairConstraint:
    if first_id == second_id:
        raise DomainError("Choose two different guests.", "same")
    for attendee_id in (first_id, second_id):
        get_for_event_or_404(Attendee, attendee_id, event, "No such guest at this gathering.")
    low, high = sorted((first_id, second_id))
    rule = db.session.scalars(select(PairConstraint).where(
        PairConstraint.event_id == event.id, PairConstraint.low_id == low, PairConstraint.high_id == high)).first()
    if rule is None:
        rule = PairConstraint(event_id=event.id, low_id=low, high_id=high)
        db.session.add(rule)
    rule.kind, rule.note = ConstraintKind(kind), note.strip()
    db.session.flush()
    audit.record("constraint.saved", actor=actor, target=f"pair_constraint:{rule.id}", event_id=event.id,
                 kind=rule.kind, pair=[low, high])
    return rule


def remove_constraint(event: Event, constraint_id: int, actor: str = "system") -> None:
    rule = get_for_event_or_404(PairConstraint, constraint_id, event, "No such constraint.")
    audit.record("constraint.deleted", actor=actor, target=f"pair_constraint:{rule.id}", event_id=event.id)
    db.session.delete(rule)
    db.session.flush()


def conversations_of(event: Event, attendee: Attendee) -> list[Conversation]:
    """A guest's own conversations, only once the plan is locked (nothing before)."""
    plan = get_plan(event)
    if plan is None or not plan.is_locked:
        return []
    return list(db.session.scalars(  # the guest's few rows, not the whole plan's
        select(Conversation).where(Conversation.plan_id == plan.id, Conversation.includes(attendee.id))
        .order_by(Conversation.round, Conversation.table_no)))
