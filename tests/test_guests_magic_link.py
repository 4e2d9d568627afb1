"""Magic links: sign-in, redirect without the token, rotation, isolation between gatherings."""

from conftest import links_in

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.db import db


def test_magic_link_signs_in_and_redirects_without_the_token(client, event, make_attendee):
    guest = make_attendee(event, name="Ada Lovelace")
    response = client.get(f"/g/{guest.token}")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/e/{event.slug}/me"
    assert guest.token not in response.headers["Location"]
    assert response.headers["Referrer-Policy"] == "same-origin"
    page = client.get(f"/e/{event.slug}/me")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Ada Lovelace" in html and event.title in html and event.venue in html
    assert "calendar.ics" in html and "Sign out" in html


def test_home_shows_time_in_the_event_zone(client, event, make_attendee, guest_login):
    guest = make_attendee(event)
    guest_login(guest)
    local = event.starts_at.astimezone(event.zone).strftime("%H:%M")
    assert local in client.get(f"/e/{event.slug}/me").get_data(as_text=True)


def test_unknown_token_is_a_friendly_404(client):
    response = client.get("/g/not-a-real-token")
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert "this link is no longer valid; ask the organiser to send a new one" in html.lower()
    assert "Traceback" not in html


def test_rotation_kills_the_old_link_and_the_old_session(client, app, event, make_attendee, organiser, login,
                                                         deliver):
    guest = make_attendee(event)
    guest_client = app.test_client()
    assert guest_client.get(f"/g/{guest.token}").status_code == 302
    assert guest_client.get(f"/e/{event.slug}/me").status_code == 200

    login(organiser)
    assert client.post(f"/events/{event.id}/guests/{guest.id}/rotate").status_code == 302

    assert guest_client.get(f"/e/{event.slug}/me").status_code == 403, "old session signed out"
    old = guest_client.get(f"/g/{guest.token}")
    assert old.status_code == 410, "old link dead, and it says so"
    html = old.get_data(as_text=True)
    assert "This link was replaced" in html and f'action="/e/{event.slug}/link"' in html
    [message] = deliver()
    [new_link] = links_in(message)
    assert new_link != guest.token
    assert guest_client.get(f"/g/{new_link}").status_code == 302
    assert guest_client.get(f"/e/{event.slug}/me").status_code == 200


def test_guest_of_event_a_cannot_see_event_b(client, make_event, make_attendee):
    event_a, event_b = make_event(), make_event()
    guest = make_attendee(event_a)
    client.get(f"/g/{guest.token}")
    assert client.get(f"/e/{event_a.slug}/me").status_code == 200
    assert client.get(f"/e/{event_b.slug}/me").status_code == 403
    assert client.get(f"/e/{event_b.slug}/calendar.ics").status_code == 403
    assert client.post(f"/e/{event_b.slug}/accept").status_code == 403
    assert client.get("/e/no-such-gathering/me").status_code == 404


def test_anonymous_visitor_gets_a_clear_403(client, event):
    response = client.get(f"/e/{event.slug}/me")
    assert response.status_code == 403
    assert "personal link" in response.get_data(as_text=True)


def test_sign_out_ends_the_guest_session(client, event, make_attendee):
    guest = make_attendee(event)
    client.get(f"/g/{guest.token}")
    assert client.post(f"/e/{event.slug}/sign-out").status_code == 200
    assert client.get(f"/e/{event.slug}/me").status_code == 403


def test_reply_buttons_follow_the_status(client, event, make_attendee, guest_login):
    invited = make_attendee(event, status=AttendeeStatus.INVITED)
    guest_login(invited)
    html = client.get(f"/e/{event.slug}/me").get_data(as_text=True)
    assert f"/e/{event.slug}/accept" in html and f"/e/{event.slug}/decline" in html
    client.post(f"/e/{event.slug}/accept")
    html = client.get(f"/e/{event.slug}/me").get_data(as_text=True)
    assert "You are registered" in html and f"/e/{event.slug}/accept" not in html


def test_guest_calendar_download(client, event, make_attendee, guest_login):
    guest_login(make_attendee(event))
    response = client.get(f"/e/{event.slug}/calendar.ics")
    assert response.status_code == 200 and response.mimetype == "text/calendar"
    assert b"BEGIN:VEVENT" in response.data


def test_decline_twice_is_refused_politely(client, app, event, make_attendee, guest_login):
    guest = make_attendee(event, status=AttendeeStatus.DECLINED)
    guest_login(guest)
    response = client.post(f"/e/{event.slug}/decline", follow_redirects=True)
    assert "already recorded" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Attendee, guest.id).status == "declined"


def test_guest_link_command_prints_a_working_new_link(runner, client, event, make_attendee):
    guest = make_attendee(event, email="ada@example.com")
    result = runner.invoke(args=["eventkit", "guest-link", event.slug, "ADA@example.com"])
    assert result.exit_code == 0, result.output
    link = result.output.strip()
    assert link.startswith("http://eventkit.test/g/")
    assert client.get(f"/g/{guest.token}").status_code == 410
    assert client.get(link.removeprefix("http://eventkit.test")).status_code == 302


def test_guest_link_command_explains_unknown_guests(runner, event):
    result = runner.invoke(args=["eventkit", "guest-link", event.slug, "nobody@example.com"])
    assert result.exit_code != 0 and "not on the guest list" in result.output
