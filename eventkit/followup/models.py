"""Connections between people who met, their follow-up tasks, recorded actions and reminders."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, ForeignKey, Index, Integer, String, Text, UniqueConstraint, and_, or_, text
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
    #: had follow-up, then nobody acted for the final interval: no more mail until someone acts again
    DORMANT = "dormant"


STAGE_LABELS = {
    Stage.MET: "Met",
    Stage.FOLLOWED_UP: "Followed up",
    Stage.RECIPROCATED: "Reciprocated",
    Stage.DEEPENED: "Deepened",
    Stage.FADED: "Faded",
    Stage.DORMANT: "Dormant",
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
    #: a deepened connection's stay-in-touch check-in: one reminder when due, never overdue mail
    STAY = "stay"


#: a deepened connection's stay-in-touch rhythm, in days (0: no reminders for this person)
DEFAULT_RHYTHM_DAYS = 90
RHYTHMS = {30: "Monthly", 90: "Quarterly", 182: "Twice a year", 365: "Yearly", 0: "No reminders for this person"}
#: how far ahead a task can be snoozed
SNOOZE_MAX_DAYS = 90


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
    #: once deepened, each side's stay-in-touch rhythm in days (None: the default, 0: no reminders)
    low_rhythm_days: Mapped[int | None] = mapped_column(Integer)
    high_rhythm_days: Mapped[int | None] = mapped_column(Integer)
    #: after a recorded action: when it becomes dormant if nobody acts again (next check-in + final interval)
    quiet_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when it last became dormant (the stage says whether it still is)
    dormant_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: when the organiser last nudged both sides (at most once per NUDGE_EVERY)
    nudged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    links: Mapped[list["ConnectionLink"]] = relationship(back_populates="connection", cascade="all, delete-orphan")
    actions: Mapped[list["FollowUpAction"]] = relationship(
        back_populates="connection", cascade="all, delete-orphan", order_by="FollowUpAction.at"
    )

    def other_person_id(self, person_id: int) -> int:
        return self.high_person_id if person_id == self.low_person_id else self.low_person_id

    def rhythm_days(self, person_id: int) -> int:
        """`person_id`'s stay-in-touch rhythm once deepened (0: no reminders)."""
        chosen = self.low_rhythm_days if person_id == self.low_person_id else self.high_rhythm_days
        return DEFAULT_RHYTHM_DAYS if chosen is None else chosen

    def set_rhythm(self, person_id: int, days: int) -> None:
        if person_id == self.low_person_id:
            self.low_rhythm_days = days
        else:
            self.high_rhythm_days = days

    def quiet_since(self) -> datetime:
        """The last recorded action, or when the connection was made."""
        return self.last_action_at or self.created_at


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
    #: "done" (an action was recorded), "faded" (the connection was closed), "moved" (an action by the
    #: other side moved the next check-in) or "dormant" (nobody acted for the final interval)
    outcome: Mapped[str] = mapped_column(String(8), default="")
    #: set while snoozed: the task comes back (one reminder) on this date, which is then its due date
    snoozed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: how many times it was snoozed
    snoozes: Mapped[int] = mapped_column(Integer, default=0)

    connection: Mapped[Connection] = relationship()
    owner: Mapped[Attendee] = relationship(foreign_keys=[owner_id])
    counterpart: Mapped[Attendee] = relationship(foreign_keys=[counterpart_id])

    @hybrid_method
    def is_overdue(self, now: datetime) -> bool:
        """Open and past due; a stay-in-touch check-in and a snoozed task are never overdue (also a SQL
        clause: `FollowUpTask.is_overdue(now)`)."""
        return self.done_at is None and self.due_at < now and self.kind != TaskKind.STAY and not self.is_snoozed(now)

    @is_overdue.inplace.expression
    @classmethod
    def _is_overdue_clause(cls, now: datetime) -> ColumnElement[bool]:
        return and_(cls.done_at.is_(None), cls.due_at < now, cls.kind != TaskKind.STAY,
                    or_(cls.snoozed_until.is_(None), cls.snoozed_until <= now))

    def is_snoozed(self, now: datetime) -> bool:
        return self.done_at is None and self.snoozed_until is not None and self.snoozed_until > now


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
    #: due_soon | overdue | resurfaced | stay | digest | escalation | nudge
    kind: Mapped[str] = mapped_column(String(12))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("followup_task.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: how many tasks the message listed
    tasks: Mapped[int] = mapped_column(Integer, default=1)
