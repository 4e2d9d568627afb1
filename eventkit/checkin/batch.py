"""Group commit for the door's welcome scans on SQLite: scans that arrive together share one transaction.

SQLite lets one writer in at a time, so every check-in queues for the write lock (behind the writer
gate, `eventkit/write_gate.py`). With one transaction per scan, each scan pays for the gate, `BEGIN IMMEDIATE` and
the commit, and the lock passes between processes and threads once per scan; under a burst (a queue
at the door, or bench/checkin.py's sixteen phones) that hand-over is what limits the door, not the
few microseconds of SQL. So the first welcome scan to arrive in a process *leads*: it takes the gate,
writes every welcome scan (and rescan of a guest who is in) waiting in this process at that moment
(set-based, four statements for all of them: `eventkit.checkin.welcomes`), commits once, and hands
each scan its answer. A scan arriving meanwhile waits for the next batch, which the first of them
leads. At a busy door (a batch ended moments ago) the leader first lingers half a millisecond, as
PostgreSQL's `commit_delay` does: the scans this process is still parsing then join its batch
instead of each leading one of their own (bench/checkin.py: batches of 3-4 instead of 1-2; about 5 %
more check-ins per second, ratio 0.61-0.66 against 0.59-0.63 in three interleaved runs). A scan at a
quiet door leads at once.

Every promise of the one-scan path holds: each scan's rows are exactly the same, no answer is
given before its writes are committed, and a batch that fails is rolled back whole, its scans then
answered `None` (nothing written): each takes the general path in its own request transaction.

Only for SQLite files, and only while the request has no transaction of its own (a cache miss read
the door in it: that transaction already holds the write lock, so the scan writes in it, as on
PostgreSQL, whose row locks queue writers without any of this).
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import current_app
from sqlalchemy.engine import Connection, Engine

from eventkit import write_gate
from eventkit.db import db, in_transaction

log = logging.getLogger(__name__)

#: writes a batch's items on the connection it is given: an answer for each (None: "take the general path")
Run = Callable[[Connection, list], "list[dict | None]"]
#: a stand-alone item of `each`: its writes on the connection it is given, and its answer
Work = Callable[[Connection], "dict | None"]
#: how long a leader at a busy door waits for more scans to join its batch
LINGER_S = 0.0005
#: the door counts as busy while its last batch ended less than this long ago
BUSY_WITHIN_S = 0.02


def each(connection: Connection, works: list[Work]) -> list[dict | None]:
    """The plain `Run`: each item is a `Work`, run in turn."""
    return [work(connection) for work in works]


class _Waiting:
    """One scan waiting for a batch: its item, and (once the batch is over) its answer.

    Its turn is a plain lock held from the start: the scan waits by taking it again, and is woken
    (to read its answer, or to lead the next batch) by its release. Each wake matches one wait, but
    for the leader's own, which releases the initial hold. (A lock's release is one call into C;
    `threading.Event.set` runs a condition's Python code, about 20 µs per scan of the door's hand-over.)
    """

    __slots__ = ("item", "_turn", "answer", "leads")

    def __init__(self, item):
        self.item, self.answer, self.leads = item, None, False
        self._turn = threading.Lock()
        self._turn.acquire()

    def wait(self) -> None:
        self._turn.acquire()

    def wake(self) -> None:
        self._turn.release()


class Batcher:
    """A process's group commit for one SQLite database (`engine`), its batches written by `run`."""

    def __init__(self, engine: Engine, run: Run = each, linger: float = LINGER_S,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.engine, self.run, self.linger, self._sleep, self._clock = engine, run, linger, sleep, clock
        self._lock = threading.Lock()
        self._waiting: list[_Waiting] = []
        self._leading = False
        self._last_ended = float("-inf")
        #: the connection the batches are written on, kept from one batch to the next (only the
        #: leader uses it): a pool checkout per batch cost its pre-ping and its reset every time
        self._connection: Connection | None = None

    def write(self, item) -> dict | None:
        """Write `item` in the next batch's transaction, committed before this returns its answer."""
        me = _Waiting(item)
        with self._lock:
            self._waiting.append(me)
            me.leads, self._leading = not self._leading, True
        if not me.leads:
            me.wait()  # woken when a batch answered us, or when we are to lead the next one
        if me.leads:
            if self.linger and self._clock() - self._last_ended < BUSY_WITHIN_S:
                self._sleep(self.linger)  # the scans arriving meanwhile join this batch
            self._lead()
        return me.answer

    def _lead(self) -> None:
        with self._lock:
            batch, self._waiting = self._waiting, []
        try:
            self._commit(batch)
        finally:
            self._last_ended = self._clock()
            with self._lock:
                if self._waiting:  # arrived during the batch: the first of them leads the next one
                    self._waiting[0].leads = True
                    self._waiting[0].wake()
                else:
                    self._leading = False
            for waiting in batch:
                waiting.wake()

    def _commit(self, batch: list[_Waiting]) -> None:
        connection = self._connect()
        with write_gate.held(self.engine.url):
            driver = connection.connection.driver_connection
            driver.execute("BEGIN IMMEDIATE")
            try:
                answers = self.run(connection, [waiting.item for waiting in batch])
                driver.execute("COMMIT")
            except Exception:  # noqa: BLE001 - every scan of the batch then takes the general path
                log.exception("a batch of %d welcome scans failed and was rolled back", len(batch))
                self._connection = None  # the next batch starts on a fresh connection
                try:
                    driver.execute("ROLLBACK")
                finally:
                    connection.close()
                answers = [None] * len(batch)
        for waiting, answer in zip(batch, answers, strict=True):
            waiting.answer = answer

    def _connect(self) -> Connection:
        if self._connection is None or self._connection.closed or self._connection.invalidated:
            self._connection = self.engine.connect()
        return self._connection


def write(item, run: Run) -> dict | None:
    """Write a welcome scan (`item`, written by `run`): in the process's next batch on an SQLite file
    (when the request has no transaction of its own yet), else alone, on the session's connection, in
    the request's transaction."""
    engine = db.engine
    if engine.dialect.name != "sqlite" or in_transaction() or write_gate.path_for(engine.url) is None:
        return run(db.session.connection(), [item])[0]
    batchers = current_app.extensions.setdefault("eventkit.scan_batchers", {})
    batcher = batchers.get((engine.url, run))
    if batcher is None:
        batcher = batchers.setdefault((engine.url, run), Batcher(engine, run))
    return batcher.write(item)
