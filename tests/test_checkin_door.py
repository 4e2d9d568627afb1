"""The door API: every scan outcome, nonces, search, tap check-in, undo and door-link checks."""
from __future__ import annotations

import hashlib
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.audit import AuditEntry
from eventkit.checkin.models import CheckIn, FailedScan
from eventkit.db import db


@pytest.fixture
def door(make_door, event):
    return make_door(event)


_nonces = iter(range(10**6))


def scan(client, door, code, nonce=None):
    nonce = nonce or f"nonce-{next(_nonces):08d}"
    return client.post(f"/api/door/{door.secret}/scan", json={"code": code, "nonce": nonce})


def url_of(attendee):
    return f"http://eventkit.test/c/{attendee.code}"


def failures(app):
    with app.app_context():
        return [(f.reason, f.code_hash, f.door_link_id, f.attendee_id)
                for f in db.session.scalars(select(FailedScan).order_by(FailedScan.id))]


def checked_in_at(app, attendee):
    with app.app_context():
        return db.session.get(Attendee, attendee.id).checked_in_at


def test_scan_of_the_qr_url_welcomes_the_guest_and_records_door_and_audit(app, client, door, event, make_attendee):
    ada = make_attendee(event, name="Ada Lovelace")
    answer = scan(client, door, url_of(ada)).json
    assert answer["outcome"] == "welcome" and answer["ok"] is True
    assert answer["title"] == "Welcome, Ada Lovelace!"
    assert answer["door"] == "Front door" and len(answer["time"]) == 5
    with app.app_context():
        assert db.session.get(Attendee, ada.id).checked_in_at is not None
        record = db.session.scalars(select(CheckIn)).one()
        assert (record.attendee_id, record.door_link_id, record.method) == (ada.id, door.id, "scan")
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "checkin")).one()
        assert (entry.actor, entry.target, entry.event_id) == (f"door:{door.id}", f"attendee:{ada.id}", event.id)
    assert failures(app) == []


def test_a_bare_code_works_too(client, door, event, make_attendee):
    guest = make_attendee(event)
    assert scan(client, door, guest.code).json["outcome"] == "welcome"


def test_second_scan_says_already_checked_in_at_what_time_by_which_door(app, client, make_door, event, make_attendee):
    front, garden = make_door(event, "Front door"), make_door(event, "Garden gate")
    guest = make_attendee(event, name="Grace Hopper")
    first = scan(client, front, url_of(guest)).json
    second = scan(client, garden, url_of(guest)).json
    assert second["outcome"] == "already" and second["ok"] is False
    assert second["message"] == f"Grace Hopper was checked in at {first['time']} by Front door."
    assert failures(app) == [("already", hashlib.sha256(guest.code.encode()).hexdigest(), garden.id, guest.id)]


def test_time_is_shown_in_the_event_time_zone(app, client, make_door, make_event, make_attendee):
    event = make_event(timezone="Asia/Kolkata")
    door = make_door(event)
    guest = make_attendee(event)
    answer = scan(client, door, url_of(guest)).json
    local = checked_in_at(app, guest).astimezone(ZoneInfo("Asia/Kolkata"))
    assert answer["time"] == local.strftime("%H:%M")


def test_unknown_code_is_not_on_the_list_and_writes_only_a_failed_scan(app, client, door, event, make_attendee):
    guest = make_attendee(event)
    answer = scan(client, door, "http://eventkit.test/c/" + "A" * 32).json
    assert answer["outcome"] == "not_on_list" and answer["title"] == "Not on this guest list"
    assert failures(app) == [("not_on_list", hashlib.sha256(b"A" * 32).hexdigest(), door.id, None)]
    assert checked_in_at(app, guest) is None


def test_code_of_another_gathering_is_not_on_this_list(app, client, door, make_event, make_attendee):
    elsewhere = make_attendee(make_event(), name="Other Guest")
    answer = scan(client, door, url_of(elsewhere)).json
    assert answer["outcome"] == "not_on_list" and answer["reason"] == "other_event"
    assert "Other Guest" not in answer["message"] and answer["guest"] is None
    assert failures(app)[0][0] == "other_event"
    assert checked_in_at(app, elsewhere) is None


@pytest.mark.parametrize("status, outcome", [
    (AttendeeStatus.CANCELLED, "cancelled"), (AttendeeStatus.DECLINED, "cancelled"),
    (AttendeeStatus.WAITLISTED, "waitlisted"),
])
def test_cancelled_declined_and_waitlisted_guests_are_refused(app, client, door, event, make_attendee, status, outcome):
    guest = make_attendee(event, name="Max Refused", status=status)
    answer = scan(client, door, url_of(guest)).json
    assert answer["outcome"] == outcome and answer["ok"] is False and "Max Refused" in answer["message"]
    assert checked_in_at(app, guest) is None
    assert [row[0] for row in failures(app)] == [outcome]


def test_an_applicant_awaiting_review_is_refused_as_not_approved_not_as_waitlisted(
        app, client, login, organiser, door, event, make_attendee):
    guest = make_attendee(event, name="Ann Applicant", status=AttendeeStatus.APPLIED)
    answer = scan(client, door, url_of(guest)).json
    assert (answer["outcome"], answer["reason"], answer["ok"]) == ("not_approved", "not_approved", False)
    assert answer["title"] == "Not approved yet"
    assert answer["message"] == "Ann Applicant applied but has not been approved yet: ask the organiser."
    assert "waiting list" not in answer["message"]
    by_name = client.post(f"/api/door/{door.secret}/checkin", json={"attendee_id": guest.id, "nonce": "nonce-applied"})
    assert by_name.json["outcome"] == "not_approved"
    assert checked_in_at(app, guest) is None
    assert [row[0] for row in failures(app)] == ["not_approved"]
    login(organiser)
    page = client.get(f"/events/{event.id}/door").get_data(as_text=True)
    assert "applied, not approved yet" in page and "on the waiting list" not in page


def test_invited_guest_who_never_answered_is_let_in_and_counted(app, client, door, event, make_attendee):
    guest = make_attendee(event, status=AttendeeStatus.INVITED)
    answer = scan(client, door, url_of(guest)).json
    assert answer["outcome"] == "welcome" and "never confirmed" in answer["message"]
    assert client.get(f"/api/door/{door.secret}/stats").json == {"arrived": 1, "expected": 0}


def test_rotated_code_says_replaced_and_the_new_one_works(app, client, door, event, make_attendee):
    guest = make_attendee(event, name="Rosa Rotated")
    with app.app_context():
        new_code = db.session.get(Attendee, guest.id).rotate_checkin_code()
        db.session.commit()
    answer = scan(client, door, url_of(guest)).json
    assert answer["outcome"] == "replaced" and "Rosa Rotated" in answer["message"]
    assert failures(app)[0][0] == "replaced"
    assert scan(client, door, new_code).json["outcome"] == "welcome"


@pytest.mark.parametrize("scanned, reason", [
    ("hello world", "malformed"), ("", "malformed"), ("http://eventkit.test/c/short", "malformed"),
    ("WIFI:S:cafe;T:WPA;P:secret;;", "malformed"), ("x" * 201, "too_long"),
])
def test_malformed_and_over_long_codes_are_refused(app, client, door, scanned, reason):
    answer = scan(client, door, scanned).json
    assert answer["outcome"] == "malformed" and answer["reason"] == reason
    expected_hash = "" if reason == "too_long" else hashlib.sha256(scanned.encode()).hexdigest()
    assert failures(app) == [(reason, expected_hash, door.id, None)]


def test_retried_request_with_the_same_nonce_replays_the_first_answer(app, client, door, event, make_attendee):
    guest = make_attendee(event)
    first = scan(client, door, url_of(guest), nonce="retry-0001").json
    again = scan(client, door, url_of(guest), nonce="retry-0001").json
    assert first["outcome"] == again["outcome"] == "welcome" and again["replayed"] is True
    assert again["at"] == first["at"]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)) == 1
    assert failures(app) == []


def test_retried_failure_is_recorded_once(app, client, door):
    scan(client, door, "nonsense", nonce="retry-0002")
    assert scan(client, door, "nonsense", nonce="retry-0002").json["replayed"] is True
    assert len(failures(app)) == 1


@pytest.mark.parametrize("body", [
    {"code": "x"}, {"code": "x", "nonce": "abcdefgh", "extra": 1}, {"code": 5, "nonce": "abcdefgh"},
    {"code": "x", "nonce": "short"}, {"code": "x", "nonce": "bad nonce!"}, ["code", "nonce"],
])
def test_invalid_json_is_a_400_that_writes_nothing(app, client, door, body):
    response = client.post(f"/api/door/{door.secret}/scan", json=body)
    assert response.status_code == 400 and response.json["message"]
    assert failures(app) == []


def test_body_size_is_bounded(client, door):
    response = client.post(f"/api/door/{door.secret}/scan", json={"code": "x" * 5000, "nonce": "abcdefgh"})
    assert response.status_code == 413


def test_not_json_is_refused(client, door):
    response = client.post(f"/api/door/{door.secret}/scan", data="code=x", content_type="text/plain")
    assert response.status_code == 400


def test_revoked_door_link_is_refused_everywhere(app, client, make_door, event, make_attendee):
    revoked = make_door(event, revoked=True)
    guest = make_attendee(event)
    response = scan(client, revoked, url_of(guest))
    assert response.status_code == 410 and "revoked" in response.json["message"]
    assert client.get(f"/api/door/{revoked.secret}/stats").status_code == 410
    assert client.get(f"/door/{revoked.secret}").status_code == 410
    assert checked_in_at(app, guest) is None and failures(app) == []


def test_unknown_door_secret_is_a_404(client):
    assert client.post("/api/door/not-a-secret/scan", json={"code": "x", "nonce": "abcdefgh"}).status_code == 404
    assert client.get("/door/not-a-secret").status_code == 404
    assert client.get("/door/" + "x" * 300).status_code == 404


def test_door_link_of_another_gathering_cannot_touch_this_gathering(app, client, make_door, event, make_event, make_attendee):
    guest = make_attendee(event, name="Linus Local")
    other_door = make_door(make_event())
    assert scan(client, other_door, url_of(guest)).json["outcome"] == "not_on_list"
    tap = client.post(f"/api/door/{other_door.secret}/checkin", json={"attendee_id": guest.id, "nonce": "abcdefgh"})
    assert tap.status_code == 404
    assert client.get(f"/api/door/{other_door.secret}/search?q=linus").json == {"results": []}
    assert checked_in_at(app, guest) is None


def test_search_needs_three_letters_and_finds_by_part_of_the_name(client, door, event, make_attendee):
    make_attendee(event, name="Margaret Hamilton", organisation="MIT")
    make_attendee(event, name="Hamid Said", status=AttendeeStatus.CANCELLED)
    make_attendee(event, name="Katherine Johnson")
    assert client.get(f"/api/door/{door.secret}/search?q=ha").json == {"results": []}
    results = client.get(f"/api/door/{door.secret}/search?q=HAM").json["results"]
    assert [(r["name"], r["status"]) for r in results] == [("Margaret Hamilton", "registered"), ("Hamid Said", "cancelled")]
    assert results[0]["organisation"] == "MIT" and results[0]["checked_in"] is False


def test_search_treats_like_wildcards_literally(client, door, event, make_attendee):
    make_attendee(event, name="Percy Shelley")
    assert client.get(f"/api/door/{door.secret}/search?q=%25%25%25").json == {"results": []}
    assert client.get(f"/api/door/{door.secret}/search?q=___").json == {"results": []}


def test_tap_check_in_after_search_then_undo(app, client, door, event, make_attendee):
    guest = make_attendee(event, name="Dorothy Vaughan")
    tapped = client.post(f"/api/door/{door.secret}/checkin", json={"attendee_id": guest.id, "nonce": "tap-00001"}).json
    assert tapped["outcome"] == "welcome"
    found = client.get(f"/api/door/{door.secret}/search?q=dorothy").json["results"][0]
    assert found["checked_in"] is True and found["time"] == tapped["time"]
    undone = client.post(f"/api/door/{door.secret}/undo", json={"attendee_id": guest.id})
    assert undone.status_code == 200 and undone.json["outcome"] == "undone"
    assert checked_in_at(app, guest) is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 0
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions == ["checkin", "checkin.undo"]
    assert scan(client, door, url_of(guest)).json["outcome"] == "welcome"


def test_undo_of_a_guest_not_checked_in_is_a_clear_409(client, door, event, make_attendee):
    guest = make_attendee(event, name="Ned Notin")
    response = client.post(f"/api/door/{door.secret}/undo", json={"attendee_id": guest.id})
    assert response.status_code == 409 and "Ned Notin is not checked in" in response.json["message"]


def test_tap_on_a_cancelled_guest_is_refused(app, client, door, event, make_attendee):
    guest = make_attendee(event, status=AttendeeStatus.CANCELLED)
    answer = client.post(f"/api/door/{door.secret}/checkin", json={"attendee_id": guest.id, "nonce": "tap-00002"}).json
    assert answer["outcome"] == "cancelled" and checked_in_at(app, guest) is None


def test_stats_count_arrived_and_expected(client, door, event, make_attendee):
    arriving = make_attendee(event)
    make_attendee(event, status=AttendeeStatus.APPROVED)
    make_attendee(event, status=AttendeeStatus.CANCELLED)
    scan(client, door, url_of(arriving))
    assert client.get(f"/api/door/{door.secret}/stats").json == {"arrived": 1, "expected": 2}


def test_scan_runs_few_queries(client, door, event, make_attendee, count_queries):
    guest = make_attendee(event)
    with count_queries() as counter:
        assert scan(client, door, url_of(guest)).json["outcome"] == "welcome"
    # the door read (first scan of this link), BEGIN and four writes; once 6 was seen on PostgreSQL
    assert counter.count <= 6, counter.statements
