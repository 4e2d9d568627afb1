"""A guest's plan in the second person: per conversation a card for each partner, what each side can give.

The same wording is used on the guest's page (matching guest panel) and in the briefing PDF
(briefings.content). Only the guest's own notes are read: never another guest's, never an organiser's.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask import url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Event
from eventkit.matching import services
from eventkit.profiles.models import Intent, ResearchNote

#: (tag name, free text) of one offer or seek
Wish = tuple[str, str]


def initials(name: str) -> str:
    """"Ana Moreau" -> "AM"; one word -> its first letter; at most two letters."""
    words = [word for word in (name or "").split() if word[:1].isalnum()]
    if not words:
        return "?"
    letters = words[0][0] + (words[-1][0] if len(words) > 1 else "")
    return letters.upper()


def _quoted(text: str) -> str:
    return f"“{text}”"


def gifts(giver_offers: list[Wish], taker_seeks: list[Wish], giver: str = "you", taker: str = "they") -> list[str]:
    """The giver's offers on a topic the taker seeks, each in words ("Fundraising: your “intros” for their “…”")."""
    seeks: dict[str, list[str]] = {}
    for tag, text in taker_seeks:
        seeks.setdefault(tag.casefold(), []).append(text)
    own = {"you": "your", "they": "their"}
    lines = []
    for tag, text in giver_offers:
        wanted = seeks.get(tag.casefold())
        if wanted is None:
            continue
        line = tag + (f": {own[giver]} {_quoted(text)}" if text else "")
        asks = [want for want in wanted if want]
        if asks:
            line += f" for {own[taker]} " + ", ".join(_quoted(want) for want in asks)
        lines.append(line)
    return lines


def wishes(attendee: Attendee, kind: str) -> list[Wish]:
    return [(intent.tag.name, intent.text) for intent in sorted(attendee.intents, key=lambda i: i.id)
            if intent.kind == kind]


@dataclass(frozen=True)
class PartnerCard:
    """One partner of a conversation, as the guest reads it."""

    id: int
    name: str
    role: str
    organisation: str
    field: str
    initials: str
    #: what the guest can give this partner, and what the partner can give the guest
    you_give: list[str]
    they_give: list[str]
    #: the partner's seeks/offers, shown when nothing meets exactly
    their_seeks: list[str]
    their_offers: list[str]
    #: conversation starters from the guest's own note on this partner
    starters: list[str] = field(default_factory=list)
    has_note: bool = False
    profile_url: str | None = None
    note_url: str | None = None
    bio: str = ""

    @property
    def role_line(self) -> str:
        return ", ".join(part for part in (self.role, self.organisation) if part)


def card(guest_offers: list[Wish], guest_seeks: list[Wish], partner_id: int, name: str, role: str, organisation: str,
         partner_field: str, offers: list[Wish], seeks: list[Wish], note: ResearchNote | None = None,
         profile_url: str | None = None, note_url: str | None = None, bio: str = "") -> PartnerCard:
    """A partner card from plain data (the page and the PDF both call this)."""
    return PartnerCard(
        partner_id, name, role, organisation, partner_field, initials(name),
        you_give=gifts(guest_offers, seeks, "you", "they"), they_give=gifts(offers, guest_seeks, "they", "you"),
        their_seeks=[_wish_text(w) for w in seeks], their_offers=[_wish_text(w) for w in offers],
        starters=note.starter_list if note else [], has_note=note is not None,
        profile_url=profile_url, note_url=note_url, bio=bio,
    )


def _wish_text(wish: Wish) -> str:
    tag, text = wish
    return f"{tag}: {text}" if text else tag


@dataclass(frozen=True)
class GuestMeeting:
    round: int
    table_no: int
    minutes: int
    partners: list[PartnerCard]


def own_notes(author: Attendee, subject_ids: set[int]) -> dict[int, ResearchNote]:
    """The guest's own notes on these guests (one query); nobody else's."""
    if not subject_ids:
        return {}
    rows = db.session.scalars(select(ResearchNote).where(
        ResearchNote.author_attendee_id == author.id, ResearchNote.subject_id.in_(sorted(subject_ids))))
    return {note.subject_id: note for note in rows}


def guest_plan(event: Event, attendee: Attendee) -> list[GuestMeeting]:
    """The guest's conversations once the plan is locked ([] before), each partner as a second-person card."""
    conversations = services.conversations_of(event, attendee)
    if not conversations:
        return []
    wanted = {m for c in conversations for m in c.member_ids} | {attendee.id}
    people = {person.id: person for person in db.session.scalars(
        select(Attendee).where(Attendee.id.in_(sorted(wanted)))
        .options(selectinload(Attendee.intents).selectinload(Intent.tag)).execution_options(populate_existing=True))}
    notes = own_notes(attendee, wanted - {attendee.id})
    me = people[attendee.id]
    mine_offers, mine_seeks = wishes(me, "offer"), wishes(me, "seek")
    minutes = conversations[0].plan.round_minutes  # one plan (loaded once, not once per conversation)
    meetings = []
    for conversation in conversations:
        cards = []
        for partner in (people[m] for m in conversation.member_ids if m != attendee.id and m in people):
            listed = partner.is_listed
            cards.append(card(
                mine_offers, mine_seeks, partner.id, partner.name, partner.role, partner.organisation, partner.field,
                wishes(partner, "offer"), wishes(partner, "seek"), notes.get(partner.id),
                url_for("profiles.guest_profile", slug=event.slug, guest_id=partner.id) if listed else None,
                url_for("profiles.edit_note", slug=event.slug, guest_id=partner.id) if listed else None,
            ))
        meetings.append(GuestMeeting(conversation.round, conversation.table_no, minutes, cards))
    return meetings
