"""Door check-in benchmark: gunicorn on SQLite, 20,000 guests, concurrent scanners for a fixed time.

    python bench/checkin.py [--guests 20000] [--scanners 16] [--seconds 5] [--rounds 5] [--workers <cores>] [--threads 4]

Builds a throw-away database in a temp folder with the migrations, seeds one gathering directly,
starts `gunicorn eventkit:create_app()` and lets N scanner threads (keep-alive HTTP/1.1 connections,
a minimal client so the load generator takes little of the CPU the server shares)
POST /api/door/<secret>/scan as fast as answers come back, each scan a guest not yet scanned (plus
one rescan in twenty, answered "already checked in"). Prints check-ins per second, p50/p99 latency
and duplicates (guests welcomed twice or check-ins in the database beyond the welcomes: must be 0).
Then the same scanners on the same server loop on a bare `GET /healthz` for as long (the two
alternate in `--rounds` turns, so both meet the same shared machine), and the ratio
of check-ins per second to healthz answers per second says how close a check-in comes to the
cheapest request this machine can serve right now (independent of how busy the shared machine is).
It also prints, per phase, the server's CPU per request, the cores it kept busy and its workers'
voluntary context switches per request (what separates a scan from `/healthz` on a shared machine's
noise). The last line is one JSON object: checkins_per_s, p50_ms, p99_ms, duplicates, healthz_per_s, ratio.

    python bench/checkin.py --sync [--scans 500] [--guests 5000]

measures instead what an offline phone sends when it is back online: one POST /api/door/<secret>/sync
of `--scans` queued scans (in-process, on the same SQLite setup), its time and SQL statement count,
and a batch a tenth the size, so that the statements per scan and the fixed part can be told apart;
then the same batch again (a replay: nothing may count twice). The last line is one JSON object:
scans, sync_ms, statements, statements_per_scan, fixed_statements, replay_ms, checked_in, duplicates.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--guests", type=int, default=None,
                        help="guests seeded (default 20,000 for the scanners, enough for 5 s at 4,000 check-ins/s "
                             "so that the supply does not run out on a quiet machine; 5,000 for --sync)")
    parser.add_argument("--scanners", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=5.0,
                        help="scan time; keep it short enough that the guests do not run out")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2,
                        help="gunicorn worker processes (default: one per core)")
    parser.add_argument("--rounds", type=int, default=5,
                        help="alternate scanning and /healthz this many times (each a share of --seconds), so "
                             "that both see the same machine even when the shared machine's load drifts")
    parser.add_argument("--threads", type=int, default=4,
                        help="gunicorn threads per worker (gthread; 4 as gunicorn.conf.py)")
    parser.add_argument("--sync", action="store_true",
                        help="measure one offline sync batch instead of concurrent scanners")
    parser.add_argument("--scans", type=int, default=500, help="scans in the sync batch (--sync)")
    return parser.parse_args()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def seed(database_url: str, secret_key: str, guests: int, starts_in: timedelta = timedelta(hours=1)
         ) -> tuple[str, list[str]]:
    """Migrate a fresh database and insert one gathering of `guests`; returns (door secret, codes)."""
    import flask_migrate
    from sqlalchemy import insert

    from eventkit import create_app
    from eventkit.attendees.models import Attendee, Person
    from eventkit.auth.models import Organiser
    from eventkit.checkin.models import DoorLink
    from eventkit.db import db, utcnow
    from eventkit.events.models import Event
    from eventkit.security import derive, hash_token, new_token

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key})
    with app.app_context():
        flask_migrate.upgrade()
        organiser = Organiser(email="bench@example.org", name="Bench Organiser")
        organiser.set_password(secrets.token_urlsafe(16))
        starts = utcnow() + starts_in
        event = Event(slug="bench", title="Benchmark gathering", owner=organiser, timezone="Europe/Berlin",
                      starts_at=starts, ends_at=starts + timedelta(hours=3), capacity=guests, status="open")
        door = DoorLink(event=event, label="Front door")
        door_secret = door.issue_secret()
        db.session.add_all([organiser, event, door])
        db.session.flush()
        emails = [f"guest{n}@bench.example" for n in range(guests)]
        db.session.execute(insert(Person), [{"email": email, "created_at": utcnow()} for email in emails])
        person_ids = dict(db.session.execute(db.select(Person.email, Person.id)).all())
        codes, rows = [], []
        for n, email in enumerate(emails):
            seed_value = new_token()
            code = derive("checkin", seed_value)
            codes.append(code)
            rows.append({"event_id": event.id, "person_id": person_ids[email], "name": f"Guest Number {n}",
                         "email": email, "status": "registered", "checkin_seed": seed_value, "checkin_code_hash": hash_token(code)})
        db.session.execute(insert(Attendee), rows)
        db.session.commit()
        db.engine.dispose()
    return door_secret, codes


def start_gunicorn(env: dict, port: int, workers: int, threads: int, log_path: Path) -> subprocess.Popen:
    command = [sys.executable, "-m", "gunicorn", "--workers", str(workers), "--threads", str(threads),
               "--worker-class", "gthread", "--bind", f"127.0.0.1:{port}", "--keep-alive", "30",
               "--log-level", "warning", "-c", "gunicorn.conf.py", "wsgi:app"]
    server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log_path.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120  # importing the app takes long on a busy machine
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                settle(server.pid, deadline)
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    raise SystemExit(f"gunicorn did not start; see {log_path}")


def settle(master_pid: int, deadline: float, window: float = 0.5, busy: float = 0.05) -> None:
    """Wait until gunicorn's processes are (almost) idle: every worker has imported the app.

    The first answer comes from the first worker up; connections opened while another is still
    importing all go to the first one and stay with it for the whole round (keep-alive), which made
    a run's first round measure one worker instead of all of them.
    """
    used = server_cpu_seconds(master_pid)
    while time.monotonic() < deadline:
        time.sleep(window)
        used, before = server_cpu_seconds(master_pid), used
        if used - before < busy:
            return


class Scanner:
    """One phone: a keep-alive HTTP/1.1 connection speaking just enough HTTP to POST a scan.

    Lighter than http.client (which costs the load generator about 0.3 ms of CPU per request on
    the same two cores as the server): one sendall per request, the answer read by Content-Length.
    """

    def __init__(self, port: int):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no 40 ms delayed-ACK stalls
        self.buffer = b""

    def post(self, path: str, body: bytes) -> tuple[int, bytes]:
        self.sock.sendall(b"POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n%s" % (path.encode(), len(body), body))
        return self._answer()

    def get(self, path: str) -> tuple[int, bytes]:
        self.sock.sendall(b"GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % path.encode())
        return self._answer()

    def _answer(self) -> tuple[int, bytes]:
        while b"\r\n\r\n" not in self.buffer:
            self._receive()
        head, self.buffer = self.buffer.split(b"\r\n\r\n", 1)
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        length = next(int(line.split(b":", 1)[1]) for line in lines[1:] if line.lower().startswith(b"content-length:"))
        while len(self.buffer) < length:
            self._receive()
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return status, body

    def _receive(self) -> None:
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        self.buffer += chunk

    def close(self) -> None:
        self.sock.close()


class Scanners:
    """N threads, each with a keep-alive connection, scanning codes from one shared supply."""

    def __init__(self, port: int, secret: str, codes: list[str], count: int):
        self.port, self.path, self.count = port, f"/api/door/{secret}/scan", count
        self.codes, self.next_code, self.rescans, self.lock = codes, 0, 0, threading.Lock()
        # built before the clock starts: the load generator shares the server's cores, and building
        # a body (json.dumps, a random nonce) in the loop was CPU that /healthz's loop does not spend
        self.bodies = [self._body(code) for code in codes]
        self.latencies: list[float] = []
        self.outcomes: Counter = Counter()
        self.welcomed: Counter = Counter()
        self.errors: Counter = Counter()

    def _pick(self, sent: int) -> bytes:
        """The next scan's body: a guest not scanned yet, or every twentieth scan of a phone a rescan of
        one scanned before (with a new nonce)."""
        with self.lock:
            if sent % 20 == 19 and self.next_code:
                self.rescans += 1
                return self._body(self.codes[(self.rescans * 7919) % min(self.next_code, len(self.codes))])
            index = self.next_code % len(self.codes)
            self.next_code += 1
            return self.bodies[index] if self.next_code <= len(self.codes) else self._body(self.codes[index])

    @staticmethod
    def _body(code: str) -> bytes:
        return json.dumps({"code": code, "nonce": secrets.token_hex(12)}).encode()

    def _run(self, stop_at: float) -> None:
        scanner = Scanner(self.port)
        latencies, answers, errors, sent = [], [], Counter(), 0
        while time.perf_counter() < stop_at:
            body = self._pick(sent)
            started = time.perf_counter()
            try:
                answers.append(scanner.post(self.path, body))
            except (OSError, ValueError, StopIteration) as error:
                errors[type(error).__name__] += 1
                scanner.close()
                scanner = Scanner(self.port)
                continue
            latencies.append(time.perf_counter() - started)
            sent += 1
        # the answers are read once the clock has stopped: parsing them is load-generator CPU on the
        # server's cores that the /healthz loop does not spend either
        outcomes, welcomed = Counter(), Counter()
        for status, raw in answers:
            if status != 200:
                errors[f"HTTP {status}"] += 1
                continue
            try:
                answer = json.loads(raw)
            except ValueError as error:
                errors[type(error).__name__] += 1
                continue
            outcomes[answer["outcome"]] += 1
            if answer["outcome"] == "welcome":
                welcomed[answer["guest"]["id"]] += 1
        with self.lock:
            self.latencies += latencies
            self.outcomes += outcomes
            self.welcomed += welcomed
            self.errors += errors

    def run(self, seconds: float) -> float:
        stop_at = time.perf_counter() + seconds
        threads = [threading.Thread(target=self._run, args=(stop_at,)) for _ in range(self.count)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started


def healthz_loop(port: int, count: int, seconds: float) -> tuple[int, float, Counter]:
    """`count` threads on keep-alive connections looping on GET /healthz: answers, seconds taken, errors."""
    answered, errors, lock = [0], Counter(), threading.Lock()

    def loop(stop_at: float) -> None:
        scanner, done, failed = Scanner(port), 0, Counter()
        while time.perf_counter() < stop_at:
            try:
                status, _ = scanner.get("/healthz")
            except (OSError, StopIteration) as error:
                failed[type(error).__name__] += 1
                scanner.close()
                scanner = Scanner(port)
                continue
            if status == 200:
                done += 1
            else:
                failed[f"HTTP {status}"] += 1
        scanner.close()
        with lock:
            answered[0] += done
            errors.update(failed)

    stop_at = time.perf_counter() + seconds
    threads = [threading.Thread(target=loop, args=(stop_at,)) for _ in range(count)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answered[0], time.perf_counter() - started, errors


def checked_in_in_database(database_url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(text("SELECT count(*) FROM attendee WHERE checked_in_at IS NOT NULL")).scalar()
    engine.dispose()
    return count


def _gunicorn_processes(master_pid: int):
    """(the /proc entry, its stat fields) of the gunicorn master and of each of its workers (Linux)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if entry.name == str(master_pid) or fields[1] == str(master_pid):
            yield entry, fields


def server_cpu_seconds(master_pid: int) -> float:
    """User + system CPU of the gunicorn master and its workers so far (Linux /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    return sum(int(fields[11]) + int(fields[12]) for _, fields in _gunicorn_processes(master_pid)) / ticks


def server_switches(master_pid: int) -> int:
    """Voluntary context switches of gunicorn's workers' threads so far (Linux /proc): a thread that
    waits (for its batch, the writer gate, the interpreter lock, a socket) and is woken again."""
    total = 0
    for entry, _ in _gunicorn_processes(master_pid):
        if entry.name == str(master_pid):
            continue
        try:
            for task in (entry / "task").iterdir():
                for line in (task / "status").read_text().splitlines():
                    if line.startswith("voluntary_ctxt_switches:"):
                        total += int(line.split()[1])
        except OSError:
            continue
    return total


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))] if ordered else 0.0


def sync_batch(codes: list[str], scanned_from) -> dict:
    """A phone's queue: one scan per code, a few milliseconds apart, as the door page sends it."""
    return {"actions": [{"kind": "scan", "nonce": secrets.token_hex(12), "code": code, "shown": "welcome",
                         "scanned_at": (scanned_from + timedelta(milliseconds=7 * n)).isoformat()}
                        for n, code in enumerate(codes)]}


def timed_sync(app, client, secret: str, body: dict) -> tuple[float, int, dict]:
    """POST one sync batch; returns (seconds, SQL statements, answer)."""
    from sqlalchemy import event as sa_event

    from eventkit.db import db

    statements = []
    with app.app_context():
        engine = db.engine
    def listener(*_args):
        statements.append(1)

    sa_event.listen(engine, "before_cursor_execute", listener)
    try:
        started = time.perf_counter()
        response = client.post(f"/api/door/{secret}/sync", json=body)
        elapsed = time.perf_counter() - started
    finally:
        sa_event.remove(engine, "before_cursor_execute", listener)
    if response.status_code != 200:
        raise SystemExit(f"sync answered HTTP {response.status_code}: {response.get_data(as_text=True)}")
    return elapsed, len(statements), response.json


def sync_main(args: argparse.Namespace) -> None:
    from eventkit import create_app
    from eventkit.db import utcnow

    workdir = Path(tempfile.mkdtemp(prefix="eventkit-bench-sync-"))
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    secret_key = secrets.token_urlsafe(48)
    small = max(1, args.scans // 10)
    guests = args.guests or 5000
    print(f"seeding {guests} guests in {workdir} ...", flush=True)
    door_secret, codes = seed(database_url, secret_key, max(guests, args.scans + small),
                              starts_in=-timedelta(hours=1))
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key,
                      "EVENTKIT_BASE_URL": "http://127.0.0.1"})
    client = app.test_client()
    scanned_from = utcnow() - timedelta(minutes=30)
    small_s, small_statements, _ = timed_sync(app, client, door_secret,
                                              sync_batch(codes[args.scans:args.scans + small], scanned_from))
    batch = sync_batch(codes[:args.scans], scanned_from)
    seconds, statements, answer = timed_sync(app, client, door_secret, batch)
    replay_s, _, replayed = timed_sync(app, client, door_secret, batch)
    welcomed = sum(item["answer"]["outcome"] == "welcome" for item in answer["results"])
    replays = sum(bool(item["answer"].get("replayed")) for item in replayed["results"])
    checked_in = checked_in_in_database(database_url)
    duplicates = abs(checked_in - welcomed - small) + (args.scans - replays)
    per_scan = (statements - small_statements) / (args.scans - small) if args.scans > small else 0.0
    result = {
        "scans": args.scans, "sync_ms": round(seconds * 1000, 1), "statements": statements,
        "statements_per_scan": round(per_scan, 2), "fixed_statements": round(statements - per_scan * args.scans, 1),
        "replay_ms": round(replay_s * 1000, 1), "checked_in": checked_in, "duplicates": duplicates,
    }
    print(f"batch of {small}: {small_s * 1000:.1f} ms, {small_statements} statements; batch of {args.scans}: "
          f"{seconds * 1000:.1f} ms ({seconds / args.scans * 1000:.2f} ms per scan), {statements} statements; "
          f"welcomed {welcomed}; replay {replay_s * 1000:.1f} ms, {replays} replayed")
    print(json.dumps(result))


def main() -> None:
    args = parse_args()
    if args.sync:
        return sync_main(args)
    workdir = Path(tempfile.mkdtemp(prefix="eventkit-bench-checkin-"))
    database_url = f"sqlite:///{workdir / 'bench.db'}"
    secret_key = secrets.token_urlsafe(48)
    guests = args.guests or 20000
    print(f"seeding {guests} guests in {workdir} ...", flush=True)
    door_secret, codes = seed(database_url, secret_key, guests)
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret_key,
           "EVENTKIT_BASE_URL": f"http://127.0.0.1:{port}", "EVENTKIT_ENV": "production"}
    server = start_gunicorn(env, port, args.workers, args.threads, workdir / "gunicorn.log")
    try:
        print(f"gunicorn: {args.workers} workers x {args.threads} threads; {args.scanners} scanners for "
              f"{args.seconds:g} s on {os.cpu_count()} cores", flush=True)
        scanners = Scanners(port, door_secret, codes, args.scanners)
        elapsed = server_cpu = client_cpu = healthz_elapsed = healthz_cpu = healthz_client_cpu = 0.0
        healthz_answered, healthz_errors, switches, healthz_switches = 0, Counter(), 0, 0
        for _ in range(max(1, args.rounds)):
            cpu_before, client_before = server_cpu_seconds(server.pid), time.process_time()
            switches_before = server_switches(server.pid)
            elapsed += scanners.run(args.seconds / max(1, args.rounds))
            server_cpu += server_cpu_seconds(server.pid) - cpu_before
            switches += server_switches(server.pid) - switches_before
            client_cpu += time.process_time() - client_before
            cpu_before, client_before = server_cpu_seconds(server.pid), time.process_time()
            switches_before = server_switches(server.pid)
            answered, seconds, errors = healthz_loop(port, args.scanners, args.seconds / max(1, args.rounds))
            healthz_client_cpu += time.process_time() - client_before
            healthz_cpu += server_cpu_seconds(server.pid) - cpu_before
            healthz_switches += server_switches(server.pid) - switches_before
            healthz_answered, healthz_elapsed = healthz_answered + answered, healthz_elapsed + seconds
            healthz_errors.update(errors)
        healthz = healthz_answered / healthz_elapsed if healthz_elapsed else 0.0
    finally:
        server.terminate()
        server.wait(timeout=30)
    welcomes = scanners.outcomes["welcome"]
    in_database = checked_in_in_database(database_url)
    duplicates = sum(n - 1 for n in scanners.welcomed.values() if n > 1) + abs(in_database - welcomes)
    result = {
        "checkins_per_s": round(welcomes / elapsed, 1),
        "p50_ms": round(percentile(scanners.latencies, 0.50) * 1000, 2),
        "p99_ms": round(percentile(scanners.latencies, 0.99) * 1000, 2),
        "duplicates": duplicates,
        "healthz_per_s": round(healthz, 1),
        "ratio": round(welcomes / elapsed / healthz, 3) if healthz else 0.0,
    }
    print(f"requests: {len(scanners.latencies)} in {elapsed:.1f} s ({len(scanners.latencies) / elapsed:.0f}/s); "
          f"outcomes: {dict(scanners.outcomes)}; errors: {dict(scanners.errors) or 'none'}")
    print(f"check-ins: {welcomes} answered, {in_database} in the database; "
          f"mean latency {statistics.fmean(scanners.latencies) * 1000 if scanners.latencies else 0:.2f} ms")
    if scanners.next_code > len(codes):
        print(f"warning: all {len(codes)} guests were scanned before the time was up; later scans were "
              "rescans, so check-ins/s understates the capacity (use --guests or a shorter --seconds)")
    requests = max(1, len(scanners.latencies))
    print(f"CPU per request: server {server_cpu / requests * 1000:.2f} ms, scanner client "
          f"{client_cpu / requests * 1000:.2f} ms; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"healthz: {result['healthz_per_s']}/s with the same {args.scanners} clients "
          f"(errors: {dict(healthz_errors) or 'none'}); CPU per request: server {healthz_cpu / max(1, healthz_answered) * 1000:.2f} ms, "
          f"client {healthz_client_cpu / max(1, healthz_answered) * 1000:.2f} ms")
    print(f"server cores busy: {server_cpu / elapsed:.2f} while scanning, "
          f"{healthz_cpu / healthz_elapsed if healthz_elapsed else 0:.2f} on /healthz")
    print(f"voluntary context switches of the workers per request: {switches / requests:.2f} scanning, "
          f"{healthz_switches / max(1, healthz_answered):.2f} on /healthz")
    print(f"check-ins/s: {result['checkins_per_s']}  p50: {result['p50_ms']} ms  p99: {result['p99_ms']} ms  "
          f"duplicates: {duplicates}  ratio to healthz: {result['ratio']}")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
