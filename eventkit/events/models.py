"""Gatherings, their co-organisers and topic tags."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventkit.auth.models import Organiser
from eventkit.db import UTCDateTime, db, utcnow

DEFAULT_FIELDS = ["Climate", "Developer tools", "Design", "Finance", "Health", "Education", "Policy", "Research"]


class EventStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    CLOSED = "closed"
    FINISHED = "finished"


#: the only allowed status changes
TRANSITIONS: dict[EventStatus, frozenset[EventStatus]] = {
    EventStatus.DRAFT: frozenset({EventStatus.OPEN}),
    EventStatus.OPEN: frozenset({EventStatus.DRAFT, EventStatus.CLOSED}),
    EventStatus.CLOSED: frozenset({EventStatus.OPEN, EventStatus.FINISHED}),
    EventStatus.FINISHED: frozenset(),
}


class EventOrganiser(db.Model):
    """A co-organiser: same rights as the owner, on this event only."""

    __tablename__ = "event_organiser"

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    organiser_id: Mapped[int] = mapped_column(ForeignKey("organiser.id", ondelete="CASCADE"), primary_key=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    organiser: Mapped[Organiser] = relationship()


class Event(db.Model):
    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("organiser.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    #: the niche, e.g. "Climate-tech founders and the engineers who build for them"
    theme: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    venue: Mapped[str] = mapped_column(String(300), default="")
    #: IANA name; starts_at/ends_at are stored in UTC and shown in this zone
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    capacity: Mapped[int] = mapped_column(Integer, default=40)
    status: Mapped[str] = mapped_column(String(16), default=EventStatus.DRAFT)
    #: the organiser's list of fields guests choose from (free text is allowed too)
    field_options: Mapped[list] = mapped_column(JSON, default=lambda: list(DEFAULT_FIELDS))
    #: follow-up policy: hours after the end until the first follow-up is due
    followup_first_hours: Mapped[int] = mapped_column(Integer, default=48)
    #: follow-up policy: later check-ins, days after the end, comma separated
    followup_cadence_days: Mapped[str] = mapped_column(String(100), default="7,30,90")
    #: follow-up policy: open overdue follow-ups block accepting this organiser's next invitation
    followup_blocks_registration: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    owner: Mapped[Organiser] = relationship()
    co_organisers: Mapped[list[EventOrganiser]] = relationship(cascade="all, delete-orphan")
    tags: Mapped[list["Tag"]] = relationship(
        back_populates="event", cascade="all, delete-orphan", order_by="Tag.name"
    )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, value: datetime) -> datetime:
        """`value` in the event's time zone."""
        return value.astimezone(self.zone)

    def is_managed_by(self, organiser: Organiser) -> bool:
        """True for the owner and co-organisers."""
        return self.owner_id == organiser.id or any(
            link.organiser_id == organiser.id for link in self.co_organisers
        )

    def can_move_to(self, status: str) -> bool:
        """Whether TRANSITIONS allow this gathering to move from its status to `status` (a valid one)."""
        return EventStatus(status) in TRANSITIONS[EventStatus(self.status)]

    @property
    def cadence_days(self) -> list[int]:
        return [int(part) for part in self.followup_cadence_days.split(",") if part.strip()]

    def __repr__(self) -> str:
        return f"<Event {self.slug}>"


class Tag(db.Model):
    """A topic of the gathering's niche that guests pick offers and seeks from."""

    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("event_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))

    event: Mapped[Event] = relationship(back_populates="tags")
