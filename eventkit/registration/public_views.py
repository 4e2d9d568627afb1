"""The public gathering page `/e/<slug>`: details, the sign-up form, and the email confirmation."""
from __future__ import annotations

from types import SimpleNamespace

from flask import abort, flash, make_response, redirect, render_template, request, url_for

from eventkit.attendees.access import event_by_slug_or_404, sign_in_guest, signed_in_guest
from eventkit.attendees.forms import LinkRequestForm
from eventkit.attendees.services import places_left
from eventkit.db import utcnow
from eventkit.downloads import download
from eventkit.errors import DomainError
from eventkit.events.calendar import event_ics, ics_filename
from eventkit.events.models import Event, EventStatus
from eventkit.registration import services
from eventkit.registration.blueprint import bp
from eventkit.registration.forms import SignUpForm
from eventkit.registration.questions import event_questions
from eventkit.security import secret_page
from eventkit.urls import external_url_for


def public_event_or_404(slug: str) -> Event:
    """The gathering by slug, unless it is still a draft (not public yet); 404 otherwise."""
    event = event_by_slug_or_404(slug)
    if event.status == EventStatus.DRAFT:
        abort(404)
    return event


def _page(event: Event, form: SignUpForm | None, *, error: str | None = None, status: int = 200,
          answers: dict | None = None):
    settings = services.settings_for(event.id)
    guest = signed_in_guest(event)
    page = render_template(
        "registration/public.html", event=event, settings=settings, form=form, error=error, guest=guest,
        questions=event_questions(event.id), answers=answers or {}, places_left=places_left(event),
        form_open=services.form_open(event, settings, utcnow()),
        show_address=services.shows_address(event, settings, guest), link_form=LinkRequestForm(formdata=None))
    return make_response(page, status)


@bp.get("/e/<slug>")
def public(slug: str):
    """The public page of an open (or closed, or finished) gathering."""
    event = public_event_or_404(slug)
    return _page(event, SignUpForm(formdata=None))


def _raw_answers(questions) -> dict[int, list[str]]:
    return {q.id: request.form.getlist(f"q{q.id}") for q in questions}


@bp.post("/e/<slug>/register")
def register(slug: str):
    """Send the form: the same answer for every address (check your email), refusals only for the form itself."""
    event = public_event_or_404(slug)
    form = SignUpForm()
    questions = event_questions(event.id)
    raw = _raw_answers(questions)
    if not form.validate_on_submit():
        return _page(event, form, status=422, answers=raw)
    submission = services.Submission(name=form.name.data, email=form.email.data, client=request.remote_addr or "",
                                     answers=raw, trap=form.website.data or "")
    try:
        services.submit(event, submission, utcnow())
    except DomainError as error:
        return _page(event, form, error=error.message, status=error.status, answers=raw)
    return render_template("registration/check_email.html", event=event, sent_to=form.email.data)


@bp.get("/e/<slug>/event.ics")
def calendar(slug: str):
    """The gathering's calendar file for anyone (with the area instead of a hidden address)."""
    event = public_event_or_404(slug)
    settings = services.settings_for(event.id)
    shown = event
    if not services.shows_address(event, settings, None):
        shown = SimpleNamespace(**{name: getattr(event, name) for name in (
            "id", "slug", "title", "theme", "description", "starts_at", "ends_at", "status")}, venue=settings.area)
    body = event_ics(shown, url=external_url_for("registration.public", slug=slug))
    return download(body, ics_filename(event), "text/calendar")


@bp.get("/e/<slug>/confirm/<token>")
def confirm_page(slug: str, token: str):
    """The link in the confirmation email: a button confirms (so a mail scanner opening links changes nothing).

    Once confirmed, the link is the guest's personal link and signs them in.
    """
    event = event_by_slug_or_404(slug)
    signup = services.signup_for_token(event, token)
    if signup is None:
        return secret_page(make_response(render_template("attendees/invalid_link.html"), 404))
    if signup.confirmed_at is not None:
        return secret_page(redirect(url_for("attendees.magic", token=token)))
    page = render_template("registration/confirm.html", event=event, signup=signup, token=token,
                           applying=services.settings_for(event.id).mode == "apply")
    return secret_page(make_response(page))


@bp.post("/e/<slug>/confirm/<token>")
def confirm(slug: str, token: str):
    """Confirm the address: the sign-up becomes a guest, signed in on this browser."""
    event = event_by_slug_or_404(slug)
    try:
        attendee = services.confirm(event, token, utcnow())
    except DomainError as error:
        if error.status == 404:
            return secret_page(make_response(render_template("attendees/invalid_link.html"), 404))
        page = render_template("registration/confirm.html", event=event, signup=None, token=token, error=error.message)
        return secret_page(make_response(page, error.status))
    sign_in_guest(attendee)
    messages = {"applied": "Thank you, your email is confirmed and your application is with the organiser. "
                           "You will hear by email.",
                "registered": "Your email is confirmed and you are registered. See you there!",
                "waitlisted": "Your email is confirmed. The gathering is full, so you are on the waiting list; "
                              "we will email you if a place frees up."}
    flash(messages.get(attendee.status, "Your email is confirmed."))
    return secret_page(redirect(url_for("attendees.home", slug=event.slug)))
