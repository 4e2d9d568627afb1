"""A writer gate for door requests on SQLite: queue in the kernel instead of SQLite's busy-sleeps.

SQLite lets one writer in at a time; the others retry on a back-off of up to 100 ms per sleep,
which under a burst of scans turns into seconds of tail latency. Door writes therefore first take
an exclusive `flock` on a file beside the database (shared by every thread and gunicorn worker);
a waiting request wakes the moment the lock is free. The gate is held exactly as long as the
write transaction: taken when a gated request's transaction begins (just before its
`BEGIN IMMEDIATE`), opened as soon as that transaction has committed or rolled back, so that
parsing the request, building the answer and the response headers of one scan overlap with the
next scan's writes. PostgreSQL needs no gate (its row locks queue the same way).
"""
from __future__ import annotations

import fcntl
import os
from functools import wraps

from flask import g, has_request_context
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

_GATE_KEY = "_checkin_write_gate"
_WANTED_KEY = "_checkin_write_gate_wanted"


def _gate_path(url) -> str | None:
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


@event.listens_for(Engine, "begin", insert=True)  # before eventkit.db's listener emits BEGIN IMMEDIATE
def _close_gate(connection) -> None:
    if not has_request_context() or not g.get(_WANTED_KEY) or _GATE_KEY in g:
        return
    path = _gate_path(connection.engine.url)
    if path is not None:
        handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(handle, fcntl.LOCK_EX)
        setattr(g, _GATE_KEY, handle)


@event.listens_for(Session, "after_transaction_end")
def _open_gate_after_transaction(_session, transaction) -> None:
    if transaction.parent is None and has_request_context():
        release()


def release(_error=None) -> None:
    """Open the gate (after the transaction's commit or rollback; and, in case, at teardown)."""
    handle = g.pop(_GATE_KEY, None)
    if handle is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)
