"""The live gathering under load: 80 phones polling their "now", a screen and two door scanners, on gunicorn.

    python bench/live.py [--guests 80] [--no-shows 10] [--poll 2.0] [--workers <cores>] [--seconds 4]

Builds a throw-away SQLite database with the migrations, seeds one gathering of `--guests` ready
guests (offers and seeks on six topics, several fields) and plans four rounds with the real
planner. Everyone checks in except `--no-shows` guests, each from a different round-1 table.
Then `gunicorn eventkit:create_app()` serves, and
  * 80 phone threads poll GET /e/<slug>/now.json every `--poll` seconds with If-None-Match,
    each with its own guest session cookie (keep-alive connections, a minimal HTTP client);
  * one screen thread polls GET /screen/<secret>/state.json the same way;
  * two door threads scan walk-ins (POST /api/door/<secret>/scan) about twice a second.
After a quiet spell the round starts (in this process, the organiser's service call): the ten
no-shows' partners are re-paired. After another spell the next round starts. For each change:
the time from its commit until every phone has seen the new version.

Prints update_p99_ms (p99 over phones and both changes of "change committed -> phone saw it"),
its target (poll interval + 100 ms), server_cpu_share (gunicorn CPU seconds / (wall seconds x
cores) while polling), repair_ms (the re-pairing of the round start, in-process), repair_optimum
(its matching's weight over the exact optimum of the same sub-problem) and repair_at_least_99.
The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import secrets
import socket
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from bench.checkin import Scanner, free_port, percentile, server_cpu_seconds, start_gunicorn  # noqa: E402

TAGS = ("Fundraising", "Hiring", "Rust", "Design feedback", "Climate policy", "Go-to-market")
FIELDS = ("Climate", "Developer tools", "Design", "Finance", "Policy", "Health")
OFFERS = {"Fundraising": "intros to climate investors", "Hiring": "intros to senior engineers",
          "Rust": "Rust code review", "Design feedback": "product design critique",
          "Climate policy": "EU climate policy contacts", "Go-to-market": "pricing and sales advice"}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guests", type=int, default=80)
    parser.add_argument("--no-shows", type=int, default=10)
    parser.add_argument("--walk-ins", type=int, default=40, help="guests the doors scan during the run")
    parser.add_argument("--poll", type=float, default=2.0, help="seconds between a phone's polls")
    parser.add_argument("--seconds", type=float, default=4.0, help="quiet spell before and after each change")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--threads", type=int, default=4)
    return parser.parse_args()


def seed(app, guests: int, walk_ins: int, no_shows: int, seed_value: int = 17) -> dict:
    """One gathering with a planned evening; returns what the load needs (cookies, secrets, codes)."""
    import flask_migrate
    from sqlalchemy import select, update

    from eventkit.attendees.models import Attendee, Person
    from eventkit.auth.models import Organiser
    from eventkit.checkin.models import DoorLink
    from eventkit.db import db, utcnow
    from eventkit.events.models import Event, Tag
    from eventkit.live.models import ScreenLink
    from eventkit.matching import services as matching
    from eventkit.matching.models import Conversation
    from eventkit.profiles.models import Intent

    rng = random.Random(seed_value)
    with app.app_context():
        flask_migrate.upgrade()
        organiser = Organiser(email="bench@example.org", name="Bench Organiser")
        organiser.set_password(secrets.token_urlsafe(16))
        starts = utcnow() - timedelta(minutes=30)
        event = Event(slug="bench-live", title="Benchmark evening", owner=organiser, timezone="Europe/Berlin",
                      starts_at=starts, ends_at=starts + timedelta(hours=3), capacity=guests + walk_ins, status="open")
        event.tags = [Tag(name=name) for name in TAGS]
        doors = [DoorLink(event=event, label=f"Door {n}") for n in (1, 2)]
        door_secrets = [door.issue_secret() for door in doors]
        screen = ScreenLink(event=event, label="Projector")
        screen_secret = screen.issue_secret()
        db.session.add_all([organiser, event, *doors, screen])
        db.session.flush()
        tag_ids = {tag.name: tag.id for tag in event.tags}
        people, codes = [], []
        for n in range(guests + walk_ins):
            first, last = f"Guest{n}", f"Surname{n}"
            person = Person(email=f"guest{n}@bench.example")
            attendee = Attendee(event_id=event.id, person=person, name=f"{first} {last}", email=person.email,
                                status="registered", role="Founder", organisation=f"Org {n}",
                                field=FIELDS[n % len(FIELDS)], bio="Builds things.")
            db.session.add(attendee)
            people.append(attendee)
            codes.append(attendee.checkin_code)
        db.session.flush()
        for attendee in people[:guests]:
            offer, seek = rng.sample(TAGS, 2)
            db.session.add_all([Intent(attendee_id=attendee.id, kind="offer", tag_id=tag_ids[offer], text=OFFERS[offer]),
                                Intent(attendee_id=attendee.id, kind="seek", tag_id=tag_ids[seek], text=OFFERS[seek])])
        db.session.flush()
        matching.update_settings(event, 4, 10, 4, "rest")
        matching.plan_event(event, utcnow())
        round_one = db.session.scalars(select(Conversation).where(Conversation.event_id == event.id,
                                                                  Conversation.round == 1)).all()
        absent = {c.a_id for c in rng.sample(list(round_one), no_shows)}
        present = [a.id for a in people[:guests] if a.id not in absent]
        db.session.execute(update(Attendee).where(Attendee.id.in_(present)).values(checked_in_at=utcnow()))
        db.session.commit()
        serializer = app.session_interface.get_signing_serializer(app)
        cookies = [serializer.dumps({"guests": {str(event.id): [a.id, a.session_version]}}) for a in people[:guests]]
        result = {"event_id": event.id, "slug": event.slug, "cookies": cookies, "door_secrets": door_secrets,
                  "screen_secret": screen_secret, "walk_in_codes": codes[guests:], "absent": sorted(absent)}
        db.engine.dispose()
    return result


class Poller(Scanner):
    """A phone (or the screen): GET with If-None-Match and a session cookie, on one keep-alive connection."""

    def __init__(self, port: int, path: str, cookie: str | None, cookie_name: str):
        super().__init__(port)
        self.port, self.errors = port, 0
        self.path, self.etag = path, ""
        self.cookie = f"Cookie: {cookie_name}={cookie}\r\n".encode() if cookie else b""
        self.seen: dict[int, float] = {}  # version -> when this poller first saw it
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        #: how late the load generator sent each poll (its own scheduling, not the server's)
        self.lags: list[float] = []

    def reconnect(self) -> None:
        self.close()
        self.sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buffer = b""
        self.errors += 1

    def poll(self) -> None:
        condition = f"If-None-Match: {self.etag}\r\n".encode() if self.etag else b""
        started = time.perf_counter()
        self.sock.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json\r\n%s%s\r\n"
                          % (self.path.encode(), self.cookie, condition))
        status, body, etag = self._answer_with_etag()
        now = time.perf_counter()
        self.latencies.append(now - started)
        self.statuses[status] = self.statuses.get(status, 0) + 1
        if status == 200:
            self.etag = etag
            self.seen.setdefault(json.loads(body)["version"], now)

    def _answer_with_etag(self) -> tuple[int, bytes, str]:
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = {k.strip().lower(): v.strip() for k, v in (line.split(b":", 1) for line in lines[1:])}
        length = int(headers.get(b"content-length", b"0"))
        while len(self.buffer) < length:
            self._receive()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, body, headers.get(b"etag", b"").decode()


def poll_loop(poller: Poller, interval: float, stop: threading.Event) -> None:
    next_at = time.perf_counter() + random.random() * interval  # phones do not poll in step
    while not stop.is_set():
        delay = next_at - time.perf_counter()
        if delay > 0 and stop.wait(delay):
            break
        poller.lags.append(time.perf_counter() - next_at)
        next_at += interval
        try:
            poller.poll()
        except (OSError, ValueError, StopIteration):
            poller.reconnect()


def door_loop(port: int, secret: str, codes: list[str], stop: threading.Event, results: list) -> None:
    scanner = Scanner(port)
    for code in codes:
        if stop.wait(0.5):
            break
        started = time.perf_counter()
        status, _ = scanner.post(f"/api/door/{secret}/scan",
                                 json.dumps({"code": code, "nonce": secrets.token_hex(12)}).encode())
        results.append((status, time.perf_counter() - started))
    scanner.close()


class RepairProbe:
    """Wraps the engine's round planning during the re-pair: its time and its share of the exact optimum."""

    def __init__(self):
        from eventkit.matching import engine

        self.engine, self.original = engine, engine.Planner.plan_round
        self.ratios: list[float] = []
        #: seconds the probe itself spent (the exact solve for the comparison), taken off repair_ms
        self.overhead = self.overhead_cpu = 0.0

    def __enter__(self):
        probe = self

        def plan_round(planner, number):
            started, cpu = time.perf_counter(), time.thread_time()
            nodes = np.flatnonzero(planner.count < planner.settings.cap)
            w = planner.weights(nodes)
            exact = sum(w[a, b] for a, b in probe.engine.exact_matching(w))
            probe.overhead += time.perf_counter() - started
            probe.overhead_cpu += time.thread_time() - cpu
            groups = probe.original(planner, number)
            started, cpu = time.perf_counter(), time.thread_time()
            local = {planner.ids[int(n)]: i for i, n in enumerate(nodes)}
            got = sum(w[local[g.members[0]], local[g.members[1]]] for g in groups)
            probe.ratios.append(float(got / exact) if exact > 0 else 1.0)
            probe.overhead += time.perf_counter() - started
            probe.overhead_cpu += time.thread_time() - cpu
            return groups

        self.engine.Planner.plan_round = plan_round
        return self

    def __exit__(self, *exc):
        self.engine.Planner.plan_round = self.original


def change_round(app, event_id: int, first: bool) -> tuple[float, float, int]:
    """Start (or go to the next) round as the organiser's service does; returns (commit time, repair ms, version)."""
    from eventkit.db import db, utcnow
    from eventkit.events.models import Event
    from eventkit.live import repair, rounds

    timings = []
    original = repair.repair_round

    def timed(*args, **kwargs):
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            return original(*args, **kwargs)
        finally:
            timings.append(((time.perf_counter() - started) * 1000, (time.thread_time() - cpu) * 1000))

    repair.repair_round = timed
    rounds.repair.repair_round = timed
    try:
        with app.app_context():
            event = db.session.get(Event, event_id)
            state = (rounds.start_round if first else rounds.next_round)(event, utcnow(), "organiser:bench")
            version = state.version
            db.session.commit()
            committed = time.perf_counter()
    finally:
        repair.repair_round = original
        rounds.repair.repair_round = original
    return committed, timings[0] if timings else (0.0, 0.0), version


def load(port: int, world: dict, cookie_name: str, interval: float, stop, out) -> None:
    """The load generator, in a process of its own (so its threads never hold the GIL the re-pairing needs):
    phones and the screen poll, the doors scan; at `stop` it sends back what each poller saw."""
    halt = threading.Event()
    phones = [Poller(port, f"/e/{world['slug']}/now.json", cookie, cookie_name) for cookie in world["cookies"]]
    screen = Poller(port, f"/screen/{world['screen_secret']}/state.json", None, cookie_name)
    door_results: list = []
    half = len(world["walk_in_codes"]) // 2
    threads = [threading.Thread(target=poll_loop, args=(p, interval, halt)) for p in [*phones, screen]]
    threads += [threading.Thread(target=door_loop, args=(port, secret, codes, halt, door_results))
                for secret, codes in zip(world["door_secrets"],
                                         (world["walk_in_codes"][:half], world["walk_in_codes"][half:]))]
    for thread in threads:
        thread.start()
    stop.wait()
    halt.set()
    for thread in threads:
        thread.join()
    out.put({"phones": [(p.seen, p.latencies[1:], p.statuses, p.errors) for p in phones],
             "screen": (screen.seen, screen.latencies[1:], screen.statuses, screen.errors), "doors": door_results,
             "lags": [lag for p in [*phones, screen] for lag in p.lags]})


def main() -> None:
    args = parse_args()
    from eventkit import create_app

    workdir = Path(tempfile.mkdtemp(prefix="eventkit-bench-live-"))
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    secret_key = secrets.token_urlsafe(48)
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key})
    print(f"seeding {args.guests} guests and planning 4 rounds in {workdir} ...", flush=True)
    world = seed(app, args.guests, args.walk_ins, args.no_shows)
    cookie_name = app.config["SESSION_COOKIE_NAME"]
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret_key,
           "EVENTKIT_BASE_URL": f"http://127.0.0.1:{port}", "EVENTKIT_ENV": "production"}
    server = start_gunicorn(env, port, args.workers, args.threads, workdir / "gunicorn.log")
    context = multiprocessing.get_context("fork")
    stop, out = context.Event(), context.Queue()
    generator = context.Process(target=load, args=(port, world, cookie_name, args.poll, stop, out))
    changes, repair_ms, repair_cpu_ms, probe_ratios = [], 0.0, 0.0, []
    try:
        cpu_before, wall_before = server_cpu_seconds(server.pid), time.perf_counter()
        generator.start()
        time.sleep(args.seconds)
        for first in (True, False):
            with RepairProbe() as probe:
                committed, ms, version = change_round(app, world["event_id"], first)
            if first:
                repair_ms, repair_cpu_ms = ms[0] - probe.overhead * 1000, ms[1] - probe.overhead_cpu * 1000
                probe_ratios = probe.ratios
            changes.append((committed, version))
            time.sleep(args.poll + args.seconds)
        stop.set()
        seen = out.get(timeout=120)
        generator.join(timeout=60)
        wall = time.perf_counter() - wall_before
        cpu = server_cpu_seconds(server.pid) - cpu_before
    finally:
        stop.set()
        server.terminate()
        server.wait(timeout=30)
    pollers = seen["phones"] + [seen["screen"]]
    delays = [(p[0][version] - committed) if version in p[0] else float("inf")
              for committed, version in changes for p in pollers]
    statuses: dict[int, int] = {}
    for _seen, _lat, counts, _errors in pollers:
        for status, n in counts.items():
            statuses[status] = statuses.get(status, 0) + n
    latencies = [lat for p in seen["phones"] for lat in p[1]]
    ratio = min(probe_ratios) if probe_ratios else 1.0
    result = {
        "update_p99_ms": round(percentile(delays, 0.99) * 1000, 1),
        "update_target_ms": round(args.poll * 1000 + 100),
        "poll_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "poll_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "generator_lag_p99_ms": round(percentile(seen["lags"], 0.99) * 1000, 1),
        "server_cpu_share": round(cpu / (wall * (os.cpu_count() or 1)), 3),
        "repair_ms": round(repair_ms, 1),
        "repair_cpu_ms": round(repair_cpu_ms, 1),
        "repair_optimum": round(ratio, 4),
        "repair_at_least_99": ratio >= 0.99,
        "phones": len(seen["phones"]), "polls": sum(statuses.values()), "statuses": statuses,
        "poll_errors": sum(p[3] for p in pollers),
        "door_scans": len(seen["doors"]), "door_errors": sum(1 for s, _ in seen["doors"] if s != 200),
    }
    print(f"{len(seen['phones'])} phones + screen polling every {args.poll:g} s, 2 doors; {sum(statuses.values())} "
          f"polls ({statuses}); {len(seen['doors'])} door scans; server CPU {cpu:.1f} s in {wall:.1f} s on "
          f"{os.cpu_count()} cores")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
