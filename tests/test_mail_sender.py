"""The outbox sender against a real SMTP server on loopback (aiosmtpd), and the .eml fallback."""
from __future__ import annotations

import threading
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from smtp_fixtures import RecordingHandler, free_port
from sqlalchemy import func, select, update

from eventkit.db import db, utcnow
from eventkit.mail.models import MailStatus, OutboundEmail
from eventkit.mail.sender import claim_batch, retry_delay, send_due
from eventkit.mail.services import Attachment, queue_email

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//eventkit//EN\r\nEND:VCALENDAR\r\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256))


def queue(app, n=1, now=None, event_id=None, attachments=(), **fields):
    """Queue `n` notices; their ids."""
    ids = []
    with app.app_context():
        for i in range(n):
            values = {"to_email": f"guest{i}@example.com", "to_name": f"Guest {i}", "title": f"Notice {i}",
                      "body": f"Hello number {i}", "dedupe_key": f"test:{i}"}
            values.update(fields)
            email = queue_email(template="notice", purpose="notice", event_id=event_id, attachments=attachments,
                                now=now, **values)
            ids.append(email.id)
        db.session.commit()
    return ids


def rows(app):
    with app.app_context():
        return {row.id: row for row in db.session.scalars(select(OutboundEmail)).all()}


def run(app, now, **kwargs):
    with app.app_context():
        return send_due(now, **kwargs)


def test_delivers_text_html_and_attachments_over_smtp(smtp_app, smtp_server, event):
    now = utcnow()
    attachments = (Attachment("gathering.ics", "text/calendar", ICS), Attachment("check-in-qr.png", "image/png", PNG))
    [email_id] = queue(smtp_app, now=now, event_id=event.id, attachments=attachments,
                       to_name="Zoë O'Brien", title="You're invited: Rust & tea", body="Line one\n<b>not bold</b>")

    report = run(smtp_app, now)

    assert (report.sent, report.retrying, report.failed) == (1, 0, 0)
    [envelope] = smtp_server.received
    assert envelope.mail_from == "hello@eventkit.test"
    assert envelope.rcpt_tos == ["guest0@example.com"]
    [message] = smtp_server.messages()
    assert message["To"].addresses[0].display_name == "Zoë O'Brien"
    assert message["To"].addresses[0].addr_spec == "guest0@example.com"
    assert str(message["From"]) == "Climate Dinners <hello@eventkit.test>"
    assert message["Subject"] == "You're invited: Rust & tea"
    assert message["Message-ID"].endswith("@eventkit.test>")
    assert message["Date"].datetime is not None
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "Hello Zoë O'Brien," in text and "<b>not bold</b>" in text
    assert "&lt;b&gt;not bold&lt;/b&gt;" in html
    files = {part.get_filename(): part for part in message.iter_attachments()}
    assert files["gathering.ics"].get_content_type() == "text/calendar"
    assert files["gathering.ics"].get_payload(decode=True) == ICS
    assert files["check-in-qr.png"].get_payload(decode=True) == PNG
    row = rows(smtp_app)[email_id]
    assert (row.status, row.attempts, row.sent_at, row.claimed_by) == (MailStatus.SENT, 1, now, None)


def test_only_due_messages_are_sent(smtp_app, smtp_server):
    now = utcnow()
    queue(smtp_app, n=2, now=now + timedelta(hours=1))
    assert run(smtp_app, now).sent == 0
    assert run(smtp_app, now + timedelta(hours=1)).sent == 2
    assert run(smtp_app, now + timedelta(hours=2)).sent == 0
    assert len(smtp_server.received) == 2


def test_limit_caps_one_pass(smtp_app, smtp_server):
    now = utcnow()
    queue(smtp_app, n=5, now=now)
    assert run(smtp_app, now, limit=3).sent == 3
    assert run(smtp_app, now).sent == 2
    assert len({m["Message-ID"] for m in smtp_server.messages()}) == 5


def test_outage_421_is_retried_with_backoff_until_the_server_recovers(smtp_app, smtp_server):
    now = utcnow()
    [email_id] = queue(smtp_app, now=now)
    smtp_server.mode = "outage"

    report = run(smtp_app, now)
    assert (report.sent, report.retrying, report.failed) == (0, 1, 0)
    row = rows(smtp_app)[email_id]
    assert row.status == MailStatus.PENDING and row.attempts == 1
    assert "421" in row.last_error
    assert row.next_attempt_at == now + timedelta(minutes=1)

    later = now + timedelta(minutes=1)
    assert run(smtp_app, later - timedelta(seconds=1)).handled == 0  # not due yet
    run(smtp_app, later)
    row = rows(smtp_app)[email_id]
    assert row.attempts == 2 and row.next_attempt_at == later + timedelta(minutes=2)

    smtp_server.mode = "accept"
    assert run(smtp_app, later + timedelta(minutes=2)).sent == 1
    row = rows(smtp_app)[email_id]
    assert (row.status, row.attempts, row.last_error) == (MailStatus.SENT, 3, "")
    assert len(smtp_server.received) == 1


def test_backoff_doubles_and_is_capped_at_six_hours():
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert retry_delay(10) == timedelta(hours=6)
    assert retry_delay(500) == timedelta(hours=6)


def test_temporary_failures_give_up_after_the_maximum_attempts(smtp_app, smtp_server):
    smtp_app.config["MAIL_MAX_ATTEMPTS"] = 3
    now = utcnow()
    [email_id] = queue(smtp_app, now=now)
    smtp_server.mode = "outage"
    for _ in range(3):
        run(smtp_app, now)
        now = rows(smtp_app)[email_id].next_attempt_at
    row = rows(smtp_app)[email_id]
    assert row.status == MailStatus.FAILED and row.attempts == 3
    assert row.last_error.startswith("Gave up after 3 attempts") and "421" in row.last_error


def test_permanent_550_fails_with_the_servers_reason(smtp_app, smtp_server, event, client, login, organiser):
    now = utcnow()
    [email_id] = queue(smtp_app, now=now, event_id=event.id, to_email="nobody@example.com")
    smtp_server.mode = "refuse"

    report = run(smtp_app, now)

    assert (report.sent, report.retrying, report.failed) == (0, 0, 1)
    row = rows(smtp_app)[email_id]
    assert row.status == MailStatus.FAILED and row.attempts == 1
    assert "550 5.1.1 <nobody@example.com>: Recipient address rejected" in row.last_error
    assert run(smtp_app, now + timedelta(days=1)).handled == 0  # never retried by itself

    login(organiser)
    page = client.get(f"/events/{event.id}/outbox").get_data(as_text=True)
    assert "outbox-failed" in page
    assert "Recipient address rejected: User unknown" in page
    assert f"/events/{event.id}/outbox/{email_id}/retry" in page


def test_one_bad_message_does_not_hold_up_the_rest_of_the_batch(smtp_app, smtp_server):
    now = utcnow()
    ids = queue(smtp_app, n=3, now=now)
    smtp_server.refused_addresses = {"guest1@example.com"}

    report = run(smtp_app, now)

    assert (report.sent, report.failed) == (2, 1)
    assert sorted(envelope.rcpt_tos[0] for envelope in smtp_server.received) == [
        "guest0@example.com", "guest2@example.com"]
    assert [rows(smtp_app)[i].status for i in ids] == [MailStatus.SENT, MailStatus.FAILED, MailStatus.SENT]


def test_after_a_421_hangs_up_the_next_message_gets_a_new_session(smtp_app, smtp_server):
    now = utcnow()
    ids = queue(smtp_app, n=2, now=now)
    smtp_server.mode = "outage"

    assert run(smtp_app, now).retrying == 2

    for email_id in ids:  # each one got the server's own answer, not "connection lost"
        assert "421 4.3.2" in rows(smtp_app)[email_id].last_error


def test_connection_refused_is_retried_for_the_whole_batch(smtp_app):
    smtp_app.config["MAIL_PORT"] = free_port()  # nothing listens there
    now = utcnow()
    ids = queue(smtp_app, n=3, now=now)

    report = run(smtp_app, now)

    assert (report.sent, report.retrying, report.failed) == (0, 3, 0)
    for email_id in ids:
        row = rows(smtp_app)[email_id]
        assert row.status == MailStatus.PENDING and row.attempts == 1
        assert "Could not connect to the mail server 127.0.0.1" in row.last_error
        assert row.next_attempt_at == now + timedelta(minutes=1)


def test_eml_files_are_written_when_no_smtp_is_configured(app, runner):
    queue(app, now=utcnow() - timedelta(seconds=1), title="You're invited: Rust & tea", body="See you there")
    with app.app_context():
        email = db.session.scalars(select(OutboundEmail)).one()
        email.attachments  # noqa: B018  (loaded, none)

    result = runner.invoke(args=["eventkit", "send-mail"])

    assert result.exit_code == 0, result.output
    assert "1 sent, 0 to retry, 0 failed" in result.output
    outbox = Path(app.config["OUTBOX_DIR"])
    [path] = list(outbox.glob("*.eml"))
    assert path.name == f"{email.id:06d}-you-re-invited-rust-tea.eml"
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    assert message["Subject"] == "You're invited: Rust & tea"
    assert message["To"].addresses[0].addr_spec == "guest0@example.com"
    assert "See you there" in message.get_body(("plain",)).get_content()
    assert "See you there" in message.get_body(("html",)).get_content()
    assert rows(app)[email.id].status == MailStatus.SENT
    assert not list(outbox.glob(".tmp-*"))


def test_send_mail_with_nothing_due_says_so(runner):
    result = runner.invoke(args=["eventkit", "send-mail", "--once", "--limit", "5"])
    assert result.exit_code == 0
    assert "0 sent, 0 to retry, 0 failed" in result.output


INJECTION = "\r\nBcc: evil@example.com"


def test_header_injection_through_queue_email_is_impossible(smtp_app, smtp_server):
    now = utcnow()
    queue(smtp_app, now=now, to_name="Mallory" + INJECTION, title="Hello" + INJECTION + "\r\n\r\nbody")
    run(smtp_app, now)

    [envelope] = smtp_server.received
    assert envelope.rcpt_tos == ["guest0@example.com"]
    [message] = smtp_server.messages()
    assert message["Bcc"] is None
    assert message["Subject"] == "Hello Bcc: evil@example.com body"
    headers = envelope.content.split(b"\r\n\r\n", 1)[0]
    assert b"\nBcc:" not in headers and b"\nbcc:" not in headers.lower()
    assert "Hello Mallory Bcc: evil@example.com," in message.get_body(("plain",)).get_content()


def test_header_injection_is_also_stopped_at_send_time(smtp_app, smtp_server):
    """Even a row written around queue_email cannot add a header."""
    now = utcnow()
    [email_id] = queue(smtp_app, now=now)
    with smtp_app.app_context():
        db.session.execute(update(OutboundEmail).where(OutboundEmail.id == email_id).values(
            subject="Hi" + INJECTION, to_name="Eve" + INJECTION))
        db.session.commit()

    assert run(smtp_app, now).sent == 1

    [envelope] = smtp_server.received
    assert envelope.rcpt_tos == ["guest0@example.com"]
    [message] = smtp_server.messages()
    assert message["Bcc"] is None
    assert message["Subject"] == "Hi Bcc: evil@example.com"
    assert message["To"].addresses[0].addr_spec == "guest0@example.com"


def test_a_recipient_smuggled_into_the_address_fails_without_sending(smtp_app, smtp_server):
    now = utcnow()
    [email_id] = queue(smtp_app, now=now)
    with smtp_app.app_context():
        db.session.execute(update(OutboundEmail).where(OutboundEmail.id == email_id).values(
            to_email="guest0@example.com" + INJECTION))
        db.session.commit()

    report = run(smtp_app, now)

    assert report.failed == 1 and smtp_server.received == []
    assert "Invalid email address" in rows(smtp_app)[email_id].last_error


def test_an_expired_lease_is_taken_over_and_a_live_one_is_not(smtp_app, smtp_server):
    now = utcnow()
    crashed, busy = queue(smtp_app, n=2, now=now)
    with smtp_app.app_context():
        assert claim_batch("sender-crashed", now, 1, timedelta(minutes=5)) == [crashed]
        assert claim_batch("sender-busy", now, 1, timedelta(minutes=30)) == [busy]
        db.session.commit()

    assert run(smtp_app, now + timedelta(minutes=1)).handled == 0
    report = run(smtp_app, now + timedelta(minutes=6))

    assert report.sent == 1
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages()] == ["guest0@example.com"]
    row = rows(smtp_app)[crashed]
    assert (row.status, row.attempts) == (MailStatus.SENT, 2)
    assert rows(smtp_app)[busy].status == MailStatus.SENDING


def test_a_message_that_keeps_killing_its_sender_is_given_up(smtp_app, smtp_server):
    smtp_app.config["MAIL_MAX_ATTEMPTS"] = 2
    now = utcnow()
    [email_id] = queue(smtp_app, now=now)
    with smtp_app.app_context():
        for n in range(2):  # two senders claim it and die before recording anything
            assert claim_batch(f"sender-dead-{n}", now + timedelta(minutes=10 * n), 1, timedelta(minutes=5))
            db.session.commit()

    assert run(smtp_app, now + timedelta(minutes=30)).handled == 0

    row = rows(smtp_app)[email_id]
    assert (row.status, row.attempts) == (MailStatus.FAILED, 2)
    assert "sender stopped while delivering" in row.last_error
    assert smtp_server.received == []


def test_two_senders_at_once_never_send_a_message_twice(smtp_app, smtp_server):
    now = utcnow()
    ids = queue(smtp_app, n=60, now=now)
    start = threading.Barrier(2)
    reports, errors = [], []

    def sender():
        try:
            with smtp_app.app_context():
                start.wait(timeout=10)
                reports.append(send_due(now))
                db.session.remove()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    assert sum(report.sent for report in reports) == 60
    message_ids = [m["Message-ID"] for m in smtp_server.messages()]
    assert len(message_ids) == 60 and len(set(message_ids)) == 60
    with smtp_app.app_context():
        statuses = dict(db.session.execute(
            select(OutboundEmail.status, func.count()).where(OutboundEmail.id.in_(ids)).group_by(OutboundEmail.status)
        ).all())
        attempts = set(db.session.scalars(select(OutboundEmail.attempts)))
    assert statuses == {MailStatus.SENT: 60}
    assert attempts == {1}


class Authenticator:
    """Accepts one login (answers 535 otherwise); remembers who logged in."""

    def __init__(self):
        self.logins = []

    def __call__(self, server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        ok = (auth_data.login, auth_data.password) == (b"mailer", b"s3cret")
        if ok:
            self.logins.append(auth_data.login.decode())
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def auth_smtp(app):
    handler, authenticator = RecordingHandler(), Authenticator()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                            # plain AUTH on loopback only; LOGIN left out: smtplib falls back to it after a
                            # refused PLAIN and aiosmtpd then waits for a reply that never comes
                            auth_require_tls=False, auth_exclude_mechanism=["LOGIN"])
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=controller.port, MAIL_USE_STARTTLS=False,
                      MAIL_USE_SSL=False, MAIL_USERNAME="mailer", MAIL_PASSWORD="s3cret", MAIL_TIMEOUT=5)
    yield handler, authenticator
    controller.stop()


def test_logs_in_when_a_username_is_set(app, auth_smtp):
    handler, authenticator = auth_smtp
    now = utcnow()
    queue(app, n=2, now=now)
    assert run(app, now).sent == 2
    assert authenticator.logins == ["mailer"]  # one session for the batch
    assert len(handler.received) == 2


def test_a_refused_login_keeps_messages_for_later_with_a_clear_reason(app, auth_smtp):
    handler, _ = auth_smtp
    app.config["MAIL_PASSWORD"] = "wrong"
    now = utcnow()
    [email_id] = queue(app, now=now)

    report = run(app, now)

    assert report.retrying == 1 and handler.received == []
    row = rows(app)[email_id]
    assert row.status == MailStatus.PENDING
    assert "refused the login" in row.last_error and "MAIL_PASSWORD" in row.last_error


def test_an_international_domain_is_sent_in_its_ascii_form(smtp_app, smtp_server):
    now = utcnow()
    [email_id] = queue(smtp_app, now=now, to_email="zoe@bücher.example")

    assert run(smtp_app, now).sent == 1

    assert smtp_server.received[0].rcpt_tos == ["zoe@xn--bcher-kva.example"]
    assert rows(smtp_app)[email_id].to_email == "zoe@xn--bcher-kva.example"


def test_starttls_required_but_not_offered_is_not_downgraded(smtp_app, smtp_server):
    smtp_app.config["MAIL_USE_STARTTLS"] = True
    now = utcnow()
    [email_id] = queue(smtp_app, now=now)

    assert run(smtp_app, now).retrying == 1

    assert smtp_server.received == []
    assert "does not support" in rows(smtp_app)[email_id].last_error
