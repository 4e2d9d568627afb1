"""URLs: emailed, QR and calendar links on EVENTKIT_BASE_URL; the guest pages' links to the guest's home."""
from __future__ import annotations

import icalendar
import pytest
from sqlalchemy import select
from werkzeug.routing import BuildError

from eventkit.attendees.invitations import magic_url
from eventkit.db import db
from eventkit.events.calendar import event_ics
from eventkit.events.models import Event
from eventkit.mail.models import OutboundEmail
from eventkit.profiles import services as profile_services
from eventkit.qr import checkin_url
from eventkit.urls import external_url_for

BASE = "https://gather.example.org/eventkit"


@pytest.fixture
def app_config():
    return {"BASE_URL": BASE}


def test_external_url_for_builds_on_the_base_url_without_a_request(app):
    with app.app_context():
        assert external_url_for("attendees.home", slug="dinner") == f"{BASE}/e/dinner/me"
        assert external_url_for("briefings.organiser_guest_download", event_id=3, attendee_id=7, paper="a4") == \
            f"{BASE}/events/3/briefings/7.pdf?paper=a4"
        assert external_url_for("followup.connections", slug="dinner", _anchor="act-4") == \
            f"{BASE}/e/dinner/connections#act-4"
        with pytest.raises(BuildError):
            external_url_for("no.such_page")


def test_external_url_for_ignores_the_host_a_request_came_in_on(app):
    with app.test_request_context("/", base_url="http://10.0.0.7:8000"):
        assert external_url_for("checkin.landing", code="abc") == f"{BASE}/c/abc"


def test_qr_calendar_and_personal_links_follow_the_base_url(app, event, make_attendee):
    guest = make_attendee(event)
    with app.app_context():
        assert checkin_url(guest.code) == f"{BASE}/c/{guest.code}"
        assert magic_url(guest.token) == f"{BASE}/g/{guest.token}"
        entry = icalendar.Calendar.from_ical(event_ics(db.session.get(Event, event.id))).walk("VEVENT")[0]
        assert str(entry["url"]) == f"{BASE}/e/{event.slug}/me"


def test_profile_reminder_links_to_the_profile_page_on_the_base_url(app, event, make_attendee):
    make_attendee(event, name="Nico Unready")
    with app.app_context():
        from_db = db.session.get(Event, event.id)
        assert profile_services.remind_unready(from_db, "organiser:1", from_db.starts_at) == 1
        body = db.session.scalars(select(OutboundEmail.body_text)).one()
    assert f"{BASE}/e/{event.slug}/profile" in body


@pytest.fixture
def guest_pages(event, make_attendee, guest_login, client):
    """The guest pages with the guests' top bar, as paths; the guest is signed in on `client`."""
    guest = make_attendee(event, name="Gia Guest", directory_consent=True)
    other = make_attendee(event, name="Otto Other", directory_consent=True)
    guest_login(guest)
    slug = event.slug
    return [f"/e/{slug}/profile", f"/e/{slug}/intents", f"/e/{slug}/directory", f"/e/{slug}/directory/{other.id}",
            f"/e/{slug}/notes/{other.id}", f"/e/{slug}/research", f"/e/{slug}/connections"]


def test_the_guest_top_bar_leads_to_the_guests_home_page(client, event, guest_pages):
    home = f"/e/{event.slug}/me"
    assert client.get(home).status_code == 200
    for page in guest_pages:
        response = client.get(page)
        assert response.status_code == 200, page
        html = response.get_data(as_text=True)
        assert f'<a class="brand" href="{home}">' in html and f'{event.title}</a>' in html, page  # the guest bar
        assert f'<a href="{home}"' in html and ">My page</a>" in html, page
        assert f'href="/e/{event.slug}"' not in html, page


def test_the_event_page_shows_no_dead_guest_page_address(client, login, organiser, event):
    login(organiser)
    html = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert f"/e/{event.slug}<" not in html and "Guest page" not in html
