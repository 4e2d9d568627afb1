"""The follow-up rhythm: the next check-in counts from the last action; snooze; dormant connections.

- After an action (by either side) every open task of the connection closes: the actor's due one
  as "done", the rest as "moved"; each side then gets one check-in at `now + interval`, where the
  interval is the gathering's cadence step for the connection's n-th action (7, 30, 90, 90, ...
  days by default). A deepened connection instead gets each side's stay-in-touch rhythm
  (quarterly by default; 0 means no check-in for that side).
- A connection that had follow-up becomes dormant once nobody acted for the final interval after
  its next check-in fell due (`quiet_after`): its tasks close and no more mail is sent. An action
  revives it.
- A snoozed task moves to the snooze date and comes back there (one reminder) exactly once.

Every function that depends on time takes `now`. Nothing here commits.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import and_, bindparam, select, update

from eventkit.attendees.models import Attendee
from eventkit.db import db, insert_ignore_many
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event
from eventkit.followup.models import (
    DEFAULT_RHYTHM_DAYS,
    RHYTHMS,
    SNOOZE_MAX_DAYS,
    Connection,
    ConnectionLink,
    FollowUpTask,
    Stage,
    TaskKind,
)

#: named snoozes offered in emails and on the page
SNOOZES = {"week": timedelta(days=7), "month": timedelta(days=30)}
#: the local hour a task snoozed "until a date" comes back
SNOOZE_HOUR = 9
DEFAULT_CADENCE = (7, 30, 90)


def cadence_of(event: Event) -> list[int]:
    return event.cadence_days or list(DEFAULT_CADENCE)


def interval_after(event: Event, actions: int) -> timedelta:
    """The interval to the next check-in after the connection's `actions`-th recorded action."""
    cadence = cadence_of(event)
    return timedelta(days=cadence[min(max(actions, 1) - 1, len(cadence) - 1)])


def final_interval(event: Event) -> timedelta:
    return timedelta(days=cadence_of(event)[-1])


def latest_link(connection: Connection) -> ConnectionLink | None:
    """The link of the latest gathering where the two met (its attendees own the next check-ins)."""
    return db.session.scalars(
        select(ConnectionLink).join(Event, Event.id == ConnectionLink.event_id)
        .where(ConnectionLink.connection_id == connection.id)
        .order_by(Event.starts_at.desc(), ConnectionLink.id.desc()).limit(1)
    ).first()


def reschedule(connection: Connection, actor_person_id: int, actions: int, now: datetime) -> None:
    """After an action at `now`: close every open task of the connection, schedule both sides' next check-in."""
    mine = select(Attendee.id).where(Attendee.person_id == actor_person_id)
    open_tasks = and_(FollowUpTask.connection_id == connection.id, FollowUpTask.done_at.is_(None))
    closed = db.session.execute(
        update(FollowUpTask).where(open_tasks, FollowUpTask.owner_id.in_(mine), FollowUpTask.due_at <= now)
        .values(done_at=now, outcome="done")
    ).rowcount
    if closed == 0:  # acted ahead of time: their next task counts as done
        next_id = db.session.scalars(select(FollowUpTask.id).where(open_tasks, FollowUpTask.owner_id.in_(mine))
                                     .order_by(FollowUpTask.due_at).limit(1)).first()
        if next_id is not None:
            db.session.execute(update(FollowUpTask).where(FollowUpTask.id == next_id).values(done_at=now, outcome="done"))
    db.session.execute(update(FollowUpTask).where(open_tasks).values(done_at=now, outcome="moved"))
    link = latest_link(connection)
    if link is None:
        return
    event = db.session.get_one(Event, link.event_id)
    sides = ((link.low_attendee_id, link.high_attendee_id, connection.low_person_id),
             (link.high_attendee_id, link.low_attendee_id, connection.high_person_id))
    tasks = []
    if connection.stage == Stage.DEEPENED:
        connection.quiet_after = None
        for owner, counterpart, person_id in sides:
            days = connection.rhythm_days(person_id)
            if days:
                tasks.append(_task(connection, event, owner, counterpart, TaskKind.STAY, now + timedelta(days=days)))
    else:
        due = now + interval_after(event, actions)
        connection.quiet_after = due + final_interval(event)
        tasks = [_task(connection, event, owner, counterpart, TaskKind.CHECKIN, due) for owner, counterpart, _p in sides]
    insert_ignore_many(FollowUpTask, tasks, ["connection_id", "owner_id", "due_at"])


def _task(connection: Connection, event: Event, owner: int, counterpart: int, kind: str, due: datetime) -> dict:
    return {"connection_id": connection.id, "event_id": event.id, "owner_id": owner, "counterpart_id": counterpart,
            "kind": kind, "due_at": due, "outcome": "", "snoozes": 0}


def set_rhythm(attendee: Attendee, connection: Connection, days: int, now: datetime) -> None:
    """The guest's stay-in-touch rhythm for a deepened connection; their open check-in moves to match."""
    if days not in RHYTHMS:
        raise DomainError("Choose a rhythm from the list.", "bad_rhythm", 422)
    if connection.stage != Stage.DEEPENED:
        raise DomainError("A stay-in-touch rhythm is for deepened connections.", "not_deepened", 409)
    connection.set_rhythm(attendee.person_id, days)
    mine = select(Attendee.id).where(Attendee.person_id == attendee.person_id)
    open_mine = and_(FollowUpTask.connection_id == connection.id, FollowUpTask.owner_id.in_(mine),
                     FollowUpTask.done_at.is_(None))
    db.session.execute(update(FollowUpTask).where(open_mine).values(done_at=now, outcome="moved"))
    link = latest_link(connection)
    if days and link is not None:
        owner, counterpart = ((link.low_attendee_id, link.high_attendee_id)
                              if attendee.person_id == connection.low_person_id
                              else (link.high_attendee_id, link.low_attendee_id))
        due = connection.quiet_since() + timedelta(days=days)
        insert_ignore_many(FollowUpTask, [_task(connection, db.session.get_one(Event, link.event_id), owner, counterpart,
                                                TaskKind.STAY, max(due, now + timedelta(days=1)))],
                           ["connection_id", "owner_id", "due_at"])
    db.session.flush()


# --- snooze ------------------------------------------------------------------------------------

def own_open_task(attendee: Attendee, task_id: int) -> FollowUpTask:
    """An open task of `attendee`'s person; NotFound otherwise (another guest's task, or closed)."""
    task = db.session.get(FollowUpTask, task_id)
    if task is None or task.done_at is not None or db.session.get_one(Attendee, task.owner_id).person_id != attendee.person_id:
        raise NotFound("No such open follow-up.", "not_found")
    return task


def snooze_until(choice: str, on_date, event: Event, now: datetime) -> datetime:
    """When a snooze of `choice` ("week", "month" or "date" with `on_date`) ends: that day at
    SNOOZE_HOUR in the gathering's time zone. DomainError if out of bounds."""
    zone = ZoneInfo(event.timezone or "UTC")
    if choice in SNOOZES:
        on_date = (now.astimezone(zone) + SNOOZES[choice]).date()
    elif choice != "date" or on_date is None:
        raise DomainError("Choose a week, a month or a date.", "bad_snooze", 422)
    until = datetime.combine(on_date, time(SNOOZE_HOUR), tzinfo=zone).astimezone(timezone.utc)
    if until <= now:
        raise DomainError("Choose a date in the future.", "snooze_past", 422)
    if on_date > now.astimezone(zone).date() + timedelta(days=SNOOZE_MAX_DAYS):
        raise DomainError(f"You can snooze at most {SNOOZE_MAX_DAYS} days ahead.", "snooze_too_far", 422)
    return until


def snooze(attendee: Attendee, task_id: int, until: datetime, now: datetime) -> FollowUpTask:
    """Not now: the task comes back on `until` (at most SNOOZE_MAX_DAYS ahead), once.

    The owner's other open tasks on the connection due before then close as "moved", so nothing
    about this connection reaches them while it is snoozed.
    """
    task = own_open_task(attendee, task_id)
    if task.kind == TaskKind.STAY:
        raise DomainError("This is a stay-in-touch check-in: choose a slower rhythm instead of snoozing it.",
                          "stay_not_snoozable", 409)
    if until <= now or until > now + timedelta(days=SNOOZE_MAX_DAYS, hours=24):
        raise DomainError(f"You can snooze between now and {SNOOZE_MAX_DAYS} days ahead.", "bad_snooze", 422)
    taken = set(db.session.scalars(select(FollowUpTask.due_at).where(
        FollowUpTask.connection_id == task.connection_id, FollowUpTask.owner_id == task.owner_id)))
    while until in taken:  # the (connection, owner, due_at) key stays unique
        until += timedelta(minutes=1)
    db.session.execute(update(FollowUpTask).where(
        FollowUpTask.connection_id == task.connection_id, FollowUpTask.owner_id == task.owner_id,
        FollowUpTask.done_at.is_(None), FollowUpTask.id != task.id, FollowUpTask.due_at <= until,
    ).values(done_at=now, outcome="moved"))
    task.due_at, task.snoozed_until, task.snoozes = until, until, task.snoozes + 1
    connection = db.session.get_one(Connection, task.connection_id)
    if connection.quiet_after is not None:
        event = db.session.get_one(Event, task.event_id)
        connection.quiet_after = max(connection.quiet_after, until + final_interval(event))
    db.session.flush()
    return task


# --- stay in touch ------------------------------------------------------------------------------

def roll_stay_tasks(rows: list[tuple[int, int, int, datetime]], now: datetime) -> None:
    """Move reminded stay-in-touch check-ins on by their owner's rhythm (one executemany).

    `rows` are (task id, connection id, owner's person id, due). The next due date is the first
    one after `now`, so a long pause in sweeps never sends a burst of catch-up reminders.
    """
    if not rows:
        return
    rhythms = {c.id: c for c in db.session.scalars(select(Connection).where(
        Connection.id.in_({connection_id for _t, connection_id, _p, _d in rows})))}
    moves = []
    for task_id, connection_id, person_id, due in rows:
        step = timedelta(days=rhythms[connection_id].rhythm_days(person_id) or DEFAULT_RHYTHM_DAYS)
        moves.append({"task_id": task_id, "next_due": due + step * ((now - due) // step + 1)})
    table = FollowUpTask.__table__
    db.session.execute(update(table).where(table.c.id == bindparam("task_id")).values(due_at=bindparam("next_due")),
                       moves, execution_options={"synchronize_session": False})


# --- dormant -----------------------------------------------------------------------------------

def go_dormant(now: datetime) -> int:
    """Set-based: followed-up connections nobody acted on for the final interval become dormant."""
    quiet = select(Connection.id).where(Connection.stage.in_([Stage.FOLLOWED_UP, Stage.RECIPROCATED]),
                                        Connection.quiet_after <= now)
    result = db.session.execute(update(Connection).where(Connection.id.in_(quiet)).values(
        stage=Stage.DORMANT.value, dormant_at=now), execution_options={"synchronize_session": False})
    db.session.execute(update(FollowUpTask).where(
        FollowUpTask.done_at.is_(None),
        FollowUpTask.connection_id.in_(select(Connection.id).where(Connection.dormant_at == now,
                                                                   Connection.stage == Stage.DORMANT)),
    ).values(done_at=now, outcome="dormant"), execution_options={"synchronize_session": False})
    return result.rowcount
