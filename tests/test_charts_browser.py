"""The event page's charts in Debian's Chromium at phone width: every chart text renders at 11 px or more."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from browser_fixtures import BROWSER, CHROMIUM

from eventkit.attendees.models import AttendeeStatus
from eventkit.db import db
from eventkit.mail.services import queue_email
from tests.conftest import PASSWORD

T0 = datetime(2026, 12, 1, 18, 2, tzinfo=timezone.utc)
#: the smallest chart text a phone shows (the hand-drawn funnel's labels shrank to 7 px)
MIN_PX = 11

pytestmark = BROWSER


#: each chart text's rendered size: its computed font size times the SVG's scale on screen
TEXT_SIZES = """() => Array.from(document.querySelectorAll('figure.chart svg text')).map(text => ({
  text: text.textContent, px: parseFloat(getComputedStyle(text).fontSize) * text.getScreenCTM().a }))"""


def test_chart_text_stays_readable_at_390_px(app, event, organiser, make_attendee, live_server):
    from playwright.sync_api import expect, sync_playwright

    for n in range(8):
        make_attendee(event, name=f"Guest {n}", checked_in_at=T0 + timedelta(minutes=6 * n))
    make_attendee(event, status=AttendeeStatus.INVITED)
    with app.app_context():
        queue_email(to_email="g@example.com", template="notice", purpose="notice", dedupe_key="charts:browser",
                    event_id=event.id, title="Hello", body="See you.")
        db.session.commit()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844})
            errors, missing = [], []
            page.on("console", lambda message: errors.append(message.text) if message.type == "error"
                    and not message.text.startswith("Failed to load resource") else None)
            # the favicon comes with the design branch (uifound); every other resource must load
            page.on("response", lambda response: missing.append(response.url) if response.status >= 400
                    and not response.url.endswith("/favicon.ico") else None)
            page.goto(f"{live_server}/auth/login")
            page.fill('input[name="email"]', organiser.email)
            page.fill('input[name="password"]', PASSWORD)
            page.click('button[type="submit"]')
            page.goto(f"{live_server}/events/{event.id}")
            expect(page.locator("figure.chart")).to_have_count(4)
            sizes = page.evaluate(TEXT_SIZES)
            assert len(sizes) > 20
            small = [size for size in sizes if size["px"] < MIN_PX]
            assert not small, small
            assert page.evaluate("document.documentElement.scrollWidth") <= 390, "no sideways scroll"
            page.locator("#chart-replies summary").click()
            expect(page.locator("#chart-replies table")).to_be_visible()
            assert not errors, errors  # e.g. a CSP refusal of inline style
            assert not missing, missing
        finally:
            browser.close()
