"""Every email template, as really queued: readable at 390 px (a phone) and 600 px (a desktop client)
in Chromium without horizontal scrolling, and with a plain-text part that holds every link of the HTML."""
from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from browser_fixtures import CHROMIUM, needs_chromium
from sqlalchemy import select
from test_followup_support import ENDS, STARTS, finish, gathering, sweep_at

from eventkit import TEMPLATE_FOLDER
from eventkit.attendees.invitations import queue_invitation, queue_place_offered
from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.auth.confirmation import queue_confirmation
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.followup.encounters import log_encounter
from eventkit.mail.links import send_time_link
from eventkit.mail.models import OutboundEmail
from eventkit.mail.services import Draft, queue_email, queue_emails
from eventkit.messages import services as messages
from eventkit.profiles.services import remind_unready
from eventkit.registration.models import SignUp

#: kind of email -> its template (every template in templates/mail with a .txt part must appear)
TEMPLATES = {"invitation": "invitation", "place_offered": "place_offered", "briefing": "briefing",
             "followup_reminder": "followup_task", "digest": "followup_digest", "escalation": "followup_escalation",
             "encounter": "followup_encounter", "profile_reminder": "profile_reminder", "notice": "notice",
             "nudge": "followup_nudge", "account": "confirm_email", "announcement": "announcement",
             "day_before": "announcement", "registration_confirm": "registration_confirm",
             "registration_known": "registration_known", "registration_decision": "registration_decision"}
LONG_WORD = "Klimaneutralebaustoffgenossenschaftsverwaltungsgesellschaft"
WIDTHS = (390, 600)


def _registration_emails(event, guest) -> None:
    """The public page's emails: a confirmation, the answer to a known address, the three decisions."""
    signup = SignUp(event_id=event.id, email="new@example.org", name=f"Nia {LONG_WORD}", answers={})
    db.session.add(signup)
    db.session.flush()
    queue_email(to_email=signup.email, to_name=signup.name, template="registration_confirm",
                purpose="registration_confirm", dedupe_key="registration:confirm:t", event_id=event.id, event=event,
                link=send_time_link("signup", signup.id), days=7, applying=True)
    queue_email(to_email=guest.email, to_name=guest.name, template="registration_known", purpose="registration_known",
                dedupe_key="registration:known:t", event_id=event.id, event=event, attendee=guest,
                link=send_time_link("personal", guest.id))
    for decision in ("approve", "waitlist", "decline"):
        queue_email(to_email=guest.email, to_name=guest.name, template="registration_decision",
                    purpose="registration_decision", dedupe_key=f"registration:decision:t:{decision}",
                    event_id=event.id, event=event, attendee=guest, decision=decision,
                    link=send_time_link("personal", guest.id))


@pytest.fixture
def every_email(app, make_event, make_attendee):
    """One or more real messages of every kind, with long names and words; (kind, subject, text, html) rows."""
    app.config["BASE_URL"] = "https://events.a-rather-long-domain-name-for-a-community.example.org"
    names = [f"Ana{LONG_WORD}", "Ben", "Chloe"]
    event, g = gathering(make_event, make_attendee, app, names, [(names[0], names[1])],
                         title=f"Founders dinner: {LONG_WORD} and friends", venue=f"{LONG_WORD}strasse 1234, Berlin",
                         description=f"Bring a question. {LONG_WORD}!")
    waitlisted = make_attendee(event, name="Wai Ting", status=AttendeeStatus.WAITLISTED)
    finish(app, event.id, ENDS + timedelta(hours=1))
    sweep_at(app, ENDS + timedelta(days=1, hours=12))
    sweep_at(app, ENDS + timedelta(days=3))
    with app.app_context():
        stored = db.session.get(Event, event.id)
        ana, chloe = (db.session.get(Attendee, g[name].id) for name in (names[0], names[2]))
        queue_invitation(ana)
        chloe.rotate_token()
        queue_invitation(chloe, renewed=True)
        queue_invitation(db.session.get(Attendee, waitlisted.id))
        queue_place_offered(db.session.get(Attendee, waitlisted.id))
        queue_emails([Draft(ana.email, ana.name, "briefing:test", recipient_id=ana.id)], template="briefing",
                     purpose="briefing", event_id=event.id, event=stored)
        log_encounter(chloe, ana.id, f"We talked about {LONG_WORD}", STARTS + timedelta(hours=1))
        ana.bio = ""
        remind_unready(stored, actor="test", now=ENDS + timedelta(days=3))
        queue_email(to_email=ana.email, to_name=ana.name, template="followup_nudge", purpose="followup", kind="nudge",
                    recipient_id=ana.id, dedupe_key="nudge:1", event_id=event.id, event=stored, quiet_days=95,
                    other=chloe, link=send_time_link("followup-nudge", ana.id, 1))
        queue_confirmation(stored.owner, ENDS)
        _registration_emails(stored, ana)
        queue_email(to_email=ana.email, to_name=ana.name, template="notice", purpose="notice", dedupe_key="notice:1",
                    event_id=event.id, title="A notice", body=f"Line one\nhttps://example.org/{LONG_WORD}/{LONG_WORD}")
        for template in ("day_before", "custom"):
            messages.create(stored, messages.Draft(f"{template}: {LONG_WORD}", f"Hello {{name}}: {{link}}\n"
                                                   f"https://example.org/{LONG_WORD}/{LONG_WORD}", audience="picked",
                                                   template=template, picked_ids=[ana.id]), "test", ENDS)
        db.session.commit()
        rows = [(e.kind, e.subject, e.body_text, e.body_html) for e in db.session.scalars(select(OutboundEmail))]
    assert {TEMPLATES[kind] for kind, *_ in rows} == set(TEMPLATES.values())
    return rows


def test_every_email_template_is_covered():
    with_text = {path.stem for path in (Path(TEMPLATE_FOLDER) / "mail").glob("*.txt")}
    assert with_text == set(TEMPLATES.values())


def test_plain_text_parts_hold_every_link_of_the_html(every_email):
    for kind, subject, text, html in every_email:
        links = set(re.findall(r'href="([^"]+)"', html))
        assert links or kind == "notice", kind
        missing = {link for link in links if link.replace("&amp;", "&") not in text}
        assert not missing, (kind, subject, missing)
        assert "Hello" in text and "{{" not in text and "{%" not in text


@pytest.mark.browser
@needs_chromium
def test_every_email_fits_a_phone_and_a_desktop_client_without_horizontal_scrolling(every_email):
    from playwright.sync_api import sync_playwright

    args = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--no-first-run"]
    overflowing = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=args)
        try:
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 800})
                for kind, subject, _text, html in every_email:
                    page.set_content(html)
                    scroll, client = page.evaluate(
                        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
                    if scroll > client:
                        overflowing.append((width, kind, subject, scroll))
                    assert page.is_hidden(".preheader"), (kind, width)
                page.close()
        finally:
            browser.close()
    assert overflowing == []
