"""Hard bounces: a 5xx answer fails the message and marks the guest's address as failing."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from eventkit.attendees.invitations import queue_invitation
from eventkit.attendees.models import Attendee
from eventkit.db import db, utcnow
from eventkit.mail.models import MailStatus, OutboundEmail
from eventkit.mail.sender import send_due


def invite(app, *guests) -> None:
    with app.app_context():
        for guest in guests:
            queue_invitation(db.session.get(Attendee, guest.id))
        db.session.commit()


def failing(app, *guests):
    with app.app_context():
        return [(g.email_failed_at is not None, g.email_failure)
                for g in (db.session.get(Attendee, guest.id) for guest in guests)]


def test_a_refused_address_is_marked_failing_on_the_guest_list(smtp_app, smtp_server, client, login, organiser,
                                                                make_event, make_attendee):
    event, elsewhere = make_event(), make_event()
    ada, bob = make_attendee(event, email="ada@example.com"), make_attendee(event, email="bob@example.com")
    ada_elsewhere = make_attendee(elsewhere, email="ada@example.com")
    smtp_server.refused_addresses.add("ada@example.com")
    invite(smtp_app, ada, bob)
    with smtp_app.app_context():
        report = send_due(utcnow())
    assert (report.sent, report.failed) == (1, 1)
    [(marked, reason)] = failing(smtp_app, ada)
    assert marked and reason.startswith("The mail server refused the recipient: 550")
    assert failing(smtp_app, bob, ada_elsewhere) == [(False, ""), (False, "")]  # only where it bounced
    with smtp_app.app_context():
        row = db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_email == "ada@example.com")).one()
        assert row.status == MailStatus.FAILED and row.bounced_at is not None
    login(organiser)
    guests = client.get(f"/events/{event.id}/guests").get_data(as_text=True)
    assert guests.count("address failing") == 1
    outbox = client.get(f"/events/{event.id}/outbox").get_data(as_text=True)
    assert "<tr><td>invitation</td><td>1</td></tr>" in outbox
    assert "1 hard bounce" in client.get(f"/events/{event.id}").get_data(as_text=True)

    smtp_server.refused_addresses.clear()  # the guest fixed their mailbox; the organiser sends a new link
    invite(smtp_app, ada_elsewhere)
    with smtp_app.app_context():
        renewed = db.session.get(Attendee, ada.id)
        renewed.rotate_token()
        queue_invitation(renewed, renewed=True)
        db.session.commit()
        assert send_due(utcnow()).sent == 2
    assert failing(smtp_app, ada) == [(False, "")]


def test_a_temporary_refusal_is_no_bounce(smtp_app, smtp_server, event, make_attendee):
    ada = make_attendee(event)
    smtp_server.mode = "outage"
    invite(smtp_app, ada)
    with smtp_app.app_context():
        report = send_due(utcnow())
        assert report.retrying == 1
        assert db.session.scalars(select(OutboundEmail.bounced_at)).one() is None
    assert failing(smtp_app, ada) == [(False, "")]
    smtp_server.mode = "accept"
    with smtp_app.app_context():
        assert send_due(utcnow() + timedelta(hours=1)).sent == 1
