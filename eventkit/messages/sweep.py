"""Sending scheduled messages when their time comes: exactly once, even with two sweeps at the same time.

A sweep (the worker's periodic task, or `flask eventkit send-messages` from cron) first schedules
each upcoming gathering's automatic day-before reminder (one row per gathering: a unique key),
keeps relative times in step with the gathering's times, and commits that. Then it renders the
emails of every due message in a read-only transaction (80 guests' emails take a good part of a
second: on SQLite that must not hold the write lock the door's check-ins need), and only then, in
one short write transaction, claims the due messages it rendered in one atomic UPDATE
(PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the transaction holds the write lock from BEGIN
IMMEDIATE) and puts their emails in the outbox. A crashed sweep rolls its claim back with the
emails, so the next one sends the message; two sweeps never both claim it (both may render it),
and the outbox's dedupe keys are a second guard. A message that fell due while the others were
rendered waits for the next sweep.
"""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import selectinload

from eventkit.db import db, insert_ignore_many, reading
from eventkit.events.models import Event, EventStatus
from eventkit.messages.models import Message, MessageSettings, MessageStatus, Schedule
from eventkit.messages.services import AUTO_DAY_BEFORE, automatic_day_before, record_delivery, render_delivery

#: gatherings whose automatic messages are scheduled (a draft is not open yet; a finished one is over)
LIVE = (EventStatus.OPEN, EventStatus.CLOSED)


@dataclass(frozen=True)
class SweepReport:
    scheduled: int
    sent: int
    emails: int

    def summary(self) -> str:
        return (f"{self.sent} message(s) sent ({self.emails} email(s) queued), "
                f"{self.scheduled} day-before reminder(s) scheduled")


def new_sweeper_id() -> str:
    return f"sweep-{secrets.token_hex(4)}"


def schedule_automatic(now: datetime) -> int:
    """Schedule the day-before reminder of every live upcoming gathering that has none and wants one."""
    wanted = db.session.scalars(
        select(Event)
        .outerjoin(MessageSettings, MessageSettings.event_id == Event.id)
        .outerjoin(Message, and_(Message.event_id == Event.id, Message.automatic == AUTO_DAY_BEFORE))
        .where(Event.status.in_([str(s) for s in LIVE]), Event.starts_at > now, Message.id.is_(None),
               or_(MessageSettings.event_id.is_(None), MessageSettings.day_before_reminder.is_(True)))
        .order_by(Event.id)).all()
    insert_ignore_many(Message.__table__, [automatic_day_before(event, now) for event in wanted],
                       ["event_id", "automatic"])
    return len(wanted)


def follow_gathering_times(now: datetime) -> int:
    """Move scheduled relative messages to follow their gathering's (possibly changed) times."""
    rows = db.session.scalars(
        select(Message).where(Message.status == MessageStatus.SCHEDULED,
                              Message.schedule.in_([Schedule.BEFORE_START, Schedule.AFTER_END]))
        .options(selectinload(Message.event)))
    moved = 0
    for message in rows:
        when = message.time_for(message.event, now)
        if when != message.send_at:
            message.send_at = when
            moved += 1
    db.session.flush()
    return moved


def miss_stale(now: datetime) -> int:
    """Mark scheduled messages meant for before the start as missed once the gathering has started."""
    started = select(Event.id).where(Event.starts_at <= now)
    result = db.session.execute(
        update(Message)
        .where(Message.status == MessageStatus.SCHEDULED, Message.schedule == Schedule.BEFORE_START,
               Message.send_at <= now, Message.event_id.in_(started))
        .values(status=MessageStatus.MISSED, updated_at=now)
        .execution_options(synchronize_session=False))
    return result.rowcount


def _due(now: datetime, limit: int):
    """The scheduled messages due at `now` (of gatherings out of draft), oldest first."""
    return (select(Message)
            .join(Event, Event.id == Message.event_id)
            .where(Message.status == MessageStatus.SCHEDULED, Message.send_at <= now, Event.status != EventStatus.DRAFT)
            .order_by(Message.send_at, Message.id)
            .limit(limit))


def claim_due(sweeper: str, now: datetime, limit: int = 50, among: list[int] | None = None) -> list[int]:
    """Atomically mark up to `limit` due scheduled messages (of the ids `among`, if given) as sent by
    this sweep; their ids."""
    picked = _due(now, limit).with_only_columns(Message.id)
    if among is not None:
        picked = picked.where(Message.id.in_(among))
    picked = picked.with_for_update(of=Message, skip_locked=True).cte("picked").prefix_with("MATERIALIZED",
                                                                                           dialect="postgresql")
    result = db.session.execute(
        update(Message)
        .where(Message.id.in_(select(picked.c.id)), Message.status == MessageStatus.SCHEDULED)
        .values(status=MessageStatus.SENT, sent_by=sweeper, sent_at=now)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


def sweep(now: datetime, sweeper: str | None = None, limit: int = 50) -> SweepReport:
    """One sweep: schedule and follow times (committed), render what is due (reading only), then claim
    and queue in the caller's transaction (the caller commits). Runs its own transactions, like
    `eventkit.mail.sender.send_due`: call it with nothing unsaved, never inside a request."""
    sweeper = sweeper or new_sweeper_id()
    scheduled = schedule_automatic(now)
    follow_gathering_times(now)
    miss_stale(now)
    db.session.commit()
    with reading():
        rendered = {message.id: render_delivery(message, now) for message in db.session.scalars(_due(now, limit))}
    ids = claim_due(sweeper, now, limit, among=sorted(rendered)) if rendered else []
    queued = 0
    for message in db.session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id)
                                      .execution_options(populate_existing=True)):
        queued += record_delivery(message, rendered[message.id])
    return SweepReport(scheduled, len(ids), queued)
