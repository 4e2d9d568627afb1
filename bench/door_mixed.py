"""The door while the organiser works: gunicorn as documented plus one worker, everything at once.

    python bench/door_mixed.py [--database-url postgresql://...] [--guests 150] [--import-rows 2000]
                               [--emails 200] [--scanners 4] [--interval 0.5]

Seeds a gathering of `--guests` expected guests (the print pack's size), 200 queued emails and a
door link, starts gunicorn (`-c gunicorn.conf.py` when the repository ships one, else the README's
flags: gthread, one worker per core, one thread each), `flask eventkit worker` and a local SMTP sink.
Then, all at the same time: four door scanners at a realistic pace (each a scan every 0.5 s, with
rescans and unknown codes mixed in) for the whole run, while an organiser (signed in through the
login form, CSRF and all) confirms a 2,000-row CSV import and asks for the print pack, and the
worker sends the 200 emails to the sink. The scanners stop when all three are done.

Prints scan_p50_ms, scan_p99_ms, scan_errors (any non-200 answer or connection error), import_s
(the confirm request), pack_s (the click until the file is ready) and mail_s (until the sink has
all 200); the last line is one JSON object. Targets on the 2-core machine: scan_p99_ms < 100 and
scan_errors = 0.
"""
from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from checkin import Scanner, free_port, percentile  # noqa: E402  (bench/ is this script's folder)

PASSWORD = secrets.token_urlsafe(16)


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=None,
                        help="an EMPTY PostgreSQL database (default: SQLite in a temp folder)")
    parser.add_argument("--guests", type=int, default=150)
    parser.add_argument("--import-rows", type=int, default=2000)
    parser.add_argument("--emails", type=int, default=200)
    parser.add_argument("--scanners", type=int, default=4)
    parser.add_argument("--interval", type=float, default=0.5, help="seconds between one scanner's scans")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2, help="gunicorn workers (no conf file)")
    return parser.parse_args()


def seed(database_url: str, secret_key: str, queue_url: str, guests: int, emails: int) -> tuple[int, str, list[str]]:
    """A migrated database with one gathering; returns (event id, door secret, the guests' codes)."""
    import flask_migrate
    from sqlalchemy import insert

    from eventkit import create_app
    from eventkit.attendees.models import Attendee, Person
    from eventkit.auth.models import Organiser
    from eventkit.checkin.models import DoorLink
    from eventkit.db import db, utcnow
    from eventkit.events.models import Event
    from eventkit.mail.services import Draft, queue_emails

    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key, "QUEUE_URL": queue_url})
    with app.app_context():
        flask_migrate.upgrade()
        organiser = Organiser(email="bench@example.org", name="Bench Organiser")
        organiser.set_password(PASSWORD)
        starts = utcnow() + timedelta(hours=1)
        event = Event(slug="bench", title="Benchmark gathering", owner=organiser, timezone="Europe/Berlin",
                      starts_at=starts, ends_at=starts + timedelta(hours=3), capacity=guests + 5000, status="open")
        door = DoorLink(event=event, label="Front door")
        door_secret = door.issue_secret()
        db.session.add_all([organiser, event, door])
        db.session.flush()
        addresses = [f"guest{n}@bench.example" for n in range(guests)]
        db.session.execute(insert(Person), [{"email": a, "created_at": utcnow()} for a in addresses])
        people = dict(db.session.execute(db.select(Person.email, Person.id)).all())
        rows, codes = [], []
        for n, address in enumerate(addresses):
            values = Attendee.new_row(event_id=event.id, name=f"Guest Number {n}", email=address,
                                         status="registered", now=utcnow(), role="Founder", organisation="Org")
            rows.append({**values, "person_id": people[address]})
            codes.append(Attendee.code_for_seed(values["checkin_seed"]))
        db.session.execute(insert(Attendee), rows)
        queue_emails([Draft(f"reader{n}@bench.example", f"Reader {n}", f"bench:{n}") for n in range(emails)],
                     template="notice", purpose="notice", event_id=event.id, title="Bench notice", body="Hello")
        db.session.commit()
        event_id = event.id
        db.engine.dispose()
    return event_id, door_secret, codes


def enqueue_mail_delivery(database_url: str, secret_key: str, queue_url: str) -> None:
    """What the worker's scheduler does every minute, now (so the run does not wait for the minute)."""
    from eventkit import create_app
    from eventkit.mail.tasks import deliver_mail

    create_app({"SQLALCHEMY_DATABASE_URI": database_url, "SECRET_KEY": secret_key, "QUEUE_URL": queue_url})
    deliver_mail()


def start(command: list[str], env: dict, log: Path) -> subprocess.Popen:
    return subprocess.Popen(command, cwd=ROOT, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)


def gunicorn_command(port: int, workers: int) -> list[str]:
    command = [sys.executable, "-m", "gunicorn"]
    if (ROOT / "gunicorn.conf.py").exists():
        command += ["-c", "gunicorn.conf.py"]
    else:
        command += ["--worker-class", "gthread", "--workers", str(workers), "--threads", "1", "--keep-alive", "30"]
    return command + ["--bind", f"127.0.0.1:{port}", "wsgi:app"]


def wait_until(condition, timeout: float, what: str, every: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise SystemExit(f"timed out waiting for {what}")


class Organiser:
    """A browser: cookies, the login form, CSRF tokens read from the pages."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.base + path, timeout=300) as response:
            return response.status, response.read().decode("utf-8", "replace")

    def post(self, path: str, fields: dict, files: dict | None = None) -> tuple[int, str, str]:
        if files:
            boundary = secrets.token_hex(12)
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n' for k, v in fields.items()]
            parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"; filename="{name}"\r\n'
                      f"Content-Type: text/csv\r\n\r\n{content}\r\n" for k, (name, content) in files.items()]
            body = ("".join(parts) + f"--{boundary}--\r\n").encode()
            kind = f"multipart/form-data; boundary={boundary}"
        else:
            body, kind = urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"
        request = urllib.request.Request(self.base + path, data=body, headers={"Content-Type": kind})
        with self.opener.open(request, timeout=300) as response:
            return response.status, response.geturl(), response.read().decode()

    @staticmethod
    def field(html: str, name: str) -> str:
        tag = re.search(rf'<input[^>]*name="{name}"[^>]*>', html)
        if tag is None:
            raise SystemExit(f"no {name} field on the page")
        return re.search(r'value="([^"]*)"', tag.group(0)).group(1).replace("&#34;", '"').replace("&amp;", "&")

    def login(self) -> None:
        _, page = self.get("/auth/login")
        self.post("/auth/login", {"csrf_token": self.field(page, "csrf_token"), "email": "bench@example.org",
                                  "password": PASSWORD})

    def import_guests(self, event_id: int, rows: int) -> float:
        _, page = self.get(f"/events/{event_id}/guests/import")
        csv_text = "name,email,organisation\n" + "".join(f"New Guest {n},new{n}@bench.example,Org\n" for n in range(rows))
        _, _, preview = self.post(f"/events/{event_id}/guests/import", {"csrf_token": self.field(page, "csrf_token")},
                                  {"file": ("guests.csv", csv_text)})
        fields = {"csrf_token": self.field(preview, "csrf_token"), "payload": self.field(preview, "payload")}
        started = time.perf_counter()
        _, _, answer = self.post(f"/events/{event_id}/guests/import/confirm", fields)
        elapsed = time.perf_counter() - started
        if f"{rows} guests imported" not in answer:
            raise SystemExit("the import did not say it imported every row")
        return elapsed

    def print_pack(self, event_id: int) -> float:
        _, page = self.get(f"/events/{event_id}")
        started = time.perf_counter()
        _, job_url, _ = self.post(f"/events/{event_id}/briefings/pack", {"csrf_token": self.field(page, "csrf_token"),
                                                                         "paper": "a4"})
        path = urllib.parse.urlparse(job_url).path
        status = wait_until(lambda: (s := json.loads(self.get(path + "/status")[1]))["status"] in ("done", "failed")
                            and s, 600, "the pack", every=0.5)
        if status["status"] != "done":
            raise SystemExit(f"the pack failed: {status['error']}")
        self.get(urllib.parse.urlparse(status["file_url"]).path)
        return time.perf_counter() - started


class PacedScanners:
    """`count` phones, each scanning every `interval` seconds until told to stop: mostly new guests,
    one scan in eight a rescan, one in ten an unknown code."""

    def __init__(self, port: int, secret: str, codes: list[str], count: int, interval: float):
        self.port, self.path, self.codes, self.count, self.interval = port, f"/api/door/{secret}/scan", codes, count, interval
        self.latencies, self.errors, self.lock, self.stop = [], [], threading.Lock(), threading.Event()
        #: (perf_counter when it was sent, latency) of every scan, to say what ran at the time of the slowest
        self.timeline: list[tuple[float, float]] = []

    def _code(self, phone: int, n: int) -> str:
        if n % 10 == 9:
            return secrets.token_urlsafe(32)
        index = (phone + self.count * n) % len(self.codes)
        return self.codes[(index * 7) % len(self.codes)] if n % 8 == 7 else self.codes[index]

    def _run(self, phone: int) -> None:
        scanner, n, due = Scanner(self.port), 0, time.perf_counter()
        while not self.stop.is_set():
            body = json.dumps({"code": self._code(phone, n), "nonce": secrets.token_hex(12)}).encode()
            started = time.perf_counter()
            try:
                status, _ = scanner.post(self.path, body)
                error = None if status == 200 else f"HTTP {status}"
            except (OSError, ValueError, StopIteration) as exc:
                error = type(exc).__name__
                scanner.close()
                scanner = Scanner(self.port)
            latency = time.perf_counter() - started
            with self.lock:
                self.latencies.append(latency)
                self.timeline.append((started, latency))
                if error:
                    self.errors.append(error)
            n += 1
            due += self.interval
            self.stop.wait(max(due - time.perf_counter(), 0))
        scanner.close()

    def start(self) -> list[threading.Thread]:
        threads = [threading.Thread(target=self._run, args=(i,), daemon=True) for i in range(self.count)]
        for thread in threads:
            thread.start()
        return threads


def smtp_sink():
    from aiosmtpd.controller import Controller

    class Sink:
        received = 0

        async def handle_DATA(self, server, session, envelope):
            Sink.received += 1
            return "250 OK"

    controller = Controller(Sink(), hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, Sink


def main() -> None:
    args = parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="eventkit-bench-door-mixed-"))
    database_url = args.database_url or f"sqlite:///{workdir / 'bench.db'}"
    queue_url = f"sqlite:///{workdir / 'queue.db'}"
    secret_key = secrets.token_urlsafe(48)
    print(f"seeding {args.guests} guests and {args.emails} emails in {workdir} ...", flush=True)
    event_id, door_secret, codes = seed(database_url, secret_key, queue_url, args.guests, args.emails)
    sink, received = smtp_sink()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": secret_key, "EVENTKIT_QUEUE_URL": queue_url,
           "EVENTKIT_BASE_URL": f"http://127.0.0.1:{port}", "EVENTKIT_ENV": "production",
           "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(sink.port), "MAIL_USE_STARTTLS": "false",
           "EVENTKIT_OUTBOX_DIR": str(workdir / "outbox")}
    web = start(gunicorn_command(port, args.workers), env, workdir / "gunicorn.log")
    worker = start([sys.executable, "-m", "flask", "--app", "eventkit", "eventkit", "worker"], env, workdir / "worker.log")
    results: dict = {}
    try:
        wait_until(lambda: _answers(port), 180, "gunicorn")
        organiser = Organiser(f"http://127.0.0.1:{port}")
        organiser.login()
        scanners = PacedScanners(port, door_secret, codes, args.scanners, args.interval)
        phones = scanners.start()
        started = time.perf_counter()
        tasks = [threading.Thread(target=lambda: results.update(import_s=organiser.import_guests(event_id, args.import_rows))),
                 threading.Thread(target=lambda: results.update(pack_s=Organiser.print_pack(_second(port), event_id)))]
        enqueue_mail_delivery(database_url, secret_key, queue_url)
        for task in tasks:
            task.start()
        wait_until(lambda: received.received >= args.emails, 600, "the emails")
        results["mail_s"] = time.perf_counter() - started
        for task in tasks:
            task.join(timeout=600)
        scanners.stop.set()
        for phone in phones:
            phone.join(timeout=30)
    finally:
        for process in (web, worker):
            process.terminate()
            process.wait(timeout=60)
        sink.stop()
    latencies = scanners.latencies
    result = {
        "scan_p50_ms": round(percentile(latencies, 0.50) * 1000, 1),
        "scan_p99_ms": round(percentile(latencies, 0.99) * 1000, 1),
        "scan_errors": len(scanners.errors),
        "import_s": round(results["import_s"], 2),
        "pack_s": round(results["pack_s"], 1),
        "mail_s": round(results["mail_s"], 1),
    }
    print(f"{len(latencies)} scans by {args.scanners} phones (one every {args.interval:g} s each); errors: "
          f"{sorted(set(scanners.errors)) or 'none'}; max {max(latencies) * 1000:.0f} ms; "
          f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"import of {args.import_rows} rows {result['import_s']} s; pack of {args.guests} guests "
          f"{result['pack_s']} s; {args.emails} emails {result['mail_s']} s")
    print(slowest_scans(scanners.timeline, started, results))
    print(json.dumps(result))


def slowest_scans(timeline: list[tuple[float, float]], began: float, results: dict, count: int = 5) -> str:
    """The `count` slowest scans, when they started (seconds after the organiser's work `began`) and
    which of the organiser's jobs were still running then."""
    def running(at: float) -> str:
        jobs = [name for name, key in (("import", "import_s"), ("mail", "mail_s"), ("pack", "pack_s"))
                if at < results.get(key, 0)]
        return "+".join(jobs) or "scans only"

    slow = [(sent - began, latency) for sent, latency in sorted(timeline, key=lambda item: -item[1])[:count]]
    return "slowest scans: " + ", ".join(f"{latency * 1000:.0f} ms at {at:.1f} s ({running(at)})" for at, latency in slow)


def _answers(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def _second(port: int) -> Organiser:
    """A second tab of the same organiser (its own session), for the pack while the import runs."""
    tab = Organiser(f"http://127.0.0.1:{port}")
    tab.login()
    return tab


if __name__ == "__main__":
    main()
