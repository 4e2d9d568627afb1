"""Capacity, the waitlist and promotion when a place frees up."""
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from eventkit.attendees import services
from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.audit import AuditEntry
from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.mail.models import OutboundEmail
from eventkit.signals import accepting_invitation

S = AttendeeStatus


def statuses(app, event) -> dict[str, str]:
    with app.app_context():
        rows = db.session.execute(select(Attendee.email, Attendee.status).where(Attendee.event_id == event.id))
        return dict(rows.all())


def mails(app, purpose) -> list[OutboundEmail]:
    with app.app_context():
        return db.session.scalars(select(OutboundEmail).where(OutboundEmail.purpose == purpose)).all()


def add(app, event, email, now=None):
    with app.app_context():
        attendee = services.add_guest(db.session.get(Event, event.id), services.GuestData(name=email.split("@")[0], email=email),
                                      actor="organiser:1", now=now or utcnow())
        db.session.commit()
        return attendee.status


def test_past_capacity_new_guests_are_waitlisted_and_told_so(app, make_event):
    event = make_event(capacity=2)
    assert [add(app, event, f"g{i}@example.com") for i in range(3)] == ["invited", "invited", "waitlisted"]
    invitation = [m for m in mails(app, "invitation") if m.to_email == "g2@example.com"][0]
    assert "waitlist" in invitation.subject and "waitlist" in invitation.body_text
    assert "waitlist" not in [m for m in mails(app, "invitation") if m.to_email == "g0@example.com"][0].subject


@pytest.mark.parametrize("action", ["cancel", "decline"])
def test_organiser_freeing_a_place_promotes_the_oldest_waitlisted(app, make_event, action):
    event = make_event(capacity=1)
    start = utcnow()
    add(app, event, "first@example.com", now=start)
    add(app, event, "waits-longest@example.com", now=start + timedelta(minutes=1))
    add(app, event, "waits-less@example.com", now=start + timedelta(minutes=2))
    with app.app_context():
        first = db.session.scalars(select(Attendee).where(Attendee.email == "first@example.com")).one()
        promoted = services.organiser_change_status(db.session.get(Event, event.id), first, action,
                                                    actor="organiser:1", now=start + timedelta(minutes=3))
        db.session.commit()
        assert [a.email for a in promoted] == ["waits-longest@example.com"]
    assert statuses(app, event) == {"first@example.com": f"{action}d" if action == "decline" else "cancelled",
                                    "waits-longest@example.com": "invited", "waits-less@example.com": "waitlisted"}
    offered = mails(app, "place_offered")
    assert [m.to_email for m in offered] == ["waits-longest@example.com"]
    assert "place" in offered[0].subject.lower()
    with app.app_context():
        reasons = db.session.scalars(select(AuditEntry.details).where(AuditEntry.action == "attendee.status")).all()
    assert any(r["reason"] == "a place became free" for r in reasons)


def test_guest_declining_through_their_page_promotes_the_waitlist(client, app, make_event, make_attendee, guest_login):
    event = make_event(capacity=1)
    going = make_attendee(event, email="going@example.com", status=S.REGISTERED)
    make_attendee(event, email="waiting@example.com", status=S.WAITLISTED)
    guest_login(going)
    assert client.post(f"/e/{event.slug}/decline").status_code == 302
    assert statuses(app, event) == {"going@example.com": "declined", "waiting@example.com": "invited"}
    assert [m.to_email for m in mails(app, "place_offered")] == ["waiting@example.com"]


def test_accept_registers_when_a_place_is_free(client, app, event, make_attendee, guest_login):
    guest = make_attendee(event, status=S.INVITED)
    guest_login(guest)
    response = client.post(f"/e/{event.slug}/accept", follow_redirects=True)
    assert "you are registered" in response.get_data(as_text=True)
    assert statuses(app, event)[guest.email] == "registered"


def test_accept_after_declining_in_a_full_gathering_waitlists(client, app, make_event, make_attendee, guest_login):
    event = make_event(capacity=1)
    make_attendee(event, status=S.REGISTERED)
    changed_mind = make_attendee(event, status=S.DECLINED)
    guest_login(changed_mind)
    response = client.post(f"/e/{event.slug}/accept", follow_redirects=True)
    assert "waitlist" in response.get_data(as_text=True)
    assert statuses(app, event)[changed_mind.email] == "waitlisted"


def test_a_refusing_receiver_blocks_accept_with_its_message(client, app, event, make_attendee, guest_login):
    guest = make_attendee(event, status=S.INVITED)
    guest_login(guest)
    seen = []

    def refuse(attendee, now):
        seen.append((attendee.id, now))
        raise DomainError("You still have 2 overdue follow-ups from your last gathering.", "followups_overdue", 409)

    accepting_invitation.connect(refuse)
    try:
        response = client.post(f"/e/{event.slug}/accept")
    finally:
        accepting_invitation.disconnect(refuse)
    assert response.status_code == 409
    assert "2 overdue follow-ups" in response.get_data(as_text=True)
    assert seen and seen[0][0] == guest.id and seen[0][1].tzinfo is not None
    assert statuses(app, event)[guest.email] == "invited"
    with app.app_context():
        assert db.session.scalars(select(AuditEntry)).all() == []


def test_approving_past_capacity_is_refused(app, make_event, make_attendee):
    event = make_event(capacity=1)
    make_attendee(event, status=S.REGISTERED)
    waiting = make_attendee(event, status=S.WAITLISTED)
    with app.app_context():
        with pytest.raises(DomainError, match="No places left"):
            services.organiser_change_status(db.session.get(Event, event.id), db.session.get(Attendee, waiting.id),
                                             "approve", actor="organiser:1", now=utcnow())


def test_replies_close_when_the_gathering_is_over(client, app, make_event, make_attendee, guest_login):
    past = utcnow() - timedelta(days=2)
    event = make_event(starts_at=past)
    guest = make_attendee(event, status=S.INVITED)
    guest_login(guest)
    assert f"/e/{event.slug}/accept" not in client.get(f"/e/{event.slug}/me").get_data(as_text=True)
    response = client.post(f"/e/{event.slug}/accept")
    assert response.status_code == 409 and "over" in response.get_data(as_text=True)
    assert statuses(app, event)[guest.email] == "invited"


def test_no_guests_are_added_to_a_finished_gathering(app, make_event):
    event = make_event(status="finished")
    with pytest.raises(DomainError, match="finished"):
        add(app, event, "late@example.com")


def edit_capacity(client, event, capacity):
    from test_events import form_data

    with client.application.app_context():
        current = db.session.get(Event, event.id)
        zone = current.timezone
        starts, ends = (value.astimezone(ZoneInfo(zone)) for value in (current.starts_at, current.ends_at))
    return client.post(f"/events/{event.id}/edit", data=form_data(
        title="Edited title", timezone=zone, capacity=str(capacity),
        starts_local=starts.strftime("%Y-%m-%dT%H:%M"), ends_local=ends.strftime("%Y-%m-%dT%H:%M")))


def test_capacity_below_the_places_held_is_refused_and_nothing_changes(app, client, login, organiser, make_event):
    event = make_event(capacity=3, owner=organiser)
    for i in range(3):
        add(app, event, f"g{i}@example.com")
    login(organiser)
    response = edit_capacity(client, event, 2)
    assert response.status_code == 422
    assert "3 guests already hold a place, so the capacity cannot go below 3" in response.data.decode()
    with app.app_context():
        stored = db.session.get(Event, event.id)
        assert (stored.capacity, stored.title) == (3, event.title)
        assert not db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.updated")).all()


def test_capacity_down_to_the_places_held_is_accepted(app, client, login, organiser, make_event):
    event = make_event(capacity=5, owner=organiser)
    for i in range(3):
        add(app, event, f"g{i}@example.com")
    login(organiser)
    assert edit_capacity(client, event, 3).status_code == 302
    with app.app_context():
        assert db.session.get(Event, event.id).capacity == 3


def test_more_capacity_offers_places_to_the_longest_waiting(app, client, login, organiser, make_event):
    event = make_event(capacity=1, owner=organiser, status="open")
    start = utcnow()
    for i, email in enumerate(["in@example.com", "waits-longest@example.com", "waits-less@example.com"]):
        add(app, event, email, now=start + timedelta(minutes=i))
    login(organiser)
    assert edit_capacity(client, event, 2).status_code == 302
    assert statuses(app, event) == {"in@example.com": "invited", "waits-longest@example.com": "invited",
                                    "waits-less@example.com": "waitlisted"}
    offers = mails(app, "place_offered")
    assert [m.to_email for m in offers] == ["waits-longest@example.com"]
    assert f"/e/{event.slug}/link" in offers[0].body_text  # a guest who lost the invitation gets a new link
