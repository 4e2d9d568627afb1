"""The organiser's run of the evening (/events/<id>/live), screen links, and the room's screen."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user, login_required

from eventkit import secret_links
from eventkit.db import utcnow
from eventkit.errors import DomainError, refuse
from eventkit.events.access import get_managed_event_or_404
from eventkit.live import board, outcomes, repair, rounds, screens
from eventkit.live.blueprint import bp
from eventkit.live.conditional import POLL_MS, conditional_json, matches, not_modified
from eventkit.live.forms import ScreenLinkForm
from eventkit.security import SECRET_PAGE_HEADERS
from eventkit.urls import external_url_for

NEW_SCREEN_KEY = "live_new_screen_link"
TIMER_ACTIONS = {"start": rounds.start_round, "pause": rounds.pause_round, "resume": rounds.resume_round,
                 "end": rounds.end_round, "next": rounds.next_round}


@bp.app_template_global()
def live_event_summary(event) -> dict:
    """The event page panel: the round and its state."""
    state = rounds.get_state(event.id)
    return {"label": board.round_label(state, board.plan_rounds(event.id)), "state": state}


@bp.app_template_global()
def live_outcomes(event) -> outcomes.Outcomes:
    return outcomes.for_event(event)


@bp.app_template_global()
def live_suggestions(event) -> list[outcomes.Suggestion]:
    return outcomes.suggestions(event)


@bp.get("/events/<int:event_id>/live")
@login_required
def board_page(event_id: int):
    """The run of the evening: round and timer, arrived, unpaired and why, changes, next round's tables."""
    event = get_managed_event_or_404(event_id)
    return _render_board(event, ScreenLinkForm())


def _render_board(event, form, status: int = 200):
    now = utcnow()
    state = rounds.get_state(event.id)
    return render_template("live/board.html", event=event, board=board.organiser_board(event, state, now),
                           timer=board.timer(state, now), form=form, screens=screens.screen_links(event.id),
                           new_screen=secret_links.pop_new(NEW_SCREEN_KEY, event), outcomes=outcomes.for_event(event),
                           poll_ms=POLL_MS * 2), status


@bp.get("/events/<int:event_id>/live/state.json")
@login_required
def board_state(event_id: int):
    """The organiser page's poll: its version (round, timer, changes, arrivals)."""
    event = get_managed_event_or_404(event_id)
    state = rounds.get_state(event.id)
    arrived = len(repair.arrived_ids(event.id))
    return conditional_json({**board.timer(state, utcnow()), "arrived": arrived},
                        f"o{state.version if state else 0}-{arrived}")


def _timer_view(action: str):
    @login_required
    def view(event_id: int):
        event = get_managed_event_or_404(event_id)
        try:
            state = TIMER_ACTIONS[action](event, utcnow(), f"organiser:{current_user.id}")
        except DomainError as error:
            return refuse(error, "live.board_page", event_id=event.id)
        flash({"start": f"Round {state.round_no} started.", "pause": "Paused.", "resume": "Resumed.",
               "end": f"Round {state.round_no} ended.", "next": f"Round {state.round_no} started."}[action], "success")
        return redirect(url_for("live.board_page", event_id=event.id))

    view.__name__ = view.__qualname__ = f"timer_{action}"
    view.__doc__ = f"The round's timer: {action} (POST from the live page)."
    return view


for _action in TIMER_ACTIONS:  # live.timer_start, live.timer_pause, ... (one plain rule each)
    bp.add_url_rule(f"/events/<int:event_id>/live/{_action}", f"timer_{_action}", _timer_view(_action),
                    methods=["POST"])


@bp.post("/events/<int:event_id>/live/changes/<int:live_change_id>/undo")
@login_required
def undo(event_id: int, live_change_id: int):
    event = get_managed_event_or_404(event_id)
    try:
        state = rounds.state_for_update(event)
        change = repair.undo_change(event, state, live_change_id, utcnow(), f"organiser:{current_user.id}")
    except DomainError as error:
        return refuse(error, "live.board_page", event_id=event.id)
    flash(f"Undone: {change.summary}.", "success")
    return redirect(url_for("live.board_page", event_id=event.id))


@bp.post("/events/<int:event_id>/live/screens")
@login_required
def create_screen(event_id: int):
    event = get_managed_event_or_404(event_id)
    form = ScreenLinkForm()
    if not form.validate_on_submit():
        return _render_board(event, form, 422)
    try:
        link, secret = screens.create_screen_link(event, form.label.data, current_user)
    except DomainError as error:
        form.label.errors.append(error.message)
        return _render_board(event, form, error.status)
    secret_links.remember_new(NEW_SCREEN_KEY, link, external_url_for("live.screen", secret=secret),
                              screens.AUDIT_PREFIX)
    return redirect(url_for("live.board_page", event_id=event.id))


@bp.post("/events/<int:event_id>/live/screens/<int:screen_link_id>/revoke")
@login_required
def revoke_screen(event_id: int, screen_link_id: int):
    event = get_managed_event_or_404(event_id)
    link = screens.revoke_screen_link(event, screen_link_id, current_user, utcnow())
    flash(f"Screen link “{link.label}” revoked.", "success")
    return redirect(url_for("live.board_page", event_id=event.id))


# --- the room's screen, behind the organiser's login (same content as a screen link) --------------

@bp.get("/events/<int:event_id>/screen")
@login_required
def organiser_screen(event_id: int):
    """The room's screen for a signed-in organiser: no link to make, nothing to revoke."""
    event = get_managed_event_or_404(event_id)
    html = render_template("live/screen.html", data=board.screen_payload(event.id, utcnow()), poll_ms=POLL_MS,
                           poll_url=url_for("live.organiser_screen_state", event_id=event.id),
                           back_url=url_for("live.board_page", event_id=event.id))
    return html, 200, {"X-Robots-Tag": "noindex"}


@bp.get("/events/<int:event_id>/screen/state.json")
@login_required
def organiser_screen_state(event_id: int):
    """The organiser's screen poll: 304 while nothing changed, else the round and tables."""
    event = get_managed_event_or_404(event_id)
    state = rounds.get_state(event.id)
    etag = f"s{state.version if state else 0}"
    if matches(etag):
        return not_modified(etag)
    return conditional_json(board.screen_payload(event.id, utcnow()), etag)


# --- the room's screen (secret link, no account) -------------------------------------------------

@bp.get("/screen/<secret>")
def screen(secret: str):
    """The room's screen: round, time left and tables (first name and last initial), large type."""
    found = screens.screen_for_secret(secret)
    payload = board.screen_payload(found.event_id, utcnow())
    html = render_template("live/screen.html", data=payload, poll_ms=POLL_MS,
                           poll_url=url_for("live.screen_state", secret=secret))
    return html, 200, {**SECRET_PAGE_HEADERS, "X-Robots-Tag": "noindex"}


@bp.get("/screen/<secret>/state.json")
def screen_state(secret: str):
    """The screen's poll: 304 while nothing changed (one query), else the round and tables."""
    found = screens.screen_for_secret(secret)
    etag = f"s{found.version}"
    if matches(etag):
        return not_modified(etag)
    return conditional_json(board.screen_payload(found.event_id, utcnow()), etag)
