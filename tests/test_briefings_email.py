"""Emailing briefings: the click only queues; `send-mail` makes each guest's PDF as it sends the email."""
from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select
from test_briefings_support import briefing_gathering, build_gathering, config_from_param, pdf_text  # noqa: F401  (fixtures)

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.briefings import producer, services
from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from eventkit.mail.models import MailStatus, OutboundAttachment, OutboundEmail
from eventkit.mail.sender import send_due
from eventkit.matching.models import Plan


@pytest.fixture
def no_render_here(monkeypatch):
    """Fail the test if anything renders a PDF (every render path of the briefings goes through these)."""
    def refuse(*args, **kwargs):
        raise AssertionError("a briefing was rendered")

    monkeypatch.setattr(services, "render_parallel", refuse)
    monkeypatch.setattr(services, "render", refuse)


def email_all(client, event, paper="a4"):
    return client.post(f"/events/{event.id}/briefings/email", data={"paper": paper})


def briefing_emails(app) -> dict[str, OutboundEmail]:
    """The briefing emails by recipient, attachments loaded."""
    with app.app_context():
        rows = db.session.scalars(select(OutboundEmail).where(OutboundEmail.purpose == "briefing")).all()
        for row in rows:
            row.attachments  # noqa: B018  (loaded for use after the context)
        return {row.to_email: row for row in rows}


def sent_pdfs(app) -> dict[str, bytes]:
    """Recipient -> the PDF attached to the .eml written for them."""
    pdfs = {}
    for path in Path(app.config["OUTBOX_DIR"]).glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        [part] = [p for p in message.iter_attachments() if p.get_content_type() == "application/pdf"]
        pdfs[message["To"].addresses[0].addr_spec] = part.get_payload(decode=True)
    return pdfs


def status(client, event) -> dict:
    response = client.get(f"/events/{event.id}/briefings/email/status", headers={"Accept": "application/json"})
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    return response.get_json()


def set_status(app, attendee, status):
    with app.app_context():
        db.session.get(Attendee, attendee.id).status = status
        db.session.commit()


def set_lock(app, event, locked_at):
    with app.app_context():
        db.session.query(Plan).filter_by(event_id=event.id).update({"locked_at": locked_at})
        db.session.commit()


def test_the_click_queues_without_rendering_in_the_same_few_queries_for_4_or_24_guests(
        app, client, login, organiser, gathering, make_event, make_attendee, make_intent, count_queries,
        no_render_here):
    bigger = build_gathering(app, make_event, make_attendee, make_intent)
    for n in range(20):
        make_attendee(bigger.event, f"Extra guest {n:02d}")
    login(organiser)
    with count_queries() as small:
        response = email_all(client, gathering.event)
    with count_queries() as big:
        assert email_all(client, bigger.event).status_code == 303
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/events/{gathering.event.id}#briefings")
    assert small.count == big.count <= 10, big.statements  # 8: sign-in, event, plan, guests, Reply-To, two INSERTs
    assert len(briefing_emails(app)) == 4 + 24

    with app.app_context():
        locked_at = db.session.scalar(select(Plan.locked_at).where(Plan.event_id == gathering.event.id))
    ada = briefing_emails(app)[gathering.ada.email]
    assert ada.subject == f"Your briefing for {gathering.event.title}" and ada.status == MailStatus.PENDING
    [attachment] = ada.attachments
    assert (attachment.filename, attachment.mimetype, attachment.content, attachment.producer) == (
        f"briefing-{gathering.event.slug}-{gathering.ada.id}.pdf", "application/pdf", None, "briefing")
    assert attachment.producer_args == {"event_id": gathering.event.id, "attendee_id": gathering.ada.id,
                                        "paper": "a4", "locked_at": locked_at.isoformat()}
    page = client.get(f"/events/{gathering.event.id}").get_data(as_text=True)
    assert "Queued 4 briefing email(s). Each PDF is made as its email is sent" in page


def test_send_mail_renders_the_guests_together_and_sends_each_their_own_pdf(
        app, client, login, organiser, gathering, runner, monkeypatch):
    renders = []
    real_render = producer.render_sheets

    def spy(sheets, *args, **kwargs):
        renders.append(sorted(s.guest.name for s in sheets))
        return real_render(sheets, *args, **kwargs)

    monkeypatch.setattr(producer, "render_sheets", spy)
    login(organiser)
    email_all(client, gathering.event, paper="letter")
    assert status(client, gathering.event) == {"locked": True, "queued": 4, "sent": 0, "failed": 0, "total": 4}

    result = runner.invoke(args=["eventkit", "send-mail"])

    assert result.exit_code == 0, result.output
    assert "Sending 4 messages (4 with attachments to make first)" in result.output
    assert "4 sent, 0 to retry, 0 failed" in result.output
    assert renders == [["Ada Lovelace", "Ben Okafor", "Cleo Park", "Dan Shy"]]  # one pass for the batch
    pdfs = sent_pdfs(app)
    assert set(pdfs) == {g.email for g in (gathering.ada, gathering.ben, gathering.cleo, gathering.dan)}
    assert all(pdf.startswith(b"%PDF") for pdf in pdfs.values())
    text = pdf_text(pdfs[gathering.ada.email])
    assert "BRIEFING FOR\nAda Lovelace" in text and text.count("BRIEFING FOR") == 1 and "ADA-NOTE-ON-BEN" in text
    assert "BEN-NOTE-ON-ADA" not in text and "BRIEFING FOR\nBen" not in text
    assert "Page 1" in text and "Page 3" not in text  # numbering restarts for each guest
    ben = pdf_text(pdfs[gathering.ben.email])
    assert "BRIEFING FOR\nBen Okafor" in ben and "BEN-NOTE-ON-ADA" in ben and "ADA-NOTE-ON-BEN" not in ben
    with app.app_context():
        stored = db.session.scalars(select(OutboundAttachment)).all()
        assert {a.content for a in stored} == {None}  # sent: the files (with the guests' notes) are deleted
    assert status(client, gathering.event) == {"locked": True, "queued": 0, "sent": 4, "failed": 0, "total": 4}


def test_clicking_twice_queues_nothing_twice_and_locking_again_allows_a_fresh_send(
        app, client, login, organiser, gathering, no_render_here):
    login(organiser)
    email_all(client, gathering.event)
    again = email_all(client, gathering.event)
    assert again.status_code == 303
    assert "already has this plan" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(briefing_emails(app)) == 4
    set_lock(app, gathering.event, utcnow())
    email_all(client, gathering.event)
    with app.app_context():
        assert db.session.query(OutboundEmail).filter_by(purpose="briefing").count() == 8
    assert status(client, gathering.event)["queued"] == 4  # only the current plan's


def test_email_needs_a_locked_plan(app, client, login, organiser, make_event, make_attendee, make_intent):
    gathering = build_gathering(app, make_event, make_attendee, make_intent, locked=False)
    login(organiser)
    response = email_all(client, gathering.event)
    assert response.status_code == 409
    assert b"Lock the conversation plan" in response.data
    assert status(client, gathering.event) == {"locked": False, "queued": 0, "sent": 0, "failed": 0, "total": 0}
    with app.app_context():
        assert db.session.query(OutboundEmail).count() == 0


def test_nobody_expected_is_a_clear_refusal(app, client, login, organiser, gathering):
    for guest in (gathering.ada, gathering.ben, gathering.cleo, gathering.dan):
        set_status(app, guest, AttendeeStatus.CANCELLED)
    login(organiser)
    response = email_all(client, gathering.event)
    assert response.status_code == 409 and b"nobody to email a briefing to" in response.data


def test_only_guests_expected_at_the_door_get_one(app, client, login, organiser, gathering, make_attendee,
                                                  no_render_here):
    make_attendee(gathering.event, "Ivy Invited", status=AttendeeStatus.INVITED)
    make_attendee(gathering.event, "Wes Waitlisted", status=AttendeeStatus.WAITLISTED)
    set_status(app, gathering.dan, AttendeeStatus.CANCELLED)
    login(organiser)
    email_all(client, gathering.event)
    assert set(briefing_emails(app)) == {gathering.ada.email, gathering.ben.email, gathering.cleo.email}


def test_a_guest_who_cancelled_after_the_click_fails_alone_with_a_clear_reason(app, client, login, organiser,
                                                                              gathering):
    login(organiser)
    email_all(client, gathering.event)
    set_status(app, gathering.dan, AttendeeStatus.CANCELLED)

    with app.app_context():
        report = send_due(utcnow())

    assert (report.sent, report.failed) == (3, 1)
    dan = briefing_emails(app)[gathering.dan.email]
    assert dan.status == MailStatus.FAILED
    assert dan.last_error == ("Not sent: Dan Shy is now cancelled, and briefings go only to guests expected "
                              "at the door.")
    assert set(sent_pdfs(app)) == {gathering.ada.email, gathering.ben.email, gathering.cleo.email}
    assert status(client, gathering.event) == {"locked": True, "queued": 0, "sent": 3, "failed": 1, "total": 4}
    page = client.get(f"/events/{gathering.event.id}/outbox?status=failed").get_data(as_text=True)
    assert "Dan Shy is now cancelled" in page


@pytest.mark.parametrize("relock, reason", [
    (False, "Not sent: the conversation plan was unlocked after this briefing was queued."),
    (True, "Not sent: the conversation plan was changed and locked again after this briefing was queued"),
])
def test_a_plan_changed_after_the_click_sends_no_stale_briefing(app, client, login, organiser, gathering,
                                                                no_render_here, relock, reason):
    login(organiser)
    email_all(client, gathering.event)
    set_lock(app, gathering.event, utcnow() if relock else None)

    with app.app_context():
        report = send_due(utcnow())

    assert (report.sent, report.failed) == (0, 4)
    assert all(row.last_error.startswith(reason) for row in briefing_emails(app).values())
    assert not sent_pdfs(app)


def test_a_render_failure_for_one_guest_fails_only_that_email(app, client, login, organiser, gathering,
                                                             monkeypatch):
    calls = []
    real_render = producer.render_sheets

    def ben_breaks_the_renderer(sheets, *args, **kwargs):
        calls.append(len(sheets))
        if any(sheet.guest.id == gathering.ben.id for sheet in sheets):
            raise DomainError("Rendering took longer than 120 seconds and was stopped.", "render_timeout", 503)
        return real_render(sheets, *args, **kwargs)

    monkeypatch.setattr(producer, "render_sheets", ben_breaks_the_renderer)
    login(organiser)
    email_all(client, gathering.event)

    with app.app_context():
        report = send_due(utcnow())

    assert (report.sent, report.retrying, report.failed) == (3, 0, 1)
    assert calls == [4, 1, 1, 1, 1]  # together first, then one by one
    ben = briefing_emails(app)[gathering.ben.email]
    assert ben.status == MailStatus.FAILED
    assert ben.last_error == ("The briefing PDF for Ben Okafor could not be made: Rendering took longer than "
                              "120 seconds and was stopped.")
    assert set(sent_pdfs(app)) == {gathering.ada.email, gathering.cleo.email, gathering.dan.email}


@pytest.mark.parametrize("app_config", [{"BRIEFINGS_RENDER_TIMEOUT": 0.001}], indirect=True)
def test_a_real_render_timeout_fails_the_emails_readably_and_the_run_finishes(app, client, login, organiser,
                                                                              gathering):
    login(organiser)
    email_all(client, gathering.event)

    with app.app_context():
        report = send_due(utcnow())

    assert report.failed == 4
    for row in briefing_emails(app).values():
        assert row.status == MailStatus.FAILED
        assert row.last_error.startswith(f"The briefing PDF for {row.to_name} could not be made: Rendering took")


def test_status_needs_the_organiser_of_the_event(app, client, login, organiser, make_organiser, gathering):
    url = f"/events/{gathering.event.id}/briefings/email/status"
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/auth/login" in anonymous.headers["Location"]
    login(make_organiser())
    assert client.get(url, headers={"Accept": "application/json"}).status_code == 404


def test_the_event_page_shows_the_counts_and_polls_them(app, client, login, organiser, gathering, no_render_here):
    login(organiser)
    page = client.get(f"/events/{gathering.event.id}").get_data(as_text=True)
    assert re.search(r'<p id="briefing-emails"[^>]* hidden ', page)  # nothing queued for this plan yet
    email_all(client, gathering.event)
    page = client.get(f"/events/{gathering.event.id}").get_data(as_text=True)
    assert f'data-status-url="/events/{gathering.event.id}/briefings/email/status" data-queued="4"' in page
    assert '<span data-count="queued">4</span> queued' in page
    assert "/static/briefings.js" in page
    script = client.get("/static/briefings.js")
    assert script.status_code == 200 and b"data-count" in script.data and b"http" not in script.data
    script.close()


def test_a_guest_with_an_unusable_address_is_left_out_and_named(app, client, login, organiser, gathering,
                                                                no_render_here):
    with app.app_context():
        db.session.get(Attendee, gathering.dan.id).email = "dan@@shy"
        db.session.commit()
    login(organiser)
    response = email_all(client, gathering.event)
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Not emailed, as their address is not a valid one" in page and "Dan Shy" in page
    assert "Queued 3 briefing email(s)" in page
    assert set(briefing_emails(app)) == {gathering.ada.email, gathering.ben.email, gathering.cleo.email}
