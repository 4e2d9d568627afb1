"""The briefings panel in Debian's Chromium: after "Email briefings to guests" the counts update without a reload."""
from __future__ import annotations

from browser_fixtures import BROWSER, CHROMIUM
from conftest import PASSWORD
from test_briefings_support import build_gathering

from eventkit.mail.sender import send_due

pytestmark = BROWSER


def count(page, name: str) -> str:
    return page.inner_text(f'#briefing-emails [data-count="{name}"]')


def test_sent_briefings_show_up_on_the_open_event_page(app, organiser, make_event, make_attendee, make_intent,
                                                       live_server):
    from playwright.sync_api import expect, sync_playwright

    gathering = build_gathering(app, make_event, make_attendee, make_intent)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        try:
            page = browser.new_page()
            page.goto(f"{live_server}/auth/login")
            page.fill('input[name="email"]', organiser.email)
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.goto(f"{live_server}/events/{gathering.event.id}")
            assert page.is_hidden("#briefing-emails")
            page.click("text=Email briefings to guests")
            page.wait_for_selector("#briefing-emails", state="visible")
            assert (count(page, "queued"), count(page, "sent")) == ("4", "0")
            assert page.is_visible("#briefing-emails [data-when-queued]")

            with app.app_context():
                assert send_due().sent == 4

            # a locator, not wait_for_function: the page's CSP forbids evaluating strings
            expect(page.locator('#briefing-emails [data-count="sent"]')).to_have_text("4", timeout=15_000)
            assert (count(page, "queued"), count(page, "failed")) == ("0", "0")
            assert page.is_hidden("#briefing-emails [data-when-queued]")
        finally:
            browser.close()
