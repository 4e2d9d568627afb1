"""The round and its timer: start, pause, resume, end and next, with the server's times.

Every change bumps `LiveState.version`, the ETag the phones and the screen poll with. Starting a
round re-pairs the guests whose partner has not arrived (`repair.repair_round`).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eventkit import audit
from eventkit.db import db, insert_ignore, locked
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.live import repair
from eventkit.live.models import LiveState, RoundStatus
from eventkit.matching.models import Conversation, Plan


def get_state(event_id: int) -> LiveState | None:
    return db.session.scalars(select(LiveState).where(LiveState.event_id == event_id)).first()


def state_for_update(event: Event) -> LiveState:
    """The gathering's live state row (made on first use), locked for this transaction on PostgreSQL."""
    insert_ignore(LiveState, {"event_id": event.id, "round_no": 0, "status": str(RoundStatus.WAITING),
                              "duration_seconds": 720, "paused_seconds": 0, "version": 1}, ["event_id"])
    return db.session.scalars(locked(select(LiveState).where(LiveState.event_id == event.id))
                              .execution_options(populate_existing=True)).one()


def _plan(event: Event) -> Plan:
    plan = db.session.scalars(select(Plan).where(Plan.event_id == event.id)).first()
    if plan is None or not db.session.scalar(select(Conversation.id).where(Conversation.plan_id == plan.id).limit(1)):
        raise DomainError("Plan the conversations first: there is no round to run yet.", "no_plan", 409)
    return plan


def start_round(event: Event, now: datetime, actor: str) -> LiveState:
    """Start the next round (the first one to begin with) and re-pair guests whose partner is absent."""
    state = state_for_update(event)
    if state.in_round:
        raise DomainError(f"Round {state.round_no} is still on: end it first.", "round_running", 409)
    return _begin(event, state, now, actor)


def next_round(event: Event, now: datetime, actor: str) -> LiveState:
    """End the round that is on (if any) and start the next one."""
    state = state_for_update(event)
    _check_more_rounds(event, state)
    if state.in_round:
        _finish(event, state, now)
    return _begin(event, state, now, actor)


def _check_more_rounds(event: Event, state: LiveState) -> Plan:
    plan = _plan(event)
    if state.round_no >= plan.rounds:
        raise DomainError(f"All {plan.rounds} rounds were run: the conversations are over.", "last_round", 409)
    return plan


def _begin(event: Event, state: LiveState, now: datetime, actor: str) -> LiveState:
    plan = _check_more_rounds(event, state)
    state.round_no += 1
    state.status = RoundStatus.RUNNING.value
    state.duration_seconds = plan.round_minutes * 60
    state.started_at, state.paused_at, state.ended_at, state.paused_seconds = now, None, None, 0
    state.touch()
    db.session.flush()
    changes = repair.repair_round(event, plan, state.round_no, now)
    audit.record("live.round_started", actor=actor, target=f"event:{event.id}", event_id=event.id,
                 round=state.round_no, repaired=len(changes))
    return state


def pause_round(event: Event, now: datetime, actor: str) -> LiveState:
    state = state_for_update(event)
    if state.status != RoundStatus.RUNNING:
        raise DomainError("Only a running round can be paused.", "not_running", 409)
    state.status, state.paused_at = RoundStatus.PAUSED.value, now
    state.touch()
    db.session.flush()
    return state


def resume_round(event: Event, now: datetime, actor: str) -> LiveState:
    state = state_for_update(event)
    if state.status != RoundStatus.PAUSED:
        raise DomainError("The round is not paused.", "not_paused", 409)
    _unpause(state, now)
    state.status = RoundStatus.RUNNING.value
    state.touch()
    db.session.flush()
    return state


def _unpause(state: LiveState, now: datetime) -> None:
    if state.paused_at is not None:
        state.paused_seconds += int(round((now - state.paused_at).total_seconds()))
        state.paused_at = None


def end_round(event: Event, now: datetime, actor: str) -> LiveState:
    """End the round that is on; guests can then say whether their conversation happened."""
    state = state_for_update(event)
    if not state.in_round:
        raise DomainError("No round is on.", "not_running", 409)
    _finish(event, state, now)
    audit.record("live.round_ended", actor=actor, target=f"event:{event.id}", event_id=event.id, round=state.round_no)
    return state


def _finish(event: Event, state: LiveState, now: datetime) -> None:
    _unpause(state, now)
    state.status, state.ended_at = RoundStatus.ENDED.value, now
    state.touch()
    plan = db.session.scalars(select(Plan).where(Plan.event_id == event.id)).first()
    if plan is not None:
        plan.rounds_held = max(plan.rounds_held or 0, state.round_no)
    db.session.flush()


def round_is_over(state: LiveState | None, round_no: int, now: datetime) -> bool:
    """Whether a round's conversations are over (guests may tap how it went)."""
    if state is None or round_no > state.round_no:
        return False
    if round_no < state.round_no:
        return True
    return state.status == RoundStatus.ENDED or (state.in_round and state.remaining(now) == 0)
