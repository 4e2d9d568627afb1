"""On PostgreSQL the door never waits for the organiser's capacity lock on the gathering's row.

Imports, registrations, approvals and status changes lock the gathering's row while they count
places (`attendees.services.lock_event`). A check-in inserts rows that reference that gathering
(the check-in, the audit entry): PostgreSQL checks such a foreign key with a KEY SHARE lock on the
referenced row, which a plain `FOR UPDATE` blocks. Under a 2,000-row import that made scans wait for
the import's whole transaction (bench/door_mixed.py's slowest scans on PostgreSQL). The capacity
lock is `FOR NO KEY UPDATE`: it still queues the organisers' writers behind one another, never the
door. SQLite has one writer at a time anyway (the writer gate and the door's group commit see to it).

The app's connections get a lock timeout here, so a scan that would wait for the lock fails (and the
test with it) instead of hanging until the holder lets go.
"""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from eventkit.attendees.services import lock_event
from eventkit.checkin.models import CheckIn
from eventkit.db import db

LOCK_TIMEOUT_MS = 10_000


@pytest.fixture
def app_config(database_url):
    if not database_url.startswith("postgresql"):
        pytest.skip("row locks are PostgreSQL's: SQLite lets one writer in at a time (see test_checkin_gate.py)")
    return {"SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True,
                                          "connect_args": {"options": f"-c lock_timeout={LOCK_TIMEOUT_MS}"}}}


class HeldLock:
    """`lock` (a function of the app's session) held in its own thread and transaction for the `with` block."""

    def __init__(self, app, lock):
        self.app, self.lock = app, lock
        self.taken, self.done, self.errors = threading.Event(), threading.Event(), []
        self.thread = threading.Thread(target=self._hold)

    def _hold(self):
        with self.app.app_context():
            try:
                self.lock()
                self.taken.set()
                self.done.wait()
            except Exception as error:  # noqa: BLE001 - asserted by the test
                self.errors.append(repr(error))
            finally:
                self.taken.set()
                db.session.rollback()
                db.session.remove()

    def __enter__(self):
        self.thread.start()
        self.taken.wait()
        assert self.errors == []
        return self

    def __exit__(self, *_exc):
        self.done.set()
        self.thread.join()


def test_a_scan_checks_in_while_an_organiser_holds_the_capacity_lock(app, client, event, make_attendee, make_door):
    guest, door = make_attendee(event), make_door(event)
    with HeldLock(app, lambda: lock_event(event.id)):
        response = client.post(f"/api/door/{door.secret}/scan", json={"code": guest.code, "nonce": "nonce-during-lock"})
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.json["outcome"] == "welcome"
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1


def test_a_tapped_check_in_and_its_undo_pass_the_capacity_lock_too(app, client, event, make_attendee, make_door):
    guest, door = make_attendee(event), make_door(event)
    with HeldLock(app, lambda: lock_event(event.id)):
        tapped = client.post(f"/api/door/{door.secret}/checkin", json={"attendee_id": guest.id, "nonce": "tap-during-lock"})
        undone = client.post(f"/api/door/{door.secret}/undo", json={"attendee_id": guest.id})
    assert (tapped.status_code, tapped.json["outcome"]) == (200, "welcome")
    assert undone.status_code == 200, undone.get_data(as_text=True)


def test_capacity_locks_still_queue_behind_one_another(app, event):
    """Two organisers' capacity checks must not interleave: the second waits for the first (here: its
    lock times out, which proves it waited)."""
    with app.app_context():
        db.session.execute(db.text(f"SET lock_timeout = {LOCK_TIMEOUT_MS // 100}"))
        with HeldLock(app, lambda: lock_event(event.id)):
            with pytest.raises(OperationalError, match="lock timeout"):
                lock_event(event.id)
        db.session.rollback()
