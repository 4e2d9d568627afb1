"""Organiser views of the CSV import: upload, preview, confirm."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from eventkit.attendees import csv_io, imports, services
from eventkit.attendees.blueprint import bp
from eventkit.attendees.forms import ConfirmImportForm, ImportForm
from eventkit.attendees.models import Attendee
from eventkit.db import db, reading, utcnow
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
    """Parse the uploaded CSV and show what would be imported and what is wrong, line by line.

    It only reads, in a read-only transaction: parsing and checking 2,000 rows must not hold the
    SQLite write lock the door's check-ins need (a POST's transaction otherwise takes it).
    """
    with reading():
        return _preview_page(event_id)


def _preview_page(event_id: int):
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
    """Import every valid row of the preview at once (all or nothing) and queue the invitations.

    Checking the rows and rendering the invitations happen in a read-only transaction; the writes
    that follow take a few milliseconds, so the door's check-ins never wait long for them.
    """
    now = utcnow()
    plan, actor, messages = _plan_confirmed(event_id, now)
    # the page's messages and redirect are made before the write: the write lock ends with the request
    response = redirect(url_for("attendees.guest_list", event_id=event_id))
    imports.write_import(plan, actor=actor, now=now)
    for message in messages:
        flash(*message)
    return response


def _plan_confirmed(event_id: int, now) -> tuple[imports.ImportPlan, str, list[tuple[str, str]]]:
    """The import planned from the confirmed preview (read-only), who imports it, and what the page
    will say. A function of its own so that the parsed rows are freed when it returns, before the
    write lock, not in it."""
    with reading():
        event = get_managed_event_or_404(event_id)
        form = ConfirmImportForm()
        if not form.validate_on_submit():
            raise DomainError("This import preview is missing. Upload the file again.", "bad_payload")
        rows = csv_io.load_rows(event, form.payload.data)
        preview = csv_io.revalidate(rows, emails_on_list(event.id))
        plan = imports.plan_import(event, [data for _, data in preview.rows], now)
        actor = current_user.actor  # read here: after the block, reading it would start the write transaction
    waitlisted = sum(1 for guest in plan.guests if guest["status"] == "waitlisted")
    messages = [(f"{len(plan.guests)} guests imported; their invitations are in the outbox."
                 + (f" {waitlisted} of them are on the waitlist (the gathering is full)." if waitlisted else ""),
                 "message")]
    if preview.problems:
        messages.append((f"{len(preview.problems)} rows were skipped because they changed since the preview "
                         f"(line {', '.join(str(p.line) for p in preview.problems)}).", "warning"))
    return plan, actor, messages
