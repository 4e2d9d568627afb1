"""Personal links are purpose-bound and expire; an ended link says so; deleting a profile ends everything."""
from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import links_in
from sqlalchemy import select

from eventkit.attendees import services
from eventkit.attendees.access import attendee_for_token
from eventkit.attendees.links import look_up, make_personal_links
from eventkit.attendees.models import Attendee, GuestLink
from eventkit.db import db, utcnow
from eventkit.events.models import Event
from eventkit.followup import links as followup_links
from eventkit.mail.links import LinkRequest, send_time_link
from eventkit.mail.services import queue_email
from eventkit.security import hash_token


@pytest.fixture
def app_config(request) -> dict:
    """Per-test config overrides through `indirect` parametrization."""
    return getattr(request, "param", {})


def _link(app, token) -> GuestLink:
    with app.app_context():
        link = db.session.scalars(select(GuestLink).where(GuestLink.token_hash == hash_token(token))).one()
        db.session.expunge(link)
        return link


def test_a_personal_link_expires_30_days_after_the_gathering_ends(app, client, event, make_attendee):
    guest = make_attendee(event)
    link = _link(app, guest.token)
    assert link.expires_at == event.ends_at + timedelta(days=30)
    with app.app_context():
        assert look_up(guest.token, event.ends_at + timedelta(days=29, hours=23)).usable
        assert not look_up(guest.token, event.ends_at + timedelta(days=30)).usable
        db.session.get(GuestLink, link.id).expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()
    response = client.get(f"/g/{guest.token}")
    assert response.status_code == 410
    html = response.get_data(as_text=True)
    assert "This link has expired" in html and f'action="/e/{event.slug}/link"' in html
    assert response.headers["Referrer-Policy"] == "same-origin", "the token never leaves this site in a Referer"
    assert client.get(f"/e/{event.slug}/me").status_code == 403


@pytest.mark.parametrize("app_config", [{"GUEST_LINK_DAYS_AFTER": 5}], indirect=True)
def test_the_days_after_are_configurable_and_a_late_link_still_lasts(app, event, make_attendee, deliver):
    guest = make_attendee(event)
    with app.app_context():
        services.request_new_link(db.session.get(Event, event.id), guest.email, utcnow() + timedelta(hours=1))
        db.session.commit()
    [message] = deliver()
    [token] = links_in(message)
    assert _link(app, token).expires_at == event.ends_at + timedelta(days=5)
    assert "It works until 5 days after the gathering" in message.get_body(("plain",)).get_content()
    with app.app_context():
        late = utcnow() + timedelta(days=100)
        assert GuestLink.ends(db.session.get(Event, event.id), late, 5) == late + timedelta(days=5)


def test_an_unknown_link_is_a_404_and_a_replaced_one_a_410(app, client, event, make_attendee):
    guest = make_attendee(event)
    assert client.get("/g/" + "x" * 32).status_code == 404
    with app.app_context():
        row = db.session.get(Attendee, guest.id)
        row.rotate_token()
        db.session.commit()
    replaced = client.get(f"/g/{guest.token}")
    assert replaced.status_code == 410 and "This link was replaced" in replaced.get_data(as_text=True)


def test_links_are_purpose_bound(app, event, make_attendee):
    guest = make_attendee(event)
    with app.app_context():
        row = db.session.get(Attendee, guest.id)
        other_purpose = row.new_link(utcnow(), 30, purpose="something-else")
        db.session.commit()
        assert attendee_for_token(other_purpose) is None, "only a personal link signs in"
        assert attendee_for_token(guest.token).id == guest.id


def test_deleting_the_profile_ends_every_session_link_and_one_click_link(app, event, make_attendee, guest_login):
    guest = make_attendee(event)
    with app.app_context():
        second = db.session.get(Attendee, guest.id).new_link(utcnow(), 30)
        one_click = followup_links.make_token(db.session.get(Attendee, guest.id), "unsubscribe")
        db.session.commit()
    phone, laptop = app.test_client(), app.test_client()
    assert phone.get(f"/g/{guest.token}").status_code == 302
    assert laptop.get(f"/g/{second}").status_code == 302
    assert phone.post(f"/e/{event.slug}/profile/delete", data={"confirm": "y"}).status_code == 302
    for browser in (phone, laptop):
        assert browser.get(f"/e/{event.slug}/me").status_code == 403
    for token in (guest.token, second):
        assert app.test_client().get(f"/g/{token}").status_code == 410
    assert app.test_client().get(f"/e/{event.slug}/followup/go/{one_click}").status_code == 410


def test_a_link_is_made_only_for_the_recipient_of_the_email(app, event, make_attendee):
    ada = make_attendee(event, email="ada@example.com")
    make_attendee(event, email="ben@example.com")
    with app.app_context():
        urls = make_personal_links([LinkRequest("personal", ada.id, None, "ada@example.com"),
                                    LinkRequest("personal", ada.id, None, "ben@example.com"),
                                    LinkRequest("personal", 999999, None, "ada@example.com")], utcnow())
        db.session.commit()
    assert urls[0].startswith("http://eventkit.test/g/") and urls[1:] == [None, None]


def test_placeholders_in_guest_text_ask_for_nothing(app, event, make_attendee, deliver):
    """A guest who writes a placeholder (even a validly shaped one) into their name gets no link made."""
    ada = make_attendee(event, email="ada@example.com")
    with app.app_context():
        forged = send_time_link("personal", ada.id)[:-4] + "0000"
        queue_email(to_email="ada@example.com", template="notice", purpose="notice", dedupe_key="forged",
                    title="Hello", body=f"Your link: {forged}")
        db.session.commit()
    [message] = deliver()
    assert links_in(message) == [] and forged in message.get_body(("plain",)).get_content()
