"""Organiser views of registration: settings and questions, applications to review, answers."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from eventkit.attendees.access import get_attendee_or_404
from eventkit.attendees.csv_io import register_export_columns
from eventkit.db import utcnow
from eventkit.downloads import safe_cell
from eventkit.errors import DomainError, refuse
from eventkit.events.access import get_managed_event_or_404
from eventkit.events.models import Event
from eventkit.mail.claims import held_count
from eventkit.registration import questions as question_service
from eventkit.registration import review, services
from eventkit.registration.blueprint import bp
from eventkit.registration.forms import QuestionForm, SettingsForm
from eventkit.registration.models import MODE_LABELS, RegistrationMode
from eventkit.registration.questions import QuestionData, event_questions, get_question_or_404, questions_locked


@bp.app_template_global()
def registration_summary(event: Event) -> dict:
    """For the event panel: the mode, applications awaiting review and emails held while a draft."""
    settings = services.settings_for(event.id)
    return {"mode": RegistrationMode(settings.mode), "mode_label": MODE_LABELS[RegistrationMode(settings.mode)],
            "applications": review.applications_count(event.id), "held": held_count(event.id)}


@bp.app_template_global()
def guest_answers(event: Event) -> dict:
    """For the guest list: the questions and {attendee id: {question id: values}} (two queries)."""
    return {"questions": event_questions(event.id), "by_guest": review.answers_by_guest(event.id)}


@bp.app_template_global()
def address_shown(event: Event, attendee) -> bool:
    """Whether this guest may see the venue's exact address."""
    return services.shows_address(event, services.settings_for(event.id), attendee)


@bp.app_template_global()
def one_guest_answers(attendee) -> dict:
    """For the organiser's page about one guest: the questions and that guest's answers."""
    return {"questions": event_questions(attendee.event_id), "given": review.answers_of(attendee.id)}


@bp.app_template_global()
def may_rejoin(attendee) -> bool:
    """Whether the guest page offers a declined guest "I can come after all"."""
    return review.may_rejoin(attendee)


def _answer_columns(event: Event, attendees: list) -> tuple[list[str], dict[int, list[str]]]:
    """The guest-list CSV's answer columns: one per question."""
    questions = event_questions(event.id)
    answers = review.answers_by_guest(event.id)
    return ([safe_cell(q.label) for q in questions],
            {a.id: [", ".join(answers.get(a.id, {}).get(q.id, [])) for q in questions] for a in attendees})


register_export_columns(_answer_columns)


def _settings_page(event: Event, settings_form: SettingsForm | None = None, question_form: QuestionForm | None = None,
                   status: int = 200):
    settings = services.settings_for(event.id)
    settings_form = settings_form or SettingsForm(formdata=None, obj=settings)
    return render_template(
        "registration/settings.html", event=event, settings=settings, settings_form=settings_form,
        question_form=question_form or QuestionForm(formdata=None), questions=event_questions(event.id),
        locked=questions_locked(event.id)), status


def _question_data(form: QuestionForm) -> QuestionData:
    return QuestionData(kind=form.kind.data, label=form.label.data or "", required=form.required.data,
                        options_text=form.options.data or "", profile_target=form.profile_target.data or "")


@bp.get("/events/<int:event_id>/registration")
@login_required
def settings(event_id: int):
    """How guests come in (invite only, RSVP, apply), the address rule and the questions."""
    return _settings_page(get_managed_event_or_404(event_id))


@bp.post("/events/<int:event_id>/registration")
@login_required
def save_settings(event_id: int):
    event = get_managed_event_or_404(event_id)
    form = SettingsForm()
    if not form.validate_on_submit():
        return _settings_page(event, settings_form=form, status=422)
    try:
        services.save_settings(event, form.mode.data, form.address_confirmed_only.data, form.area.data,
                               actor=current_user.actor)
    except DomainError as error:
        return refuse(error, "registration.settings", event_id=event.id)
    flash("Registration settings saved.", "info")
    return redirect(url_for("registration.settings", event_id=event.id))


@bp.post("/events/<int:event_id>/registration/questions")
@login_required
def add_question(event_id: int):
    event = get_managed_event_or_404(event_id)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _settings_page(event, question_form=form, status=422)
    try:
        question_service.add_question(event, _question_data(form), actor=current_user.actor)
    except DomainError as error:
        form.label.errors = [error.message]
        return _settings_page(event, question_form=form, status=error.status)
    flash("Question added.", "info")
    return redirect(url_for("registration.settings", event_id=event.id, _anchor="questions"))


@bp.route("/events/<int:event_id>/registration/questions/<int:question_id>", methods=["GET", "POST"])
@login_required
def edit_question(event_id: int, question_id: int):
    """Edit a question while nobody has answered."""
    event = get_managed_event_or_404(event_id)
    question = get_question_or_404(event, question_id)
    form = QuestionForm(obj=question) if request.method == "GET" else QuestionForm()
    if request.method == "GET":
        form.options.data = "\n".join(question.options)
    page = {"event": event, "question": question, "form": form, "locked": questions_locked(event.id)}
    if not form.validate_on_submit():
        return render_template("registration/question.html", **page), 422 if form.is_submitted() else 200
    try:
        question_service.update_question(event, question, _question_data(form), actor=current_user.actor)
    except DomainError as error:
        return refuse(error, "registration.settings", event_id=event.id, _anchor="questions")
    flash("Question saved.", "info")
    return redirect(url_for("registration.settings", event_id=event.id, _anchor="questions"))


@bp.post("/events/<int:event_id>/registration/questions/<int:question_id>/delete")
@login_required
def delete_question(event_id: int, question_id: int):
    event = get_managed_event_or_404(event_id)
    question = get_question_or_404(event, question_id)
    try:
        question_service.delete_question(event, question, actor=current_user.actor)
    except DomainError as error:
        return refuse(error, "registration.settings", event_id=event.id, _anchor="questions")
    flash("Question removed.", "info")
    return redirect(url_for("registration.settings", event_id=event.id, _anchor="questions"))


@bp.post("/events/<int:event_id>/registration/questions/<int:question_id>/move/<direction>")
@login_required
def move_question(event_id: int, question_id: int, direction: str):
    event = get_managed_event_or_404(event_id)
    question = get_question_or_404(event, question_id)
    try:
        question_service.move_question(event, question, direction)
    except DomainError as error:
        return refuse(error, "registration.settings", event_id=event.id, _anchor="questions")
    return redirect(url_for("registration.settings", event_id=event.id, _anchor="questions"))


@bp.get("/events/<int:event_id>/registration/applications")
@login_required
def applications(event_id: int):
    """Applications awaiting review, with their answers."""
    event = get_managed_event_or_404(event_id)
    return render_template("registration/applications.html", event=event,
                           applicants=review.applications(event.id), answers=guest_answers(event),
                           labels=review.DECISION_LABELS)


@bp.post("/events/<int:event_id>/registration/applications/<int:attendee_id>/<action>")
@login_required
def decide(event_id: int, attendee_id: int, action: str):
    """Approve, waitlist or decline one application (the applicant is told by email)."""
    event = get_managed_event_or_404(event_id)
    attendee = get_attendee_or_404(event, attendee_id)
    try:
        review.decide(event, attendee, action, actor=current_user.actor, now=utcnow())
    except DomainError as error:
        return refuse(error, "registration.applications", event_id=event.id)
    flash(f"{attendee.name} is now {attendee.status}; they were told by email.", "info")
    return redirect(url_for("registration.applications", event_id=event.id))


@bp.get("/events/<int:event_id>/registration/answers")
@login_required
def answers(event_id: int):
    """Every guest's answers, filtered by a question and a value it contains."""
    event = get_managed_event_or_404(event_id)
    found = guest_answers(event)
    question_id = request.args.get("question", type=int)
    if question_id not in {q.id for q in found["questions"]}:
        question_id = None
    value = (request.args.get("value") or "").strip()[:200]
    guests = [a for a in _guests(event) if review.matches(found["by_guest"].get(a.id, {}), question_id, value)]
    return render_template("registration/answers.html", event=event, guests=guests, answers=found,
                           question_id=question_id, value=value)


def _guests(event: Event) -> list:
    return review.guests_in_order(event.id)
