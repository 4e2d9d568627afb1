"""The audit log: who did what to which object, when."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from eventkit.db import UTCDateTime, db, utcnow


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: not indexed: nothing reads the log by time (its order is the id's), and every write would pay for it
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: "organiser:12", "guest:345", "door:7", "system"
    actor: Mapped[str] = mapped_column(String(60))
    action: Mapped[str] = mapped_column(String(60))
    #: "attendee:345"
    target: Mapped[str] = mapped_column(String(60), default="")
    details: Mapped[dict] = mapped_column(JSON, default=dict)


def record(action: str, *, actor: str, target: str = "", event_id: int | None = None, **details) -> AuditEntry:
    """Add an audit entry to the current transaction."""
    entry = AuditEntry(action=action, actor=actor, target=target, event_id=event_id, details=details)
    db.session.add(entry)
    return entry
