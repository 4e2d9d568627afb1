"""The import's confirm is set-based: statements do not grow with rows, all or nothing when the list
changes meanwhile, the waitlist past capacity, and each invitation's QR code drawn at send time."""
from __future__ import annotations

import json
import re
from datetime import timezone
from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select, text
from test_guests_import import guests_of, payload_of, upload

from eventkit.attendees import imports
from eventkit.attendees.invitations import CHECKIN_QR
from eventkit.attendees.links import PERSONAL
from eventkit.attendees.models import Attendee, Person
from eventkit.audit import AuditEntry
from eventkit.db import _literal, db, raw_rows, split_shared
from eventkit.events.calendar import event_ics, ics_filename
from eventkit.events.models import Event
from eventkit.mail.links import send_time_link
from eventkit.mail.models import OutboundAttachment, OutboundEmail
from eventkit.qr import checkin_url, qr_png
from eventkit.security import hash_token
from eventkit.text import name_key


def csv_of(count: int, start: int = 0) -> str:
    return "name,email,organisation\n" + "".join(f"Guest {n},guest{n}@example.com,Org {n % 7}\n"
                                                 for n in range(start, start + count))


@pytest.fixture
def signed_in(login, organiser):
    login(organiser)


def confirm(client, event, payload):
    return client.post(f"/events/{event.id}/guests/import/confirm", data={"payload": payload})


def confirm_counting(client, event, csv_text, count_queries):
    payload = payload_of(upload(client, event, csv_text))
    with count_queries() as counter:
        response = confirm(client, event, payload)
    assert response.status_code == 302
    return counter.count


def test_statements_do_not_grow_with_the_rows(app, client, make_event, signed_in, count_queries):
    small, large = make_event(capacity=500), make_event(capacity=500)
    few = confirm_counting(client, small, csv_of(3), count_queries)
    many = confirm_counting(client, large, csv_of(2000, start=100), count_queries)
    assert many == few
    with app.app_context():
        assert db.session.scalar(select(func.count(Attendee.id)).where(Attendee.event_id == large.id)) == 2000
        assert db.session.scalar(select(func.count(OutboundEmail.id)).where(OutboundEmail.event_id == large.id)) == 2000
        assert db.session.scalar(select(func.count(OutboundAttachment.id))) == 2 * 2003
        assert db.session.scalar(select(func.count(Person.id))) == 2003


def confirm_while_a_guest_is_added(client, event, make_attendee, monkeypatch, **guest):
    """Confirm a five-row import while another session adds guest3@example.com (with `guest`'s
    fields) between the plan and the write; the confirm's response."""
    payload = payload_of(upload(client, event, csv_of(5)))
    real = imports.plan_import

    def plan_then_someone_adds_a_guest(*args, **kwargs):
        plan = real(*args, **kwargs)
        make_attendee(event, email="guest3@example.com", **guest)  # committed by another session meanwhile
        return plan

    monkeypatch.setattr(imports, "plan_import", plan_then_someone_adds_a_guest)
    return confirm(client, event, payload)


def test_a_guest_added_while_importing_means_nothing_is_imported(app, client, event, make_attendee, signed_in,
                                                                 monkeypatch):
    response = confirm_while_a_guest_is_added(client, event, make_attendee, monkeypatch)
    assert response.status_code == 409 and b"Nothing was imported" in response.data
    assert set(guests_of(app, event)) == {"guest3@example.com"}
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboundEmail.id))) == 0


def test_past_capacity_the_rest_are_waitlisted_and_told_so(app, client, make_event, signed_in):
    event = make_event(capacity=3)
    response = confirm(client, event, payload_of(upload(client, event, csv_of(5))))
    guests = guests_of(app, event)
    assert [guests[f"guest{n}@example.com"].status for n in range(5)] == ["invited"] * 3 + ["waitlisted"] * 2
    with app.app_context():
        subjects = dict(db.session.execute(select(OutboundEmail.to_email, OutboundEmail.subject)).all())
    assert subjects["guest4@example.com"].startswith("You are on the waitlist")
    assert subjects["guest0@example.com"].startswith("You are invited")
    assert "2 of them are on the waitlist" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_each_invitation_carries_its_calendar_file_and_its_guests_qr_code_made_when_sent(app, client, event, signed_in, runner, tmp_path):
    confirm(client, event, payload_of(upload(client, event, csv_of(2))))
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboundAttachment.id))
                                 .where(OutboundAttachment.content.is_(None))) == 2  # no QR drawn during the import
    result = runner.invoke(args=["eventkit", "send-mail"])
    assert result.exit_code == 0 and "2 sent" in result.output, result.output
    guests = guests_of(app, event)
    for path in sorted((tmp_path / "outbox").glob("*.eml")):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        guest = guests[message["To"].addresses[0].addr_spec]
        qr = next(part for part in message.iter_attachments() if part.get_filename() == "check-in-qr.png")
        with app.app_context():
            assert qr.get_content() == qr_png(checkin_url(guest.checkin_code))
            gathering = db.session.get(Event, event.id)
            calendar = next(part for part in message.iter_attachments()
                            if part.get_filename() == ics_filename(gathering))
            assert calendar.get_content_type() == "text/calendar"
            assert without_stamp(calendar.get_payload(decode=True)) == without_stamp(event_ics(gathering))
        assert "/g/" in message.get_body(("plain",)).get_content()


def test_the_stored_rows_are_what_sqlalchemy_would_have_stored(app, client, make_event, signed_in, monkeypatch):
    """The rows go to the driver pre-serialised (eventkit.db.raw_rows): what they read back as, and on
    SQLite the text itself, must be what SQLAlchemy's own types write (aware UTC datetimes, JSON, the
    column defaults), with each guest's own link placeholder and attachments."""
    event = make_event(capacity=2)
    remade = spy_on_remaking(monkeypatch)
    looked_up = []
    ids_by = imports.ids_by
    monkeypatch.setattr(imports, "ids_by", lambda *a, **k: looked_up.append(a[0].name) or ids_by(*a, **k))
    confirm(client, event, payload_of(upload(client, event, csv_of(3))))
    guests = assert_stored_as_sqlalchemy_would(app, event)
    assert [guests[f"guest{n}@example.com"].status for n in range(3)] == ["invited", "invited", "waitlisted"]
    # made once, before the write: the database gave the expected ids (on PostgreSQL too: the tests'
    # sequences restart with the tables), checked without an id per row, and the attachments were
    # made by the database from the emails (INSERT ... SELECT)
    assert remade == ["guest"] and looked_up == []
    with app.app_context():
        if db.engine.dialect.name == "sqlite":  # the text SQLAlchemy's DateTime and JSON types write
            raw = db.session.execute(text(
                "SELECT attendee.created_at, audit_entry.details, attendee.links FROM attendee JOIN audit_entry "
                "ON audit_entry.target = 'attendee:' || attendee.id WHERE attendee.email = 'guest0@example.com'")).one()
            created = guests["guest0@example.com"].created_at.replace(tzinfo=None)
            assert tuple(raw) == (created.isoformat(sep=" ", timespec="microseconds"),
                                  json.dumps({"status": "invited", "via": "import"}), "[]")
            # the QR codes' producer_args made by the database: the JSON text the JSON type writes
            guest = guests["guest0@example.com"]
            stored = db.session.execute(text(
                "SELECT outbound_attachment.producer_args FROM outbound_attachment JOIN outbound_email "
                "ON outbound_email.id = outbound_attachment.email_id WHERE outbound_email.to_email = :to "
                "AND outbound_attachment.producer IS NOT NULL"), {"to": guest.email}).scalar_one()
            assert stored == json.dumps({"attendee_id": guest.id})


@pytest.mark.parametrize("meanwhile", ["a guest elsewhere", "an email elsewhere"])
def test_rows_are_remade_when_others_took_the_expected_ids(app, client, make_event, make_attendee, signed_in,
                                                           monkeypatch, meanwhile):
    """A guest or an email written for another gathering between the plan and the write takes the ids
    the rows were made for: they are remade with the ids the database gave, and nothing is mixed up."""
    event, elsewhere = make_event(), make_event()
    payload = payload_of(upload(client, event, csv_of(4)))
    real = imports.plan_import

    def plan_then_someone_writes(*args, **kwargs):
        plan = real(*args, **kwargs)
        if meanwhile == "a guest elsewhere":
            make_attendee(elsewhere, email="someone@example.com")
        else:
            with app.app_context():
                db.session.add(OutboundEmail(to_email="x@example.com", subject="s", body_text="t", body_html="h",
                                             purpose="notice", dedupe_key="meanwhile", event_id=elsewhere.id))
                db.session.commit()
        return plan

    monkeypatch.setattr(imports, "plan_import", plan_then_someone_writes)
    remade = spy_on_remaking(monkeypatch)
    assert confirm(client, event, payload).status_code == 302
    assert len(assert_stored_as_sqlalchemy_would(app, event)) == 4
    assert remade.count("email") == 1  # the attachment rows, made in the write for the ids given
    if meanwhile == "a guest elsewhere":
        assert remade.count("guest") == 2


def spy_on_remaking(monkeypatch) -> list[str]:
    """Records each time the rows that carry guest ids ("guest") or email ids ("email") are made."""
    made = []
    by_guest, by_email = imports._by_guest, imports._by_email
    monkeypatch.setattr(imports, "_by_guest", lambda *a: made.append("guest") or by_guest(*a))
    monkeypatch.setattr(imports, "_by_email", lambda *a: made.append("email") or by_email(*a))
    return made


def without_stamp(ics: bytes) -> bytes:
    """The calendar file without its DTSTAMP (when it was made)."""
    return re.sub(rb"DTSTAMP:[0-9TZ]+\r\n", b"", ics)


def assert_stored_as_sqlalchemy_would(app, event) -> dict:
    with app.app_context():
        guests = {a.email: a for a in db.session.scalars(select(Attendee).where(Attendee.event_id == event.id))}
        people = dict(db.session.execute(select(Person.email, Person.id)).all())
        gathering = db.session.get(Event, event.id)
        for guest in guests.values():
            now = guest.created_at
            assert now.tzinfo is timezone.utc and guest.status_changed_at == guest.link_requested_at == now
            assert guest.person_id == people[guest.email] and guest.name_key == name_key(guest.name)
            assert (guest.links, guest.bio, guest.directory_consent, guest.digest_opt_out, guest.checked_in_at) == \
                ([], "", False, False, None)
            assert guest.checkin_code_hash == hash_token(guest.checkin_code)
            entry = db.session.scalars(select(AuditEntry).where(AuditEntry.target == f"attendee:{guest.id}")).one()
            assert (entry.at, entry.event_id, entry.action, entry.details) == \
                (now, event.id, "attendee.added", {"status": guest.status, "via": "import"})
            email = db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_email == guest.email)).one()
            assert email.dedupe_key == f"invitation:{guest.id}:{guest.session_version}:{now.isoformat()}"
            assert (email.status, email.attempts, email.last_error, email.next_attempt_at, email.created_at) == \
                ("pending", 0, "", now, now)
            with app.test_request_context():
                link = send_time_link(PERSONAL, guest.id)
            for body in (email.body_text, email.body_html):
                assert link in body and imports.ID_MARK not in body
            calendar, code = email.attachments
            assert (calendar.filename, calendar.mimetype, without_stamp(calendar.content), calendar.producer) == \
                (ics_filename(gathering), "text/calendar", without_stamp(event_ics(gathering)), None)
            assert (code.producer, code.producer_args, code.content) == (CHECKIN_QR, {"attendee_id": guest.id}, None)
        return guests


def test_raw_rows_fill_defaults_and_refuse_unknown_columns(app):
    with app.app_context():
        columns, rows = raw_rows(OutboundAttachment.__table__, [{"filename": "a", "mimetype": "b"}], late=["email_id"])
        assert columns == ("email_id", "filename", "mimetype") and rows == [("a", "b")]
        with pytest.raises(KeyError):
            raw_rows(OutboundAttachment.__table__, [{"filename": "a", "colour": "red"}])


def test_a_guest_added_meanwhile_without_a_place_still_means_nothing_is_imported(app, client, event, make_attendee,
                                                                                 signed_in, monkeypatch):
    """The places taken are the same, but one address is on the list now: the insert's UNIQUE (event_id,
    email) refuses the import as a whole, people and all."""
    response = confirm_while_a_guest_is_added(client, event, make_attendee, monkeypatch, status="waitlisted")
    assert response.status_code == 409 and b"Nothing was imported" in response.data
    assert set(guests_of(app, event)) == {"guest3@example.com"}
    with app.app_context():
        assert db.session.scalar(select(func.count(OutboundEmail.id))) == 0
        assert db.session.scalar(select(func.count(Person.id))) == 1
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "attendee.added")) == 0


def test_values_every_row_shares_are_stored_as_given_even_with_quotes(app, client, make_event, signed_in):
    """What every row shares is written into the statement once (eventkit.db.split_shared), but only
    plain text: a shared organisation with a quote, a backslash or a % stays a bound parameter."""
    event = make_event()
    organisation = "O'Brien \\ 100% Ltd"
    csv_text = "name,email,organisation,role\n" + "".join(
        f"Guest {n},guest{n}@example.com,\"{organisation}\",Speaker\n" for n in range(3))
    assert confirm(client, event, payload_of(upload(client, event, csv_text))).status_code == 302
    guests = guests_of(app, event)
    assert len(guests) == 3
    assert {(g.organisation, g.role) for g in guests.values()} == {(organisation, "Speaker")}


def test_split_shared_keeps_only_plain_values_out_of_the_rows():
    # raw_rows' form: the late column ("id") is named but not in the tuples
    columns, rows, shared = split_shared((("id", "a", "b", "c", "d", "e"), [
        (1, None, "2026-12-01 10:00:00.000000", "it's", "same"),
        (1, None, "2026-12-01 10:00:00.000000", "it's", "differs")]), late=1)
    assert shared == {"a": 1, "b": None, "c": "2026-12-01 10:00:00.000000"}
    assert columns == ("id", "d", "e") and rows == [("it's", "same"), ("it's", "differs")]
    with pytest.raises(ValueError):
        _literal("50%")
    assert _literal("a-b:c") == "'a-b:c'" and _literal(None) == "NULL" and _literal(7) == "7"
