"""Slow work holds no SQLite write lock, and the worker's writes queue at the writer gate like the web's.

On SQLite one writer at a time holds the write lock the door's check-ins need. Measured under load
(bench/door_mixed.py with a lock trace), the slowest scans waited behind work that only needed to
read: the message sweep rendering a gathering's emails (310-660 ms), the CSV preview parsing 2,000
rows (170 ms); and behind worker writes that met the scans in SQLite's busy handler instead of at
the gate. The follow-up sweep, too, held the lock while it found and rendered its reminders (161
emails: 110 ms in-process). These tests look at the lock from outside, the way a scan meets it.
"""
from __future__ import annotations

import threading
from datetime import datetime, timedelta

from conftest import PASSWORD
from lock_helpers import gate_held_by_another_writer, lock_seen_during, reaching_the_gate, write_lock_is_free
from messages_support import BEFORE, create, gathering
from queue_helpers import drain
from sqlalchemy import func, select
from test_followup_support import ENDS, finish
from test_followup_support import gathering as followup_gathering
from test_guests_import import upload as csv_upload

from eventkit.attendees import csv_io
from eventkit.auth import services as auth_services
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.followup import reminders
from eventkit.jobs.queue import task
from eventkit.mail.models import OutboundEmail
from eventkit.messages import sweep as sweep_module
from eventkit.messages.models import Message


def test_the_sweep_renders_a_messages_emails_without_the_write_lock(app, make_event, make_attendee, sqlite_file,
                                                                    monkeypatch):
    g = gathering(app, make_event, make_attendee)
    message_id = create(app, g.event, BEFORE, audience="place", subject="Parking", body="Park at the back.",
                        schedule="at", at=datetime(2030, 5, 31, 10, 30))
    with app.app_context():
        due = db.session.get(Message, message_id).send_at
    free_while_rendering = lock_seen_during(monkeypatch, sweep_module, "render_delivery", sqlite_file)
    with app.app_context():
        report = sweep_module.sweep(due)
        db.session.commit()
    assert free_while_rendering == [True]
    assert (report.sent, report.emails) == (1, 4)  # the four guests holding a place


def test_a_message_that_another_sweep_sent_while_this_one_rendered_is_not_sent_twice(
        app, make_event, make_attendee, monkeypatch):
    g = gathering(app, make_event, make_attendee)
    message_id = create(app, g.event, BEFORE, audience="place", subject="Parking", body="Park at the back.",
                        schedule="at", at=datetime(2030, 5, 31, 10, 30))
    with app.app_context():
        due = db.session.get(Message, message_id).send_at
    render = sweep_module.render_delivery
    other_reports, started = [], []

    def render_while_another_sweep_runs(message, now):
        rendered = render(message, now)
        if not started:  # the other sweep claims and queues the message meanwhile
            started.append(True)
            with app.app_context():
                other_reports.append(sweep_module.sweep(now))
                db.session.commit()
        return rendered

    monkeypatch.setattr(sweep_module, "render_delivery", render_while_another_sweep_runs)
    with app.app_context():
        report = sweep_module.sweep(due)
        db.session.commit()
    assert (other_reports[0].sent, report.sent) == (1, 0)
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboundEmail.id))) == 4


def _due_follow_ups(app, make_event, make_attendee, pairs: int = 3):
    """A gathering that ended three days before the returned time, its guests' follow-ups due."""
    names = [f"G{n:02d}" for n in range(pairs * 2)]
    event, _guests = followup_gathering(make_event, make_attendee, app, names,
                                        [(names[i], names[i + 1]) for i in range(0, len(names), 2)])
    finish(app, event.id, ENDS + timedelta(hours=1))
    return ENDS + timedelta(days=3)


def test_the_follow_up_sweep_finds_and_renders_its_reminders_without_the_write_lock(
        app, make_event, make_attendee, sqlite_file, monkeypatch):
    now = _due_follow_ups(app, make_event, make_attendee)
    free_while_finding = lock_seen_during(monkeypatch, reminders, "_task_rows", sqlite_file)
    free_while_rendering = lock_seen_during(monkeypatch, reminders, "render_batch", sqlite_file)
    with app.app_context():
        counts = reminders.sweep(now)
        db.session.commit()
        queued = db.session.scalar(select(func.count(OutboundEmail.id)))
    assert counts["queued"] == queued > 0
    assert free_while_finding and all(free_while_finding)
    assert free_while_rendering == [True]


def test_a_reminder_another_sweep_queued_while_this_one_rendered_is_queued_once(
        app, make_event, make_attendee, monkeypatch):
    now = _due_follow_ups(app, make_event, make_attendee)
    render, other = reminders.render_batch, []

    def render_while_another_sweep_runs(*args):
        rendered = render(*args)
        if not other:  # the other sweep finds, renders and queues the same reminders meanwhile
            other.append(None)
            with app.app_context():
                other[0] = reminders.sweep(now)
                db.session.commit()
        return rendered

    monkeypatch.setattr(reminders, "render_batch", render_while_another_sweep_runs)
    with app.app_context():
        reminders.sweep(now)
        db.session.commit()
        keys = db.session.scalars(select(OutboundEmail.dedupe_key)).all()
    assert len(keys) == len(set(keys)) == other[0]["queued"] > 0


def test_the_import_preview_parses_the_file_without_the_write_lock(client, login, organiser, event, sqlite_file,
                                                                    monkeypatch):
    login(organiser)
    free_while_parsing = lock_seen_during(monkeypatch, csv_io, "parse_import", sqlite_file)
    response = csv_upload(client, event, "name,email\nAda Lovelace,ada@example.com\n")
    assert response.status_code == 200 and "Ada Lovelace" in response.get_data(as_text=True)
    assert free_while_parsing == [True]


def test_signing_in_checks_the_password_without_the_write_lock(client, organiser, sqlite_file, monkeypatch):
    """scrypt takes about 100 ms: the sign-in throttle's claim is committed before the check."""
    free_while_checking = lock_seen_during(monkeypatch, auth_services, "check_password_hash", sqlite_file)
    wrong = client.post("/auth/login", data={"email": organiser.email, "password": "not the password"})
    right = client.post("/auth/login", data={"email": organiser.email, "password": PASSWORD})
    assert (wrong.status_code, right.status_code) == (401, 302)
    assert free_while_checking == [True, True]


@task()
def _note_a_guest_name(event_id: int, name: str) -> None:
    db.session.get(Event, event_id).title = name


def test_a_worker_tasks_write_waits_at_the_gate_holding_no_write_lock(app, event, sqlite_file, monkeypatch):
    """Like a web request's (tests/test_checkin_gate.py): the worker's writes queue at the gate."""
    waiting = reaching_the_gate(monkeypatch)
    _note_a_guest_name(event.id, "Renamed by the worker")
    ran = []
    worker = threading.Thread(target=lambda: ran.append(drain()))
    try:
        with gate_held_by_another_writer(sqlite_file):  # a scan holds the gate
            worker.start()
            assert waiting.wait(timeout=30), "the task's write never reached the gate"
            assert write_lock_is_free(sqlite_file)
    finally:
        worker.join(timeout=60)
    assert ran == [1]
    with app.app_context():
        assert db.session.get(Event, event.id).title == "Renamed by the worker"


def test_a_task_run_inside_a_requests_commit_takes_the_gate_the_request_opened(app, event, sqlite_file):
    """The queue's immediate mode runs a task in the request's after-commit: the gate is open by then
    (a gate taken twice in one thread would wait for itself)."""
    from eventkit.jobs.queue import enqueue_after_commit, huey

    def request_that_queues_a_task():
        with app.test_request_context(method="POST"):
            db.session.get(Event, event.id).capacity = 12  # the request's write takes the gate
            db.session.flush()
            enqueue_after_commit(_note_a_guest_name, event.id, "Renamed after the commit")
            db.session.commit()
            db.session.remove()

    huey.immediate = True
    try:
        request = threading.Thread(target=request_that_queues_a_task, daemon=True)
        request.start()
        request.join(timeout=60)
        assert not request.is_alive(), "the task waited for the gate its own thread held"
    finally:
        huey.immediate = False
    with app.app_context():
        changed = db.session.get(Event, event.id)
        assert (changed.capacity, changed.title) == (12, "Renamed after the commit")
