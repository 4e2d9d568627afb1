"""Registration workflows: the settings, a sign-up from the public page and its confirmation (the review: review.py).

The public form answers the same whatever the email: a new address gets a link to confirm it,
an address already on the guest list gets an email telling them to use their personal link (with
a fresh one), and a repeat within ADDRESS_INTERVAL or a filled spam trap gets nothing. Only the
per-client limit (a keyed hash of the client's address, never the address) refuses on the page.

Every function flushes only; the request commits. Functions that depend on the clock take `now`.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from eventkit import audit
from eventkit.attendees import invitations
from eventkit.attendees.links import PERSONAL, days_after
from eventkit.attendees.models import Attendee, AttendeeStatus, GuestLink
from eventkit.attendees.services import (
    lock_event,
    normalise_email,
    person_for,
    places_taken,
    replies_open,
)
from eventkit.db import db
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event, EventStatus, Tag
from eventkit.mail.links import send_time_link
from eventkit.mail.services import check_recipient, queue_email
from eventkit.profiles.models import Intent
from eventkit.registration.models import (
    Answer,
    Application,
    Question,
    RegistrationMode,
    RegistrationSettings,
    SignUp,
)
from eventkit.registration.questions import event_questions
from eventkit.security import derive, hash_token

S = AttendeeStatus
#: one address gets at most one email from the form this often (per gathering)
ADDRESS_INTERVAL = timedelta(minutes=15)
#: one client may send the form this many times per CLIENT_WINDOW (all gatherings together)
CLIENT_LIMIT = 5
CLIENT_WINDOW = timedelta(hours=1)
#: a confirmation link works this long
CONFIRM_DAYS = 7
#: the link purpose of the confirmation email's link (made when it is sent)
CONFIRM = "signup"
THROTTLED = ("Too many sign-ups from your network in the last hour. Please wait an hour and try again, "
             "or ask the organiser.")


def settings_for(event_id: int) -> RegistrationSettings:
    """The gathering's settings (a new invite-only row, not yet added, when it has none)."""
    return db.session.get(RegistrationSettings, event_id) or RegistrationSettings(
        event_id=event_id, mode=RegistrationMode.INVITE, address_confirmed_only=False, area="")


def save_settings(event: Event, mode: str, address_confirmed_only: bool, area: str, *, actor: str) -> RegistrationSettings:
    try:
        mode = RegistrationMode(mode)
    except ValueError:
        raise DomainError("Choose a registration mode.", "bad_mode", 422) from None
    settings = settings_for(event.id)
    old = settings.mode
    settings.mode, settings.address_confirmed_only = mode, bool(address_confirmed_only)
    settings.area = " ".join((area or "").split())[:120]
    db.session.add(settings)
    db.session.flush()
    audit.record("registration.settings", actor=actor, target=f"event:{event.id}", event_id=event.id,
                 old=str(old), new=str(mode), address_confirmed_only=settings.address_confirmed_only)
    return settings


def form_open(event: Event, settings: RegistrationSettings, now: datetime) -> bool:
    """The public form takes sign-ups: RSVP or apply, the gathering open and not over."""
    return settings.opens_form and event.status == EventStatus.OPEN and replies_open(event, now)


def shows_address(event: Event, settings: RegistrationSettings, attendee: Attendee | None) -> bool:
    """Whether the exact address may be shown (to everyone, or only to confirmed guests)."""
    return not settings.address_confirmed_only or (attendee is not None and attendee.is_expected)


@dataclass(frozen=True)
class Submission:
    """What the public form sent: `answers` maps question ids to the raw values."""

    name: str
    email: str
    client: str
    answers: dict[int, list[str]] = field(default_factory=dict)
    #: the hidden spam-trap field: people leave it empty
    trap: str = ""


def client_key(client: str) -> str:
    """A keyed hash of the client's address: enough to count its sign-ups, useless to anyone reading the table."""
    return hash_token(derive("registration-client", client or "unknown"))


def clean_answers(questions: list[Question], raw: dict[int, list[str]]) -> dict[str, list[str]]:
    """Every answer checked (DomainError 422 naming the first problem); {question id as text: values}."""
    cleaned = {}
    for question in questions:
        try:
            values = question.clean(raw.get(question.id))
        except ValueError as error:
            raise DomainError(str(error), "bad_answer", 422) from None
        if values:
            cleaned[str(question.id)] = values
    return cleaned


def submit(event: Event, submission: Submission, now: datetime) -> SignUp | None:
    """Take a sign-up from the public page; the caller answers the same whatever is returned.

    Raises DomainError when the form is closed (409), an answer or the name is not valid (422) or
    the client sent too many (429); all of these say nothing about who is on the list.
    """
    settings = settings_for(event.id)
    if not form_open(event, settings, now):
        raise DomainError("This gathering is not taking sign-ups.", "closed", 409)
    name = " ".join((submission.name or "").split())
    if not name or len(name) > 120:
        raise DomainError("Type your name (at most 120 characters).", "bad_name", 422)
    email = check_recipient(normalise_email(submission.email))
    answers = clean_answers(event_questions(event.id), submission.answers)
    key = client_key(submission.client)
    recent = db.session.scalar(select(func.count(SignUp.id)).where(
        SignUp.client_key == key, SignUp.created_at > now - CLIENT_WINDOW)) or 0
    if recent >= CLIENT_LIMIT:
        raise DomainError(THROTTLED, "throttled", 429)
    if submission.trap:
        return None
    if _recently_sent(event.id, email, now):
        return None
    signup = SignUp(event_id=event.id, email=email, name=name, answers=answers, client_key=key, created_at=now)
    db.session.add(signup)
    guest = db.session.scalars(select(Attendee).where(Attendee.event_id == event.id,
                                                      Attendee.email == email)).first()
    db.session.flush()
    if guest is not None:
        _tell_known_guest(event, guest, signup, now)
    else:
        _queue_confirmation(event, signup)
    audit.record("registration.submitted", actor="public", target=f"registration_signup:{signup.id}",
                 event_id=event.id)
    return signup


def _recently_sent(event_id: int, email: str, now: datetime) -> bool:
    return db.session.scalar(select(func.count(SignUp.id)).where(
        SignUp.event_id == event_id, SignUp.email == email, SignUp.created_at > now - ADDRESS_INTERVAL)) > 0


def _tell_known_guest(event: Event, guest: Attendee, signup: SignUp, now: datetime) -> None:
    """An address already on the list: by email (never on the page), tell them to use their link (a fresh one)."""
    signup.attendee_id = guest.id
    guest.link_requested_at = now
    queue_email(to_email=guest.email, to_name=guest.name, template="registration_known",
                purpose="registration_known",
                dedupe_key=f"registration:known:{signup.id}", event_id=event.id, event=event, attendee=guest,
                link=send_time_link(PERSONAL, guest.id), now=now)


def _queue_confirmation(event: Event, signup: SignUp) -> None:
    queue_email(to_email=signup.email, to_name=signup.name, template="registration_confirm",
                purpose="registration_confirm", dedupe_key=f"registration:confirm:{signup.id}", event_id=event.id,
                event=event, link=send_time_link(CONFIRM, signup.id), days=CONFIRM_DAYS,
                applying=settings_for(event.id).mode == RegistrationMode.APPLY)


def signup_for_token(event: Event, token: str) -> SignUp | None:
    """The sign-up whose confirmation link this is, or None."""
    if not token or len(token) > 200:
        return None
    return db.session.scalars(select(SignUp).where(SignUp.event_id == event.id,
                                                   SignUp.token_hash == hash_token(token))).first()


def confirm(event: Event, token: str, now: datetime) -> Attendee:
    """The address is confirmed: the sign-up becomes a guest (RSVP: registered or waitlisted; apply: applied).

    The confirmation link becomes their personal link. NotFound for an unknown link; DomainError
    when it expired or the form has closed since.
    """
    signup = signup_for_token(event, token)
    if signup is None:
        raise NotFound("This confirmation link is not known.", "not_found")
    if signup.confirmed_at is not None and signup.attendee_id is not None:
        return db.session.get_one(Attendee, signup.attendee_id)
    if now - signup.created_at > timedelta(days=CONFIRM_DAYS):
        raise DomainError("This confirmation link has expired. Please send the form again.", "expired", 410)
    event = lock_event(event.id)
    db.session.refresh(signup)  # a confirmation that waited for the lock sees the one before it
    if signup.confirmed_at is not None and signup.attendee_id is not None:
        return db.session.get_one(Attendee, signup.attendee_id)
    settings = settings_for(event.id)
    if not form_open(event, settings, now):
        raise DomainError("This gathering is no longer taking sign-ups.", "closed", 409)
    attendee = db.session.scalars(select(Attendee).where(Attendee.event_id == event.id,
                                                         Attendee.email == signup.email)).first()
    if attendee is None:
        attendee = _new_guest(event, settings, signup, now)
    db.session.add(GuestLink(attendee_id=attendee.id, token_hash=signup.token_hash, purpose=PERSONAL,
                             created_at=now, expires_at=GuestLink.ends(event, now, days_after())))
    signup.confirmed_at, signup.attendee_id = now, attendee.id
    db.session.flush()
    return attendee


def _new_guest(event: Event, settings: RegistrationSettings, signup: SignUp, now: datetime) -> Attendee:
    if settings.mode == RegistrationMode.APPLY:
        status = S.APPLIED
    else:
        status = S.REGISTERED if places_taken(event.id) < event.capacity else S.WAITLISTED
    attendee = Attendee(event_id=event.id, person=person_for(signup.email), name=signup.name, email=signup.email,
                        status=status, status_changed_at=now, created_at=now, link_requested_at=now)
    db.session.add(attendee)
    db.session.flush()
    _save_answers(event, attendee, signup.answer_for)
    if status == S.APPLIED:
        db.session.add(Application(attendee_id=attendee.id, applied_at=now))
    audit.record("attendee.added", actor=attendee.actor, target=f"attendee:{attendee.id}", event_id=event.id,
                 status=str(status), via="public page")
    if status != S.APPLIED:
        invitations.queue_invitation(attendee)
    return attendee


def _save_answers(event: Event, attendee: Attendee, answers: dict[int, list[str]]) -> None:
    """Store the answers to questions that still exist, and fill the profile from those that fill it."""
    questions = {q.id: q for q in event_questions(event.id)}
    tags = {tag.name: tag.id for tag in db.session.scalars(select(Tag).where(Tag.event_id == event.id))}
    for question_id, values in answers.items():
        question = questions.get(question_id)
        if question is None:
            continue
        db.session.add(Answer(attendee_id=attendee.id, question_id=question.id, values=values))
        target = question.profile_target
        if target in ("offer", "seek"):
            for value in values:
                if value in tags:
                    db.session.add(Intent(attendee_id=attendee.id, kind=target, tag_id=tags[value], text=""))
        elif target:
            limit = 80 if target == "field" else 120
            setattr(attendee, target, values[0][:limit])
    if any(q.profile_target for q in questions.values()):
        attendee.profile_updated_at = attendee.created_at
