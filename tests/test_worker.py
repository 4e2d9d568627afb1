"""The worker as it runs: a real consumer delivering mail beside cron's send-mail (never twice), the
periodic schedule, and `flask eventkit worker` in its own process making a print pack."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from queue_helpers import flush_the_queue, in_both_queue_modes, running_worker, wait_for  # noqa: F401  (fixtures)
from sqlalchemy import func, select
from test_briefings_support import build_gathering, pdf_text
from test_mail_sender import queue as queue_notices

from eventkit.db import db
from eventkit.followup.tasks import follow_up_sweep
from eventkit.jobs.tasks import housekeeping
from eventkit.mail.models import MailStatus, OutboundEmail
from eventkit.mail.tasks import deliver_mail

ROOT = Path(__file__).resolve().parent.parent


def statuses(app) -> dict:
    with app.app_context():
        return dict(db.session.execute(
            select(OutboundEmail.status, func.count()).group_by(OutboundEmail.status)).all())


def test_the_worker_and_cron_send_mail_together_never_send_twice(smtp_app, smtp_server, runner):  # noqa: F811
    queue_notices(smtp_app, n=60)
    with running_worker(threads=2):
        deliver_mail()  # what the scheduler enqueues every minute: twice, as two workers' schedulers would
        deliver_mail()
        result = runner.invoke(args=["eventkit", "send-mail"])
        assert result.exit_code == 0, result.output
        wait_for(lambda: statuses(smtp_app) == {MailStatus.SENT: 60})
    message_ids = [m["Message-ID"] for m in smtp_server.messages()]
    assert len(message_ids) == 60 and len(set(message_ids)) == 60
    with smtp_app.app_context():
        assert set(db.session.scalars(select(OutboundEmail.attempts))) == {1}


def test_periodic_schedule():
    at = lambda minute: datetime(2026, 12, 1, 9, minute)  # noqa: E731
    assert all(deliver_mail.s().validate_datetime(at(m)) for m in (0, 7, 59))
    assert all(housekeeping.s().validate_datetime(at(m)) for m in (0, 7, 59))
    assert [m for m in range(60) if follow_up_sweep.s().validate_datetime(at(m))] == [0, 15, 30, 45]


@pytest.mark.parametrize("app_config", ["sqlite"], indirect=True)
def test_flask_eventkit_worker_makes_the_pack_in_render_processes_at_low_priority(app, client, login, organiser, make_event,
                                                             make_attendee, make_intent, tmp_path):
    gathering = build_gathering(app, make_event, make_attendee, make_intent)
    env = {**os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": app.config["SECRET_KEY"], "EVENTKIT_QUEUE_URL": app.config["QUEUE_URL"],
           "EVENTKIT_OUTBOX_DIR": str(tmp_path / "outbox"), "EVENTKIT_BASE_URL": app.config["BASE_URL"]}
    worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "eventkit", "eventkit", "worker", "--threads", "1"],
                              cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        login(organiser)
        page = client.post(f"/events/{gathering.event.id}/briefings/pack", data={"paper": "a4"}).headers["Location"]
        status = wait_for(lambda: (s := client.get(page + "/status").get_json())["status"] in ("done", "failed") and s,
                          timeout=180)
        assert status["status"] == "done", status
        assert "BRIEFING FOR\nDan Shy" in pdf_text(client.get(status["file_url"]).data)
        # the worker itself runs at normal priority (its writes hold SQLite's write lock: see write_gate.py)
        assert int(Path(f"/proc/{worker.pid}/stat").read_text().rsplit(")", 1)[1].split()[16]) == 0  # niceness
    finally:
        worker.send_signal(signal.SIGINT)
        output, _ = worker.communicate(timeout=60)
    assert "eventkit worker: 1 thread(s), queue SQLite" in output, output
    assert re.search(r"print pack of gathering \d+: \d+ guests, \d+ pages, [\d.]+ s of render CPU at niceness \+10",
                     output), output
    assert worker.returncode == 0, output
