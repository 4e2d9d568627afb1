"""Guests' private notes reach only the guest: no organiser page or download shows them, stored copies go.

The walk below finds the organiser's pages in the app's URL map, so a page added later is walked
too (a new kind of path parameter fails the test until it is given values here).
"""
from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from queue_helpers import drain
from sqlalchemy import select
from test_briefings_support import build_gathering, pdf_text
from test_followup_support import ENDS, finish

from eventkit.db import db, utcnow
from eventkit.jobs.models import Job
from eventkit.mail.models import OutboundAttachment, OutboundEmail
from eventkit.mail.sender import send_due
from eventkit.messages.models import Message
from eventkit.registration.models import Question

NOTES = ("ADA-NOTE-ON-BEN", "ADA-STARTER", "BEN-NOTE-ON-ADA", "BEN-STARTER", "ADA-NOTE-ON-DAN")
ORGANISER_PREFIXES = ("/events/<int:event_id>", "/events/", "/followup")


@pytest.fixture
def gathering(app, make_event, make_attendee, make_intent):
    return build_gathering(app, make_event, make_attendee, make_intent)


def _organiser_rules(app):
    return [rule for rule in app.url_map.iter_rules()
            if "GET" in rule.methods and rule.rule.startswith(ORGANISER_PREFIXES) and rule.rule != "/events/new"]


def _values(app, gathering) -> dict[str, list]:
    people = [gathering.ada, gathering.ben, gathering.cleo, gathering.dan]
    with app.app_context():
        email_ids = list(db.session.scalars(select(OutboundEmail.id).where(OutboundEmail.event_id == gathering.event.id)))
        job_ids = list(db.session.scalars(select(Job.id).where(Job.event_id == gathering.event.id)))
        message_ids = list(db.session.scalars(select(Message.id).where(Message.event_id == gathering.event.id)))
        question_ids = list(db.session.scalars(select(Question.id).where(Question.event_id == gathering.event.id)))
    return {"event_id": [gathering.event.id], "attendee_id": [p.id for p in people],
            "guest_id": [p.id for p in people], "email_id": email_ids, "job_id": job_ids, "message_id": message_ids,
            "question_id": question_ids}


def _urls(app, gathering) -> list[str]:
    values = _values(app, gathering)
    urls = []
    for rule in _organiser_rules(app):
        missing = set(rule.arguments) - set(values)
        assert not missing, f"give the organiser route {rule.rule} values for {missing}"
        combos = [{}]
        for name in rule.arguments:
            combos = [dict(c, **{name: v}) for c in combos for v in values[name]]
        for combo in combos:
            path = rule.rule
            for name, value in combo.items():
                path = path.replace(f"<int:{name}>", str(value))
            urls += [path, path + "?paper=letter"] if path.endswith(".pdf") else [path]
    return urls


def _text(response) -> str:
    if response.mimetype == "application/pdf":
        return pdf_text(response.data)
    if response.mimetype == "application/zip":
        with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
            return "\n".join(pdf_text(archive.read(name)) for name in archive.namelist())
    return response.get_data(as_text=True)


def _made_by_the_worker(client, event_id: int) -> None:
    """The downloads the worker makes (print pack, run-sheet, every briefing), on both papers."""
    for what in ("pack", "run-sheet", "each"):
        for paper in ("a4", "letter"):
            assert client.post(f"/events/{event_id}/briefings/{what}", data={"paper": paper}).status_code == 303
    drain()


def test_no_organiser_page_or_download_shows_a_guests_notes(app, client, login, organiser, gathering, deliver):
    login(organiser)
    assert client.post(f"/events/{gathering.event.id}/briefings/email", data={"paper": "a4"}).status_code == 303
    deliver()  # the guests' own copies, with their notes, went to them
    _made_by_the_worker(client, gathering.event.id)
    finish(app, gathering.event.id, ENDS)
    assert client.post(f"/events/{gathering.event.id}/messages/new", data={  # a message, so its pages are walked
        "template": "day_before", "subject": "Thanks", "body": "Thanks {name}", "audience": "place", "schedule": "now",
        "save": "1"}).status_code == 302
    urls = _urls(app, gathering)
    assert len(urls) > 20 and sum(url.endswith("/file") for url in urls) == 6
    seen = {}
    for url in urls:
        response = client.get(url)
        assert response.status_code in (200, 302), url
        seen[url] = _text(response)
    assert [(url, note) for url, text in seen.items() for note in NOTES if note in text] == []
    assert "ORGANISER-NOTE-ON-BEN" in seen[f"/events/{gathering.event.id}/notes/{gathering.ben.id}"], "the walk reads pages"


def test_the_guests_own_copies_carry_their_notes(app, client, guest_login, gathering, login, organiser, deliver):
    guest_login(gathering.ada)
    own = pdf_text(client.get(f"/e/{gathering.event.slug}/briefing.pdf").data)
    assert "ADA-NOTE-ON-BEN" in own and "ADA-STARTER" in own and "BEN-NOTE-ON-ADA" not in own
    login(organiser, on=client)
    client.post(f"/events/{gathering.event.id}/briefings/email", data={"paper": "a4"})
    pdfs = _sent_pdfs(deliver())
    assert "ADA-NOTE-ON-BEN" in pdf_text(pdfs[gathering.ada.email])
    assert "BEN-NOTE-ON-ADA" in pdf_text(pdfs[gathering.ben.email])


def _sent_pdfs(messages) -> dict[str, bytes]:
    return {m["To"].addresses[0].addr_spec: next(p for p in m.iter_attachments()).get_content()
            for m in messages if any(True for _ in m.iter_attachments())}


def _stored(app) -> dict[int, bytes | None]:
    with app.app_context():
        rows = db.session.scalars(select(OutboundAttachment).where(OutboundAttachment.producer == "briefing")).all()
        return {row.producer_args["attendee_id"]: row.content for row in rows}


def test_stored_briefings_go_when_the_notes_change_and_once_sent(app, client, login, organiser, gathering,
                                                                guest_login, tmp_path, deliver):
    login(organiser)
    client.post(f"/events/{gathering.event.id}/briefings/email", data={"paper": "a4"})
    outbox_dir = app.config["OUTBOX_DIR"]
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app.config["OUTBOX_DIR"] = str(blocker / "outbox")  # made, but not delivered: retried later
    with app.app_context():
        assert send_due(utcnow()).retrying == 4
    stored = _stored(app)
    assert all(content and content.startswith(b"%PDF") for content in stored.values())
    assert "ADA-NOTE-ON-BEN" in pdf_text(stored[gathering.ada.id])

    guest = app.test_client()
    guest_login(gathering.ada, on=guest)
    response = guest.post(f"/e/{gathering.event.slug}/notes/{gathering.ben.id}",
                          data={"body": "ADA-REWRITTEN-NOTE", "starters": ""})
    assert response.status_code in (200, 302)
    stored = _stored(app)
    assert stored[gathering.ada.id] is None, "the copy with the old note is gone"
    assert stored[gathering.ben.id] is not None, "other guests' copies stay"

    app.config["OUTBOX_DIR"] = outbox_dir
    pdfs = _sent_pdfs(deliver(utcnow() + timedelta(hours=1)))
    ada = pdf_text(pdfs[gathering.ada.email])
    assert "ADA-REWRITTEN-NOTE" in ada and "ADA-NOTE-ON-BEN" not in ada
    assert set(_stored(app).values()) == {None}, "sent: no stored copy keeps a note"


def test_deleting_a_note_or_the_profile_drops_the_stored_copy(app, client, login, organiser, gathering, guest_login,
                                                              tmp_path):
    login(organiser)
    client.post(f"/events/{gathering.event.id}/briefings/email", data={"paper": "a4"})
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app.config["OUTBOX_DIR"] = str(blocker / "outbox")
    with app.app_context():
        send_due(utcnow())
    ben = app.test_client()
    guest_login(gathering.ben, on=ben)
    assert ben.post(f"/e/{gathering.event.slug}/notes/{gathering.ada.id}/delete").status_code == 302
    assert _stored(app)[gathering.ben.id] is None and _stored(app)[gathering.ada.id] is not None
    ada = app.test_client()
    guest_login(gathering.ada, on=ada)
    assert ada.post(f"/e/{gathering.event.slug}/profile/delete", data={"confirm": "y"}).status_code == 302
    assert gathering.ada.id not in _stored(app), "her emails went with her data"


def test_the_note_form_and_readme_say_who_sees_what(app):
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    assert "include my notes in the printed copy" in readme.lower()
    assert "no organiser reads guests' notes" in readme.lower()
