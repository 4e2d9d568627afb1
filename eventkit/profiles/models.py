"""Offers and seeks (intents) and private research notes."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventkit.attendees.models import Attendee
from eventkit.db import UTCDateTime, db, utcnow
from eventkit.events.models import Tag

MAX_INTENTS_PER_KIND = 5


class IntentKind(StrEnum):
    OFFER = "offer"
    SEEK = "seek"


class Intent(db.Model):
    """What a guest can give (offer) or is looking for (seek), on one of the event's tags."""

    __tablename__ = "intent"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), index=True)
    #: e.g. "intros to climate VCs"
    text: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attendee: Mapped[Attendee] = relationship(backref="intents")
    tag: Mapped[Tag] = relationship()


class ResearchNote(db.Model):
    """A private note about one guest, written by a guest or by an organiser; only its author sees it."""

    __tablename__ = "research_note"
    __table_args__ = (
        CheckConstraint(
            "(author_attendee_id IS NULL) <> (author_organiser_id IS NULL)", name="one_author"
        ),
        Index("ix_research_note_author_attendee_subject", "author_attendee_id", "subject_id", unique=True),
        Index("ix_research_note_author_organiser_subject", "author_organiser_id", "subject_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    author_attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    author_organiser_id: Mapped[int | None] = mapped_column(ForeignKey("organiser.id", ondelete="CASCADE"))
    body: Mapped[str] = mapped_column(Text, default="")
    #: conversation starters, one per line
    starters: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    subject: Mapped[Attendee] = relationship(foreign_keys=[subject_id])

    @property
    def starter_list(self) -> list[str]:
        return [line.strip() for line in self.starters.splitlines() if line.strip()]
