"""What the live pages show: the guest's now and next in the second person, the room's tables, the
organiser's run of the evening. Read-only; the polled JSON is built from these."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.live import repair
from eventkit.live.models import LiveChange, LiveState, RoundStatus
from eventkit.live.rounds import round_is_over
from eventkit.live.taps import own_taps
from eventkit.matching.models import Conversation, ConversationStatus, Plan
from eventkit.matching.scoring import Guest, Scorer
from eventkit.matching.services import to_guest
from eventkit.profiles.models import Intent as ProfileIntent


def short_name(name: str) -> str:
    """First name and last initial, for the room's screen: "Ben Okafor" -> "Ben O."."""
    parts = (name or "").split()
    if len(parts) < 2:
        return parts[0] if parts else ""
    return f"{parts[0]} {parts[-1][0]}."


def first_name(name: str) -> str:
    parts = (name or "").split()
    return parts[0] if parts else name


def round_label(state: LiveState | None, rounds: int) -> str:
    if state is None or state.round_no == 0:
        return f"Before round 1 of {rounds}"
    if state.status == RoundStatus.ENDED:
        return f"Round {state.round_no} of {rounds} is over"
    return f"Round {state.round_no} of {rounds}" + (" (paused)" if state.status == RoundStatus.PAUSED else "")


def timer(state: LiveState | None, now: datetime) -> dict:
    """The timer as the phones and the screen count it down (they never trust their own clock)."""
    if state is None:
        return {"version": 0, "round": 0, "status": RoundStatus.WAITING.value, "remaining": 0, "running": False}
    return {"version": state.version, "round": state.round_no, "status": state.status,
            "remaining": state.remaining(now), "running": state.status == RoundStatus.RUNNING}


def _plan_locked(event_id: int) -> bool:
    return db.session.scalar(select(Plan.locked_at).where(Plan.event_id == event_id)) is not None


def plan_rounds(event_id: int) -> int:
    return db.session.scalar(select(Plan.rounds).where(Plan.event_id == event_id)) or 0


# --- the guest ---------------------------------------------------------------------------------

@dataclass
class Now:
    headline: str
    detail: str
    next: str
    table: int | None
    conversation: Conversation | None
    to_answer: list[Conversation]
    rounds: int


def _intent_loaded(ids: set[int]) -> dict[int, Attendee]:
    rows = db.session.scalars(select(Attendee).where(Attendee.id.in_(ids))
                              .options(selectinload(Attendee.intents).selectinload(ProfileIntent.tag)))
    return {a.id: a for a in rows}


@lru_cache(maxsize=4096)
def _offers_between(guests: tuple[tuple, ...]) -> dict[tuple[int, int], str]:
    """(giver id, taker id) -> what the giver can give, for one conversation's guests; keyed by
    everything it depends on (ids, fields, intents), so both sides' phones share one scoring."""
    scorer = Scorer([Guest(id=g[0], name=g[1], field=g[2], organisation=g[3], offers=list(g[4]), seeks=list(g[5]))
                     for g in guests])
    out = {}
    for a in guests:
        for b in guests:
            if a[0] != b[0] and (offer := scorer.best_offer(a[0], b[0])) is not None:
                out[(a[0], b[0])] = offer.label
    return out


def _key(attendee: Attendee) -> tuple:
    guest = to_guest(attendee)
    return (guest.id, guest.name, guest.field, guest.organisation, tuple(guest.offers), tuple(guest.seeks))


def give_and_take(me: Attendee, others: list[Attendee]) -> str:
    """"you can give Ben Rust code review; Ben can give you seed-stage intros" from the pair's intents."""
    offers = _offers_between(tuple(sorted(_key(a) for a in [me, *others])))
    parts = []
    for other in others:
        name = first_name(other.name)
        if give := offers.get((me.id, other.id)):
            parts.append(f"you can give {name} {give}")
        if take := offers.get((other.id, me.id)):
            parts.append(f"{name} can give you {take}")
    return "; ".join(parts) or "no direct offer–seek match: a chance to meet someone new"


def guest_now(event: Event, attendee: Attendee, state: LiveState | None, now: datetime) -> Now:
    """The guest's now, next and the conversations they can still answer about."""
    mine = list(db.session.scalars(select(Conversation).where(
        Conversation.event_id == event.id, Conversation.status != ConversationStatus.SKIPPED,
        (Conversation.a_id == attendee.id) | (Conversation.b_id == attendee.id) | (Conversation.c_id == attendee.id))
        .order_by(Conversation.round)))
    by_round = {c.round: c for c in mine}
    rounds = plan_rounds(event.id)
    round_no = state.round_no if state else 0
    current = by_round.get(round_no) if state is not None and state.in_round else None
    upcoming = by_round.get(round_no + 1)
    people = _intent_loaded({m for c in (current, upcoming) if c for m in c.member_ids} | {attendee.id})
    me = people[attendee.id]
    if current is not None:
        others = [people[m] for m in current.member_ids if m != attendee.id]
        names = " and ".join(o.name for o in others)
        headline = f"Now, table {current.table_no}, with {names}"
        text = give_and_take(me, others)
        detail = text[:1].upper() + text[1:] + "."
    elif state is not None and state.in_round:
        headline = f"You are free in round {round_no}"
        detail = ("Your partner has not arrived and nobody is free yet: the organiser knows. "
                  if attendee.checked_in_at else "Check in at the door and you join from the next round. ")
    elif rounds == 0:
        headline, detail = "No conversations are planned yet", ""
    elif round_no == 0:
        headline, detail = "The conversations have not started yet", ""
    else:
        headline = f"Round {round_no} is over" if round_no < rounds else "The conversations are over"
        detail = ""
    if upcoming is not None and round_no == 0 and not _plan_locked(event.id):
        nxt = ""  # guests see the plan once it is locked, or once the rounds run
    elif upcoming is not None:
        others = [people[m].name for m in upcoming.member_ids if m != attendee.id]
        nxt = f"Next, round {upcoming.round}: table {upcoming.table_no} with {' and '.join(others)}."
    elif round_no < rounds:
        nxt = f"No conversation planned for you in round {round_no + 1}."
    else:
        nxt = ""
    answered = own_taps(attendee)
    to_answer = [c for c in mine if c.id not in answered and round_is_over(state, c.round, now)]
    return Now(headline, detail, nxt, current.table_no if current else None, current, to_answer, rounds)


# --- the room's screen -------------------------------------------------------------------------

def screen_round(state: LiveState | None) -> int:
    """The round the screen shows: the one on, or the next one between rounds."""
    if state is None:
        return 1
    return state.round_no if state.in_round else state.round_no + 1


def tables(event_id: int, round_no: int) -> list[dict]:
    """A round's tables with short names, in table order (two queries)."""
    conversations = list(db.session.scalars(select(Conversation).where(
        Conversation.event_id == event_id, Conversation.round == round_no,
        Conversation.status != ConversationStatus.SKIPPED).order_by(Conversation.table_no)))
    ids = {m for c in conversations for m in c.member_ids}
    names = dict(db.session.execute(select(Attendee.id, Attendee.name).where(Attendee.id.in_(ids))).all()) if ids else {}
    return [{"table": c.table_no, "names": [short_name(names.get(m, "")) for m in c.member_ids]}
            for c in conversations]


def screen_payload(event_id: int, now: datetime) -> dict:
    state = db.session.scalars(select(LiveState).where(LiveState.event_id == event_id)).first()
    rounds = plan_rounds(event_id)
    shown = screen_round(state)
    heading = round_label(state, rounds) if state is not None and state.in_round else (
        f"Next: round {shown} of {rounds}" if shown <= rounds else "The conversations are over")
    title = db.session.scalar(select(Event.title).where(Event.id == event_id))
    return {**timer(state, now), "title": title, "heading": heading,
            "tables": tables(event_id, shown) if shown <= rounds else []}


# --- the organiser -----------------------------------------------------------------------------

@dataclass
class Board:
    state: LiveState | None
    rounds: int
    arrived: list[Attendee]
    absent: list[Attendee]
    unpaired: list[tuple[Attendee, str]]
    changes: list[LiveChange]
    current: list[dict]
    upcoming: list[dict]


def organiser_board(event: Event, state: LiveState | None, now: datetime) -> Board:
    rounds = plan_rounds(event.id)
    guests = list(db.session.scalars(select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.name)))
    arrived = [g for g in guests if g.checked_in_at is not None]
    conversations = repair.event_conversations(event.id)
    round_no = state.round_no if state else 0
    planned_ids = {m for c in conversations for m in c.member_ids}
    absent = [g for g in guests if g.checked_in_at is None and g.id in planned_ids]
    unpaired = []
    if round_no:
        this_round = [c for c in conversations if c.round == round_no]
        seated = {m for c in this_round if c.status != ConversationStatus.SKIPPED for m in c.member_ids}
        skipped = {m for c in this_round if c.status == ConversationStatus.SKIPPED for m in c.member_ids}
        for guest in arrived:
            if guest.id in seated:
                continue
            if guest.id in skipped:
                why = "partner absent, nobody free to pair with"
            elif state.started_at and guest.checked_in_at > state.started_at:
                why = "walk-in: joins from the next round"
            elif guest.id not in planned_ids:
                why = "walk-in, not in the plan"
            else:
                why = "odd number (or at their limit of conversations): nobody left to pair with"
            unpaired.append((guest, why))
    changes = list(db.session.scalars(select(LiveChange).where(LiveChange.event_id == event.id)
                                      .order_by(LiveChange.created_at.desc(), LiveChange.id.desc())))
    return Board(state, rounds, arrived, absent, unpaired, changes,
                 tables(event.id, round_no) if round_no else [],
                 tables(event.id, round_no + 1) if round_no < rounds else [])
