"""Jobs in the worker: progress and result, joining, failure with a Retry, crash recovery, expiry,
access; in both queue modes (SQLite file, Redis). The queue runs in-process (tests/queue_helpers.py)."""
from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from queue_helpers import drain, flush_the_queue, in_both_queue_modes, queued  # noqa: F401  (fixtures)
from sqlalchemy import func, select
from test_briefings_support import build_gathering, pdf_text

from eventkit.audit import AuditEntry
from eventkit.briefings import services as briefing_services
from eventkit.db import db, utcnow
from eventkit.jobs import runner, services
from eventkit.jobs.models import Job, JobFile, JobStatus
from eventkit.jobs.queue import huey

NAMES = ("Ada Lovelace", "Ben Okafor", "Cleo Park", "Dan Shy")


@pytest.fixture
def gathering(app, make_event, make_attendee, make_intent):
    return build_gathering(app, make_event, make_attendee, make_intent)


def ask(client, event_id: int, what: str = "pack", paper: str = "a4"):
    response = client.post(f"/events/{event_id}/briefings/{what}", data={"paper": paper})
    assert response.status_code == 303, response.data
    return response.headers["Location"]


def job_row(app, job_id: int | None = None) -> Job:
    with app.app_context():
        query = select(Job) if job_id is None else select(Job).where(Job.id == job_id)
        job = db.session.scalars(query).one()
        db.session.expunge(job)
        return job


def test_pack_job_shows_progress_then_offers_the_file(app, client, login, organiser, gathering, monkeypatch):
    app.config["BRIEFINGS_PART_GUESTS"] = 2
    steps = []
    record = runner.Progress.__call__
    monkeypatch.setattr(runner.Progress, "__call__", lambda self, done, total: (steps.append((done, total)),
                                                                               record(self, done, total)))
    login(organiser)
    page = ask(client, gathering.event.id)
    waiting = client.get(page)
    assert b"Waiting for the worker" in waiting.data and b'http-equiv="refresh"' in waiting.data
    assert queued() == 1

    assert drain() == 1
    assert steps == [(0, 4), (2, 4), (4, 4)]
    ready = client.get(page)
    assert b"4 of 4 guests" in ready.data and b"Download briefings-" in ready.data
    assert b'http-equiv="refresh"' not in ready.data
    status = client.get(page + "/status").get_json()
    assert status["status"] == "done" and status["progress"] == "4 of 4 guests"
    pdf = client.get(status["file_url"])
    assert pdf.mimetype == "application/pdf" and "attachment" in pdf.headers["Content-Disposition"]
    text = pdf_text(pdf.data)
    positions = [text.index(f"BRIEFING FOR\n{name}") for name in NAMES]
    assert positions == sorted(positions)


def test_every_briefing_as_a_zip_and_the_run_sheet(app, client, login, organiser, gathering):
    login(organiser)
    each, sheet = ask(client, gathering.event.id, "each", "letter"), ask(client, gathering.event.id, "run-sheet")
    assert drain() == 2
    archive = zipfile.ZipFile(io.BytesIO(client.get(client.get(each + "/status").get_json()["file_url"]).data))
    slug = gathering.event.slug
    assert sorted(archive.namelist()) == sorted(f"briefing-{slug}-{g.id}.pdf" for g in
                                                (gathering.ada, gathering.ben, gathering.cleo, gathering.dan))
    ben = pdf_text(archive.read(f"briefing-{slug}-{gathering.ben.id}.pdf"))
    assert "BRIEFING FOR\nBen Okafor" in ben and ben.count("BRIEFING FOR") == 1
    sheet_status = client.get(sheet + "/status").get_json()
    assert sheet_status["progress"] == "1 of 1 documents"
    assert "Table 3" in pdf_text(client.get(sheet_status["file_url"]).data)


def test_a_repeat_click_joins_the_job_under_way(app, client, login, organiser, gathering):
    login(organiser)
    first = ask(client, gathering.event.id)
    assert ask(client, gathering.event.id) == first
    other_paper = ask(client, gathering.event.id, paper="letter")
    assert other_paper != first
    assert queued() == 2
    drain()
    again = ask(client, gathering.event.id)
    assert again != first  # finished jobs are not joined: a new click makes a fresh file
    with app.app_context():
        assert db.session.scalar(select(func.count(Job.id))) == 3


def test_a_failed_job_says_why_and_retry_makes_it(app, client, login, organiser, gathering):
    app.config["BRIEFINGS_MAX_PACK_GUESTS"] = 3
    login(organiser)
    page = ask(client, gathering.event.id)
    drain()
    failed = client.get(page)
    assert b"limited to 3 guests" in failed.data and b">Retry</button>" in failed.data
    assert job_row(app).attempts == 1  # a reason the organiser can act on is not retried by itself

    app.config["BRIEFINGS_MAX_PACK_GUESTS"] = 150
    retried = client.post(page + "/retry")
    assert retried.status_code == 303 and retried.headers["Location"] == page
    assert b"Waiting for the worker" in client.get(page).data
    drain()
    assert client.get(page + "/status").get_json()["status"] == "done"
    assert client.post(page + "/retry").status_code == 409


def test_a_crash_mid_job_is_retried_without_duplicates(app, client, login, organiser, gathering, monkeypatch):
    app.config["BRIEFINGS_PART_GUESTS"] = 2
    real = briefing_services._run
    calls = []

    def crash_once(jobs, timeout=None):
        calls.append(1)
        if len(calls) == 2:  # the second part of the first run
            raise OSError("disk on fire")
        return real(jobs, timeout)

    monkeypatch.setattr(briefing_services, "_run", crash_once)
    login(organiser)
    page = ask(client, gathering.event.id)
    drain()
    job = job_row(app)
    assert job.status == JobStatus.DONE and job.attempts == 2 and job.error == ""
    assert len(calls) == 4  # 1 + 1 (crash) + 2
    with app.app_context():
        assert db.session.scalar(select(func.count(Job.id))) == 1
        assert db.session.scalar(select(func.count()).select_from(JobFile)) == 1
        assert db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == "job.requested")) == 1
    assert pdf_text(client.get(client.get(page + "/status").get_json()["file_url"]).data).count("BRIEFING FOR") == 4


def test_a_job_crashing_every_time_fails_for_good_with_the_reason(app, client, login, organiser, gathering,
                                                                 monkeypatch):
    monkeypatch.setattr(briefing_services, "_run", lambda jobs, timeout=None: 1 / 0)
    login(organiser)
    page = ask(client, gathering.event.id)
    assert drain() == 1 + runner.RETRIES
    job = job_row(app)
    assert job.status == JobStatus.FAILED and "ZeroDivisionError" in job.error and job.active_key is None
    assert b">Retry</button>" in client.get(page).data


def test_a_job_whose_worker_died_is_made_again_and_the_dead_run_cannot_write(app, client, login, organiser,
                                                                            gathering):
    login(organiser)
    page = ask(client, gathering.event.id)
    huey.flush()  # the worker took the task and died: nothing left in the queue
    job_id = job_row(app).id
    with app.app_context():
        assert runner.claim(job_id, "dead-run") is not None
        assert services.requeue_stalled(utcnow()) == []  # still within its time
        later = utcnow() + timedelta(minutes=runner.DEFAULTS["JOB_STALL_MINUTES"] + 1)
        assert services.requeue_stalled(later) == [job_id]
        db.session.commit()
    assert b"being made again" in client.get(page).data
    assert drain() == 1
    with app.app_context():
        with pytest.raises(runner.JobLost):
            runner.Progress(job_id, "dead-run")(1, 4)
    job = job_row(app)
    assert job.status == JobStatus.DONE and job.attempts == 2 and job.done == 4


def test_files_are_deleted_after_their_time(app, client, login, organiser, gathering):
    login(organiser)
    page = ask(client, gathering.event.id)
    drain()
    file_url = client.get(page + "/status").get_json()["file_url"]
    expires = job_row(app).expires_at
    assert timedelta(hours=23) < expires - utcnow() <= timedelta(hours=24)
    with app.app_context():
        assert services.delete_expired_files(expires - timedelta(seconds=1)) == 0
        assert services.delete_expired_files(expires) == 1
        db.session.commit()
        job = db.session.get(Job, job_row(app).id)
        job.expires_at = expires - timedelta(days=2)
        db.session.commit()
    assert client.get(file_url).status_code == 410
    assert b"no longer kept" in client.get(page).data
    assert client.get(page + "/status").get_json()["file_url"] is None


def test_jobs_are_the_organisers_only(app, client, login, make_organiser, organiser, gathering, make_event):
    login(organiser)
    page = ask(client, gathering.event.id)
    drain()
    file_url = client.get(page + "/status").get_json()["file_url"]
    other_event = make_event()
    job_id = job_row(app).id
    assert client.get(f"/events/{other_event.id}/jobs/{job_id}").status_code == 404
    login(make_organiser())
    for url in (page, page + "/status", file_url):
        assert client.get(url).status_code == 404
    assert client.post(page + "/retry").status_code == 404
    client.post("/auth/logout")
    assert client.get(file_url).status_code in (302, 401)


def test_bad_paper_queues_nothing(app, client, login, organiser, gathering):
    login(organiser)
    response = client.post(f"/events/{gathering.event.id}/briefings/pack", data={"paper": "tabloid"})
    assert response.status_code == 400 and b"A4 or US Letter" in response.data
    assert queued() == 0
    with app.app_context():
        assert db.session.scalar(select(func.count(Job.id))) == 0
