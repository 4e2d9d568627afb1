"""The mail outbox: every email is written here in the transaction that caused it."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventkit.db import UTCDateTime, db, utcnow


class MailStatus(StrEnum):
    #: waiting for `next_attempt_at` (new, or retrying after a temporary failure)
    PENDING = "pending"
    #: claimed by a sender until `claimed_until`
    SENDING = "sending"
    SENT = "sent"
    #: refused for good (5xx) or out of attempts; `last_error` says why
    FAILED = "failed"


class OutboundEmail(db.Model):
    __tablename__ = "outbound_email"
    __table_args__ = (Index("ix_outbound_email_status_next_attempt_at", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), index=True)
    to_email: Mapped[str] = mapped_column(String(254))
    to_name: Mapped[str] = mapped_column(String(120), default="")
    subject: Mapped[str] = mapped_column(String(250))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    #: "invitation", "reminder", ...
    purpose: Mapped[str] = mapped_column(String(40))
    #: an `eventkit.mail.kinds.EmailKind`: decides the headers (List-Unsubscribe, Auto-Submitted, Reply-To)
    kind: Mapped[str] = mapped_column(String(40), default="notice")
    #: where replies go ("" = no Reply-To); fixed when queued
    reply_to: Mapped[str] = mapped_column(String(254), default="")
    #: the one-click unsubscribe URL (purpose-bound token, gives no session) for kinds a guest can stop
    unsubscribe_url: Mapped[str] = mapped_column(Text, default="")
    #: what the organiser's outbox calls it within its purpose, e.g. "followup_overdue" (the purpose if none)
    label: Mapped[str] = mapped_column(String(40), default="", index=True)
    #: the same message is never queued twice: e.g. "invitation:attendee:12:token:ab12"
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=MailStatus.PENDING)
    #: delivery attempts so far (counted when a sender claims the message)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: a sender's claim on the message while it delivers it
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the latest failure as the mail server worded it (kept after a retry, cleared once sent)
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the receiving server refused it for good (a 5xx reply): a hard bounce
    bounced_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attachments: Mapped[list["OutboundAttachment"]] = relationship(
        back_populates="email", cascade="all, delete-orphan", passive_deletes=True, order_by="OutboundAttachment.id"
    )


class OutboundAttachment(db.Model):
    __tablename__ = "outbound_attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_id: Mapped[int] = mapped_column(ForeignKey("outbound_email.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    mimetype: Mapped[str] = mapped_column(String(100))
    #: the file; None until the sender has made it with `producer` (then kept, so a retry sends the same file)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)
    #: a producer registered with `eventkit.mail.producers.register_producer` (e.g. "briefing"), or None
    producer: Mapped[str | None] = mapped_column(String(40))
    #: what the producer needs, as plain JSON (e.g. {"attendee_id": 12, "paper": "a4"})
    producer_args: Mapped[dict | None] = mapped_column(JSON)

    email: Mapped[OutboundEmail] = relationship(back_populates="attachments")
