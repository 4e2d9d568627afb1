"""The outbox sender: claim due messages, deliver them, record each result.

Claiming is one atomic UPDATE (PostgreSQL: `FOR UPDATE SKIP LOCKED`; SQLite: the sender's
transaction starts with BEGIN IMMEDIATE) that marks the batch `sending` under a lease, then
commits, so two senders never hold the same message. Delivery happens outside any transaction.
A sender that dies leaves its messages `sending` until the lease runs out; the next sender then
takes them over, so nothing is lost.

`send_due` runs its own transactions, like a CLI command: never call it inside a request.
"""
from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import selectinload

from eventkit.db import db, utcnow
from eventkit.mail.delivery import ConnectionFailure, DeliveryError, PermanentFailure, build_message, transport_for
from eventkit.mail.models import MailStatus, OutboundEmail

log = logging.getLogger(__name__)

BATCH_SIZE = 20
#: attempts before a temporarily failing message is given up (12 spans about 20 hours)
DEFAULT_MAX_ATTEMPTS = 12
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
#: time a sender may spend on one message before its claim may be taken over
MIN_LEASE = timedelta(minutes=5)


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed

    def add(self, other: SendReport) -> None:
        self.sent += other.sent
        self.retrying += other.retrying
        self.failed += other.failed
        self.skipped += other.skipped
        self.errors.extend(other.errors)

    def summary(self) -> str:
        return f"{self.sent} sent, {self.retrying} to retry, {self.failed} failed."


def new_sender_id() -> str:
    """A random name for one sender run, written into the messages it claims."""
    return f"sender-{secrets.token_hex(8)}"


def retry_delay(attempts: int) -> timedelta:
    """1, 2, 4, 8 ... minutes after the 1st, 2nd, 3rd ... failed attempt, at most 6 hours."""
    exponent = max(attempts - 1, 0)
    if exponent > 20:
        return MAX_RETRY
    return min(FIRST_RETRY * (2**exponent), MAX_RETRY)


def max_attempts() -> int:
    return int(current_app.config.get("MAIL_MAX_ATTEMPTS", DEFAULT_MAX_ATTEMPTS))


def lease_for(batch_size: int) -> timedelta:
    """Long enough for a whole batch at the worst SMTP timeouts (connect, TLS, login, data)."""
    timeout = float(current_app.config.get("MAIL_TIMEOUT") or 20)
    return max(MIN_LEASE, timedelta(seconds=timeout * 4 * batch_size) + timedelta(minutes=1))


def _due(now: datetime):
    """Pending and due, or claimed by a sender whose lease ran out."""
    return or_(
        and_(OutboundEmail.status == MailStatus.PENDING, OutboundEmail.next_attempt_at <= now),
        and_(OutboundEmail.status == MailStatus.SENDING, OutboundEmail.claimed_until < now),
    )


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


def _record(email_id: int, sender_id: str, **values) -> bool:
    """Write a result, only if this sender still holds the claim."""
    result = db.session.execute(
        update(OutboundEmail)
        .where(
            OutboundEmail.id == email_id,
            OutboundEmail.claimed_by == sender_id,
            OutboundEmail.status == MailStatus.SENDING,
        )
        .values(claimed_by=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount == 0:
        log.warning("outbox: message %s was taken over by another sender before its result was saved", email_id)
    return result.rowcount == 1


def record_sent(email_id: int, sender_id: str, now: datetime) -> bool:
    return _record(email_id, sender_id, status=MailStatus.SENT, sent_at=now, last_error="")


def record_failure(email: OutboundEmail, sender_id: str, error: DeliveryError, now: datetime) -> str:
    """Back to pending with a later `next_attempt_at`, or failed; the status written."""
    if not error.temporary:
        _record(email.id, sender_id, status=MailStatus.FAILED, last_error=error.reason)
        return MailStatus.FAILED
    if email.attempts >= max_attempts():
        reason = f"Gave up after {email.attempts} attempts. Last error: {error.reason}"
        _record(email.id, sender_id, status=MailStatus.FAILED, last_error=reason)
        return MailStatus.FAILED
    _record(
        email.id,
        sender_id,
        status=MailStatus.PENDING,
        last_error=error.reason,
        next_attempt_at=now + retry_delay(email.attempts),
    )
    return MailStatus.PENDING


def _release(email_id: int, sender_id: str) -> None:
    """Hand back an untried message (the lease is nearly over): not counted as an attempt."""
    _record(email_id, sender_id, status=MailStatus.PENDING, attempts=OutboundEmail.attempts - 1)


def deliver_claimed(emails: list[OutboundEmail], sender_id: str, now: datetime, deadline: float) -> SendReport:
    """Deliver each claimed message and commit its result at once."""
    report = SendReport()
    config = current_app.config
    transport = transport_for(config)
    broken: ConnectionFailure | None = None
    try:
        for email in emails:
            if time.monotonic() > deadline:
                _release(email.id, sender_id)
                db.session.commit()
                report.skipped += 1
                continue
            error = broken or _deliver_one(transport, email, config["MAIL_FROM"], now)
            if isinstance(error, ConnectionFailure):
                broken = error
            _account(report, email, sender_id, error, now)
            db.session.commit()
    finally:
        transport.close()
    return report


def _deliver_one(transport, email: OutboundEmail, mail_from: str, now: datetime) -> DeliveryError | None:
    try:
        message = build_message(email, mail_from, now)
    except DeliveryError as error:
        return error
    except Exception as error:  # noqa: BLE001 - a message that cannot be built must not stop the others
        log.exception("outbox: could not build message %s", email.id)
        return PermanentFailure(f"The message could not be built: {error}")
    try:
        transport.send(email, message)
    except DeliveryError as error:
        return error
    return None


def _account(report: SendReport, email: OutboundEmail, sender_id: str, error: DeliveryError | None,
             now: datetime) -> None:
    if error is None:
        record_sent(email.id, sender_id, now)
        report.sent += 1
        return
    status = record_failure(email, sender_id, error, now)
    log.warning("outbox: message %s to %s %s: %s", email.id, email.to_email,
                "failed" if status == MailStatus.FAILED else "will be retried", error.reason)
    report.errors.append(f"#{email.id} to {email.to_email}: {error.reason}")
    if status == MailStatus.FAILED:
        report.failed += 1
    else:
        report.retrying += 1


def send_batch(sender_id: str, now: datetime, limit: int = BATCH_SIZE) -> SendReport:
    """Claim one batch (committed at once), deliver it, record every result."""
    lease = lease_for(limit)
    give_up_abandoned(now)
    ids = claim_batch(sender_id, now, limit, lease)
    deadline = time.monotonic() + (lease - timedelta(minutes=1)).total_seconds()
    emails = load_claimed(ids)
    db.session.expunge_all()  # keep the loaded rows usable without reloading them after commit
    db.session.commit()  # the claim is visible; delivery runs outside any transaction
    if not emails:
        return SendReport()
    return deliver_claimed(emails, sender_id, now, deadline)


def send_due(now: datetime | None = None, limit: int | None = None, sender_id: str | None = None) -> SendReport:
    """Send every message due (at most `limit`), batch after batch.

    `now` fixes the time for every batch (tests, replays); without it each batch reads the clock,
    so the leases of a long run stay true.
    """
    sender_id = sender_id or new_sender_id()
    report = SendReport()
    while limit is None or report.handled + report.skipped < limit:
        size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - report.handled - report.skipped)
        batch = send_batch(sender_id, now or utcnow(), size)
        report.add(batch)
        if batch.handled + batch.skipped == 0 or batch.skipped:
            break
    return report
