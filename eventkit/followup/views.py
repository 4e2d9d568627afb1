"""Organiser views: the follow-up dashboard per gathering and across gatherings, CSV exports."""
from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from eventkit.db import db, utcnow
from eventkit.errors import DomainError, NotFound
from eventkit.events.access import get_managed_event_or_404
from eventkit.events.models import Event, EventOrganiser
from eventkit.followup import losing_touch, stats
from eventkit.followup.blueprint import bp
from eventkit.followup.models import FollowUpTask, TaskKind

#: how many quiet connections the dashboards' losing-touch panel shows
PANEL_SIZE = 5


def managed_event_ids() -> list[int]:
    """Gatherings the signed-in organiser owns or co-organises."""
    co = select(EventOrganiser.event_id).where(EventOrganiser.organiser_id == current_user.id)
    return list(db.session.scalars(select(Event.id).where(or_(Event.owner_id == current_user.id, Event.id.in_(co)))))


@bp.app_template_global()
def followup_event_summary(event: Event) -> dict:
    """Counts for the organiser's event panel: connections, open and overdue tasks."""
    now = utcnow()
    open_tasks = select(func.count()).where(FollowUpTask.event_id == event.id, FollowUpTask.done_at.is_(None))
    return {"open": db.session.scalar(open_tasks),
            "overdue": db.session.scalar(open_tasks.where(FollowUpTask.due_at < now, FollowUpTask.kind != TaskKind.STAY))}


@bp.get("/events/<int:event_id>/followup")
@login_required
def dashboard(event_id: int):
    """What deepened at one gathering."""
    event = get_managed_event_or_404(event_id)
    numbers = stats.compute(stats.load_rows([event.id]))
    quiet = losing_touch.losing_touch([event.id], utcnow())
    return render_template("followup/dashboard.html", event=event, stats=numbers,
                           bars=stats.funnel_svg_bars(numbers.funnel), overdue=followup_event_summary(event)["overdue"],
                           quiet=quiet[:PANEL_SIZE], quiet_total=len(quiet), now=utcnow())


@bp.get("/followup")
@login_required
def overview():
    """What deepened across all the organiser's gatherings."""
    rows = stats.load_rows(managed_event_ids())
    numbers = stats.compute(rows)
    per_event: dict[int, list] = {}
    for row in rows:
        per_event.setdefault(row.event.id, []).append(row)
    events = [(event_rows[0].event, stats.compute(event_rows)) for event_rows in per_event.values()]
    quiet = losing_touch.losing_touch(managed_event_ids(), utcnow())
    return render_template("followup/overview.html", stats=numbers, bars=stats.funnel_svg_bars(numbers.funnel),
                           events=events, quiet=quiet[:PANEL_SIZE], quiet_total=len(quiet), now=utcnow())


@bp.get("/followup/losing-touch")
@login_required
def losing_touch_page():
    """Connections across the organiser's gatherings quiet for longer than their rhythm, longest first."""
    return render_template("followup/losing_touch.html", quiet=losing_touch.losing_touch(managed_event_ids(), utcnow()),
                           now=utcnow())


@bp.post("/followup/losing-touch/<int:connection_id>/nudge")
@login_required
def nudge(connection_id: int):
    """Email both people of a quiet connection (at most once per connection per 30 days)."""
    try:
        item = losing_touch.nudge_both(managed_event_ids(), connection_id, current_user.actor, utcnow())
    except NotFound:
        abort(404)
    except DomainError as error:
        flash(error.message, "warning")
    else:
        flash(f"Nudged {item.low.name} and {item.high.name}: the emails are in the outbox.", "success")
    event_id = request.form.get("event_id", type=int)
    if event_id:
        return redirect(url_for("followup.dashboard", event_id=event_id, _anchor="losing-touch"))
    return redirect(url_for("followup.losing_touch_page"))


def _csv_response(body: str, filename: str) -> Response:
    return Response(body, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/events/<int:event_id>/followup/connections.csv")
@login_required
def connections_csv(event_id: int):
    """CSV of the gathering's connections."""
    event = get_managed_event_or_404(event_id)
    return _csv_response(stats.connections_csv(stats.load_rows([event.id])), f"{event.slug}-connections.csv")


@bp.get("/events/<int:event_id>/followup/actions.csv")
@login_required
def actions_csv(event_id: int):
    """CSV of the actions recorded on the gathering's connections."""
    event = get_managed_event_or_404(event_id)
    return _csv_response(stats.actions_csv(stats.load_rows([event.id])), f"{event.slug}-actions.csv")
