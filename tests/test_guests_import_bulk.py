"""The import's confirm is set-based: statements do not grow with rows, all or nothing when the list
changes meanwhile, the waitlist past capacity, and each invitation's QR code drawn at send time."""
from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from sqlalchemy import func, select
from test_guests_import import guests_of, payload_of, upload

from eventkit.attendees import imports
from eventkit.attendees.models import Attendee, Person
from eventkit.db import db
from eventkit.mail.models import OutboundAttachment, OutboundEmail
from eventkit.qr import checkin_url, qr_png


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


def test_a_guest_added_while_importing_means_nothing_is_imported(app, client, event, make_attendee, signed_in,
                                                                 monkeypatch):
    payload = payload_of(upload(client, event, csv_of(5)))
    real = imports.plan_import

    def plan_then_someone_adds_a_guest(*args, **kwargs):
        plan = real(*args, **kwargs)
        make_attendee(event, email="guest3@example.com")  # committed by another session meanwhile
        return plan

    monkeypatch.setattr(imports, "plan_import", plan_then_someone_adds_a_guest)
    response = confirm(client, event, payload)
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


def test_each_invitation_carries_its_guests_qr_code_made_when_sent(app, client, event, signed_in, runner, tmp_path):
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
        assert "/g/" in message.get_body(("plain",)).get_content()
