"""Welcome scans (and rescans) written set-based: the scans of one group commit take four statements in all, not four each.

A welcome scan (a new nonce, the code of a guest who may come in and is not in yet, an active door
link) takes four writes: admit the guest (a conditional `UPDATE ... RETURNING`), claim the nonce
with its answer, the check-in, the audit entry. The door's group commit on SQLite
(`eventkit.checkin.batch`) writes the welcome scans that arrive together in one transaction; here
each of the four writes covers all the scans of a door at once, so a batch of k scans costs four
statements instead of 4k (each of which hands SQLite's lock and Python's GIL back and forth while
the whole door waits for the batch). One scan (PostgreSQL; SQLite at a quiet door) is a batch of one.

A rescan of a guest who is in already (the phone scanned the same ticket twice, a friend showed it
again) is answered in the batch too: one read finds the batch's codes that were not admitted but
belong to a guest of this gathering who is in, with their first check-in, and their nonces and
failed-scan records join the batch's writes. On the general path a rescan took the write lock for
its whole request (read the door, the guest and the first check-in, write the nonce, the failure
and the answer) while every other scan waited: at one scan in twenty, rescans cost the door about
15 % of its check-ins per second (bench/checkin.py). As for a welcome, the door (its time zone, for
the time shown) may come from the short-lived door cache, and a revoked link answers nothing here.

Every rule of the one-scan path holds, scan by scan: a guest is admitted once (a code scanned twice
in one batch admits on its first scan; the second takes the general path and answers "already"),
a nonce answers once (a nonce twice in one batch, or one already stored, admits nobody: the guest
is taken back and the scan takes the general path, which replays the first answer), a link revoked
meanwhile admits nobody, and the rows stored are exactly those of the one-scan path.
"""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import bindparam, case, exists, insert, literal_column, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from eventkit.attendees.models import Attendee
from eventkit.audit import AuditEntry
from eventkit.checkin import outcomes
from eventkit.checkin.doors import Door
from eventkit.checkin.models import CheckIn, DoorLink, FailedScan, ScanRequest
from eventkit.db import type_bind_processor
from eventkit.prepared import Prepared, Processed

_A, _R, _C, _L, _AUDIT = (Attendee.__table__, ScanRequest.__table__, CheckIn.__table__, DoorLink.__table__,
                          AuditEntry.__table__)
_F, _FIRST_DOOR = FailedScan.__table__, DoorLink.__table__.alias("first_door")
#: the most scans one statement covers (a larger batch is written in slices of this many)
MOST = 32


class WelcomeScan(NamedTuple):
    """A scan the batch may answer (a welcome, or a rescan of a guest who is in): its door, the hash of
    its code, its nonce and its time."""

    door: Door
    code_hash: str
    nonce: str
    now: datetime


class Admitted(NamedTuple):
    """A guest the admitting UPDATE let in (or the read found in already)."""

    id: int
    name: str
    status: str


class _Sized:
    """A statement for n scans (`build(n)`), prepared once for each n."""

    def __init__(self, build: Callable[[int], Prepared]):
        self._build, self._prepared = build, {}

    def __call__(self, n: int) -> Prepared:
        prepared = self._prepared.get(n)
        if prepared is None:
            prepared = self._prepared[n] = self._build(n)
        return prepared


def _bind(column, n: int):
    return bindparam(f"{column.name}_{n}", type_=column.type)


def _of_this_gathering(hashes: list, *conditions) -> tuple:
    """Guests with one of the codes `hashes`, of the gathering `b_event_id`, whom no status refuses, met
    through the door link `door_id` while it is active."""
    # `event_id + 0`: SQLite, without ANALYZE's statistics, would otherwise walk the gathering's
    # index (every guest) rather than look up the few codes in the unique one
    return (_A.c.checkin_code_hash.in_(hashes), _A.c.event_id + literal_column("0") == bindparam("b_event_id"),
            *conditions, _A.c.status.not_in([literal_column(f"'{status}'") for status in outcomes.REFUSED_STATUSES]),
            exists().where(_L.c.id == bindparam("door_id"), _L.c.revoked_at.is_(None)))


def _admit(n: int) -> Prepared:
    """Admits the guests of the n codes `code_hash_i` (each at its `checked_in_at_i`) who may come in now,
    through a link still active; returns each admitted guest with their code's hash."""
    hashes = [_bind(_A.c.checkin_code_hash, i) for i in range(n)]
    times = [_bind(_A.c.checked_in_at, i) for i in range(n)]
    when = case(dict(zip(hashes, times)), value=_A.c.checkin_code_hash) if n > 1 else times[0]
    return Prepared(
        update(_A)
        .where(*_of_this_gathering(hashes, _A.c.checked_in_at.is_(None)))
        .values(checked_in_at=when)
        .returning(_A.c.id, _A.c.name, _A.c.status, _A.c.checkin_code_hash)
    )


def _already_in(n: int) -> Prepared:
    """Of the n codes `checkin_code_hash_i`, the guests who are in already, with their first check-in
    (its time and door; none if the check-in record is gone) and their code's hash."""
    hashes = [_bind(_A.c.checkin_code_hash, i) for i in range(n)]
    return Prepared(
        select(_A.c.id, _A.c.name, _A.c.status, _A.c.checkin_code_hash, _A.c.checked_in_at, _C.c.at,
               _FIRST_DOOR.c.label)
        .select_from(_A.outerjoin(_C, _C.c.attendee_id == _A.c.id)
                     .outerjoin(_FIRST_DOOR, _FIRST_DOOR.c.id == _C.c.door_link_id))
        .where(*_of_this_gathering(hashes, _A.c.checked_in_at.is_not(None)))
    )


def _rows(table, columns: list[str], n: int):
    return [{name: _bind(table.c[name], i) for name in columns} for i in range(n)]


def _claim(n: int) -> Prepared:
    """Stores n nonces with their answers unless stored already; returns those it stored."""
    rows = _rows(_R, ["door_link_id", "nonce", "at", "response"], n)
    return Prepared({
        dialect.__name__.rsplit(".", 1)[-1]: dialect.insert(_R).values(rows).on_conflict_do_nothing(
            index_elements=["door_link_id", "nonce"]).returning(_R.c.nonce)
        for dialect in (postgresql, sqlite)
    })


CHECKIN_COLUMNS = ["event_id", "attendee_id", "door_link_id", "at", "method"]
AUDIT_COLUMNS = ["at", "event_id", "actor", "action", "target", "details"]
FAILURE_COLUMNS = ["event_id", "door_link_id", "at", "reason", "code_hash", "attendee_id"]
ADMIT = _Sized(_admit)
ALREADY_IN = _Sized(_already_in)
INSERT_FAILURES = _Sized(lambda n: Prepared(insert(_F).values(_rows(_F, FAILURE_COLUMNS, n))))
CLAIM = _Sized(_claim)
INSERT_CHECKINS = _Sized(lambda n: Prepared(insert(_C).values(_rows(_C, CHECKIN_COLUMNS, n))))
INSERT_AUDITS = _Sized(lambda n: Prepared(insert(_AUDIT).values(_rows(_AUDIT, AUDIT_COLUMNS, n))))
#: takes back an admission whose nonce turned out to be taken
UNADMIT = Prepared(update(_A).where(_A.c.id == bindparam("attendee_id"), _A.c.checked_in_at == bindparam("now"))
                   .values(checked_in_at=null()))


def _first_of_each(indexes, key) -> list[int]:
    """Of `indexes` (in order), the first with each `key(index)`."""
    first: dict = {}
    for index in indexes:
        first.setdefault(key(index), index)
    return sorted(first.values())


def _params(columns: list[str], rows: list[tuple]) -> dict:
    return {f"{name}_{i}": value for i, row in enumerate(rows) for name, value in zip(columns, row, strict=True)}


#: the columns the batch binds whose values need the driver's form: each scan's time is processed
#: once for the four statements that store it, each answer once, the audit details once per door
PROCESSED = {"checked_in_at", "at", "response", "details"}


def _same(value):
    return value


class _Stamps(NamedTuple):
    """The bind processors (eventkit.db.type_bind_processor) of a dialect for the batch's processed
    columns: a UTC time (every `at` is a UTCDateTime) and JSON (an answer, the audit details)."""

    time: Callable
    answer: Callable
    details: Callable

    @classmethod
    def of(cls, dialect) -> _Stamps:
        """The processors for `dialect`, made once per dialect name (as `Prepared` keeps its statements)."""
        stamps = _STAMPS.get(dialect.name)
        if stamps is None:
            stamps = _STAMPS[dialect.name] = cls(*(type_bind_processor(column.type, dialect) or _same for column in (
                _A.c.checked_in_at, _R.c.response, _AUDIT.c.details)))
        return stamps


#: the batch's processors, by dialect name
_STAMPS: dict[str, _Stamps] = {}


def _processed(columns: list[str], rows: list[tuple], **plain) -> Processed:
    """`_params` of values already in the driver's form (PROCESSED columns processed, the others need
    no processing: a test checks it on both dialects), with `plain` parameters."""
    return Processed(_params(columns, rows), **plain)


def welcome_all(connection: Connection, scans: list[WelcomeScan]) -> list[dict | None]:
    """Write the welcome of each scan that lets a guest in; its answer, or None (nothing written for
    it) for a scan that must take the general path. Scans of several doors are written door by door."""
    answers: dict[int, dict | None] = {}
    by_door: dict[int, list[int]] = {}
    for index, scan in enumerate(scans):
        by_door.setdefault(scan.door.id, []).append(index)
    for indexes in by_door.values():
        for start in range(0, len(indexes), MOST):
            part = indexes[start:start + MOST]
            answers.update(zip(part, _welcome_door(connection, [scans[i] for i in part])))
    return [answers[index] for index in range(len(scans))]


def _welcome_door(connection: Connection, scans: list[WelcomeScan]) -> list[dict | None]:
    """`welcome_all` for scans of one door."""
    door = scans[0].door
    stamps = _Stamps.of(connection.dialect)
    at = [stamps.time(scan.now) for scan in scans]
    candidates = _first_of_each(range(len(scans)), lambda i: scans[i].code_hash)
    rows = ADMIT(len(candidates)).all(connection, _processed(
        ["checkin_code_hash", "checked_in_at"], [(scans[i].code_hash, at[i]) for i in candidates],
        b_event_id=door.event_id, door_id=door.id))
    admitted = {row[3]: Admitted(*row[:3]) for row in rows}
    welcomed = [(i, admitted[scans[i].code_hash]) for i in candidates if scans[i].code_hash in admitted]
    answers: list[dict | None] = [None] * len(scans)
    for index, guest in welcomed:
        answers[index] = outcomes.welcome(door, guest, scans[index].now)
    rescans = _rescans(connection, door, scans, [i for i in candidates if scans[i].code_hash not in admitted], answers)
    claimed = _claim_nonces(connection, stamps, door, scans, at, [index for index, _ in welcomed + rescans], answers)
    for index, guest in welcomed:
        if index not in claimed:  # a retried nonce that admitted someone else: the general path replays its first answer
            UNADMIT.run(connection, attendee_id=guest.id, now=scans[index].now)
    welcomed = [(index, guest) for index, guest in welcomed if index in claimed]
    rescans = [(index, guest_id) for index, guest_id in rescans if index in claimed]
    if welcomed:
        INSERT_CHECKINS(len(welcomed)).run(connection, _processed(CHECKIN_COLUMNS, [
            (door.event_id, guest.id, door.id, at[index], "scan") for index, guest in welcomed]))
        details = stamps.details({"door": door.label, "method": "scan"})
        INSERT_AUDITS(len(welcomed)).run(connection, _processed(AUDIT_COLUMNS, [
            (at[index], door.event_id, door.actor, "checkin", f"attendee:{guest.id}", details)
            for index, guest in welcomed]))
    if rescans:
        INSERT_FAILURES(len(rescans)).run(connection, _processed(FAILURE_COLUMNS, [
            (door.event_id, door.id, at[index], "already", scans[index].code_hash, guest_id)
            for index, guest_id in rescans]))
    return answers


def _rescans(connection: Connection, door: Door, scans: list[WelcomeScan], others: list[int],
             answers: list[dict | None]) -> list[tuple[int, int]]:
    """Of the scans `others` (not admitted), those of a guest of this gathering who is in already:
    (index, guest id) each, its answer ("already checked in at ... by ...") set in `answers`."""
    if not others:
        return []
    rows = ALREADY_IN(len(others)).typed(connection, b_event_id=door.event_id, door_id=door.id,
                                         **_params(["checkin_code_hash"], [(scans[i].code_hash,) for i in others]))
    found = {row[3]: row for row in rows}
    rescans = []
    for index in others:
        row = found.get(scans[index].code_hash)
        if row is None:
            continue  # unknown, replaced, refused, another gathering's: the general path says which
        guest_id, name, status, _code_hash, checked_in_at, first_at, label = row
        answers[index] = outcomes.already(door, Admitted(guest_id, name, status), first_at or checked_in_at, label)
        rescans.append((index, guest_id))
    return rescans


def _claim_nonces(connection: Connection, stamps: _Stamps, door: Door, scans: list[WelcomeScan], at: list,
                  indexes: list[int], answers: list[dict | None]) -> set[int]:
    """Claim the nonces of the scans `indexes` with their answers; the indexes whose nonce this stored.
    A scan whose nonce is taken (stored before, or an earlier scan's in this batch) has its answer set
    to None: the general path replays the first answer."""
    if not indexes:
        return set()
    unique = _first_of_each(sorted(indexes), lambda i: scans[i].nonce)
    stored = {row[0] for row in CLAIM(len(unique)).all(connection, _processed(
        ["door_link_id", "nonce", "at", "response"],
        [(door.id, scans[i].nonce, at[i], stamps.answer(answers[i])) for i in unique]))}
    claimed = {index for index in unique if scans[index].nonce in stored}
    for index in indexes:
        if index not in claimed:
            answers[index] = None
    return claimed
