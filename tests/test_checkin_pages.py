"""Organiser door pages, the QR landing page and the panels on the guest and event pages."""
from __future__ import annotations

import re

from flask import render_template
from sqlalchemy import func, select

from eventkit.attendees.models import Attendee
from eventkit.checkin.models import DoorLink
from eventkit.db import db


def create_link(client, event, label="Front door"):
    response = client.post(f"/events/{event.id}/door/links", data={"label": label})
    assert response.status_code == 302
    page = client.get(f"/events/{event.id}/door").get_data(as_text=True)
    return re.search(r'value="(http://eventkit.test/door/[^"]+)"', page).group(1), page


def test_door_page_needs_an_organiser_of_the_event(client, login, event, make_organiser):
    assert client.get(f"/events/{event.id}/door").status_code == 302
    login(make_organiser())
    assert client.get(f"/events/{event.id}/door").status_code == 404
    assert client.post(f"/events/{event.id}/door/links", data={"label": "x"}).status_code == 404


def test_new_door_link_is_shown_once_and_opens_the_scanner(app, client, login, organiser, event):
    login(organiser)
    url, page = create_link(client, event, "Garden <gate>")
    assert "Garden &lt;gate&gt;" in page and "<svg" in page
    assert url not in client.get(f"/events/{event.id}/door").get_data(as_text=True)
    scanner = client.get(url.replace("http://eventkit.test", ""))
    assert scanner.status_code == 200 and scanner.headers["Referrer-Policy"] == "same-origin"
    html = scanner.get_data(as_text=True)
    assert "vendor/jsqr/jsQR.js" in html and "checkin.js" in html and event.title in html
    with app.app_context():
        secret = url.rsplit("/", 1)[1]
        stored = db.session.scalars(select(DoorLink)).one()
        assert stored.secret_hash != secret and len(stored.secret_hash) == 64


def test_blank_label_is_refused_with_422(app, client, login, organiser, event):
    login(organiser)
    response = client.post(f"/events/{event.id}/door/links", data={"label": "   "})
    assert response.status_code == 422 and "Give the link a label" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(DoorLink)) == 0


def test_revoking_a_link_closes_its_scanner_page(client, login, organiser, event, app):
    login(organiser)
    url, _ = create_link(client, event)
    with app.app_context():
        link_id = db.session.scalars(select(DoorLink.id)).one()
    response = client.post(f"/events/{event.id}/door/links/{link_id}/revoke")
    assert response.status_code == 302
    assert client.get(url.replace("http://eventkit.test", "")).status_code == 410
    assert "revoked" in client.get(f"/events/{event.id}/door").get_data(as_text=True)


def test_link_of_another_gathering_cannot_be_revoked_through_this_one(client, login, organiser, event, make_event, app):
    login(organiser)
    other = make_event()
    create_link(client, other)
    with app.app_context():
        link_id = db.session.scalars(select(DoorLink.id)).one()
    assert client.post(f"/events/{event.id}/door/links/{link_id}/revoke").status_code == 404
    with app.app_context():
        assert db.session.get(DoorLink, link_id).revoked_at is None


def test_organiser_sees_arrivals_and_failed_scans_in_few_queries(client, login, organiser, event, make_attendee, count_queries):
    login(organiser)
    url, _ = create_link(client, event, "Front door")
    api = url.replace("http://eventkit.test/door/", "/api/door/")
    for n in range(5):
        guest = make_attendee(event, name=f"Arrived Guest {n}")
        client.post(f"{api}/scan", json={"code": guest.code, "nonce": f"page-{n:05d}"})
        client.post(f"{api}/scan", json={"code": guest.code, "nonce": f"page-again-{n:05d}"})
    client.post(f"{api}/scan", json={"code": "not a code", "nonce": "page-bad-01"})
    with count_queries() as counter:
        page = client.get(f"/events/{event.id}/door").get_data(as_text=True)
    assert "Arrived Guest 4" in page and "Arrivals (5)" in page
    assert page.count("scanned again (already in)") == 5 and "not a check-in code" in page
    assert counter.count <= 10


def test_qr_landing_page_tells_the_guest_to_show_it_and_checks_nobody_in(app, client, event, make_attendee):
    guest = make_attendee(event)
    response = client.get(f"/c/{guest.code}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Show this code at the door" in html and "<svg" in html
    assert guest.name not in html and guest.email not in html
    assert response.headers["Cache-Control"] == "no-store"
    with app.app_context():
        assert db.session.get(Attendee, guest.id).checked_in_at is None
    assert client.get(f"/e/{event.slug}/").status_code in (403, 404)


def test_qr_landing_page_of_a_replaced_or_unknown_code(app, client, event, make_attendee):
    guest = make_attendee(event)
    with app.app_context():
        db.session.get(Attendee, guest.id).rotate_checkin_code()
        db.session.commit()
    replaced = client.get(f"/c/{guest.code}")
    assert replaced.status_code == 404 and "This code was replaced" in replaced.get_data(as_text=True)
    unknown = client.get("/c/" + "B" * 32)
    assert unknown.status_code == 404 and "Not a valid check-in code" in unknown.get_data(as_text=True)
    assert client.get("/c/" + "B" * 500).status_code == 404


def test_guest_panel_shows_the_guest_qr_as_inline_svg(app, event, make_attendee):
    guest = make_attendee(event)
    with app.test_request_context():
        attendee = db.session.get(Attendee, guest.id)
        html = render_template("checkin/_guest_panel.html", event=attendee.event, attendee=attendee)
    assert "Show this at the door" in html and "<svg" in html and "<?xml" not in html


def test_event_panel_shows_arrived_of_expected_and_links_to_the_door_page(app, event, make_attendee):
    make_attendee(event)
    with app.test_request_context():
        html = render_template("checkin/_event_panel.html", event=db.session.get(type(event), event.id))
    assert f"/events/{event.id}/door" in html
    assert re.search(r'stat">0</span> arrived of <span class="stat">1</span> expected', html)


def test_cli_creates_a_door_link_that_opens_the_scanner(client, runner, event):
    result = runner.invoke(args=["eventkit", "door-link", event.slug, "Side entrance"])
    assert result.exit_code == 0, result.output
    url = result.output.strip()
    assert url.startswith("http://eventkit.test/door/")
    assert client.get(url.replace("http://eventkit.test", "")).status_code == 200
    assert runner.invoke(args=["eventkit", "door-link", "no-such-event", "x"]).exit_code != 0


def test_cli_rotates_a_check_in_code_and_the_old_one_scans_as_replaced(app, client, runner, event, make_attendee):
    guest = make_attendee(event, email="rotate.me@example.com")
    result = runner.invoke(args=["eventkit", "checkin-code-rotate", event.slug, "Rotate.Me@example.com"])
    assert result.exit_code == 0, result.output
    new_url = result.output.strip()
    assert new_url.startswith("http://eventkit.test/c/") and guest.code not in new_url
    link = runner.invoke(args=["eventkit", "door-link", event.slug, "Front"]).output.strip()
    api = link.replace("http://eventkit.test/door/", "/api/door/")
    assert client.post(f"{api}/scan", json={"code": guest.code, "nonce": "rotate-001"}).json["outcome"] == "replaced"
    assert client.post(f"{api}/scan", json={"code": new_url, "nonce": "rotate-002"}).json["outcome"] == "welcome"
    assert client.get(f"/c/{guest.code}").status_code == 404
