"""A guest who lost their personal link gets a new one by email, without revealing who is invited."""
from datetime import timedelta

from conftest import links_in
from sqlalchemy import select

from eventkit.attendees.models import Attendee
from eventkit.audit import AuditEntry
from eventkit.db import db
from eventkit.mail.models import OutboundEmail


def invitations(app, email):
    with app.app_context():
        return db.session.scalars(select(OutboundEmail).where(
            OutboundEmail.to_email == email, OutboundEmail.purpose == "invitation").order_by(OutboundEmail.id)).all()


def age_link(app, guest, minutes):
    """Pretend the guest's current link went out `minutes` ago."""
    with app.app_context():
        row = db.session.get(Attendee, guest.id)
        row.link_requested_at = row.link_requested_at - timedelta(minutes=minutes)
        db.session.commit()




def test_page_without_a_session_offers_a_new_link(client, event):
    page = client.get(f"/e/{event.slug}/me")
    assert page.status_code == 403
    assert f"/e/{event.slug}/link" in page.get_data(as_text=True)
    assert "Email me a new link" in client.get(f"/e/{event.slug}/link").get_data(as_text=True)


def test_a_guest_gets_a_working_new_link_and_the_old_one_keeps_working(app, client, event, make_attendee, deliver):
    guest = make_attendee(event, email="lost@example.com")
    other_browser = app.test_client()
    assert other_browser.get(f"/g/{guest.token}").status_code == 302
    age_link(app, guest, 30)
    before = len(invitations(app, "lost@example.com"))
    response = client.post(f"/e/{event.slug}/link", data={"email": "  Lost@Example.com "})
    assert response.status_code == 200
    assert "a new\n        personal link is on its way" in response.get_data(as_text=True)
    sent = invitations(app, "lost@example.com")
    assert len(sent) == before + 1
    assert sent[-1].subject == f"Your new personal link: {event.title}"
    assert "Links you had before keep working until they expire." in sent[-1].body_text
    [message] = deliver()
    [token] = links_in(message)
    assert client.get(f"/g/{token}").status_code == 302
    assert client.get(f"/e/{event.slug}/me").status_code == 200
    # asking for a link revokes nothing: knowing a guest's email signs nobody out
    assert other_browser.get(f"/e/{event.slug}/me").status_code == 200
    assert app.test_client().get(f"/g/{guest.token}").status_code == 302
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "attendee.link_requested")).one()
        assert entry.actor == f"guest:{guest.id}"  # the guest asked, not an organiser


def test_unknown_emails_get_the_same_answer_and_nothing_is_sent(app, client, event, make_event, make_attendee):
    other_event = make_event()
    make_attendee(other_event, email="elsewhere@example.com")
    answers = set()
    for email in ("nobody@example.com", "elsewhere@example.com"):
        page = client.post(f"/e/{event.slug}/link", data={"email": email}).get_data(as_text=True)
        answers.add(page.replace(email, "EMAIL"))
    assert len(answers) == 1
    with app.app_context():
        assert not db.session.scalars(select(OutboundEmail).where(
            OutboundEmail.to_email.in_(["nobody@example.com"]))).all()
    assert invitations(app, "elsewhere@example.com") == []


def test_a_new_link_goes_out_at_most_every_15_minutes(app, client, event, make_attendee):
    guest = make_attendee(event, email="eager@example.com")
    age_link(app, guest, 20)
    for _ in range(3):
        assert client.post(f"/e/{event.slug}/link", data={"email": "eager@example.com"}).status_code == 200
    assert len(invitations(app, "eager@example.com")) == 1  # one new link, not three
    age_link(app, guest, 16)
    client.post(f"/e/{event.slug}/link", data={"email": "eager@example.com"})
    assert len(invitations(app, "eager@example.com")) == 2


def test_bad_input_is_refused_clearly(app, client, event):
    response = client.post(f"/e/{event.slug}/link", data={"email": "not an email"})
    assert response.status_code == 422
    assert "Invalid email address" in response.get_data(as_text=True)
    assert client.post("/e/no-such-gathering/link", data={"email": "a@example.com"}).status_code == 404
