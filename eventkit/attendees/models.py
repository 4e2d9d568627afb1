"""People and their attendance at one gathering (the guest list)."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta
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
    #: applied on the public page, awaiting the organiser's review (holds no place)
    APPLIED = "applied"


#: statuses that take one of the gathering's places
HOLDS_PLACE = frozenset({AttendeeStatus.INVITED, AttendeeStatus.REGISTERED, AttendeeStatus.APPROVED})
#: statuses of guests expected at the door
EXPECTED = frozenset({AttendeeStatus.REGISTERED, AttendeeStatus.APPROVED})
#: statuses of guests who are no longer coming
GONE = frozenset({AttendeeStatus.CANCELLED, AttendeeStatus.DECLINED})
#: statuses of people who are not (or not yet) coming: gone, or an application awaiting review
NOT_COMING = GONE | {AttendeeStatus.APPLIED}


class Person(db.Model):
    """Everyone with the same email is one person, so history follows them across gatherings."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-cased
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


def new_session_version() -> str:
    """A fresh value for `Attendee.session_version` (64 random bits)."""
    return secrets.token_hex(8)


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
    #: in every guest session and one-click link of this guest: a new value ends them all
    session_version: Mapped[str] = mapped_column(String(16), default=new_session_version)
    #: when a new personal link was last asked for (the lost-link form's rate limit)
    link_requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: random seed of the check-in code; the code is derived from it with the app's key
    checkin_seed: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the current check-in code, for lookup at the door
    checkin_code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: no reminder emails (tasks still show on the guest's page and count as overdue)
    reminders_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the guest chose "include my notes in the printed copy": their notes and starters also go into
    #: the briefing the organiser downloads or prints (otherwise only into the guest's own copy)
    print_notes: Mapped[bool] = mapped_column(Boolean, default=False)
    #: no weekly follow-up digest (see eventkit.mail.kinds.Topic)
    digest_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    #: no announcements nor day-before reminder from the organiser
    announcements_opt_out: Mapped[bool] = mapped_column(Boolean, default=False)
    #: when a mail server last refused this address for good (a hard bounce); None once it is changed
    email_failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the mail server's answer then, for the organiser
    email_failure: Mapped[str] = mapped_column(Text, default="")
    profile_updated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    person: Mapped[Person] = relationship()
    guest_links: Mapped[list[GuestLink]] = relationship(
        back_populates="attendee", cascade="all, delete-orphan", passive_deletes=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.session_version:
            self.session_version = new_session_version()
        if not self.checkin_seed:
            self.rotate_checkin_code()

    @validates("name")
    def _keep_name_key(self, _key: str, value: str) -> str:
        """Every name set on a guest (creation, profile edit, any service) refreshes its search key."""
        self.name_key = name_key(value)
        return value

    def new_link(self, now: datetime, days_after: int, purpose: str = "personal") -> str:
        """Add a live link for `purpose` (the guest's others keep working); returns its token.

        It expires `days_after` days after the gathering ends (or after `now`, if that is later).
        """
        token = new_token()
        event = self.event or db.session.get_one(Event, self.event_id)
        self.guest_links.append(GuestLink(token_hash=hash_token(token), purpose=purpose, created_at=now,
                                          expires_at=GuestLink.ends(event, now, days_after)))
        return token

    def end_sessions(self, now: datetime) -> None:
        """Revoke every link of this guest and end every session and one-click link made before."""
        self.session_version = new_session_version()
        for link in self.guest_links:
            if link.revoked_at is None:
                link.revoked_at = now

    def rotate_token(self, now: datetime | None = None, days_after: int = 30) -> str:
        """End every link and session of this guest and issue one new personal link (its token)."""
        now = now or utcnow()
        self.end_sessions(now)
        self.link_requested_at = now
        return self.new_link(now, days_after)

    def rotate_checkin_code(self) -> str:
        """Issue a new check-in code (the QR changes); returns the new code."""
        self.checkin_seed = new_token()
        code = self.checkin_code
        self.checkin_code_hash = hash_token(code)
        return code

    @staticmethod
    def new_row(*, event_id: int, name: str, email: str, status: str, now: datetime, **fields) -> dict:
        """The column values of a new guest for a bulk INSERT (the rules of `__init__`, without an
        ORM object); `person_id` is the caller's to add. Personal links are made when emails are sent."""
        seed = new_token()
        return {
            "event_id": event_id, "name": name, "name_key": name_key(name), "email": email, "status": str(status),
            "status_changed_at": now, "created_at": now, "session_version": new_session_version(),
            "link_requested_at": now, "checkin_seed": seed,
            "checkin_code_hash": hash_token(Attendee.code_for_seed(seed)), **fields,
        }

    @property
    def checkin_code(self) -> str:
        """The code in this guest's QR; it only checks in and opens nothing private."""
        return self.code_for_seed(self.checkin_seed)

    @staticmethod
    def code_for_seed(seed: str) -> str:
        """The check-in code of a guest whose `checkin_seed` is `seed` (derived with the app's key)."""
        return derive("checkin", seed)

    @property
    def session_fingerprint(self) -> str:
        """Changes when the guest's links are replaced or their profile deleted, signing out open sessions."""
        return self.session_version

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

    @hybrid_property
    def is_coming(self) -> bool:
        """Still (or already) coming: not gone, and not an application awaiting review."""
        return self.status not in NOT_COMING

    @is_coming.inplace.expression
    @classmethod
    def _is_coming_clause(cls) -> ColumnElement[bool]:
        return cls.status.not_in(sorted(NOT_COMING))

    @property
    def is_listed(self) -> bool:
        """Listed in the gathering's directory: consented and still coming."""
        return self.directory_consent and self.is_coming

    def __repr__(self) -> str:
        return f"<Attendee {self.email} @event {self.event_id}>"


class GuestLink(db.Model):
    """One live secret link of a guest: stored hashed, with a purpose and an end.

    A guest may hold several (one per email that carried one); a new one leaves the others working.
    """

    __tablename__ = "guest_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    #: SHA-256 of the token; the token itself is only ever in the email that carried it
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    #: what the link may do: "personal" signs the guest in to their gathering
    purpose: Mapped[str] = mapped_column(String(40), default="personal")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: set when the organiser replaced the guest's links or the guest deleted their profile
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    attendee: Mapped[Attendee] = relationship(back_populates="guest_links")

    @staticmethod
    def ends(event: Event, now: datetime, days_after: int) -> datetime:
        """When a link made at `now` stops working: `days_after` days after the gathering ends (or after now)."""
        return max(event.ends_at, now) + timedelta(days=days_after)

    def usable(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at
