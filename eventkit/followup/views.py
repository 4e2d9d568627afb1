"""Organiser views: the follow-up dashboard per gathering and across gatherings, CSV exports."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from eventkit.db import utcnow
from eventkit.downloads import download
from eventkit.errors import DomainError, NotFound
from eventkit.events.access import get_managed_event_or_404
from eventkit.events.models import Event
from eventkit.events.services import managed_event_ids
from eventkit.followup import losing_touch, stats
from eventkit.followup.blueprint import bp

#: how many quiet connections the dashboards' losing-touch panel shows
PANEL_SIZE = 5


@bp.app_template_global()
def followup_event_summary(event: Event) -> dict:
    """Counts for the organiser's event panel: connections, open and overdue tasks."""
    return stats.task_counts(event.id, utcnow())


@bp.get("/events/<int:event_id>/followup")
@login_required
def dashboard(event_id: int):
    """What deepened at one gathering."""
    event = get_managed_event_or_404(event_id)
    links = stats.link_rows([event.id])  # shared by the numbers and the losing-touch panel
    numbers = stats.compute(stats.load_rows([event.id], links, live_priorities=True))
    quiet = losing_touch.losing_touch([event.id], utcnow(), links)
    return render_template("followup/dashboard.html", event=event, stats=numbers,
                           overdue=followup_event_summary(event)["overdue"],
                           quiet=quiet[:PANEL_SIZE], quiet_total=len(quiet), now=utcnow())


@bp.get("/followup")
@login_required
def overview():
    """What deepened across all the organiser's gatherings."""
    event_ids = managed_event_ids(current_user)
    links = stats.link_rows(event_ids) if event_ids else []  # shared by the numbers and the losing-touch panel
    rows = stats.load_rows(event_ids, links)
    numbers = stats.compute(rows)
    per_event: dict[int, list] = {}
    for row in rows:
        per_event.setdefault(row.event.id, []).append(row)
    events = [(event_rows[0].event, stats.compute(event_rows)) for event_rows in per_event.values()]
    quiet = losing_touch.losing_touch(event_ids, utcnow(), links)
    return render_template("followup/overview.html", stats=numbers,
                           events=events, quiet=quiet[:PANEL_SIZE], quiet_total=len(quiet), now=utcnow())


@bp.get("/followup/losing-touch")
@login_required
def losing_touch_page():
    """Connections across the organiser's gatherings quiet for longer than their rhythm, longest first."""
    return render_template("followup/losing_touch.html", quiet=losing_touch.losing_touch(managed_event_ids(current_user), utcnow()),
                           now=utcnow())


@bp.post("/followup/losing-touch/<int:connection_id>/nudge")
@login_required
def nudge(connection_id: int):
    """Email both people of a quiet connection (at most once per connection per 30 days)."""
    try:
        item = losing_touch.nudge_both(managed_event_ids(current_user), connection_id, current_user.actor, utcnow())
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


@bp.get("/events/<int:event_id>/followup/connections.csv")
@login_required
def connections_csv(event_id: int):
    """CSV of the gathering's connections."""
    event = get_managed_event_or_404(event_id)
    return download(stats.connections_csv(stats.load_rows([event.id])), f"{event.slug}-connections.csv",
                    "text/csv")


@bp.get("/events/<int:event_id>/followup/actions.csv")
@login_required
def actions_csv(event_id: int):
    """CSV of the actions recorded on the gathering's connections."""
    event = get_managed_event_or_404(event_id)
    return download(stats.actions_csv(stats.load_rows([event.id])), f"{event.slug}-actions.csv", "text/csv")
