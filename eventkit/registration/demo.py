"""The demo gathering takes applications: two questions and one application waiting for review."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eventkit.attendees.models import Attendee, AttendeeStatus, Person
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.registration.models import Answer, Application, Question, RegistrationMode, RegistrationSettings

APPLICANT_EMAIL = "noor@example.com"


def seed_demo(event: Event, now: datetime) -> None:
    db.session.add(RegistrationSettings(event_id=event.id, mode=RegistrationMode.APPLY, address_confirmed_only=True,
                                        area="Amsterdam, near the Prinsengracht"))
    why = Question(event_id=event.id, position=1, kind="long", label="What would you like to give this table?",
                   required=True, options=[], profile_target="")
    field = Question(event_id=event.id, position=2, kind="one", label="Your field",
                     options=["Climate", "Finance", "Design", "Research"], required=False, profile_target="field")
    db.session.add_all([why, field])
    person = db.session.scalars(select(Person).where(Person.email == APPLICANT_EMAIL)).first() \
        or Person(email=APPLICANT_EMAIL)
    applicant = Attendee(event=event, person=person, name="Noor Haddad", email=APPLICANT_EMAIL,
                         role="Grid-storage engineer", organisation="Voltwerk", field="Climate",
                         status=AttendeeStatus.APPLIED, status_changed_at=now, created_at=now)
    db.session.add(applicant)
    db.session.flush()
    db.session.add_all([
        Answer(attendee_id=applicant.id, question_id=why.id,
               values=["Ten years of battery-siting data and honest stories of what failed."]),
        Answer(attendee_id=applicant.id, question_id=field.id, values=["Climate"]),
        Application(attendee_id=applicant.id, applied_at=now),
    ])
