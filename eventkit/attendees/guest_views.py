"""Guest views: the magic link (and a new one by email), the guest's page, their reply, the calendar."""
from __future__ import annotations

from flask import flash, make_response, redirect, render_template, session, url_for

from eventkit.attendees import services
from eventkit.attendees.access import (
    SESSION_KEY,
    event_by_slug_or_404,
    load_guest_or_403,
    sign_in_guest,
    signed_in_guest,
)
from eventkit.attendees.blueprint import bp
from eventkit.attendees.forms import LinkRequestForm
from eventkit.attendees.links import look_up
from eventkit.attendees.views import ics_response
from eventkit.db import utcnow
from eventkit.errors import DomainError, refuse
from eventkit.events import lifecycle
from eventkit.security import secret_page


@bp.app_template_global()
def guest_session(event) -> object | None:
    """The guest signed in for `event` in this browser (for the guest top bar), or None."""
    return signed_in_guest(event) if event is not None else None


@bp.get("/g/<token>")
def magic(token: str):
    """Sign the guest in from their personal link, then drop the token from the address bar.

    An unknown link is a 404; an expired or replaced one a 410 that says so and offers the
    lost-link form of its gathering.
    """
    found = look_up(token, utcnow())
    if found.link is None:
        return secret_page(make_response(render_template("attendees/invalid_link.html"), 404))
    attendee = found.link.attendee
    if not found.usable:
        page = render_template("attendees/link_ended.html", event=attendee.event, link=found.link,
                               form=LinkRequestForm())
        return secret_page(make_response(page, 410))
    sign_in_guest(attendee)
    return secret_page(redirect(url_for("attendees.home", slug=attendee.event.slug)))


@bp.get("/e/<slug>/me")
def home(slug: str):
    """The guest's page for this gathering."""
    event, attendee = load_guest_or_403(slug)
    return render_home(event, attendee)


def render_home(event, attendee, error: str | None = None, status: int = 200):
    """The guest page, optionally with a refusal message (then with its 4xx status)."""
    now = utcnow()
    return render_template("attendees/home.html", event=event, attendee=attendee, error=error,
                           places_left=services.places_left(event), replies_open=services.replies_open(event, now),
                           guest_phase=lifecycle.guest_phase(event, now)), status


@bp.post("/e/<slug>/accept")
def accept(slug: str):
    """The guest accepts: registered when a place is free, otherwise waitlisted."""
    event, attendee = load_guest_or_403(slug)
    try:
        services.accept_invitation(attendee, now=utcnow())
    except DomainError as error:
        return render_home(event, attendee, error.message, error.status)
    if attendee.status == "waitlisted":
        flash("Thank you! The gathering is full, so you are on the waitlist; we will email you if a place frees up.",
              "warning")
    else:
        flash("Thank you, you are registered. See you there!")
    return redirect(url_for("attendees.home", slug=slug))


@bp.post("/e/<slug>/decline")
def decline(slug: str):
    """The guest declines (or cancels their yes); the place goes to the waitlist."""
    event, attendee = load_guest_or_403(slug)
    try:
        services.decline_invitation(attendee, now=utcnow())
    except DomainError as error:
        return refuse(error, "attendees.home", slug=slug)
    flash("Your reply is recorded: you will not attend. You can still change your mind here.")
    return redirect(url_for("attendees.home", slug=slug))


@bp.get("/e/<slug>/calendar.ics")
def guest_calendar(slug: str):
    """The gathering's calendar file for the signed-in guest."""
    event, _attendee = load_guest_or_403(slug)
    return ics_response(event)


@bp.post("/e/<slug>/sign-out")
def guest_sign_out(slug: str):
    """Forget this browser's guest session for this gathering."""
    event, _attendee = load_guest_or_403(slug)
    guests = dict(session.get(SESSION_KEY, {}))
    guests.pop(str(event.id), None)
    session[SESSION_KEY] = guests
    return render_template("attendees/signed_out.html", event=event)


@bp.route("/e/<slug>/link", methods=["GET", "POST"])
def request_link(slug: str):
    """A guest who lost their personal link gets a new one by email (same answer for anyone)."""
    event = event_by_slug_or_404(slug)
    form = LinkRequestForm()
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return secret_page(make_response(render_template("attendees/link_request.html", event=event, form=form), status))
    services.request_new_link(event, form.email.data, utcnow())
    return secret_page(make_response(render_template(
        "attendees/link_request.html", event=event, form=None, sent_to=form.email.data)))
