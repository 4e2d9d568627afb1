"""Checking guests in at the door: scans, taps, undo; race-safe on SQLite and PostgreSQL.

A check-in is one conditional UPDATE (`... WHERE checked_in_at IS NULL`): of two scans at the same
instant exactly one changes the row, the other answers "already checked in". A client nonce makes a
retried request return the first answer instead of counting twice. Scans an offline phone synced
later (`sync.py`) take the same path with their scan time as `now` and `offline=True`: a guest
another door admitted meanwhile is then resolved by `conflicts.py` instead of answered "already".

The scan path is the hot path at the door (and in bench/checkin.py): it runs prebuilt Core
statements on the session's connection (same transaction, no unit-of-work flush). A scan that lets
a guest in takes four writes and no read (`_welcome_at_once`): one conditional
`UPDATE ... RETURNING` finds and admits the guest in one go (and checks that the door link is still
active, so the door itself may come from the short-lived cache, `doors.door_for_secret(cached=True)`),
then the nonce with its answer, the check-in and the audit entry (`welcomes.py`, which writes the
welcome scans of one SQLite group commit with these four statements for all of them, and answers a
rescan of a guest who is in already there too, "already checked in"). Anything else (an unknown
code, a replayed nonce, a refusal, an offline scan synced later) takes the general path below with
the door read again.
"""
from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from eventkit.attendees.models import Attendee
from eventkit.audit import AuditEntry
from eventkit.checkin import batch, conflicts, doors, outcomes, welcomes
from eventkit.checkin.doors import Door
from eventkit.checkin.models import CheckIn, DoorLink, FailedScan, RetiredCheckinCode, ScanRequest
from eventkit.checkin.outcomes import REFUSED_STATUSES
from eventkit.db import db, utcnow
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event
from eventkit.prepared import Prepared
from eventkit.security import hash_token

#: anything longer is refused before it is hashed or parsed
MAX_SCAN_LENGTH = 200
CODE_PATTERN = re.compile(r"[A-Za-z0-9_-]{16,64}")
NONCE_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,64}")

_A, _R, _C, _L = Attendee.__table__, ScanRequest.__table__, CheckIn.__table__, DoorLink.__table__
_GUEST = select(_A.c.id, _A.c.event_id, _A.c.name, _A.c.status, _A.c.checked_in_at)
GUEST_BY_CODE = _GUEST.where(_A.c.checkin_code_hash == bindparam("code_hash"))
GUEST_BY_ID = _GUEST.where(_A.c.id == bindparam("attendee_id"), _A.c.event_id == bindparam("event_id"))
RETIRED_GUEST = (
    select(_A.c.id, _A.c.name).join(RetiredCheckinCode.__table__, RetiredCheckinCode.attendee_id == _A.c.id)
    .where(RetiredCheckinCode.code_hash == bindparam("code_hash"), _A.c.event_id == bindparam("event_id"))
)
CHECK_IN = update(_A).where(_A.c.id == bindparam("attendee_id"), _A.c.checked_in_at.is_(None)).values(
    checked_in_at=bindparam("now", type_=_A.c.checked_in_at.type))
UNDO = update(_A).where(_A.c.id == bindparam("attendee_id"), _A.c.checked_in_at.is_not(None)).values(
    checked_in_at=None)
FIRST_CHECK_IN = (
    select(_C.c.at, _L.c.label).outerjoin(_L, _C.c.door_link_id == _L.c.id).where(_C.c.attendee_id == bindparam("attendee_id"))
)
NONCE_ANSWER = select(_R.c.response).where(_R.c.door_link_id == bindparam("door_id"), _R.c.nonce == bindparam("nonce"))
STORE_ANSWER = update(_R).where(_R.c.door_link_id == bindparam("door_id"), _R.c.nonce == bindparam("b_nonce")).values(
    response=bindparam("answer"))


INSERT_FAILURE = insert(FailedScan.__table__)
INSERT_CHECKIN = Prepared(insert(_C), ["event_id", "attendee_id", "door_link_id", "at", "method"])
INSERT_AUDIT = Prepared(insert(AuditEntry.__table__), ["at", "event_id", "actor", "action", "target", "details"])
CLAIM_NONCE = Prepared({
    dialect.__name__.rsplit(".", 1)[-1]: dialect.insert(_R).on_conflict_do_nothing(
        index_elements=["door_link_id", "nonce"]).returning(_R.c.id)
    for dialect in (postgresql, sqlite)
}, ["door_link_id", "nonce", "at", "response"])


def _run(statement, **params):
    """Execute a prebuilt statement on the session's connection (inside the request's transaction)."""
    return db.session.connection().execute(statement, params)


def extract_code(scanned: str) -> str | None:
    """The check-in code in a scanned text: a check-in URL (…/c/<code>) or the bare code."""
    text = scanned.strip()
    marker = text.rfind("/c/")
    if marker >= 0:
        text = text[marker + 3:].split("?", 1)[0].split("#", 1)[0].rstrip("/")
    return text if CODE_PATTERN.fullmatch(text) else None


def landing_state(code: str) -> tuple[str, Event | None]:
    """What the page a phone camera opens for `code` shows; checks nobody in.

    ("current", the guest's gathering) for a guest's current code, ("replaced", None) for a code
    rotated away, ("unknown", None) for anything else.
    """
    if len(code) > MAX_SCAN_LENGTH:
        return "unknown", None
    code_hash = hash_token(code)
    attendee = db.session.scalars(select(Attendee).where(Attendee.checkin_code_hash == code_hash)).first()
    if attendee is not None:
        return "current", attendee.event
    if db.session.get(RetiredCheckinCode, code_hash) is not None:
        return "replaced", None
    return "unknown", None


def scan(door: Door, scanned: str, nonce: str, now: datetime, *, offline: bool = False) -> dict:
    """Check in the guest whose QR code was scanned; the answer says what the helper should do.
    `offline`: the phone already let the guest in (a synced scan, `now` its scan time).
    `door` may come from the door cache (`door.fresh` False): it is read again unless the guest is
    simply let in."""
    answer = None if offline else _welcome_at_once(door, scanned, nonce, now)
    if answer is not None:
        return answer
    door = doors.refreshed(door)
    return _once(door, nonce, now, lambda: _scan(door, scanned, now, offline))


def _welcome_at_once(door: Door, scanned: str, nonce: str, now: datetime) -> dict | None:
    """The common cases in four writes: a new nonce, the code of a guest of this gathering who may come
    in (welcome) or is in already ("already checked in"), an active link. None (having written
    nothing) for anything else. On SQLite
    the writes share a transaction with the other welcome scans arriving at the same moment (`batch`)."""
    if len(scanned) > MAX_SCAN_LENGTH or not NONCE_PATTERN.fullmatch(nonce or ""):
        return None
    code = extract_code(scanned)
    if code is None:
        return None
    code_hash = hash_token(code)
    return batch.write(welcomes.WelcomeScan(door, code_hash, nonce, now), welcomes.welcome_all)


def check_in_guest(door: Door, attendee_id: int, nonce: str, now: datetime, *, offline: bool = False) -> dict:
    """Check in a guest the helper tapped after a name search (404 for another gathering's guest)."""
    guest = _guest_of(door, attendee_id)
    return _once(door, nonce, now, lambda: _admit(door, guest, now, method="search", code_hash=None,
                                                  offline=offline))


def undo(door: Door, attendee_id: int, now: datetime) -> dict:
    """Take back a mistaken check-in (of any door of this gathering)."""
    guest = _guest_of(door, attendee_id)
    if _run(UNDO, attendee_id=guest.id).rowcount != 1:
        raise DomainError(f"{guest.name} is not checked in.", "not_checked_in", 409)
    _run(delete(_C).where(_C.c.attendee_id == guest.id))
    _audit(db.session.connection(), "checkin.undo", door, guest, now,
           checked_in_at=guest.checked_in_at.isoformat() if guest.checked_in_at else None)
    return outcomes.undone(guest)


def undo_once(door: Door, attendee_id: int, nonce: str, now: datetime) -> dict:
    """An undo made offline and synced: like `undo`, once per nonce, answering (not raising) when
    the guest is not checked in any more."""
    guest = _guest_of(door, attendee_id)
    return _once(door, nonce, now, lambda: _undo_answer(door, guest, now))


def _undo_answer(door: Door, guest, now: datetime) -> dict:
    try:
        return undo(door, guest.id, now)
    except DomainError:
        return outcomes.not_checked_in(guest)


def _guest_of(door: Door, attendee_id: int):
    guest = _run(GUEST_BY_ID, attendee_id=attendee_id, event_id=door.event_id).first()
    if guest is None:
        raise NotFound("This guest is not on this gathering's list.", "not_found")
    return guest


def _once(door: Door, nonce: str, now: datetime, work) -> dict:
    """Run `work` for a new nonce and store its answer; for a nonce seen before, replay that answer."""
    if not NONCE_PATTERN.fullmatch(nonce or ""):
        raise DomainError("Send a nonce of 8 to 64 letters, digits, '-' or '_'.", "bad_nonce")
    if not _claim_nonce(db.session.connection(), door, nonce, now):
        return _replay(door, nonce)
    answer = work()
    _run(STORE_ANSWER, door_id=door.id, b_nonce=nonce, answer=answer)
    return answer


def _claim_nonce(connection, door: Door, nonce: str, now: datetime, answer: dict | None = None) -> bool:
    """Insert the nonce (with its answer when known) unless it exists (waits for a concurrent first
    request on PostgreSQL)."""
    return CLAIM_NONCE.first(connection, door_link_id=door.id, nonce=nonce, at=now, response=answer or {}) is not None


def _replay(door: Door, nonce: str) -> dict:
    answer = _run(NONCE_ANSWER, door_id=door.id, nonce=nonce).scalar()
    if not answer:
        raise DomainError("This request is still being handled; try again.", "in_progress", 409)
    return {**answer, "replayed": True}


def _scan(door: Door, scanned: str, now: datetime, offline: bool) -> dict:
    if len(scanned) > MAX_SCAN_LENGTH:
        return _refuse(door, "too_long", "", now)
    code = extract_code(scanned)
    if code is None:
        return _refuse(door, "malformed", hash_token(scanned), now)
    code_hash = hash_token(code)
    guest = _run(GUEST_BY_CODE, code_hash=code_hash).first()
    if guest is None:
        return _unknown_code(door, code_hash, now)
    if guest.event_id != door.event_id:
        return _refuse(door, "other_event", code_hash, now)
    return _admit(door, guest, now, method="scan", code_hash=code_hash, offline=offline)


def _unknown_code(door: Door, code_hash: str, now: datetime) -> dict:
    retired = _run(RETIRED_GUEST, code_hash=code_hash, event_id=door.event_id).first()
    if retired is not None:
        return _refuse(door, "replaced", code_hash, now, guest=retired)
    return _refuse(door, "not_on_list", code_hash, now)


def _admit(door: Door, guest, now: datetime, *, method: str, code_hash: str | None,
           offline: bool = False) -> dict:
    refusal = REFUSED_STATUSES.get(guest.status)
    if refusal:
        return _refuse(door, refusal, code_hash, now, guest=guest)
    if guest.checked_in_at is None and _run(CHECK_IN, attendee_id=guest.id, now=now).rowcount == 1:
        connection = db.session.connection()
        INSERT_CHECKIN.run(connection, event_id=door.event_id, attendee_id=guest.id, door_link_id=door.id, at=now,
                           method=method)
        _audit(connection, "checkin", door, guest, now, method=method, **({"offline": True} if offline else {}))
        return outcomes.welcome(door, guest, now)
    resolved = conflicts.admitted_again(door, guest, now, method, utcnow()) if offline else None
    return resolved or _already(door, guest, code_hash, now)


def _already(door: Door, guest, code_hash: str | None, now: datetime) -> dict:
    first = _run(FIRST_CHECK_IN, attendee_id=guest.id).first()
    at, label = first if first is not None else (guest.checked_in_at or now, None)
    if code_hash is not None:
        _record_failure(door, "already", code_hash, now, guest.id)
    return outcomes.already(door, guest, at, label)


def _refuse(door: Door, reason: str, code_hash: str | None, now: datetime, guest=None) -> dict:
    if code_hash is not None:
        _record_failure(door, reason, code_hash, now, guest.id if guest is not None else None)
    return outcomes.refused(door, reason, guest)


def _record_failure(door: Door, reason: str, code_hash: str, now: datetime, attendee_id: int | None) -> None:
    _run(INSERT_FAILURE, event_id=door.event_id, door_link_id=door.id, at=now, reason=reason,
         code_hash=code_hash, attendee_id=attendee_id)


def _audit(connection, action: str, door: Door, guest, now: datetime, **details) -> None:
    """An audit entry like `eventkit.audit.record`, written as one INSERT on the hot path."""
    INSERT_AUDIT.run(connection, at=now, event_id=door.event_id, actor=door.actor, action=action,
         target=f"attendee:{guest.id}", details={"door": door.label, **details})
