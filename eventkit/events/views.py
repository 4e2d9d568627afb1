"""Views of the events feature: the organiser's gatherings."""
from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from eventkit.db import utcnow
from eventkit.downloads import download
from eventkit.errors import DomainError, refuse
from eventkit.events import lifecycle, services
from eventkit.events.access import get_managed_event_or_404
from eventkit.events.blueprint import bp
from eventkit.events.calendar import event_ics, ics_filename
from eventkit.events.forms import CoOrganiserForm, DeleteEventForm, EventForm, StatusForm, TagForm
from eventkit.events.models import TRANSITIONS, EventStatus
from eventkit.mail.claims import held_count


@bp.app_template_global()
def event_status_actions(event):
    """The status changes offered on the event page: (status, label, confirm) in a stable order."""
    current = EventStatus(event.status)
    targets = sorted(TRANSITIONS[current], key=list(EventStatus).index)
    return [(target, *lifecycle.status_button(event, target)) for target in targets]


@bp.get("/events/")
@login_required
def index():
    """The organiser's gatherings (own and co-organised), by start time."""
    rows = services.managed_events(current_user)
    return render_template("events/index.html", rows=rows, now=utcnow())


@bp.route("/events/new", methods=["GET", "POST"])
@login_required
def create():
    """Create a gathering (as a draft)."""
    form = EventForm()
    if not form.validate_on_submit():
        return render_template("events/form.html", form=form, event=None), 422 if form.is_submitted() else 200
    try:
        event = services.create_event(current_user, form.values())
    except DomainError as error:
        flash(error.message, "error")
        return render_template("events/form.html", form=form, event=None), 422
    flash("Gathering created as a draft. Add topic tags and guests, then open registration.", "info")
    return redirect(url_for("events.show", event_id=event.id))


@bp.get("/events/<int:event_id>")
@login_required
def show(event_id: int):
    """One gathering: its lifecycle stepper and next step, then the panels that matter in its phase first."""
    event = get_managed_event_or_404(event_id)
    return render_template("events/show.html", event=event, life=lifecycle.lifecycle(event, utcnow()),
                           tag_form=TagForm(), organiser_form=CoOrganiserForm())


@bp.get("/events/<int:event_id>/calendar.ics")
@login_required
def calendar(event_id: int):
    """Download the gathering as an .ics calendar file."""
    event = get_managed_event_or_404(event_id)
    return download(event_ics(event, now=utcnow()), ics_filename(event), "text/calendar")


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    """Edit a gathering's details and policies."""
    event = get_managed_event_or_404(event_id)
    form = EventForm(event=event)
    page = {"form": form, "event": event, "delete_form": DeleteEventForm(formdata=None)}
    if not form.validate_on_submit():
        return render_template("events/form.html", **page), 422 if form.is_submitted() else 200
    try:
        services.update_event(event, form.values(), current_user)
    except DomainError as error:
        flash(error.message, "error")
        return render_template("events/form.html", **page), 422
    flash("Changes saved.", "info")
    return redirect(url_for("events.show", event_id=event.id))


@bp.post("/events/<int:event_id>/delete")
@login_required
def delete(event_id: int):
    """Delete a draft gathering (owner only, title typed to confirm)."""
    event = get_managed_event_or_404(event_id)
    form = DeleteEventForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(next(iter(form.errors.values()))[0], "invalid", 422)
        title = services.delete_event(event, form.confirm_title.data, current_user)
    except DomainError as error:
        return refuse(error, "events.edit", event_id=event.id, _anchor="delete", _code=303)
    flash(f"Deleted “{title}” with its guest list.", "info")
    return redirect(url_for("events.index"), 303)


@bp.post("/events/<int:event_id>/status")
@login_required
def change_status(event_id: int):
    """Move the gathering to another status (only along the allowed transitions)."""
    event = get_managed_event_or_404(event_id)
    form = StatusForm()
    if not form.validate_on_submit():
        flash("Choose a status.", "error")
        return redirect(url_for("events.show", event_id=event.id))
    held = held_count(event.id) if event.status == EventStatus.DRAFT else 0
    try:
        services.change_status(event, form.status.data, current_user, now=utcnow())
    except DomainError as error:
        return refuse(error, "events.show", event_id=event.id)
    released = f" The {held} held {'email goes' if held == 1 else 'emails go'} out now." if held else ""
    flash(f"The gathering is now {event.status}.{released}", "info")
    return redirect(url_for("events.show", event_id=event.id))


@bp.post("/events/<int:event_id>/tags")
@login_required
def add_tags(event_id: int):
    """Add topic tags (comma separated)."""
    event = get_managed_event_or_404(event_id)
    form = TagForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(next(iter(form.errors.values()))[0])
        tags = services.add_tags(event, form.names.data, current_user)
    except DomainError as error:
        return refuse(error, "events.show", event_id=event.id, _anchor="tags")
    flash("Added " + ", ".join(f"“{tag.name}”" for tag in tags) + ".", "info")
    return redirect(url_for("events.show", event_id=event.id, _anchor="tags"))


@bp.post("/events/<int:event_id>/tags/<int:tag_id>/delete")
@login_required
def remove_tag(event_id: int, tag_id: int):
    """Remove a topic tag that no guest uses."""
    event = get_managed_event_or_404(event_id)
    try:
        tag = services.remove_tag(event, tag_id, current_user)
    except DomainError as error:
        return refuse(error, "events.show", event_id=event.id, _anchor="tags")
    flash(f"Removed “{tag.name}”.", "info")
    return redirect(url_for("events.show", event_id=event.id, _anchor="tags"))


@bp.post("/events/<int:event_id>/organisers")
@login_required
def add_organiser(event_id: int):
    """Add a co-organiser by the email of their organiser account."""
    event = get_managed_event_or_404(event_id)
    form = CoOrganiserForm()
    try:
        if not form.validate_on_submit():
            raise DomainError(next(iter(form.errors.values()))[0])
        organiser = services.add_co_organiser(event, form.email.data, current_user)
    except DomainError as error:
        return refuse(error, "events.show", event_id=event.id, _anchor="organisers")
    flash(f"{organiser.name} is now a co-organiser.", "info")
    return redirect(url_for("events.show", event_id=event.id, _anchor="organisers"))


@bp.post("/events/<int:event_id>/organisers/<int:organiser_id>/delete")
@login_required
def remove_organiser(event_id: int, organiser_id: int):
    """Remove a co-organiser (yourself included)."""
    event = get_managed_event_or_404(event_id)
    organiser = services.remove_co_organiser(event, organiser_id, current_user)
    flash(f"{organiser.name} is no longer a co-organiser.", "info")
    if organiser.id == current_user.id:
        return redirect(url_for("events.index"))
    return redirect(url_for("events.show", event_id=event.id, _anchor="organisers"))
