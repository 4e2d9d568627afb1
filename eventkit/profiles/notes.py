"""Private research notes: one per author and subject, found by (author, subject), never by note id.

A note is only ever loaded through its author, so no other guest and no organiser can reach it,
whatever id they try.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eventkit.attendees.models import Attendee
from eventkit.auth.models import Organiser
from eventkit.db import db, insert_ignore
from eventkit.errors import NotFound
from eventkit.events.access import get_for_event_or_404
from eventkit.events.models import Event
from eventkit.profiles.models import ResearchNote
from eventkit.signals import guest_notes_changed


def guest_note(author: Attendee, subject: Attendee) -> ResearchNote | None:
    return db.session.scalars(select(ResearchNote).where(
        ResearchNote.author_attendee_id == author.id, ResearchNote.subject_id == subject.id
    )).first()


def organiser_note(author: Organiser, subject: Attendee) -> ResearchNote | None:
    return db.session.scalars(select(ResearchNote).where(
        ResearchNote.author_organiser_id == author.id, ResearchNote.subject_id == subject.id
    )).first()


def _clean_starters(text: str) -> str:
    return "\n".join(line.strip() for line in (text or "").splitlines() if line.strip())


def _save(author_column: str, author_id: int, subject: Attendee, body: str, starters: str,
          now: datetime) -> ResearchNote:
    """Create-or-update the (author, subject) note; a concurrent create cannot make a duplicate."""
    insert_ignore(ResearchNote, {
        "event_id": subject.event_id, "subject_id": subject.id, author_column: author_id,
        "body": "", "starters": "", "created_at": now, "updated_at": now,
    }, [author_column, "subject_id"])
    note = db.session.scalars(select(ResearchNote).where(
        getattr(ResearchNote, author_column) == author_id, ResearchNote.subject_id == subject.id
    )).one()
    note.body = (body or "").strip()
    note.starters = _clean_starters(starters)
    note.updated_at = now
    db.session.flush()
    return note


def save_guest_note(author: Attendee, subject: Attendee, body: str, starters: str, now: datetime) -> ResearchNote:
    """Save the guest's private note about a listed guest (the caller checked `subject` is listed)."""
    note = _save("author_attendee_id", author.id, subject, body, starters, now)
    guest_notes_changed.send(author)
    return note


def save_organiser_note(author: Organiser, subject: Attendee, body: str, starters: str,
                        now: datetime) -> ResearchNote:
    """Save the organiser's private note about a guest of their gathering."""
    return _save("author_organiser_id", author.id, subject, body, starters, now)


def delete_note(note: ResearchNote | None) -> None:
    if note is None:
        raise NotFound("There is no note to delete.", "not_found")
    author_id = note.author_attendee_id
    db.session.delete(note)
    db.session.flush()
    if author_id is not None:
        guest_notes_changed.send(db.session.get_one(Attendee, author_id))


def event_guest_or_404(event: Event, guest_id: int) -> Attendee:
    """A guest of this gathering (any status), for its organisers; 404 otherwise."""
    return get_for_event_or_404(Attendee, guest_id, event, "There is no such guest in this gathering.")


def organiser_notes_by_subject(author: Organiser, event: Event) -> dict[int, ResearchNote]:
    """The organiser's own notes on this gathering's guests, by guest id (one query)."""
    return {
        note.subject_id: note
        for note in db.session.scalars(select(ResearchNote).where(
            ResearchNote.author_organiser_id == author.id, ResearchNote.event_id == event.id
        ))
    }
