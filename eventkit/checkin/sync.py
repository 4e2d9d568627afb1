"""The offline door page's two requests: its dataset, and the sync of the actions it queued.

Dataset: what a phone needs to decide a scan by itself, for its gathering only: per guest the
SHA-256 of the check-in code (the verifier the server looks codes up by, never the code), name,
search key, status and check-in; the verifiers of replaced codes; the wording of every answer.

Sync: a batch of queued actions (scan, check-in by id, undo), each with a nonce and the phone's
scan time. Items are checked one by one (a bad item is refused with a reason and writes nothing),
then applied in scan-time order through the same services as the online requests, at their scan
time, each once per nonce however often the batch is replayed.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select

from eventkit.attendees.models import EXPECTED, Attendee
from eventkit.checkin import outcomes, services
from eventkit.checkin.doors import Door, stats
from eventkit.checkin.models import CheckIn, DoorConflict, DoorLink, RetiredCheckinCode
from eventkit.db import db
from eventkit.errors import DomainError

MAX_ITEMS = 500
#: a phone's clock may run this much ahead; such scans count at the server's time
CLOCK_SKEW = timedelta(minutes=2)
KINDS = {
    "scan": {"kind": str, "nonce": str, "code": str, "scanned_at": str},
    "checkin": {"kind": str, "nonce": str, "attendee_id": int, "scanned_at": str},
    "undo": {"kind": str, "nonce": str, "attendee_id": int, "scanned_at": str},
}
#: what the phone showed when it decided the scan (only "welcome" changes anything: see conflicts.py)
OPTIONAL = {"shown": str}

_A, _C, _L, _R, _K = (Attendee.__table__, CheckIn.__table__, DoorLink.__table__, RetiredCheckinCode.__table__,
                      DoorConflict.__table__)
GUESTS = (
    select(_A.c.id, _A.c.name, _A.c.organisation, _A.c.name_key, _A.c.status, _A.c.checkin_code_hash,
           _A.c.checked_in_at, _L.c.label)
    .outerjoin(_C, _C.c.attendee_id == _A.c.id).outerjoin(_L, _L.c.id == _C.c.door_link_id)
    .where(_A.c.event_id == bindparam("event_id")).order_by(_A.c.id)
)
ARRIVED = (
    select(_A.c.id, _A.c.checked_in_at, _L.c.label)
    .outerjoin(_C, _C.c.attendee_id == _A.c.id).outerjoin(_L, _L.c.id == _C.c.door_link_id)
    .where(_A.c.event_id == bindparam("event_id"), _A.c.checked_in_at.is_not(None)).order_by(_A.c.id)
)
REPLACED = (select(_R.c.code_hash, _R.c.attendee_id).join(_A, _A.c.id == _R.c.attendee_id)
            .where(_A.c.event_id == bindparam("event_id")))
_KEPT = _L.alias("kept")
MY_CONFLICTS = (
    select(_K.c.attendee_id, _A.c.name, _K.c.kept_at, _KEPT.c.label, _K.c.later_at)
    .join(_A, _A.c.id == _K.c.attendee_id).outerjoin(_KEPT, _KEPT.c.id == _K.c.kept_door_link_id)
    .where(_K.c.later_door_link_id == bindparam("door_id")).order_by(_K.c.later_at, _K.c.id)
)


def _rows(statement, **params):
    return db.session.connection().execute(statement, params).all()


def _clock(door: Door, at: datetime) -> str:
    return door.local(at).strftime("%H:%M")


def dataset(door: Door, now: datetime) -> dict:
    """Everything the door page needs to decide scans offline (four queries)."""
    first, last = door.day
    guests = [
        {"id": row.id, "name": row.name, "organisation": row.organisation, "key": row.name_key,
         "status": row.status, "verifier": row.checkin_code_hash,
         "at": row.checked_in_at.isoformat() if row.checked_in_at else None,
         "door": row.label if row.checked_in_at else None}
        for row in _rows(GUESTS, event_id=door.event_id)
    ]
    return {
        "door": {"label": door.label, "title": door.title, "timezone": door.timezone},
        "day": {"starts": first.isoformat(), "ends": last.isoformat()},
        "expected_statuses": sorted(EXPECTED),
        #: which statuses the door refuses and with which reason, so the phone cannot drift from the server
        "refused_statuses": {str(status): reason for status, reason in services.REFUSED_STATUSES.items()},
        "guests": guests,
        "replaced": {row.code_hash: row.attendee_id for row in _rows(REPLACED, event_id=door.event_id)},
        "texts": outcomes.texts(),
        "conflicts": conflicts_of(door),
        "server_time": now.isoformat(),
    }


def conflicts_of(door: Door) -> list[dict]:
    """The guests this door let in again after another door had: what its phone is told."""
    return [
        {"guest": {"id": row.attendee_id, "name": row.name}, "kept_at": row.kept_at.isoformat(),
         "kept_time": _clock(door, row.kept_at), "kept_door": row.label, "at": row.later_at.isoformat(),
         "time": _clock(door, row.later_at)}
        for row in _rows(MY_CONFLICTS, door_id=door.id)
    ]


def arrivals(door: Door) -> list[dict]:
    """Every guest of the gathering checked in now, at what time and by which door."""
    return [{"id": row.id, "at": row.checked_in_at.isoformat(), "time": _clock(door, row.checked_in_at),
             "door": row.label} for row in _rows(ARRIVED, event_id=door.event_id)]


@dataclass(frozen=True)
class Item:
    index: int
    kind: str
    nonce: str
    at: datetime
    shown: str | None
    code: str | None = None
    attendee_id: int | None = None


def sync(door: Door, actions: list, now: datetime) -> dict:
    """Apply a batch of queued actions: per-item answers (in the order sent), then the arrivals."""
    if len(actions) > MAX_ITEMS:
        raise DomainError(f"Send at most {MAX_ITEMS} actions per sync.", "too_many_actions", 413)
    results: list[dict | None] = [None] * len(actions)
    items = []
    for index, raw in enumerate(actions):
        try:
            items.append(_item(door, index, raw, now))
        except DomainError as error:
            results[index] = _refused(raw, error)
    for item in sorted(items, key=lambda item: (item.at, item.index)):
        results[item.index] = _apply(door, item, now)
    return {"results": results, "arrivals": arrivals(door), **stats(door.event_id),
            "conflicts": conflicts_of(door), "server_time": now.isoformat()}


def _refused(raw, error: DomainError) -> dict:
    nonce = raw.get("nonce") if isinstance(raw, dict) and isinstance(raw.get("nonce"), str) else None
    return {"nonce": nonce, "status": "refused", "error": error.code, "message": error.message}


def _item(door: Door, index: int, raw, now: datetime) -> Item:
    """One action, checked: known kind and keys of the right types, a valid nonce and a scan time
    that is neither in the future nor outside the gathering's day. Raises DomainError."""
    kind = raw.get("kind") if isinstance(raw, dict) else None
    fields = KINDS.get(kind) if isinstance(kind, str) else None
    if fields is None:
        raise DomainError(f"Each action is an object whose 'kind' is one of {', '.join(KINDS)}.", "bad_item")
    if not set(fields) <= set(raw) <= set(fields) | set(OPTIONAL):
        raise DomainError(f"A {raw['kind']} action has exactly these keys: {', '.join(fields)} "
                          f"(and optionally {', '.join(OPTIONAL)}).", "bad_item")
    for key, kind in {**fields, **OPTIONAL}.items():
        if key in raw and type(raw[key]) is not kind:
            raise DomainError(f"'{key}' must be a {kind.__name__}.", "bad_item")
    if not services.NONCE_PATTERN.fullmatch(raw["nonce"]):
        raise DomainError("Send a nonce of 8 to 64 letters, digits, '-' or '_'.", "bad_nonce")
    return Item(index, raw["kind"], raw["nonce"], _scan_time(door, raw["scanned_at"], now), raw.get("shown"),
                code=raw.get("code"), attendee_id=raw.get("attendee_id"))


def _scan_time(door: Door, text: str, now: datetime) -> datetime:
    try:
        at = datetime.fromisoformat(text) if len(text) <= 40 else None
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise DomainError("'scanned_at' must be an ISO 8601 time with its offset, e.g. "
                          "2026-12-01T19:04:05.120Z.", "bad_time")
    if at > now + CLOCK_SKEW:
        raise DomainError("This scan time is in the future: check the phone's clock.", "future")
    first, last = door.day
    if not first <= at < last:
        raise DomainError("This scan time is outside the gathering's day.", "outside_day")
    return min(at, now)


def _apply(door: Door, item: Item, now: datetime) -> dict:
    offline = item.shown == "welcome"
    try:
        if item.kind == "scan":
            answer = services.scan(door, item.code, item.nonce, item.at, offline=offline)
        elif item.kind == "checkin":
            answer = services.check_in_guest(door, item.attendee_id, item.nonce, item.at, offline=offline)
        else:
            answer = services.undo_once(door, item.attendee_id, item.nonce, item.at)
    except DomainError as error:
        return _refused({"nonce": item.nonce}, error)
    return {"nonce": item.nonce, "status": "done", "answer": answer}
