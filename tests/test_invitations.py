"""Invitation emails: queued once, with the personal link, the .ics and the check-in QR."""
from datetime import timezone

import icalendar
import pytest
from conftest import links_in
from sqlalchemy import select

from eventkit.attendees import services
from eventkit.attendees.access import attendee_for_token
from eventkit.attendees.invitations import queue_invitation
from eventkit.attendees.models import Attendee
from eventkit.db import db, utcnow
from eventkit.events.calendar import event_ics
from eventkit.events.models import Event
from eventkit.mail.models import OutboundEmail


@pytest.fixture
def invited(app, event):
    with app.app_context():
        attendee = services.add_guest(db.session.get(Event, event.id),
                                      services.GuestData(name="Ada Lovelace", email="ada@example.com"),
                                      actor="organiser:1", now=utcnow())
        db.session.commit()
        return attendee.id


def the_invitation(app) -> OutboundEmail:
    with app.app_context():
        mail = db.session.scalars(select(OutboundEmail).where(OutboundEmail.purpose == "invitation")).one()
        assert mail.attachments is not None  # loaded before the session lets go
        db.session.expunge_all()
        return mail


def test_invitation_is_queued_once_with_link_and_both_attachments(app, event, invited, deliver):
    mail = the_invitation(app)
    assert mail.to_email == "ada@example.com" and event.title in mail.subject
    assert "/g/" not in mail.body_text and "/g/" not in mail.body_html, "the stored copy holds no personal link"
    assert "eventkit-link:personal." in mail.body_text and "eventkit-link:personal." in mail.body_html
    assert event.venue in mail.body_text
    kinds = {a.mimetype: a for a in mail.attachments}
    assert set(kinds) == {"text/calendar", "image/png"}
    assert kinds["image/png"].content.startswith(b"\x89PNG")
    calendar = icalendar.Calendar.from_ical(kinds["text/calendar"].content)
    entry = calendar.walk("VEVENT")[0]
    assert str(entry["summary"]) == event.title
    assert entry.decoded("dtstart") == event.starts_at.astimezone(timezone.utc)
    [message] = deliver()
    [link] = links_in(message)
    assert f"http://eventkit.test/g/{link}" in message.get_body(("html",)).get_content()
    with app.app_context():
        assert attendee_for_token(link).id == invited
        assert "/g/" not in db.session.get(OutboundEmail, mail.id).body_text, "sending leaves the stored copy as it was"


def test_same_request_never_queues_twice_but_rotation_does(app, invited):
    with app.app_context():
        attendee = db.session.get(Attendee, invited)
        queue_invitation(attendee)  # the same link request: the outbox keeps one message
        db.session.commit()
        assert db.session.scalars(select(OutboundEmail.purpose)).all() == ["invitation"]
        services.rotate_link(attendee, actor="organiser:1", now=utcnow())
        db.session.commit()
        assert db.session.scalars(select(OutboundEmail.purpose)).all() == ["invitation", "invitation"]


def test_qr_attachment_encodes_the_checkin_url(app, invited):
    zxingcpp = pytest.importorskip("zxingcpp")
    from io import BytesIO

    from PIL import Image

    png = next(a for a in the_invitation(app).attachments if a.mimetype == "image/png").content
    decoded = zxingcpp.read_barcodes(Image.open(BytesIO(png)))
    with app.app_context():
        code = db.session.get(Attendee, invited).checkin_code
    assert decoded[0].text == f"http://eventkit.test/c/{code}"


def test_event_ics_has_stable_uid_utc_times_location_and_url(app, event):
    with app.app_context():
        stored = db.session.get(Event, event.id)
        first, second = event_ics(stored), event_ics(stored)
    a = icalendar.Calendar.from_ical(first).walk("VEVENT")[0]
    b = icalendar.Calendar.from_ical(second).walk("VEVENT")[0]
    assert str(a["uid"]) == str(b["uid"])
    assert b"DTSTART:" in first and first.split(b"DTSTART:", 1)[1][15:16] == b"Z"
    assert a.decoded("dtend") == event.ends_at.astimezone(timezone.utc)
    assert str(a["location"]) == event.venue
    assert str(a["url"]) == f"http://eventkit.test/e/{event.slug}/me"
    assert event.theme in str(a["description"])


def test_organiser_calendar_download(client, event, login, organiser):
    login(organiser)
    response = client.get(f"/events/{event.id}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert icalendar.Calendar.from_ical(response.data).walk("VEVENT")


@pytest.mark.parametrize("status, subject, says", [
    ("invited", "You are invited: ", "You are invited to"),
    ("waitlisted", "You are on the waitlist for ", "If a place frees up"),
    ("registered", "Your place is confirmed: ", "is confirmed"),
    ("approved", "Your place is confirmed: ", "is confirmed"),
])
def test_the_invitation_fits_the_guests_status(app, event, make_attendee, status, subject, says):
    guest = make_attendee(event, status=status)
    with app.app_context():
        queue_invitation(db.session.get(Attendee, guest.id))
        db.session.commit()
    mail = the_invitation(app)
    assert mail.subject == subject + event.title
    assert says in mail.body_text and says in mail.body_html
    if status != "invited":
        assert "You are invited" not in mail.body_text + mail.body_html
