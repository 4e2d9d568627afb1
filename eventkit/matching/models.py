"""The conversation plan: rounds of 1:1 conversations, and the organiser's pairing constraints."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ColumnElement, Float, ForeignKey, Index, Integer, String, UniqueConstraint, or_
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventkit.attendees.models import Attendee
from eventkit.db import UTCDateTime, db, utcnow


class OddPolicy(StrEnum):
    TRIO = "trio"
    REST = "rest"


class ConversationStatus(StrEnum):
    PLANNED = "planned"
    SWAPPED = "swapped"
    MET = "met"
    SKIPPED = "skipped"


class ConstraintKind(StrEnum):
    NEVER = "never"
    MUST = "must"


class Plan(db.Model):
    """The organiser's settings for an event's conversations, and whether the plan is locked."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    rounds: Mapped[int] = mapped_column(Integer, default=4)
    round_minutes: Mapped[int] = mapped_column(Integer, default=12)
    #: at most this many conversations per guest
    per_guest_cap: Mapped[int] = mapped_column(Integer, default=4)
    odd_policy: Mapped[str] = mapped_column(String(8), default=OddPolicy.TRIO)
    #: rounds already held; re-planning never touches them
    rounds_held: Mapped[int] = mapped_column(Integer, default=0)
    planned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    locked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    conversations: Mapped[list["Conversation"]] = relationship(
        back_populates="plan", cascade="all, delete-orphan", order_by="(Conversation.round, Conversation.table_no)"
    )

    @property
    def is_locked(self) -> bool:
        return self.locked_at is not None


class Conversation(db.Model):
    """One planned conversation in one round: a pair, or a trio when the count is odd."""

    __tablename__ = "conversation"
    __table_args__ = (Index("ix_conversation_plan_id_round", "plan_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("plan.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    table_no: Mapped[int] = mapped_column(Integer, default=1)
    a_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    b_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    #: the third guest of a trio (odd count, organiser's choice)
    c_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float, default=0.0)
    #: the pairing's reasons, each a sentence in plain words
    reasons: Mapped[list] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(12), default=ConversationStatus.PLANNED)
    #: the guest who said it didn't happen (then no connection is made from it)
    not_held_by_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[Plan] = relationship(back_populates="conversations")
    a: Mapped[Attendee] = relationship(foreign_keys=[a_id])
    b: Mapped[Attendee] = relationship(foreign_keys=[b_id])
    c: Mapped[Attendee | None] = relationship(foreign_keys=[c_id])

    @property
    def member_ids(self) -> list[int]:
        """The guests' ids, the pair's two or the trio's three (no row loaded)."""
        return [guest_id for guest_id in (self.a_id, self.b_id, self.c_id) if guest_id is not None]

    @classmethod
    def includes(cls, attendee_id: int) -> ColumnElement[bool]:
        """In SQL: the guest is one of the conversation's two or three (`member_ids` on a loaded row)."""
        return or_(cls.a_id == attendee_id, cls.b_id == attendee_id, cls.c_id == attendee_id)

    @property
    def members(self) -> list[Attendee]:
        return [guest for guest in (self.a, self.b, self.c) if guest is not None]

    def partners_of(self, attendee_id: int) -> list[Attendee]:
        return [guest for guest in self.members if guest.id != attendee_id]


class PairConstraint(db.Model):
    """The organiser's rule for one pair: never pair them, or make sure they meet."""

    __tablename__ = "pair_constraint"
    __table_args__ = (UniqueConstraint("event_id", "low_id", "high_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: the pair, smaller attendee id first
    low_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    high_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8))
    note: Mapped[str] = mapped_column(String(200), default="")
