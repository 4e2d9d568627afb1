"""Many phones scanning one code at the same instant: exactly one check-in, no errors.

Runs against whichever database the suite uses: the file-backed SQLite test database by default,
PostgreSQL when TEST_DATABASE_URL points there.
"""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from eventkit.attendees.models import Attendee
from eventkit.audit import AuditEntry
from eventkit.checkin.models import CheckIn, FailedScan
from eventkit.db import db

THREADS = 50


@pytest.fixture
def door_secret(make_door, event):
    return make_door(event).secret


def run_at_once(app, count, body_for):
    """POST a scan from `count` threads released together; returns (status, outcome) per thread."""
    barrier = threading.Barrier(count)
    results, errors = [], []

    def worker(index):
        client = app.test_client()
        try:
            barrier.wait()
            response = client.post(body_for(index)[0], json=body_for(index)[1])
            results.append((response.status_code, response.get_json().get("outcome")))
        except Exception as error:  # noqa: BLE001 (collected and asserted below)
            errors.append(repr(error))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    return results


def counts(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.slow
def test_fifty_simultaneous_scans_of_one_code_check_in_exactly_once(app, event, make_attendee, door_secret):
    guest = make_attendee(event)
    url = f"/api/door/{door_secret}/scan"
    results = run_at_once(app, THREADS, lambda i: (url, {"code": guest.code, "nonce": f"thread-{i:04d}"}))
    assert len(results) == THREADS
    assert Counter(results) == {(200, "welcome"): 1, (200, "already"): THREADS - 1}
    assert counts(app, CheckIn) == 1
    assert counts(app, FailedScan) == THREADS - 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "checkin")) == 1
        assert db.session.get(Attendee, guest.id).checked_in_at is not None


@pytest.mark.slow
def test_simultaneous_retries_of_one_request_count_once(app, event, make_attendee, door_secret):
    guest = make_attendee(event)
    url = f"/api/door/{door_secret}/scan"
    results = run_at_once(app, 20, lambda i: (url, {"code": guest.code, "nonce": "same-request-01"}))
    assert Counter(results) == {(200, "welcome"): 20}
    assert counts(app, CheckIn) == 1
    assert counts(app, FailedScan) == 0


@pytest.mark.slow
def test_doors_syncing_one_guest_at_once_keep_the_earliest_scan_and_one_conflict_per_other_door(
        app, make_event, make_attendee, make_door):
    from datetime import datetime, timedelta, timezone

    from eventkit.checkin.models import DoorConflict

    now = datetime.now(timezone.utc).replace(microsecond=0)
    event = make_event(starts_at=now - timedelta(hours=1))
    guest = make_attendee(event)
    doors = [make_door(event, f"Door {n}") for n in range(8)]
    times = [now - timedelta(minutes=(n * 5) % 8 + 1) for n in range(8)]  # door 3 scanned first

    def body(i):
        return (f"/api/door/{doors[i].secret}/sync", {"actions": [
            {"kind": "scan", "nonce": f"sync-door-{i:02d}", "code": guest.code, "shown": "welcome",
             "scanned_at": times[i].isoformat()}]})

    results = run_at_once(app, len(doors), body)
    assert [status for status, _ in results] == [200] * len(doors)
    earliest = min(range(len(doors)), key=lambda i: times[i])
    with app.app_context():
        record = db.session.scalars(select(CheckIn)).one()
        assert (record.door_link_id, record.at) == (doors[earliest].id, times[earliest])
        assert db.session.get(Attendee, guest.id).checked_in_at == times[earliest]
        later = sorted(c.later_door_link_id for c in db.session.scalars(select(DoorConflict)))
    assert later == sorted(door.id for n, door in enumerate(doors) if n != earliest)
