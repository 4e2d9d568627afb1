"""How guests register for a gathering: its settings, the organiser's questions, answers and sign-ups."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventkit.attendees.models import Attendee
from eventkit.db import UTCDateTime, db, utcnow
from eventkit.events.models import Event


class RegistrationMode(StrEnum):
    #: no form: only the organiser adds guests (the page offers the lost-link form)
    INVITE = "invite"
    #: first come, first served; past capacity, the waiting list
    RSVP = "rsvp"
    #: the organiser reviews each application and approves, waitlists or declines it
    APPLY = "apply"


MODE_LABELS = {RegistrationMode.INVITE: "Invite only", RegistrationMode.RSVP: "RSVP (first come)",
               RegistrationMode.APPLY: "Apply (you review each application)"}


class QuestionKind(StrEnum):
    SHORT = "short"
    LONG = "long"
    ONE = "one"
    SEVERAL = "several"
    YES_NO = "yes_no"


KIND_LABELS = {QuestionKind.SHORT: "Short text", QuestionKind.LONG: "Long text", QuestionKind.ONE: "One choice",
               QuestionKind.SEVERAL: "Several choices", QuestionKind.YES_NO: "Yes / no"}
#: kinds whose answers are picked from `Question.options`
CHOICE_KINDS = frozenset({QuestionKind.ONE, QuestionKind.SEVERAL})

#: profile fields a question can fill: attribute of Attendee (or "offer"/"seek" intents) -> label
PROFILE_TARGETS = {"field": "Field", "organisation": "Organisation", "role": "Role",
                   "offer": "A first offer (choices are topic tags)", "seek": "A first seek (choices are topic tags)"}


class RegistrationSettings(db.Model):
    """One gathering's registration choices (a gathering without a row is invite only)."""

    __tablename__ = "registration_settings"

    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), primary_key=True)
    mode: Mapped[str] = mapped_column(String(12), default=RegistrationMode.INVITE)
    #: the venue's exact address only for confirmed guests (the public page shows `area`)
    address_confirmed_only: Mapped[bool] = mapped_column(Boolean, default=False)
    #: what the public page says instead of the address, e.g. "Amsterdam, near Centraal"
    area: Mapped[str] = mapped_column(String(120), default="")

    @property
    def opens_form(self) -> bool:
        return self.mode != RegistrationMode.INVITE


class Question(db.Model):
    """One of the organiser's questions on the registration form."""

    __tablename__ = "registration_question"
    __table_args__ = (Index("ix_registration_question_event_position", "event_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(200))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    #: the choices of a one/several choice question, in order
    options: Mapped[list] = mapped_column(JSON, default=list)
    #: a PROFILE_TARGETS key the answer fills, or ""
    profile_target: Mapped[str] = mapped_column(String(20), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def is_choice(self) -> bool:
        return self.kind in CHOICE_KINDS

    @property
    def kind_label(self) -> str:
        return KIND_LABELS[QuestionKind(self.kind)]

    def clean(self, raw: str | list[str] | None) -> list[str]:
        """The answer as a list of strings (empty: unanswered); ValueError with a message if it is not valid."""
        values = [raw] if isinstance(raw, str) else list(raw or [])
        values = [" ".join(v.split()) if self.kind != QuestionKind.LONG else v.strip() for v in values]
        values = [v for v in values if v]
        if self.kind == QuestionKind.YES_NO:
            values = [v for v in values if v in ("yes", "no")]
        elif self.is_choice:
            if any(v not in self.options for v in values):
                raise ValueError(f"“{self.label}”: pick from the choices given.")
            if self.kind == QuestionKind.ONE:
                values = values[:1]
        else:
            values = values[:1]
            limit = 2000 if self.kind == QuestionKind.LONG else 200
            if values and len(values[0]) > limit:
                raise ValueError(f"“{self.label}”: at most {limit} characters.")
        if self.required and not values:
            raise ValueError(f"“{self.label}” needs an answer.")
        return values


class Answer(db.Model):
    """A guest's answer to one question (a list of strings: one for text, several for several choices)."""

    __tablename__ = "registration_answer"
    __table_args__ = (UniqueConstraint("attendee_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("registration_question.id", ondelete="CASCADE"), index=True)
    values: Mapped[list] = mapped_column(JSON, default=list)

    question: Mapped[Question] = relationship()
    attendee: Mapped[Attendee] = relationship()

    @property
    def text(self) -> str:
        return ", ".join(self.values)


class SignUp(db.Model):
    """A form sent from the public page, waiting for its email to be confirmed (then it makes the guest).

    The confirmation link's token is made when its email is sent; only its hash is stored. Once
    confirmed, the same link is the guest's personal link (a GuestLink with this hash).
    """

    __tablename__ = "registration_signup"
    __table_args__ = (Index("ix_registration_signup_event_email", "event_id", "email"),
                      Index("ix_registration_signup_client_created", "client_key", "created_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: stored lower-cased
    email: Mapped[str] = mapped_column(String(254))
    name: Mapped[str] = mapped_column(String(120))
    #: {question id (as text): [values]}
    answers: Mapped[dict] = mapped_column(JSON, default=dict)
    #: SHA-256 of the confirmation link's token ("" until the email is sent)
    token_hash: Mapped[str] = mapped_column(String(64), default="", index=True)
    #: a keyed hash of the client's address (the per-client rate limit), never the address itself
    client_key: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attendee_id: Mapped[int | None] = mapped_column(ForeignKey("attendee.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()

    @property
    def answer_for(self) -> dict[int, list[str]]:
        return {int(key): list(values) for key, values in (self.answers or {}).items()}



class Application(db.Model):
    """A guest who came in by applying, and the organiser's decision ("" while it awaits review).

    Only an approved applicant may take a place by themselves after declining (see receivers.py).
    """

    __tablename__ = "registration_application"

    attendee_id: Mapped[int] = mapped_column(ForeignKey("attendee.id", ondelete="CASCADE"), primary_key=True)
    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: "", "approve", "waitlist" or "decline"
    decision: Mapped[str] = mapped_column(String(12), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
