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

A request takes it once (a second connection in the same request does not wait for its own gate).
The worker and the command line do not take it: their write transactions are short, and they meet
the web's writers in SQLite's busy handler as before. PostgreSQL needs no gate (its row locks queue
writers the same way).
"""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from eventkit.db import before_write_begin

_GATE_KEY = "_eventkit_write_gate"


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


@contextmanager
def held(url) -> Iterator[None]:
    """Hold the gate of the database at `url` for the block (no gate: PostgreSQL, in-memory SQLite)."""
    path = path_for(url)
    handle = _take(path) if path is not None else None
    try:
        yield
    finally:
        if handle is not None:
            _give_back(handle)


@before_write_begin  # just before eventkit.db emits BEGIN IMMEDIATE
def _close_gate(connection) -> None:
    if not has_request_context() or _GATE_KEY in g:
        return
    path = path_for(connection.engine.url)
    if path is not None:
        setattr(g, _GATE_KEY, _take(path))


@event.listens_for(Session, "after_transaction_end")
def _open_gate_after_transaction(_session, transaction) -> None:
    if transaction.parent is None and has_request_context():
        release()


def release(_error=None) -> None:
    """Open the gate (after the transaction's commit or rollback; and, in case, at teardown)."""
    handle = g.pop(_GATE_KEY, None)
    if handle is not None:
        _give_back(handle)
