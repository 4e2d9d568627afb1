"""Guest pages of the mail feature: one-click unsubscribe (no session) and the choice of emails."""
from __future__ import annotations

from flask import flash, make_response, redirect, render_template, request, url_for

from eventkit.attendees.access import load_guest_or_403
from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.extensions import csrf
from eventkit.mail import preferences, unsubscribe
from eventkit.mail.blueprint import bp
from eventkit.mail.forms import PreferencesForm
from eventkit.mail.preferences import Scope
from eventkit.security import secret_page


@bp.app_template_global()
def mail_stopped_topics(attendee: Attendee) -> list:
    """The topics this guest stopped at this gathering (for their home panel)."""
    return [topic for topic, receive in preferences.choices(attendee).items() if not receive]


def _page(template: str, status: int = 200, **context):
    """A page of the unsubscribe link: never cached nor sent on as a Referer (its URL is the token)."""
    return secret_page(make_response(render_template(template, **context), status))


@bp.get("/unsubscribe/<token>")
def confirm_unsubscribe(token: str):
    """What the link in the email opens: says what will stop, and asks to confirm (a GET changes nothing)."""
    try:
        attendee_id, topic = unsubscribe.read_token(token)
    except DomainError as error:
        return _page("mail/unsubscribe.html", error.status, error=error.message)
    attendee = db.session.get(Attendee, attendee_id)
    if attendee is None:
        return _page("mail/unsubscribe.html", 404, error="This link is for a guest who is no longer on any list.")
    return _page("mail/unsubscribe.html", attendee=attendee, topic=topic, token=token,
                 stopped=getattr(attendee, topic.column))


@bp.post("/unsubscribe/<token>")
@csrf.exempt
def one_click(token: str):
    """RFC 8058 one-click: no cookie, no CSRF token; the signed token stops one topic for one guest."""
    scope = Scope.ORGANISER if request.form.get("scope") == Scope.ORGANISER.value else None
    try:
        attendee_id, topic = unsubscribe.read_token(token)
        attendee = preferences.one_click(attendee_id, topic, scope)
    except DomainError as error:
        return _page("mail/unsubscribe.html", error.status, error=error.message)
    return _page("mail/unsubscribed.html", attendee=attendee, topic=topic, scope=scope)


@bp.route("/e/<slug>/emails", methods=["GET", "POST"])
def guest_preferences(slug: str):
    """The guest's one place to choose which emails they get, here or at all this organiser's gatherings."""
    event, attendee = load_guest_or_403(slug)
    form = PreferencesForm(data={topic.value: receive for topic, receive in preferences.choices(attendee).items()}
                           if request.method == "GET" else None)
    if not form.validate_on_submit():
        status = 422 if form.is_submitted() else 200
        return render_template("mail/preferences.html", event=event, attendee=attendee, form=form), status
    preferences.set_choices(attendee, form.wanted(), Scope(form.scope.data), actor=attendee.actor)
    flash("Your email choices are saved." if form.scope.data == Scope.EVENT else
          f"Your email choices are saved for every gathering by {event.owner.name}.", "success")
    return redirect(url_for("mail.guest_preferences", slug=slug))
