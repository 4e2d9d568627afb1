"""The door's writer gate on SQLite: a scan waits for the gate *before* it takes SQLite's write lock, so
the scans queue in the kernel (woken the moment the gate opens) and never hold the lock while waiting.

(Until December the gate was taken after `BEGIN IMMEDIATE`: the scans queued in SQLite's busy handler,
whose sleeps of up to 100 ms made the door's tail latency, and a scan could hold the write lock while
it waited for a gate another writer held.)
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading

import pytest
from sqlalchemy.engine import make_url
from test_checkin_door import scan, url_of

from eventkit.checkin import gate


@pytest.fixture
def sqlite_file(database_url):
    url = make_url(database_url)
    if gate.path_for(url) is None:
        pytest.skip("the writer gate is for SQLite files only (PostgreSQL queues writers on its row locks)")
    return url.database


def test_a_scan_waiting_for_the_gate_holds_no_write_lock(app, client, event, make_door, make_attendee, sqlite_file,
                                                         monkeypatch):
    door, guest = make_door(event), make_attendee(event)
    waiting = threading.Event()
    take = gate._take

    def take_and_say(path):
        waiting.set()
        return take(path)

    monkeypatch.setattr(gate, "_take", take_and_say)
    held = os.open(gate.path_for(make_url(f"sqlite:///{sqlite_file}")), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)  # another writer holds the gate
    answers = []
    scanner = threading.Thread(target=lambda: answers.append(scan(client, door, url_of(guest))))
    try:
        scanner.start()
        assert waiting.wait(timeout=30), "the scan never reached the gate"
        other = sqlite3.connect(sqlite_file, timeout=0, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")  # the write lock is free: the waiting scan has not taken it
            other.execute("ROLLBACK")
        finally:
            other.close()
    finally:
        fcntl.flock(held, fcntl.LOCK_UN)
        os.close(held)
        scanner.join(timeout=60)
    assert [answer.json["outcome"] for answer in answers] == ["welcome"]
