"""Asking for a job (or joining the same one already under way), retrying a failed one, and the
worker's housekeeping: queueing stalled jobs again and deleting files past their time."""
from __future__ import annotations

import json
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update

from eventkit import audit
from eventkit.db import db, insert_ignore
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event
from eventkit.jobs.models import ACTIVE, Job, JobFile, JobStatus
from eventkit.jobs.queue import enqueue_after_commit
from eventkit.jobs.runner import kind_of, run_job, setting


def active_key(event_id: int, kind: str, params: dict) -> str:
    return f"{kind}:{event_id}:{json.dumps(params, sort_keys=True, separators=(',', ':'))}"[:200]


def request_job(event: Event, kind: str, params: dict, *, actor: str, now: datetime) -> Job:
    """Queue a job for the worker, or return the same job already queued or running (a repeat click joins it).

    The task is sent once the transaction commits. Safe when two requests race: the active key is unique.
    """
    key = active_key(event.id, kind, params)
    values = {"event_id": event.id, "kind": kind, "params": params, "active_key": key, "unit": kind_of(kind).unit,
              "status": JobStatus.QUEUED, "requested_by": actor, "created_at": now, "heartbeat_at": now}
    job_id = insert_ignore(Job, values, ["active_key"])
    if job_id is None:
        return db.session.scalars(select(Job).where(Job.active_key == key)).one()
    audit.record("job.requested", actor=actor, target=f"job:{job_id}", event_id=event.id, kind=kind)
    enqueue_after_commit(run_job, job_id)
    return db.session.get_one(Job, job_id)


def get_event_job(event: Event, job_id: int) -> Job:
    """One job of this event; NotFound if it does not exist or belongs to another event."""
    job = db.session.get(Job, job_id)
    if job is None or job.event_id != event.id:
        raise NotFound("This download is not one of this gathering's.", "not_found")
    return job


def file_of(job: Job, now: datetime) -> bytes:
    """The finished job's file; DomainError (410) once it has been deleted."""
    if not job.has_file(now):
        raise DomainError("This file is no longer kept. Make it again from the gathering's page.", "expired", 410)
    return db.session.get_one(JobFile, job.id).content


def retry_job(event: Event, job_id: int, *, actor: str, now: datetime) -> Job:
    """Queue a failed job again with a fresh set of attempts; the same job under way if one was asked for since."""
    job = get_event_job(event, job_id)
    if job.status != JobStatus.FAILED:
        raise DomainError(f"Only a failed job can be retried; this one is {job.status}.", "not_failed", 409)
    key = active_key(job.event_id, job.kind, job.params)
    running = db.session.scalars(select(Job).where(Job.active_key == key)).first()
    if running is not None:
        return running
    job.status, job.active_key, job.attempts, job.claimed_by = JobStatus.QUEUED, key, 0, None
    job.done, job.heartbeat_at, job.finished_at = 0, now, None
    db.session.flush()
    audit.record("job.retry", actor=actor, target=f"job:{job.id}", event_id=job.event_id,
                 previous_error=job.error[:500])
    enqueue_after_commit(run_job, job.id)
    return job


def requeue_stalled(now: datetime) -> list[int]:
    """Queue again the jobs with no sign of life for JOB_STALL_MINUTES (a crashed worker, a lost
    message); fail those out of attempts. The ids queued again."""
    stalled = now - timedelta(minutes=setting("JOB_STALL_MINUTES"))
    rows = db.session.execute(
        select(Job.id, Job.attempts).where(Job.status.in_([str(s) for s in ACTIVE]), Job.heartbeat_at < stalled)
    ).all()
    out_of_attempts = [job_id for job_id, attempts in rows if attempts >= setting("JOB_MAX_ATTEMPTS")]
    again = [job_id for job_id, attempts in rows if attempts < setting("JOB_MAX_ATTEMPTS")]
    if out_of_attempts:
        db.session.execute(
            update(Job).where(Job.id.in_(out_of_attempts))
            .values(status=JobStatus.FAILED, active_key=None, finished_at=now, claimed_by=None,
                    error="The worker stopped while making this file, several times. Try again, or ask "
                          "the server's administrator to look at the worker's log.")
            .execution_options(synchronize_session=False))
    if again:
        db.session.execute(
            update(Job).where(Job.id.in_(again))
            .values(status=JobStatus.QUEUED, claimed_by=None, heartbeat_at=now,
                    error="The worker stopped while making this file; it is being made again.")
            .execution_options(synchronize_session=False))
        for job_id in again:
            enqueue_after_commit(run_job, job_id)
    return again


def delete_expired_files(now: datetime) -> int:
    """Delete the files of jobs past their `expires_at`; how many."""
    expired = select(Job.id).where(Job.expires_at <= now)
    result = db.session.execute(delete(JobFile).where(JobFile.job_id.in_(expired)).execution_options(synchronize_session=False))
    return result.rowcount or 0
