"""Organiser pages: the gathering's messages, compose with preview, edit, cancel, the day-before switch."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from eventkit.db import utcnow
from eventkit.errors import DomainError, NotFound, refuse
from eventkit.events.access import get_managed_event_or_404
from eventkit.events.models import Event
from eventkit.messages import audiences, services
from eventkit.messages.blueprint import bp
from eventkit.messages.content import READY, listed_subject
from eventkit.messages.emails import ready_words
from eventkit.messages.forms import DayBeforeForm, MessageForm
from eventkit.messages.models import Message, Schedule, Template


@bp.app_template_global()
def messages_summary(event: Event) -> dict:
    """For the event page's panel: the next scheduled message and the day-before switch."""
    scheduled = [m for m in services.event_messages(event) if m.is_editable]
    return {"next": scheduled[0] if scheduled else None, "scheduled": len(scheduled),
            "day_before": services.day_before_on(event)}


@bp.app_template_filter("listed_subject")
def _listed_subject(subject: str, event: Event) -> str:
    """`{{ message.subject|listed_subject(event) }}`: see content.listed_subject."""
    return listed_subject(subject, event.title)


def _form(event: Event, message: Message | None = None) -> MessageForm:
    form = MessageForm()
    form.picked.choices = [SelectChoice(guest_id, label) for guest_id, label in audiences.guest_choices(event)]
    if request.method == "GET":
        _fill(form, event, message)
    return form


def _fill(form: MessageForm, event: Event, message: Message | None) -> None:
    """Start from the message being edited, or from the ready template asked for."""
    if message is not None:
        form.template.data, form.subject.data, form.body.data = message.template, message.subject, message.body
        form.audience.data, form.picked.data, form.schedule.data = message.audience, message.picked_ids, message.schedule
        form.hours.data = message.hours
        form.at.data = event.local(message.send_at).replace(tzinfo=None)
        return
    template = request.args.get("template", Template.CUSTOM)
    words = ready_words(template if template in set(READY) else Template.CUSTOM)
    form.template.data = template if template in set(READY) else Template.CUSTOM
    form.subject.data, form.body.data = words.subject, words.body
    form.audience.data, form.schedule.data, form.hours.data = words.audience, words.schedule, words.hours


def _draft(form: MessageForm) -> services.Draft:
    return services.Draft(subject=form.subject.data or "", body=form.body.data or "", audience=form.audience.data,
                          template=form.template.data or Template.CUSTOM, picked_ids=form.picked.data or [],
                          schedule=form.schedule.data, hours=form.hours.data, at=form.at.data)


def _expected(form: MessageForm) -> int | None:
    value = (form.expected.data or "").strip()
    return int(value) if value.isdigit() else None


def _compose_page(event: Event, form: MessageForm, message: Message | None, preview=None, error: str = "",
                  status: int = 200):
    now = utcnow()
    return render_template("messages/compose.html", event=event, form=form, message=message, preview=preview,
                           error=error, now=now, phase=services.phase(event, now), labels=audiences.LABELS,
                           no_show_offered=event.starts_at <= now), status


@bp.get("/events/<int:event_id>/messages")
@login_required
def index(event_id: int):
    """The gathering's messages (scheduled first) with each one's delivery, and the ready templates."""
    event = get_managed_event_or_404(event_id)
    switch = DayBeforeForm(on=services.day_before_on(event))
    return render_template("messages/index.html", event=event, messages=services.event_messages(event),
                           counts=services.delivery_counts(event), ready=READY, switch=switch,
                           labels=audiences.LABELS, now=utcnow())


@bp.route("/events/<int:event_id>/messages/new", methods=["GET", "POST"])
@login_required
def compose(event_id: int):
    """Write a message; "Preview" shows the exact audience, "Send"/"Schedule" saves it."""
    event = get_managed_event_or_404(event_id)
    return _submit(event, _form(event), None)


@bp.route("/events/<int:event_id>/messages/<int:message_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int, message_id: int):
    """Change a scheduled message until it goes."""
    event = get_managed_event_or_404(event_id)
    message = _message_or_404(event, message_id)
    if not message.is_editable:
        flash(f"This message was {message.status} already: it can no longer be changed.", "error")
        return redirect(url_for("messages.show", event_id=event.id, message_id=message.id))
    return _submit(event, _form(event, message), message)


def _submit(event: Event, form: MessageForm, message: Message | None):
    if request.method == "GET":
        return _compose_page(event, form, message)
    if not form.validate():
        return _compose_page(event, form, message, status=400)
    draft, now = _draft(form), utcnow()
    try:
        seen = services.preview(event, draft, now)
        if "preview" in request.form:
            form.expected.data = str(seen.count)
            return _compose_page(event, form, message, preview=seen)
        if message is None:
            saved = services.create(event, draft, f"organiser:{current_user.id}", now, _expected(form))
        else:
            saved = services.update(event, message.id, draft, f"organiser:{current_user.id}", now, _expected(form))
    except DomainError as error:
        if error.code in {"not_scheduled"}:
            return refuse(error, "messages.show", event_id=event.id, message_id=message.id)
        return _compose_page(event, form, message, error=error.message, status=error.status)
    if saved.schedule == Schedule.NOW:
        flash(f"Sent: {saved.queued} email{'s' if saved.queued != 1 else ''} queued in the outbox.", "success")
    else:
        flash(f"Scheduled for {event.local(saved.send_at):%a %d %b %Y, %H:%M} ({event.timezone}).", "success")
    return redirect(url_for("messages.show", event_id=event.id, message_id=saved.id))


def _message_or_404(event: Event, message_id: int) -> Message:
    try:
        return services.get_message(event, message_id)
    except NotFound:
        abort(404)


@bp.get("/events/<int:event_id>/messages/<int:message_id>")
@login_required
def show(event_id: int, message_id: int):
    """One message: its words, audience, schedule and, once sent, its emails' delivery."""
    event = get_managed_event_or_404(event_id)
    message = _message_or_404(event, message_id)
    return render_template("messages/show.html", event=event, message=message, labels=audiences.LABELS,
                           counts=services.delivery_counts(event).get(message.id), now=utcnow())


@bp.post("/events/<int:event_id>/messages/<int:message_id>/cancel")
@login_required
def cancel(event_id: int, message_id: int):
    event = get_managed_event_or_404(event_id)
    try:
        services.cancel(event, message_id, f"organiser:{current_user.id}", utcnow())
    except DomainError as error:
        return refuse(error, "messages.show", event_id=event.id, message_id=message_id)
    flash("Cancelled: it will not be sent.", "success")
    return redirect(url_for("messages.index", event_id=event.id))


@bp.post("/events/<int:event_id>/messages/day-before")
@login_required
def day_before(event_id: int):
    """The gathering's one switch for the automatic day-before reminder."""
    event = get_managed_event_or_404(event_id)
    form = DayBeforeForm()
    if not form.validate():
        abort(400)
    services.set_day_before(event, bool(form.on.data), f"organiser:{current_user.id}", utcnow())
    flash("The day-before reminder is " + ("on." if form.on.data else "off."), "success")
    return redirect(url_for("messages.index", event_id=event.id))
