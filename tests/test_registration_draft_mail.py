"""A draft gathering holds every email to its guests; opening it releases them, with the count shown first."""
from __future__ import annotations

from sqlalchemy import select

from eventkit.attendees.models import AttendeeStatus
from eventkit.db import db
from eventkit.mail.claims import held_count
from eventkit.mail.models import MailStatus, OutboundEmail


def statuses(app, event):
    with app.app_context():
        return sorted(db.session.scalars(select(OutboundEmail.status).where(OutboundEmail.event_id == event.id)))


def test_invitations_of_a_draft_wait_until_it_opens(app, client, login, organiser, make_event, deliver):
    draft = make_event(status="draft")
    opened = make_event()
    login(organiser)
    for n in range(3):
        client.post(f"/events/{draft.id}/guests", data={"name": f"Guest {n}", "email": f"g{n}@example.com"})
    client.post(f"/events/{opened.id}/guests", data={"name": "Other", "email": "other@example.com"})
    delivered = deliver()
    assert [m["To"].addresses[0].addr_spec for m in delivered] == ["other@example.com"]  # open ones still go
    assert statuses(app, draft) == [MailStatus.PENDING] * 3
    page = client.get(f"/events/{draft.id}").get_data(as_text=True)
    assert "Open registration and send 3 emails" in page
    assert "The 3 emails held while this was a draft go out now." in page
    assert "(3 waiting)" in page
    with app.app_context():
        assert held_count(draft.id) == 3 and held_count(opened.id) == 0
    opened_page = client.post(f"/events/{draft.id}/status", data={"status": "open"}, follow_redirects=True)
    assert "The gathering is now open. The 3 held emails go out now." in opened_page.get_data(as_text=True)
    released = deliver()
    assert sorted(m["To"].addresses[0].addr_spec for m in released) == ["g0@example.com", "g1@example.com",
                                                                        "g2@example.com"]
    assert statuses(app, draft) == [MailStatus.SENT] * 3
    assert "Open registration and send" not in client.get(f"/events/{draft.id}").get_data(as_text=True)


def test_back_to_draft_holds_mail_again(app, client, login, organiser, event, deliver):
    login(organiser)
    client.post(f"/events/{event.id}/status", data={"status": "draft"})
    client.post(f"/events/{event.id}/guests", data={"name": "Later", "email": "later@example.com"})
    assert deliver() == []
    client.post(f"/events/{event.id}/status", data={"status": "open"})
    assert [m["To"].addresses[0].addr_spec for m in deliver()] == ["later@example.com"]


def test_an_invitation_of_a_draft_cannot_be_accepted(app, client, make_event, make_attendee, guest_login):
    draft = make_event(status="draft")
    guest = make_attendee(draft, status=AttendeeStatus.INVITED)
    guest_login(guest)
    response = client.post(f"/e/{draft.slug}/accept")
    assert response.status_code == 409 and "not open yet" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(type(guest), guest.id).status == AttendeeStatus.INVITED
