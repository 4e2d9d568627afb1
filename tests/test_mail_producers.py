"""Attachments made when the message is sent: the producer registry, storing what was made, failures."""
from __future__ import annotations

from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from eventkit.db import db, utcnow
from eventkit.mail.models import MailStatus, OutboundAttachment, OutboundEmail
from eventkit.mail.producers import ProduceError, Producer, register_producer
from eventkit.mail.sender import send_due
from eventkit.mail.services import Attachment, Draft, queue_email, queue_emails


class FakeProducer:
    """Makes b"%FAKE <n>" for {"n": n}; `fail` maps n to a ProduceError, `boom` makes it raise."""

    def __init__(self):
        self.prepared: list[list[dict]] = []
        self.made_outside_a_transaction: list[bool] = []
        self.fail: dict[int, ProduceError] = {}
        self.boom = False

    def prepare(self, requests):
        self.prepared.append(requests)
        return [args["n"] for args in requests]

    def make(self, work, seconds):
        self.made_outside_a_transaction.append(not db.session().in_transaction())
        assert seconds > 0
        if self.boom:
            raise RuntimeError("bug in the producer")
        return [self.fail.get(n) or f"%FAKE {n}".encode() for n in work]


@pytest.fixture
def fake(app):
    producer = FakeProducer()
    register_producer(app, "fake", Producer(prepare=producer.prepare, make=producer.make))
    return producer


def queue_made(app, numbers, producer="fake", now=None):
    """One notice per number, each with an attachment `producer` makes at send time; their ids."""
    with app.app_context():
        ids = [queue_email(
            to_email=f"guest{n}@example.com", template="notice", purpose="notice", dedupe_key=f"made:{n}",
            title=f"Notice {n}", body="Your file is attached.", now=now,
            attachments=(Attachment.made_when_sent(f"file-{n}.txt", "text/plain", producer, n=n),),
        ).id for n in numbers]
        db.session.commit()
    return ids


def stored(app) -> dict[int, tuple[str, bytes | None]]:
    with app.app_context():
        return {a.email_id: (a.producer, a.content) for a in db.session.scalars(select(OutboundAttachment))}


def emails(app) -> dict[int, OutboundEmail]:
    with app.app_context():
        return {row.id: row for row in db.session.scalars(select(OutboundEmail))}


def eml_attachments(app) -> dict[str, bytes]:
    files = {}
    for path in Path(app.config["OUTBOX_DIR"]).glob("*.eml"):
        message = message_from_bytes(path.read_bytes(), policy=policy.default)
        files.update({part.get_filename(): part.get_payload(decode=True) for part in message.iter_attachments()})
    return files


def test_an_attachment_has_content_or_a_producer_never_both_or_neither():
    with pytest.raises(ValueError):
        Attachment("a.txt", "text/plain")
    with pytest.raises(ValueError):
        Attachment("a.txt", "text/plain", b"x", producer="fake")
    assert Attachment.made_when_sent("a.pdf", "application/pdf", "fake", n=1).producer_args == {"n": 1}


def test_made_attachments_are_made_in_one_call_per_batch_sent_then_deleted(app, fake):
    ids = queue_made(app, [1, 2, 3])
    assert {producer for producer, content in stored(app).values()} == {"fake"}
    assert all(content is None for _, content in stored(app).values())

    with app.app_context():
        report = send_due(utcnow())

    assert (report.sent, report.failed) == (3, 0)
    assert fake.prepared == [[{"n": 1}, {"n": 2}, {"n": 3}]]  # one call for the batch
    assert fake.made_outside_a_transaction == [True]
    assert stored(app) == {ids[i]: ("fake", None) for i in range(3)}, "made files are deleted once sent"
    assert eml_attachments(app) == {f"file-{n}.txt": f"%FAKE {n}".encode() for n in (1, 2, 3)}


def test_a_retry_sends_the_stored_file_without_making_it_again(app, fake, tmp_path):
    [email_id] = queue_made(app, [7])
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    app.config["OUTBOX_DIR"] = str(blocker / "outbox")  # the .eml cannot be written: a temporary failure
    now = utcnow()
    with app.app_context():
        assert send_due(now).retrying == 1
    assert emails(app)[email_id].status == MailStatus.PENDING
    assert stored(app)[email_id] == ("fake", b"%FAKE 7")

    app.config["OUTBOX_DIR"] = str(tmp_path / "outbox")
    with app.app_context():
        assert send_due(now + timedelta(hours=1)).sent == 1
    assert len(fake.prepared) == 1
    assert eml_attachments(app) == {"file-7.txt": b"%FAKE 7"}


def test_a_failed_attachment_fails_only_its_message_with_the_producers_reason(app, fake):
    ids = queue_made(app, [1, 2, 3])
    fake.fail[2] = ProduceError("Not sent: guest 2 cancelled after this was queued.")

    with app.app_context():
        report = send_due(utcnow())

    assert (report.sent, report.retrying, report.failed) == (2, 0, 1)
    rows = emails(app)
    assert [rows[i].status for i in ids] == [MailStatus.SENT, MailStatus.FAILED, MailStatus.SENT]
    assert rows[ids[1]].last_error == "Not sent: guest 2 cancelled after this was queued."
    assert stored(app)[ids[1]] == ("fake", None)
    assert set(eml_attachments(app)) == {"file-1.txt", "file-3.txt"}


def test_a_temporary_produce_error_is_retried_and_made_again(app, fake):
    [email_id] = queue_made(app, [4])
    fake.fail[4] = ProduceError("The renderer is busy.", temporary=True)
    now = utcnow()
    with app.app_context():
        assert send_due(now).retrying == 1
    row = emails(app)[email_id]
    assert (row.status, row.last_error) == (MailStatus.PENDING, "The renderer is busy.")

    del fake.fail[4]
    with app.app_context():
        assert send_due(now + timedelta(hours=1)).sent == 1
    assert len(fake.prepared) == 2
    assert emails(app)[email_id].status == MailStatus.SENT


def test_a_producer_that_raises_fails_its_messages_and_the_others_still_go(app, fake):
    made = queue_made(app, [1, 2])
    with app.app_context():
        plain = queue_email(to_email="plain@example.com", template="notice", purpose="notice", dedupe_key="plain",
                            title="Plain", body="b", attachments=(Attachment("a.txt", "text/plain", b"x"),)).id
        db.session.commit()
    fake.boom = True

    with app.app_context():
        report = send_due(utcnow())

    assert (report.sent, report.failed) == (1, 2)
    rows = emails(app)
    assert rows[plain].status == MailStatus.SENT
    for email_id, n in zip(made, (1, 2)):
        assert rows[email_id].status == MailStatus.FAILED
        assert rows[email_id].last_error == f"The attachment file-{n}.txt could not be made (RuntimeError)."


def test_an_unregistered_producer_keeps_the_message_for_later(app):
    [email_id] = queue_made(app, [5], producer="nobody-makes-this")

    with app.app_context():
        report = send_due(utcnow())

    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    row = emails(app)[email_id]
    assert row.status == MailStatus.PENDING
    assert "nothing that makes 'nobody-makes-this'" in row.last_error


def test_queue_emails_queues_many_in_two_statements_and_skips_known_keys(app, count_queries):
    drafts = [Draft(f"g{n}@example.com", f"G {n}", f"bulk:{n}",
                    (Attachment.made_when_sent(f"f{n}.txt", "text/plain", "fake", n=n),), {"body": f"body {n}"})
              for n in range(30)]
    with app.app_context():
        with count_queries() as counter:
            assert queue_emails(drafts, template="notice", purpose="notice", title="Bulk") == 30
        db.session.commit()
        writes = [s for s in counter.statements if s.startswith("INSERT")]
        assert len(writes) == counter.count - counter.statements.count("BEGIN IMMEDIATE") == 2
        assert queue_emails(drafts[:5] + [Draft("new@example.com", "New", "bulk:new")], template="notice",
                            purpose="notice", title="Bulk", body="b") == 1
        db.session.commit()
        rows = db.session.scalars(select(OutboundEmail).order_by(OutboundEmail.id)).all()
        assert len(rows) == 31
        assert "body 29" in rows[29].body_text and rows[29].attachments[0].producer_args == {"n": 29}
        assert rows[30].attachments == []


def test_the_outbox_page_says_an_attachment_is_made_when_sent(app, client, login, organiser, event, fake):
    with app.app_context():
        email_id = queue_email(to_email="g@example.com", template="notice", purpose="notice", dedupe_key="page",
                               event_id=event.id, title="T", body="b",
                               attachments=(Attachment.made_when_sent("brief.pdf", "application/pdf", "fake", n=1),)).id
        db.session.commit()
    login(organiser)
    page = client.get(f"/events/{event.id}/outbox/{email_id}").get_data(as_text=True)
    assert "brief.pdf" in page and "made when the email is sent" in page
