"""The one entry into the outbox (`queue_email`) and the organiser's view of it."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask import current_app, render_template
from sqlalchemy import func, insert, select, update

from eventkit import audit
from eventkit.db import db, insert_ignore, insert_new_rows, utcnow
from eventkit.errors import DomainError, NotFound
from eventkit.mail.delivery import DeliveryError, one_line, parse_address
from eventkit.mail.limits import check_sender
from eventkit.mail.headers import queued_fields, reply_to_for
from eventkit.mail.kinds import kind_of, rule_for
from eventkit.mail.models import MailStatus, OutboundAttachment, OutboundEmail
from eventkit.mail.preferences import opted_out

__all__ = ["Attachment", "Draft", "bounce_counts", "one_line", "queue_email", "queue_emails", "render_message",
           "render_rows",
           "outbox_counts", "retry_failed"]

DEDUPE_KEY_LENGTH = 200


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message: its bytes now, or a producer that makes them when the message is sent."""

    filename: str
    mimetype: str
    content: bytes | None = None
    #: instead of `content`: a producer registered with `eventkit.mail.producers.register_producer`
    producer: str | None = None
    #: what that producer needs, as plain JSON
    producer_args: dict | None = None

    def __post_init__(self):
        if (self.content is None) == (self.producer is None):
            raise ValueError(f"Attachment {self.filename!r} needs either content or a producer, not both.")

    @classmethod
    def made_when_sent(cls, filename: str, mimetype: str, producer: str, **args) -> Attachment:
        """An attachment the sender asks `producer` to make (with `args`) just before delivering it."""
        return cls(filename, mimetype, producer=producer, producer_args=args)

    def row(self, email_id: int) -> dict:
        return {"email_id": email_id, "filename": self.filename, "mimetype": self.mimetype,
                "content": self.content, "producer": self.producer, "producer_args": self.producer_args}


@dataclass(frozen=True)
class Draft:
    """One message for `queue_emails`: its recipient, dedupe key, attachments and own template context."""

    to_email: str
    to_name: str
    dedupe_key: str
    attachments: tuple[Attachment, ...] = ()
    context: dict = field(default_factory=dict)
    #: the recipient's guest row: needed for kinds a guest can stop (their unsubscribe link)
    recipient_id: int | None = None


def render_message(template: str, **context) -> tuple[str, str, str]:
    """Render `mail/<template>.txt` and `.html`; the subject is `{% set subject = ... %}` in the .txt."""
    text_template = current_app.jinja_env.get_template(f"mail/{template}.txt")
    module = text_template.make_module(context)
    subject = one_line(getattr(module, "subject", "")) or "A message from eventkit"
    html = render_template(f"mail/{template}.html", **{**context, "subject": subject})
    return subject, str(module).strip() + "\n", html


def render_rows(drafts: list[Draft], *, template: str, purpose: str, event_id: int | None, now: datetime,
                **context) -> list[dict]:
    """The outbox rows of many messages, rendered before any write (DomainError for a bad address).

    Straight from Jinja, without Flask's per-render context processors and signals, which dominate
    when thousands are rendered at once (a guest-list import). The caller inserts the rows.
    """
    env = current_app.jinja_env
    text_template, html_template = env.get_template(f"mail/{template}.txt"), env.get_template(f"mail/{template}.html")
    rows = []
    for draft in drafts:
        address, to_name = check_recipient(draft.to_email), one_line(draft.to_name)[:120]
        values = {**context, **draft.context, "to_name": to_name, "now": now}
        module = text_template.make_module(values)
        subject = one_line(getattr(module, "subject", "")) or "A message from eventkit"
        rows.append({
            "to_email": address, "to_name": to_name, "subject": subject[:250], "body_text": str(module).strip() + "\n",
            "body_html": html_template.render(**values, subject=subject), "purpose": purpose[:40],
            "dedupe_key": draft.dedupe_key, "event_id": event_id, "status": MailStatus.PENDING,
            "next_attempt_at": now, "created_at": now,
        })
    return rows


def check_recipient(to_email: str) -> str:
    """The address on one line; DomainError if it is not a single valid address."""
    try:
        return parse_address(to_email).addr_spec
    except DeliveryError as error:
        raise DomainError(error.reason, "invalid_email", 422) from None


def _row(to_email: str, to_name: str, dedupe_key: str, template: str, purpose: str, event_id: int | None,
         now: datetime, context: dict, headers: dict) -> dict:
    """The outbox row of one message, rendered; DomainError if the address is not one valid address.

    `headers` are the `eventkit.mail.headers.queued_fields` of the message; its template gets
    `unsubscribe_url` ("" for transactional mail).
    """
    if not dedupe_key or len(dedupe_key) > DEDUPE_KEY_LENGTH:
        raise ValueError(f"dedupe_key must be 1 to {DEDUPE_KEY_LENGTH} characters: {dedupe_key!r}")
    address = check_recipient(to_email)
    to_name = one_line(to_name)[:120]
    subject, text, html = render_message(template, to_name=to_name, now=now,
                                         unsubscribe_url=headers["unsubscribe_url"], **context)
    return {
        **headers,
        "to_email": address,
        "to_name": to_name,
        "subject": subject[:250],
        "body_text": text,
        "body_html": html,
        "purpose": purpose[:40],
        "dedupe_key": dedupe_key,
        "event_id": event_id,
        "status": MailStatus.PENDING,
        "next_attempt_at": now,
        "created_at": now,
    }


def queue_email(
    *,
    to_email: str,
    to_name: str = "",
    template: str,
    purpose: str,
    dedupe_key: str,
    event_id: int | None = None,
    attachments: tuple[Attachment, ...] = (),
    now: datetime | None = None,
    kind: str | None = None,
    recipient_id: int | None = None,
    **context,
) -> OutboundEmail | None:
    """Queue one email in the current transaction; None if `dedupe_key` was queued before.

    `kind` (an `EmailKind`; default: the one named like `purpose`) decides the headers. For a kind
    a guest can stop, `recipient_id` is their guest row, and None is returned if they stopped it.
    Raises DomainError (before writing) if `to_email` is not one valid address. Names and the
    subject are collapsed to one line, so they can never add a header.
    """
    now = now or utcnow()
    kind = kind_of(kind or purpose)
    topic = rule_for(kind).topic
    if topic is not None and recipient_id is not None and opted_out([recipient_id], topic):
        return None
    headers = queued_fields(kind, event_id, recipient_id, now, current_app.config)
    values = _row(to_email, to_name, dedupe_key, template, purpose, event_id, now, context, headers)
    check_sender(event_id, [values["to_email"]], values["created_at"])
    email_id = insert_ignore(OutboundEmail, values, ["dedupe_key"])
    if email_id is None:
        return None
    email = db.session.get_one(OutboundEmail, email_id)
    db.session.add_all(OutboundAttachment(**item.row(email.id)) for item in attachments)
    db.session.flush()
    return email


def queue_emails(drafts: list[Draft], *, template: str, purpose: str, event_id: int | None = None,
                 now: datetime | None = None, kind: str | None = None, **context) -> int:
    """Queue many emails with two INSERTs whatever their number; how many were new.

    The rules of `queue_email`: every address is checked before anything is written (DomainError),
    a dedupe key queued before is skipped, and so is a guest who stopped the kind's topic. Each
    draft's `context` adds to the shared `context`.
    """
    now = now or utcnow()
    kind = kind_of(kind or purpose)
    topic = rule_for(kind).topic
    if topic is not None:
        stopped = opted_out([d.recipient_id for d in drafts if d.recipient_id is not None], topic)
        drafts = [d for d in drafts if d.recipient_id not in stopped]
    reply_to = reply_to_for(kind, event_id, current_app.config)
    rows = [_row(d.to_email, d.to_name, d.dedupe_key, template, purpose, event_id, now, {**context, **d.context},
                 queued_fields(kind, event_id, d.recipient_id, now, current_app.config, reply_to=reply_to))
            for d in drafts]
    check_sender(event_id, [row["to_email"] for row in rows], now)
    inserted = dict(insert_new_rows(OutboundEmail, rows, ["dedupe_key"], OutboundEmail.dedupe_key, OutboundEmail.id))
    attachments = [item.row(inserted[d.dedupe_key]) for d in drafts if d.dedupe_key in inserted for item in d.attachments]
    if attachments:
        db.session.execute(insert(OutboundAttachment), attachments)
    return len(inserted)


def outbox_counts(event_id: int, purpose: str | None = None, since: datetime | None = None) -> dict[str, int]:
    """How many of the event's messages are in each status (every status present, 0 if none).

    Optionally only one `purpose`, and only messages queued at or after `since`.
    """
    query = select(OutboundEmail.status, func.count()).where(OutboundEmail.event_id == event_id)
    if purpose is not None:
        query = query.where(OutboundEmail.purpose == purpose)
    if since is not None:
        query = query.where(OutboundEmail.created_at >= since)
    rows = db.session.execute(query.group_by(OutboundEmail.status))
    counts = {status.value: 0 for status in MailStatus}
    counts.update({status: count for status, count in rows})
    return counts


def bounce_counts(event_id: int) -> dict[str, int]:
    """Per kind of email, how many of the event's messages a mail server refused for good (hard bounces)."""
    rows = db.session.execute(select(OutboundEmail.kind, func.count()).where(
        OutboundEmail.event_id == event_id, OutboundEmail.bounced_at.is_not(None)).group_by(OutboundEmail.kind))
    return {kind: count for kind, count in sorted(rows)}


def outbox_query(event_id: int, status: str | None = None):
    """The event's messages, newest first, without their bodies (for the list page)."""
    query = (
        select(OutboundEmail)
        .where(OutboundEmail.event_id == event_id)
        .order_by(OutboundEmail.created_at.desc(), OutboundEmail.id.desc())
    )
    if status:
        query = query.where(OutboundEmail.status == status)
    return query


def get_event_email(event_id: int, email_id: int) -> OutboundEmail:
    """One message of this event; NotFound if it does not exist or belongs to another event."""
    email = db.session.get(OutboundEmail, email_id)
    if email is None or email.event_id != event_id:
        raise NotFound("This message is not in this gathering's outbox.", "not_found")
    return email


def retry_failed(event_id: int, email_id: int, now: datetime, actor: str = "system") -> OutboundEmail:
    """Put a failed message back in the queue with a fresh set of attempts.

    Raises NotFound for another event's message and DomainError (409) unless it is failed, so a
    sent message is never sent again.
    """
    email = get_event_email(event_id, email_id)
    result = db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == email.id, OutboundEmail.status == MailStatus.FAILED)
        .values(status=MailStatus.PENDING, attempts=0, next_attempt_at=now, claimed_by=None, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise DomainError(
            f"Only failed messages can be retried; this one is {email.status}.", "not_failed", 409
        )
    audit.record("mail.retry", actor=actor, target=f"outbound_email:{email.id}", event_id=event_id,
                 previous_error=email.last_error[:500])
    db.session.refresh(email)
    return email
