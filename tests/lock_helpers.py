"""Looking at SQLite's write lock and the writer gate from outside, the way a door scan meets them."""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.engine import make_url

from eventkit import write_gate


def write_lock_is_free(path: str) -> bool:
    """Whether another writer (a door scan) could take SQLite's write lock right now."""
    other = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def lock_seen_during(monkeypatch, owner, name: str, path: str) -> list[bool]:
    """Replace `owner.name` by a wrapper that notes, at each call, whether the write lock is free."""
    seen = []
    real = getattr(owner, name)

    def look_then_call(*args, **kwargs):
        seen.append(write_lock_is_free(path))
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, look_then_call)
    return seen


def reaching_the_gate(monkeypatch) -> threading.Event:
    """Set once a writer starts waiting for the gate."""
    waiting = threading.Event()
    take = write_gate._take

    def take_and_say(path):
        waiting.set()
        return take(path)

    monkeypatch.setattr(write_gate, "_take", take_and_say)
    return waiting


@contextmanager
def gate_held_by_another_writer(sqlite_file: str) -> Iterator[None]:
    """Hold the database's writer gate for the block, as another writer would."""
    held = os.open(write_gate.path_for(make_url(f"sqlite:///{sqlite_file}")), os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(held, fcntl.LOCK_EX)
    try:
        yield
    finally:
        fcntl.flock(held, fcntl.LOCK_UN)
        os.close(held)
