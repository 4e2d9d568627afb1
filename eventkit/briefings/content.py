"""What goes on the paper: plain data read from the database in a fixed number of queries.

Templates get these dataclasses, never lazy-loading ORM objects, so a pack of 80 briefings costs the
same handful of queries as one briefing.
"""
from __future__ import annotations

import dataclasses
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.matching import second_person
from eventkit.matching.models import Conversation, Plan
from eventkit.matching.second_person import PartnerCard, Wish
from eventkit.profiles.models import Intent, ResearchNote
from eventkit.qr import checkin_url

#: minutes from the doors opening to the first conversation round
ARRIVAL_MINUTES = 30
#: minutes to find the next table between rounds
CHANGEOVER_MINUTES = 3
#: a partner's bio is cut to this length on paper
BIO_CHARS = 280
#: the printed directory is short: at most this many other guests (the rest are on the guest's page)
DIRECTORY_LIMIT = 12


@dataclass
class Person:
    id: int
    name: str
    role: str = ""
    organisation: str = ""
    field: str = ""
    offers: list[str] = dataclasses.field(default_factory=list)
    seeks: list[str] = dataclasses.field(default_factory=list)
    bio: str = ""
    #: (tag, text) of each offer and seek, for the second-person wording
    offer_wishes: list[Wish] = dataclasses.field(default_factory=list)
    seek_wishes: list[Wish] = dataclasses.field(default_factory=list)

    @property
    def role_line(self) -> str:
        return ", ".join(part for part in (self.role, self.organisation) if part)


@dataclass
class Note:
    subject: str
    body: str
    starters: list[str]


@dataclass
class Slot:
    round: int
    starts_at: datetime
    ends_at: datetime


@dataclass
class Meeting:
    slot: Slot
    table_no: int
    partners: list[Person]
    reasons: list[str]
    notes: list[Note] = dataclasses.field(default_factory=list)
    #: each partner addressed to the guest: what you can give them, what they can give you, your starter
    cards: list[PartnerCard] = dataclasses.field(default_factory=list)


@dataclass
class EventInfo:
    id: int
    title: str
    theme: str
    venue: str
    timezone: str
    starts_at: datetime
    ends_at: datetime
    followup_hours: int
    #: None until the organiser locks the plan
    slots: list[Slot] | None
    plan_locked_at: datetime | None


@dataclass
class GuestSheet:
    guest: Person
    checkin_url: str
    meetings: list[Meeting] | None
    directory: list[Person]
    #: consenting guests left off the printed directory
    directory_more: int = 0


@dataclass
class Roster:
    """Everything about one event's guests, loaded once."""

    event: EventInfo
    people: dict[int, Person]
    attendees: dict[int, Attendee]
    conversations: list[Conversation] | None
    notes: dict[int, list[ResearchNote]]


def person(attendee: Attendee) -> Person:
    def intents(kind: str) -> list[str]:
        return [_intent_text(i) for i in sorted(attendee.intents, key=lambda i: i.id) if i.kind == kind]

    return Person(attendee.id, attendee.name, attendee.role, attendee.organisation, attendee.field,
                  intents("offer"), intents("seek"), _short(attendee.bio),
                  second_person.wishes(attendee, "offer"), second_person.wishes(attendee, "seek"))


def _short(text: str, limit: int = BIO_CHARS) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def _intent_text(intent: Intent) -> str:
    return f"{intent.tag.name}: {intent.text}" if intent.text else intent.tag.name


def load_roster(event: Event, note_authors: list[int] | None = None) -> Roster:
    """All guests with intents, the locked plan and the guests' own notes (of `note_authors`, or all)."""
    attendees = db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id)
        .options(selectinload(Attendee.intents).selectinload(Intent.tag)).order_by(Attendee.name, Attendee.id)
    ).all()
    plan = db.session.scalars(select(Plan).where(Plan.event_id == event.id)).first()
    conversations = _conversations(plan)
    return Roster(
        event=_event_info(event, plan, conversations),
        people={a.id: person(a) for a in attendees},
        attendees={a.id: a for a in attendees},
        conversations=conversations,
        notes=_guest_notes(event, note_authors),
    )


def print_note_authors(event: Event) -> list[int]:
    """The guests who chose "include my notes in the printed copy"."""
    return list(db.session.scalars(select(Attendee.id).where(Attendee.event_id == event.id,
                                                            Attendee.print_notes.is_(True))))


def _conversations(plan: Plan | None) -> list[Conversation] | None:
    if plan is None or not plan.is_locked:
        return None
    return list(db.session.scalars(
        select(Conversation).where(Conversation.plan_id == plan.id)
        .order_by(Conversation.round, Conversation.table_no, Conversation.id)
    ))


def _guest_notes(event: Event, authors: list[int] | None) -> dict[int, list[ResearchNote]]:
    """Notes written by guests (never organisers' notes), by author."""
    query = select(ResearchNote).where(ResearchNote.event_id == event.id, ResearchNote.author_attendee_id.is_not(None))
    if authors is not None:
        query = query.where(ResearchNote.author_attendee_id.in_(authors))
    by_author: dict[int, list[ResearchNote]] = defaultdict(list)
    for note in db.session.scalars(query):
        by_author[note.author_attendee_id].append(note)
    return by_author


def _event_info(event: Event, plan: Plan | None, conversations: list[Conversation] | None) -> EventInfo:
    slots = None
    if plan is not None and conversations is not None:
        rounds = sorted({c.round for c in conversations}) or list(range(1, plan.rounds + 1))
        slots = [_slot(event, plan.round_minutes, number) for number in rounds]
    return EventInfo(event.id, event.title, event.theme, event.venue, event.timezone, event.starts_at,
                     event.ends_at, event.followup_first_hours, slots, plan.locked_at if plan else None)


def _slot(event: Event, minutes: int, number: int) -> Slot:
    start = event.starts_at + timedelta(minutes=ARRIVAL_MINUTES + (number - 1) * (minutes + CHANGEOVER_MINUTES))
    return Slot(number, start, start + timedelta(minutes=minutes))


def briefing_guests(roster: Roster) -> list[Attendee]:
    """Guests who get a briefing in the pack: those expected at the door, by name."""
    return [a for a in roster.attendees.values() if a.is_expected]


def may_have_briefing(attendee: Attendee) -> bool:
    return attendee.holds_place


def plan_shown_to_guests(event_id: int) -> bool:
    """Whether guests see the conversation plan yet: once it is locked, as their page shows it
    (`matching.services.conversations_of`); before, a guest's briefing would have nothing to brief."""
    return db.session.scalars(select(Plan.locked_at).where(Plan.event_id == event_id)).first() is not None


def guest_may_download(attendee: Attendee) -> bool:
    """Whether the guest's page offers their own briefing (and the download gives it)."""
    return may_have_briefing(attendee) and plan_shown_to_guests(attendee.event_id)


def guest_sheet(roster: Roster, attendee: Attendee) -> GuestSheet:
    """One guest's briefing: their conversations, their own notes on those partners, a short directory."""
    meetings = _meetings(roster, attendee.id)
    partners = {p.id for m in meetings or [] for p in m.partners}
    listed = [
        roster.people[a.id] for a in roster.attendees.values()
        if a.id != attendee.id and a.id not in partners and a.directory_consent and a.is_expected
    ]
    return GuestSheet(
        guest=roster.people[attendee.id],
        checkin_url=checkin_url(attendee.checkin_code),
        meetings=meetings,
        directory=listed[:DIRECTORY_LIMIT],
        directory_more=max(len(listed) - DIRECTORY_LIMIT, 0),
    )


def _meetings(roster: Roster, attendee_id: int) -> list[Meeting] | None:
    if roster.conversations is None:
        return None
    slots = {slot.round: slot for slot in roster.event.slots or []}
    own_notes = {note.subject_id: note for note in roster.notes.get(attendee_id, [])}
    guest = roster.people[attendee_id]
    meetings = []
    for conversation in roster.conversations:
        members = conversation.member_ids
        if attendee_id not in members:
            continue
        partners = [roster.people[m] for m in members if m != attendee_id and m in roster.people]
        notes = [Note(p.name, own_notes[p.id].body, own_notes[p.id].starter_list) for p in partners if p.id in own_notes]
        cards = [second_person.card(guest.offer_wishes, guest.seek_wishes, p.id, p.name, p.role, p.organisation,
                                    p.field, p.offer_wishes, p.seek_wishes, own_notes.get(p.id), bio=p.bio)
                 for p in partners]
        meetings.append(Meeting(slots[conversation.round], conversation.table_no, partners,
                                [str(r) for r in conversation.reasons or []], notes, cards))
    return meetings
