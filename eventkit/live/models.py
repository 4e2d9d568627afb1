"""The evening as it runs: the round and its timer, re-pairing changes, the guests' taps and screen links."""
from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from eventkit.db import UTCDateTime, db, utcnow
from eventkit.secret_links import SecretLink


class RoundStatus(StrEnum):
    WAITING = "waiting"  # before the first round, or after one ended
    RUNNING = "running"
    PAUSED = "paused"
    ENDED = "ended"


class LiveState(db.Model):
    """One gathering's run: which round, and its timer (times are the server's, never the phones')."""

    __tablename__ = "live_state"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    #: 0 before the first round
    round_no: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(8), default=RoundStatus.WAITING)
    duration_seconds: Mapped[int] = mapped_column(Integer, default=720)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: seconds spent paused in this round, before `paused_at`
    paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: bumped by every change a phone or the screen shows: their ETag
    version: Mapped[int] = mapped_column(Integer, default=1)

    def elapsed(self, now: datetime) -> float:
        if self.started_at is None:
            return 0.0
        until = self.ended_at or self.paused_at or now
        return max((until - self.started_at).total_seconds() - self.paused_seconds, 0.0)

    def remaining(self, now: datetime) -> int:
        """Whole seconds left in the round (0 once it is over or before it started)."""
        if self.status in (RoundStatus.WAITING, RoundStatus.ENDED) or self.started_at is None:
            return 0
        return max(int(round(self.duration_seconds - self.elapsed(now))), 0)

    def ends_at(self, now: datetime) -> datetime | None:
        """When a running round's time is up (None while paused, waiting or ended)."""
        if self.status != RoundStatus.RUNNING:
            return None
        return now + timedelta(seconds=self.remaining(now))

    @property
    def in_round(self) -> bool:
        return self.status in (RoundStatus.RUNNING, RoundStatus.PAUSED)

    def touch(self) -> None:
        self.version = (self.version or 0) + 1


class ChangeKind(StrEnum):
    REPAIR = "repair"  # at round start: partners who had not arrived
    NOT_HERE = "not_here"  # a guest tapped "they are not here" during the round


class LiveChange(db.Model):
    """A re-pairing: the new conversation and the planned ones it replaced; undone by the organiser."""

    __tablename__ = "live_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(10), default=ChangeKind.REPAIR)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversation.id", ondelete="SET NULL"),
                                                        index=True)
    #: the planned conversations set aside (skipped) for it
    replaced_ids: Mapped[list] = mapped_column(JSON, default=list)
    #: the guests of the new conversation, and in words why
    member_ids: Mapped[list] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def active(self) -> bool:
        return self.undone_at is None


class Worth(StrEnum):
    YES = "yes"
    SOMEWHAT = "somewhat"
    NO = "no"


class LiveTap(db.Model):
    """One guest's answer about one conversation: did it happen, was it worth it, follow up?

    One row per conversation per side (a retried tap finds the row and counts once); the other
    side never sees it.
    """

    __tablename__ = "live_tap"
    __table_args__ = (UniqueConstraint("conversation_id", "attendee_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversation.id", ondelete="CASCADE"))
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    met: Mapped[bool] = mapped_column(Boolean)
    #: yes / somewhat / no; empty when not answered (or not met)
    worth: Mapped[str] = mapped_column(String(8), default="")
    follow_up: Mapped[bool | None] = mapped_column(Boolean)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def priority(self) -> int:
        """How much this side wants the follow-up: 0 (no) to 3 (worth it and follow up)."""
        if not self.met:
            return 0
        return {"yes": 2, "somewhat": 1}.get(self.worth, 0) + (1 if self.follow_up else 0)


class ScreenLink(SecretLink, db.Model):
    """A secret URL that shows the room's screen (round, time left, tables) with no account; revocable."""

    __tablename__ = "screen_link"
