"""A job: a long piece of work (a render) the worker does for an organiser, with progress and a result file."""
from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from eventkit.db import UTCDateTime, db, utcnow


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    #: failed for good; `error` says why, in words for the organiser
    FAILED = "failed"


#: statuses of a job that is still to finish (a repeat click joins it)
ACTIVE = frozenset({JobStatus.QUEUED, JobStatus.RUNNING})


class Job(db.Model):
    __tablename__ = "job"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: a kind registered with `eventkit.jobs.services.register_kind`, e.g. "briefings.pack"
    kind: Mapped[str] = mapped_column(String(40))
    #: plain JSON the kind needs, e.g. {"paper": "a4"}
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    #: set while the job is queued or running, NULL after: one active job per kind, event and params
    active_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(12), default=JobStatus.QUEUED)
    #: progress: `done` of `total` `unit` ("32 of 80 guests")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    unit: Mapped[str] = mapped_column(String(20), default="")
    #: runs started so far (a retry after a crash is one more)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: the run that owns the job now; progress and results of any other run are ignored
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    #: the last sign of life of the running job (a stalled one is queued again)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: why the last run failed, in words the organiser can read
    error: Mapped[str] = mapped_column(Text, default="")
    requested_by: Mapped[str] = mapped_column(String(60), default="system")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: the result file is deleted at this time
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filename: Mapped[str] = mapped_column(String(200), default="")
    mimetype: Mapped[str] = mapped_column(String(100), default="")

    file: Mapped["JobFile | None"] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE

    def has_file(self, now: datetime) -> bool:
        """The result can still be downloaded."""
        return self.status == JobStatus.DONE and self.expires_at is not None and self.expires_at > now


class JobFile(db.Model):
    """A finished job's file, in its own row so that listing jobs never loads the bytes."""

    __tablename__ = "job_file"

    job_id: Mapped[int] = mapped_column(ForeignKey("job.id", ondelete="CASCADE"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
