"""Loading a gathering for the signed-in organiser."""
from __future__ import annotations

from flask import abort
from flask_login import current_user

from eventkit.db import db
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
