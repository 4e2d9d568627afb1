"""Organiser views: the follow-up dashboard per gathering and across gatherings, CSV exports."""
from __future__ import annotations

from flask import Response, render_template
from flask_login import current_user, login_required
from sqlalchemy import func, or_, select

from eventkit.db import db, utcnow
from eventkit.events.access import get_managed_event_or_404
from eventkit.events.models import Event, EventOrganiser
from eventkit.followup import stats
from eventkit.followup.blueprint import bp
from eventkit.followup.models import FollowUpTask


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
            "overdue": db.session.scalar(open_tasks.where(FollowUpTask.due_at < now))}


@bp.get("/events/<int:event_id>/followup")
@login_required
def dashboard(event_id: int):
    """What deepened at one gathering."""
    event = get_managed_event_or_404(event_id)
    numbers = stats.compute(stats.load_rows([event.id]))
    return render_template("followup/dashboard.html", event=event, stats=numbers,
                           bars=stats.funnel_svg_bars(numbers.funnel), overdue=followup_event_summary(event)["overdue"])


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
    return render_template("followup/overview.html", stats=numbers, bars=stats.funnel_svg_bars(numbers.funnel),
                           events=events)


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
