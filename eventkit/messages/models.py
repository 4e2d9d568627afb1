"""Messages the organiser writes to a part of the guest list, sent now or when their time comes."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventkit.db import UTCDateTime, db, utcnow
from eventkit.events.models import Event


class MessageStatus(StrEnum):
    #: waiting for `send_at`; editable and cancellable
    SCHEDULED = "scheduled"
    #: its emails are in the outbox (the outbox shows each one's delivery)
    SENT = "sent"
    CANCELLED = "cancelled"
    #: due before the start, but no sweep ran until the gathering had started: never sent
    MISSED = "missed"


class Audience(StrEnum):
    """Who a message goes to; resolved when it is sent (`eventkit.messages.audiences`)."""

    PLACE = "place"
    CHECKED_IN = "checked_in"
    NO_SHOW = "no_show"
    UNREADY = "unready"
    WAITLIST = "waitlist"
    GONE = "gone"
    APPLIED = "applied"
    PICKED = "picked"


class Schedule(StrEnum):
    NOW = "now"
    #: at `send_at`, a time the organiser typed in the gathering's zone
    AT = "at"
    #: `hours` before the gathering starts
    BEFORE_START = "before_start"
    #: `hours` after the gathering ends
    AFTER_END = "after_end"


class Template(StrEnum):
    """What a message adds to the organiser's text (the ready templates); CUSTOM adds nothing."""

    CUSTOM = "custom"
    DAY_BEFORE = "day_before"
    THANK_YOU = "thank_you"
    MISSED_YOU = "missed_you"


class Message(db.Model):
    __tablename__ = "message"
    __table_args__ = (
        Index("ix_message_status_send_at", "status", "send_at"),
        #: one automatic message of each kind per gathering (the day-before reminder)
        UniqueConstraint("event_id", "automatic"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(200))
    #: plain text as the organiser wrote it; "{link}" becomes each guest's personal link when sent
    body: Mapped[str] = mapped_column(Text)
    template: Mapped[str] = mapped_column(String(16), default=Template.CUSTOM)
    audience: Mapped[str] = mapped_column(String(16), default=Audience.PLACE)
    #: the guests' ids of a hand-picked audience
    picked_ids: Mapped[list] = mapped_column(JSON, default=list)
    schedule: Mapped[str] = mapped_column(String(16), default=Schedule.NOW)
    #: for BEFORE_START / AFTER_END
    hours: Mapped[int | None] = mapped_column(Integer)
    #: when it goes: typed in (AT) or worked out from the gathering's times (kept in step by `reschedule`)
    send_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(12), default=MessageStatus.SCHEDULED)
    #: the gathering's default schedule made it ("day_before"), None for the organiser's own
    automatic: Mapped[str | None] = mapped_column(String(16))
    created_by: Mapped[str] = mapped_column(String(64), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: guests it was queued for when sent (opted-out guests and bad addresses not counted)
    queued: Mapped[int] = mapped_column(Integer, default=0)
    #: which sweep sent it (two workers never both send one message)
    sent_by: Mapped[str] = mapped_column(String(64), default="")

    event: Mapped[Event] = relationship()

    @property
    def is_editable(self) -> bool:
        return self.status == MessageStatus.SCHEDULED

    def time_for(self, event: Event, now: datetime) -> datetime:
        """When this message goes, from its schedule and the gathering's times."""
        if self.schedule == Schedule.BEFORE_START:
            return event.starts_at - timedelta(hours=self.hours or 0)
        if self.schedule == Schedule.AFTER_END:
            return event.ends_at + timedelta(hours=self.hours or 0)
        if self.schedule == Schedule.NOW:
            return now
        return self.send_at

    @property
    def dedupe_prefix(self) -> str:
        """Every email of this message has a dedupe key starting so: one per guest, ever."""
        return f"message:{self.id}:"


class MessageSettings(db.Model):
    """A gathering's default schedule; no row means the defaults (the day-before reminder on)."""

    __tablename__ = "message_settings"

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    #: send the day-before reminder to everyone holding a place, 24 hours before the start
    day_before_reminder: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
