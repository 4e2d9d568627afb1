"""Guest views: connections, recording actions, logged encounters, one-click links (no session), unsubscribe."""
from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, request, url_for
from wtforms.fields.choices import SelectChoice

from eventkit.attendees.access import load_guest_or_403
from eventkit.attendees.models import Attendee
from eventkit.db import utcnow
from eventkit.errors import DomainError
from eventkit.followup import encounters, guest, links, rhythm, services
from eventkit.followup.blueprint import bp
from eventkit.followup.forms import ActionForm, EncounterForm, FadeForm, RhythmForm, SnoozeForm
from eventkit.followup.models import RHYTHMS, FollowUpTask
from eventkit.security import secret_page


@bp.app_template_global()
def followup_guest_summary(attendee: Attendee) -> dict:
    """Counts for the guest home panel."""
    data = guest.overview(attendee, utcnow())
    return {"connections": len(data.entries), "open": sum(len(e.open_tasks) for e in data.entries),
            "overdue": data.overdue, "pending": len(encounters.pending_for(attendee))}


def _encounter_form(attendee: Attendee) -> EncounterForm:
    form = EncounterForm(prefix="met")
    form.other_id.choices = [SelectChoice(0, "Choose a guest…")] + [
        SelectChoice(g.id, f"{g.name}{' · ' + g.organisation if g.organisation else ''}")
        for g in encounters.loggable_guests(attendee)]
    return form


def _card_forms(submitted: dict, focus: int | None):
    """Per-card form makers: each connection card gets its own field ids and names (prefix `c<id>`), and the
    card whose form was just refused shows that form again, with what the guest typed."""
    def action_form_for(connection_id: int) -> ActionForm:
        if connection_id == focus and submitted.get("action_form") is not None:
            return submitted["action_form"]
        return ActionForm(prefix=card_prefix(connection_id), formdata=None)

    def fade_form_for(connection_id: int) -> FadeForm:
        if connection_id == focus and submitted.get("fade_form") is not None:
            return submitted["fade_form"]
        return FadeForm(prefix=card_prefix(connection_id), formdata=None)
    return action_form_for, fade_form_for


def card_prefix(connection_id: int) -> str:
    return f"c{connection_id}"


def _render_page(event, attendee, status=200, **forms):
    data = guest.overview(attendee, utcnow())
    focus = forms.get("focus")
    action_form_for, fade_form_for = _card_forms(forms, focus)
    return render_template(
        "followup/connections.html", event=event, attendee=attendee, data=data, now=utcnow(),
        action_form_for=action_form_for, fade_form_for=fade_form_for,
        rhythm_form=RhythmForm(), rhythms=RHYTHMS,
        encounter_form=forms.get("encounter_form") or _encounter_form(attendee),
        pending=encounters.pending_for(attendee), conversations=guest.my_conversations(attendee),
        focus=focus), status


def _refusal_on_form(form, error: DomainError):
    """Show a refusal on the form itself (what the guest typed stays in it)."""
    form.form_errors.append(error.message)
    return error.status


@bp.get("/e/<slug>/connections")
def connections(slug: str):
    """The guest's connections, open follow-ups and history."""
    event, attendee = load_guest_or_403(slug)
    return _render_page(event, attendee, focus=request.args.get("focus", type=int))


@bp.post("/e/<slug>/connections/<int:connection_id>/actions")
def record_action(slug: str, connection_id: int):
    """Record a follow-up action on a connection."""
    event, attendee = load_guest_or_403(slug)
    services.connection_for(attendee, connection_id)  # 404 for someone else's, before reading the form
    form = ActionForm(prefix=card_prefix(connection_id))
    if not form.validate_on_submit():
        return _render_page(event, attendee, 422, action_form=form, focus=connection_id)
    try:
        services.record_action(attendee, connection_id, form.kind.data, form.note.data, utcnow())
    except DomainError as error:
        if error.status == 404:
            raise
        return _render_page(event, attendee, _refusal_on_form(form, error), action_form=form, focus=connection_id)
    flash("Recorded. Thank you for following up.", "success")
    return redirect(url_for("followup.connections", slug=slug))


@bp.post("/e/<slug>/connections/<int:connection_id>/fade")
def fade(slug: str, connection_id: int):
    """Close a connection as faded, with a reason."""
    event, attendee = load_guest_or_403(slug)
    services.connection_for(attendee, connection_id)
    form = FadeForm(prefix=card_prefix(connection_id))
    if not form.validate_on_submit():
        return _render_page(event, attendee, 422, fade_form=form, focus=connection_id)
    try:
        services.close_as_faded(attendee, connection_id, form.reason.data, utcnow())
    except DomainError as error:
        if error.status == 404:
            raise
        return _render_page(event, attendee, _refusal_on_form(form, error), fade_form=form, focus=connection_id)
    flash("Closed as faded. No more reminders for it.", "success")
    return redirect(url_for("followup.connections", slug=slug))


@bp.route("/e/<slug>/followup/tasks/<int:task_id>/snooze", methods=["GET", "POST"])
def snooze(slug: str, task_id: int):
    """Not now: snooze a follow-up for a week, a month or until a date (one click from the email)."""
    event, attendee = load_guest_or_403(slug)
    task = rhythm.own_open_task(attendee, task_id)
    form = SnoozeForm(choice=request.args.get("for") if request.args.get("for") in rhythm.SNOOZES else "week")
    if request.method == "POST":
        if form.validate_on_submit():
            now = utcnow()
            try:
                until = rhythm.snooze_until(form.choice.data, form.on_date.data, event, now)
            except DomainError as error:  # nothing was changed
                form.on_date.errors = [error.message]
            else:
                rhythm.snooze(attendee, task.id, until, now)
                flash(f"Snoozed: it comes back on {until:%d %b %Y}.", "success")
                return redirect(url_for("followup.connections", slug=slug, _anchor=f"connection-{task.connection_id}"))
        return render_template("followup/snooze.html", event=event, attendee=attendee, task=task, form=form), 422
    return render_template("followup/snooze.html", event=event, attendee=attendee, task=task, form=form)


@bp.post("/e/<slug>/connections/<int:connection_id>/rhythm")
def set_rhythm(slug: str, connection_id: int):
    """A deepened connection's stay-in-touch rhythm (or no reminders for this person)."""
    event, attendee = load_guest_or_403(slug)
    form = RhythmForm()
    if not form.validate_on_submit():
        flash("Choose a rhythm from the list.", "warning")
        return redirect(url_for("followup.connections", slug=slug))
    connection = services.connection_for(attendee, connection_id)
    rhythm.set_rhythm(attendee, connection, form.days.data, utcnow())
    flash(f"Stay-in-touch rhythm: {RHYTHMS[form.days.data].lower()}.", "success")
    return redirect(url_for("followup.connections", slug=slug, _anchor=f"connection-{connection_id}"))


@bp.post("/e/<slug>/encounters")
def log_encounter(slug: str):
    """Log someone met outside the plan; they confirm before it becomes a connection."""
    event, attendee = load_guest_or_403(slug)
    form = _encounter_form(attendee)
    if not form.validate_on_submit() or form.other_id.data == 0:
        if form.other_id.data == 0:
            form.other_id.errors = list(form.other_id.errors) + ["Choose who you met."]
        return _render_page(event, attendee, 422, encounter_form=form)
    try:
        encounter = encounters.log_encounter(attendee, form.other_id.data, form.note.data, utcnow())
    except DomainError as error:  # e.g. before the gathering starts: keep the note, say why
        return _render_page(event, attendee, _refusal_on_form(form, error), encounter_form=form)
    flash("Confirmed by both of you: you are now connected." if encounter.confirmed_at else
          f"Logged. We asked {encounter.other.name} to confirm.", "success")
    return redirect(url_for("followup.connections", slug=slug))


@bp.post("/e/<slug>/encounters/<int:encounter_id>/<any(confirm, decline):answer>")
def answer_encounter(slug: str, encounter_id: int, answer: str):
    """Confirm or decline an encounter someone else logged."""
    event, attendee = load_guest_or_403(slug)
    if answer == "confirm":
        encounters.confirm_encounter(attendee, encounter_id, utcnow())
        flash("Confirmed: you are connected.", "success")
    else:
        encounters.decline_encounter(attendee, encounter_id, utcnow())
        flash("Noted: no connection was made.", "success")
    return redirect(url_for("followup.connections", slug=slug))


@bp.post("/e/<slug>/conversations/<int:conversation_id>/not-held")
def not_held(slug: str, conversation_id: int):
    """Mark a planned conversation as one that didn't happen."""
    event, attendee = load_guest_or_403(slug)
    services.mark_not_held(attendee, conversation_id, utcnow())
    flash("Noted: that conversation didn't happen, so no connection comes from it.", "success")
    return redirect(url_for("followup.connections", slug=slug))


@bp.post("/e/<slug>/followup/reminders/<any(on, off):state>")
def reminders(slug: str, state: str):
    """Turn follow-up reminder emails on or off (for every gathering of this person)."""
    event, attendee = load_guest_or_403(slug)
    services.set_reminders_opt_out(attendee, state == "off")
    flash("Follow-up reminders are off. Your tasks still show here." if state == "off"
          else "Follow-up reminders are on again.", "success")
    return redirect(url_for("followup.connections", slug=slug))


def _one_click(slug: str, token: str):
    """The guest, purpose and target of a one-click link of this gathering; 404 for another gathering's."""
    attendee, purpose, target = links.read_token(token)
    if attendee.event.slug != slug:
        abort(404)
    if purpose == "task":
        target = services.task_for(attendee, target)
    elif purpose == "confirm":
        target = encounters.encounter_for(attendee, target)
    elif purpose == "nudge":
        target = services.connection_for(attendee, target)
    return attendee, purpose, target


@bp.get("/e/<slug>/followup/go/<token>")
def go(slug: str, token: str):
    """A one-click link from an email: the one form it is for. It signs nobody in."""
    attendee, purpose, target = _one_click(slug, token)
    chosen = request.args.get("for")
    page = render_template("followup/one_click.html", event=attendee.event, attendee=attendee, purpose=purpose,
                           target=target, token=token, action_form=ActionForm(), fade_form=FadeForm(),
                           snooze_form=SnoozeForm(choice=chosen if chosen in rhythm.SNOOZES else "week"),
                           mode=_mode())
    return secret_page(make_response(page))


def _mode() -> str:
    """What a task's one-click link was opened for: "act" (record an action), "fade" or "snooze"."""
    return request.args.get("do") if request.args.get("do") in ("fade", "snooze") else "act"


@bp.post("/e/<slug>/followup/go/<token>")
def go_do(slug: str, token: str):
    """Do the one thing a one-click link is for: record an action, snooze the task or close its
    connection, answer the encounter, record an action after a nudge, or stop reminders. Nothing
    else of the guest's opens from it."""
    attendee, purpose, target = _one_click(slug, token)
    if purpose == "task":
        return _do_task(attendee, target, token, _mode())
    if purpose == "nudge":
        return _do_nudge(attendee, target, token)
    if purpose == "confirm":
        return _done(attendee, _answer_encounter(attendee, target, request.args.get("answer") == "decline"))
    services.set_reminders_opt_out(attendee, True)
    return _done(attendee, "You will get no more follow-up reminders. Your tasks still show on your connections page.")


def _refused(attendee: Attendee, purpose: str, target, token: str, mode: str, **forms):
    """The one-click page again with what the guest chose and why it was refused (nothing changed)."""
    forms = {"action_form": ActionForm(), "fade_form": FadeForm(), "snooze_form": SnoozeForm(), **forms}
    page = render_template("followup/one_click.html", event=attendee.event, attendee=attendee, purpose=purpose,
                           target=target, token=token, mode=mode, **forms)
    return secret_page(make_response(page, 422))


def _do_task(attendee: Attendee, task: FollowUpTask, token: str, mode: str):
    if mode == "snooze":
        return _do_snooze(attendee, task, token)
    fade = mode == "fade"
    form = FadeForm() if fade else ActionForm()
    if not form.validate_on_submit():
        return _refused(attendee, "task", task, token, mode, **{"fade_form" if fade else "action_form": form})
    if fade:
        services.close_as_faded(attendee, task.connection_id, form.reason.data, utcnow())
        return _done(attendee, "Closed as faded. No more reminders for it.")
    services.record_action(attendee, task.connection_id, form.kind.data, form.note.data, utcnow())
    return _done(attendee, "Recorded. Thank you for following up.")


def _do_snooze(attendee: Attendee, task: FollowUpTask, token: str):
    form = SnoozeForm()
    if form.validate_on_submit():
        now = utcnow()
        try:
            until = rhythm.snooze_until(form.choice.data, form.on_date.data, attendee.event, now)
        except DomainError as error:  # nothing was changed
            form.on_date.errors = [error.message]
        else:
            rhythm.snooze(attendee, task.id, until, now)
            return _done(attendee, f"Snoozed: it comes back on {until:%d %b %Y}.")
    return _refused(attendee, "task", task, token, "snooze", snooze_form=form)


def _do_nudge(attendee: Attendee, connection, token: str):
    form = ActionForm()
    if not form.validate_on_submit():
        return _refused(attendee, "nudge", connection, token, "act", action_form=form)
    services.record_action(attendee, connection.id, form.kind.data, form.note.data, utcnow())
    return _done(attendee, "Recorded. Thank you for getting back in touch.")


def _answer_encounter(attendee: Attendee, encounter, decline: bool) -> str:
    if decline:
        encounters.decline_encounter(attendee, encounter.id, utcnow())
        return "Noted: no connection was made."
    encounters.confirm_encounter(attendee, encounter.id, utcnow())
    return "Confirmed: you are connected."


def _done(attendee: Attendee, message: str):
    page = render_template("followup/one_click_done.html", event=attendee.event, message=message)
    return secret_page(make_response(page))


@bp.route("/e/<slug>/followup/unsubscribe", methods=["GET", "POST"])
def unsubscribe(slug: str):
    """Stop follow-up reminder emails (one button, from the email's link)."""
    event, attendee = load_guest_or_403(slug)
    if request.method == "POST":
        services.set_reminders_opt_out(attendee, True)
        flash("You will get no more follow-up reminders. Your tasks still show on your connections page.", "success")
        return redirect(url_for("followup.connections", slug=slug))
    return render_template("followup/unsubscribe.html", event=event, attendee=attendee)
