"""Downloads of briefings (guest and organiser), the run-sheet, and emailing briefings to guests."""
from __future__ import annotations

from flask import Response, flash, jsonify, redirect, request, url_for
from flask_login import current_user, login_required
from sqlalchemy import select

from eventkit.attendees.access import get_attendee_or_404, load_guest_or_403
from eventkit.attendees.models import Attendee
from eventkit.briefings import content, emailing, jobs, services
from eventkit.briefings.blueprint import bp
from eventkit.briefings.forms import EmailBriefingsForm
from eventkit.db import db, utcnow
from eventkit.downloads import download
from eventkit.events.access import get_managed_event_or_404
from eventkit.events.models import Event
from eventkit.jobs.services import request_job
from eventkit.matching.models import Plan


def _pdf(data: bytes, name: str, inline: bool = False) -> Response:
    return download(data, name, "application/pdf", inline=inline,
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


def _paper() -> services.Paper:
    return services.paper_for(request.values.get("paper"))


@bp.app_template_global()
def briefing_offered(attendee: Attendee) -> bool:
    """Whether the guest's page offers their briefing: a place, and a plan they can see."""
    return content.guest_may_download(attendee)


@bp.get("/e/<slug>/briefing.pdf")
def guest_download(slug: str):
    """The signed-in guest's own briefing."""
    event, attendee = load_guest_or_403(slug)
    pdf = services.own_briefing(attendee, _paper())
    return _pdf(pdf, services.filename(event), inline=request.args.get("view") == "1")


@bp.get("/events/<int:event_id>/briefings/<int:attendee_id>.pdf")
@login_required
def organiser_guest_download(event_id: int, attendee_id: int):
    """Any guest's briefing of the organiser's event (404 for other events' guests), without their notes
    unless they chose to have them printed."""
    event = get_managed_event_or_404(event_id)
    attendee = get_attendee_or_404(event, attendee_id)
    return _pdf(services.guest_briefing(attendee, _paper(), own_copy=False), services.filename(event, attendee.id))


@bp.post("/events/<int:event_id>/briefings/pack")
@login_required
def request_pack(event_id: int):
    """Queue the print pack for the worker (or join the same one under way); show its progress."""
    return _queue_download(event_id, jobs.PACK)


@bp.post("/events/<int:event_id>/briefings/run-sheet")
@login_required
def request_run_sheet(event_id: int):
    """Queue the run-sheet for the worker (or join the same one under way); show its progress."""
    return _queue_download(event_id, jobs.RUN_SHEET)


@bp.post("/events/<int:event_id>/briefings/each")
@login_required
def request_each(event_id: int):
    """Queue every guest's briefing as a ZIP for the worker (or join the same one under way)."""
    return _queue_download(event_id, jobs.EACH)


def _queue_download(event_id: int, kind: str):
    """The job's page, where the file is offered when it is ready."""
    event = get_managed_event_or_404(event_id)
    job = request_job(event, kind, {"paper": _paper().key}, actor=current_user.actor, now=utcnow())
    return redirect(url_for("jobs.job_page", event_id=event.id, job_id=job.id), 303)


@bp.post("/events/<int:event_id>/briefings/email")
@login_required
def email_all(event_id: int):
    """Queue every expected guest's briefing email; the mail sender makes the PDFs as it sends them."""
    event = get_managed_event_or_404(event_id)
    form = EmailBriefingsForm()
    if not form.validate_on_submit():
        flash("Choose A4 or US Letter and try again.", "error")
        return redirect(_event_page(event), 303)
    queued, skipped = emailing.email_briefings(event, services.paper_for(form.paper.data))
    if skipped:
        flash(f"Not emailed, as their address is not a valid one (correct it on the guest list, then email "
              f"again): {', '.join(skipped)}.", "warning")
    if queued:
        flash(f"Queued {queued} briefing email(s). Each PDF is made as its email is sent; "
              "progress shows in the briefings panel.", "success")
    else:
        flash("Every guest already has this plan's briefing queued or sent.")
    return redirect(_event_page(event), 303)


@bp.get("/events/<int:event_id>/briefings/email/status")
@login_required
def email_status(event_id: int):
    """How many of the current plan's briefing emails are queued, sent and failed (JSON, polled by the panel)."""
    event = get_managed_event_or_404(event_id)
    response = jsonify(emailing.email_status(event.id))
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _event_page(event: Event) -> str:
    return url_for("events.show", event_id=event.id, _anchor="briefings")


@bp.app_template_global()
def briefings_overview(event: Event) -> dict:
    """For the organiser's panel: the guests to download for and whether the plan is locked."""
    guests = db.session.scalars(
        select(Attendee).where(Attendee.event_id == event.id).order_by(Attendee.name, Attendee.id)
    ).all()
    plan = db.session.scalars(select(Plan).where(Plan.event_id == event.id)).first()
    locked = bool(plan and plan.is_locked)
    return {
        "guests": [g for g in guests if services.content.may_have_briefing(g)],
        "locked": locked,
        "papers": services.PAPERS.values(),
        "form": EmailBriefingsForm(),
        "emails": emailing.email_status(event.id) if locked else None,
        "downloads": [("briefings.request_pack", "Print pack"), ("briefings.request_run_sheet", "Run-sheet"),
                      ("briefings.request_each", "Every guest's briefing (ZIP)")],
    }
