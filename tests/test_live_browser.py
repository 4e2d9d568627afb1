"""Two guests' phones (390 px) and the room's screen in Debian's Chromium through a round change with a re-pair.

Ana's planned partner and one guest of another table do not come; when the organiser starts the round,
Ana and the guest left alone at the other table are re-paired. Both phones and the screen update by
themselves (polling with ETag), then show the taps when the round ends.
"""
from __future__ import annotations

import re

from browser_fixtures import BROWSER, CHROMIUM

from eventkit.db import db, utcnow
from eventkit.events.models import Event
from eventkit.live import rounds
from eventkit.live.models import ScreenLink
from tests.live_helpers import check_in, partner_in, plan, six_guests

pytestmark = BROWSER


def test_two_phones_and_the_screen_follow_a_round_change_and_a_re_pair(app, event, make_attendee, make_intent,
                                                                       live_server):
    from playwright.sync_api import expect, sync_playwright

    guests = six_guests(make_attendee, make_intent, event)
    plan(app, event, rounds=1)
    by_id = {g.id: g for g in guests}
    ana = guests[0]
    with app.app_context():
        gone = partner_in(1, event.id, ana.id)[0]
        other_table = next(g for g in guests if g.id not in (ana.id, gone))
        gone_too = partner_in(1, event.id, other_table.id)[0]
        link = ScreenLink(event_id=event.id, label="Projector")
        secret = link.issue_secret()
        db.session.add(link)
        db.session.commit()
    alone = other_table
    check_in(app, *[g for g in guests if g.id not in (gone, gone_too)])
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless",
                                                                             "--disable-gpu", "--no-first-run"])
        try:
            phones = []
            for guest in (ana, alone):
                context = browser.new_context(viewport={"width": 390, "height": 844})
                page = context.new_page()
                page.goto(f"{live_server}/g/{guest.token}")
                page.goto(f"{live_server}/e/{event.slug}/now")
                expect(page.locator("#now-headline")).to_have_text("The conversations have not started yet")
                phones.append(page)
            screen = browser.new_page(viewport={"width": 1280, "height": 720})
            screen.goto(f"{live_server}/screen/{secret}")
            expect(screen.locator("#screen-heading")).to_have_text("Next: round 1 of 1")

            with app.app_context():
                rounds.start_round(db.session.get(Event, event.id), utcnow(), "organiser:test")
                db.session.commit()
                assert sorted(partner_in(1, event.id, ana.id)) == [alone.id]

            expect(phones[0].locator("#now-headline")).to_have_text(
                re.compile(rf"^Now, table \d+, with {re.escape(by_id[alone.id].name)}$"), timeout=15_000)
            expect(phones[1].locator("#now-headline")).to_have_text(
                re.compile(rf"^Now, table \d+, with {re.escape(ana.name)}$"), timeout=15_000)
            expect(phones[0].locator("#remaining")).to_have_text(re.compile(r"^\d+ minutes? left\.$"))
            expect(screen.locator("#screen-heading")).to_have_text("Round 1 of 1", timeout=15_000)
            expect(screen.locator("#screen-tables")).to_contain_text("Ana", timeout=15_000)
            assert by_id[gone].name.split()[0] not in screen.inner_text("#screen-tables")

            with app.app_context():
                rounds.end_round(db.session.get(Event, event.id), utcnow(), "organiser:test")
                db.session.commit()
            for phone in phones:
                expect(phone.locator(".tap-form")).to_have_count(1, timeout=15_000)
            phones[0].locator("input[name=outcome][value=met]").check()
            phones[0].locator("input[name=worth][value=yes]").check()
            phones[0].locator(".tap-form button[type=submit]").click()
            expect(phones[0].locator(".flash")).to_contain_text("Thanks, noted.")
            expect(phones[0].locator(".tap-form")).to_have_count(0)
            expect(phones[1].locator(".tap-form")).to_have_count(1)  # the other side still answers for itself
        finally:
            browser.close()
