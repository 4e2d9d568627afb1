"""The guest's phone during the gathering: /e/<slug>/now, its poll, and the taps after each round."""
from __future__ import annotations

from flask import flash, redirect, render_template, session, url_for
from sqlalchemy import and_, bindparam, select

from eventkit.attendees.access import SESSION_KEY, load_guest_or_403
from eventkit.attendees.models import Attendee
from eventkit.db import db, utcnow
from eventkit.errors import DomainError, refuse
from eventkit.events.models import Event
from eventkit.live import board, outcomes, repair, rounds, taps
from eventkit.live.blueprint import bp
from eventkit.live.conditional import POLL_MS, conditional_json, matches, not_modified
from eventkit.live.forms import TapForm
from eventkit.live.models import LiveState
from eventkit.matching.models import Plan

#: the gathering's figures show on guests' pages from this many answered conversations on (so that
#: nobody can work out one partner's answer from them)
GUEST_OUTCOMES_FROM = 10
_events, _states, _guests = Event.__table__, LiveState.__table__, Attendee.__table__
GUEST_VERSION = (
    select(_events.c.id, _states.c.version, _guests.c.id.label("attendee_id"), _guests.c.session_version,
           _guests.c.checked_in_at)
    .select_from(_events)
    .join(_guests, and_(_guests.c.event_id == _events.c.id, _guests.c.id.in_(bindparam("ids", expanding=True))))
    .outerjoin(_states, _states.c.event_id == _events.c.id)
    .where(_events.c.slug == bindparam("slug"))
)


@bp.app_template_global()
def live_guest_summary(event, attendee) -> dict:
    """The guest home panel: whether the evening runs, and the follow-ups they marked first."""
    state = rounds.get_state(event.id)
    figures = outcomes.for_event(event) if state is not None else None
    shown = figures if figures is not None and figures.total.answered >= GUEST_OUTCOMES_FROM else None
    return {"state": state, "first": taps.follow_up_first(attendee), "outcomes": shown}


def _etag_for(slug: str) -> str | None:
    """The poll's ETag from one query, or None when this browser has no guest session for `slug`."""
    entries = session.get(SESSION_KEY, {})
    ids = [entry[0] for entry in entries.values() if entry]
    if not ids:
        return None
    for row in db.session.connection().execute(GUEST_VERSION, {"slug": slug, "ids": ids}):
        entry = entries.get(str(row.id))
        if entry and entry[0] == row.attendee_id and entry[1] == row.session_version:
            return f"g{row.version or 0}-{row.attendee_id}-{int(row.checked_in_at is not None)}"
    return None


def _payload(event, attendee) -> dict:
    now = utcnow()
    state = rounds.get_state(event.id)
    view = board.guest_now(event, attendee, state, now)
    return {**board.timer(state, now), "rounds": view.rounds, "headline": view.headline, "detail": view.detail,
            "next": view.next, "table": view.table, "to_answer": len(view.to_answer),
            "label": board.round_label(state, view.rounds)}


@bp.get("/e/<slug>/now")
def now_page(slug: str):
    """Now, next and the QR code, in the second person; updates itself by polling."""
    event, attendee = load_guest_or_403(slug)
    now = utcnow()
    state = rounds.get_state(event.id)
    view = board.guest_now(event, attendee, state, now)
    return render_template("live/now.html", event=event, attendee=attendee, view=view,
                           timer=board.timer(state, now), poll_ms=POLL_MS, form=TapForm(),
                           label=board.round_label(state, view.rounds),
                           poll_url=url_for("live.now_state", slug=slug))


@bp.get("/e/<slug>/now.json")
def now_state(slug: str):
    """The phone's poll: 304 from one query while nothing changed for this guest."""
    etag = _etag_for(slug)
    if etag is not None and matches(etag):
        return not_modified(etag)
    event, attendee = load_guest_or_403(slug)
    return conditional_json(_payload(event, attendee), etag or "")


@bp.post("/e/<slug>/now/conversations/<int:conversation_id>/tap")
def tap(slug: str, conversation_id: int):
    """One tap after the round: met or not there, worth it, follow up (the first answer stands)."""
    event, attendee = load_guest_or_403(slug)
    form = TapForm()
    if not form.validate_on_submit():
        flash("Say whether you met (and, if you like, whether it was worth it).", "error")
        return redirect(url_for("live.now_page", slug=slug))
    follow_up = {"yes": True, "no": False}.get(form.follow_up.data or "")
    try:
        _tap, recorded = taps.record_tap(attendee, rounds.get_state(event.id), conversation_id,
                                         form.outcome.data == "met", form.worth.data or "", follow_up, utcnow())
    except DomainError as error:
        return refuse(error, "live.now_page", slug=slug)
    flash("Thanks, noted." if recorded else "You already answered about this conversation.", "success")
    return redirect(url_for("live.now_page", slug=slug))


@bp.post("/e/<slug>/now/conversations/<int:conversation_id>/not-here")
def not_here(slug: str, conversation_id: int):
    """"They are not here" during the round: a new partner if someone arrived is free."""
    event, attendee = load_guest_or_403(slug)
    try:
        plan = db.session.scalars(select(Plan).where(Plan.event_id == event.id)).first()
        if plan is None:
            raise DomainError("The conversations have not started yet.", "no_plan", 409)
        state = rounds.state_for_update(event)
        new = repair.not_here(event, plan, state, attendee, conversation_id, utcnow())
    except DomainError as error:
        return refuse(error, "live.now_page", slug=slug)
    if new is None:
        flash("Noted. Nobody is free right now; the organiser sees that you are.", "success")
    else:
        flash(f"New partner: table {new.table_no}.", "success")
    return redirect(url_for("live.now_page", slug=slug))
