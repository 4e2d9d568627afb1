"""eventkit over real HTTPS in Debian's Chromium: gunicorn (the shipped config) with a certificate
made by the test. Guests' and organisers' forms pass the CSRF check, whose strict Referer rule
applies to HTTPS only (the reason secret pages send Referrer-Policy: same-origin)."""
from __future__ import annotations

import shutil

import pytest
from browser_fixtures import BROWSER, CHROMIUM

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.db import db
from eventkit.events.models import Event
from tests.conftest import PASSWORD
from tests.gunicorn_helpers import free_port, running_gunicorn, self_signed_certificate, server_env

ARGS = ["--no-sandbox", "--headless", "--ignore-certificate-errors", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--no-first-run"]

pytestmark = [
    *BROWSER,
    pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl makes the test's certificate"),
]


@pytest.fixture
def https_server(app, tmp_path):
    cert, key = self_signed_certificate(tmp_path)
    port = free_port()
    env = server_env(app, EVENTKIT_BASE_URL=f"https://127.0.0.1:{port}")
    with running_gunicorn(env, tmp_path, "--certfile", str(cert), "--keyfile", str(key),
                          https=True, port=port) as (base_url, _access, _error):
        yield base_url


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            context = browser.new_context(ignore_https_errors=True)
            page = context.new_page()
            page.on("dialog", lambda dialog: dialog.accept())  # data-confirm questions
            yield page
        finally:
            browser.close()


def status_of(app, guest) -> str:
    with app.app_context():
        return db.session.get(Attendee, guest.id).status


def click_and_expect(page, button: str, text: str) -> None:
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()
    body = page.inner_text("body")
    assert "Form expired" not in body, body
    assert text in body, body


def test_a_guest_accepts_declines_signs_out_and_asks_for_a_new_link_over_https(
        app, event, make_attendee, https_server, browser_page):
    guest = make_attendee(event, name="Ada Lovelace", email="ada@example.com", status=AttendeeStatus.INVITED)
    page = browser_page
    page.goto(f"{https_server}/g/{guest.token}")
    assert page.url == f"{https_server}/e/{event.slug}/me"
    cookie = next(c for c in page.context.cookies() if c["name"] == "session")
    assert cookie["secure"] and cookie["httpOnly"] and cookie["sameSite"] == "Lax"

    click_and_expect(page, "Yes, I will come", "you are registered")
    assert status_of(app, guest) == AttendeeStatus.REGISTERED
    click_and_expect(page, "I can no longer come", "you will not attend")
    assert status_of(app, guest) == AttendeeStatus.DECLINED
    click_and_expect(page, "Sign out", "You are signed out")
    page.get_by_role("link", name="Email me a new link").click()
    page.get_by_label("Email").fill("ada@example.com")
    click_and_expect(page, "Email me a new link", "ada@example.com")


def test_an_organiser_signs_in_and_saves_a_form_over_https(app, organiser, event, https_server, browser_page):
    page = browser_page
    page.goto(f"{https_server}/auth/login")
    page.get_by_label("Email").fill(organiser.email)
    page.get_by_label("Password").fill(PASSWORD)
    click_and_expect(page, "Sign in", "Welcome back")
    page.goto(f"{https_server}/events/{event.id}/edit")
    page.get_by_label("Title").fill("Climate founders dinner, renamed")
    click_and_expect(page, "Save changes", "Climate founders dinner, renamed")
    with app.app_context():
        assert db.session.get(Event, event.id).title == "Climate founders dinner, renamed"
