"""Organiser pages of the profiles feature: readiness, reminders and private notes on guests."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from eventkit.db import utcnow
from eventkit.events.access import get_managed_event_or_404
from eventkit.profiles import notes, services
from eventkit.profiles.blueprint import bp
from eventkit.profiles.forms import EmptyForm, NoteForm


@bp.app_template_global()
def profile_readiness(event):
    """Readiness counts of a gathering's guests who are still coming (for the event panel)."""
    return services.readiness(services.active_guests(event))


@bp.get("/events/<int:event_id>/notes")
@login_required
def organiser_notes(event_id):
    """Every guest of the gathering with their readiness and the organiser's own private note."""
    event = get_managed_event_or_404(event_id)
    guests = services.all_guests(event)
    coming = [guest for guest in guests if guest.is_coming]
    return render_template(
        "profiles/organiser_notes.html", event=event, guests=guests, summary=services.readiness(coming),
        notes=notes.organiser_notes_by_subject(current_user, event),
    )


@bp.route("/events/<int:event_id>/notes/<int:guest_id>", methods=["GET", "POST"])
@login_required
def organiser_note(event_id, guest_id):
    """Write or edit the organiser's private note about one guest of their gathering."""
    event = get_managed_event_or_404(event_id)
    guest = notes.event_guest_or_404(event, guest_id)
    note = notes.organiser_note(current_user, guest)
    form = NoteForm(obj=note)
    if form.validate_on_submit():
        notes.save_organiser_note(current_user, guest, form.body.data, form.starters.data, utcnow())
        flash(f"Your note on {guest.name} is saved. Only you can read it.", "success")
        return redirect(url_for("profiles.organiser_notes", event_id=event.id))
    back = url_for("profiles.organiser_notes", event_id=event.id)
    delete_url = url_for("profiles.delete_organiser_note", event_id=event.id, guest_id=guest.id)
    return render_template("profiles/organiser_note_form.html", event=event, subject=guest, note=note, form=form,
                           back=back, delete_url=delete_url), (422 if form.errors else 200)


@bp.post("/events/<int:event_id>/notes/<int:guest_id>/delete")
@login_required
def delete_organiser_note(event_id, guest_id):
    """Delete the organiser's own note about a guest."""
    event = get_managed_event_or_404(event_id)
    notes.delete_note(notes.organiser_note(current_user, notes.event_guest_or_404(event, guest_id)))
    flash("Note deleted.", "success")
    return redirect(url_for("profiles.organiser_notes", event_id=event.id))


@bp.post("/events/<int:event_id>/profiles/remind")
@login_required
def remind_unready(event_id):
    """Email every unready guest a reminder to finish their profile (at most once a day each)."""
    event = get_managed_event_or_404(event_id)
    if not EmptyForm().validate_on_submit():
        flash("The form expired; please try again.", "error")
        return redirect(url_for("profiles.organiser_notes", event_id=event.id))
    queued = services.remind_unready(event, current_user.actor, utcnow())
    if queued:
        flash(f"Reminder queued for {queued} guest{'s' if queued != 1 else ''}.", "success")
    else:
        flash("Nobody to remind: every unready guest has already had today's reminder, or everyone is ready.",
              "info")
    return redirect(url_for("events.show", event_id=event.id))
