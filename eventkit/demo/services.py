"""Builds the demo gathering from eventkit/demo/data.py."""
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from importlib import import_module
from importlib.util import find_spec

from sqlalchemy import select

from eventkit import FEATURES
from eventkit.attendees.invitations import magic_url, queue_invitation
from eventkit.attendees.links import issue as issue_link
from eventkit.attendees.models import Attendee, AttendeeStatus, Person
from eventkit.auth.models import Organiser
from eventkit.db import db, utcnow
from eventkit.demo import data
from eventkit.events.models import Event, EventStatus, Tag
from eventkit.profiles.models import Intent, IntentKind, ResearchNote

DEMO_EMAIL = "demo@eventkit.example"
DEMO_SLUG = "climate-builders-dinner"
EMAIL_DOMAIN = "example.com"


@dataclass
class DemoLogin:
    organiser: Organiser
    password: str
    event: Event
    created: bool
    #: a personal link of one demo guest, to see the guest's side
    guest_name: str
    guest_link: str


def seed_demo(now=None) -> DemoLogin:
    """Create (or find) the demo organiser and gathering, with a fresh password and guest link."""
    now = now or utcnow()
    organiser = _demo_organiser()
    password = secrets.token_urlsafe(9)
    organiser.set_password(password)
    event = db.session.scalars(select(Event).where(Event.slug == DEMO_SLUG)).first()
    created = event is None
    if created:
        event = _demo_event(organiser, now)
        guests = _demo_guests(event)
        _demo_notes(event, guests)
        _invite(guests.values())
        _feature_seeds(event, now)
        sample = guests["ana"]
    else:
        sample = db.session.scalars(
            select(Attendee).where(Attendee.event_id == event.id, Attendee.email == f"ana@{EMAIL_DOMAIN}")
        ).one()
    token = issue_link(sample, now)  # one more link, to print: links are stored hashed
    db.session.flush()
    return DemoLogin(organiser, password, event, created, sample.name, magic_url(token))


def _invite(guests) -> None:
    """Queue every guest's invitation (send-mail writes them to instance/outbox/, each with its own link)."""
    for guest in guests:
        queue_invitation(guest)
    db.session.flush()


def _demo_organiser() -> Organiser:
    organiser = db.session.scalars(select(Organiser).where(Organiser.email == DEMO_EMAIL)).first()
    if organiser is None:
        organiser = Organiser(email=DEMO_EMAIL, name="Demo Organiser")
        db.session.add(organiser)
    return organiser


def _demo_event(organiser: Organiser, now) -> Event:
    starts = (now + timedelta(days=10)).replace(hour=17, minute=30, second=0, microsecond=0)
    event = Event(
        slug=DEMO_SLUG,
        owner=organiser,
        title="Climate builders dinner",
        theme="Climate-tech founders and the engineers, designers and investors who build with them",
        description="Twenty-four people, one long table, four planned conversations each. "
        "Come ready to give: say what you can offer before you say what you seek.",
        venue="The Long Table, 12 Canal Street, Amsterdam",
        timezone="Europe/Amsterdam",
        starts_at=starts,
        ends_at=starts + timedelta(hours=3, minutes=30),
        capacity=30,
        status=EventStatus.OPEN,
        field_options=list(data.FIELDS),
    )
    event.tags = [Tag(name=name) for name in data.TAGS]
    db.session.add(event)
    db.session.flush()
    return event


def _demo_guests(event: Event) -> dict[str, Attendee]:
    tags = {tag.name: tag for tag in event.tags}
    guests = {}
    for index, (name, local, role, org, field, bio, offers, seeks) in enumerate(data.GUESTS):
        email = f"{local}@{EMAIL_DOMAIN}"
        person = db.session.scalars(select(Person).where(Person.email == email)).first() or Person(email=email)
        guest = Attendee(
            event=event, person=person, name=name, email=email, role=role, organisation=org, field=field,
            bio=bio, directory_consent=index % 11 != 10,
            status=AttendeeStatus.APPROVED if index % 3 else AttendeeStatus.REGISTERED,
            profile_updated_at=utcnow(),
        )
        db.session.add(guest)
        for kind, intents in ((IntentKind.OFFER, offers), (IntentKind.SEEK, seeks)):
            for tag, text in intents:
                db.session.add(Intent(attendee=guest, kind=kind, tag=tags[tag], text=text))
        guests[local] = guest
    db.session.flush()
    return guests


def _demo_notes(event: Event, guests: dict[str, Attendee]) -> None:
    for author, subject, body, starters in data.NOTES:
        db.session.add(ResearchNote(
            event_id=event.id, author_attendee_id=guests[author].id, subject_id=guests[subject].id,
            body=body, starters=starters,
        ))
    organiser_subject = guests["farid"]
    db.session.add(ResearchNote(
        event_id=event.id, author_organiser_id=event.owner_id, subject_id=organiser_subject.id,
        body="First time at one of our dinners; introduce to Esi early.", starters="",
    ))


def _feature_seeds(event: Event, now) -> None:
    """Let each feature add its own demo data: `eventkit/<feature>/demo.py: seed_demo(event, now)`."""
    for feature in FEATURES:
        name = f"eventkit.{feature}.demo"
        seed = getattr(import_module(name), "seed_demo", None) if find_spec(name) else None
        if seed is not None:
            seed(event, now)
            db.session.flush()
