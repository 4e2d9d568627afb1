"""The door keeps answering while the worker renders a pack and an organiser confirms a big import.

An assertion on errors, not on time: every scan gets a 200 with the right outcome (timing is the
benchmark's, bench/door_mixed.py). A real consumer renders in this process."""
from __future__ import annotations

import threading
from collections import Counter

import pytest
from queue_helpers import running_worker, wait_for
from sqlalchemy import func, select
from test_briefings_support import build_gathering
from test_guests_import import payload_of, upload
from test_guests_import_bulk import csv_of

from eventkit.attendees.models import Attendee
from eventkit.checkin.models import CheckIn
from eventkit.db import db
from eventkit.jobs.queue import huey

SCANNERS = 3


@pytest.fixture(autouse=True)
def empty_queue_after(app):
    yield
    huey.flush()


@pytest.mark.slow
def test_scans_all_answer_while_a_render_and_an_import_run(app, client, login, organiser, make_event, make_attendee,
                                                           make_intent, make_door):
    app.config["BRIEFINGS_PART_GUESTS"] = 4
    gathering = build_gathering(app, make_event, make_attendee, make_intent, capacity=3000)
    guests = [make_attendee(gathering.event) for _ in range(30)]
    door = make_door(gathering.event).secret
    login(organiser)
    importer = app.test_client()
    login(organiser, on=importer)
    payload = payload_of(upload(importer, gathering.event, csv_of(2000, start=1000)))

    answers, errors, finished = [], [], threading.Event()

    def scanner(index: int) -> None:
        phone = app.test_client()
        scan = 0
        while not finished.is_set() or scan < 4:
            guest = guests[(index + SCANNERS * scan) % len(guests)]
            code = guest.code if scan % 5 else "not-a-real-code-" + str(scan)
            try:
                response = phone.post(f"/api/door/{door}/scan", json={"code": code, "nonce": f"scanner-{index}-{scan:05d}"})
                answers.append((response.status_code, response.get_json().get("outcome")))
            except Exception as error:  # noqa: BLE001 (asserted below)
                errors.append(repr(error))
            scan += 1

    with running_worker(threads=2):
        page = client.post(f"/events/{gathering.event.id}/briefings/pack", data={"paper": "a4"}).headers["Location"]
        phones = [threading.Thread(target=scanner, args=(i,)) for i in range(SCANNERS)]
        for phone in phones:
            phone.start()
        try:
            wait_for(lambda: client.get(page + "/status").get_json()["status"] == "running", timeout=120)
            imported = importer.post(f"/events/{gathering.event.id}/guests/import/confirm", data={"payload": payload})
            status = wait_for(lambda: (s := client.get(page + "/status").get_json())["status"] in ("done", "failed")
                              and s, timeout=300)
        finally:
            finished.set()
            for phone in phones:
                phone.join(timeout=120)

    assert errors == []
    assert imported.status_code == 302
    assert status["status"] == "done", status
    codes = Counter(code for code, _ in answers)
    assert set(codes) == {200}, codes
    outcomes = Counter(outcome for _, outcome in answers)
    assert set(outcomes) <= {"welcome", "already", "not_on_list"} and outcomes["welcome"] > 0, outcomes
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendee.id)).where(Attendee.event_id == gathering.event.id)) \
            == 2000 + 30 + 4
        assert db.session.scalar(select(func.count(CheckIn.id))) == outcomes["welcome"]
