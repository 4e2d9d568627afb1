"""What the evening's taps say: conversations held, worth it, by pairing reason; and a suggestion.

A conversation counts as held when every side tapped "we met" (one "not there" means not held).
"Worth it" is counted per side: yes 1, somewhat 0.5, no 0. Reasons are read from the pairing
itself: reciprocal (value flows both ways) or one-way, across fields or within one, planned or
re-paired on the day.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.live.models import LiveChange, LiveState, LiveTap
from eventkit.matching import scoring
from eventkit.matching.models import Conversation, ConversationStatus

WORTH_SCORE = {"yes": 1.0, "somewhat": 0.5, "no": 0.0}
#: a reason is suggested for a lower weight when its worth share is this much below its counterpart's
SUGGEST_GAP = 0.2
#: ... and both sides of the comparison have at least this many worth answers
SUGGEST_MIN_ANSWERS = 4
BUCKETS = (("reciprocal", "one_way"), ("across", "within"), ("planned", "repaired"))
LABELS = {"reciprocal": "reciprocal", "one_way": "one-way", "across": "across fields", "within": "within a field",
          "planned": "planned", "repaired": "re-paired on the day"}


@dataclass
class Figures:
    conversations: int = 0
    answered: int = 0
    held: int = 0
    not_held: int = 0
    worth_answers: int = 0
    worth_points: float = 0.0
    worth_yes: int = 0
    both_worth: int = 0

    def add(self, held: bool | None, worth: list[str]) -> None:
        self.conversations += 1
        if held is None:
            return
        self.answered += 1
        self.held += held
        self.not_held += not held
        if held:
            self.worth_answers += len(worth)
            self.worth_points += sum(WORTH_SCORE[w] for w in worth)
            self.worth_yes += sum(w == "yes" for w in worth)

    @property
    def held_share(self) -> float | None:
        return self.held / self.answered if self.answered else None

    @property
    def worth_share(self) -> float | None:
        return self.worth_points / self.worth_answers if self.worth_answers else None


@dataclass
class Outcomes:
    total: Figures = field(default_factory=Figures)
    by: dict[str, Figures] = field(default_factory=lambda: {k: Figures() for pair in BUCKETS for k in pair})

    @property
    def has_answers(self) -> bool:
        return self.total.answered > 0

    def rows(self) -> list[tuple[str, Figures]]:
        return [(LABELS[k], self.by[k]) for pair in BUCKETS for k in pair]


def _direction_count(reasons: list[str]) -> int:
    """How many offer-to-seek directions a pairing's reasons name (engine sentences "X offers ...")."""
    return sum(" offers " in reason for reason in reasons)


def _fields_differ(members: list[Attendee]) -> bool:
    fields = [(m.field or "").strip().lower() for m in members]
    return all(fields) and len(set(fields)) == len(fields)


def compute(event_ids: list[int]) -> Outcomes:
    """The figures over the held rounds' conversations of these gatherings (a handful of queries)."""
    out = Outcomes()
    if not event_ids:
        return out
    reached = dict(db.session.execute(select(LiveState.event_id, LiveState.round_no)
                                      .where(LiveState.event_id.in_(event_ids))).all())
    if not any(reached.values()):
        return out  # not run live: one query
    conversations = list(db.session.scalars(select(Conversation).where(
        Conversation.event_id.in_(event_ids), Conversation.status != ConversationStatus.SKIPPED)))
    taps: dict[int, list[LiveTap]] = {}
    for tap in db.session.scalars(select(LiveTap).where(LiveTap.event_id.in_(event_ids))):
        taps.setdefault(tap.conversation_id, []).append(tap)
    repaired = set(db.session.scalars(select(LiveChange.conversation_id).where(
        LiveChange.event_id.in_(event_ids), LiveChange.undone_at.is_(None))))
    ids = {m for c in conversations for m in c.member_ids}
    people = {a.id: a for a in db.session.scalars(select(Attendee).where(Attendee.id.in_(ids)))} if ids else {}
    for conversation in conversations:
        if conversation.round > reached.get(conversation.event_id, 0):
            continue
        answers = taps.get(conversation.id, [])
        held = _held(conversation, answers)
        worth = [t.worth for t in answers if t.met and t.worth]
        members = [people[m] for m in conversation.member_ids if m in people]
        keys = ["reciprocal" if _direction_count(conversation.reasons) >= 2 else "one_way",
                "across" if _fields_differ(members) else "within",
                "repaired" if conversation.id in repaired else "planned"]
        out.total.add(held, worth)
        if held and len(worth) == len(conversation.member_ids) and all(w != "no" for w in worth):
            out.total.both_worth += 1
        for key in keys:
            out.by[key].add(held, worth)
    return out


def _held(conversation: Conversation, answers: list[LiveTap]) -> bool | None:
    """True when every side said "we met", False on one "not there", None while answers are missing."""
    if conversation.not_held_by_id is not None or any(not t.met for t in answers):
        return False
    if len({t.attendee_id for t in answers}) < len(conversation.member_ids):
        return None
    return True


def for_event(event: Event) -> Outcomes:
    return compute([event.id])


def connection_priorities(event_id: int) -> dict[tuple[int, int], int]:
    """Attendee pairs (smaller id first) to the sum of both sides' priority (worth it + follow up): one query.

    For the organiser only; a guest's own page orders by their own answers (eventkit.followup.guest)."""
    out: dict[tuple[int, int], int] = {}
    for tap, conversation in db.session.execute(
            select(LiveTap, Conversation).join(Conversation, Conversation.id == LiveTap.conversation_id)
            .where(LiveTap.event_id == event_id, LiveTap.met.is_(True))):
        for other in conversation.member_ids:
            if other != tap.attendee_id:
                key = tuple(sorted((tap.attendee_id, other)))
                out[key] = out.get(key, 0) + tap.priority
    return out


@dataclass(frozen=True)
class Suggestion:
    weight: str
    current: float
    proposed: float
    because: str


def suggestions(event: Event) -> list[Suggestion]:
    """Lower weights for reasons that did not work at this organiser's earlier gatherings (suggested only)."""
    earlier = list(db.session.scalars(select(Event.id).where(Event.owner_id == event.owner_id, Event.id != event.id,
                                                              Event.starts_at < event.starts_at)))
    return suggest(compute(earlier))


def suggest(outcomes: Outcomes) -> list[Suggestion]:
    found = []
    checks = (("reciprocal", "one_way", "RECIPROCITY_BONUS", scoring.RECIPROCITY_BONUS),
              ("across", "within", "FIELD_BONUS", scoring.FIELD_BONUS))
    for favoured, other, weight, current in checks:
        a, b = outcomes.by[favoured], outcomes.by[other]
        if min(a.worth_answers, b.worth_answers) < SUGGEST_MIN_ANSWERS:
            continue
        if a.worth_share is not None and b.worth_share is not None and b.worth_share - a.worth_share >= SUGGEST_GAP:
            found.append(Suggestion(weight, current, round(current / 2, 2),
                                    f"{LABELS[favoured]} conversations were worth it {a.worth_share:.0%} of the time, "
                                    f"{LABELS[other]} ones {b.worth_share:.0%}"))
    return found
