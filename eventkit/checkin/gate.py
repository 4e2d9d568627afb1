"""A writer gate for door requests on SQLite: queue in the kernel instead of SQLite's busy-sleeps.

SQLite lets one writer in at a time; the others retry on a back-off of up to 100 ms per sleep,
which under a burst of scans turns into seconds of tail latency. Door writes therefore first take
an exclusive `flock` on a file beside the database (shared by every thread and gunicorn worker);
a waiting request wakes the moment the lock is free. The gate is held exactly as long as the
write transaction: taken when a gated request's transaction begins (just before its
`BEGIN IMMEDIATE`), opened as soon as that transaction has committed or rolled back, so that
parsing the request, building the answer and the response headers of one scan overlap with the
next scan's writes. PostgreSQL needs no gate (its row locks queue the same way). The welcome scans'
group commit (`batch.py`) holds the gate for its shared transaction with `held`.
"""
from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from eventkit.db import before_write_begin

_GATE_KEY = "_checkin_write_gate"
_WANTED_KEY = "_checkin_write_gate_wanted"


def path_for(url) -> str | None:
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return f"{url.database}.door-gate"


def serialised_writes(view):
    """Run `view`'s write transaction (up to its commit) holding the SQLite writer gate."""

    @wraps(view)
    def gated(*args, **kwargs):
        setattr(g, _WANTED_KEY, True)
        return view(*args, **kwargs)

    return gated


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
    if not has_request_context() or not g.get(_WANTED_KEY) or _GATE_KEY in g:
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
