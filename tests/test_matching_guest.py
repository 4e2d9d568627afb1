"""Guests see only their own conversations, and only once the plan is locked."""
from __future__ import annotations

import re

from flask import render_template

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event
from tests.matching_helpers import four_guests

SETTINGS = {"settings-rounds": "1", "settings-round_minutes": "12", "settings-per_guest_cap": "3",
            "settings-odd_policy": "trio"}


def guest_panel(app, event, attendee) -> str:
    with app.test_request_context("/"):
        return render_template("matching/_guest_panel.html", event=db.session.get(Event, event.id),
                               attendee=db.session.get(Attendee, attendee.id))


def test_guest_sees_nothing_before_lock_then_only_their_own(app, client, login, organiser, event, make_attendee,
                                                            make_intent):
    ana, ben, cleo, dev = four_guests(make_attendee, make_intent, event)
    login(organiser)
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    assert "Round 1" not in guest_panel(app, event, ana) and "once the organiser locks the plan" in guest_panel(
        app, event, ana)
    client.post(f"/events/{event.id}/plan/lock")
    panel = guest_panel(app, event, ana)
    assert "Your conversations" in panel and "Round 1" in panel and "Ben" in panel
    # second person: what Ana can give Ben and what Ben can give Ana, never "Ana offers …, which Ben seeks"
    assert "What you can give them" in panel and "Fundraising: your “seed-stage fundraising intros”" in panel
    assert "What they can give you" in panel and "Rust: their “Rust code review”" in panel
    assert "which Ben seeks" not in panel
    assert "Cleo" not in panel and re.search(r"\bDev\b", panel) is None  # Ben's field "Developer tools" is fine
    client.post(f"/events/{event.id}/plan/unlock")
    assert "Round 1" not in guest_panel(app, event, ana)


def test_guest_names_are_escaped(app, client, login, organiser, event, make_attendee, make_intent):
    guests = four_guests(make_attendee, make_intent, event)
    with app.app_context():
        db.session.get(Attendee, guests[1].id).name = "<b>Ben</b>"
        db.session.commit()
    login(organiser)
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    client.post(f"/events/{event.id}/plan/lock")
    panel = guest_panel(app, event, guests[0])
    assert "<b>Ben</b>" not in panel and "&lt;b&gt;Ben&lt;/b&gt;" in panel
    page = client.get(f"/events/{event.id}/plan").get_data(as_text=True)
    assert "<b>Ben</b>" not in page


def test_event_panel_shows_plan_state(app, client, login, organiser, event, make_attendee, make_intent):
    four_guests(make_attendee, make_intent, event)
    with app.test_request_context("/"):
        html = render_template("matching/_event_panel.html", event=db.session.get(Event, event.id))
    assert "No plan yet" in html
    login(organiser)
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    with app.test_request_context("/"):
        html = render_template("matching/_event_panel.html", event=db.session.get(Event, event.id))
    assert "2 conversations planned" in html and "draft" in html
