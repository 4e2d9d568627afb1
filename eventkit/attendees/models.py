"""People and their attendance at one gathering (the guest list)."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ColumnElement, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from eventkit.db import UTCDateTime, db, utcnow
from eventkit.events.models import Event
from eventkit.security import derive, hash_token, new_token
from eventkit.text import NAME_KEY_LENGTH, name_key


class AttendeeStatus(StrEnum):
    INVITED = "invited"
    REGISTERED = "registered"
    APPROVED = "approved"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


#: statuses that take one of the gathering's places
HOLDS_PLACE = frozenset({AttendeeStatus.INVITED, AttendeeStatus.REGISTERED, AttendeeStatus.APPROVED})
#: statuses of guests expected at the door
EXPECTED = frozenset({AttendeeStatus.REGISTERED, AttendeeStatus.APPROVED})
#: statuses of guests who are no longer coming
GONE = frozenset({AttendeeStatus.CANCELLED, AttendeeStatus.DECLINED})


class Person(db.Model):
    """Everyone with the same email is one person, so history follows them across gatherings."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-cased
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def _name_key_default(context) -> str:
    """name_key for Core inserts that give only `name` (bulk `insert(Attendee)` with dict rows)."""
    return name_key(context.get_current_parameters().get("name") or "")


class Attendee(db.Model):
    """One person at one gathering."""

    __tablename__ = "attendee"
    __table_args__ = (
        UniqueConstraint("event_id", "email"),
        Index("ix_attendee_event_id_status", "event_id", "status"),
        Index("ix_attendee_event_id_name_key", "event_id", "name_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    #: `name` folded by eventkit.text.name_key (no case, no accents): what name search compares.
    #: Follows `name` through the ORM (validator below) and Core inserts (the default); a Core
    #: UPDATE of `name` must set it too
    name_key: Mapped[str] = mapped_column(String(NAME_KEY_LENGTH), default=_name_key_default)
    #: stored lower-cased; the same as person.email
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(120), default="")
    organisation: Mapped[str] = mapped_column(String(120), default="")
    field: Mapped[str] = mapped_column(String(80), default="")
    bio: Mapped[str] = mapped_column(Text, default="")
    #: up to three http(s) URLs
    links: Mapped[list] = mapped_column(JSON, default=list)
    #: "list me in the directory for this gathering"; nothing is shown to other guests without it
    directory_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    #: dietary or access needs, for the organiser's run-sheet only
    access_notes: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=AttendeeStatus.INVITED)
    status_changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: SHA-256 of the magic-link token; the token itself is only ever in the guest's email
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_rotated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: random seed of the check-in code; the code is derived from it with the app's key
    checkin_seed: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the current check-in code, for lookup at the door
    checkin_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: no reminder emails (tasks still show on the guest's page and count as overdue)
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    profile_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    person: Mapped[Person] = relationship()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.token_hash:
            self.rotate_token()
        if not self.checkin_seed:
            self.rotate_checkin_code()

    @validates("name")
    def _keep_name_key(self, _key: str, value: str) -> str:
        """Every name set on a guest (creation, profile edit, any service) refreshes its search key."""
        self.name_key = name_key(value)
        return value

    def rotate_token(self) -> str:
        """Issue a new magic-link token; the old link and signed-in sessions stop working."""
        token = new_token()
        self.token_hash = hash_token(token)
        self.token_rotated_at = utcnow()
        return token

    def rotate_checkin_code(self) -> str:
        """Issue a new check-in code (the QR changes); returns the new code."""
        self.checkin_seed = new_token()
        code = self.checkin_code
        self.checkin_code_hash = hash_token(code)
        return code

    @property
    def checkin_code(self) -> str:
        """The code in this guest's QR; it only checks in and opens nothing private."""
        return derive("checkin", self.checkin_seed)

    @property
    def session_fingerprint(self) -> str:
        """Changes with every token rotation, so rotation signs out open sessions too."""
        return self.token_hash[:16]

    @property
    def actor(self) -> str:
        return f"guest:{self.id}"

    # Readiness (profiles issue): `intents` is the backref defined by profiles.models.Intent.
    @property
    def profile_complete(self) -> bool:
        return bool(self.name and self.role and self.organisation and self.field and self.bio)

    @property
    def has_offers(self) -> bool:
        return any(intent.kind == "offer" for intent in self.intents)

    @property
    def has_seeks(self) -> bool:
        return any(intent.kind == "seek" for intent in self.intents)

    @property
    def is_ready(self) -> bool:
        """Ready to be matched: a complete profile and at least one offer (a gathering built on giving)."""
        return self.profile_complete and self.has_offers

    # Status rules, on a guest (`guest.is_expected`) and in SQL (`.where(Attendee.is_expected)`).
    @hybrid_property
    def holds_place(self) -> bool:
        """Takes one of the gathering's places (invited, registered, approved)."""
        return self.status in HOLDS_PLACE

    @holds_place.inplace.expression
    @classmethod
    def _holds_place_clause(cls) -> ColumnElement[bool]:
        return cls.status.in_(sorted(HOLDS_PLACE))

    @hybrid_property
    def is_expected(self) -> bool:
        """Expected at the door (registered or approved)."""
        return self.status in EXPECTED

    @is_expected.inplace.expression
    @classmethod
    def _is_expected_clause(cls) -> ColumnElement[bool]:
        return cls.status.in_(sorted(EXPECTED))

    @hybrid_property
    def is_gone(self) -> bool:
        """No longer coming (declined or cancelled)."""
        return self.status in GONE

    @is_gone.inplace.expression
    @classmethod
    def _is_gone_clause(cls) -> ColumnElement[bool]:
        return cls.status.in_(sorted(GONE))

    @property
    def is_listed(self) -> bool:
        """Listed in the gathering's directory: consented and still coming."""
        return self.directory_consent and not self.is_gone

    def __repr__(self) -> str:
        return f"<Attendee {self.email} @event {self.event_id}>"
