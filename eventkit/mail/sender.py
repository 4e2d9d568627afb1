"""The outbox sender: claim due messages, make their missing attachments and links, deliver, record each result.

The claim (`eventkit.mail.claims`) is committed at once; attachments queued to be made at send
time are made next (`eventkit.mail.producers`), then the guests' links (`eventkit.mail.links`),
which go into the message handed over and never into the stored row; delivery happens outside
any transaction. Once a message is sent, the attachments made for it are deleted (they may carry
a guest's private notes); a sent message is never sent again.

`send_due` runs its own transactions, like a CLI command: never call it inside a request.
"""
from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import update

from eventkit.db import db, reading, utcnow
from eventkit.mail.claims import claim_batch, give_up_abandoned, lease_for, load_claimed, max_attempts
from eventkit.mail.delivery import (
    Bounce,
    ConnectionFailure,
    DeliveryError,
    PermanentFailure,
    build_message,
    transport_for,
)
from eventkit.mail.headers import extra_headers
from eventkit.mail.links import make_links
from eventkit.mail.models import MailStatus, OutboundAttachment, OutboundEmail
from eventkit.mail.producers import produce_missing
from eventkit.signals import mail_bounced, mail_delivered

__all__ = ["SendReport", "claim_batch", "new_sender_id", "retry_delay", "send_batch", "send_due"]

log = logging.getLogger(__name__)

BATCH_SIZE = 20
FIRST_RETRY = timedelta(minutes=1)
MAX_RETRY = timedelta(hours=6)
#: called with 1 after each message a run has dealt with (sent, failed, retried or handed back)
Progress = Callable[[int], None]


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
    """Mark the message sent and delete the files made for it at send time."""
    recorded = _record(email_id, sender_id, status=MailStatus.SENT, sent_at=now, last_error="")
    if recorded:
        db.session.execute(
            update(OutboundAttachment)
            .where(OutboundAttachment.email_id == email_id, OutboundAttachment.producer.is_not(None))
            .values(content=None)
            .execution_options(synchronize_session=False)
        )
    return recorded


def record_failure(email: OutboundEmail, sender_id: str, error: DeliveryError, now: datetime) -> str:
    """Back to pending with a later `next_attempt_at`, or failed; the status written."""
    if isinstance(error, Bounce):
        if _record(email.id, sender_id, status=MailStatus.FAILED, last_error=error.reason, bounced_at=now):
            mail_bounced.send(email, reason=error.reason, now=now)
        return MailStatus.FAILED
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


def deliver_claimed(emails: list[OutboundEmail], sender_id: str, now: datetime, deadline: float,
                    progress: Progress | None = None) -> SendReport:
    """Make missing attachments, deliver each claimed message and commit its result at once."""
    report = SendReport()
    config = current_app.config
    unmade = produce_missing(emails, deadline)
    urls, unlinked = make_links(emails, now)
    db.session.commit()  # the links' rows exist before any message carrying them leaves
    transport = transport_for(config)
    broken: ConnectionFailure | None = None
    try:
        for email in emails:
            if time.monotonic() > deadline:
                _release(email.id, sender_id)
                report.skipped += 1
            else:
                error = (unmade.get(email.id) or unlinked.get(email.id) or broken
                         or _deliver_one(transport, email, config, now, urls[email.id]))
                if isinstance(error, ConnectionFailure):
                    broken = error
                _account(report, email, sender_id, error, now)
            db.session.commit()
            if progress:
                progress(1)
    finally:
        transport.close()
    return report


def _deliver_one(transport, email: OutboundEmail, config, now: datetime,
                 links: dict[str, str]) -> DeliveryError | None:
    try:
        headers = extra_headers(email.kind, email.reply_to, email.unsubscribe_url, config)
        message = build_message(email, config["MAIL_FROM"], now, links, headers)
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
        if record_sent(email.id, sender_id, now):
            mail_delivered.send(email, now=now)
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


def send_batch(sender_id: str, now: datetime, limit: int = BATCH_SIZE, progress: Progress | None = None) -> SendReport:
    """Claim one batch (committed at once), deliver it, record every result."""
    lease = lease_for(limit)
    give_up_abandoned(now)
    ids = claim_batch(sender_id, now, limit, lease)
    deadline = time.monotonic() + (lease - timedelta(minutes=1)).total_seconds()
    db.session.commit()  # the claim is visible; the rows (attachments and all) are read without the write lock
    if not ids:
        return SendReport()
    with reading():
        emails = load_claimed(ids)
        db.session.expunge_all()  # keep the loaded rows usable without reloading them; delivery runs outside any transaction
    return deliver_claimed(emails, sender_id, now, deadline, progress)


def send_due(now: datetime | None = None, limit: int | None = None, sender_id: str | None = None,
             progress: Progress | None = None) -> SendReport:
    """Send every message due (at most `limit`), batch after batch.

    `now` fixes the time for every batch (tests, replays); without it each batch reads the clock,
    so the leases of a long run stay true. `progress` is called after each message.
    """
    sender_id = sender_id or new_sender_id()
    report = SendReport()
    while limit is None or report.handled + report.skipped < limit:
        size = BATCH_SIZE if limit is None else min(BATCH_SIZE, limit - report.handled - report.skipped)
        batch = send_batch(sender_id, now or utcnow(), size, progress)
        report.add(batch)
        if batch.handled + batch.skipped == 0 or batch.skipped:
            break
    return report
