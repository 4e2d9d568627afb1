"""Emailing briefings to guests: the organiser's click only queues; the mail sender makes each PDF.

Every email carries an attachment made at send time by this feature's "briefing" producer
(`eventkit.briefings.producer`), so the request costs a handful of queries whatever the number of
guests, and no render. The dedupe key includes the plan's lock time: clicking twice sends nothing
twice, and locking the plan again allows a fresh send.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from eventkit.attendees.models import Attendee
from eventkit.briefings.services import Paper, filename
from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.mail.services import Attachment, Message, outbox_counts, queue_batch
from eventkit.matching.models import Plan

PURPOSE = "briefing"
#: the name the briefing producer is registered under with the mail feature
PRODUCER = "briefing"


def plan_locked_at(event_id: int) -> datetime | None:
    """When the event's conversation plan was locked, or None (no plan, or not locked)."""
    return db.session.scalars(select(Plan.locked_at).where(Plan.event_id == event_id)).first()


def expected_guests(event_id: int) -> list[Attendee]:
    """The guests who get a briefing: those expected at the door (as in the print pack), by name."""
    return list(db.session.scalars(
        select(Attendee).where(Attendee.event_id == event_id, Attendee.is_expected)
        .order_by(Attendee.name, Attendee.id)
    ))


def dedupe_key(event_id: int, attendee_id: int, locked_at: datetime) -> str:
    return f"briefing:{event_id}:{attendee_id}:{locked_at.isoformat()}"


def email_briefings(event: Event, paper: Paper) -> tuple[int, list[str]]:
    """Queue one email per expected guest, their briefing to be made when it is sent.

    Returns how many were new and the names of guests left out because their address is not a
    valid one (the others still get theirs). Raises DomainError (409) if the plan is not locked or
    nobody is expected. Renders nothing.
    """
    locked_at = plan_locked_at(event.id)
    if locked_at is None:
        raise DomainError("Lock the conversation plan before emailing briefings.", "plan_not_locked", 409)
    guests = expected_guests(event.id)
    if not guests:
        raise DomainError("No confirmed guests yet, so there is nobody to email a briefing to.", "empty", 409)
    result = queue_batch([_message(event, guest, paper, locked_at) for guest in guests], utcnow())
    left_out = set(result.invalid)
    return result.queued, [guest.name for guest in guests if dedupe_key(event.id, guest.id, locked_at) in left_out]


def _message(event: Event, guest: Attendee, paper: Paper, locked_at: datetime) -> Message:
    pdf = Attachment.made_when_sent(
        filename(event, guest.id), "application/pdf", PRODUCER,
        event_id=event.id, attendee_id=guest.id, paper=paper.key, locked_at=locked_at.isoformat(),
    )
    return Message(guest.email, guest.name, dedupe_key(event.id, guest.id, locked_at), "briefing", PURPOSE,
                   event_id=event.id, context={"event": event, "attendee": guest}, attachments=(pdf,))


def email_status(event_id: int) -> dict:
    """The current plan's briefing emails: queued (waiting or being made and sent), sent, failed."""
    locked_at = plan_locked_at(event_id)
    counts = outbox_counts(event_id, purpose=PURPOSE, since=locked_at) if locked_at else {}
    queued = counts.get("pending", 0) + counts.get("sending", 0)
    sent, failed = counts.get("sent", 0), counts.get("failed", 0)
    return {"locked": locked_at is not None, "queued": queued, "sent": sent, "failed": failed,
            "total": queued + sent + failed}
