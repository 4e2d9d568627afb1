"""Keyboard only: an organiser signs in, a guest fills their profile and adds an offer, a door volunteer checks a
guest in by name. The browser gets no click, no fill: only Tab, typing and Enter (and arrow keys in a select).
Each flow starts with the skip link as the first thing Tab reaches."""
from __future__ import annotations

import pytest
from browser_fixtures import BROWSER, CHROMIUM
from sqlalchemy import select

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.profiles.models import Intent
from tests.conftest import PASSWORD

ACTIVE = """() => { const e = document.activeElement;
  return {id: e.id || '', tag: e.tagName.toLowerCase(), text: (e.innerText || e.value || '').trim(),
          cls: typeof e.className === 'string' ? e.className : '', visible: e.getBoundingClientRect().top >= 0}; }"""

pytestmark = BROWSER


@pytest.fixture
def page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        try:
            yield browser.new_page(viewport={"width": 390, "height": 844})
        finally:
            browser.close()


def tab_to(page, matches, limit: int = 80, key: str = "Tab") -> dict:
    """Press Tab until the focused element satisfies `matches(active)`; fails after `limit` presses."""
    for _ in range(limit):
        page.keyboard.press(key)
        active = page.evaluate(ACTIVE)
        if matches(active):
            return active
    raise AssertionError(f"Tab never reached the element (last: {active})")


def by_id(element_id: str):
    return lambda active: active["id"] == element_id


def by_text(text: str):
    return lambda active: active["text"] == text


def starts_with_skip_link(page) -> None:
    page.keyboard.press("Tab")
    first = page.evaluate(ACTIVE)
    assert "skip-link" in first["cls"] and first["text"] == "Skip to content" and first["visible"], first


def test_an_organiser_signs_in_with_the_keyboard(organiser, live_server, page):
    from playwright.sync_api import expect

    page.goto(f"{live_server}/auth/login")
    assert page.evaluate(ACTIVE)["id"] == "email"  # the form's first field has the focus already
    tab_to(page, lambda active: "skip-link" in active["cls"], limit=6, key="Shift+Tab")  # before the top bar
    page.keyboard.press("Enter")  # the skip link moves focus to the page's content
    tab_to(page, by_id("email"))
    page.keyboard.type(organiser.email)
    tab_to(page, by_id("password"))
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Welcome back, {organiser.name}.")).to_be_visible()
    assert page.url.startswith(f"{live_server}/events/")


def test_a_guest_fills_their_profile_and_adds_an_offer_with_the_keyboard(app, event, make_attendee, live_server, page):
    from playwright.sync_api import expect

    guest = make_attendee(event, name="Ada Lovelace")
    page.goto(f"{live_server}/g/{guest.token}")
    page.goto(f"{live_server}/e/{event.slug}/profile")
    starts_with_skip_link(page)
    tab_to(page, by_id("role"))
    page.keyboard.type("Analytical engineer")
    tab_to(page, by_text("Save profile"))
    page.keyboard.press("Enter")
    expect(page.get_by_text("Your profile is saved.")).to_be_visible()

    tab_to(page, lambda active: active["tag"] == "a" and active["text"] == "Offers & seeks")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="Offers and seeks", exact=True)).to_be_visible()
    tab_to(page, by_id("kind"))  # "can offer" is the first choice
    tab_to(page, by_id("tag_id"))
    page.keyboard.press("ArrowDown")
    tab_to(page, by_id("text"))
    page.keyboard.type("Feedback on a pitch deck")
    page.keyboard.press("Enter")
    expect(page.locator(".intent-list li", has_text="Feedback on a pitch deck")).to_be_visible()
    with app.app_context():
        saved = db.session.get(Attendee, guest.id)
        assert saved.role == "Analytical engineer"
        [offer] = db.session.scalars(select(Intent).where(Intent.attendee_id == guest.id)).all()
        assert (offer.kind, offer.text) == ("offer", "Feedback on a pitch deck")


def test_a_door_volunteer_checks_a_guest_in_by_name_with_the_keyboard(app, event, make_attendee, make_door,
                                                                       live_server, page):
    from playwright.sync_api import expect

    guest = make_attendee(event, name="Grace Hopper")
    make_attendee(event, name="Alan Turing")
    door = make_door(event)
    page.goto(f"{live_server}/door/{door.secret}")
    expect(page.get_by_role("heading", level=1)).to_have_text(event.title)
    starts_with_skip_link(page)
    tab_to(page, by_id("search"))
    page.keyboard.type("Grace")
    expect(page.locator("#search-results li")).to_have_count(1)
    tab_to(page, by_text("Check in"))
    page.keyboard.press("Enter")
    expect(page.locator("#result-title")).to_have_text("Welcome, Grace Hopper!")
    with app.app_context():
        assert db.session.get(Attendee, guest.id).checked_in_at is not None
