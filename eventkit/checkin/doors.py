"""Door links (create, revoke, resolve a secret) and what the door and organiser pages read."""
from __future__ import annotations

import re
import time as clock
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app
from sqlalchemy import bindparam, case, func, select
from sqlalchemy.orm import joinedload

from eventkit import secret_links
from eventkit.attendees.models import Attendee
from eventkit.checkin.models import CheckIn, DoorConflict, DoorLink, FailedScan
from eventkit.db import db
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event
from eventkit.security import hash_token
from eventkit.text import search_key

MAX_ACTIVE_LINKS = 20
#: the door links' audit actions (door_link.create, door_link.revoke) and targets
AUDIT_PREFIX = "door_link"
MIN_SEARCH = 3
#: Chinese, Japanese and Korean names are often two characters long: two are enough there
MIN_SEARCH_WIDE = 2
_WIDE = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff]")
SEARCH_LIMIT = 20
#: how long a scan may reuse what was read about its door link and gathering (label, title, time zone);
#: a revoked link still stops at once: the scan's write checks it (see services.scan)
DOOR_CACHE_SECONDS = 5.0
DOOR_CACHE_SIZE = 256


def create_door_link(event: Event, label: str, organiser) -> tuple[DoorLink, str]:
    """A new door link for `event`; returns it and its secret (shown once, then only its hash is kept)."""
    return secret_links.create(DoorLink, event, label.strip(), organiser, cap=MAX_ACTIVE_LINKS,
                               audit_prefix=AUDIT_PREFIX)


def revoke_door_link(event: Event, link_id: int, organiser, now: datetime) -> DoorLink:
    """Revoke a door link of `event` (404 for another gathering's link); its page stops working at once."""
    return secret_links.revoke(DoorLink, event, link_id, organiser, now, audit_prefix=AUDIT_PREFIX)


@dataclass(frozen=True)
class Door:
    """What a door request needs to know about its link and gathering (read in one query)."""

    id: int
    event_id: int
    label: str
    title: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    #: False for a door taken from the short-lived cache: read it again (`refreshed`) before relying on it
    fresh: bool = True

    @property
    def actor(self) -> str:
        return f"door:{self.id}"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone)

    @property
    def day(self) -> tuple[datetime, datetime]:
        """The gathering's day(s) in its time zone: from the midnight before it starts to the midnight
        after it ends. Offline scans are accepted inside it; the phone's dataset is wiped after it."""
        first = datetime.combine(self.local(self.starts_at).date(), time(), self.zone)
        last = datetime.combine(self.local(self.ends_at).date() + timedelta(days=1), time(), self.zone)
        return first, last


_links, _events = DoorLink.__table__, Event.__table__
_DOOR = (
    select(_links.c.id, _links.c.event_id, _links.c.label, _links.c.revoked_at, _events.c.title, _events.c.timezone,
           _events.c.starts_at, _events.c.ends_at)
    .join(_events, _events.c.id == _links.c.event_id)
)
DOOR_BY_SECRET = _DOOR.where(_links.c.secret_hash == bindparam("secret_hash"))
DOOR_BY_ID = _DOOR.where(_links.c.id == bindparam("door_id"))


def door_for_secret(secret: str, *, cached: bool = False) -> Door:
    """The door a secret opens. Raises NotFound for unknown secrets, 410 for revoked links.

    `cached`: the door may come from what a request of the last DOOR_CACHE_SECONDS read (its
    `fresh` is then False; only the scan's fast path, which checks the link in its write, asks for it).
    """
    if not secret or len(secret) > 100:
        raise _unknown_door()
    secret_hash = hash_token(secret)
    if cached:
        door = _cache().get(secret_hash)
        if door is not None and door[0] > clock.monotonic():
            return door[1]
    door = _door_from(db.session.connection().execute(DOOR_BY_SECRET, {"secret_hash": secret_hash}).first())
    _remember(secret_hash, door)
    return door


def refreshed(door: Door) -> Door:
    """`door` read again (raises like `door_for_secret` if it was revoked or deleted meanwhile)."""
    if door.fresh:
        return door
    return _door_from(db.session.connection().execute(DOOR_BY_ID, {"door_id": door.id}).first())


def _door_from(row) -> Door:
    if row is None:
        raise _unknown_door()
    if row.revoked_at is not None:
        raise DomainError("This door link was revoked. Ask the organiser for a new one.", "revoked", 410)
    return Door(row.id, row.event_id, row.label, row.title, row.timezone, row.starts_at, row.ends_at)


def _unknown_door() -> NotFound:
    return NotFound("This door link does not exist. Check the address or ask the organiser.", "unknown_door")


def _cache() -> dict:
    """This app's door cache: secret hash -> (expiry on the monotonic clock, Door)."""
    return current_app.extensions.setdefault("eventkit.door_cache", {})


def _remember(secret_hash: str, door: Door) -> None:
    cache = _cache()
    if len(cache) >= DOOR_CACHE_SIZE:
        cache.clear()
    cache[secret_hash] = (clock.monotonic() + DOOR_CACHE_SECONDS, replace(door, fresh=False))


def active_link_count(event_id: int) -> int:
    return secret_links.active_count(DoorLink, event_id)


def stats(event_id: int) -> dict:
    """Arrived (everyone checked in, invited-only guests included) and expected (registered, approved)."""
    expected, arrived = db.session.execute(
        select(func.count(case((Attendee.is_expected, 1))), func.count(Attendee.checked_in_at))
        .where(Attendee.event_id == event_id)
    ).one()
    return {"arrived": arrived, "expected": expected}


def _like_pattern(key: str) -> str:
    """`%key%` for LIKE with escape "\\": `%`, `_` and `\\` typed in a query match themselves."""
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search(event_id: int, query: str, zone) -> list[dict]:
    """Guests whose name contains `query` ignoring case and accents (three letters at least, two
    Chinese, Japanese or Korean characters), expected guests first."""
    key = search_key(query)
    if len(key) < (MIN_SEARCH_WIDE if _WIDE.search(key) else MIN_SEARCH):
        return []
    rows = db.session.execute(
        select(Attendee.id, Attendee.name, Attendee.organisation, Attendee.status, Attendee.checked_in_at)
        .where(Attendee.event_id == event_id, Attendee.name_key.like(_like_pattern(key), escape="\\"))
        .order_by(case((Attendee.is_expected, 0), else_=1), Attendee.name_key, Attendee.name,
                  Attendee.id)
        .limit(SEARCH_LIMIT)
    ).all()
    return [
        {"id": row.id, "name": row.name, "organisation": row.organisation, "status": row.status,
         "checked_in": row.checked_in_at is not None,
         "time": row.checked_in_at.astimezone(zone).strftime("%H:%M") if row.checked_in_at else None}
        for row in rows
    ]


def door_links(event_id: int) -> list[DoorLink]:
    return secret_links.links_of(DoorLink, event_id)


def arrivals(event_id: int, limit: int | None = None) -> list[CheckIn]:
    """Check-ins of the gathering, latest first, with guest and door loaded."""
    stmt = (select(CheckIn).where(CheckIn.event_id == event_id)
            .options(joinedload(CheckIn.attendee), joinedload(CheckIn.door_link))
            .order_by(CheckIn.at.desc(), CheckIn.id.desc()))
    return list(db.session.scalars(stmt.limit(limit) if limit else stmt))


def failed_scans(event_id: int, limit: int = 100) -> list[FailedScan]:
    """The latest scans that let nobody in, with guest and door loaded."""
    return list(db.session.scalars(
        select(FailedScan).where(FailedScan.event_id == event_id)
        .options(joinedload(FailedScan.attendee), joinedload(FailedScan.door_link))
        .order_by(FailedScan.at.desc(), FailedScan.id.desc()).limit(limit)
    ))


def conflicts(event_id: int) -> list[DoorConflict]:
    """Guests two doors let in while offline (the check-in is the earliest scan), latest first."""
    return list(db.session.scalars(
        select(DoorConflict).where(DoorConflict.event_id == event_id)
        .options(joinedload(DoorConflict.attendee), joinedload(DoorConflict.kept_door),
                 joinedload(DoorConflict.later_door))
        .order_by(DoorConflict.later_at.desc(), DoorConflict.id.desc())
    ))


@dataclass(frozen=True)
class ArrivalCurve:
    """When each guest checked in (oldest first), and how many are expected and hold a place."""

    times: tuple[datetime, ...]
    expected: int
    holding: int


def arrival_curve(event_id: int) -> ArrivalCurve:
    """The numbers of the arrivals chart, in one query over the gathering's guests."""
    rows = db.session.execute(
        select(Attendee.checked_in_at, Attendee.is_expected.label("expected"), Attendee.holds_place.label("holding"))
        .where(Attendee.event_id == event_id)
    ).all()
    return ArrivalCurve(times=tuple(sorted(row.checked_in_at for row in rows if row.checked_in_at is not None)),
                        expected=sum(1 for row in rows if row.expected),
                        holding=sum(1 for row in rows if row.holding))
