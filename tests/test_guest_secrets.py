"""No working guest secret at rest or on an organiser's page; the emails actually sent carry working links.

Every kind of email that carries a guest's link is queued and sent (invitations, a waitlist
invitation, a freed place, a replaced link, a lost-link request, profile reminders, briefings,
follow-up reminders with one-click links, an encounter to confirm). Then every text and binary
column of every table is read, and no string in it opens a guest session or does a one-click
action; the organiser's outbox pages show the links redacted.
"""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from conftest import links_in
from sqlalchemy import LargeBinary, String, Text, select
from sqlalchemy.types import JSON
from test_briefings_support import build_gathering
from test_followup_support import ENDS, finish, gathering, sweep_at

from eventkit.attendees import services as guests
from eventkit.attendees.models import Attendee, GuestLink
from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.followup import encounters, links
from eventkit.mail.models import OutboundEmail
from eventkit.profiles.services import remind_unready
from eventkit.security import hash_token

CANDIDATE = re.compile(r"[A-Za-z0-9_.~-]{16,}")


def _queue_every_kind_of_email(app, client, login, organiser, make_event, make_attendee, make_intent):
    world = build_gathering(app, make_event, make_attendee, make_intent, capacity=5)
    event = world.event
    with app.app_context():
        stored = db.session.get(Event, event.id)
        eve = guests.add_guest(stored, guests.GuestData("Eve Invited", "eve@example.com"), actor="o", now=utcnow())
        guests.add_guest(stored, guests.GuestData("Finn Waiting", "finn@example.com"), actor="o", now=utcnow())
        guests.organiser_change_status(stored, eve, "cancel", actor="o", now=utcnow())  # Finn is offered the place
        remind_unready(stored, "o", utcnow())
        db.session.commit()
    login(organiser)
    assert client.post(f"/events/{event.id}/guests/{world.ada.id}/rotate").status_code == 302
    assert client.post(f"/events/{event.id}/briefings/email", data={"paper": "a4"}).status_code == 303
    assert app.test_client().post(f"/e/{event.slug}/link", data={"email": "finn@example.com"}).status_code == 200

    past, people = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo"], [("Ana", "Ben")])
    finish(app, past.id, ENDS)
    sweep_at(app, ENDS + timedelta(days=3))  # the first follow-ups are overdue
    with app.app_context():
        encounters.log_encounter(db.session.get(Attendee, people["Ana"].id), people["Cleo"].id, "coffee", ENDS)
        db.session.commit()
    return event, past


def _stored_strings(app) -> list[str]:
    """Every value of every text, JSON and binary column of every table."""
    values = []
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, (String, Text, JSON, LargeBinary))]
            if not columns:
                continue
            for row in db.session.execute(select(*columns)):
                for value in row:
                    if isinstance(value, bytes):
                        values.append(value.decode("latin-1"))
                    elif value is not None:
                        values.append(str(value))
    return values


def _opens_something(app, candidate: str) -> bool:
    with app.app_context():
        if db.session.scalars(select(GuestLink.id).where(GuestLink.token_hash == hash_token(candidate))).first():
            return True
        try:
            links.read_token(candidate)
        except DomainError:
            return False
        return True


@pytest.fixture
def sent(app, client, login, organiser, make_event, make_attendee, make_intent, deliver):
    events = _queue_every_kind_of_email(app, client, login, organiser, make_event, make_attendee, make_intent)
    messages = deliver()
    with app.app_context():
        statuses = db.session.scalars(select(OutboundEmail.status)).all()
    assert statuses and set(statuses) == {"sent"}
    return events, messages


def test_no_string_in_the_database_opens_a_guest_session_or_action(app, sent):
    _events, messages = sent
    assert len(messages) >= 15
    candidates = {c for value in _stored_strings(app) for c in CANDIDATE.findall(value)}
    assert len(candidates) > 50, "the scan reads real data"
    assert [c for c in candidates if _opens_something(app, c)] == []


def test_the_delivered_emails_carry_working_links(app, sent):
    (event, past), messages = sent
    personal = [(m, token) for m in messages for token in links_in(m)]
    subjects = {m["Subject"] for m, _ in personal}
    assert any(s.startswith("You are invited") for s in subjects)
    assert any(s.startswith("You are on the waitlist") for s in subjects)
    assert any(s.startswith("A place is free") for s in subjects)
    assert any(s.startswith("Your new personal link") for s in subjects)
    assert len({token for _, token in personal}) == len(personal), "every email its own link"
    for message, token in personal:
        browser = app.test_client()
        assert browser.get(f"/g/{token}").status_code == 302, message["Subject"]
        assert browser.get(f"/e/{event.slug}/me").status_code == 200
    one_click = [token for m in messages for token in links_in(m, f"/e/{past.slug}/followup/go/")]
    assert len(one_click) >= 3
    for token in one_click:
        browser = app.test_client()
        assert browser.get(f"/e/{past.slug}/followup/go/{token}").status_code == 200
        assert browser.get(f"/e/{past.slug}/connections").status_code == 403, "a one-click link gives no session"


def test_the_organiser_outbox_shows_links_redacted(app, client, sent):
    (event, past), messages = sent
    delivered = {token for m in messages for token in links_in(m) + links_in(m, f"/e/{past.slug}/followup/go/")}
    with app.app_context():
        emails = db.session.execute(select(OutboundEmail.id, OutboundEmail.event_id, OutboundEmail.purpose)
                                    .where(OutboundEmail.event_id == event.id)).all()
    pages = [client.get(f"/events/{event.id}/outbox").get_data(as_text=True)]
    for email_id, event_id, purpose in emails:
        page = client.get(f"/events/{event_id}/outbox/{email_id}")
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        if purpose == "invitation":
            assert "[personal link for the guest, made when the email is sent]" in html
        pages.append(html)
    assert not [token for token in delivered for html in pages if token in html]
    assert not [html for html in pages if "eventkit-link:" in html], "placeholders never show as such"
