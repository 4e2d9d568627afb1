"""The offline door's API: its dataset and the sync of queued scans (order, nonces, times, conflicts)."""
from __future__ import annotations

import hashlib
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.audit import AuditEntry
from eventkit.checkin.models import CheckIn, DoorConflict, FailedScan, ScanRequest
from eventkit.checkin.sync import MAX_ITEMS
from eventkit.db import db

NOW = datetime.now(timezone.utc).replace(microsecond=0)


@pytest.fixture
def tonight(make_event):
    """A gathering that started an hour ago, so scans of the last minutes are inside its day."""
    return make_event(starts_at=NOW - timedelta(hours=1))


@pytest.fixture
def door(make_door, tonight):
    return make_door(tonight)


_nonces = iter(range(10**6))


def nonce() -> str:
    return f"sync-{next(_nonces):08d}"


def at(minutes_ago: float) -> str:
    return (NOW - timedelta(minutes=minutes_ago)).isoformat().replace("+00:00", "Z")


def scan_item(code, minutes_ago, shown="welcome", **extra):
    return {"kind": "scan", "nonce": nonce(), "code": code, "scanned_at": at(minutes_ago), "shown": shown, **extra}


def sync(client, door, actions):
    return client.post(f"/api/door/{door.secret}/sync", json={"actions": actions})


def rows(app, model):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def checkin_of(app, attendee):
    with app.app_context():
        guest = db.session.get(Attendee, attendee.id)
        record = db.session.scalars(select(CheckIn).where(CheckIn.attendee_id == attendee.id)).first()
        return guest.checked_in_at, record and (record.door_link_id, record.at, record.method)


def test_dataset_holds_verifiers_names_and_status_of_this_gathering_only(app, client, door, tonight, make_event,
                                                                         make_attendee):
    ada = make_attendee(tonight, name="Ada Lovelace", organisation="Analytical Engines")
    gone = make_attendee(tonight, name="Émile Zola", status=AttendeeStatus.CANCELLED)
    stranger = make_attendee(make_event(), name="Someone Else")
    response = client.get(f"/api/door/{door.secret}/dataset")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    data = response.json
    by_id = {guest["id"]: guest for guest in data["guests"]}
    assert set(by_id) == {ada.id, gone.id}
    assert by_id[ada.id] == {"id": ada.id, "name": "Ada Lovelace", "organisation": "Analytical Engines",
                             "key": "ada lovelace", "status": "registered",
                             "verifier": hashlib.sha256(ada.code.encode()).hexdigest(), "at": None, "door": None}
    assert by_id[gone.id]["status"] == "cancelled" and by_id[gone.id]["key"] == "emile zola"
    body = response.get_data(as_text=True)
    assert ada.code not in body and gone.code not in body and stranger.name not in body
    assert data["door"] == {"label": "Front door", "title": tonight.title, "timezone": "Europe/Amsterdam"}
    assert data["texts"]["refusals"]["cancelled"][0] == "Cancelled"
    starts, ends = (datetime.fromisoformat(data["day"][key]) for key in ("starts", "ends"))
    assert starts <= tonight.starts_at < tonight.ends_at < ends


def test_dataset_lists_replaced_codes_and_who_is_in(app, client, door, tonight, make_attendee):
    ada = make_attendee(tonight, name="Ada Lovelace")
    with app.app_context():
        guest = db.session.get(Attendee, ada.id)
        old_hash = guest.checkin_code_hash
        guest.rotate_checkin_code()
        db.session.commit()
    client.post(f"/api/door/{door.secret}/checkin", json={"attendee_id": ada.id, "nonce": nonce()})
    data = client.get(f"/api/door/{door.secret}/dataset").json
    assert data["replaced"] == {old_hash: ada.id}
    assert data["guests"][0]["door"] == "Front door" and data["guests"][0]["at"] is not None


def test_revoked_or_unknown_door_gets_no_dataset_and_no_sync(client, make_door, tonight):
    revoked = make_door(tonight, revoked=True)
    assert client.get(f"/api/door/{revoked.secret}/dataset").status_code == 410
    assert sync(client, revoked, []).status_code == 410
    assert client.get("/api/door/not-a-door-secret/dataset").status_code == 404
    assert client.post("/api/door/not-a-door-secret/sync", json={"actions": []}).status_code == 404


def test_scans_are_checked_in_at_their_scan_times_in_scan_time_order(app, client, door, tonight, make_attendee):
    ada, grace = make_attendee(tonight, name="Ada Lovelace"), make_attendee(tonight, name="Grace Hopper")
    undo_grace = {"kind": "undo", "nonce": nonce(), "attendee_id": grace.id, "scanned_at": at(5)}
    batch = [undo_grace, scan_item(ada.code, 20),
             {"kind": "checkin", "nonce": nonce(), "attendee_id": grace.id, "scanned_at": at(10), "shown": "welcome"}]
    answer = sync(client, door, batch).json
    outcomes = [(item["status"], item["answer"]["outcome"]) for item in answer["results"]]
    assert outcomes == [("done", "undone"), ("done", "welcome"), ("done", "welcome")]  # undo ran last
    assert checkin_of(app, ada) == (NOW - timedelta(minutes=20), (door.id, NOW - timedelta(minutes=20), "scan"))
    assert checkin_of(app, grace) == (None, None)
    assert answer["arrivals"] == [{"id": ada.id, "at": (NOW - timedelta(minutes=20)).isoformat(),
                                   "time": answer["results"][1]["answer"]["time"], "door": "Front door"}]
    assert (answer["arrived"], answer["expected"]) == (1, 2)


def test_a_batch_replayed_twice_and_out_of_order_counts_nobody_twice(app, client, door, tonight, make_attendee):
    guests = [make_attendee(tonight) for _ in range(3)]
    batch = [scan_item(guest.code, 30 - n) for n, guest in enumerate(guests)]
    batch.append(scan_item(guests[0].code, 15, shown="already"))
    first = sync(client, door, batch).json["results"]
    again = sync(client, door, list(reversed(batch))).json["results"]
    assert [item["answer"]["outcome"] for item in first] == ["welcome", "welcome", "welcome", "already"]
    assert [item["answer"]["outcome"] for item in again] == ["already", "welcome", "welcome", "welcome"]
    assert all(item["answer"]["replayed"] for item in again)
    assert rows(app, CheckIn) == 3 and rows(app, ScanRequest) == 4
    assert rows(app, FailedScan) == 1  # the one rescan, recorded once
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "checkin")) == 3


def test_bad_items_are_refused_with_reasons_and_write_nothing(app, client, door, tonight, make_event,
                                                              make_attendee):
    ada = make_attendee(tonight, name="Ada Lovelace")
    stranger = make_attendee(make_event(starts_at=NOW - timedelta(hours=1)))
    good = scan_item(ada.code, 10)
    batch = [
        "not an object",
        {"kind": "teleport", "nonce": nonce(), "scanned_at": at(1)},
        {"kind": "scan", "nonce": nonce(), "code": ada.code},
        {"kind": "scan", "nonce": nonce(), "code": ada.code, "scanned_at": at(1), "extra": 1},
        {"kind": "checkin", "nonce": nonce(), "attendee_id": "12", "scanned_at": at(1)},
        {"kind": "checkin", "nonce": nonce(), "attendee_id": True, "scanned_at": at(1)},
        scan_item(ada.code, 1, nonce="bad nonce!"),
        scan_item(ada.code, 1, scanned_at="yesterday evening"),
        scan_item(ada.code, 1, scanned_at="2026-12-01T19:04:05"),  # no offset
        scan_item(ada.code, -60),
        scan_item(ada.code, 60 * 24 * 3),
        {"kind": "checkin", "nonce": nonce(), "attendee_id": stranger.id, "scanned_at": at(2)},
        good,
    ]
    answer = sync(client, door, batch)
    assert answer.status_code == 200
    results = answer.json["results"]
    assert [item["status"] for item in results] == ["refused"] * 12 + ["done"]
    assert [item["error"] for item in results[:12]] == [
        "bad_item", "bad_item", "bad_item", "bad_item", "bad_item", "bad_item", "bad_nonce", "bad_time",
        "bad_time", "future", "outside_day", "not_found"]
    assert "future" in results[9]["message"] and "gathering's day" in results[10]["message"]
    assert results[12]["answer"]["outcome"] == "welcome" and results[12]["nonce"] == good["nonce"]
    assert rows(app, CheckIn) == 1 and rows(app, ScanRequest) == 1 and rows(app, FailedScan) == 0
    assert checkin_of(app, stranger) == (None, None)


def test_another_gatherings_code_is_answered_like_online(app, client, door, make_event, make_attendee):
    stranger = make_attendee(make_event(starts_at=NOW - timedelta(hours=1)))
    result = sync(client, door, [scan_item(stranger.code, 3, shown="not_on_list")]).json["results"][0]
    assert (result["answer"]["outcome"], result["answer"]["reason"]) == ("not_on_list", "other_event")
    assert checkin_of(app, stranger) == (None, None)
    with app.app_context():
        failed = db.session.scalars(select(FailedScan)).one()
        assert (failed.reason, failed.at) == ("other_event", NOW - timedelta(minutes=3))


def test_the_phone_learns_which_statuses_are_refused_and_an_applicant_syncs_as_not_approved(
        app, client, door, tonight, make_attendee):
    ann = make_attendee(tonight, name="Ann Applicant", status=AttendeeStatus.APPLIED)
    data = client.get(f"/api/door/{door.secret}/dataset").json
    assert data["refused_statuses"] == {"applied": "not_approved", "cancelled": "cancelled",
                                        "declined": "cancelled", "waitlisted": "waitlisted"}
    assert data["texts"]["refusals"]["not_approved"] == [
        "Not approved yet", "{name} applied but has not been approved yet: ask the organiser."]
    result = sync(client, door, [scan_item(ann.code, 3, shown="not_approved")]).json["results"][0]
    assert result["answer"]["outcome"] == "not_approved"
    assert result["answer"]["message"].startswith("Ann Applicant applied but has not been approved yet")
    assert checkin_of(app, ann) == (None, None)
    with app.app_context():
        assert db.session.scalars(select(FailedScan.reason)).all() == ["not_approved"]


def test_a_phone_clock_slightly_ahead_counts_at_the_server_time(app, client, door, tonight, make_attendee):
    ada = make_attendee(tonight)
    result = sync(client, door, [scan_item(ada.code, -1)]).json["results"][0]
    assert result["answer"]["outcome"] == "welcome"
    assert checkin_of(app, ada)[0] <= datetime.now(timezone.utc)


def test_two_doors_one_guest_earliest_scan_counts_when_it_syncs_last(app, client, make_door, tonight,
                                                                     make_attendee):
    front, garden = make_door(tonight, "Front door"), make_door(tonight, "Garden gate")
    ada = make_attendee(tonight, name="Ada Lovelace")
    assert sync(client, front, [scan_item(ada.code, 5)]).json["results"][0]["answer"]["outcome"] == "welcome"
    answer = sync(client, garden, [scan_item(ada.code, 12)]).json
    assert answer["results"][0]["answer"]["outcome"] == "welcome"
    assert checkin_of(app, ada) == (NOW - timedelta(minutes=12), (garden.id, NOW - timedelta(minutes=12), "scan"))
    with app.app_context():
        conflict = db.session.scalars(select(DoorConflict)).one()
        assert (conflict.kept_door_link_id, conflict.kept_at, conflict.later_door_link_id, conflict.later_at) == (
            garden.id, NOW - timedelta(minutes=12), front.id, NOW - timedelta(minutes=5))
    told = client.get(f"/api/door/{front.secret}/dataset").json["conflicts"]
    assert [(item["guest"]["name"], item["kept_door"]) for item in told] == [("Ada Lovelace", "Garden gate")]
    assert client.get(f"/api/door/{garden.secret}/dataset").json["conflicts"] == []
    assert rows(app, CheckIn) == 1


def test_two_doors_one_guest_later_scan_is_a_conflict_its_phone_is_told(app, client, make_door, tonight,
                                                                        make_attendee):
    front, garden = make_door(tonight, "Front door"), make_door(tonight, "Garden gate")
    ada = make_attendee(tonight, name="Ada Lovelace")
    first = sync(client, front, [scan_item(ada.code, 12)]).json["results"][0]["answer"]
    answer = sync(client, garden, [scan_item(ada.code, 5)]).json
    result = answer["results"][0]["answer"]
    assert (result["outcome"], result["conflict"], result["door"]) == ("already", True, "Front door")
    assert result["message"].startswith(f"Ada Lovelace was already checked in at {first['time']} by Front door.")
    assert [item["kept_door"] for item in answer["conflicts"]] == ["Front door"]
    assert checkin_of(app, ada) == (NOW - timedelta(minutes=12), (front.id, NOW - timedelta(minutes=12), "scan"))
    assert rows(app, DoorConflict) == 1 and rows(app, FailedScan) == 0


def test_an_offline_already_is_no_conflict(app, client, make_door, tonight, make_attendee):
    front, garden = make_door(tonight, "Front door"), make_door(tonight, "Garden gate")
    ada = make_attendee(tonight)
    sync(client, front, [scan_item(ada.code, 12)])
    result = sync(client, garden, [scan_item(ada.code, 5, shown="already")]).json["results"][0]["answer"]
    assert result["outcome"] == "already" and "conflict" not in result
    assert rows(app, DoorConflict) == 0


def test_an_offline_undo_of_a_guest_not_in_answers_without_failing_the_batch(app, client, door, tonight,
                                                                            make_attendee):
    ada = make_attendee(tonight, name="Ada Lovelace")
    undo = {"kind": "undo", "nonce": nonce(), "attendee_id": ada.id, "scanned_at": at(2)}
    result = sync(client, door, [undo, scan_item(ada.code, 1)]).json["results"]
    assert result[0]["answer"]["outcome"] == "not_checked_in" and result[1]["answer"]["outcome"] == "welcome"


def test_sync_bodies_are_bounded(app, client, door):
    too_many = [{"kind": "undo", "nonce": nonce(), "attendee_id": 1, "scanned_at": at(1)}
                for _ in range(MAX_ITEMS + 1)]
    response = sync(client, door, too_many)
    assert response.status_code == 413 and str(MAX_ITEMS) in response.json["message"]
    huge = json.dumps({"actions": [scan_item("x" * 300_000, 1)]})
    response = client.post(f"/api/door/{door.secret}/sync", data=huge, content_type="application/json")
    assert response.status_code == 413
    for body in ({"actions": {}}, {"actions": [], "more": 1}, []):
        assert sync_raw(client, door, body).status_code == 400
    assert rows(app, ScanRequest) == 0


def sync_raw(client, door, body):
    return client.post(f"/api/door/{door.secret}/sync", json=body)


def test_statements_per_synced_scan_stay_constant(app, client, door, tonight, make_attendee, count_queries):
    guests = [make_attendee(tonight) for _ in range(30)]

    def statements(batch):
        with count_queries() as counter:
            assert sync(client, door, batch).status_code == 200
        return counter.count

    ten = statements([scan_item(guest.code, 20) for guest in guests[:10]])
    twenty = statements([scan_item(guest.code, 20) for guest in guests[10:]])
    per_scan = (twenty - ten) / 10
    assert per_scan <= 8, per_scan
    assert ten - 10 * per_scan <= 12  # a fixed few: the door, the arrivals, the counts, the conflicts


def test_organiser_door_page_lists_conflicts_with_doors_and_times(app, client, login, organiser, make_door,
                                                                  tonight, make_attendee, count_queries):
    front, garden = make_door(tonight, "Front door"), make_door(tonight, "Garden gate")
    for n in range(3):
        guest = make_attendee(tonight, name=f"Twice Admitted {n}")
        sync(client, front, [scan_item(guest.code, 20)])
        sync(client, garden, [scan_item(guest.code, 10)])
    login(organiser)
    with count_queries() as counter:
        page = client.get(f"/events/{tonight.id}/door").get_data(as_text=True)
    assert "Admitted twice (3)" in page and "Twice Admitted 2" in page
    first = (NOW - timedelta(minutes=20)).astimezone(tonight.zone).strftime("%H:%M:%S")
    again = (NOW - timedelta(minutes=10)).astimezone(tonight.zone).strftime("%H:%M:%S")
    assert f"{first} · Front door" in page and f"{again} · Garden gate" in page
    assert counter.count <= 11


def test_no_conflict_section_without_conflicts(client, login, organiser, tonight):
    login(organiser)
    assert "Admitted twice" not in client.get(f"/events/{tonight.id}/door").get_data(as_text=True)


def test_door_page_links_its_manifest_and_the_service_worker(client, door):
    page = client.get(f"/door/{door.secret}").get_data(as_text=True)
    assert f'<link rel="manifest" href="/door/{door.secret}/manifest.webmanifest">' in page
    assert 'data-sw="/door-sw.js"' in page and 'data-scope="/door/"' in page
    assert "<script>" not in page and " style=" not in page  # the CSP allows scripts from files only


def test_manifest_installs_this_door_only(client, door, make_door, tonight):
    response = client.get(f"/door/{door.secret}/manifest.webmanifest")
    assert response.status_code == 200 and response.mimetype == "application/manifest+json"
    assert response.headers["Cache-Control"] == "no-store"
    manifest = response.json
    assert manifest["start_url"] == manifest["scope"] == f"/door/{door.secret}"
    assert manifest["display"] == "standalone" and manifest["name"] == f"Door · {tonight.title}"
    for icon in manifest["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200 and image.mimetype == "image/png"
    revoked = make_door(tonight, revoked=True)
    assert client.get(f"/door/{revoked.secret}/manifest.webmanifest").status_code == 410
    assert client.get("/door/no-such-door-secret/manifest.webmanifest").status_code == 404


def test_service_worker_is_served_for_the_door_scope_and_never_stale(client):
    with client.get("/door-sw.js") as response:
        assert response.status_code == 200 and response.mimetype == "text/javascript"
        assert response.headers["Service-Worker-Allowed"] == "/door/"
        assert response.headers["Cache-Control"] == "no-cache"


def test_dataset_takes_a_fixed_few_queries_however_many_guests(client, door, tonight, make_attendee, count_queries):
    for n in range(12):
        make_attendee(tonight, name=f"Guest Number {n}")
    with count_queries() as counter:
        data = client.get(f"/api/door/{door.secret}/dataset").json
    assert len(data["guests"]) == 12 and counter.count <= 5
