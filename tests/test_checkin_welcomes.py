"""Welcome scans written set-based (eventkit/checkin/welcomes.py): the scans of one group commit take four
statements in all, and every rule of the one-scan path holds scan by scan (a guest admitted once, a
nonce answering once, refused and foreign guests, revoked links), on SQLite and PostgreSQL alike."""
from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import JSON, func, select, text
from sqlalchemy.dialects import sqlite
from sqlalchemy.dialects.postgresql.psycopg import PGDialect_psycopg
from test_checkin_door import scan, url_of

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.audit import AuditEntry
from eventkit.checkin import doors, welcomes
from eventkit.checkin.models import CheckIn, DoorLink, FailedScan, ScanRequest
from eventkit.db import UTCDateTime, db, type_bind_processor, utcnow
from eventkit.security import hash_token


def welcome(app, scans):
    """Write `scans` ((door link, guest, nonce) triples) as one batch and commit; their answers."""
    with app.app_context():
        now = utcnow()
        batch = [welcomes.WelcomeScan(doors.door_for_secret(link.secret), hash_token(guest.code), nonce, now)
                 for link, guest, nonce in scans]
        connection = db.session.connection()
        answers = welcomes.welcome_all(connection, batch)
        db.session.commit()
        return answers


def failures(app):
    with app.app_context():
        return [(row.reason, row.attendee_id) for row in db.session.scalars(select(FailedScan).order_by(FailedScan.id))]


def outcome(answer):
    return None if answer is None else (answer["outcome"], answer["guest"]["name"])


def stored(app):
    """(check-ins, audit entries of check-ins, stored nonces) by guest id / nonce."""
    with app.app_context():
        checkins = Counter(db.session.scalars(select(CheckIn.attendee_id)))
        audits = Counter(db.session.scalars(select(AuditEntry.target).where(AuditEntry.action == "checkin")))
        nonces = {nonce: response["outcome"] for nonce, response in db.session.execute(
            select(ScanRequest.nonce, ScanRequest.response))}
        admitted = set(db.session.scalars(select(Attendee.id).where(Attendee.checked_in_at.is_not(None))))
        return checkins, audits, nonces, admitted


def test_a_batch_admits_each_guest_once_in_four_statements(app, event, make_door, make_attendee, count_queries):
    link = make_door(event)
    guests = [make_attendee(event, name=f"Guest {n}") for n in range(5)]
    with count_queries() as counter:
        answers = welcome(app, [(link, guest, f"nonce-{n:04d}") for n, guest in enumerate(guests)])
    assert [outcome(answer) for answer in answers] == [("welcome", guest.name) for guest in guests]
    writes = [text.split()[0] for text in counter.statements if text.split()[0] in ("UPDATE", "INSERT")]
    assert writes == ["UPDATE", "INSERT", "INSERT", "INSERT"]  # admit, nonces, check-ins, audit: for all five
    checkins, audits, nonces, admitted = stored(app)
    assert checkins == Counter({guest.id: 1 for guest in guests})
    assert audits == Counter({f"attendee:{guest.id}": 1 for guest in guests})
    assert nonces == {f"nonce-{n:04d}": "welcome" for n in range(5)}
    assert admitted == {guest.id for guest in guests}


def test_each_scan_keeps_its_own_time(app, event, make_door, make_attendee):
    link = make_door(event)
    ada, bob = make_attendee(event), make_attendee(event)
    with app.app_context():
        door = doors.door_for_secret(link.secret)
        late = utcnow()
        early = late - timedelta(seconds=30)
        answers = welcomes.welcome_all(db.session.connection(), [
            welcomes.WelcomeScan(door, hash_token(ada.code), "nonce-ada-1", early),
            welcomes.WelcomeScan(door, hash_token(bob.code), "nonce-bob-1", late)])
        db.session.commit()
        assert [answer["at"] for answer in answers] == [early.isoformat(), late.isoformat()]
        assert db.session.get(Attendee, ada.id).checked_in_at == early
        assert db.session.get(Attendee, bob.id).checked_in_at == late
        assert dict(db.session.execute(select(CheckIn.attendee_id, CheckIn.at)).all()) == {ada.id: early, bob.id: late}


def test_a_code_scanned_twice_in_one_batch_admits_on_its_first_scan_only(app, event, make_door, make_attendee):
    link = make_door(event)
    ada, bob = make_attendee(event, name="Ada"), make_attendee(event, name="Bob")
    answers = welcome(app, [(link, ada, "nonce-one-1"), (link, bob, "nonce-two-2"), (link, ada, "nonce-three-3")])
    assert [outcome(answer) for answer in answers] == [("welcome", "Ada"), ("welcome", "Bob"), None]
    checkins, audits, nonces, _ = stored(app)
    assert checkins == Counter({ada.id: 1, bob.id: 1}) and len(audits) == 2
    assert set(nonces) == {"nonce-one-1", "nonce-two-2"}  # the general path answers the third ("already")


def test_a_nonce_twice_in_one_batch_or_stored_before_admits_nobody_for_the_repeat(app, event, make_door, make_attendee):
    link = make_door(event)
    ada, bob, cy, dee = (make_attendee(event, name=name) for name in ("Ada", "Bob", "Cy", "Dee"))
    assert outcome(welcome(app, [(link, ada, "nonce-used-1")])[0]) == ("welcome", "Ada")
    answers = welcome(app, [(link, bob, "nonce-used-1"), (link, cy, "nonce-pair-2"), (link, dee, "nonce-pair-2")])
    assert [outcome(answer) for answer in answers] == [None, ("welcome", "Cy"), None]
    checkins, audits, nonces, admitted = stored(app)
    assert admitted == {ada.id, cy.id}  # Bob and Dee were taken back: the general path replays the first answers
    assert checkins == Counter({ada.id: 1, cy.id: 1}) and len(audits) == 2
    assert nonces == {"nonce-used-1": "welcome", "nonce-pair-2": "welcome"}


def test_refused_and_foreign_guests_are_left_to_the_general_path(app, event, make_event, make_door, make_attendee):
    link = make_door(event)
    ada = make_attendee(event, name="Ada")
    cancelled = make_attendee(event, status=AttendeeStatus.CANCELLED)
    applied = make_attendee(event, status=AttendeeStatus.APPLIED)
    stranger = make_attendee(make_event())
    answers = welcome(app, [(link, cancelled, "nonce-a-0001"), (link, ada, "nonce-b-0002"), (link, stranger, "nonce-c-0003"),
                            (link, applied, "nonce-d-0004")])
    assert [outcome(answer) for answer in answers] == [None, ("welcome", "Ada"), None, None]
    _, _, nonces, admitted = stored(app)
    assert admitted == {ada.id}
    assert set(nonces) == {"nonce-b-0002"}
    assert failures(app) == []  # the general path records the refusals, each with its reason


def test_a_rescan_is_answered_in_the_batch_as_the_general_path_answers_it(app, client, event, make_door,
                                                                          make_attendee):
    front, side = make_door(event, label="Front"), make_door(event, label="Side")
    ada, bob, cy = (make_attendee(event, name=name) for name in ("Ada", "Bob", "Cy"))
    welcome(app, [(front, ada, "nonce-in-0001"), (front, bob, "nonce-in-0002")])
    by_general_path = scan(client, side, url_of(bob), nonce="nonce-gp-0001").json  # offline-synced scans go there
    answers = welcome(app, [(side, ada, "nonce-re-0001"), (side, cy, "nonce-re-0002")])
    assert [outcome(answer) for answer in answers] == [("already", "Ada"), ("welcome", "Cy")]
    rescan = answers[0]
    assert {key: rescan[key] for key in ("ok", "title", "door")} == {key: by_general_path[key] for key in ("ok", "title", "door")}
    assert rescan["door"] == "Front" and "by Front" in rescan["message"]  # the door of the first check-in
    with app.app_context():
        first_at = db.session.scalar(select(CheckIn.at).where(CheckIn.attendee_id == ada.id))
    assert rescan["at"] == first_at.isoformat()
    assert ("already", ada.id) in [(reason, attendee_id) for reason, attendee_id in failures(app)]
    _, _, nonces, _ = stored(app)
    assert nonces["nonce-re-0001"] == "already"


def test_a_rescan_of_a_guest_refused_since_or_through_a_revoked_link_is_left_to_the_general_path(app, event, make_door,
                                                                                                 make_attendee):
    link = make_door(event)
    ada, bob = make_attendee(event), make_attendee(event)
    welcome(app, [(link, ada, "nonce-in-0001"), (link, bob, "nonce-in-0002")])
    with app.app_context():
        db.session.get(Attendee, bob.id).status = AttendeeStatus.CANCELLED
        db.session.commit()
    assert welcome(app, [(link, bob, "nonce-re-0001")]) == [None]  # cancelled: the general path refuses
    with app.app_context():
        door = doors.door_for_secret(link.secret)
        db.session.get(DoorLink, link.id).revoked_at = utcnow()
        db.session.commit()  # the door as the cache still holds it, its link revoked meanwhile
        answers = welcomes.welcome_all(db.session.connection(), [
            welcomes.WelcomeScan(door, hash_token(ada.code), "nonce-re-0002", utcnow())])
        db.session.commit()
    assert answers == [None]
    assert failures(app) == []


def test_a_revoked_link_admits_nobody(app, event, make_door, make_attendee):
    link = make_door(event)
    guests = [make_attendee(event) for _ in range(3)]
    with app.app_context():
        door = doors.door_for_secret(link.secret)  # read while active, as the door cache holds it
        db.session.get(DoorLink, link.id).revoked_at = utcnow()
        db.session.commit()
        answers = welcomes.welcome_all(db.session.connection(), [
            welcomes.WelcomeScan(door, hash_token(guest.code), f"nonce-rev-{n}", utcnow()) for n, guest in enumerate(guests)])
        db.session.commit()
    assert answers == [None, None, None]
    assert stored(app) == (Counter(), Counter(), {}, set())


def test_scans_of_two_doors_in_one_batch_are_each_recorded_with_their_door(app, event, make_event, make_door,
                                                                           make_attendee):
    other_event = make_event()
    front, side = make_door(event, label="Front"), make_door(other_event, label="Side")
    ada, bob, cy = make_attendee(event, name="Ada"), make_attendee(other_event, name="Bob"), make_attendee(event, name="Cy")
    answers = welcome(app, [(front, ada, "nonce-f-0001"), (side, bob, "nonce-s-0001"), (front, cy, "nonce-f-0002")])
    assert [(answer["outcome"], answer["door"]) for answer in answers] == [("welcome", "Front"), ("welcome", "Side"),
                                                                          ("welcome", "Front")]
    with app.app_context():
        assert dict(db.session.execute(select(CheckIn.attendee_id, CheckIn.door_link_id)).all()) == {
            ada.id: front.id, bob.id: side.id, cy.id: front.id}
        assert dict(db.session.execute(select(ScanRequest.nonce, ScanRequest.door_link_id)).all()) == {
            "nonce-f-0001": front.id, "nonce-s-0001": side.id, "nonce-f-0002": front.id}


def test_a_batch_larger_than_one_statement_holds_is_written_in_slices(app, event, make_door, make_attendee,
                                                                      monkeypatch, count_queries):
    monkeypatch.setattr(welcomes, "MOST", 2)
    link = make_door(event)
    guests = [make_attendee(event) for _ in range(5)]
    with count_queries() as counter:
        answers = welcome(app, [(link, guest, f"nonce-sl-{n}") for n, guest in enumerate(guests)])
    assert [answer["guest"]["id"] for answer in answers] == [guest.id for guest in guests]
    assert sum(text.startswith("UPDATE") for text in counter.statements) == 3  # slices of 2, 2 and 1
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CheckIn)) == 5


@pytest.mark.parametrize("size", [1, 3])
def test_the_rows_are_those_of_the_one_scan_path(app, event, make_door, make_attendee, size):
    link = make_door(event, label="Main entrance")
    guests = [make_attendee(event) for _ in range(size)]
    answers = welcome(app, [(link, guest, f"nonce-rows-{n}") for n, guest in enumerate(guests)])
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "checkin").order_by(AuditEntry.id)).all()
        assert [(entry.actor, entry.target, entry.details, entry.event_id) for entry in entries] == [
            (f"door:{link.id}", f"attendee:{guest.id}", {"door": "Main entrance", "method": "scan"}, event.id)
            for guest in guests]
        checkins = db.session.scalars(select(CheckIn).order_by(CheckIn.id)).all()
        assert [(c.attendee_id, c.event_id, c.door_link_id, c.method) for c in checkins] == [
            (guest.id, event.id, link.id, "scan") for guest in guests]
        responses = dict(db.session.execute(select(ScanRequest.nonce, ScanRequest.response)).all())
        assert responses == {f"nonce-rows-{n}": answer for n, answer in enumerate(answers)}


@pytest.mark.parametrize("statement", ["ADMIT", "ALREADY_IN"])
@pytest.mark.parametrize("size", [1, 2, 8, welcomes.MOST])
def test_the_batch_looks_the_codes_up_by_their_unique_index(app, event, make_attendee, size, statement):
    """Without ANALYZE's statistics SQLite chose the gathering's index for an IN list of codes, walking
    every guest of the gathering for each batch (the door fell to under half its speed)."""
    for _ in range(3):
        make_attendee(event)
    with app.app_context():
        connection = db.session.connection()
        if connection.dialect.name != "sqlite":
            pytest.skip("the query plan asserted here is SQLite's (PostgreSQL plans with statistics)")
        sql = getattr(welcomes, statement)(size)._for(connection.dialect)[0]
        plan = connection.connection.driver_connection.execute(
            f"EXPLAIN QUERY PLAN {sql}", [None] * sql.count("?")).fetchall()
        indexes = {row[0]: row[1] for row in connection.connection.driver_connection.execute(
            "SELECT il.name, ii.name FROM pragma_index_list('attendee') AS il, pragma_index_info(il.name) AS ii")}
    searches = [row[3] for row in plan if " attendee " in f"{row[3]} "]
    assert len(searches) == 1 and "(checkin_code_hash=?)" in searches[0], plan
    used = searches[0].split("USING INDEX ")[1].split(" ")[0]
    assert indexes[used] == "checkin_code_hash"


@pytest.mark.parametrize("dialect", [sqlite.dialect(), PGDialect_psycopg()], ids=["sqlite", "postgresql"])
def test_the_batch_binds_unprocessed_only_values_that_need_no_processing(dialect):
    """The batch processes each scan's time and answer once (welcomes.PROCESSED) and binds the other
    values as they are: a column of the batch's statements given a bind processor of its own (a new
    type) must join PROCESSED, or it would be stored unconverted."""
    statements = [(Attendee.__table__, ["checkin_code_hash", "checked_in_at"]),
                  (ScanRequest.__table__, ["door_link_id", "nonce", "at", "response"]),
                  (CheckIn.__table__, welcomes.CHECKIN_COLUMNS), (AuditEntry.__table__, welcomes.AUDIT_COLUMNS),
                  (FailedScan.__table__, welcomes.FAILURE_COLUMNS)]
    for table, columns in statements:
        for name in columns:
            column = table.c[name]
            if name in welcomes.PROCESSED:
                # a scan's time is processed once, by attendee.checked_in_at's processor, for every column
                assert isinstance(column.type, JSON if name in ("response", "details") else UTCDateTime), column
            else:
                assert type_bind_processor(column.type, dialect) is None, column


def test_the_batch_stores_what_the_orm_stores(app, event, make_door, make_attendee):
    """Values processed once per scan are stored exactly as the ORM stores the same values (the raw
    column text on SQLite: the time's format, the JSON's spacing)."""
    link = make_door(event, label="Main entrance")
    guest = make_attendee(event)
    [answer] = welcome(app, [(link, guest, "nonce-same")])
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "checkin"))
        request = db.session.scalar(select(ScanRequest).where(ScanRequest.nonce == "nonce-same"))
        copies = [AuditEntry(at=entry.at, event_id=entry.event_id, actor=entry.actor, action="copy", target=entry.target,
                             details={"door": "Main entrance", "method": "scan"}),
                  ScanRequest(door_link_id=link.id, nonce="nonce-copy", at=request.at, response=answer)]
        db.session.add_all(copies)
        db.session.flush()
        audits = db.session.execute(text("SELECT at, details FROM audit_entry WHERE action IN ('checkin', 'copy') "
                                         "ORDER BY id")).all()
        requests = db.session.execute(text("SELECT at, response FROM scan_request WHERE nonce LIKE 'nonce-%' "
                                           "ORDER BY id")).all()
        times = db.session.execute(text("SELECT a.checked_in_at, c.at FROM attendee a JOIN checkin c "
                                        "ON c.attendee_id = a.id")).one()
        db.session.rollback()
    assert len(audits) == len(requests) == 2
    assert audits[0] == audits[1]
    assert requests[0] == requests[1]
    assert times[0] == times[1] == audits[0][0] == requests[0][0]
