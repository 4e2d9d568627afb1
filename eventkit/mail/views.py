"""The organiser's outbox: what was sent to the gathering's guests, what failed and why."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy.orm import defer

from eventkit.db import db, utcnow
from eventkit.errors import DomainError, NotFound, refuse
from eventkit.events.access import get_managed_event_or_404
from eventkit.events.models import Event
from eventkit.events.services import managed_events
from eventkit.mail.blueprint import bp
from eventkit.mail.kinds import Topic, kind_of
from eventkit.mail.links import redact
from eventkit.mail.models import MailStatus, OutboundEmail
from eventkit.mail.preferences import opt_out_counts
from eventkit.mail.services import (
    bounce_counts,
    get_event_email,
    get_organiser_email,
    organiser_outbox_counts,
    organiser_outbox_query,
    outbox_counts,
    outbox_query,
    retry_failed,
)
from eventkit.web import email_preview_policy

PER_PAGE = 50


@bp.app_template_global()
def mail_outbox_counts(event) -> dict[str, int]:
    """Counts per status for the event page's outbox panel."""
    return outbox_counts(event.id)


@bp.app_template_global()
def mail_outcomes(event) -> dict:
    """Opt-outs per topic and hard bounces per kind of email, for the event page and the outbox."""
    bounces = {kind_of(kind): count for kind, count in bounce_counts(event.id).items()}
    return {"opt_outs": opt_out_counts(event.id), "bounces": bounces, "bounced": sum(bounces.values()),
            "topics": list(Topic)}


@bp.get("/events/<int:event_id>/outbox")
@login_required
def outbox(event_id: int):
    """The gathering's outbox, newest first, optionally one status only."""
    event = get_managed_event_or_404(event_id)
    status = request.args.get("status", "")
    if status not in {s.value for s in MailStatus}:
        status = ""
    query = outbox_query(event.id, status or None).options(
        defer(OutboundEmail.body_text), defer(OutboundEmail.body_html)
    )
    page = db.paginate(query, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    return render_template(
        "mail/outbox.html", event=event, page=page, status=status, counts=outbox_counts(event.id)
    )


@bp.get("/events/<int:event_id>/outbox/<int:email_id>")
@email_preview_policy
@login_required
def message(event_id: int, email_id: int):
    """One message as the guest reads it (plain text, escaped) with its delivery history.

    Links made when the email is sent are shown redacted: the organiser never sees a guest's secret link.
    """
    event = get_managed_event_or_404(event_id)
    try:
        email = get_event_email(event.id, email_id)
    except NotFound:
        abort(404)
    return render_template("mail/message.html", event=event, email=email,
                           body_text=redact(email.body_text), body_html=redact(email.body_html))


@bp.post("/events/<int:event_id>/outbox/<int:email_id>/retry")
@login_required
def retry(event_id: int, email_id: int):
    """Put a failed message back in the queue."""
    event = get_managed_event_or_404(event_id)
    back = _back(event.id, email_id)
    try:
        email = retry_failed(event.id, email_id, utcnow(), actor=f"organiser:{current_user.id}")
    except NotFound:
        abort(404)
    except DomainError as error:
        return refuse(error, _category="warning", **back)
    flash(f"The message to {email.to_email} is queued again; the next send-mail run delivers it.", "success")
    return redirect(url_for(**back))


def _back(event_id: int, email_id: int) -> dict:
    """Where a retry returns to (`url_for` arguments): the message with `?back=message`, else the outbox."""
    if request.args.get("back") == "message":
        return {"endpoint": "mail.message", "event_id": event_id, "email_id": email_id}
    return {"endpoint": "mail.outbox", "event_id": event_id}


def _my_events() -> dict[int, Event]:
    return {event.id: event for event, _guests in managed_events(current_user)}


@bp.get("/outbox")
@login_required
def all_outbox():
    """One outbox across the organiser's gatherings: every email to their guests, and every email to them."""
    events = _my_events()
    status = request.args.get("status", "")
    if status not in {s.value for s in MailStatus}:
        status = ""
    query = organiser_outbox_query(list(events), current_user.email, status or None).options(
        defer(OutboundEmail.body_text), defer(OutboundEmail.body_html))
    page = db.paginate(query, per_page=PER_PAGE, max_per_page=PER_PAGE, error_out=False)
    return render_template("mail/all_outbox.html", page=page, status=status, events=events,
                           counts=organiser_outbox_counts(list(events), current_user.email))


@bp.get("/outbox/<int:email_id>")
@login_required
def any_message(email_id: int):
    """A message of the organiser's outbox; a gathering's message opens in that gathering's outbox."""
    events = _my_events()
    try:
        email = get_organiser_email(list(events), current_user.email, email_id)
    except NotFound:
        abort(404)
    if email.event_id in events:
        return redirect(url_for("mail.message", event_id=email.event_id, email_id=email.id))
    return render_template("mail/message.html", event=None, email=email)
