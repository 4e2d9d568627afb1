"""The Huey queue the web processes enqueue into and `flask eventkit worker` consumes.

One `huey` object for the whole process, so that tasks can be declared at import time with
`@task(...)` and `@periodic_task(...)`; `init_app` points its storage at the app's queue:
`SqliteHuey`-style storage in `instance/queue.db` by default, Redis when `EVENTKIT_QUEUE_URL` is a
`redis://` URL (several web and worker machines share it).

Tasks run in an application context of the configured app, like a CLI command: they commit what
they did, or roll back and re-raise; on SQLite their write transactions take the writer gate, as a
web request's do. A web request never enqueues directly: `enqueue_after_commit`
sends the task once the request's transaction has committed, so the worker finds the rows it needs.
"""
from __future__ import annotations

import functools
import logging
from pathlib import Path

from flask import Flask
from huey import Huey
from huey.storage import MemoryStorage, RedisStorage, SqliteStorage
from sqlalchemy import event
from sqlalchemy.orm import Session

from eventkit import write_gate
from eventkit.db import db

log = logging.getLogger(__name__)

#: the process's queue; its storage is chosen by `init_app`
huey = Huey("eventkit", storage_class=MemoryStorage, utc=True)
_PENDING = "eventkit.jobs.after_commit"


class _State:
    app: Flask | None = None


def storage_for(app: Flask) -> tuple[type, dict]:
    """The storage class and its arguments for the app's QUEUE_URL (empty: SQLite under instance/)."""
    url = app.config.get("QUEUE_URL") or ""
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStorage, {"url": url}
    if url.startswith("sqlite:///"):
        return SqliteStorage, {"filename": url.removeprefix("sqlite:///")}
    if url:
        raise RuntimeError(f"EVENTKIT_QUEUE_URL must be redis://... or sqlite:///path, not {url!r}.")
    return SqliteStorage, {"filename": str(Path(app.instance_path) / "queue.db")}


def init_app(app: Flask) -> None:
    """Bind the queue to this app: its storage, and the app tasks run in."""
    storage_class, kwargs = storage_for(app)
    huey.name = app.config.get("QUEUE_NAME", "eventkit")
    huey.storage_class, huey.storage_kwargs = storage_class, kwargs
    huey.storage = huey.create_storage()
    _State.app = app
    app.extensions["huey"] = huey


def describe() -> str:
    """Where the queue lives, for the worker's start-up line (no credentials)."""
    if huey.storage_class is RedisStorage:
        return "Redis"
    return f"SQLite {huey.storage_kwargs.get('filename')}"


def in_app(func):
    """Run `func` in an app context; commit after it, or roll back and re-raise."""
    @functools.wraps(func)
    def run(*args, **kwargs):
        if _State.app is None:
            raise RuntimeError("The queue is not bound to an app (create_app binds it).")
        with _State.app.app_context():
            write_gate.gate_writes()  # its writes queue with the door's (eventkit/write_gate.py)
            try:
                result = func(*args, **kwargs)
                db.session.commit()
                return result
            except BaseException:
                db.session.rollback()
                raise
            finally:
                db.session.remove()
                write_gate.release()
    return run


def task(**options):
    """`@huey.task(**options)` for a function that runs in the app (see `in_app`)."""
    return lambda func: huey.task(**options)(in_app(func))


def periodic_task(schedule, **options):
    """`@huey.periodic_task(schedule)` for a function that runs in the app."""
    return lambda func: huey.periodic_task(schedule, **options)(in_app(func))


def enqueue_after_commit(task_wrapper, *args) -> None:
    """Enqueue `task_wrapper(*args)` once the current transaction commits (dropped on rollback)."""
    if not db.session().in_transaction():
        db.session.begin()  # so that the request's commit has a transaction to commit (see eventkit.errors)
    db.session.info.setdefault(_PENDING, []).append((task_wrapper, args))


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session) -> None:
    for task_wrapper, args in session.info.pop(_PENDING, []):
        try:
            task_wrapper(*args)
        except Exception:  # noqa: BLE001  (committed already; the stalled-job sweep enqueues it again)
            log.exception("Could not enqueue %s%r; the worker's housekeeping queues stalled jobs again",
                          task_wrapper.task_class.__name__, args)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session) -> None:
    session.info.pop(_PENDING, None)
