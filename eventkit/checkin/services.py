"""Checking guests in at the door: scans, taps, undo; race-safe on SQLite and PostgreSQL.

A check-in is one conditional UPDATE (`... WHERE checked_in_at IS NULL`): of two scans at the same
instant exactly one changes the row, the other answers "already checked in". A client nonce makes a
retried request return the first answer instead of counting twice.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from eventkit import audit
from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.checkin import outcomes
from eventkit.checkin.models import CheckIn, DoorLink, FailedScan, RetiredCheckinCode, ScanRequest
from eventkit.db import db, utcnow
from eventkit.errors import DomainError, NotFound
from eventkit.security import hash_token

#: anything longer is refused before it is hashed or parsed
MAX_SCAN_LENGTH = 200
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")
REFUSED_STATUSES = {
    AttendeeStatus.CANCELLED: "cancelled",
    AttendeeStatus.DECLINED: "cancelled",
    AttendeeStatus.WAITLISTED: "waitlisted",
}
_GUEST_COLUMNS = (Attendee.id, Attendee.event_id, Attendee.name, Attendee.status, Attendee.checked_in_at)


def extract_code(scanned: str) -> str | None:
    """The check-in code in a scanned text: a check-in URL (…/c/<code>) or the bare code."""
    text = scanned.strip()
    marker = text.rfind("/c/")
    if marker >= 0:
        text = text[marker + 3:].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return text if CODE_PATTERN.fullmatch(text) else None


def scan(door: DoorLink, scanned: str, nonce: str, now: datetime) -> dict:
    """Check in the guest whose QR code was scanned; the answer says what the helper should do."""
    return _once(door, nonce, lambda: _scan(door, scanned, now))


def check_in_guest(door: DoorLink, attendee_id: int, nonce: str, now: datetime) -> dict:
    """Check in a guest the helper tapped after a name search (404 for another gathering's guest)."""
    guest = db.session.execute(
        select(*_GUEST_COLUMNS).where(Attendee.id == attendee_id, Attendee.event_id == door.event_id)
    ).first()
    if guest is None:
        raise NotFound("This guest is not on this gathering's list.", "not_found")
    return _once(door, nonce, lambda: _admit(door, guest, now, method="search", code_hash=None))


def undo(door: DoorLink, attendee_id: int, now: datetime) -> dict:
    """Take back a mistaken check-in (of any door of this gathering)."""
    guest = db.session.execute(
        select(*_GUEST_COLUMNS).where(Attendee.id == attendee_id, Attendee.event_id == door.event_id)
    ).first()
    if guest is None:
        raise NotFound("This guest is not on this gathering's list.", "not_found")
    undone = db.session.execute(
        update(Attendee).where(Attendee.id == guest.id, Attendee.checked_in_at.is_not(None))
        .values(checked_in_at=None).execution_options(synchronize_session=False)
    )
    if undone.rowcount != 1:
        raise DomainError(f"{guest.name} is not checked in.", "not_checked_in", 409)
    db.session.execute(delete(CheckIn).where(CheckIn.attendee_id == guest.id))
    audit.record("checkin.undo", actor=door.actor, target=f"attendee:{guest.id}", event_id=door.event_id,
                 door=door.label, checked_in_at=guest.checked_in_at and guest.checked_in_at.isoformat())
    return outcomes.undone(guest)


def _once(door: DoorLink, nonce: str, work) -> dict:
    """Run `work` for a new nonce and store its answer; for a nonce seen before, replay that answer."""
    if not NONCE_PATTERN.fullmatch(nonce or ""):
        raise DomainError("Send a nonce of 8 to 64 letters, digits, '-' or '_'.", "bad_nonce")
    if not _claim_nonce(door, nonce):
        return _replay(door, nonce)
    answer = work()
    db.session.execute(
        update(ScanRequest).where(ScanRequest.door_link_id == door.id, ScanRequest.nonce == nonce)
        .values(response=answer)
    )
    return answer


def _claim_nonce(door: DoorLink, nonce: str) -> bool:
    """Insert the nonce unless it exists (waits for a concurrent first request on PostgreSQL)."""
    insert = (postgresql.insert if db.session.get_bind().dialect.name == "postgresql" else sqlite.insert)
    stmt = insert(ScanRequest).values(door_link_id=door.id, nonce=nonce, at=utcnow(), response={})
    stmt = stmt.on_conflict_do_nothing(index_elements=["door_link_id", "nonce"]).returning(ScanRequest.id)
    return db.session.execute(stmt).first() is not None


def _replay(door: DoorLink, nonce: str) -> dict:
    answer = db.session.scalar(
        select(ScanRequest.response).where(ScanRequest.door_link_id == door.id, ScanRequest.nonce == nonce)
    )
    if not answer:
        raise DomainError("This request is still being handled; try again.", "in_progress", 409)
    return {**answer, "replayed": True}


def _scan(door: DoorLink, scanned: str, now: datetime) -> dict:
    if len(scanned) > MAX_SCAN_LENGTH:
        return _refuse(door, "too_long", "", now)
    code = extract_code(scanned)
    if code is None:
        return _refuse(door, "malformed", hash_token(scanned), now)
    code_hash = hash_token(code)
    guest = db.session.execute(select(*_GUEST_COLUMNS).where(Attendee.checkin_code_hash == code_hash)).first()
    if guest is None:
        return _unknown_code(door, code_hash, now)
    if guest.event_id != door.event_id:
        return _refuse(door, "other_event", code_hash, now)
    return _admit(door, guest, now, method="scan", code_hash=code_hash)


def _unknown_code(door: DoorLink, code_hash: str, now: datetime) -> dict:
    retired = db.session.execute(
        select(Attendee.id, Attendee.name).join(RetiredCheckinCode, RetiredCheckinCode.attendee_id == Attendee.id)
        .where(RetiredCheckinCode.code_hash == code_hash, Attendee.event_id == door.event_id)
    ).first()
    if retired is not None:
        return _refuse(door, "replaced", code_hash, now, guest=retired)
    return _refuse(door, "not_on_list", code_hash, now)


def _admit(door: DoorLink, guest, now: datetime, *, method: str, code_hash: str | None) -> dict:
    refusal = REFUSED_STATUSES.get(guest.status)
    if refusal:
        return _refuse(door, refusal, code_hash, now, guest=guest)
    if guest.checked_in_at is None:
        changed = db.session.execute(
            update(Attendee).where(Attendee.id == guest.id, Attendee.checked_in_at.is_(None))
            .values(checked_in_at=now).execution_options(synchronize_session=False)
        )
        if changed.rowcount == 1:
            return _welcome(door, guest, now, method)
    return _already(door, guest, code_hash, now)


def _welcome(door: DoorLink, guest, now: datetime, method: str) -> dict:
    db.session.add(CheckIn(event_id=door.event_id, attendee_id=guest.id, door_link_id=door.id, at=now, method=method))
    audit.record("checkin", actor=door.actor, target=f"attendee:{guest.id}", event_id=door.event_id,
                 door=door.label, method=method)
    return outcomes.welcome(door, guest, now)


def _already(door: DoorLink, guest, code_hash: str | None, now: datetime) -> dict:
    first = db.session.execute(
        select(CheckIn.at, DoorLink.label).outerjoin(DoorLink, CheckIn.door_link_id == DoorLink.id)
        .where(CheckIn.attendee_id == guest.id)
    ).first()
    at, label = first if first is not None else (guest.checked_in_at or now, None)
    if code_hash is not None:
        _record_failure(door, "already", code_hash, now, guest.id)
    return outcomes.already(door, guest, at, label)


def _refuse(door: DoorLink, reason: str, code_hash: str | None, now: datetime, guest=None) -> dict:
    if code_hash is not None:
        _record_failure(door, reason, code_hash, now, guest.id if guest is not None else None)
    return outcomes.refused(door, reason, guest)


def _record_failure(door: DoorLink, reason: str, code_hash: str, now: datetime, attendee_id: int | None) -> None:
    db.session.add(FailedScan(event_id=door.event_id, door_link_id=door.id, at=now, reason=reason,
                              code_hash=code_hash, attendee_id=attendee_id))
