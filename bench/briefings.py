"""Benchmark: seconds per guest briefing, the 80-guest print pack, and the pack versus 80 separate renders.

Builds an 80-guest gathering (full profiles, offers and seeks, a locked plan of 4 rounds, every guest's
notes on their partners) in a scratch SQLite database, then renders through the same services the
web app uses (child process, time limit, locked-down fetcher).

    python bench/briefings.py [--guests 80] [--paper a4]

Target: the 80-guest pack in under 15 s on the 2-core machine. The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402

from eventkit import create_app  # noqa: E402
from eventkit.attendees.models import Attendee, AttendeeStatus, Person  # noqa: E402
from eventkit.auth.models import Organiser  # noqa: E402
from eventkit.briefings import services  # noqa: E402
from eventkit.db import db, utcnow  # noqa: E402
from eventkit.events.models import Event, Tag  # noqa: E402
from eventkit.matching.models import Conversation, Plan  # noqa: E402
from eventkit.profiles.models import Intent, ResearchNote  # noqa: E402

TAGS = ["Fundraising", "Hiring", "Rust", "Design feedback", "Climate policy", "Go-to-market", "Grid storage", "Carbon accounting"]
FIELDS = ["Climate", "Developer tools", "Design", "Finance", "Policy", "Research"]


def build(guests: int) -> int:
    rng = random.Random(7)
    organiser = Organiser(email="bench@example.org", name="Bench Organiser")
    organiser.set_password("correct horse battery staple")
    starts = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=10)
    event = Event(owner=organiser, slug="bench", title="Climate founders dinner", theme="Climate-tech founders and engineers",
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
            status=AttendeeStatus.APPROVED, access_notes="Vegetarian" if n % 9 == 0 else "",
        )
        db.session.add(attendee)
        people.append(attendee)
    db.session.flush()
    for attendee in people:
        for kind in ("offer", "offer", "seek", "seek"):
            db.session.add(Intent(attendee_id=attendee.id, kind=kind, tag_id=rng.choice(event.tags).id,
                                  text="specific, practical help with this topic"))
    plan = Plan(event_id=event.id, rounds=4, round_minutes=12, planned_at=utcnow(), locked_at=utcnow())
    db.session.add(plan)
    db.session.flush()
    noted: set[tuple[int, int]] = set()
    for round_no in range(1, 5):
        order = people[:]
        rng.shuffle(order)
        for table, (a, b) in enumerate(zip(order[::2], order[1::2]), start=1):
            db.session.add(Conversation(plan_id=plan.id, event_id=event.id, round=round_no, table_no=table,
                                        a_id=a.id, b_id=b.id, reasons=[
                                            f"{a.name} offers Rust mentoring that {b.name} seeks",
                                            f"{b.name} offers hiring intros that {a.name} seeks",
                                            "Different fields, so each of you sees the problem differently"]))
            for author, subject in ((a, b), (b, a)):
                if (author.id, subject.id) in noted:
                    continue
                noted.add((author.id, subject.id))
                db.session.add(ResearchNote(event_id=event.id, author_attendee_id=author.id, subject_id=subject.id,
                                            body="Read their blog post on storage; ask about the pilot.",
                                            starters="What surprised you in the pilot?\nWho should I meet next?"))
    db.session.commit()
    return event.id


def timed(func):
    started = time.perf_counter()
    value = func()
    return time.perf_counter() - started, value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=80)
    parser.add_argument("--paper", default="a4")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("EVENTKIT_ENV", "development")
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench-" + "x" * 40,
                          "BASE_URL": "https://eventkit.example", "OUTBOX_DIR": f"{tmp}/outbox",
                          "BRIEFINGS_RENDER_TIMEOUT": 1800})
        with app.app_context():
            flask_migrate.upgrade()
            event_id = build(args.guests)
            report(app, event_id, args.guests, services.paper_for(args.paper))


def report(app, event_id: int, guests: int, paper) -> None:
    event = db.session.get(Event, event_id)
    attendees = db.session.query(Attendee).filter_by(event_id=event_id).order_by(Attendee.name).all()
    services.guest_briefing(attendees[0], paper, own_copy=True)  # start the fork server (imports WeasyPrint once)
    print(f"guests: {guests}, cpus: {os.cpu_count()}, load average: {os.getloadavg()[0]:.1f}, paper: {paper.label}")
    pack, result = timed(lambda: services.print_pack(event, paper))
    print(f"{guests}-guest pack: {pack:.2f} s wall ({result.pages} pages, {len(result.pdf) / 1024:.0f} KiB, "
          f"{len(result.cpu_seconds)} part(s), CPU per part {', '.join(f'{c:.1f}' for c in result.cpu_seconds)} s)",
          flush=True)
    app.config["BRIEFINGS_RENDER_WORKERS"] = 1
    single, single_result = timed(lambda: services.print_pack(event, paper))
    app.config["BRIEFINGS_RENDER_WORKERS"] = 2
    print(f"{guests}-guest pack as ONE document in one process: {single:.2f} s wall "
          f"(CPU {single_result.cpu_seconds[0]:.1f} s)", flush=True)
    split, _ = timed(lambda: services.print_pack(event, paper, split=True))
    print(f"pack plus per-guest PDFs cut from the same layout (email, CLI): {split:.2f} s", flush=True)
    run_sheet, _ = timed(lambda: services.run_sheet(event, paper))
    print(f"run-sheet: {run_sheet:.2f} s", flush=True)
    one_by_one, sizes = timed(lambda: [len(services.guest_briefing(a, paper, own_copy=True)) for a in attendees])
    per_guest = one_by_one / guests
    print(f"{guests} briefings one by one: {one_by_one:.2f} s; one guest briefing: {per_guest:.3f} s "
          f"({sum(sizes) / guests / 1024:.0f} KiB each)")
    critical = max(result.cpu_seconds)
    print(f"pack vs one by one: {one_by_one / pack:.1f}x faster; pack target < 15 s: "
          f"{'met' if pack < 15 else 'missed'} on wall time; CPU critical path {critical:.1f} s "
          f"(wall time on an idle {os.cpu_count()}-core machine); load average now {os.getloadavg()[0]:.1f}")
    print(json.dumps({"per_guest_s": round(per_guest, 3), f"pack{guests}_s": round(pack, 2),
                      f"one_by_one{guests}_s": round(one_by_one, 2), f"pack{guests}_one_document_s": round(single, 2),
                      "pack_cpu_critical_path_s": round(critical, 2), "pack_split_s": round(split, 2),
                      "run_sheet_s": round(run_sheet, 2), "pack_pages": result.pages, "cpus": os.cpu_count(),
                      "load_average": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main()
