"""my-data.json holds everything about the guest; deletion erases it all but what the guest list keeps."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from test_followup_support import ENDS, STARTS, finish, gathering, sweep_at

from eventkit.attendees.models import Attendee
from eventkit.checkin.models import CheckIn
from eventkit.db import db
from eventkit.followup import encounters, services
from eventkit.followup.models import Connection, Encounter, FollowUpAction, FollowUpTask
from eventkit.mail.models import OutboundEmail


@pytest.fixture
def met(app, make_event, make_attendee, deliver):
    """Ana met Ben (planned) and Cleo (an encounter she logged); she followed up on Ben; reminders went out."""
    event, people = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo", "Dev"], [("Ana", "Ben")])
    finish(app, event.id, ENDS)
    with app.app_context():
        ana = db.session.get(Attendee, people["Ana"].id)
        db.session.add(CheckIn(event_id=event.id, attendee_id=ana.id, at=STARTS + timedelta(minutes=5), method="search"))
        connection_id = db.session.scalars(select(Connection.id)).one()
        services.record_action(ana, connection_id, "thank_you", "ANA-ACTION-NOTE sent the deck", ENDS + timedelta(hours=1))
        encounters.log_encounter(ana, people["Cleo"].id, "ANA-ENCOUNTER-NOTE coffee queue", ENDS)
        db.session.commit()
    # her next check-in comes 7 days after her action (the rhythm counts from it): overdue on day 9
    sweep_at(app, ENDS + timedelta(days=9))  # an overdue reminder and a digest
    deliver(ENDS + timedelta(days=9))
    return event, people


def test_my_data_has_connections_actions_tasks_check_in_encounters_and_emails(app, client, guest_login, met):
    event, people = met
    guest_login(people["Ana"])
    response = client.get(f"/e/{event.slug}/my-data.json")
    assert response.status_code == 200
    data = json.loads(response.data)
    assert data["check_in"]["method"] == "search" and data["check_in"]["at"].startswith(STARTS.date().isoformat())
    [connection] = data["connections"]
    assert connection["with"] == "Ben" and connection["stage"] == "followed_up"
    assert [(a["by"], a["kind"], a["note"]) for a in connection["actions"]] == [
        ("you", "thank_you", "ANA-ACTION-NOTE sent the deck")]
    assert {task["with"] for task in data["follow_up_tasks"]} == {"Ben"} and len(data["follow_up_tasks"]) >= 2
    assert data["encounters"] == [{"logged_by": "you", "with": "Cleo", "note": "ANA-ENCOUNTER-NOTE coffee queue",
                                   "created_at": ENDS.isoformat(), "confirmed_at": None, "declined_at": None}]
    assert {e["purpose"] for e in data["emails"]} == {"followup"} and len(data["emails"]) == 2  # overdue, digest
    assert all(e["sent_at"] and e["status"] == "sent" for e in data["emails"])
    assert {"subject", "purpose", "status", "queued_at", "sent_at"} == set(data["emails"][0])
    text = response.get_data(as_text=True)
    assert "eventkit-link" not in text and "/followup/go/" not in text and "/g/" not in text


def test_deletion_erases_all_but_the_guest_list_and_says_so(app, client, guest_login, met):
    event, people = met
    ana_id = people["Ana"].id
    guest_login(people["Ana"])
    page = client.get(f"/e/{event.slug}/profile/delete").get_data(as_text=True)
    assert "What stays: your name and email, your reply and your check-in time" in page
    assert "the emails" in page and "signs you out everywhere" in page
    response = client.post(f"/e/{event.slug}/profile/delete", data={"confirm": "y"})
    assert response.status_code == 302
    assert "What stays" in client.get(response.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        ana = db.session.get(Attendee, ana_id)
        assert (ana.name, ana.email, ana.status) == ("Ana", "ana@example.com", "registered")
        assert ana.checked_in_at is not None and db.session.scalars(select(CheckIn).where(CheckIn.attendee_id == ana_id)).one()
        assert db.session.scalars(select(OutboundEmail.id).where(OutboundEmail.to_email == "ana@example.com")).all() == []
        assert db.session.scalars(select(OutboundEmail.id).where(OutboundEmail.to_email == "ben@example.com")).all()
        assert db.session.scalars(select(FollowUpAction.note).where(FollowUpAction.actor_id == ana_id)).all() == [""]
        assert db.session.scalars(select(Encounter.note).where(Encounter.logged_by_id == ana_id)).all() == [""]
        assert db.session.scalars(select(FollowUpTask.id).where(FollowUpTask.owner_id == ana_id)).all(), \
            "the connection's tasks stay: Ben's follow-up history is his too"
    assert client.get(f"/e/{event.slug}/me").status_code == 403
