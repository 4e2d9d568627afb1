"""The guest list in Debian's Chromium: a status change needs a choice, and taking a place away asks first."""
from __future__ import annotations

from browser_fixtures import BROWSER, CHROMIUM
from conftest import PASSWORD

from eventkit.attendees.models import Attendee
from eventkit.db import db

pytestmark = BROWSER


def status_of(app, guest) -> str:
    with app.app_context():
        return db.session.get(Attendee, guest.id).status


def test_status_change_needs_a_choice_and_waitlisting_confirms(app, organiser, event, make_attendee,
                                                                live_server):
    from playwright.sync_api import sync_playwright

    ada = make_attendee(event, name="Ada Lovelace")
    questions = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        try:
            page = browser.new_page()
            page.goto(f"{live_server}/auth/login")
            page.fill('input[name="email"]', organiser.email)
            page.fill('input[name="password"]', PASSWORD)
            page.click('main button[type="submit"]')
            page.goto(f"{live_server}/events/{event.id}/guests")
            row = page.locator(f"#guest-{ada.id}")
            assert row.locator("select").input_value() == ""  # starts on "Change status…"
            row.get_by_role("button", name="Apply").click()  # the required select stops the form
            assert page.url.endswith(f"/events/{event.id}/guests")
            assert page.get_by_text("Choose a valid status change.").count() == 0  # nothing was sent
            assert status_of(app, ada) == "registered"

            def answer(dialog, accept):
                questions.append(dialog.message)
                dialog.accept() if accept else dialog.dismiss()

            page.once("dialog", lambda dialog: answer(dialog, False))
            row.locator("select").select_option("waitlist")
            row.get_by_role("button", name="Apply").click()
            assert status_of(app, ada) == "registered" and questions and "loses it" in questions[0]

            page.once("dialog", lambda dialog: answer(dialog, True))
            row.get_by_role("button", name="Apply").click()
            page.wait_for_selector("text=Ada Lovelace is now waitlisted.")
            assert status_of(app, ada) == "waitlisted"
        finally:
            browser.close()
