"""The organiser's view of a job: its progress, then its file; a Retry button when it failed."""
from __future__ import annotations

from flask import flash, jsonify, redirect, render_template, url_for
from flask_login import current_user, login_required

from eventkit.db import utcnow
from eventkit.downloads import download
from eventkit.events.access import get_managed_event_or_404
from eventkit.jobs import services
from eventkit.jobs.blueprint import bp
from eventkit.jobs.models import Job
from eventkit.jobs.runner import kind_of


def progress_text(job: Job) -> str:
    """e.g. "32 of 80 guests" (empty until the worker has counted)."""
    return f"{job.done} of {job.total} {job.unit}" if job.total else ""


@bp.get("/events/<int:event_id>/jobs/<int:job_id>")
@login_required
def job_page(event_id: int, job_id: int):
    """The job's progress (the page reloads itself while the job is under way), then its file."""
    event = get_managed_event_or_404(event_id)
    job = services.get_event_job(event, job_id)
    return render_template("jobs/job.html", event=event, job=job, kind=kind_of(job.kind),
                           progress=progress_text(job), has_file=job.has_file(utcnow()))


@bp.get("/events/<int:event_id>/jobs/<int:job_id>/status")
@login_required
def job_status(event_id: int, job_id: int):
    """The job's state as JSON, for scripts and pages that poll it."""
    event = get_managed_event_or_404(event_id)
    job = services.get_event_job(event, job_id)
    has_file = job.has_file(utcnow())
    response = jsonify({
        "status": job.status, "done": job.done, "total": job.total, "unit": job.unit,
        "progress": progress_text(job), "error": job.error,
        "file_url": url_for("jobs.job_file", event_id=event.id, job_id=job.id) if has_file else None,
    })
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/events/<int:event_id>/jobs/<int:job_id>/file")
@login_required
def job_file(event_id: int, job_id: int):
    """The finished job's file (410 once it is no longer kept)."""
    event = get_managed_event_or_404(event_id)
    job = services.get_event_job(event, job_id)
    return download(services.file_of(job, utcnow()), job.filename, job.mimetype,
                    headers={"Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"})


@bp.post("/events/<int:event_id>/jobs/<int:job_id>/retry")
@login_required
def job_retry(event_id: int, job_id: int):
    """Queue a failed job again."""
    event = get_managed_event_or_404(event_id)
    job = services.retry_job(event, job_id, actor=current_user.actor, now=utcnow())
    flash("Queued again: the worker makes the file next.", "success")
    return redirect(url_for("jobs.job_page", event_id=event.id, job_id=job.id), 303)
