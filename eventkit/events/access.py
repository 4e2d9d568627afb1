"""Loading a gathering for the signed-in organiser, and rows that must belong to it."""
from __future__ import annotations

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from eventkit.db import db
from eventkit.errors import NotFound
from eventkit.events.models import Event


def get_managed_event_or_404(event_id: int) -> Event:
    """The event if the signed-in organiser owns or co-organises it.

    Raises 404 otherwise (also for events that exist but belong to someone else), so ids leak nothing.
    Call it from views protected by `login_required`.
    """
    event = db.session.get(Event, event_id)
    if event is None or not current_user.is_authenticated or not event.is_managed_by(current_user):
        abort(404)
    return event


def get_for_event_or_404(model, ident: int, event: Event, message: str):
    """The `model` row `ident` if it belongs to `event`; NotFound(message) otherwise.

    Rows of other gatherings answer exactly like missing ones, so ids leak nothing.
    """
    row = db.session.get(model, ident)
    if row is None or row.event_id != event.id:
        raise NotFound(message, "not_found")
    return row


def event_by_slug(slug: str) -> Event | None:
    """The gathering with this slug (the public part of guest URLs and CLI arguments), or None."""
    return db.session.scalars(select(Event).where(Event.slug == slug)).first()
