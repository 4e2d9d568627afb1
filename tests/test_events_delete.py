"""Deleting a draft gathering: owner only, title typed to confirm, everything of it gone."""
from sqlalchemy import func, select

from eventkit.attendees.models import Attendee, Person
from eventkit.audit import AuditEntry
from eventkit.checkin.models import DoorLink
from eventkit.db import db
from eventkit.events.models import Event, EventOrganiser
from eventkit.mail.models import MailStatus, OutboundEmail


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def draft_with_guests(app, make_event, make_attendee, organiser):
    event = make_event(owner=organiser, status="draft")
    for n in range(3):
        make_attendee(event, email=f"guest{n}@example.com")
    with app.app_context():
        db.session.add(DoorLink(event_id=event.id, label="Front door", secret_hash="x" * 64))
        db.session.add_all([
            OutboundEmail(event_id=event.id, to_email="guest0@example.com", subject="Invite", body_text="t",
                          body_html="h", purpose="invitation", dedupe_key=f"test:{event.id}:pending"),
            OutboundEmail(event_id=event.id, to_email="guest1@example.com", subject="Invite", body_text="t",
                          body_html="h", purpose="invitation", dedupe_key=f"test:{event.id}:sent",
                          status=MailStatus.SENT),
        ])
        db.session.commit()
    return event


def test_owner_deletes_a_draft_with_everything_of_it(app, client, login, organiser, make_event, make_attendee):
    event = draft_with_guests(app, make_event, make_attendee, organiser)
    other = make_event(owner=organiser, status="draft")
    make_attendee(other, email="stays@example.com")
    login(organiser)
    assert "Delete this gathering" in client.get(f"/events/{event.id}/edit").data.decode()
    response = client.post(f"/events/{event.id}/delete", data={"confirm_title": f"  {event.title.upper()} "})
    assert response.status_code == 303 and response.headers["Location"].endswith("/events/")
    assert "Deleted" in client.get("/events/").data.decode()
    assert count(app, Event, Event.id == event.id) == 0
    assert count(app, Attendee, Attendee.event_id == event.id) == 0
    assert count(app, DoorLink, DoorLink.event_id == event.id) == 0
    assert count(app, Attendee, Attendee.event_id == other.id) == 1  # another gathering is untouched
    assert count(app, Person) == 4  # people stay: they may be guests elsewhere
    with app.app_context():
        emails = db.session.scalars(select(OutboundEmail).where(OutboundEmail.to_email.like("guest%"))).all()
        assert [(e.status, e.event_id) for e in emails] == [(MailStatus.SENT, None)]  # unsent ones dropped
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.deleted")).one()
        assert (entry.target, entry.details["title"]) == (f"event:{event.id}", event.title)
    assert client.get(f"/events/{event.id}").status_code == 404


def refused(app, client, event, title, message):
    response = client.post(f"/events/{event.id}/delete", data={"confirm_title": title})
    assert response.status_code == 303
    assert message in client.get(response.headers["Location"]).data.decode()
    assert count(app, Event, Event.id == event.id) == 1
    assert count(app, Attendee, Attendee.event_id == event.id) == 3
    assert count(app, OutboundEmail, OutboundEmail.event_id == event.id) == 2


def test_a_wrong_or_missing_title_deletes_nothing(app, client, login, organiser, make_event, make_attendee):
    event = draft_with_guests(app, make_event, make_attendee, organiser)
    login(organiser)
    refused(app, client, event, "something else", "Type the gathering&#39;s title exactly")
    refused(app, client, event, "", "Type the title to confirm.")


def test_an_open_gathering_must_go_back_to_draft_first(app, client, login, organiser, make_event, make_attendee):
    event = draft_with_guests(app, make_event, make_attendee, organiser)
    with app.app_context():
        db.session.get(Event, event.id).status = "open"
        db.session.commit()
    login(organiser)
    assert "Only a draft gathering can be deleted" in client.get(f"/events/{event.id}/edit").data.decode()
    refused(app, client, event, event.title, "Only a draft gathering can be deleted")


def test_a_co_organiser_cannot_delete_and_a_stranger_gets_404(app, client, login, organiser, make_organiser,
                                                              make_event, make_attendee):
    event = draft_with_guests(app, make_event, make_attendee, organiser)
    helper, stranger = make_organiser(email="helper@example.com"), make_organiser(email="stranger@example.com")
    with app.app_context():
        db.session.add(EventOrganiser(event_id=event.id, organiser_id=helper.id))
        db.session.commit()
    login(helper)
    assert "Only the owner of this gathering can delete it" in client.get(f"/events/{event.id}/edit").data.decode()
    refused(app, client, event, event.title, "Only the owner of a gathering can delete it.")
    login(stranger)
    assert client.post(f"/events/{event.id}/delete", data={"confirm_title": event.title}).status_code == 404
    assert count(app, Event, Event.id == event.id) == 1


def test_a_full_gathering_deletes_cleanly_through_every_cascade(app, client, login, runner):
    """The demo gathering has intents, notes, a locked plan, invitations: all of it cascades."""
    from eventkit.auth.models import Organiser
    from eventkit.demo.services import DEMO_EMAIL, DEMO_SLUG
    from eventkit.matching.models import Conversation, Plan
    from eventkit.profiles.models import Intent, ResearchNote

    assert runner.invoke(args=["eventkit", "seed-demo"]).exit_code == 0
    with app.app_context():
        event = db.session.scalars(select(Event).where(Event.slug == DEMO_SLUG)).one()
        event.status = "draft"
        db.session.commit()
        event_id, title = event.id, event.title
        owner = db.session.scalars(select(Organiser).where(Organiser.email == DEMO_EMAIL)).one()
        db.session.expunge(owner)
    login(owner)
    response = client.post(f"/events/{event_id}/delete", data={"confirm_title": title})
    assert response.status_code == 303
    for model in (Event, Attendee, Intent, ResearchNote, Plan, Conversation):
        assert count(app, model) == 0, model.__name__
