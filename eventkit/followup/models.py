"""Connections between people who met, their follow-up tasks, recorded actions and reminders."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_, text
from sqlalchemy.ext.hybrid import hybrid_method
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventkit.attendees.models import Attendee
from eventkit.db import UTCDateTime, db, utcnow


class Stage(StrEnum):
    MET = "met"
    FOLLOWED_UP = "followed_up"
    RECIPROCATED = "reciprocated"
    DEEPENED = "deepened"
    FADED = "faded"


STAGE_LABELS = {
    Stage.MET: "Met",
    Stage.FOLLOWED_UP: "Followed up",
    Stage.RECIPROCATED: "Reciprocated",
    Stage.DEEPENED: "Deepened",
    Stage.FADED: "Faded",
}


class ActionKind(StrEnum):
    THANK_YOU = "thank_you"
    SHARED_RESOURCE = "shared_resource"
    INTRODUCTION = "introduction"
    MET_AGAIN = "met_again"
    COLLABORATION = "collaboration"
    REFERRAL = "referral"
    OPPORTUNITY_GIVEN = "opportunity_given"
    OPPORTUNITY_RECEIVED = "opportunity_received"
    FADED = "faded"


ACTION_LABELS = {
    ActionKind.THANK_YOU: "Sent a thank-you note",
    ActionKind.SHARED_RESOURCE: "Shared a resource",
    ActionKind.INTRODUCTION: "Made an introduction that helped",
    ActionKind.MET_AGAIN: "Met again",
    ActionKind.COLLABORATION: "Collaborated",
    ActionKind.REFERRAL: "Referred them",
    ActionKind.OPPORTUNITY_GIVEN: "Gave them an opportunity",
    ActionKind.OPPORTUNITY_RECEIVED: "Received an opportunity from them",
    ActionKind.FADED: "Closed as faded",
}
#: actions that deepen a reciprocated connection
DEEPENING = frozenset({
    ActionKind.INTRODUCTION, ActionKind.MET_AGAIN, ActionKind.COLLABORATION, ActionKind.REFERRAL,
    ActionKind.OPPORTUNITY_GIVEN, ActionKind.OPPORTUNITY_RECEIVED,
})
#: actions a guest records through the form (closing as faded has its own form)
RECORDABLE = tuple(kind for kind in ActionKind if kind != ActionKind.FADED)


class TaskKind(StrEnum):
    FIRST = "first"
    CHECKIN = "checkin"


class Connection(db.Model):
    """Two people who met; across gatherings the same pair of people is one connection.

    The stage only moves through `eventkit.followup.services` when an action is recorded.
    """

    __tablename__ = "connection"
    __table_args__ = (UniqueConstraint("low_person_id", "high_person_id"), Index("ix_connection_stage", "stage"))

    id: Mapped[int] = mapped_column(primary_key=True)
    #: the pair, smaller person id first
    low_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"))
    high_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    #: the gathering where they first met
    origin_event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="SET NULL"), index=True)
    stage: Mapped[str] = mapped_column(String(16), default=Stage.MET)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: when each stage was first reached (the funnel counts these, so fading keeps the history)
    followed_up_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reciprocated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    deepened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    faded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    fade_reason: Mapped[str] = mapped_column(String(300), default="")
    last_action_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    links: Mapped[list["ConnectionLink"]] = relationship(back_populates="connection", cascade="all, delete-orphan")
    actions: Mapped[list["FollowUpAction"]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", order_by="FollowUpAction.at"
    )

    def other_person_id(self, person_id: int) -> int:
        return self.high_person_id if person_id == self.low_person_id else self.low_person_id


class ConnectionLink(db.Model):
    """A gathering where the two people of a connection met (their attendee rows there)."""

    __tablename__ = "connection_link"
    __table_args__ = (UniqueConstraint("connection_id", "event_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"))
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: attendee of the connection's low person at this gathering
    low_attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    high_attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    #: "plan" (a planned conversation) or "encounter" (logged by a guest and confirmed)
    source: Mapped[str] = mapped_column(String(12), default="plan")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    connection: Mapped[Connection] = relationship(back_populates="links")
    low_attendee: Mapped[Attendee] = relationship(foreign_keys=[low_attendee_id])
    high_attendee: Mapped[Attendee] = relationship(foreign_keys=[high_attendee_id])


class FollowUpTask(db.Model):
    """One side's follow-up due on one date, for a connection made at one gathering."""

    __tablename__ = "followup_task"
    __table_args__ = (
        UniqueConstraint("connection_id", "owner_id", "due_at"),
        Index("ix_followup_task_open_due_at", "due_at", sqlite_where=text("done_at IS NULL"),
              postgresql_where=text("done_at IS NULL")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"), index=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: the guest who has to act
    owner_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    #: the guest they met
    counterpart_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(8), default=TaskKind.FIRST)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: "done" (an action was recorded) or "faded" (the connection was closed)
    outcome: Mapped[str] = mapped_column(String(8), default="")

    connection: Mapped[Connection] = relationship()
    owner: Mapped[Attendee] = relationship(foreign_keys=[owner_id])
    counterpart: Mapped[Attendee] = relationship(foreign_keys=[counterpart_id])

    @hybrid_method
    def is_overdue(self, now: datetime) -> bool:
        """Still open and past its due time (also a SQL clause: `FollowUpTask.is_overdue(now)`)."""
        return self.done_at is None and self.due_at < now

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_clause(cls, now: datetime) -> ColumnElement[bool]:
        return and_(cls.done_at.is_(None), cls.due_at < now)


class FollowUpAction(db.Model):
    """What one side did for a connection; history is kept, never overwritten."""

    __tablename__ = "followup_action"

    id: Mapped[int] = mapped_column(primary_key=True)
    connection_id: Mapped[int] = mapped_column(ForeignKey("connection.id", ondelete="CASCADE"), index=True)
    #: the gathering the actor recorded it from
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    actor_person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    #: what happened, or the reason for closing as faded
    note: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    connection: Mapped[Connection] = relationship(back_populates="actions")
    actor: Mapped[Attendee] = relationship()

    @property
    def label(self) -> str:
        return ACTION_LABELS.get(self.kind, self.kind)


class Encounter(db.Model):
    """A guest says they met another guest outside the plan; a connection only once confirmed."""

    __tablename__ = "encounter"
    __table_args__ = (UniqueConstraint("logged_by_id", "other_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    logged_by_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    other_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    logged_by: Mapped[Attendee] = relationship(foreign_keys=[logged_by_id])
    other: Mapped[Attendee] = relationship(foreign_keys=[other_id])

    @property
    def pending(self) -> bool:
        return self.confirmed_at is None and self.declined_at is None


class FollowUpReminder(db.Model):
    """One reminder queued by the sweep; its key makes sure nobody gets the same reminder twice."""

    __tablename__ = "followup_reminder"
    __table_args__ = (Index("ix_followup_reminder_task_id_kind", "task_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    #: e.g. "followup:overdue:task:12", "followup:digest:person:4:2026-W48"
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    #: due_soon | overdue | digest | escalation
    kind: Mapped[str] = mapped_column(String(12))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("followup_task.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: how many tasks the message listed
    tasks: Mapped[int] = mapped_column(Integer, default=1)
