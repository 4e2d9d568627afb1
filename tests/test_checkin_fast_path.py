"""The welcome scan's fast path (four writes, the door from a short-lived cache) keeps every rule of
the general path: a link revoked a moment ago stops at once, a nonce answers once, refusals and
rescans read the door again."""
from __future__ import annotations

from sqlalchemy import func, select
from test_checkin_door import checked_in_at, failures, scan, url_of

from eventkit.attendees.models import AttendeeStatus
from eventkit.audit import AuditEntry
from eventkit.checkin.models import CheckIn, DoorLink, ScanRequest
from eventkit.db import db, utcnow
from eventkit.events.models import Event


def revoke(app, door):
    with app.app_context():
        db.session.get(DoorLink, door.id).revoked_at = utcnow()
        db.session.commit()


def test_a_welcome_takes_four_writes_once_the_door_is_known(client, make_door, event, make_attendee, count_queries):
    door = make_door(event)
    first, second = make_attendee(event), make_attendee(event)
    assert scan(client, door, url_of(first)).json["outcome"] == "welcome"
    with count_queries() as counter:
        assert scan(client, door, url_of(second)).json["outcome"] == "welcome"
    statements = [text.split()[0] for text in counter.statements if not text.startswith("BEGIN")]  # SQLite's BEGIN
    assert statements == ["UPDATE", "INSERT", "INSERT", "INSERT"]  # admit, nonce with answer, check-in, audit


def test_a_link_revoked_after_a_scan_refuses_the_next_scan_at_once(app, client, make_door, event, make_attendee):
    door = make_door(event)
    first, second = make_attendee(event), make_attendee(event)
    assert scan(client, door, url_of(first)).json["outcome"] == "welcome"  # the door is now cached
    revoke(app, door)
    response = scan(client, door, url_of(second))
    assert response.status_code == 410 and "revoked" in response.json["message"]
    assert checked_in_at(app, second) is None
    assert scan(client, door, url_of(first)).status_code == 410  # a rescan too: nothing recorded
    assert failures(app) == []


def test_a_nonce_reused_for_another_guest_replays_its_first_answer_and_admits_nobody(app, client, make_door, event,
                                                                                    make_attendee):
    door = make_door(event)
    ada, bob = make_attendee(event, name="Ada Lovelace"), make_attendee(event, name="Bob Marley")
    first = scan(client, door, url_of(ada), nonce="shared-nonce-1").json
    again = scan(client, door, url_of(bob), nonce="shared-nonce-1").json
    assert again == {**first, "replayed": True}
    assert checked_in_at(app, bob) is None
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "checkin")) == 1
        assert db.session.scalar(select(func.count()).select_from(ScanRequest)) == 1


def test_refusals_still_answer_and_are_recorded_with_a_cached_door(app, client, make_door, event, make_attendee):
    door = make_door(event)
    scan(client, door, url_of(make_attendee(event)))  # caches the door
    cancelled = make_attendee(event, status=AttendeeStatus.CANCELLED)
    waitlisted = make_attendee(event, status=AttendeeStatus.WAITLISTED)
    assert scan(client, door, url_of(cancelled)).json["outcome"] == "cancelled"
    assert scan(client, door, url_of(waitlisted)).json["outcome"] == "waitlisted"
    assert [reason for reason, *_ in failures(app)] == ["cancelled", "waitlisted"]
    assert checked_in_at(app, cancelled) is None and checked_in_at(app, waitlisted) is None


def test_a_guest_of_another_gathering_is_not_admitted_by_the_fast_path(app, client, make_door, event, make_event,
                                                                       make_attendee):
    door = make_door(event)
    stranger = make_attendee(make_event())
    scan(client, door, url_of(make_attendee(event)))
    assert scan(client, door, url_of(stranger)).json["outcome"] == "not_on_list"
    assert checked_in_at(app, stranger) is None


def test_a_refusal_reads_the_gathering_again(app, client, make_door, event, make_attendee):
    door = make_door(event)
    scan(client, door, url_of(make_attendee(event)))  # caches the door with the old title
    with app.app_context():
        db.session.get(Event, event.id).title = "Renamed gathering"
        db.session.commit()
    answer = scan(client, door, "A" * 30).json
    assert answer["outcome"] == "not_on_list" and "Renamed gathering" in answer["message"]
