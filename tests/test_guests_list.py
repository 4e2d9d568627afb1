"""The organiser's guest list: page, adding guests, status changes, export, no N+1."""
import csv
import io

import pytest
from sqlalchemy import select

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.audit import AuditEntry
from eventkit.db import db, utcnow
from eventkit.mail.models import OutboundEmail


@pytest.fixture
def signed_in(login, organiser):
    login(organiser)


def reload(app, attendee):
    with app.app_context():
        return db.session.get(Attendee, attendee.id).status


def test_guest_list_shows_guests_readiness_and_counts(client, event, make_attendee, make_intent, signed_in):
    ada = make_attendee(event, name="Ada <b>Lovelace</b>", organisation="Analytical", field="Computing",
                        role="CTO", bio="Engines")
    make_intent(ada, "offer", "Rust")
    make_attendee(event, name="Grace", status=AttendeeStatus.WAITLISTED)
    html = client.get(f"/events/{event.id}/guests").get_data(as_text=True)
    assert "Ada &lt;b&gt;Lovelace&lt;/b&gt;" in html, "user text is escaped"
    assert "✓ profile" in html and "✓ offers" in html and "– seeks" in html
    assert "1 registered" in html and "1 waitlisted" in html
    assert "<strong>39</strong> left" in html


def test_guest_list_query_count_does_not_grow_with_guests(client, event, make_attendee, make_intent,
                                                           signed_in, count_queries):
    def queries() -> int:
        with count_queries() as counter:
            assert client.get(f"/events/{event.id}/guests").status_code == 200
        return counter.count

    guest = make_attendee(event)
    make_intent(guest, "offer", "Rust")
    few = queries()
    for _ in range(8):
        guest = make_attendee(event)
        make_intent(guest, "seek", "Hiring")
    assert queries() == few


def test_add_guest_by_form_invites_them(client, app, event, signed_in):
    response = client.post(f"/events/{event.id}/guests", data={
        "name": "  Ada   Lovelace ", "email": "Ada@Example.com", "organisation": "Analytical", "role": "", "field": "Computing"})
    assert response.status_code == 302
    with app.app_context():
        ada = db.session.scalars(select(Attendee)).one()
        assert (ada.name, ada.email, ada.status) == ("Ada Lovelace", "ada@example.com", "invited")
        mail = db.session.scalars(select(OutboundEmail)).one()
        assert mail.purpose == "invitation" and mail.to_email == "ada@example.com"


def test_add_guest_refuses_bad_input_and_duplicates(client, app, event, make_attendee, signed_in):
    make_attendee(event, email="ada@example.com")
    bad = client.post(f"/events/{event.id}/guests", data={"name": "", "email": "nope"})
    assert bad.status_code == 422
    dup = client.post(f"/events/{event.id}/guests", data={"name": "Ada", "email": "ADA@example.com"})
    assert dup.status_code == 422
    assert "already on the guest list" in dup.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(OutboundEmail)).all() == []


@pytest.mark.parametrize("start, action, end", [
    ("invited", "approve", "approved"),
    ("registered", "waitlist", "waitlisted"),
    ("registered", "cancel", "cancelled"),
    ("invited", "decline", "declined"),
    ("cancelled", "approve", "approved"),
])
def test_valid_status_changes_apply_and_are_audited(client, app, event, make_attendee, signed_in, start, action, end):
    guest = make_attendee(event, status=start)
    response = client.post(f"/events/{event.id}/guests/{guest.id}/status", data={"action": action})
    assert response.status_code == 302
    assert reload(app, guest) == end
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "attendee.status")).one()
        assert entry.details["old"] == start and entry.details["new"] == end
        assert entry.actor.startswith("organiser:")


@pytest.mark.parametrize("start, action", [("approved", "decline"), ("declined", "cancel"), ("invited", "explode")])
def test_invalid_status_changes_change_nothing(client, app, event, make_attendee, signed_in, start, action):
    guest = make_attendee(event, status=start)
    response = client.post(f"/events/{event.id}/guests/{guest.id}/status", data={"action": action},
                           follow_redirects=True)
    assert response.status_code == 200
    assert reload(app, guest) == start
    assert "flash-error" in response.get_data(as_text=True)


def test_guest_of_another_event_is_404(client, event, make_event, make_attendee, signed_in):
    stranger = make_attendee(make_event())
    assert client.post(f"/events/{event.id}/guests/{stranger.id}/status", data={"action": "cancel"}).status_code == 404
    assert client.post(f"/events/{event.id}/guests/{stranger.id}/rotate").status_code == 404


def test_guest_list_is_hidden_from_other_organisers_and_anonymous(client, event, make_organiser, login):
    assert client.get(f"/events/{event.id}/guests").status_code in (302, 401)
    login(make_organiser())
    for path in ("guests", "guests.csv", "calendar.ics", "guests/import"):
        assert client.get(f"/events/{event.id}/{path}").status_code == 404


def test_export_is_utf8_csv_with_header_and_no_formulas(client, app, event, make_attendee, signed_in):
    make_attendee(event, name="=HYPERLINK(\"http://evil\")", organisation="+31 Café", field="-x", role="@me")
    make_attendee(event, name="José", checked_in_at=utcnow())
    response = client.get(f"/events/{event.id}/guests.csv")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][:6] == ["name", "email", "organisation", "role", "field", "status"]
    evil = rows[1]
    assert evil[0] == "'=HYPERLINK(\"http://evil\")"
    assert evil[2] == "'+31 Café" and evil[3] == "'@me" and evil[4] == "'-x"
    assert rows[2][0] == "José" and rows[2][6], "checked-in time exported"


def test_rotate_link_is_a_post(client, event, make_attendee, signed_in):
    guest = make_attendee(event)
    assert client.get(f"/events/{event.id}/guests/{guest.id}/rotate").status_code == 405


def test_event_panel_renders_counts_and_links(app, event, make_attendee):
    make_attendee(event, status=AttendeeStatus.INVITED)
    with app.test_request_context():
        from flask import render_template

        from eventkit.events.models import Event

        html = render_template("attendees/_event_panel.html", event=db.session.get(Event, event.id))
    assert "1 invited" in html and f"/events/{event.id}/guests" in html and "guests.csv" in html
