"""Group commit of welcome scans on SQLite (eventkit/checkin/batch.py): scans that arrive while a batch
is being written share the next transaction; every scan gets its own answer, only once its writes are
committed; a batch that fails is rolled back whole and its scans are told to take the general path."""
from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from test_checkin_door import url_of

from eventkit import write_gate
from eventkit.attendees.models import Attendee
from eventkit.audit import AuditEntry
from eventkit.checkin import batch
from eventkit.checkin.models import CheckIn, ScanRequest
from eventkit.checkin.services import INSERT_AUDIT
from eventkit.db import db, utcnow


@pytest.fixture
def sqlite_file(database_url):
    if write_gate.path_for(make_url(database_url)) is None:
        pytest.skip("group commit is for SQLite files only (PostgreSQL's row locks queue writers)")


def until(condition, what: str) -> None:
    """Wait (up to 30 s) for another thread to get somewhere; fails the test if it never does."""
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.001)


def audit_work(action: str, fail: bool = False, hold: threading.Event | None = None):
    """A scan's stand-in: one audit entry written on the batch's connection; answers {"action": ...}."""

    def work(connection):
        if hold is not None:
            assert hold.wait(timeout=30)
        INSERT_AUDIT.run(connection, at=utcnow(), event_id=None, actor="test", action=action, target="", details={})
        if fail:
            raise RuntimeError("this scan's writes fail")
        return {"action": action}

    return work


def actions(app) -> list[str]:
    with app.app_context():
        return sorted(db.session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "test")))


def run_batches(app, first, others):
    """`first` leads a batch (and holds it until the others are queued behind it); returns the answers
    and the sizes of the batches written."""
    with app.app_context():
        batcher = batch.Batcher(db.engine)
    sizes, commit = [], batcher._commit
    batcher._commit = lambda items: (sizes.append(len(items)), commit(items))
    hold = threading.Event()
    answers = {}

    def scan(name, work):
        with app.app_context():
            answers[name] = batcher.write(work)

    threads = [threading.Thread(target=scan, args=("first", first(hold)))]
    threads[0].start()
    until(lambda: sizes == [1], "the first batch")
    threads += [threading.Thread(target=scan, args=(name, work)) for name, work in others]
    for thread in threads[1:]:
        thread.start()
    until(lambda: len(batcher._waiting) == len(others), "the other scans to queue")
    hold.set()
    for thread in threads:
        thread.join(timeout=60)
    return answers, sizes


def test_scans_arriving_during_a_batch_share_the_next_one_each_with_its_answer(app, sqlite_file):
    answers, sizes = run_batches(app, lambda hold: audit_work("first", hold=hold),
                                 [(name, audit_work(name)) for name in ("b", "c", "d")])
    assert sizes == [1, 3]
    assert answers == {"first": {"action": "first"}, "b": {"action": "b"}, "c": {"action": "c"},
                       "d": {"action": "d"}}
    assert actions(app) == ["b", "c", "d", "first"]


def test_a_batch_that_fails_is_rolled_back_whole_and_its_scans_answered_none(app, sqlite_file):
    answers, sizes = run_batches(app, lambda hold: audit_work("first", hold=hold),
                                 [("b", audit_work("b")), ("c", audit_work("c", fail=True)), ("d", audit_work("d"))])
    assert sizes == [1, 3]
    assert answers == {"first": {"action": "first"}, "b": None, "c": None, "d": None}
    assert actions(app) == ["first"]  # nothing of the failed batch was kept


def test_many_guests_scanned_at_once_are_each_welcomed_once(app, event, make_door, make_attendee):
    door, guests = make_door(event), [make_attendee(event) for _ in range(24)]
    barrier, answers = threading.Barrier(len(guests)), []

    def phone(guest, index):
        client = app.test_client()
        barrier.wait()
        response = client.post(f"/api/door/{door.secret}/scan", json={"code": url_of(guest), "nonce": f"phone-{index:04d}"})
        answers.append((response.status_code, response.json["outcome"], response.json["guest"]["id"]))

    threads = [threading.Thread(target=phone, args=(guest, n)) for n, guest in enumerate(guests)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert Counter((status, outcome) for status, outcome, _ in answers) == {(200, "welcome"): len(guests)}
    assert sorted(guest_id for *_, guest_id in answers) == sorted(guest.id for guest in guests)
    with app.app_context():
        count = lambda model, *where: db.session.scalar(select(func.count()).select_from(model).where(*where))  # noqa: E731
        assert count(CheckIn) == len(guests)
        assert count(Attendee, Attendee.checked_in_at.is_not(None)) == len(guests)
        assert count(AuditEntry, AuditEntry.action == "checkin") == len(guests)
        assert [answer["outcome"] for answer in db.session.scalars(select(ScanRequest.response))] == ["welcome"] * len(guests)


def test_a_leader_lingers_for_more_scans_only_while_the_door_is_busy(app, sqlite_file):
    """The first scan at a quiet door is written at once; a scan that leads right after another batch
    first gives the scans still arriving a moment (LINGER_S) to join it."""
    with app.app_context():
        lingered, now = [], [100.0]
        batcher = batch.Batcher(db.engine, sleep=lingered.append, clock=lambda: now[0])
        assert batcher.write(audit_work("quiet")) == {"action": "quiet"}
        assert lingered == []  # no batch before it: the door was quiet
        now[0] += batch.BUSY_WITHIN_S / 2
        assert batcher.write(audit_work("busy")) == {"action": "busy"}
        assert lingered == [batch.LINGER_S]  # the batch before it ended moments ago
        now[0] += 2 * batch.BUSY_WITHIN_S
        assert batcher.write(audit_work("quiet again")) == {"action": "quiet again"}
        assert lingered == [batch.LINGER_S]
    assert actions(app) == ["busy", "quiet", "quiet again"]


def test_a_batcher_without_linger_never_waits(app, sqlite_file):
    with app.app_context():
        lingered: list[float] = []
        batcher = batch.Batcher(db.engine, linger=0, sleep=lingered.append)
        for name in ("a", "b", "c"):
            assert batcher.write(audit_work(name)) == {"action": name}
    assert lingered == []


def test_batches_share_one_connection_and_a_failed_batch_leaves_a_fresh_one(app, sqlite_file):
    with app.app_context():
        batcher = batch.Batcher(db.engine, linger=0)
        assert batcher.write(audit_work("a")) == {"action": "a"}
        kept = batcher._connection
        assert batcher.write(audit_work("b")) == {"action": "b"} and batcher._connection is kept
        assert batcher.write(audit_work("c", fail=True)) is None
        assert kept.closed  # not reused after a failure
        assert batcher.write(audit_work("d")) == {"action": "d"}
        assert batcher._connection is not kept
    assert actions(app) == ["a", "b", "d"]


def test_a_scan_with_the_door_cached_opens_no_session_of_its_own(app, client, sqlite_file, event, make_door,
                                                                 make_attendee, monkeypatch):
    """A welcome scan written by the group commit never uses the request's ORM session: neither the
    batch nor the request's end (commit or roll back) creates one just to ask whether it began."""
    from flask_sqlalchemy.session import Session
    from test_checkin_door import scan

    door = make_door(event)
    first, second = make_attendee(event), make_attendee(event)
    assert scan(client, door, url_of(first)).json["outcome"] == "welcome"  # caches the door
    created = []
    original = Session.__init__

    def counting(self, *args, **kwargs):
        created.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Session, "__init__", counting)
    assert scan(client, door, url_of(second)).json["outcome"] == "welcome"
    assert created == []
    with app.app_context():
        assert db.session.get(Attendee, second.id).checked_in_at is not None
