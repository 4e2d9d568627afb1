"""Composing on a phone in Debian's Chromium: a ready template, the preview, schedule and send; no CSP errors."""
from __future__ import annotations

import os

from browser_fixtures import BROWSER, CHROMIUM
from conftest import PASSWORD
from messages_support import gathering, messages, outbox

pytestmark = BROWSER


def _fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def test_an_organiser_schedules_the_reminder_and_sends_a_message_from_a_phone(app, organiser, make_event, make_attendee,
                                                                              live_server, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    g = gathering(app, make_event, make_attendee)
    shots = os.environ.get("MESSAGES_SCREENSHOTS")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            problems = []
            # CSP violations are console errors; the browser's own favicon request is not the page's
            page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" and "404" not in msg.text
                    else None)
            page.on("response", lambda r: problems.append(r.url) if r.status >= 400 and "favicon" not in r.url
                    else None)
            page.goto(f"{live_server}/auth/login")
            page.fill('input[name="email"]', organiser.email)
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.goto(f"{live_server}/events/{g.event.id}")
            page.click("text=Write to guests")
            page.goto(f"{live_server}/events/{g.event.id}/messages")
            page.click("text=Day-before reminder")
            page.click('button[name="preview"]')
            expect(page.locator(".preview-count")).to_have_text("4")
            assert _fits(page)
            if shots:
                page.screenshot(path=f"{shots}/compose-preview.png", full_page=True)
            page.click('button[name="save"]')
            expect(page.locator("h1")).to_contain_text("See you tomorrow")
            assert page.is_visible("text=24 h before the start")

            page.goto(f"{live_server}/events/{g.event.id}/messages/new")
            page.fill('input[name="subject"]', "A place may free up")
            page.fill('textarea[name="body"]', "Hello {name},\nwe will know on Friday: {link}")
            page.check('input[name="audience"][value="waitlist"]')
            page.click('button[name="preview"]')
            expect(page.locator(".preview-recipients")).to_contain_text("Walt Waiting")
            page.click("text=Send to 1 guest")
            expect(page.locator(".flash").first).to_contain_text("Sent: 1 email queued")
            page.goto(f"{live_server}/events/{g.event.id}/messages")
            assert _fits(page)
            if shots:
                page.screenshot(path=f"{shots}/messages.png", full_page=True)
            assert problems == []
        finally:
            browser.close()
    assert sorted(m.status for m in messages(app)) == ["scheduled", "sent"]
    assert [row.to_name for row in outbox(app)] == ["Walt Waiting"]
