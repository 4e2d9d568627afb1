"""Views of the matching feature: the organiser's plan page and its actions, and the panels' data."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required
from wtforms import SelectChoice

from eventkit.db import utcnow
from eventkit.errors import DomainError, refuse
from eventkit.events.access import get_managed_event_or_404
from eventkit.matching import overview, second_person, services
from eventkit.matching.blueprint import bp
from eventkit.matching.forms import ConstraintForm, HeldForm, SettingsForm, SwapForm


@bp.app_template_global()
def matching_plan(event):
    """The event's plan (or None), for the organiser's event panel."""
    return services.get_plan(event)


@bp.app_template_global()
def matching_guest_conversations(event, attendee):
    """The guest's own conversations, once the plan is locked; [] before."""
    return services.conversations_of(event, attendee)


@bp.app_template_global()
def matching_guest_plan(event, attendee):
    """The guest's own conversations in the second person (partner cards), once the plan is locked; [] before."""
    return second_person.guest_plan(event, attendee)


def _actor() -> str:
    return f"organiser:{current_user.id}"


def _plan_url(event_id: int, anchor: str = "") -> str:
    return url_for("matching.show", event_id=event_id, _anchor=anchor or None)


def _guest_choices(event, guests=None) -> list[SelectChoice]:
    """The pickers' choices: every guest by name (`guests` when the caller has them loaded already)."""
    return [SelectChoice(g.id, g.name if g.is_expected else f"{g.name} ({g.status})")
            for g in (services.guests_by_name(event) if guests is None else guests)]


def _forms(event, plan, guests):
    settings = SettingsForm(prefix="settings", obj=plan) if plan else SettingsForm(
        prefix="settings", data={"rounds": 4, "round_minutes": 12, "per_guest_cap": 4, "odd_policy": "trio"})
    constraint = ConstraintForm(prefix="rule")
    swap = SwapForm(prefix="swap", data={"round": (plan.rounds_held + 1) if plan else 1})
    choices = _guest_choices(event, guests)
    for form in (constraint, swap):
        form.first.choices = form.second.choices = choices
    held = HeldForm(prefix="held", data={"rounds_held": plan.rounds_held if plan else 0})
    return {"settings_form": settings, "constraint_form": constraint, "swap_form": swap, "held_form": held}


def _render(event, status: int = 200, **forms):
    plan = services.get_plan(event)
    page = overview.plan_page(event, plan)
    context = _forms(event, plan, page.pop("guests_by_name"))
    context.update(forms)
    return render_template("matching/plan.html", event=event, plan=plan, **context, **page), status


@bp.get("/events/<int:event_id>/plan")
@login_required
def show(event_id: int):
    """The organiser's conversation plan: settings, rounds, guests, network, constraints."""
    return _render(get_managed_event_or_404(event_id))


@bp.post("/events/<int:event_id>/plan")
@login_required
def run(event_id: int):
    """Save the settings and (re-)plan the rounds not yet held."""
    event = get_managed_event_or_404(event_id)
    form = SettingsForm(prefix="settings")
    if not form.validate_on_submit():
        return _render(event, 422, settings_form=form)
    try:
        plan = services.replan(event, form.rounds.data, form.round_minutes.data, form.per_guest_cap.data,
                               form.odd_policy.data, utcnow(), actor=_actor())
    except DomainError as error:
        flash(error.message, "error")
        return _render(event, 422, settings_form=form)
    flash(f"Planned rounds {plan.rounds_held + 1} to {plan.rounds}.", "success")
    return redirect(_plan_url(event_id, "rounds"))


def _action(event_id: int, call, message: str, anchor: str = ""):
    event = get_managed_event_or_404(event_id)
    try:
        call(event)
    except DomainError as error:
        return refuse(error, "matching.show", event_id=event_id, _anchor=anchor or None)
    flash(message, "success")
    return redirect(_plan_url(event_id, anchor))


@bp.post("/events/<int:event_id>/plan/lock")
@login_required
def lock(event_id: int):
    """Lock the plan: guests see their conversations; no more re-planning until unlocked."""
    return _action(event_id, lambda e: services.set_locked(e, True, utcnow(), actor=_actor()),
                   "Plan locked; guests can see it now.")


@bp.post("/events/<int:event_id>/plan/unlock")
@login_required
def unlock(event_id: int):
    """Unlock the plan so it can change again (guests stop seeing it)."""
    return _action(event_id, lambda e: services.set_locked(e, False, utcnow(), actor=_actor()), "Plan unlocked.")


@bp.post("/events/<int:event_id>/plan/held")
@login_required
def held(event_id: int):
    """Record how many rounds have taken place; re-planning keeps those."""
    get_managed_event_or_404(event_id)
    form = HeldForm(prefix="held")
    if not form.validate_on_submit():
        flash("Enter a round number.", "error")
        return redirect(_plan_url(event_id))
    return _action(event_id, lambda e: services.mark_held(e, form.rounds_held.data, actor=_actor()),
                   f"Rounds 1 to {form.rounds_held.data} marked as held." if form.rounds_held.data
                   else "No round marked as held.")


@bp.post("/events/<int:event_id>/plan/swap")
@login_required
def swap(event_id: int):
    """Swap two guests' seats within one round."""
    event = get_managed_event_or_404(event_id)
    form = SwapForm(prefix="swap")
    form.first.choices = form.second.choices = _guest_choices(event)
    if not form.validate_on_submit():
        flash("Choose a round and two guests.", "error")
        return redirect(_plan_url(event_id, "adjust"))
    return _action(event_id, lambda e: services.swap_guests(e, form.round.data, form.first.data, form.second.data,
                                                       actor=_actor()),
                   "Guests swapped.", "rounds")


@bp.post("/events/<int:event_id>/plan/conversations/<int:conversation_id>/remove")
@login_required
def remove(event_id: int, conversation_id: int):
    """Remove one planned conversation."""
    get_managed_event_or_404(event_id)
    return _action(event_id, lambda e: services.remove_conversation(e, conversation_id, actor=_actor()),
                   "Conversation removed.", "rounds")


@bp.post("/events/<int:event_id>/plan/constraints")
@login_required
def add_constraint(event_id: int):
    """Add or change a never-pair / must-pair rule."""
    event = get_managed_event_or_404(event_id)
    form = ConstraintForm(prefix="rule")
    form.first.choices = form.second.choices = _guest_choices(event)
    if not form.validate_on_submit():
        return _render(event, 422, constraint_form=form)
    return _action(event_id, lambda e: services.add_constraint(e, form.first.data, form.second.data, form.kind.data,
                                                               form.note.data or "", actor=_actor()),
                   "Rule saved; re-plan to apply it.", "constraints")


@bp.post("/events/<int:event_id>/plan/constraints/<int:constraint_id>/delete")
@login_required
def delete_constraint(event_id: int, constraint_id: int):
    """Delete a pairing rule."""
    return _action(event_id, lambda e: services.remove_constraint(e, constraint_id, actor=_actor()),
                   "Rule deleted.", "constraints")
