"""Guest pages of the profiles feature: profile, offers and seeks, directory, research, own data."""
from __future__ import annotations

import json

from flask import abort, flash, redirect, render_template, request, url_for

from eventkit.attendees.access import event_by_slug_or_404, load_guest_or_403
from eventkit.db import utcnow
from eventkit.downloads import download
from eventkit.errors import DomainError
from eventkit.profiles import directory, mydata, notes, services
from eventkit.profiles.blueprint import bp
from eventkit.profiles.forms import DeleteProfileForm, EditIntentForm, IntentForm, NoteForm, ProfileForm
from eventkit.profiles.models import MAX_INTENTS_PER_KIND


def coming_guest_or_403(slug: str):
    """Like `load_guest_or_403`, and 403 for guests who cancelled, declined or still await review (the directory is for those coming)."""
    event, attendee = load_guest_or_403(slug)
    if not attendee.is_coming:
        abort(403, "The directory and research pages are for guests who are coming to this gathering.")
    return event, attendee


@bp.app_template_global()
def profile_todo(attendee):
    """What a guest still has to do to be ready (for the guest home panel)."""
    return services.missing(attendee)


@bp.route("/e/<slug>/profile", methods=["GET", "POST"])
def edit_profile(slug):
    """The guest edits their own profile and directory consent."""
    event, attendee = load_guest_or_403(slug)
    form = ProfileForm(field_options=event.field_options or [])
    if request.method == "GET":
        form.fill_from(attendee)
    elif form.validate_on_submit():
        services.update_profile(attendee, form.values(), utcnow())
        flash("Your profile is saved.", "success")
        return redirect(url_for("profiles.edit_profile", slug=slug))
    return render_template("profiles/profile_form.html", event=event, attendee=attendee, form=form), (
        422 if form.errors else 200
    )


def _render_intents(event, attendee, form, status=200):
    intents = services.own_intents(attendee)
    return render_template(
        "profiles/intents.html", event=event, attendee=attendee, form=form, limit=MAX_INTENTS_PER_KIND,
        offers=[i for i in intents if i.kind == "offer"], seeks=[i for i in intents if i.kind == "seek"],
    ), status


@bp.get("/e/<slug>/intents")
def intents(slug):
    """The guest's offers and seeks, with a form to add one."""
    event, attendee = load_guest_or_403(slug)
    form = IntentForm(tags=event.tags, kind=request.args.get("kind", "offer"))
    return _render_intents(event, attendee, form)


@bp.post("/e/<slug>/intents")
def add_intent(slug):
    """Add an offer or a seek."""
    event, attendee = load_guest_or_403(slug)
    form = IntentForm(tags=event.tags)
    if form.validate_on_submit():
        try:
            services.add_intent(attendee, form.kind.data, form.tag_id.data, form.text.data, utcnow())
        except DomainError as error:
            form.form_errors.append(error.message)
        else:
            flash("Added.", "success")
            return redirect(url_for("profiles.intents", slug=slug))
    return _render_intents(event, attendee, form, 422)


@bp.route("/e/<slug>/intents/<int:intent_id>/edit", methods=["GET", "POST"])
def edit_intent(slug, intent_id):
    """Change the topic or words of one of the guest's own intents."""
    event, attendee = load_guest_or_403(slug)
    intent = services.get_own_intent_or_404(attendee, intent_id)
    form = EditIntentForm(tags=event.tags, obj=intent)
    if form.validate_on_submit():
        services.update_intent(attendee, intent, form.tag_id.data, form.text.data, utcnow())
        flash("Saved.", "success")
        return redirect(url_for("profiles.intents", slug=slug))
    return render_template("profiles/intent_form.html", event=event, attendee=attendee, form=form,
                           intent=intent), (422 if form.errors else 200)


@bp.post("/e/<slug>/intents/<int:intent_id>/delete")
def delete_intent(slug, intent_id):
    """Delete one of the guest's own intents."""
    _event, attendee = load_guest_or_403(slug)
    services.delete_intent(attendee, services.get_own_intent_or_404(attendee, intent_id), utcnow())
    flash("Deleted.", "success")
    return redirect(url_for("profiles.intents", slug=slug))


@bp.get("/e/<slug>/directory")
def directory_page(slug):
    """Listed guests of this gathering, filterable by field and topic, with offer/seek markers."""
    event, attendee = coming_guest_or_403(slug)
    field = request.args.get("field", "")[:80]
    tag_id = request.args.get("tag", type=int)
    entries, fields = directory.directory(attendee, field, tag_id)
    return render_template("profiles/directory.html", event=event, attendee=attendee, entries=entries,
                           fields=fields, field=field, tag_id=tag_id)


@bp.get("/e/<slug>/directory/<int:guest_id>")
def guest_profile(slug, guest_id):
    """One listed guest's profile, with the viewer's own private note about them."""
    event, attendee = coming_guest_or_403(slug)
    guest = directory.listed_guest_or_404(attendee, guest_id)
    entry = directory.entries_for(attendee, [guest])[0]
    note = notes.guest_note(attendee, guest)
    return render_template("profiles/guest_profile.html", event=event, attendee=attendee, entry=entry, note=note)


@bp.route("/e/<slug>/notes/<int:guest_id>", methods=["GET", "POST"])
def edit_note(slug, guest_id):
    """Write or edit the guest's private note and conversation starters about a listed guest."""
    event, attendee = coming_guest_or_403(slug)
    guest = directory.listed_guest_or_404(attendee, guest_id)
    note = notes.guest_note(attendee, guest)
    form = NoteForm(obj=note)
    if form.validate_on_submit():
        notes.save_guest_note(attendee, guest, form.body.data, form.starters.data, utcnow())
        flash("Your note is saved. Only you can read it.", "success")
        return redirect(url_for("profiles.guest_profile", slug=slug, guest_id=guest.id))
    return render_template("profiles/note_form.html", event=event, attendee=attendee, subject=guest, note=note,
                           form=form, back=url_for("profiles.guest_profile", slug=slug, guest_id=guest.id),
                           delete_url=url_for("profiles.delete_note", slug=slug, guest_id=guest.id)), (
        422 if form.errors else 200
    )


@bp.post("/e/<slug>/notes/<int:guest_id>/delete")
def delete_note(slug, guest_id):
    """Delete the guest's own note about a listed guest."""
    _event, attendee = coming_guest_or_403(slug)
    guest = directory.listed_guest_or_404(attendee, guest_id)
    notes.delete_note(notes.guest_note(attendee, guest))
    flash("Note deleted.", "success")
    return redirect(url_for("profiles.research", slug=slug))


@bp.get("/e/<slug>/research")
def research(slug):
    """My research: guests I have notes on, and listed guests offering what I seek that I have not looked at."""
    event, attendee = coming_guest_or_403(slug)
    return render_template("profiles/research.html", event=event, attendee=attendee,
                           research=directory.my_research(attendee))


@bp.get("/e/<slug>/my-data.json")
def export_data(slug):
    """Download everything eventkit holds about the signed-in guest, as JSON."""
    event, attendee = load_guest_or_403(slug)
    body = json.dumps(mydata.export_data(attendee), indent=2, ensure_ascii=False)
    return download(body, f"eventkit-{event.slug}-my-data.json", "application/json",
                    headers={"Cache-Control": "no-store"})


@bp.route("/e/<slug>/profile/delete", methods=["GET", "POST"])
def delete_profile(slug):
    """Confirm, then erase the guest's data (all but what the guest list keeps) and sign them out."""
    event, attendee = load_guest_or_403(slug)
    form = DeleteProfileForm()
    if form.validate_on_submit():
        mydata.delete_profile_data(attendee, utcnow())
        return redirect(url_for("profiles.profile_deleted", slug=slug))
    return render_template("profiles/delete_profile.html", event=event, attendee=attendee, form=form,
                           kept=mydata.KEPT), (422 if form.errors else 200)


@bp.get("/e/<slug>/profile/deleted")
def profile_deleted(slug):
    """What a deletion erased and kept (the same for anyone: the guest is signed out by then)."""
    event = event_by_slug_or_404(slug)
    return render_template("profiles/profile_deleted.html", event=event, kept=mydata.KEPT)
