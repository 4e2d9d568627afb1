"""Follow-up workflows: connections from a finished gathering, recorded actions, fading, the gate.

Every function that depends on time takes `now`. Stages only move here, from recorded actions.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from itertools import combinations

from sqlalchemy import delete, exists, func, select, tuple_, update

from eventkit import audit
from eventkit.attendees.models import Attendee
from eventkit.db import db, insert_ignore_many
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event
from eventkit.followup import rhythm
from eventkit.followup.models import (
    DEEPENING,
    RECORDABLE,
    ActionKind,
    Connection,
    ConnectionLink,
    Encounter,
    FollowUpAction,
    FollowUpTask,
    Stage,
    TaskKind,
)
from eventkit.matching.models import Conversation, ConversationStatus

MAX_NOTE = 1000
FINAL_FADE_REASON = "No follow-up by either side after the final deadline."


# --- connections -------------------------------------------------------------------------------

def planned_pairs(event: Event) -> set[tuple[int, int]]:
    """Attendee-id pairs of planned conversations that happened, between guests who both checked in."""
    checked_in = set(db.session.scalars(
        select(Attendee.id).where(Attendee.event_id == event.id, Attendee.checked_in_at.is_not(None))
    ))
    rows = db.session.execute(
        select(Conversation.a_id, Conversation.b_id, Conversation.c_id).where(
            Conversation.event_id == event.id,
            Conversation.not_held_by_id.is_(None),
            Conversation.status != ConversationStatus.SKIPPED,
        )
    )
    pairs = set()
    for row in rows:
        members = sorted(guest for guest in row if guest is not None and guest in checked_in)
        pairs.update(combinations(members, 2))
    return pairs


def confirmed_encounter_pairs(event: Event) -> set[tuple[int, int]]:
    rows = db.session.execute(
        select(Encounter.logged_by_id, Encounter.other_id).where(
            Encounter.event_id == event.id, Encounter.confirmed_at.is_not(None)
        )
    )
    return {tuple(sorted(row)) for row in rows}


def due_dates(event: Event, now: datetime) -> list[tuple[str, datetime]]:
    """The first deadline and the check-ins of a connection made at `event` (none in the past)."""
    first = event.ends_at + timedelta(hours=event.followup_first_hours)
    if first <= now:  # finished or confirmed late: a fresh first deadline
        first = now + timedelta(hours=event.followup_first_hours)
    dates = [(TaskKind.FIRST.value, first)]
    for days in event.cadence_days:
        due = event.ends_at + timedelta(days=days)
        if due > first:
            dates.append((TaskKind.CHECKIN.value, due))
    return dates


def connect_pairs(event: Event, pairs: set[tuple[int, int]], source: str, now: datetime) -> int:
    """Create (or extend) connections for attendee-id pairs of `event`; set-based. Returns pairs linked."""
    if not pairs:
        return 0
    ids = {guest for pair in pairs for guest in pair}
    person_of = dict(db.session.execute(select(Attendee.id, Attendee.person_id).where(Attendee.id.in_(ids))).all())
    sides = {}
    for x, y in pairs:
        if person_of[x] == person_of[y]:
            continue
        low, high = sorted((x, y), key=lambda guest: person_of[guest])
        sides[(person_of[low], person_of[high])] = (low, high)
    insert_ignore_many(Connection, [
        {"low_person_id": lp, "high_person_id": hp, "origin_event_id": event.id, "stage": Stage.MET.value,
         "created_at": now, "fade_reason": ""} for lp, hp in sides
    ], ["low_person_id", "high_person_id"])
    found = db.session.execute(
        select(Connection.id, Connection.low_person_id, Connection.high_person_id, Connection.stage)
        .where(tuple_(Connection.low_person_id, Connection.high_person_id).in_(list(sides)))
    ).all()
    links, tasks = [], []
    for connection_id, lp, hp, stage in found:
        low, high = sides[(lp, hp)]
        links.append({"connection_id": connection_id, "event_id": event.id, "low_attendee_id": low,
                      "high_attendee_id": high, "source": source, "created_at": now})
        if stage in (Stage.FADED, Stage.DEEPENED):  # closed, or on its own stay-in-touch rhythm
            continue
        for kind, due in due_dates(event, now):
            for owner, counterpart in ((low, high), (high, low)):
                tasks.append({"connection_id": connection_id, "event_id": event.id, "owner_id": owner,
                              "counterpart_id": counterpart, "kind": kind, "due_at": due, "outcome": ""})
    insert_ignore_many(ConnectionLink, links, ["connection_id", "event_id"])
    insert_ignore_many(FollowUpTask, tasks, ["connection_id", "owner_id", "due_at"])
    db.session.flush()
    return len(links)


def create_connections(event: Event, now: datetime) -> int:
    """On finish: planned conversations that happened and confirmed encounters become connections."""
    made = connect_pairs(event, planned_pairs(event), "plan", now)
    made += connect_pairs(event, confirmed_encounter_pairs(event) - planned_pairs(event), "encounter", now)
    audit.record("followup.connections_created", actor="system", target=f"event:{event.id}",
                 event_id=event.id, pairs=made)
    return made


# --- actions and stages ------------------------------------------------------------------------

def connection_for(attendee: Attendee, connection_id: int) -> Connection:
    """The connection if `attendee`'s person is one of its two sides; NotFound otherwise."""
    connection = db.session.get(Connection, connection_id)
    if connection is None or attendee.person_id not in (connection.low_person_id, connection.high_person_id):
        raise NotFound("No such connection.", "not_found")
    return connection


def set_reminders_opt_out(attendee: Attendee, value: bool) -> None:
    """Turn follow-up reminder emails off (True) or on for this person, at every gathering."""
    db.session.execute(update(Attendee).where(Attendee.person_id == attendee.person_id)
                       .values(reminders_opt_out=value))


def task_for(attendee: Attendee, task_id: int | None) -> FollowUpTask:
    """The follow-up task if it is `attendee`'s own; NotFound otherwise."""
    task = db.session.get(FollowUpTask, task_id) if task_id is not None else None
    if task is None or task.owner_id != attendee.id:
        raise NotFound("No such follow-up.", "not_found")
    return task


def _advance(connection: Connection, now: datetime) -> int:
    """Move the stage forward from the recorded history (never backwards, never by hand); how many actions.

    A dormant connection gets its stage back from its history: an action revives it.
    """
    rows = db.session.execute(
        select(FollowUpAction.actor_person_id, FollowUpAction.kind)
        .where(FollowUpAction.connection_id == connection.id, FollowUpAction.kind != ActionKind.FADED)
    ).all()
    actors = {person for person, _kind in rows}
    connection.followed_up_at = connection.followed_up_at or (now if actors else None)
    if len(actors) == 2 and connection.reciprocated_at is None:
        connection.reciprocated_at = now
    if connection.reciprocated_at and connection.deepened_at is None and any(k in DEEPENING for _p, k in rows):
        connection.deepened_at = now
    for stage, reached in ((Stage.DEEPENED, connection.deepened_at), (Stage.RECIPROCATED, connection.reciprocated_at),
                           (Stage.FOLLOWED_UP, connection.followed_up_at)):
        if reached:
            connection.stage = stage.value
            break
    return len(rows)


def _clean_note(note: str | None, required: bool, what: str) -> str:
    note = (note or "").strip()
    if required and len(note) < 3:
        raise DomainError(f"Please write {what} (a few words).", "note_required", 422)
    if len(note) > MAX_NOTE:
        raise DomainError(f"Keep it under {MAX_NOTE} characters.", "note_too_long", 422)
    return note


def record_action(attendee: Attendee, connection_id: int, kind: str, note: str, now: datetime) -> FollowUpAction:
    """Record what `attendee` did for a connection, complete their due task and move the stage.

    Both sides' next check-in then counts from now (`rhythm.reschedule`).
    """
    connection = connection_for(attendee, connection_id)
    if kind not in RECORDABLE:
        raise DomainError("Choose what you did from the list.", "bad_kind", 422)
    if connection.stage == Stage.FADED:
        raise DomainError("This connection was closed as faded; nothing more can be recorded on it.",
                          "connection_faded", 409)
    note = _clean_note(note, False, "a note")
    action = FollowUpAction(connection_id=connection.id, event_id=attendee.event_id, actor_id=attendee.id,
                            actor_person_id=attendee.person_id, kind=kind, note=note, at=now)
    db.session.add(action)
    db.session.flush()
    connection.last_action_at = now
    actions = _advance(connection, now)
    rhythm.reschedule(connection, attendee.person_id, actions, now)
    db.session.flush()
    return action


def close_as_faded(attendee: Attendee, connection_id: int, reason: str, now: datetime) -> FollowUpAction:
    """Close a connection as faded with a reason; every open task on it closes too."""
    connection = connection_for(attendee, connection_id)
    if connection.stage == Stage.FADED:
        raise DomainError("This connection is already closed as faded.", "already_faded", 409)
    reason = _clean_note(reason, True, "a reason")
    action = FollowUpAction(connection_id=connection.id, event_id=attendee.event_id, actor_id=attendee.id,
                            actor_person_id=attendee.person_id, kind=ActionKind.FADED.value, note=reason, at=now)
    db.session.add(action)
    connection.stage, connection.faded_at, connection.fade_reason = Stage.FADED.value, now, reason[:300]
    db.session.execute(
        update(FollowUpTask).where(FollowUpTask.connection_id == connection.id, FollowUpTask.done_at.is_(None))
        .values(done_at=now, outcome="faded")
    )
    db.session.flush()
    return action


def fade_stale(now: datetime) -> int:
    """Set-based: connections nobody acted on after their final deadline become faded."""
    has_future = exists().where(FollowUpTask.connection_id == Connection.id, FollowUpTask.due_at >= now)
    has_tasks = exists().where(FollowUpTask.connection_id == Connection.id)
    stale = select(Connection.id).where(Connection.stage == Stage.MET, has_tasks, ~has_future)
    faded = db.session.execute(update(Connection).where(Connection.id.in_(stale)).values(
        stage=Stage.FADED.value, faded_at=now, fade_reason=FINAL_FADE_REASON), execution_options={"synchronize_session": False})
    db.session.execute(update(FollowUpTask).where(
        FollowUpTask.done_at.is_(None),
        FollowUpTask.connection_id.in_(select(Connection.id).where(Connection.faded_at == now)),
    ).values(done_at=now, outcome="faded"), execution_options={"synchronize_session": False})
    return faded.rowcount


# --- enforcement -------------------------------------------------------------------------------

def blocking_tasks(attendee: Attendee, now: datetime) -> list[FollowUpTask]:
    """Overdue follow-ups from this organiser's earlier gatherings that block `attendee` accepting.

    Stay-in-touch check-ins of deepened connections never block.
    """
    event = db.session.get(Event, attendee.event_id)
    if event is None or not event.followup_blocks_registration:
        return []
    owner = select(Attendee.id).where(Attendee.person_id == attendee.person_id)
    organiser_events = select(Event.id).where(Event.owner_id == event.owner_id, Event.id != event.id)
    return list(db.session.scalars(
        select(FollowUpTask).where(FollowUpTask.owner_id.in_(owner), FollowUpTask.event_id.in_(organiser_events),
                                   FollowUpTask.is_overdue(now))
        .order_by(FollowUpTask.due_at)
    ))


def check_gate(attendee: Attendee, now: datetime) -> None:
    """Refuse acceptance, saying exactly which overdue follow-ups to record first."""
    tasks = blocking_tasks(attendee, now)
    if not tasks:
        return
    items = "; ".join(
        f"{task.counterpart.name} from “{task.counterpart.event.title}” (due {task.due_at:%d %b %Y})" for task in tasks
    )
    raise DomainError(
        f"Before accepting, record your overdue follow-ups with: {items}. "
        "Open your connections page for that gathering to record them.", "followup_overdue", 409)


# --- "didn't happen" ---------------------------------------------------------------------------

def mark_not_held(attendee: Attendee, conversation_id: int, now: datetime) -> Conversation:
    """A guest says a planned conversation didn't happen; no connection comes from it."""
    conversation = db.session.get(Conversation, conversation_id)
    if conversation is None or conversation.event_id != attendee.event_id or attendee.id not in conversation.member_ids:
        raise NotFound("No such conversation.", "not_found")
    if conversation.not_held_by_id is None:
        conversation.not_held_by_id = attendee.id
    _unlink_unacted(attendee, [guest.id for guest in conversation.partners_of(attendee.id)])
    db.session.flush()
    return conversation


def _unlink_unacted(attendee: Attendee, partner_ids: list[int]) -> None:
    """After finish: undo this gathering's link with partners nobody has acted on yet."""
    links = db.session.scalars(select(ConnectionLink).where(
        ConnectionLink.event_id == attendee.event_id, ConnectionLink.source == "plan",
        tuple_(ConnectionLink.low_attendee_id, ConnectionLink.high_attendee_id).in_(
            [(attendee.id, p) for p in partner_ids] + [(p, attendee.id) for p in partner_ids]),
    )).all()
    for link in links:
        if db.session.scalar(select(func.count()).where(FollowUpAction.connection_id == link.connection_id)):
            continue
        db.session.execute(delete(FollowUpTask).where(FollowUpTask.connection_id == link.connection_id,
                                                      FollowUpTask.event_id == link.event_id))
        connection = link.connection
        db.session.delete(link)
        db.session.flush()
        if not db.session.scalar(select(func.count()).where(ConnectionLink.connection_id == connection.id)):
            db.session.delete(connection)
