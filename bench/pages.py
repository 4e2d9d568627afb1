"""Benchmark: server time of every organiser and guest page of an 80-guest gathering with a finished history.

Builds, in a scratch SQLite database, an 80-guest gathering that is over: full profiles, offers and seeks,
research notes, a locked plan of 4 rounds, most guests checked in, marked finished (so the conversations
became connections with follow-up tasks) and a share of follow-ups recorded. Then, in-process with Flask's
test client, it finds the pages as a user would (breadth first over the links from "My gatherings" for the
organiser and from the guest's own page for one guest; downloads and PDFs are left out: bench/briefings.py
measures those) and times each kind of page (same route and query keys, up to --samples addresses each)
--repeat times.

    python bench/pages.py [--guests 80] [--repeat 30] [--samples 3]

Target: every page's p95 under 50 ms. Prints one line per page kind, slowest first (p95, p50 and the p95 of
the process's CPU time, which a shared machine's other work hardly changes: on a loaded machine the wall-clock
p95 is mostly the time the process waited for a core); the last line is one JSON object: max_page_p95_ms,
slowest_page, max_page_cpu_p95_ms, most_cpu_page, pages (page kinds timed), requests, and per-page p95s.
"""
from __future__ import annotations

import argparse
import gc
import json
import os
import random
import sys
import tempfile
import time
from collections import deque
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, urldefrag, urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from werkzeug.exceptions import MethodNotAllowed, NotFound  # noqa: E402
from werkzeug.routing import RequestRedirect  # noqa: E402

from eventkit import create_app  # noqa: E402
from eventkit.attendees.links import issue as issue_link  # noqa: E402
from eventkit.attendees.models import Attendee, AttendeeStatus, Person  # noqa: E402
from eventkit.auth.models import Organiser  # noqa: E402
from eventkit.db import db  # noqa: E402
from eventkit.events.models import Event, Tag  # noqa: E402
from eventkit.events.services import change_status  # noqa: E402
from eventkit.followup import services as followup  # noqa: E402
from eventkit.followup.models import ConnectionLink  # noqa: E402
from eventkit.matching.models import Conversation, Plan  # noqa: E402
from eventkit.profiles.models import Intent, ResearchNote  # noqa: E402

TAGS = ["Fundraising", "Hiring", "Rust", "Design feedback", "Climate policy", "Go-to-market", "Grid storage",
        "Carbon accounting"]
FIELDS = ["Climate", "Developer tools", "Design", "Finance", "Policy", "Research"]
ORIGIN = "http://localhost"
TARGET_MS = 50.0


def build(guests: int, now: datetime) -> tuple[int, int, int]:
    """The finished gathering; returns (organiser id, event id, the sample guest's id)."""
    rng = random.Random(15)
    organiser = Organiser(email="bench@example.org", name="Bench Organiser")
    organiser.set_password("correct horse battery staple")
    starts = (now - timedelta(days=2)).replace(microsecond=0)
    event = Event(owner=organiser, slug="bench", title="Climate founders dinner", theme="Climate-tech founders",
                  venue="The Long Table, 12 Canal Street, Amsterdam", timezone="Europe/Amsterdam",
                  starts_at=starts, ends_at=starts + timedelta(hours=3), capacity=guests, status="open")
    event.tags = [Tag(name=name) for name in TAGS]
    db.session.add(event)
    db.session.flush()
    people = []
    for n in range(guests):
        email = f"guest{n}@example.com"
        attendee = Attendee(
            event_id=event.id, person=Person(email=email), email=email, name=f"Guest Number {n:02d} Example",
            role=rng.choice(["Founder", "Engineer", "Designer", "Investor", "Researcher"]),
            organisation=f"Company {n % 23}", field=rng.choice(FIELDS), directory_consent=n % 5 != 0,
            bio="Builds software for the energy transition; previously ran a grid-storage pilot. " * 3,
            status=AttendeeStatus.APPROVED if n % 10 else AttendeeStatus.REGISTERED,
            checked_in_at=starts + timedelta(minutes=n % 40) if n % 8 else None,
        )
        db.session.add(attendee)
        people.append(attendee)
    db.session.flush()
    for attendee in people:
        for kind in ("offer", "offer", "seek", "seek"):
            db.session.add(Intent(attendee_id=attendee.id, kind=kind, tag_id=rng.choice(event.tags).id,
                                  text="specific, practical help with this topic"))
    plan = Plan(event_id=event.id, rounds=4, round_minutes=12, planned_at=starts - timedelta(days=3),
                locked_at=starts - timedelta(days=2))
    db.session.add(plan)
    db.session.flush()
    noted: set[tuple[int, int]] = set()
    for round_no in range(1, 5):
        order = people[:]
        rng.shuffle(order)
        for table, (a, b) in enumerate(zip(order[::2], order[1::2]), start=1):
            db.session.add(Conversation(plan_id=plan.id, event_id=event.id, round=round_no, table_no=table,
                                        a_id=a.id, b_id=b.id, reasons=[f"{a.name} offers what {b.name} seeks"]))
            if (a.id, b.id) in noted:
                continue
            noted.add((a.id, b.id))
            db.session.add(ResearchNote(event_id=event.id, author_attendee_id=a.id, subject_id=b.id,
                                        body="Read their post on storage; ask about the pilot.",
                                        starters="What surprised you in the pilot?"))
    db.session.flush()
    change_status(event, "closed", organiser, now)
    change_status(event, "finished", organiser, now)  # the conversations become connections
    db.session.flush()
    history(event, people, rng, now)
    db.session.commit()
    return organiser.id, event.id, people[1].id


def history(event: Event, people: list[Attendee], rng: random.Random, now: datetime) -> None:
    """About half of the connections got a follow-up from one side, a few from both."""
    links = db.session.scalars(db.select(ConnectionLink).where(ConnectionLink.event_id == event.id)).all()
    for link in links:
        if rng.random() < 0.5:
            continue
        sides = [link.low_attendee, link.high_attendee]
        for guest in sides[: 1 + (rng.random() < 0.3)]:
            followup.record_action(guest, link.connection_id, "thank_you", "Thanks for the chat!", now)


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def kind_of(app, path: str) -> str | None:
    parts = urlsplit(path)
    try:
        endpoint, _args = app.url_map.bind("localhost").match(parts.path, method="GET")
    except RequestRedirect:
        return None
    except (NotFound, MethodNotAllowed):
        return None
    keys = sorted({key for key, _value in parse_qsl(parts.query)})
    return endpoint + (f"?{'&'.join(keys)}" if keys else "")


def is_page(path: str) -> bool:
    return "." not in urlsplit(path).path.rsplit("/", 1)[-1]  # calendar.ics, guests.csv, briefing.pdf...


def find_pages(app, client, start: str, samples: int) -> dict[str, list[str]]:
    """{page kind: up to `samples` addresses}, breadth first from `start` over links and redirects."""
    seen, queue, found = {start}, deque([start]), {}
    while queue:
        path = queue.popleft()
        kind = kind_of(app, path)
        if kind is None or not is_page(path) or len(found.get(kind, [])) >= samples:
            continue
        response = client.get(path)
        if response.status_code in (301, 302, 303):
            targets = [response.headers["Location"]]
        elif response.status_code == 200 and response.mimetype == "text/html":
            found.setdefault(kind, []).append(path)
            parser = Links()
            parser.feed(response.get_data(as_text=True))
            targets = parser.hrefs
        else:
            continue
        for target in targets:
            absolute, _fragment = urldefrag(urljoin(ORIGIN + path, target))
            parts = urlsplit(absolute)
            if f"{parts.scheme}://{parts.netloc}" != ORIGIN:
                continue
            local = parts.path + (f"?{parts.query}" if parts.query else "")
            if local not in seen and not local.startswith("/g/"):
                seen.add(local)
                queue.append(local)
    return found


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def time_pages(client, pages: dict[str, list[str]], repeat: int, who: str) -> dict[str, dict]:
    results = {}
    for kind, paths in pages.items():
        client.get(paths[0])  # warm the templates
        timings, cpu = [], []
        for n in range(repeat):
            path = paths[n % len(paths)]
            started, started_cpu = time.perf_counter(), time.process_time()
            response = client.get(path)
            timings.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            assert response.status_code == 200, (path, response.status_code)
        results[f"{who} {kind}"] = {"p50_ms": round(sorted(timings)[len(timings) // 2], 1),
                                    "p95_ms": round(p95(timings), 1), "cpu_p95_ms": round(p95(cpu), 1),
                                    "example": paths[0]}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=80)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("EVENTKIT_ENV", "development")
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench-" + "x" * 40,
                          "BASE_URL": "http://localhost", "OUTBOX_DIR": f"{tmp}/outbox",
                          "QUEUE_URL": f"sqlite:///{tmp}/queue.db", "MAIL_SERVER": ""})
        now = datetime.now(timezone.utc)
        with app.app_context():
            flask_migrate.upgrade()
            organiser_id, event_id, guest_id = build(args.guests, now)
            organiser = db.session.get(Organiser, organiser_id)
            session_id = organiser.get_id()
            token = issue_link(db.session.get(Attendee, guest_id), now)
            db.session.commit()
            slug = db.session.get(Event, event_id).slug
        organiser_client, guest_client = app.test_client(), app.test_client()
        with organiser_client.session_transaction() as session:
            session["_user_id"], session["_fresh"] = session_id, True
        assert guest_client.get(f"/g/{token}").status_code == 302
        gc.collect()
        gc.freeze()  # as wsgi.py does once the app is made: the long-lived objects stay out of full collections
        results = {}
        for who, client, start in (("organiser", organiser_client, "/events/"),
                                   ("guest", guest_client, f"/e/{slug}/me")):
            pages = find_pages(app, client, start, args.samples)
            results.update(time_pages(client, pages, args.repeat, who))
    print(f"guests: {args.guests}, cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, "
          f"repeat: {args.repeat}")
    ranked = sorted(results.items(), key=lambda item: -item[1]["p95_ms"])
    for name, numbers in ranked:
        print(f"{numbers['p95_ms']:7.1f} ms p95 {numbers['p50_ms']:7.1f} ms p50 {numbers['cpu_p95_ms']:7.1f} ms cpu p95"
              f"  {name}  ({numbers['example']})")
    slowest, worst = ranked[0]
    busiest, most_cpu = max(results.items(), key=lambda item: item[1]["cpu_p95_ms"])
    print(json.dumps({"max_page_p95_ms": worst["p95_ms"], "slowest_page": slowest, "slowest_example": worst["example"],
                      "max_page_cpu_p95_ms": most_cpu["cpu_p95_ms"], "most_cpu_page": busiest,
                      "target_ms": TARGET_MS, "pages": len(results), "requests": len(results) * args.repeat,
                      "p95_ms": {name: numbers["p95_ms"] for name, numbers in ranked}}))


if __name__ == "__main__":
    main()
