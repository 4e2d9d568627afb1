"""The organiser's questions: add, edit, reorder, delete; editable until the first sign-up, then only additions.

Every function flushes only; the request commits.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import exists, func, select

from eventkit import audit
from eventkit.db import db
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event, Tag
from eventkit.registration.models import CHOICE_KINDS, PROFILE_TARGETS, Question, QuestionKind, SignUp

MAX_QUESTIONS = 20
MAX_OPTIONS = 20
LOCKED = ("People have already answered, so the questions can no longer be changed, moved or removed "
          "(their answers would no longer match); you can still add new ones.")


@dataclass(frozen=True)
class QuestionData:
    """A question as the organiser typed it (options one per line)."""

    kind: str
    label: str
    required: bool = False
    options_text: str = ""
    profile_target: str = ""

    @property
    def options(self) -> list[str]:
        seen: list[str] = []
        for line in self.options_text.splitlines():
            value = " ".join(line.split())[:120]
            if value and value not in seen:
                seen.append(value)
        return seen


def event_questions(event_id: int) -> list[Question]:
    """The gathering's questions in their order."""
    return list(db.session.scalars(select(Question).where(Question.event_id == event_id)
                                   .order_by(Question.position, Question.id)))


def questions_locked(event_id: int) -> bool:
    """True once anyone has sent the form (their answers refer to the questions as they were)."""
    return bool(db.session.scalar(select(exists().where(SignUp.event_id == event_id))))


def _tag_names(event: Event) -> list[str]:
    return list(db.session.scalars(select(Tag.name).where(Tag.event_id == event.id).order_by(Tag.name)))


def _checked(event: Event, data: QuestionData) -> dict:
    """The column values of a valid question; DomainError saying what is wrong otherwise."""
    label = " ".join((data.label or "").split())
    if not label or len(label) > 200:
        raise DomainError("A question needs a text of 1 to 200 characters.", "bad_question", 422)
    try:
        kind = QuestionKind(data.kind)
    except ValueError:
        raise DomainError("Choose a kind of question.", "bad_question", 422) from None
    target = data.profile_target or ""
    if target and target not in PROFILE_TARGETS:
        raise DomainError("Choose a profile field from the list.", "bad_question", 422)
    options = data.options if kind in CHOICE_KINDS else []
    if target in ("offer", "seek"):
        if kind not in CHOICE_KINDS:
            raise DomainError("A question that fills an offer or a seek must be a choice among your topic tags.",
                              "bad_question", 422)
        tags = _tag_names(event)
        options = options or tags
        unknown = [option for option in options if option not in tags]
        if unknown:
            raise DomainError(f"Offers and seeks are picked from your topic tags; not a tag: {', '.join(unknown)}.",
                              "bad_question", 422)
    elif target and kind not in (QuestionKind.SHORT, QuestionKind.ONE):
        raise DomainError(f"A question that fills the {PROFILE_TARGETS[target].lower()} must be short text or "
                          "one choice.", "bad_question", 422)
    if kind in CHOICE_KINDS and not 2 <= len(options) <= MAX_OPTIONS:
        raise DomainError(f"A choice question needs 2 to {MAX_OPTIONS} choices, one per line.", "bad_question", 422)
    return {"kind": kind.value, "label": label, "required": bool(data.required), "options": options,
            "profile_target": target}


def add_question(event: Event, data: QuestionData, *, actor: str) -> Question:
    """Add a question at the end of the form (always allowed, up to MAX_QUESTIONS)."""
    values = _checked(event, data)
    count, last = db.session.execute(select(func.count(Question.id), func.max(Question.position))
                                     .where(Question.event_id == event.id)).one()
    if count >= MAX_QUESTIONS:
        raise DomainError(f"A form can have at most {MAX_QUESTIONS} questions.", "too_many", 409)
    question = Question(event_id=event.id, position=(last or 0) + 1, **values)
    db.session.add(question)
    db.session.flush()
    audit.record("registration.question_added", actor=actor, target=f"registration_question:{question.id}",
                 event_id=event.id)
    return question


def get_question_or_404(event: Event, question_id: int) -> Question:
    """The question if it belongs to this gathering; NotFound otherwise."""
    question = db.session.get(Question, question_id)
    if question is None or question.event_id != event.id:
        raise NotFound("There is no such question in this gathering.", "not_found")
    return question


def _unlocked(event: Event) -> None:
    if questions_locked(event.id):
        raise DomainError(LOCKED, "locked", 409)


def update_question(event: Event, question: Question, data: QuestionData, *, actor: str) -> Question:
    """Change a question (only while nobody has answered)."""
    _unlocked(event)
    for name, value in _checked(event, data).items():
        setattr(question, name, value)
    db.session.flush()
    audit.record("registration.question_changed", actor=actor, target=f"registration_question:{question.id}",
                 event_id=event.id)
    return question


def delete_question(event: Event, question: Question, *, actor: str) -> None:
    """Remove a question (only while nobody has answered)."""
    _unlocked(event)
    db.session.delete(question)
    db.session.flush()
    audit.record("registration.question_deleted", actor=actor, target=f"registration_question:{question.id}",
                 event_id=event.id)


def move_question(event: Event, question: Question, direction: str) -> None:
    """Swap a question with the one before ("up") or after ("down"), while nobody has answered."""
    _unlocked(event)
    questions = event_questions(event.id)
    index = questions.index(question)
    other = index - 1 if direction == "up" else index + 1
    if direction not in ("up", "down") or not 0 <= other < len(questions):
        raise DomainError("This question cannot move that way.", "bad_move", 409)
    questions[index], questions[other] = questions[other], questions[index]
    for position, item in enumerate(questions, start=1):
        item.position = position
    db.session.flush()
