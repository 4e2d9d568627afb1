"""The writer gate on SQLite: a web request's write (a door scan, an organiser's form) waits for the gate
*before* it takes SQLite's write lock, so writers queue in the kernel (woken the moment the gate
opens) and never hold the lock while waiting.

(Until December the gate was taken after `BEGIN IMMEDIATE`: the scans queued in SQLite's busy handler,
whose sleeps of up to 100 ms made the door's tail latency, and a scan could hold the write lock while
it waited for a gate another writer held.)
"""
from __future__ import annotations

import threading

import pytest
from lock_helpers import gate_held_by_another_writer, reaching_the_gate, write_lock_is_free
from test_checkin_door import scan, url_of


def a_scan(client, event, make_door, make_attendee, login, organiser):
    door, guest = make_door(event), make_attendee(event)
    return lambda: scan(client, door, url_of(guest)).json["outcome"]


def an_organisers_form(client, event, make_door, make_attendee, login, organiser):
    login(organiser)
    form = {"name": "Ada Lovelace", "email": "ada@example.com", "organisation": "", "role": "", "field": ""}
    return lambda: client.post(f"/events/{event.id}/guests", data=form).status_code


@pytest.mark.parametrize(("make_request", "answer"), [(a_scan, "welcome"), (an_organisers_form, 302)],
                         ids=["door scan", "organiser's form"])
def test_a_write_waiting_for_the_gate_holds_no_write_lock(app, client, event, make_door, make_attendee, login,
                                                          organiser, sqlite_file, monkeypatch, make_request, answer):
    request = make_request(client, event, make_door, make_attendee, login, organiser)
    waiting = reaching_the_gate(monkeypatch)
    answers = []
    writer = threading.Thread(target=lambda: answers.append(request()))
    try:
        with gate_held_by_another_writer(sqlite_file):
            writer.start()
            assert waiting.wait(timeout=30), "the request never reached the gate"
            assert write_lock_is_free(sqlite_file)  # the waiting request has not taken it
    finally:
        writer.join(timeout=60)
    assert answers == [answer]
