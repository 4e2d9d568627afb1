"""The organiser's review of applications, the answers shown to organisers, and who may rejoin.

Every function flushes only; the request commits.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select

from eventkit.attendees import invitations
from eventkit.attendees.links import PERSONAL
from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.attendees.services import lock_event, places_taken, set_status
from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.mail.links import send_time_link
from eventkit.mail.services import queue_email
from eventkit.registration.models import Answer, Application, Question

S = AttendeeStatus
#: the decisions on an application: action -> the applicant's new status
DECISIONS = {"approve": S.APPROVED, "waitlist": S.WAITLISTED, "decline": S.DECLINED}
DECISION_LABELS = {"approve": "Approve", "waitlist": "Waitlist", "decline": "Decline"}


def decide(event: Event, attendee: Attendee, action: str, *, actor: str, now: datetime) -> Attendee:
    """The organiser's decision on an application: approved (takes a place), waitlisted or declined, each emailed.

    Capacity rules as for organiser-added guests: approving needs a free place.
    """
    if action not in DECISIONS:
        raise DomainError("Unknown decision.", "bad_action")
    event = lock_event(event.id)
    if attendee.status != S.APPLIED:
        raise DomainError(f"{attendee.name} is {attendee.status}, not an application awaiting review.",
                          "bad_transition", 409)
    new = DECISIONS[action]
    if new == S.APPROVED and places_taken(event.id) >= event.capacity:
        raise DomainError("No places left: raise the capacity, waitlist this application or cancel a guest first.",
                          "full", 409)
    set_status(attendee, new, actor=actor, now=now, reason="application reviewed")
    application = db.session.get(Application, attendee.id) or Application(attendee_id=attendee.id,
                                                                          applied_at=attendee.created_at)
    application.decision, application.decided_at = action, now
    db.session.add(application)
    db.session.flush()
    queue_email(to_email=attendee.email, to_name=attendee.name, template="registration_decision",
                purpose="registration_decision", dedupe_key=f"registration:decision:{attendee.id}:{action}",
                event_id=event.id, event=event, attendee=attendee, decision=action,
                link=send_time_link(PERSONAL, attendee.id), now=now)
    if new == S.APPROVED:
        invitations.queue_invitation(attendee)
    return attendee


def applications(event_id: int) -> list[Attendee]:
    """Applications awaiting review, oldest first."""
    return list(db.session.scalars(select(Attendee).where(Attendee.event_id == event_id,
                                                          Attendee.status == S.APPLIED)
                                   .order_by(Attendee.created_at, Attendee.id)))


def applications_count(event_id: int) -> int:
    return db.session.scalar(select(func.count(Attendee.id)).where(
        Attendee.event_id == event_id, Attendee.status == S.APPLIED)) or 0


def answers_by_guest(event_id: int) -> dict[int, dict[int, list[str]]]:
    """{attendee id: {question id: values}} for the whole gathering, in one query."""
    rows = db.session.execute(select(Answer.attendee_id, Answer.question_id, Answer.values)
                              .join(Question, Question.id == Answer.question_id)
                              .where(Question.event_id == event_id))
    found: dict[int, dict[int, list[str]]] = {}
    for attendee_id, question_id, values in rows:
        found.setdefault(attendee_id, {})[question_id] = list(values)
    return found


def matches(answers: dict[int, list[str]], question_id: int | None, value: str) -> bool:
    """Whether a guest's answers pass the answers filter (a question, and a value it contains)."""
    if question_id is None:
        return True
    given = answers.get(question_id, [])
    if not value:
        return bool(given)
    folded = value.casefold()
    return any(folded in item.casefold() for item in given)


def guests_in_order(event_id: int) -> list[Attendee]:
    """The guest list in the order guests were added (no intents: the answers page needs none)."""
    return list(db.session.scalars(select(Attendee).where(Attendee.event_id == event_id)
                                   .order_by(Attendee.created_at, Attendee.id)))


def may_rejoin(attendee: Attendee) -> bool:
    """Whether a guest who declined may take a place again by themselves: not an applicant the organiser
    has not approved (declined, waitlisted or never reviewed)."""
    application = db.session.get(Application, attendee.id)
    return application is None or application.decision == "approve"


def check_rejoin(attendee: Attendee) -> None:
    """Refuse (DomainError) a declined applicant's "I can come after all" unless their application was approved."""
    if attendee.status == S.DECLINED and not may_rejoin(attendee):
        raise DomainError("Your application is closed, so you cannot take a place by yourself. "
                          "Please write to the organiser.", "not_approved", 409)


def answers_of(attendee_id: int) -> dict[int, list[str]]:
    """One guest's answers: {question id: values}."""
    rows = db.session.execute(select(Answer.question_id, Answer.values).where(Answer.attendee_id == attendee_id))
    return {question_id: list(values) for question_id, values in rows}
