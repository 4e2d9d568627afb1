"""Benchmark of the follow-up reminder sweep and dashboard.

History: 1,000 gatherings x 40 guests (one a day for ~2.7 years, the latest ended yesterday), 25
connections per gathering, 8 tasks per connection (first + 3 check-ins, both sides) = 200,000 tasks,
bulk-inserted. Older tasks are done or faded; in the last 100 days about a fifth of past-due tasks are
still open. One sweep finds and queues every due reminder; the script reports its time on SQLite and
PostgreSQL, its query count (also at a tenth of the size, to show it does not grow), and the
dashboard time for one gathering.

Then a year: 52 weekly sweeps over the same 200,000 tasks, with guests reacting to the reminders
each sweep queued (a fixed share act, snooze for 1 to 12 weeks, or act on both sides with a
deepening action), through the services. It reports:
- `mails_about_deepened`: task reminders (due soon, overdue, back from snooze) queued about a
  connection that had already deepened (must be 0; deepened pairs only get "stay in touch" mail);
- `snoozes_resurfaced_ratio`: snoozed tasks that came back (one "resurfaced" reminder) at the
  sweep on their snooze date ÷ snoozed tasks still open on that date (must be 1.0; a task closed
  before its date, because someone acted, is not waiting to come back);
- the slowest and the median sweep of the year, and the distinct statement counts of its sweeps
  (a handful of values, whatever the number of tasks: a kind with nothing to do skips its INSERT).

    python bench/followup.py [--gatherings 1000] [--skip-postgres] [--skip-year]

PostgreSQL: postgresql://postgres@127.0.0.1:5432/ek_followup_bench (created if missing, schema reset).
The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from sqlalchemy import create_engine, func, insert, select, text  # noqa: E402
from sqlalchemy import event as sa_event

from eventkit import create_app  # noqa: E402
from eventkit.attendees.models import Attendee, Person  # noqa: E402
from eventkit.auth.models import Organiser  # noqa: E402
from eventkit.db import db  # noqa: E402
from eventkit.events.models import Event  # noqa: E402
from eventkit.followup.models import Connection, ConnectionLink, FollowUpAction, FollowUpTask  # noqa: E402
from eventkit.followup.reminders import sweep  # noqa: E402

PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/ek_followup_bench"
GUESTS = 40
PAIRS = 25
FIELDS = ["Climate", "Design", "Finance", "Health", "Policy", "Research"]
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)


def make_app(url: str):
    return create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench-" + "k" * 40,
                       "BASE_URL": "http://eventkit.test", "WTF_CSRF_ENABLED": False, "MAIL_SERVER": "",
                       "OUTBOX_DIR": tempfile.mkdtemp()})


def reset_postgres() -> None:
    admin = create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = 'ek_followup_bench'")).first():
            conn.execute(text("CREATE DATABASE ek_followup_bench"))
    admin.dispose()
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def build_history(gatherings: int, rng: random.Random) -> dict[str, list[dict]]:
    """All rows of the history, as plain dicts with explicit ids."""
    people = max(GUESTS * 5, gatherings * 8)
    data = {"organiser": [{"id": 1, "email": "olivia@example.org", "name": "Olivia", "password_hash": "x",
                           "created_at": NOW}],
            "person": [{"id": p, "email": f"p{p}@example.com", "created_at": NOW} for p in range(1, people + 1)],
            "event": [], "attendee": [], "connection": [], "link": [], "task": [], "action": []}
    connection_ids: dict[tuple[int, int], int] = {}
    attendee_id = task_id = 0
    for e in range(1, gatherings + 1):
        ends = NOW - timedelta(days=gatherings - e + 1, hours=-12)
        data["event"].append({"id": e, "slug": f"g{e}", "owner_id": 1, "title": f"Gathering {e}", "timezone": "UTC",
                              "starts_at": ends - timedelta(hours=3), "ends_at": ends, "status": "finished",
                              "created_at": ends, "followup_first_hours": 48, "followup_cadence_days": "7,30,90"})
        guests = []
        for person in rng.sample(range(1, people + 1), GUESTS):
            attendee_id += 1
            guests.append((attendee_id, person))
            data["attendee"].append({
                "id": attendee_id, "event_id": e, "person_id": person, "name": f"Guest {person}",
                "email": f"p{person}@example.com", "field": FIELDS[person % len(FIELDS)], "status": "approved",
                "session_version": f"{attendee_id:016x}", "checkin_seed": f"s{attendee_id}",
                "checkin_code_hash": f"{attendee_id + 10**9:064x}", "checked_in_at": ends - timedelta(hours=3),
                "created_at": ends, "status_changed_at": ends, "link_requested_at": ends})
        pairs = [(guests[2 * i], guests[2 * i + 1]) for i in range(GUESTS // 2)]
        pairs += [(guests[4 * i], guests[4 * i + 2]) for i in range(PAIRS - len(pairs))]
        recent = NOW - ends < timedelta(days=100)
        for (a, pa), (b, pb) in pairs:
            (low, lp), (high, hp) = sorted(((a, pa), (b, pb)), key=lambda item: item[1])
            cid = connection_ids.get((lp, hp))
            if cid is None:
                cid = connection_ids[(lp, hp)] = len(connection_ids) + 1
                data["connection"].append({"id": cid, "low_person_id": lp, "high_person_id": hp, "origin_event_id": e,
                                           "stage": "met", "created_at": ends, "fade_reason": "",
                                           "followed_up_at": None, "reciprocated_at": None, "deepened_at": None,
                                           "faded_at": None, "last_action_at": None, "quiet_after": None})
            data["link"].append({"connection_id": cid, "event_id": e, "low_attendee_id": low, "high_attendee_id": high,
                                 "source": "plan", "created_at": ends})
            acted = set()
            for kind, due in [("first", ends + timedelta(hours=48))] + [("checkin", ends + timedelta(days=d)) for d in (7, 30, 90)]:
                for owner, other, person in ((low, high, lp), (high, low, hp)):
                    task_id += 1
                    done = due < NOW and (not recent or rng.random() < 0.8)
                    data["task"].append({"id": task_id, "connection_id": cid, "event_id": e, "owner_id": owner,
                                         "counterpart_id": other, "kind": kind, "due_at": due,
                                         "done_at": due - timedelta(hours=5) if done else None,
                                         "outcome": "done" if done else ""})
                    if done and kind == "first":
                        acted.add(person)
                        data["action"].append({"connection_id": cid, "event_id": e, "actor_id": owner,
                                               "actor_person_id": person, "note": "", "at": due - timedelta(hours=5),
                                               "kind": "thank_you" if rng.random() < 0.8 else "referral"})
            row = data["connection"][cid - 1]
            if acted:
                row.update(stage="followed_up", followed_up_at=ends + timedelta(hours=43), last_action_at=ends + timedelta(hours=43),
                           quiet_after=ends + timedelta(hours=43, days=97))
            if len(acted) == 2:
                row.update(stage="reciprocated", reciprocated_at=ends + timedelta(hours=43))
                if rng.random() < 0.3:
                    row.update(stage="deepened", deepened_at=ends + timedelta(days=20))
                    data["action"].append({"connection_id": cid, "event_id": e, "actor_id": low, "actor_person_id": lp,
                                           "note": "pilot together", "at": ends + timedelta(days=20), "kind": "collaboration"})
    deepened = {row["id"]: row["deepened_at"] for row in data["connection"] if row["deepened_at"]}
    for task in data["task"]:  # as migration 0014 leaves them: deepened pairs are on their stay-in-touch rhythm
        if task["done_at"] is None and task["connection_id"] in deepened:
            task.update(done_at=deepened[task["connection_id"]], outcome="moved")
    return data


def bulk_insert(app, data) -> float:
    started = time.perf_counter()
    tables = [(Organiser, "organiser"), (Person, "person"), (Event, "event"), (Attendee, "attendee"),
              (Connection, "connection"), (ConnectionLink, "link"), (FollowUpTask, "task"), (FollowUpAction, "action")]
    with app.app_context():
        with db.engine.begin() as conn:
            for model, key in tables:
                rows = data[key]
                for start in range(0, len(rows), 20_000):
                    conn.execute(insert(model), rows[start:start + 20_000])
            if db.engine.dialect.name == "postgresql":
                for table in ("organiser", "person", "event", "attendee", "connection", "followup_task"):
                    conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
                conn.execute(text("ANALYZE"))
            else:
                conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def timed_sweep(app) -> tuple[float, int, dict]:
    statements = []
    with app.app_context():
        engine = db.engine
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        sa_event.listen(engine, "before_cursor_execute", listener)
        started, cpu = time.perf_counter(), time.process_time()
        counts = sweep(NOW)
        db.session.commit()
        elapsed = time.perf_counter() - started
        counts["cpu_s"] = round(time.process_time() - cpu, 3)
        sa_event.remove(engine, "before_cursor_execute", listener)
    return elapsed, len(statements), counts


def dashboard_ms(app, event_id: int) -> float:
    client = app.test_client()
    with app.app_context():
        session_id = db.session.get(Organiser, 1).get_id()  # id and session version
    with client.session_transaction() as session:
        session["_user_id"], session["_fresh"] = session_id, True
    timings = []
    for _ in range(7):
        started = time.perf_counter()
        response = client.get(f"/events/{event_id}/followup")
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.status_code
    return statistics.median(timings[1:])


def run(url: str, gatherings: int, label: str, year: bool = False) -> dict:
    app = make_app(url)
    with app.app_context():
        flask_migrate.upgrade()
    data = build_history(gatherings, random.Random(7))
    seconds = bulk_insert(app, data)
    print(f"[{label}] inserted {len(data['task']):,} tasks, {len(data['attendee']):,} guests, "
          f"{len(data['connection']):,} connections in {seconds:.1f} s", file=sys.stderr)
    elapsed, queries, counts = timed_sweep(app)
    print(f"[{label}] sweep {elapsed:.2f} s, {queries} queries: {counts}", file=sys.stderr)
    again, again_queries, again_counts = timed_sweep(app)
    print(f"[{label}] second sweep {again:.2f} s, {again_queries} queries, queued {again_counts['queued']}", file=sys.stderr)
    result = {"sweep_s": elapsed, "queries": queries, "tasks": len(data["task"]), "queued": counts["queued"],
              "cpu_s": counts["cpu_s"]}
    if gatherings >= 100:
        result["dashboard_ms"] = dashboard_ms(app, gatherings - 20)
        print(f"[{label}] dashboard {result['dashboard_ms']:.1f} ms", file=sys.stderr)
    if year:
        result["year"] = year_run(app)
        print(f"[{label}] a year of weekly sweeps: {result['year']}", file=sys.stderr)
    with app.app_context():
        db.engine.dispose()
    return result


YEAR_WEEKS = 52
#: per sweep, at most this many reminded tasks get each reaction
ACT, SNOOZE, DEEPEN = 150, 60, 30


def _react(now: datetime, rng: random.Random, snoozed: dict[int, datetime]) -> None:
    """Guests react to the task reminders this sweep queued: some act, some snooze, some pairs deepen."""
    from eventkit.attendees.models import Attendee as Guest
    from eventkit.followup import rhythm, services
    from eventkit.followup.models import FollowUpReminder

    reminded = db.session.execute(
        select(FollowUpTask.id, FollowUpTask.owner_id, FollowUpTask.counterpart_id, FollowUpTask.connection_id)
        .join(FollowUpReminder, FollowUpReminder.task_id == FollowUpTask.id)
        .where(FollowUpReminder.at == now, FollowUpTask.done_at.is_(None), FollowUpTask.kind != "stay")
    ).all()
    rng.shuffle(reminded)
    touched = set()
    for index, (task_id, owner_id, counterpart_id, connection_id) in enumerate(reminded[:ACT + SNOOZE + DEEPEN]):
        if connection_id in touched:
            continue
        touched.add(connection_id)
        owner = db.session.get(Guest, owner_id)
        if index < SNOOZE:
            until = now + timedelta(weeks=rng.randint(1, 12))
            rhythm.snooze(owner, task_id, until, now)
            snoozed[task_id] = until
        elif index < SNOOZE + DEEPEN:
            services.record_action(owner, connection_id, "thank_you", "", now)
            services.record_action(db.session.get(Guest, counterpart_id), connection_id, "met_again", "", now)
        else:
            services.record_action(owner, connection_id, "shared_resource", "", now)
    db.session.commit()


def year_run(app) -> dict:
    """52 weekly sweeps after NOW with guests reacting; the year's figures (see the module docstring)."""
    from eventkit.followup.models import FollowUpReminder

    rng = random.Random(11)
    snoozed: dict[int, datetime] = {}
    times, cpu, statements = [], [], set()
    with app.app_context():
        engine = db.engine
        for week in range(1, YEAR_WEEKS + 1):
            now = NOW + timedelta(weeks=week)
            seen = []
            listener = lambda *args, seen=seen: seen.append(1)  # noqa: E731
            sa_event.listen(engine, "before_cursor_execute", listener)
            started, started_cpu = time.perf_counter(), time.process_time()
            sweep(now)
            db.session.commit()
            times.append(time.perf_counter() - started)
            cpu.append(time.process_time() - started_cpu)
            sa_event.remove(engine, "before_cursor_execute", listener)
            statements.add(len(seen))
            _react(now, rng, snoozed)
        last = NOW + timedelta(weeks=YEAR_WEEKS)
        about_deepened = db.session.scalar(
            select(func.count()).select_from(FollowUpReminder)
            .join(FollowUpTask, FollowUpTask.id == FollowUpReminder.task_id)
            .join(Connection, Connection.id == FollowUpTask.connection_id)
            .where(FollowUpReminder.kind.in_(["due_soon", "overdue", "resurfaced"]),
                   Connection.deepened_at.is_not(None), Connection.deepened_at < FollowUpReminder.at))
        tasks = {t.id: t for t in db.session.scalars(select(FollowUpTask).where(FollowUpTask.id.in_(list(snoozed))))}
        waiting = [task for task_id, until in snoozed.items() if until <= last
                   and (task := tasks[task_id]).snoozed_until == until and (task.done_at is None or task.done_at >= until)]
        back = dict(db.session.execute(select(FollowUpReminder.dedupe_key, FollowUpReminder.at).where(
            FollowUpReminder.kind == "resurfaced")).all())
        returned = [t for t in waiting if back.get(f"followup:resurfaced:task:{t.id}:{t.snoozes}") == t.snoozed_until]
    return {"mails_about_deepened": about_deepened,
            "snoozes_resurfaced_ratio": round(len(returned) / len(waiting), 4) if waiting else None,
            "snoozed_tasks": len(waiting), "year_sweep_max_s": round(max(times), 3),
            "year_sweep_max_cpu_s": round(max(cpu), 3),
            "year_sweep_median_s": round(statistics.median(times), 3), "year_sweep_statements": sorted(statements)}


def load_average() -> float | None:
    try:
        return round(float(Path("/proc/loadavg").read_text().split()[0]), 1)
    except (OSError, ValueError):
        return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gatherings", type=int, default=1000)
    parser.add_argument("--skip-postgres", action="store_true")
    parser.add_argument("--skip-year", action="store_true", help="skip the 12-month run")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="followup-bench-"))
    small = run(f"sqlite:///{workdir / 'small.db'}", max(10, args.gatherings // 10), "sqlite, a tenth")
    full = run(f"sqlite:///{workdir / 'full.db'}", args.gatherings, "sqlite", year=not args.skip_year)
    postgres = None
    if not args.skip_postgres:
        reset_postgres()
        postgres = run(PG_URL, args.gatherings, "postgresql", year=not args.skip_year)
    print(json.dumps({
        "sweep_sqlite_s": round(full["sweep_s"], 3),
        "sweep_postgres_s": round(postgres["sweep_s"], 3) if postgres else None,
        "sweep_sqlite_cpu_s": full["cpu_s"],
        "sweep_postgres_cpu_s": postgres["cpu_s"] if postgres else None,
        "sweep_queries": full["queries"],
        "sweep_queries_tenth_size": small["queries"],
        "sweep_queries_postgres": postgres["queries"] if postgres else None,
        "tasks": full["tasks"],
        "queued": full["queued"],
        "dashboard_ms": round(full["dashboard_ms"], 1),
        "dashboard_postgres_ms": round(postgres["dashboard_ms"], 1) if postgres else None,
        **{key: value for key, value in full.get("year", {}).items()},
        **{f"{key}_postgres": value for key, value in (postgres or {}).get("year", {}).items()},
        "load_average": load_average(),
    }))


if __name__ == "__main__":
    main()
