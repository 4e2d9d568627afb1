"""Organiser views of the CSV import: upload, preview, confirm."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from eventkit.attendees import csv_io, services
from eventkit.attendees.blueprint import bp
from eventkit.attendees.forms import ConfirmImportForm, ImportForm
from eventkit.attendees.models import Attendee
from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from eventkit.events.access import get_managed_event_or_404


def emails_on_list(event_id: int) -> set[str]:
    return set(db.session.scalars(select(Attendee.email).where(Attendee.event_id == event_id)))


@bp.get("/events/<int:event_id>/guests/import")
@login_required
def import_form(event_id: int):
    """The CSV upload form."""
    event = get_managed_event_or_404(event_id)
    return render_template("attendees/import.html", event=event, form=ImportForm())


@bp.post("/events/<int:event_id>/guests/import")
@login_required
def import_preview(event_id: int):
    """Parse the uploaded CSV and show what would be imported and what is wrong, line by line."""
    event = get_managed_event_or_404(event_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return render_template("attendees/import.html", event=event, form=form), 422
    try:
        text = csv_io.decode_upload(form.file.data.read(csv_io.max_import_bytes() + 1))
        preview = csv_io.parse_import(text, emails_on_list(event.id))
    except DomainError as error:
        form.file.errors = [error.message]
        return render_template("attendees/import.html", event=event, form=form), 422
    confirm = ConfirmImportForm(payload=csv_io.sign_rows(event, preview))
    return render_template("attendees/import_preview.html", event=event, preview=preview, confirm=confirm,
                           places_left=services.places_left(event))


@bp.post("/events/<int:event_id>/guests/import/confirm")
@login_required
def import_confirm(event_id: int):
    """Import every valid row of the preview in one transaction and queue the invitations."""
    event = get_managed_event_or_404(event_id)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        raise DomainError("This import preview is missing. Upload the file again.", "bad_payload")
    rows = csv_io.load_rows(event, form.payload.data)
    preview = csv_io.revalidate(rows, emails_on_list(event.id))
    added = services.add_guests(event, [data for _, data in preview.rows], actor=current_user.actor, now=utcnow())
    waitlisted = sum(1 for a in added if a.status == "waitlisted")
    flash(f"{len(added)} guests imported; their invitations are in the outbox."
          + (f" {waitlisted} of them are on the waitlist (the gathering is full)." if waitlisted else ""))
    if preview.problems:
        flash(f"{len(preview.problems)} rows were skipped because they changed since the preview "
              f"(line {', '.join(str(p.line) for p in preview.problems)}).", "warning")
    return redirect(url_for("attendees.guest_list", event_id=event.id))
