"""The organiser's side: readiness, reminders to the unready, private notes, panel, demo seed."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template
from sqlalchemy import func, select

from eventkit.db import db, utcnow
from eventkit.events.models import Event
from eventkit.mail.models import OutboundEmail
from eventkit.profiles import services
from eventkit.profiles.models import ResearchNote

COMPLETE = {"role": "Founder", "organisation": "Kelp", "field": "Climate", "bio": "Hello"}


@pytest.fixture
def guests(event, make_attendee, make_intent):
    """ready (complete + offer), complete without offers, empty, opted out, cancelled."""
    ready = make_attendee(event, name="Rita Ready", **COMPLETE)
    make_intent(ready, "offer", "Rust", "code review")
    make_intent(ready, "seek", "Hiring", "an engineer")
    no_offer = make_attendee(event, name="Nico Nooffer", **COMPLETE)
    make_intent(no_offer, "seek", "Fundraising", "money")
    empty = make_attendee(event, name='Eli <b>Empty</b>')
    quiet = make_attendee(event, name="Quinn Quiet", reminders_opt_out=True)
    gone = make_attendee(event, name="Gus Gone", status="cancelled")
    return {"ready": ready, "no_offer": no_offer, "empty": empty, "quiet": quiet, "gone": gone}


@pytest.fixture
def organiser_client(client, organiser, login):
    login(organiser)
    return client


def _emails(app):
    with app.app_context():
        rows = db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)).all()
        db.session.expunge_all()
        return rows


def test_readiness_counts_skip_guests_no_longer_coming(app, event, guests):
    with app.app_context():
        summary = services.readiness(services.active_guests(db.session.get(Event, event.id)))
    assert (summary.total, summary.complete, summary.with_offers, summary.with_seeks, summary.ready) == (4, 2, 1, 2, 1)
    assert summary.unready == 3


def test_event_panel_shows_counts_remind_button_and_notes_link(app, event, guests):
    with app.test_request_context():
        html = render_template("profiles/_event_panel.html", event=db.session.get(Event, event.id))
    assert "1/4" in html and "Remind the unready (3)" in html
    assert f"/events/{event.id}/profiles/remind" in html and f"/events/{event.id}/notes" in html


def test_remind_unready_queues_one_email_per_unready_guest_per_day(app, organiser_client, event, guests):
    response = organiser_client.post(f"/events/{event.id}/profiles/remind")
    assert response.status_code == 302
    emails = _emails(app)
    assert sorted(e.to_email for e in emails) == sorted([guests["no_offer"].email, guests["empty"].email])
    nico = next(e for e in emails if e.to_email == guests["no_offer"].email)
    assert "add at least one thing you can offer" in nico.body_text
    assert "say what you are looking for" not in nico.body_text
    assert f"http://eventkit.test/e/{event.slug}/profile" in nico.body_text
    assert nico.subject == f"Your profile for {event.title}" and nico.purpose == "profile_reminder"
    eli = next(e for e in emails if e.to_email == guests["empty"].email)
    assert "<b>Empty</b>" not in eli.body_html and "&lt;b&gt;Empty&lt;/b&gt;" in eli.body_html
    organiser_client.post(f"/events/{event.id}/profiles/remind")
    assert len(_emails(app)) == 2


def test_reminders_are_deduped_per_day_not_forever(app, event, guests):
    now = utcnow()
    with app.app_context():
        row = db.session.get(Event, event.id)
        assert services.remind_unready(row, "organiser:1", now) == 2
        assert services.remind_unready(row, "organiser:1", now + timedelta(minutes=5)) == 0
        assert services.remind_unready(row, "organiser:1", now + timedelta(days=1)) == 2
        db.session.commit()
    assert len(_emails(app)) == 4


def test_organiser_notes_page_lists_guests_with_readiness(organiser_client, event, guests):
    body = organiser_client.get(f"/events/{event.id}/notes").get_data(as_text=True)
    assert "Rita Ready" in body
    gus = body[body.index("Gus Gone"):].split("</tr>")[0]
    assert "Cancelled" in gus and "Profile incomplete" not in gus  # still noteable, not counted as unready
    assert "Eli &lt;b&gt;Empty&lt;/b&gt;" in body
    assert "No offers" in body and "Has offers" in body and "Profile incomplete" in body


def test_organiser_writes_edits_and_deletes_a_note_on_any_guest(app, organiser_client, event, guests, organiser):
    private = guests["empty"]  # not listed in the directory: organisers may still note them
    url = f"/events/{event.id}/notes/{private.id}"
    assert organiser_client.get(url).status_code == 200
    assert organiser_client.post(url, data={"body": "<i>VIP</i>\nseat near host", "starters": "Trip?"}).status_code == 302
    listing = organiser_client.get(f"/events/{event.id}/notes").get_data(as_text=True)
    assert "&lt;i&gt;VIP&lt;/i&gt;" in listing and "<i>VIP" not in listing
    form = organiser_client.get(url).get_data(as_text=True)
    assert "&lt;i&gt;VIP&lt;/i&gt;" in form
    organiser_client.post(url, data={"body": "edited", "starters": ""})
    with app.app_context():
        note = db.session.scalars(select(ResearchNote)).one()
        assert (note.body, note.author_organiser_id, note.author_attendee_id) == ("edited", organiser.id, None)
    assert organiser_client.post(f"{url}/delete").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(func.count(ResearchNote.id))) == 0


def test_organiser_note_limits_give_422_and_write_nothing(app, organiser_client, event, guests):
    response = organiser_client.post(f"/events/{event.id}/notes/{guests['ready'].id}", data={"body": "x" * 5001})
    assert response.status_code == 422 and "5000 characters" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ResearchNote.id))) == 0


def test_organiser_notes_page_does_not_grow_queries_with_guests(organiser_client, event, make_attendee, make_intent,
                                                               count_queries):
    def add(count):
        for _ in range(count):
            guest = make_attendee(event, **COMPLETE)
            make_intent(guest, "offer", "Rust", "x")
    add(2)
    with count_queries() as small:
        organiser_client.get(f"/events/{event.id}/notes")
    add(12)
    with count_queries() as large:
        organiser_client.get(f"/events/{event.id}/notes")
    assert large.count == small.count


def test_demo_profiles_command_fills_profiles_intents_and_notes(app, runner, event, make_attendee):
    for name in ("Ada", "Ben", "Cy", "Dee"):
        make_attendee(event, name=name)
    result = runner.invoke(args=["eventkit", "demo-profiles", event.slug])
    assert result.exit_code == 0, result.output
    assert "4 profiles" in result.output
    with app.app_context():
        row = db.session.get(Event, event.id)
        guests = services.active_guests(row)
        assert all(guest.is_ready and guest.directory_consent for guest in guests)
        assert db.session.scalar(select(func.count(ResearchNote.id))) == 4
    again = runner.invoke(args=["eventkit", "demo-profiles", event.slug])
    assert "0 profiles, 0 offers/seeks, 0 notes" in again.output
    missing = runner.invoke(args=["eventkit", "demo-profiles", "no-such-gathering"])
    assert missing.exit_code != 0 and "No gathering" in missing.output
