"""The demo gathering a newcomer gets from `flask eventkit seed-demo`."""
import re

from sqlalchemy import func, select

from eventkit.attendees.models import Attendee
from eventkit.auth.models import Organiser
from eventkit.db import db
from eventkit.demo.services import DEMO_EMAIL, DEMO_SLUG
from eventkit.events.models import Event
from eventkit.mail.models import OutboundEmail
from eventkit.matching.models import Conversation, Plan
from eventkit.profiles.models import Intent, ResearchNote
from eventkit.text import name_key


def count(model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_seed_demo_builds_a_realistic_gathering_once(app, runner):
    first = runner.invoke(args=["eventkit", "seed-demo"])
    second = runner.invoke(args=["eventkit", "seed-demo"])
    assert first.exit_code == 0, first.output
    assert "Created the demo gathering" in first.output
    assert "Found the demo gathering" in second.output
    with app.app_context():
        event = db.session.scalars(select(Event).where(Event.slug == DEMO_SLUG)).one()
        guests = db.session.scalars(select(Attendee).where(Attendee.event_id == event.id,
                                                           Attendee.status != "applied")).all()
        assert len(guests) == 24
        assert count(Attendee, Attendee.status == "applied") == 1  # an application waiting for review
        assert len({guest.field for guest in guests}) >= 5
        assert count(Intent) >= 48
        assert count(ResearchNote) >= 5
        assert count(OutboundEmail, OutboundEmail.purpose == "invitation") >= 24
        assert all(guest.is_ready for guest in guests)
        assert all(guest.name_key == name_key(guest.name) for guest in guests), "door search finds demo guests"
        plan = db.session.scalars(select(Plan).where(Plan.event_id == event.id)).one()
        assert plan.is_locked and plan.rounds == 4
        assert count(Conversation, Conversation.event_id == event.id) >= 4 * 11


def test_seed_demo_prints_a_working_login_and_guest_link(app, runner, client):
    result = runner.invoke(args=["eventkit", "seed-demo"])
    password = re.search(r"password: (\S+)", result.output).group(1)
    link = re.search(r"(http\S+/g/\S+)", result.output).group(1)
    with app.app_context():
        organiser = db.session.scalars(select(Organiser).where(Organiser.email == DEMO_EMAIL)).one()
        assert organiser.check_password(password)
    response = client.get(link.replace(app.config["BASE_URL"], ""))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/e/{DEMO_SLUG}/me")


def test_every_demo_invitation_fits_the_guests_status(app, runner):
    runner.invoke(args=["eventkit", "seed-demo"])
    with app.app_context():
        mails = db.session.scalars(select(OutboundEmail).where(OutboundEmail.purpose == "invitation")).all()
        statuses = {guest.email: guest.status for guest in db.session.scalars(
            select(Attendee).where(Attendee.status != "applied"))}  # the demo application has no invitation
    assert len(mails) == 24 and set(statuses.values()) == {"registered", "approved"}
    for mail in mails:
        assert mail.subject.startswith("Your place is confirmed: "), (statuses[mail.to_email], mail.subject)
        assert "You are invited" not in mail.body_text + mail.body_html
