"""CSV import benchmark: how long the confirm of a 2,000-row import holds the SQLite write lock.

    python bench/imports.py [--rows 2000] [--runs 5] [--database-url postgresql://...]

Migrates a throw-away SQLite database (or the empty PostgreSQL database given with --database-url),
creates an organiser and, for each run, a gathering with room for everyone; then, in-process with
Flask's test client, uploads a CSV of `--rows` new guests (the preview, not timed) and confirms it
(timed) the way an organiser does. SQLAlchemy engine events time every transaction of the confirm
(from its BEGIN, on SQLite the `BEGIN IMMEDIATE` that takes the write lock, until its connection is
back in the pool after the COMMIT) and count its statements; the write lock is the transaction that
inserted (on PostgreSQL: that transaction's time). On SQLite, a commit that leaves the WAL longer than
1,000 pages (every 2,000-guest import does) also copies the WAL into the database file in the same
call, after the write lock is released (a PASSIVE checkpoint, which does not stop other writers);
the bench turns SQLite's automatic checkpoint off and runs it after each confirm, untimed in the
lock and reported on its own, so that the lock time is the lock's. Prints each run, then the median confirm time and
the median and max write-lock time over the runs; the last line is one JSON object:
rows, confirm_s, write_lock_ms, write_lock_max_ms, statements, and write_lock_cpu_ms: the median CPU
time of this process during the lock, which a busy shared machine inflates far less than the
wall-clock time (at a load average of 8 on 2 cores the lock's wall time is several times its CPU).

CSRF is off in this in-process client (the bench measures the confirm, not the form round trip);
bench/door_mixed.py drives the same import over HTTP with the login form and CSRF tokens.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import re
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402

from eventkit import create_app  # noqa: E402
from eventkit.auth.models import Organiser  # noqa: E402
from eventkit.db import db, utcnow  # noqa: E402
from eventkit.events.models import Event  # noqa: E402

WRITES = ("INSERT", "UPDATE", "DELETE")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=2000, help="guests in the CSV (the import allows 2,000)")
    parser.add_argument("--runs", type=int, default=5, help="imports to time (a new gathering each)")
    parser.add_argument("--database-url", default=None,
                        help="an empty PostgreSQL database to use instead of a throw-away SQLite file")
    return parser.parse_args()


class Transactions:
    """Engine and pool events: each transaction's duration, statement count and whether it wrote."""

    def __init__(self, engine):
        self.engine = engine
        self.done: list[dict] = []
        self.open: dict[int, dict] = {}
        self.statements = 0

    def __enter__(self):
        sa_event.listen(self.engine, "begin", self.begin)
        sa_event.listen(self.engine, "commit", self.commit)
        sa_event.listen(self.engine, "before_cursor_execute", self.statement)
        sa_event.listen(self.engine.pool, "checkin", self.checkin)
        return self

    def __exit__(self, *exc):
        sa_event.remove(self.engine, "begin", self.begin)
        sa_event.remove(self.engine, "commit", self.commit)
        sa_event.remove(self.engine, "before_cursor_execute", self.statement)
        sa_event.remove(self.engine.pool, "checkin", self.checkin)

    def begin(self, connection):
        # on SQLite eventkit.db's own "begin" listener emits BEGIN IMMEDIATE right after this one
        self.open[id(connection.connection.dbapi_connection)] = {"start": time.perf_counter(), "cpu": time.process_time(),
                                                               "wrote": False}

    def commit(self, connection):
        current = self.open.get(id(connection.connection.dbapi_connection))
        if current is not None:
            current["commit"] = time.perf_counter()

    def statement(self, connection, _cursor, statement, *_args):
        self.statements += 1
        current = self.open.get(id(connection.connection.dbapi_connection))
        if current is not None and statement.lstrip().upper().startswith(WRITES):
            current["wrote"] = True

    def checkin(self, dbapi_connection, _record):
        current = self.open.pop(id(dbapi_connection), None)
        if current is not None:
            end = time.perf_counter()
            self.done.append({**current, "seconds": end - current["start"], "cpu_seconds": time.process_time() - current["cpu"],
                              "commit_seconds": end - current.get("commit", end)})


def setup(app) -> tuple[str, list[int]]:
    """Migrate, add the organiser and one gathering per run; (organiser session id, event ids)."""
    with app.app_context():
        flask_migrate.upgrade()
        organiser = Organiser(email=f"bench-{secrets.token_hex(4)}@example.org", name="Bench Organiser")
        organiser.set_password(secrets.token_urlsafe(16))
        db.session.add(organiser)
        starts = utcnow() + timedelta(days=14)
        events = [Event(slug=f"import-bench-{secrets.token_hex(4)}", title=f"Import benchmark {n + 1}", owner=organiser,
                        timezone="Europe/Berlin", starts_at=starts, ends_at=starts + timedelta(hours=3),
                        capacity=100_000, status="open") for n in range(app.config["BENCH_RUNS"])]
        db.session.add_all(events)
        db.session.commit()
        return organiser.get_id(), [e.id for e in events]


def csv_of(rows: int, run: int) -> bytes:
    tag = secrets.token_hex(3)
    return ("name,email,organisation,role\n" + "".join(
        f"Guest {n} of run {run},guest{n}.{tag}@bench.example,Org {n % 13},Role {n % 5}\n" for n in range(rows))
    ).encode("utf-8")


def one_run(app, client, event_id: int, rows: int, run: int) -> dict:
    preview = client.post(f"/events/{event_id}/guests/import", content_type="multipart/form-data",
                          data={"file": (io.BytesIO(csv_of(rows, run)), "guests.csv")})
    match = re.search(r'name="payload" type="hidden" value="([^"]+)"', preview.get_data(as_text=True))
    if preview.status_code != 200 or not match:
        raise SystemExit(f"the preview answered HTTP {preview.status_code}")
    with app.app_context():
        engine = db.engine
    with Transactions(engine) as transactions:
        started = time.perf_counter()
        response = client.post(f"/events/{event_id}/guests/import/confirm", data={"payload": match.group(1)})
        confirm_s = time.perf_counter() - started
    if response.status_code != 302:
        raise SystemExit(f"the confirm answered HTTP {response.status_code}: {response.get_data(as_text=True)[:500]}")
    writes = [t for t in transactions.done if t["wrote"]]
    if len(writes) != 1:
        raise SystemExit(f"expected one writing transaction in the confirm, saw {len(writes)}")
    return {"confirm_s": confirm_s, "write_lock_ms": writes[0]["seconds"] * 1000,
            "write_lock_cpu_ms": writes[0]["cpu_seconds"] * 1000,
            "commit_ms": writes[0]["commit_seconds"] * 1000, "checkpoint_ms": checkpoint(app) * 1000,
            "statements": transactions.statements, "transactions": len(transactions.done)}


def no_automatic_checkpoint(dbapi_connection, _record):
    """SQLite: leave the WAL checkpoint to `checkpoint` (see the module's docstring)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.execute("PRAGMA wal_autocheckpoint=0")


def checkpoint(app) -> float:
    """Copy the WAL into the SQLite database file, as the commit would have; its seconds (0 elsewhere)."""
    with app.app_context():
        if db.engine.dialect.name != "sqlite":
            return 0.0
        started = time.perf_counter()
        connection = db.engine.raw_connection()  # outside any transaction, as after a commit
        try:
            connection.driver_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            connection.close()
        return time.perf_counter() - started


def main() -> None:
    args = parse_args()
    database_url = args.database_url
    if database_url is None:
        workdir = Path(tempfile.mkdtemp(prefix="eventkit-bench-imports-"))
        database_url = f"sqlite:///{workdir / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secrets.token_urlsafe(48),
                      "EVENTKIT_BASE_URL": "http://127.0.0.1", "WTF_CSRF_ENABLED": False,
                      "BENCH_RUNS": args.runs})
    with app.app_context():
        sa_event.listen(db.engine, "connect", no_automatic_checkpoint)
    session_id, event_ids = setup(app)
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = session_id, True
    dialect = database_url.split(":", 1)[0]
    print(f"{args.runs} imports of {args.rows} rows on {dialect}; load average {os.getloadavg()[0]:.2f} "
          f"on {os.cpu_count()} cores", flush=True)
    runs = []
    for run, event_id in enumerate(event_ids, start=1):
        result = one_run(app, client, event_id, args.rows, run)
        runs.append(result)
        print(f"run {run}: confirm {result['confirm_s']:.3f} s, write lock {result['write_lock_ms']:.1f} ms "
              f"(CPU {result['write_lock_cpu_ms']:.1f} ms) "
              f"(its COMMIT {result['commit_ms']:.1f} ms), WAL checkpoint after it {result['checkpoint_ms']:.1f} ms, "
              f"{result['statements']} statements in {result['transactions']} transactions", flush=True)
    locks = [r["write_lock_ms"] for r in runs]
    statements = {r["statements"] for r in runs}
    if len(statements) != 1:
        print(f"warning: the statement count varied between runs: {sorted(statements)}")
    summary = {"rows": args.rows, "confirm_s": round(statistics.median(r["confirm_s"] for r in runs), 3),
               "write_lock_ms": round(statistics.median(locks), 1), "write_lock_max_ms": round(max(locks), 1),
               "statements": max(statements),
               "write_lock_cpu_ms": round(statistics.median(r["write_lock_cpu_ms"] for r in runs), 1)}
    print(f"median confirm {summary['confirm_s']} s; write lock median {summary['write_lock_ms']} ms, "
          f"max {summary['write_lock_max_ms']} ms; load average now {os.getloadavg()[0]:.2f}")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
