"""Two doors, one guest: offline admissions of a guest who is already checked in.

Phones that lost the network decide scans themselves and sync them later, so two doors can both
let the same guest in. The guest is checked in once, at the earliest scan (whichever phone syncs
first); the other admission becomes a `DoorConflict` that the organiser's door page lists and that
the later door's phone is told about. Every change is a conditional statement, so concurrent syncs
on PostgreSQL cannot move a check-in to a later time.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import bindparam, insert, select, update

from eventkit.attendees.models import Attendee
from eventkit.audit import AuditEntry
from eventkit.checkin import outcomes
from eventkit.checkin.doors import Door
from eventkit.checkin.models import CheckIn, DoorConflict, DoorLink
from eventkit.db import db

_A, _C, _L, _K = Attendee.__table__, CheckIn.__table__, DoorLink.__table__, DoorConflict.__table__
FIRST = (select(_C.c.at, _C.c.door_link_id, _L.c.label).outerjoin(_L, _C.c.door_link_id == _L.c.id)
         .where(_C.c.attendee_id == bindparam("attendee_id")))
EARLIER = update(_A).where(_A.c.id == bindparam("attendee_id"), _A.c.checked_in_at > bindparam("at")).values(
    checked_in_at=bindparam("b_at", type_=_A.c.checked_in_at.type))
MOVE = update(_C).where(_C.c.attendee_id == bindparam("b_attendee")).values(
    at=bindparam("b_at", type_=_C.c.at.type), door_link_id=bindparam("b_door"), method=bindparam("b_method"))
INSERT_CONFLICT, INSERT_AUDIT = insert(_K), insert(AuditEntry.__table__)


def _run(statement, **params):
    return db.session.connection().execute(statement, params)


def admitted_again(door: Door, guest, at: datetime, method: str, now: datetime) -> dict | None:
    """This door admitted `guest` offline at `at`, but they are checked in already. Returns the
    answer (a welcome when this scan was the earlier one, else a conflict), or None when there is
    nothing to resolve (the same door's own check-in): the caller then answers "already"."""
    first = _run(FIRST, attendee_id=guest.id).first()
    if first is None or first.door_link_id == door.id:
        return None
    if at < first.at and _run(EARLIER, attendee_id=guest.id, at=at, b_at=at).rowcount == 1:
        displaced = _run(FIRST, attendee_id=guest.id).first()  # read again under the row lock just taken
        _run(MOVE, b_attendee=guest.id, b_at=at, b_door=door.id, b_method=method)
        _record(door, guest, now, kept=(door.id, at), later=(displaced.door_link_id, displaced.at))
        return outcomes.welcome(door, guest, at)
    first = _run(FIRST, attendee_id=guest.id).first()
    _record(door, guest, now, kept=(first.door_link_id, first.at), later=(door.id, at))
    return outcomes.conflict(door, guest, first.at, first.label, at)


def _record(door: Door, guest, now: datetime, *, kept: tuple, later: tuple) -> None:
    _run(INSERT_CONFLICT, event_id=door.event_id, attendee_id=guest.id, kept_door_link_id=kept[0],
         kept_at=kept[1], later_door_link_id=later[0], later_at=later[1], recorded_at=now)
    _run(INSERT_AUDIT, at=now, event_id=door.event_id, actor=door.actor, action="checkin.conflict",
         target=f"attendee:{guest.id}",
         details={"door": door.label, "kept_at": kept[1].isoformat(), "later_at": later[1].isoformat(),
                  "kept_door_link_id": kept[0], "later_door_link_id": later[0]})
