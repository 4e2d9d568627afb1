"""Guest sessions from magic links, and loading the signed-in guest for a gathering."""
from __future__ import annotations

from flask import abort, make_response, render_template, session

from eventkit.attendees.links import look_up
from eventkit.attendees.models import Attendee
from eventkit.db import db, utcnow
from eventkit.events.access import event_by_slug, get_for_event_or_404
from eventkit.events.models import Event

SESSION_KEY = "guests"


def attendee_for_token(token: str) -> Attendee | None:
    """The guest whose live personal link this is, or None (also for a replaced or expired one)."""
    return look_up(token, utcnow()).attendee


def sign_in_guest(attendee: Attendee) -> None:
    """Remember in the session that this browser is `attendee`, for their gathering only."""
    guests = dict(session.get(SESSION_KEY, {}))
    guests[str(attendee.event_id)] = [attendee.id, attendee.session_fingerprint]
    session[SESSION_KEY] = guests
    session.permanent = True


def signed_in_guest(event: Event) -> Attendee | None:
    """The guest signed in for `event` in this session, or None; replaced links or a deleted profile sign them out."""
    entry = session.get(SESSION_KEY, {}).get(str(event.id))
    if not entry:
        return None
    attendee = db.session.get(Attendee, entry[0])
    if attendee is None or attendee.event_id != event.id or attendee.session_fingerprint != entry[1]:
        return None
    return attendee


def load_guest_or_403(slug: str) -> tuple[Event, Attendee]:
    """The gathering by slug and the guest signed in for it.

    Raises 404 if there is no such gathering, 403 if this browser has no guest session for it.
    """
    event = event_by_slug_or_404(slug)
    attendee = signed_in_guest(event)
    if attendee is None:
        abort(make_response(render_template("attendees/sign_in_needed.html", event=event), 403))
    return event, attendee


def event_by_slug_or_404(slug: str) -> Event:
    event = event_by_slug(slug)
    if event is None:
        abort(404)
    return event


def get_attendee_or_404(event: Event, attendee_id: int) -> Attendee:
    """The guest if they are on this event's list; raises 404 otherwise (also for other events' guests)."""
    return get_for_event_or_404(Attendee, attendee_id, event, "There is no such guest in this gathering.")
