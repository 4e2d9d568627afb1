"""The opt-in directory of a gathering: who is listed, filters, and the offer/seek markers."""
from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.errors import NotFound
from eventkit.profiles.models import Intent, IntentKind, ResearchNote


def _tag_ids(guest: Attendee, kind: str) -> set[int]:
    return {intent.tag_id for intent in guest.intents if intent.kind == kind}


@dataclass
class Entry:
    """One listed guest as a viewer sees them."""

    guest: Attendee
    #: names of tags where they offer what the viewer seeks
    they_offer: list[str] = field(default_factory=list)
    #: names of tags where the viewer offers what they seek
    you_offer: list[str] = field(default_factory=list)
    has_note: bool = False

    @property
    def offers(self) -> list[Intent]:
        return sorted((i for i in self.guest.intents if i.kind == IntentKind.OFFER), key=lambda i: i.id)

    @property
    def seeks(self) -> list[Intent]:
        return sorted((i for i in self.guest.intents if i.kind == IntentKind.SEEK), key=lambda i: i.id)


def listed_guests(event_id: int, exclude_id: int | None = None) -> list[Attendee]:
    """Listed guests of a gathering with their intents and tags (three queries, whatever the size)."""
    query = (
        select(Attendee)
        .where(Attendee.event_id == event_id, Attendee.directory_consent.is_(True),
               Attendee.is_coming)
        .options(selectinload(Attendee.intents).selectinload(Intent.tag))
        .order_by(Attendee.name, Attendee.id)
    )
    if exclude_id is not None:
        query = query.where(Attendee.id != exclude_id)
    return list(db.session.scalars(query))


def noted_subject_ids(viewer: Attendee) -> set[int]:
    """Ids of the guests the viewer has written a note about."""
    return set(db.session.scalars(
        select(ResearchNote.subject_id).where(ResearchNote.author_attendee_id == viewer.id)
    ))


def entries_for(viewer: Attendee, guests: list[Attendee]) -> list[Entry]:
    """Wrap guests with the markers and note flags as `viewer` sees them."""
    tag_names = {tag.id: tag.name for tag in viewer.event.tags}
    my_offers, my_seeks = _tag_ids(viewer, IntentKind.OFFER), _tag_ids(viewer, IntentKind.SEEK)
    noted = noted_subject_ids(viewer)
    entries = []
    for guest in guests:
        they_offer = _tag_ids(guest, IntentKind.OFFER) & my_seeks
        you_offer = my_offers & _tag_ids(guest, IntentKind.SEEK)
        entries.append(Entry(
            guest=guest,
            they_offer=sorted(tag_names.get(tag_id, "") for tag_id in they_offer),
            you_offer=sorted(tag_names.get(tag_id, "") for tag_id in you_offer),
            has_note=guest.id in noted,
        ))
    return entries


def directory(viewer: Attendee, field_filter: str = "", tag_filter: int | None = None) -> tuple[list[Entry], list[str]]:
    """The directory as `viewer` sees it (others only), filtered; and the fields present, for the filter."""
    guests = listed_guests(viewer.event_id, exclude_id=viewer.id)
    fields = sorted({guest.field for guest in guests if guest.field}, key=str.lower)
    if field_filter:
        guests = [guest for guest in guests if guest.field == field_filter]
    if tag_filter:
        guests = [guest for guest in guests if any(i.tag_id == tag_filter for i in guest.intents)]
    return entries_for(viewer, guests), fields


def listed_guest_or_404(viewer: Attendee, guest_id: int) -> Attendee:
    """Another listed guest of the viewer's gathering; 404 for anyone else (unlisted, gone, elsewhere, self)."""
    guest = db.session.get(Attendee, guest_id)
    if guest is None or guest.id == viewer.id or guest.event_id != viewer.event_id or not guest.is_listed:
        raise NotFound("There is no such guest in this gathering's directory.", "not_found")
    return guest


@dataclass
class Research:
    noted: list[tuple[Entry, ResearchNote]]
    to_research: list[Entry]


def my_research(viewer: Attendee) -> Research:
    """Listed guests the viewer has notes on, and those not yet researched who offer what they seek."""
    entries = entries_for(viewer, listed_guests(viewer.event_id, exclude_id=viewer.id))
    notes = {
        note.subject_id: note
        for note in db.session.scalars(
            select(ResearchNote).where(ResearchNote.author_attendee_id == viewer.id)
        )
    }
    noted = [(entry, notes[entry.guest.id]) for entry in entries if entry.guest.id in notes]
    to_research = [entry for entry in entries if entry.guest.id not in notes and entry.they_offer]
    return Research(noted=noted, to_research=to_research)
