"""Benchmark: "Email briefings to guests" for 80 guests: the click (queue only) and the send run that renders.

Builds the same 80-guest gathering as bench/briefings.py in a scratch SQLite database, times the
service behind the POST (queue 80 emails, no render) and counts its SQL statements, then times one
`send_due` run that makes every briefing PDF (guests rendered together, 20 per claimed batch) and
writes the .eml files.

    python bench/briefing_emails.py [--guests 80]

The last line is one JSON object.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import flask_migrate  # noqa: E402
from briefings import build, timed  # noqa: E402
from sqlalchemy import event as sa_event  # noqa: E402

from eventkit import create_app  # noqa: E402
from eventkit.briefings import emailing, services  # noqa: E402
from eventkit.db import db  # noqa: E402
from eventkit.events.models import Event  # noqa: E402
from eventkit.mail.sender import send_due  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--guests", type=int, default=80)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ.setdefault("EVENTKIT_ENV", "development")
        app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp}/bench.db", "SECRET_KEY": "bench-" + "x" * 40,
                          "BASE_URL": "https://eventkit.example", "OUTBOX_DIR": f"{tmp}/outbox"})
        with app.app_context():
            flask_migrate.upgrade()
            event = db.session.get(Event, build(args.guests))
            report(event, args.guests, Path(tmp) / "outbox")


def report(event: Event, guests: int, outbox: Path) -> None:
    statements = []

    def count(*_args):
        statements.append(1)

    sa_event.listen(db.engine, "before_cursor_execute", count)
    queue_s, (queued, _skipped) = timed(lambda: emailing.email_briefings(event, services.paper_for("a4")))
    sa_event.remove(db.engine, "before_cursor_execute", count)
    db.session.commit()
    print(f"queue {queued} briefing emails (the click): {queue_s * 1000:.0f} ms, {len(statements)} SQL statements",
          flush=True)
    send_s, sent = timed(lambda: send_due())
    size = sum(path.stat().st_size for path in outbox.glob("*.eml")) / max(sent.sent, 1) / 1024
    summary = sent.summary().rstrip(".")
    print(f"send-mail making and sending them: {send_s:.1f} s ({summary}), {send_s / guests:.2f} s a guest, "
          f"{size:.0f} KiB an email; load average {os.getloadavg()[0]:.1f}")
    print(json.dumps({"guests": guests, "queue_ms": round(queue_s * 1000), "queue_statements": len(statements),
                      "send_s": round(send_s, 1), "sent": sent.sent, "failed": sent.failed, "cpus": os.cpu_count(),
                      "load_average": round(os.getloadavg()[0], 1)}))


if __name__ == "__main__":
    main()
