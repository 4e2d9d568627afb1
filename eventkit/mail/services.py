"""The one door into the outbox and the organiser's view of it.

`queue_email` queues one message; `queue_emails` many with one template; `queue_batch` many
messages of any templates (the follow-up sweep, nudges) with one cached renderer and one
INSERT ... ON CONFLICT DO NOTHING. All three check every recipient and collapse names and
subjects to one line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterable

from flask import current_app, render_template
from sqlalchemy import func, insert, or_, select, update

from eventkit import audit
from eventkit.db import db, insert_ignore, insert_ignore_many, insert_new_rows, utcnow
from eventkit.errors import DomainError, NotFound
from eventkit.mail.delivery import DeliveryError, one_line, parse_address
from eventkit.mail.headers import queued_fields, reply_to_for
from eventkit.mail.kinds import kind_of, rule_for
from eventkit.mail.limits import check_sender
from eventkit.mail.models import MailStatus, OutboundAttachment, OutboundEmail
from eventkit.mail.preferences import opted_out

__all__ = ["Attachment", "Draft", "Message", "Queued", "Renderer", "bounce_counts", "one_line", "queue_batch",
           "queue_email", "queue_emails", "render_message", "render_rows", "outbox_counts", "retry_failed"]

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
    """The outbox rows of many transactional messages, rendered before any write (DomainError for a bad
    address); the caller adds each row's `dedupe_key` and inserts them (a guest-list import, where
    the keys need ids the write makes). Straight from Jinja (`Renderer`).
    """
    render = Renderer()
    headers = queued_fields(kind_of(purpose), event_id, None, now, current_app.config)
    return [_rendered(d.to_email, d.to_name, template, purpose, event_id, now, {**context, **d.context}, headers, "",
                      render) for d in drafts]


class Renderer:
    """Renders many messages: each template is loaded once, and rendered straight from Jinja.

    The result is `render_message`'s, without Flask's per-render context processors and signals
    (which dominate a batch of thousands); mail templates use only their context and the app's
    Jinja globals and filters.
    """

    def __init__(self):
        self.env = current_app.jinja_env
        self.templates: dict[str, tuple] = {}

    def __call__(self, template: str, **context) -> tuple[str, str, str]:
        if template not in self.templates:
            self.templates[template] = (self.env.get_template(f"mail/{template}.txt"),
                                        self.env.get_template(f"mail/{template}.html"))
        text_template, html_template = self.templates[template]
        module = text_template.make_module(context)
        subject = one_line(getattr(module, "subject", "")) or "A message from eventkit"
        return subject, str(module).strip() + "\n", html_template.render({**context, "subject": subject})


@dataclass(frozen=True)
class Message:
    """One message for `queue_batch`: everything `queue_email` takes."""

    to_email: str
    to_name: str
    dedupe_key: str
    template: str
    purpose: str
    #: what the organiser's outbox calls it, e.g. "followup_overdue"; the purpose if empty
    label: str = ""
    event_id: int | None = None
    context: dict = field(default_factory=dict)
    attachments: tuple[Attachment, ...] = ()
    #: an `eventkit.mail.kinds.EmailKind`, which decides the headers; default: the one named like `purpose`
    kind: str | None = None
    #: the recipient's guest row: needed for kinds a guest can stop (skipped if they did; their unsubscribe link)
    recipient_id: int | None = None


def check_recipient(to_email: str) -> str:
    """The address as stored (lower-cased); DomainError if it is not one valid address."""
    try:
        return parse_address(to_email).addr_spec.lower()
    except DeliveryError as error:
        raise DomainError(error.reason, "bad_address", 400) from error


def _row(to_email: str, to_name: str, dedupe_key: str, template: str, purpose: str, event_id: int | None,
         now: datetime, context: dict, headers: dict, label: str = "", render=render_message) -> dict:
    """The outbox row of one message, rendered; DomainError if the address is not one valid address.

    `headers` are the `eventkit.mail.headers.queued_fields` of the message; its template gets
    `unsubscribe_url` ("" for transactional mail).
    """
    if not dedupe_key or len(dedupe_key) > DEDUPE_KEY_LENGTH:
        raise ValueError(f"dedupe_key must be 1 to {DEDUPE_KEY_LENGTH} characters: {dedupe_key!r}")
    return _rendered(to_email, to_name, template, purpose, event_id, now, context, headers, label, render) | {
        "dedupe_key": dedupe_key}


def _rendered(to_email: str, to_name: str, template: str, purpose: str, event_id: int | None, now: datetime,
              context: dict, headers: dict, label: str, render) -> dict:
    """`_row` without its dedupe key."""
    address = check_recipient(to_email)
    to_name = one_line(to_name)[:120]
    subject, text, html = render(template, **{"now": now, **context, "to_name": to_name,
                                              "unsubscribe_url": headers["unsubscribe_url"]})
    return {
        **headers,
        "to_email": address,
        "to_name": to_name,
        "subject": subject[:250],
        "body_text": text,
        "body_html": html,
        "purpose": purpose[:40],
        "label": (label or purpose)[:40],
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
    label: str = "",
    **context,
) -> OutboundEmail | None:
    """Queue one email in the current transaction; None if `dedupe_key` was queued before.

    `kind` (an `EmailKind`; default: the one named like `purpose`) decides the headers. For a kind
    a guest can stop, `recipient_id` is their guest row, and None is returned if they stopped it.
    `label` is what the organiser's outbox calls it (the purpose if empty).
    Raises DomainError (before writing) if `to_email` is not one valid address or the sending
    account may not send (yet). Names and the subject are collapsed to one line, so they can never
    add a header.
    """
    now = now or utcnow()
    kind = kind_of(kind or purpose)
    topic = rule_for(kind).topic
    if topic is not None and recipient_id is not None and opted_out([recipient_id], topic):
        return None
    headers = queued_fields(kind, event_id, recipient_id, now, current_app.config)
    values = _row(to_email, to_name, dedupe_key, template, purpose, event_id, now, context, headers, label)
    check_sender(event_id, [values["to_email"]], values["created_at"])
    email_id = insert_ignore(OutboundEmail, values, ["dedupe_key"])
    if email_id is None:
        return None
    if attachments:
        db.session.execute(insert(OutboundAttachment), [item.row(email_id) for item in attachments])
    email = db.session.get(OutboundEmail, email_id)
    return email


@dataclass(frozen=True)
class Queued:
    #: rows offered to the INSERT (with attachments: rows actually inserted, dedupe keys queued before excluded)
    queued: int
    #: dedupe keys of messages left out because their address is not one valid address
    invalid: list[str]


def queue_emails(drafts: list[Draft], *, template: str, purpose: str, event_id: int | None = None,
                 now: datetime | None = None, kind: str | None = None, label: str = "", **context) -> int:
    """Queue many emails of one template through `queue_batch`; how many were new.

    The rules of `queue_email`: every address is checked before anything is written (DomainError),
    so is the sending account, a dedupe key queued before is skipped, and so is a guest who stopped
    the kind's topic. Each draft's `context` adds to the shared `context`.
    """
    now = now or utcnow()
    addresses = [check_recipient(draft.to_email) for draft in drafts]
    check_sender(event_id, addresses, now)
    messages = [Message(d.to_email, d.to_name, d.dedupe_key, template, purpose, label, event_id,
                        {**context, **d.context}, d.attachments, kind, d.recipient_id) for d in drafts]
    return queue_batch(messages, now).queued


def queue_batch(messages: Iterable[Message], now: datetime, render: Renderer | None = None,
                serializer=None) -> Queued:
    """The outbox's door for many messages of any templates: one cached renderer, one INSERT ... ON CONFLICT.

    Without attachments that INSERT is one executemany, so statements never grow with the number
    of messages (the follow-up sweep relies on it); with attachments it returns the new ids (one
    statement per 100 rows) and their attachments follow in one more. A message whose address is
    not one valid address is left out (its dedupe key is in `invalid`, nothing else changes); a
    dedupe key queued before is skipped, and so is a message of a topic its recipient stopped (one
    query per topic). `serializer` signs the run's unsubscribe links (`eventkit.mail.unsubscribe`).
    It does not apply the new-account mail cap: the system's own mail (the sweep) is not capped.

    `render_batch` and `store_batch` are its two halves, for a caller that renders in a read-only
    transaction and writes later (the message sweep: no write lock while 80 emails render).
    """
    return store_batch(render_batch(messages, now, render, serializer))


@dataclass(frozen=True)
class Rendered:
    """A batch `render_batch` made ready for the outbox: its rows, and what `store_batch` reports."""

    rows: list[dict]
    invalid: list[str]
    kept: list[Message]


def render_batch(messages: Iterable[Message], now: datetime, render: Renderer | None = None,
                 serializer=None) -> Rendered:
    """Everything of `queue_batch` but the writes: reads the opt-outs, renders every message."""
    render = render or Renderer()
    messages = _not_stopped(list(messages))
    reply_tos: dict[tuple, str] = {}
    rows, invalid, keep = [], [], []
    for m in messages:
        kind = kind_of(m.kind or m.purpose)
        if (kind, m.event_id) not in reply_tos:
            reply_tos[(kind, m.event_id)] = reply_to_for(kind, m.event_id, current_app.config)
        headers = queued_fields(kind, m.event_id, m.recipient_id, now, current_app.config, serializer,
                                reply_tos[(kind, m.event_id)])
        try:
            rows.append(_row(m.to_email, m.to_name, m.dedupe_key, m.template, m.purpose, m.event_id, now, m.context,
                             headers, m.label, render))
        except DomainError:
            invalid.append(m.dedupe_key)
        else:
            keep.append(m)
    return Rendered(rows, invalid, keep)


def store_batch(batch: Rendered) -> Queued:
    """Write a rendered batch to the outbox (dedupe keys queued before are skipped)."""
    rows, invalid, keep = batch.rows, batch.invalid, batch.kept
    if not any(m.attachments for m in keep):
        insert_ignore_many(OutboundEmail.__table__, rows, ["dedupe_key"])  # Core: one executemany, whatever is None
        return Queued(len(rows), invalid)
    inserted = dict(insert_new_rows(OutboundEmail, rows, ["dedupe_key"], OutboundEmail.dedupe_key, OutboundEmail.id))
    attachments = [item.row(inserted[m.dedupe_key]) for m in keep if m.dedupe_key in inserted for item in m.attachments]
    if attachments:
        db.session.execute(insert(OutboundAttachment), attachments)
    return Queued(len(inserted), invalid)


def _not_stopped(messages: list[Message]) -> list[Message]:
    """`messages` without those whose recipient stopped their kind's topic."""
    by_topic: dict = {}
    for m in messages:
        topic = rule_for(m.kind or m.purpose).topic
        if topic is not None and m.recipient_id is not None:
            by_topic.setdefault(topic, set()).add(m.recipient_id)
    stopped = {(topic, who) for topic, ids in by_topic.items() for who in opted_out(sorted(ids), topic)}
    return [m for m in messages if (rule_for(m.kind or m.purpose).topic, m.recipient_id) not in stopped]


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


def organiser_mail(event_ids: list[int], address: str):
    """SQL condition: the messages of these gatherings, and every message sent to `address` (digests to
    the organiser, escalations), case-insensitively."""
    return or_(OutboundEmail.event_id.in_(event_ids), func.lower(OutboundEmail.to_email) == address.strip().lower())


def organiser_outbox_query(event_ids: list[int], address: str, status: str | None = None):
    """Every message of the organiser's gatherings and to the organiser, newest first."""
    query = (select(OutboundEmail).where(organiser_mail(event_ids, address))
             .order_by(OutboundEmail.created_at.desc(), OutboundEmail.id.desc()))
    return query.where(OutboundEmail.status == status) if status else query


def organiser_outbox_counts(event_ids: list[int], address: str) -> dict[str, int]:
    rows = db.session.execute(select(OutboundEmail.status, func.count()).where(organiser_mail(event_ids, address))
                              .group_by(OutboundEmail.status))
    counts = {status.value: 0 for status in MailStatus}
    counts.update({status: count for status, count in rows})
    return counts


def get_organiser_email(event_ids: list[int], address: str, email_id: int) -> OutboundEmail:
    """One message of the organiser's outbox; NotFound if it is neither theirs nor of their gatherings."""
    email = db.session.scalars(select(OutboundEmail).where(OutboundEmail.id == email_id,
                                                           organiser_mail(event_ids, address))).first()
    if email is None:
        raise NotFound("This message is not in your outbox.", "not_found")
    return email


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
