"""Errors are eventkit pages in the site's layout with a way back for whoever reads them; JSON callers get JSON;
a refused form keeps what the user typed; the connections page gives each card's fields their own ids."""
from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from test_followup_support import finish, gathering

from eventkit.db import utcnow

NOW = utcnow()


def test_an_unknown_page_for_nobody_in_particular_is_a_404_page_with_the_way_back(client):
    response = client.get("/no/such/page")
    html = response.get_data(as_text=True)
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert "Page not found" in html and "Error 404" in html and "Back to the start" in html
    assert 'class="topbar organiser-bar"' in html and 'href="#main"' in html
    assert "Not Found</h1>" not in html and "The requested URL" not in html


def test_an_organiser_is_sent_back_to_their_gatherings(client, login, organiser):
    login(organiser)
    html = client.get("/events/999999").get_data(as_text=True)
    assert "Page not found" in html and 'href="/events/"' in html and "Back to my gatherings" in html
    assert "Back to this gathering" not in html  # it is the page that is not there


def test_a_guest_is_sent_back_to_their_page_or_the_lost_link_form(app, client, guest_login, event, make_attendee):
    guest = make_attendee(event, name="Ada Lovelace")
    lost = client.get(f"/e/{event.slug}/directory/999999")
    html = lost.get_data(as_text=True)
    assert lost.status_code in (403, 404)
    assert f'href="/e/{event.slug}/link"' in html and "Organiser sign-in" not in html
    guest_login(guest)
    missing = client.get(f"/e/{event.slug}/directory/999999")
    html = missing.get_data(as_text=True)
    assert missing.status_code == 404 and "Page not found" in html
    assert f"Back to my page for {event.title}" in html and 'class="topbar guest-bar"' in html
    assert "My page" in html and "Sign out" in html and "Organiser sign-in" not in html
    nowhere = client.get(f"/e/{event.slug}/no-such-page").get_data(as_text=True)
    assert f"Back to my page for {event.title}" in nowhere and "Organiser sign-in" not in nowhere


def test_a_wrong_method_is_a_405_page(client):
    response = client.get("/e/some-slug/accept")
    assert response.status_code == 405 and "Not possible this way" in response.get_data(as_text=True)


def test_json_callers_and_the_door_api_keep_json_errors(client, event, make_door):
    door = make_door(event)
    unknown = client.post("/api/door/not-a-secret/scan", json={"code": "x", "nonce": "n" * 12})
    assert unknown.status_code == 404 and unknown.is_json and unknown.json["message"]
    bad = client.get(f"/api/door/{door.secret}/no-such-call")
    assert bad.status_code == 404 and bad.is_json
    assert client.get("/nowhere", headers={"Accept": "application/json"}).json["error"] == "Page not found"


def test_an_unexpected_error_is_a_500_page_that_says_nothing_was_saved(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("secret detail")

    response = client.get("/boom-for-test")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "Something went wrong" in html and "Nothing was saved" in html
    assert "secret detail" not in html and "Traceback" not in html


@pytest.fixture
def before_the_gathering(app, make_event, make_attendee):
    event = make_event(starts_at=NOW + timedelta(days=3), ends_at=NOW + timedelta(days=3, hours=3))
    return event, make_attendee(event, name="Ana"), make_attendee(event, name="Ben")


def test_log_it_before_the_gathering_re_shows_the_form_with_the_text(client, guest_login, before_the_gathering):
    event, ana, ben = before_the_gathering
    guest_login(ana)
    response = client.post(f"/e/{event.slug}/encounters",
                           data={"met-other_id": str(ben.id), "met-note": "Batteries, over coffee"})
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "once the gathering has started" in html and "Batteries, over coffee" in html
    assert re.search(rf'<option selected value="{ben.id}"|<option value="{ben.id}" selected', html)
    assert "My connections" in html and "Organiser sign-in" not in html and 'class="topbar guest-bar"' in html


def test_each_connection_card_has_its_own_field_ids_and_a_refusal_keeps_the_note(app, client, guest_login,
                                                                                  make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo"], [("Ana", "Ben"), ("Ana", "Cleo")])
    finish(app, event.id, NOW)
    guest_login(g["Ana"])
    html = client.get(f"/e/{event.slug}/connections").get_data(as_text=True)
    ids = Counter(re.findall(r'\sid="([^"]+)"', html))
    assert not [name for name, count in ids.items() if count > 1], ids
    targets = re.findall(r'<label for="([^"]+)"', html)
    assert targets and all(target in ids for target in targets)
    assert len([i for i in ids if i.endswith("-note") and i.startswith("c")]) == 2
    cid = int(re.search(r'id="c(\d+)-note"', html).group(1))
    long_note = "x" * 1200
    refused = client.post(f"/e/{event.slug}/connections/{cid}/actions",
                          data={f"c{cid}-kind": "thank_you", f"c{cid}-note": long_note})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and long_note in page and f'id="act-{cid}" open' in page
