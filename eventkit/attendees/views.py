"""Organiser views of the guest list: list, add, status changes, link rotation, export."""
from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from werkzeug.routing import BuildError

from eventkit.attendees import listing, services
from eventkit.attendees.access import get_attendee_or_404
from eventkit.attendees.blueprint import bp
from eventkit.attendees.csv_io import export_csv
from eventkit.attendees.forms import BulkStatusForm, GuestForm, StatusForm
from eventkit.attendees.models import AttendeeStatus
from eventkit.db import utcnow
from eventkit.downloads import download
from eventkit.errors import DomainError, refuse
from eventkit.events.access import get_managed_event_or_404
from eventkit.events.calendar import event_ics, ics_filename
from eventkit.events.models import Event

STATUS_BADGES = {"invited": "", "registered": "good", "approved": "good", "waitlisted": "warn",
                 "declined": "bad", "cancelled": "bad", "applied": "warn"}


@bp.app_template_global()
def guest_counts(event: Event) -> dict:
    """Guests per status, places taken and left (for the organiser's event panel)."""
    counts = services.status_counts(event.id)
    taken = sum(counts[str(s)] for s in (AttendeeStatus.INVITED, AttendeeStatus.REGISTERED, AttendeeStatus.APPROVED))
    return {"by_status": counts, "total": sum(counts.values()), "taken": taken,
            "left": max(event.capacity - taken, 0)}


@bp.app_template_global()
def event_page_url(event: Event) -> str:
    """The organiser's page of the gathering (the gatherings list until it exists)."""
    try:
        return url_for("events.show", event_id=event.id)
    except BuildError:
        return url_for("events.index")


def _render_list(event: Event, form: GuestForm, status: int = 200):
    query = listing.ListQuery.from_args(request.args)
    page = listing.guest_page(event.id, query, request.args.get("page", 1, type=int))
    return render_template(
        "attendees/guest_list.html", event=event, form=form, page=page, attendees=page.items, query=query,
        counts=guest_counts(event), allowed_actions=services.allowed_actions, listing=listing,
        labels=services.ACTION_LABELS, badges=STATUS_BADGES, statuses=[str(s) for s in AttendeeStatus],
    ), status


@bp.get("/events/<int:event_id>/guests")
@login_required
def guest_list(event_id: int):
    """The guest list: add and import at the top, then search, filters, sort and pages from the query string."""
    event = get_managed_event_or_404(event_id)
    return _render_list(event, GuestForm())


@bp.post("/events/<int:event_id>/guests/bulk")
@login_required
def bulk_status(event_id: int):
    """One status change for every ticked guest, or for none."""
    event = get_managed_event_or_404(event_id)
    form = BulkStatusForm()
    back = {key: value for key, value in request.args.items() if key in ("q", "status", "ready", "checked", "sort", "page")}
    try:
        if not form.validate_on_submit():
            raise DomainError(next(iter(form.errors.values()))[0], "invalid", 422)
        changed, promoted = listing.bulk_change_status(event, form.ids.data or [], form.action.data,
                                                       actor=current_user.actor, now=utcnow())
    except DomainError as error:
        return refuse(error, "attendees.guest_list", event_id=event.id, **back)
    flash(f"{len(changed)} guest{'s' if len(changed) != 1 else ''} now {changed[0].status}: "
          + ", ".join(guest.name for guest in changed) + ".")
    for guest in promoted:
        flash(f"{guest.name} moved up from the waitlist and was offered the place by email.")
    return redirect(url_for("attendees.guest_list", event_id=event.id, **back))


@bp.post("/events/<int:event_id>/guests")
@login_required
def add_guest(event_id: int):
    """Add one guest and queue their invitation."""
    event = get_managed_event_or_404(event_id)
    form = GuestForm()
    if not form.validate_on_submit():
        return _render_list(event, form, 422)
    data = services.GuestData(name=" ".join(form.name.data.split()), email=services.normalise_email(form.email.data),
                              organisation=(form.organisation.data or "").strip(), role=(form.role.data or "").strip(),
                              field=(form.field.data or "").strip())
    try:
        attendee = services.add_guest(event, data, actor=current_user.actor, now=utcnow())
    except DomainError as error:
        form.email.errors = [error.message]
        return _render_list(event, form, 422)
    if attendee.status == AttendeeStatus.WAITLISTED:
        flash(f"The gathering is full: {attendee.name} is on the waitlist and was told so by email.", "warning")
    else:
        flash(f"{attendee.name} was added; their invitation is in the outbox.")
    return redirect(url_for("attendees.guest_list", event_id=event.id))


@bp.post("/events/<int:event_id>/guests/<int:attendee_id>/status")
@login_required
def change_status(event_id: int, attendee_id: int):
    """Approve, waitlist, decline or cancel a guest."""
    event = get_managed_event_or_404(event_id)
    attendee = get_attendee_or_404(event, attendee_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash("Choose a valid status change.", "error")
        return redirect(url_for("attendees.guest_list", event_id=event.id))
    try:
        promoted = services.organiser_change_status(event, attendee, form.action.data,
                                                    actor=current_user.actor, now=utcnow())
    except DomainError as error:
        return refuse(error, "attendees.guest_list", event_id=event.id)
    flash(f"{attendee.name} is now {attendee.status}.")
    for guest in promoted:
        flash(f"{guest.name} moved up from the waitlist and was offered the place by email.")
    return redirect(url_for("attendees.guest_list", event_id=event.id))


@bp.post("/events/<int:event_id>/guests/<int:attendee_id>/rotate")
@login_required
def rotate_link(event_id: int, attendee_id: int):
    """Replace a guest's personal link and email them the new one."""
    event = get_managed_event_or_404(event_id)
    attendee = get_attendee_or_404(event, attendee_id)
    services.rotate_link(attendee, actor=current_user.actor, now=utcnow())
    flash(f"{attendee.name} has a new personal link (emailed); the old one no longer works.")
    return redirect(url_for("attendees.guest_list", event_id=event.id))


@bp.get("/events/<int:event_id>/guests.csv")
@login_required
def export(event_id: int):
    """The guest list as a CSV download."""
    event = get_managed_event_or_404(event_id)
    body = export_csv(event, services.guest_rows(event.id))
    return download(body, f"{event.slug}-guests.csv", "text/csv")


def ics_response(event: Event) -> Response:
    return download(event_ics(event), ics_filename(event), "text/calendar")
