"""Applying through the public page in Debian's Chromium on a phone-sized (390 px) viewport."""
from __future__ import annotations

from browser_fixtures import BROWSER, CHROMIUM
from conftest import links_in
from sqlalchemy import select
from test_registration_public import add_question, set_mode

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.registration.models import Answer

pytestmark = BROWSER


def test_a_phone_applies_confirms_and_lands_on_its_page(app, make_event, live_server, deliver):
    from playwright.sync_api import expect, sync_playwright

    event = make_event(capacity=8)
    set_mode(app, event, "apply")
    why = add_question(app, event, "long", "What would you give this table?", required=True)
    field = add_question(app, event, "one", "Your field", options=["Climate", "Design"], target="field")
    diet = add_question(app, event, "yes_no", "Vegetarian?")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(f"{live_server}/e/{event.slug}")
            expect(page.get_by_role("heading", name="Apply to come")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 390  # nothing wider than the phone
            page.get_by_label("Your name").fill("Ada Lovelace")
            page.get_by_label("Your email").fill("ada@example.com")
            page.get_by_label("What would you give this table?").fill("Notes on engines.")
            page.get_by_label("Design").check()
            page.get_by_label("Yes").check()
            expect(page.get_by_label("Leave this empty")).not_to_be_in_viewport()  # the spam trap stays unseen
            page.get_by_role("button", name="Send my application").click()
            expect(page.get_by_role("heading", name="Check your email")).to_be_visible()

            [message] = deliver()
            [token] = links_in(message, f"/e/{event.slug}/confirm/")
            page.goto(f"{live_server}/e/{event.slug}/confirm/{token}")
            page.get_by_role("button", name="Confirm and send my application").click()
            expect(page.get_by_text("Application received")).to_be_visible()
            expect(page.get_by_text("Notes on engines.")).to_be_visible()
            assert page.evaluate("document.documentElement.scrollWidth") <= 390
        finally:
            browser.close()
    with app.app_context():
        guest = db.session.scalars(select(Attendee).where(Attendee.email == "ada@example.com")).one()
        answers = {a.question_id: a.values for a in db.session.scalars(select(Answer))}
        assert (guest.status, guest.field) == ("applied", "Design")
        assert answers == {why: ["Notes on engines."], field: ["Design"], diet: ["yes"]}
