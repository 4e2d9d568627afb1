"""Which outbox messages a sender may take, and taking them.

Claiming is one atomic UPDATE (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the sender's
transaction starts with BEGIN IMMEDIATE) that marks the batch `sending` under a lease, so two
senders never hold the same message. A sender that dies leaves its messages `sending` until the
lease runs out; the next sender then takes them over, so nothing is lost.

Messages of a gathering still in draft are held: they stay pending, and go once it is opened.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, exists, func, or_, select, update
from sqlalchemy.orm import selectinload

from eventkit.db import db
from eventkit.events.models import Event, EventStatus
from eventkit.mail.models import MailStatus, OutboundAttachment, OutboundEmail

#: attempts before a temporarily failing message is given up (12 spans about 20 hours)
DEFAULT_MAX_ATTEMPTS = 12
#: time a sender may spend on one message before its claim may be taken over
MIN_LEASE = timedelta(minutes=5)


def max_attempts() -> int:
    return int(current_app.config.get("MAIL_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def lease_for(batch_size: int) -> timedelta:
    """Long enough for a whole batch at the worst SMTP timeouts (connect, TLS, login, data)."""
    timeout = float(current_app.config.get("MAIL_TIMEOUT") or 20)
    return max(MIN_LEASE, timedelta(seconds=timeout * 4 * batch_size) + timedelta(minutes=1))


def held():
    """SQL condition: the message belongs to a gathering still in draft (held until it opens)."""
    return exists().where(Event.id == OutboundEmail.event_id, Event.status == EventStatus.DRAFT)


def _due(now: datetime):
    """Pending and due (and not held for a draft), or claimed by a sender whose lease ran out."""
    return or_(
        and_(OutboundEmail.status == MailStatus.PENDING, OutboundEmail.next_attempt_at <= now, ~held()),
        and_(OutboundEmail.status == MailStatus.SENDING, OutboundEmail.claimed_until < now),
    )


def held_count(event_id: int) -> int:
    """How many of the gathering's messages wait for it to open (all its pending ones while it is a draft)."""
    return db.session.scalar(select(func.count(OutboundEmail.id)).where(
        OutboundEmail.event_id == event_id, OutboundEmail.status == MailStatus.PENDING, held())) or 0


def count_due(now: datetime) -> tuple[int, int]:
    """How many messages are due, and how many of those still need an attachment made (for progress)."""
    unmade = exists().where(OutboundAttachment.email_id == OutboundEmail.id, OutboundAttachment.content.is_(None))
    row = db.session.execute(
        select(func.count(), func.count().filter(unmade)).select_from(OutboundEmail).where(_due(now))
    ).one()
    return row[0], row[1]


def give_up_abandoned(now: datetime) -> int:
    """Fail messages whose senders kept dying while delivering them (a poison message)."""
    result = db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.status == MailStatus.SENDING,
            OutboundEmail.claimed_until < now,
            OutboundEmail.attempts >= max_attempts(),
        )
        .values(
            status=MailStatus.FAILED,
            claimed_by=None,
            claimed_until=None,
            last_error="Gave up: the sender stopped while delivering this message too many times.",
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def claim_batch(sender_id: str, now: datetime, limit: int, lease: timedelta) -> list[int]:
    """Atomically mark up to `limit` due messages as `sending` for this sender; their ids.

    The attempt is counted here, so a message that crashes every sender still runs out of tries.
    """
    # A MATERIALIZED CTE runs the locking, limited SELECT exactly once: as a plain IN (subquery)
    # PostgreSQL may rescan it per row and so claim more than `limit` rows.
    picked = (
        select(OutboundEmail.id)
        .where(_due(now))
        .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
        .cte("picked")
        .prefix_with("MATERIALIZED", dialect="postgresql")
    )
    result = db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id.in_(select(picked.c.id)), _due(now))
        .values(
            status=MailStatus.SENDING,
            claimed_by=sender_id,
            claimed_until=now + lease,
            attempts=OutboundEmail.attempts + 1,
        )
        .returning(OutboundEmail.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(result.scalars())


def load_claimed(ids: list[int]) -> list[OutboundEmail]:
    """The claimed rows with their attachments, in claiming order."""
    if not ids:
        return []
    query = (
        select(OutboundEmail)
        .where(OutboundEmail.id.in_(ids))
        .options(selectinload(OutboundEmail.attachments))
        .order_by(OutboundEmail.next_attempt_at, OutboundEmail.id)
    )
    return list(db.session.scalars(query))
