"""Running one job in the worker: claim it, let its kind do the work with progress, store the file.

Each kind is a plain function registered at start-up (`register_kind`), called with the event id,
the job's params and a `Progress`; it returns an `Output` or raises DomainError (a reason the
organiser can read: the job fails at once). Any other exception is retried by Huey (the job is
queued again with the reason), and fails for good with that reason after the last retry.

A run owns the job through `claimed_by`: progress and the result of a run that lost its claim (it
was taken for stalled and queued again) are ignored, so a crash retried never leaves two files.
`execute` runs its own transactions, like a CLI command: never call it inside a request.
"""
from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, or_, update

from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from eventkit.jobs.models import Job, JobFile, JobStatus
from eventkit.jobs.queue import task

log = logging.getLogger(__name__)

#: Huey retries of a job that raised something other than a DomainError
RETRIES = 2
RETRY_DELAY = 5
DEFAULTS = {
    #: hours a finished job's file is kept
    "JOB_FILE_HOURS": 24,
    #: minutes without a sign of life after which a running (or never started) job is queued again
    "JOB_STALL_MINUTES": 10,
    #: runs a job may start before it fails for good
    "JOB_MAX_ATTEMPTS": 3,
}


def setting(name: str):
    return current_app.config.get(name, DEFAULTS[name])


@dataclass(frozen=True)
class Output:
    filename: str
    mimetype: str
    content: bytes


@dataclass(frozen=True)
class Kind:
    name: str
    #: what a job's progress counts, e.g. "guests"
    unit: str
    #: shown on the job's page, e.g. "Print pack"
    label: str
    handler: Callable[[int, dict, "Progress"], Output]


_KINDS: dict[str, Kind] = {}


def register_kind(name: str, label: str, unit: str, handler: Callable[[int, dict, "Progress"], Output]) -> None:
    """Make `handler` the work of jobs of kind `name` (called once at import by the feature)."""
    _KINDS[name] = Kind(name, unit, label, handler)


def kind_of(name: str) -> Kind:
    return _KINDS[name]


class JobLost(Exception):
    """This run no longer owns its job (it was queued again as stalled): stop quietly."""


class Progress:
    """`progress(done, total)`: record how far the run is (also its sign of life)."""

    def __init__(self, job_id: int, run_id: str):
        self.job_id, self.run_id = job_id, run_id

    def __call__(self, done: int, total: int) -> None:
        if not _update_owned(self.job_id, self.run_id, done=done, total=total, heartbeat_at=utcnow()):
            raise JobLost(self.job_id)
        db.session.commit()


def _update_owned(job_id: int, run_id: str, **values) -> bool:
    result = db.session.execute(
        update(Job).where(Job.id == job_id, Job.claimed_by == run_id, Job.status == JobStatus.RUNNING)
        .values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def claim(job_id: int, run_id: str) -> Job | None:
    """Take a queued job (or a running one that stalled) for this run; None if it is not to be run."""
    now = utcnow()
    stalled = now - timedelta(minutes=setting("JOB_STALL_MINUTES"))
    result = db.session.execute(
        update(Job)
        .where(Job.id == job_id, or_(Job.status == JobStatus.QUEUED,
                                     (Job.status == JobStatus.RUNNING) & (Job.heartbeat_at < stalled)))
        .values(status=JobStatus.RUNNING, claimed_by=run_id, attempts=Job.attempts + 1, heartbeat_at=now)
        .execution_options(synchronize_session=False)
    )
    job = db.session.get(Job, job_id, populate_existing=True) if result.rowcount == 1 else None
    if job is not None:
        db.session.expunge(job)
    db.session.commit()
    return job


def execute(job_id: int, final: bool) -> None:
    """Run the job once (the Huey task's body); `final`: Huey will not retry it after this run."""
    run_id = secrets.token_hex(8)
    job = claim(job_id, run_id)
    if job is None:
        return
    try:
        output = kind_of(job.kind).handler(job.event_id, dict(job.params), Progress(job_id, run_id))
    except JobLost:
        db.session.rollback()
        return
    except DomainError as error:
        db.session.rollback()
        _fail(job_id, run_id, error.message)
        return
    except Exception as error:  # noqa: BLE001  (recorded for the organiser, retried by Huey)
        db.session.rollback()
        reason = f"The worker could not finish ({type(error).__name__}: {error})."[:500]
        log.exception("job %s failed", job_id)
        if final or job.attempts >= setting("JOB_MAX_ATTEMPTS"):
            _fail(job_id, run_id, reason)
            return
        _update_owned(job_id, run_id, status=JobStatus.QUEUED, claimed_by=None, error=reason)
        db.session.commit()
        raise
    _store(job_id, run_id, output)


def _fail(job_id: int, run_id: str, reason: str) -> None:
    _update_owned(job_id, run_id, status=JobStatus.FAILED, active_key=None, error=reason, finished_at=utcnow())
    db.session.commit()


def _store(job_id: int, run_id: str, output: Output) -> None:
    now = utcnow()
    owned = _update_owned(
        job_id, run_id, status=JobStatus.DONE, active_key=None, error="", finished_at=now,
        expires_at=now + timedelta(hours=setting("JOB_FILE_HOURS")),
        filename=output.filename, mimetype=output.mimetype,
    )
    if owned:
        db.session.execute(delete(JobFile).where(JobFile.job_id == job_id))
        db.session.add(JobFile(job_id=job_id, content=output.content))
    db.session.commit()


@task(retries=RETRIES, retry_delay=RETRY_DELAY, context=True)
def run_job(job_id: int, task=None) -> None:
    """The worker's task for one job (idempotent: a job already done or taken is left alone)."""
    execute(job_id, final=task is None or not task.retries)
