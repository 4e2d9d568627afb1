"""Door links, check-in records, failed scans, offline conflicts, request nonces and retired check-in codes.

The truth of "is this guest in?" is `Attendee.checked_in_at` (set by one conditional UPDATE);
a `CheckIn` row beside it says by which door and when, for "already checked in at 19:04 by Front door".
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from eventkit.attendees.models import Attendee
from eventkit.db import UTCDateTime, db, utcnow
from eventkit.secret_links import SecretLink


class DoorLink(SecretLink, db.Model):
    """A secret URL that lets a volunteer's phone check guests in at one gathering, no account needed."""

    __tablename__ = "door_link"

    @property
    def actor(self) -> str:
        return f"door:{self.id}"


class CheckIn(db.Model):
    """Who let a guest in, and when; deleted again by an undo (the audit log keeps the history)."""

    __tablename__ = "checkin"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), unique=True)
    door_link_id: Mapped[int | None] = mapped_column(ForeignKey("door_link.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "scan" (QR code) or "search" (tapped after a name search)
    method: Mapped[str] = mapped_column(String(10), default="scan")

    attendee: Mapped[Attendee] = relationship()
    door_link: Mapped[DoorLink | None] = relationship()


class FailedScan(db.Model):
    """A scan that let nobody in: the organiser sees these (shared screenshots, wrong gathering…)."""

    __tablename__ = "failed_scan"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    door_link_id: Mapped[int | None] = mapped_column(ForeignKey("door_link.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: an outcome code: not_on_list, other_event, replaced, cancelled, waitlisted, not_approved, already,
    #: malformed, too_long
    reason: Mapped[str] = mapped_column(String(20))
    #: SHA-256 of the scanned code (never the code itself); empty when it was too long to hash
    code_hash: Mapped[str] = mapped_column(String(64), default="")
    #: the guest the code belonged to, when it belonged to one of this gathering's guests
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="SET NULL"))

    door_link: Mapped[DoorLink | None] = relationship()
    attendee: Mapped[Attendee | None] = relationship()


class ScanRequest(db.Model):
    """A client nonce and the first answer given to it: a retried request gets the same answer."""

    __tablename__ = "scan_request"
    __table_args__ = (UniqueConstraint("door_link_id", "nonce"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    door_link_id: Mapped[int] = mapped_column(ForeignKey("door_link.id", ondelete="CASCADE"))
    #: chosen by the scanner, 8 to 64 characters of [A-Za-z0-9_-]
    nonce: Mapped[str] = mapped_column(String(64))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: the JSON answer of the first request; empty until that request finished
    response: Mapped[dict] = mapped_column(JSON, default=dict)


class DoorConflict(db.Model):
    """Two doors admitted the same guest while offline: the earliest scan counts, the later is kept here."""

    __tablename__ = "door_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"))
    #: the door whose (earliest) admission is the check-in
    kept_door_link_id: Mapped[int | None] = mapped_column(ForeignKey("door_link.id", ondelete="SET NULL"))
    kept_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the door that admitted the guest again, and its phone's scan time
    later_door_link_id: Mapped[int | None] = mapped_column(ForeignKey("door_link.id", ondelete="SET NULL"))
    later_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attendee: Mapped[Attendee] = relationship()
    kept_door: Mapped[DoorLink | None] = relationship(foreign_keys=[kept_door_link_id])
    later_door: Mapped[DoorLink | None] = relationship(foreign_keys=[later_door_link_id])


class RetiredCheckinCode(db.Model):
    """The hash of a check-in code that was replaced, so scanning it says "this code was replaced"."""

    __tablename__ = "retired_checkin_code"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    retired_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


@event.listens_for(Attendee.checkin_code_hash, "set", active_history=True)
def _retire_replaced_code(target: Attendee, value, oldvalue, _initiator):
    """Whoever rotates a guest's code (`Attendee.rotate_checkin_code`), the old one is remembered."""
    session = object_session(target)
    if session is None or target.id is None or not isinstance(oldvalue, str) or oldvalue == value:
        return
    session.add(RetiredCheckinCode(code_hash=oldvalue, attendee_id=target.id))
