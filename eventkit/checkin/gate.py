"""A writer gate for door requests on SQLite: queue in the kernel instead of SQLite's busy-sleeps.

SQLite lets one writer in at a time; the others retry on a back-off of up to 100 ms per sleep,
which under a burst of scans turns into seconds of tail latency. Door writes therefore first take
an exclusive `flock` on a file beside the database (shared by every thread and gunicorn worker)
and hold it until the request's transaction has committed; a waiting request wakes the moment
the lock is free. PostgreSQL needs no gate (its row locks queue the same way).
"""
from __future__ import annotations

import fcntl
import os
from functools import wraps

from flask import g

from eventkit.db import db

_GATE_KEY = "_checkin_write_gate"


def _gate_path() -> str | None:
    url = db.engine.url
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return f"{url.database}.door-gate"


def serialised_writes(view):
    """Run `view` (and the commit after it) holding the SQLite writer gate."""

    @wraps(view)
    def gated(*args, **kwargs):
        path = _gate_path()
        if path is not None and _GATE_KEY not in g:
            handle = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
            fcntl.flock(handle, fcntl.LOCK_EX)
            setattr(g, _GATE_KEY, handle)
        return view(*args, **kwargs)

    return gated


def release(_error=None) -> None:
    """Teardown: open the gate after the response (and its commit or rollback)."""
    handle = g.pop(_GATE_KEY, None)
    if handle is not None:
        fcntl.flock(handle, fcntl.LOCK_UN)
        os.close(handle)

