"""The writer gate on SQLite: writers queue in the kernel instead of in SQLite's busy-sleeps.

SQLite lets one writer in at a time; a writer that finds the lock taken retries on a back-off of up
to 100 ms per sleep, which under a burst of scans (or a scan behind an organiser's import) turns
into hundreds of milliseconds of tail latency. So every web request's write transaction first takes
an exclusive `flock` on a file beside the database (shared by every thread and gunicorn worker): a
waiting request wakes the moment the gate opens. It is taken just before the transaction's
`BEGIN IMMEDIATE` (`eventkit.db.before_write_begin`) and opened as soon as the transaction has
committed or rolled back, so that parsing one scan, building its answer and its response headers
overlap with the next scan's writes. The door's group commit (`eventkit.checkin.batch`) holds it
for its shared transaction with `held`.

Web requests and the worker's tasks take it (`gate_writes`, called by `eventkit.jobs.queue.in_app`):
the worker's writes (mail claims and results, the message sweep, a job's progress) then queue with
the door's instead of meeting them in SQLite's busy handler, whose sleeps of up to 100 ms were the
door's slowest scans while the worker sent mail. The command line does not take it (a migration's
or a script's own connections would keep it for their whole run). A context takes it once (a
second connection does not wait for its own gate), and a thread holds it once: a task run inside
a request (the queue's immediate mode, after the request's commit) finds it open, as it is opened
at commit, before anything queued after the commit runs (and at the end of any transaction). PostgreSQL needs no gate (its
row locks queue writers the same way).
"""
from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flask import g, has_app_context, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from eventkit.db import before_write_begin

_GATE_KEY = "_eventkit_write_gate"
_GATED = "_eventkit_gated_writes"
#: the gates this thread holds (by path), whichever context took them
_thread = threading.local()


def _holding() -> set[str]:
    paths = getattr(_thread, "paths", None)
    if paths is None:
        paths = _thread.paths = set()
    return paths


def path_for(url) -> str | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return f"{url.database}.write-gate"


def _take(path: str) -> int:
    """Wait for the gate at `path` and close it behind us; the handle that opens it again."""
    handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(handle, fcntl.LOCK_EX)
    return handle


def _give_back(handle: int) -> None:
    fcntl.flock(handle, fcntl.LOCK_UN)
    os.close(handle)


def _close(path: str) -> int | None:
    """Take the gate at `path` for this thread; None (nothing to give back) if the thread holds it already."""
    if path in _holding():
        return None
    handle = _take(path)
    _holding().add(path)
    return handle


def _open(path: str, handle: int | None) -> None:
    """Give back what `_close` took."""
    if handle is not None:
        _holding().discard(path)
        _give_back(handle)


@contextmanager
def held(url) -> Iterator[None]:
    """Hold the gate of the database at `url` for the block (no gate: PostgreSQL, in-memory SQLite)."""
    path = path_for(url)
    handle = _close(path) if path is not None else None
    try:
        yield
    finally:
        _open(path, handle)


def gate_writes() -> None:
    """Let this app context's SQLite write transactions take the gate, as a web request's do
    (the worker's tasks; released at the transaction's end and by `release`)."""
    setattr(g, _GATED, True)


def _gated() -> bool:
    return has_request_context() or (has_app_context() and g.get(_GATED, False))


@before_write_begin  # just before eventkit.db emits BEGIN IMMEDIATE
def _close_gate(connection) -> None:
    if not _gated() or _GATE_KEY in g:
        return
    path = path_for(connection.engine.url)
    handle = _close(path) if path is not None else None
    if handle is not None:
        setattr(g, _GATE_KEY, (path, handle))


@event.listens_for(Session, "after_commit", insert=True)  # before eventkit.jobs.queue sends what waited for the commit
def _open_gate_after_commit(_session) -> None:
    if has_app_context():
        release()


@event.listens_for(Session, "after_transaction_end")
def _open_gate_after_transaction(_session, transaction) -> None:
    if transaction.parent is None and has_app_context():
        release()


def release(_error=None) -> None:
    """Open the gate (after the transaction's commit or rollback; and, in case, at teardown)."""
    taken = g.pop(_GATE_KEY, None)
    if taken is not None:
        _open(*taken)
