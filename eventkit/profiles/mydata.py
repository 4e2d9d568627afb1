"""A guest's own data: the complete export (`my-data.json`) and its deletion.

The export holds everything eventkit keeps about the guest at one gathering: their profile,
intents and research notes, check-in, connections with their follow-up history and tasks,
encounters, and the list of emails sent to them (subject, purpose, dates; never a body or a link).

Deletion erases all of it except what the organiser's guest list keeps (name, email, status and
attendance), ends every session and link of the guest, and deletes the gathering's emails to
them and their weekly follow-up digests (with their stored attachments).
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import selectinload

from eventkit import audit
from eventkit.attendees.models import Attendee
from eventkit.checkin.models import CheckIn
from eventkit.db import db
from eventkit.followup.models import ActionKind, Connection, ConnectionLink, Encounter, FollowUpAction, FollowUpTask
from eventkit.mail.models import OutboundEmail
from eventkit.profiles.models import Intent, ResearchNote
from eventkit.profiles.services import own_intents
from eventkit.signals import guest_notes_changed

#: what the confirmation page and the README say deletion keeps
KEPT = "your name and email, your reply and your check-in time, which the organiser's guest list keeps"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def export_data(attendee: Attendee) -> dict:
    """Everything eventkit holds about a guest at this gathering, as JSON-ready data.

    Organisers' private notes are not included: guests never see them.
    """
    event = attendee.event
    return {
        "gathering": {"title": event.title, "slug": event.slug, "starts_at": _iso(event.starts_at)},
        "guest": {
            "name": attendee.name, "email": attendee.email, "status": attendee.status,
            "added_at": _iso(attendee.created_at), "checked_in_at": _iso(attendee.checked_in_at),
            "reminders_opt_out": attendee.reminders_opt_out, "access_notes": attendee.access_notes,
            "notes_in_printed_copy": attendee.print_notes,
            "digest_opt_out": attendee.digest_opt_out, "announcements_opt_out": attendee.announcements_opt_out,
            "email_failed_at": _iso(attendee.email_failed_at),
        },
        "profile": {
            "role": attendee.role, "organisation": attendee.organisation, "field": attendee.field,
            "bio": attendee.bio, "links": list(attendee.links or []),
            "directory_consent": attendee.directory_consent,
            "updated_at": _iso(attendee.profile_updated_at),
        },
        "intents": [
            {"kind": intent.kind, "tag": intent.tag.name, "text": intent.text,
             "created_at": _iso(intent.created_at)}
            for intent in own_intents(attendee)
        ],
        "research_notes": _notes(attendee),
        "check_in": _check_in(attendee),
        "connections": _connections(attendee),
        "follow_up_tasks": _tasks(attendee),
        "encounters": _encounters(attendee),
        "emails": _emails(attendee),
    }


def _notes(attendee: Attendee) -> list[dict]:
    notes = db.session.scalars(
        select(ResearchNote).where(ResearchNote.author_attendee_id == attendee.id)
        .options(selectinload(ResearchNote.subject)).order_by(ResearchNote.id)
    )
    return [{"about": note.subject.name if note.subject.is_listed else "(a guest who is no longer listed)",
             "note": note.body, "conversation_starters": note.starter_list,
             "created_at": _iso(note.created_at), "updated_at": _iso(note.updated_at)} for note in notes]


def _check_in(attendee: Attendee) -> dict | None:
    record = db.session.scalars(select(CheckIn).where(CheckIn.attendee_id == attendee.id)
                                .options(selectinload(CheckIn.door_link))).first()
    if record is None:
        return None
    return {"at": _iso(record.at), "method": record.method, "door": record.door_link.label if record.door_link else None}


def _links_of(attendee: Attendee):
    return select(ConnectionLink).where(
        ConnectionLink.event_id == attendee.event_id,
        or_(ConnectionLink.low_attendee_id == attendee.id, ConnectionLink.high_attendee_id == attendee.id))


def _connections(attendee: Attendee) -> list[dict]:
    links = db.session.scalars(_links_of(attendee).options(
        selectinload(ConnectionLink.connection).selectinload(Connection.actions),
        selectinload(ConnectionLink.low_attendee), selectinload(ConnectionLink.high_attendee)).order_by(ConnectionLink.id))
    result = []
    for link in links:
        other = link.high_attendee if link.low_attendee_id == attendee.id else link.low_attendee
        connection = link.connection
        result.append({
            "with": other.name, "source": link.source, "stage": connection.stage,
            "created_at": _iso(connection.created_at), "faded_at": _iso(connection.faded_at),
            "actions": [{"by": "you" if action.actor_person_id == attendee.person_id else other.name,
                         "kind": action.kind, "note": action.note, "at": _iso(action.at)}
                        for action in connection.actions],
        })
    return result


def _tasks(attendee: Attendee) -> list[dict]:
    tasks = db.session.scalars(select(FollowUpTask).where(FollowUpTask.owner_id == attendee.id)
                               .options(selectinload(FollowUpTask.counterpart)).order_by(FollowUpTask.due_at))
    return [{"with": task.counterpart.name, "kind": task.kind, "due_at": _iso(task.due_at),
             "done_at": _iso(task.done_at), "outcome": task.outcome} for task in tasks]


def _encounters(attendee: Attendee) -> list[dict]:
    rows = db.session.scalars(select(Encounter).where(
        or_(Encounter.logged_by_id == attendee.id, Encounter.other_id == attendee.id))
        .options(selectinload(Encounter.logged_by), selectinload(Encounter.other)).order_by(Encounter.id))
    return [{"logged_by": "you" if e.logged_by_id == attendee.id else e.logged_by.name,
             "with": e.other.name if e.logged_by_id == attendee.id else "you",
             "note": e.note if e.logged_by_id == attendee.id else "",
             "created_at": _iso(e.created_at), "confirmed_at": _iso(e.confirmed_at),
             "declined_at": _iso(e.declined_at)} for e in rows]


def _emails_to(attendee: Attendee):
    """The guest's emails of this gathering and those of no gathering (the weekly follow-up digest)."""
    return (OutboundEmail.to_email == attendee.email) & or_(OutboundEmail.event_id == attendee.event_id,
                                                            OutboundEmail.event_id.is_(None))


def _emails(attendee: Attendee) -> list[dict]:
    rows = db.session.execute(
        select(OutboundEmail.subject, OutboundEmail.purpose, OutboundEmail.status, OutboundEmail.created_at,
               OutboundEmail.sent_at).where(_emails_to(attendee)).order_by(OutboundEmail.created_at, OutboundEmail.id))
    return [{"subject": subject, "purpose": purpose, "status": status, "queued_at": _iso(queued), "sent_at": _iso(sent)}
            for subject, purpose, status, queued, sent in rows]


def delete_profile_data(attendee: Attendee, now: datetime) -> None:
    """Erase everything of the guest at this gathering but what the guest list keeps (see KEPT).

    Every link and session of the guest ends (the browser that asked is signed out too).
    """
    db.session.execute(delete(Intent).where(Intent.attendee_id == attendee.id))
    db.session.execute(delete(ResearchNote).where(ResearchNote.author_attendee_id == attendee.id))
    db.session.execute(delete(OutboundEmail).where(_emails_to(attendee)))
    closed_by_guest = select(FollowUpAction.connection_id).where(FollowUpAction.actor_id == attendee.id,
                                                                  FollowUpAction.kind == ActionKind.FADED.value)
    db.session.execute(update(Connection).where(Connection.id.in_(closed_by_guest)).values(fade_reason="")
                       .execution_options(synchronize_session=False))
    db.session.execute(update(FollowUpAction).where(FollowUpAction.actor_id == attendee.id).values(note="")
                       .execution_options(synchronize_session=False))
    db.session.execute(update(Encounter).where(Encounter.logged_by_id == attendee.id).values(note="")
                       .execution_options(synchronize_session=False))
    attendee.role = attendee.organisation = attendee.field = attendee.bio = attendee.access_notes = ""
    attendee.links = []
    attendee.directory_consent = attendee.print_notes = False
    attendee.profile_updated_at = now
    attendee.end_sessions(now)
    db.session.expire(attendee, ["intents"])
    audit.record("profiles.deleted", actor=attendee.actor, target=f"attendee:{attendee.id}",
                 event_id=attendee.event_id)
    db.session.flush()
    guest_notes_changed.send(attendee)
