"""Queueing (dedupe, validation) and the organiser's outbox pages."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask import render_template_string
from sqlalchemy import func, select, update

from eventkit.audit import AuditEntry
from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from eventkit.events.models import EventOrganiser
from eventkit.mail.models import MailStatus, OutboundAttachment, OutboundEmail
from eventkit.mail.services import Attachment, outbox_counts, queue_email


def queue(app, event_id=None, key="notice:1", **fields):
    values = {"to_email": "ada@example.com", "to_name": "Ada Lovelace", "title": "Dinner moved to 19:30",
              "body": "See you there."}
    values.update(fields)
    with app.app_context():
        email = queue_email(template="notice", purpose="notice", dedupe_key=key, event_id=event_id, **values)
        db.session.commit()
        return email.id if email else None


def set_row(app, email_id, **values):
    with app.app_context():
        db.session.execute(update(OutboundEmail).where(OutboundEmail.id == email_id).values(**values))
        db.session.commit()


def get_row(app, email_id):
    with app.app_context():
        return db.session.get(OutboundEmail, email_id)


def count_rows(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(OutboundEmail))


# queue_email ---------------------------------------------------------------

def test_the_same_dedupe_key_is_queued_once(app):
    first = queue(app, key="invitation:7:abc")
    second = queue(app, key="invitation:7:abc", title="Another subject")
    assert first is not None and second is None
    assert count_rows(app) == 1
    assert get_row(app, first).subject == "Dinner moved to 19:30"


def test_queue_renders_subject_text_and_escaped_html_and_keeps_attachments(app, event):
    now = utcnow() + timedelta(minutes=5)
    with app.app_context():
        email = queue_email(
            to_email="ada@example.com", to_name="Ada <Countess>", template="notice", purpose="notice",
            dedupe_key="notice:render", event_id=event.id, now=now, title="Hello", body="1 < 2\nline two",
            attachments=(Attachment("event.ics", "text/calendar", b"BEGIN:VCALENDAR"),),
        )
        db.session.commit()
        row = db.session.get(OutboundEmail, email.id)
        assert row.subject == "Hello"
        assert row.body_text == "Hello Ada <Countess>,\n\n1 < 2\nline two\n"
        assert "Ada &lt;Countess&gt;" in row.body_html and "1 &lt; 2<br>" in row.body_html
        assert (row.status, row.attempts, row.next_attempt_at) == (MailStatus.PENDING, 0, now)
        assert [(a.filename, a.content) for a in row.attachments] == [("event.ics", b"BEGIN:VCALENDAR")]


@pytest.mark.parametrize("address", ["not-an-address", "ada@example.com, eve@example.com", "", "ada@", "dan@@shy",
                                     "a@b@c", "@example.com"])
def test_an_invalid_recipient_is_refused_before_writing(app, address):
    with app.app_context():
        with pytest.raises(DomainError, match="Invalid email address"):
            queue_email(to_email=address, template="notice", purpose="notice", dedupe_key="x", title="t", body="b")
        db.session.rollback()
    assert count_rows(app) == 0


def test_a_dedupe_key_must_fit_its_column(app):
    with app.app_context(), pytest.raises(ValueError):
        queue_email(to_email="a@example.com", template="notice", purpose="notice", dedupe_key="k" * 201,
                    title="t", body="b")


def test_deleting_a_message_deletes_its_attachments(app):
    with app.app_context():
        email = queue_email(to_email="a@example.com", template="notice", purpose="notice", dedupe_key="del",
                            title="t", body="b", attachments=(Attachment("a.txt", "text/plain", b"x"),))
        db.session.commit()
        db.session.delete(email)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(OutboundAttachment)) == 0


# the organiser's outbox ------------------------------------------------------

def test_outbox_lists_the_events_messages_with_their_state(app, client, login, organiser, event, make_event):
    sent = queue(app, event.id, key="a", to_email="sent@example.com")
    failed = queue(app, event.id, key="b", to_email="bounced@example.com", to_name="Bo Unced")
    retrying = queue(app, event.id, key="c", to_email="later@example.com")
    queue(app, make_event().id, key="d", to_email="elsewhere@example.com")
    set_row(app, sent, status=MailStatus.SENT, attempts=1, sent_at=utcnow())
    set_row(app, failed, status=MailStatus.FAILED, attempts=1, last_error="550 5.1.1 User unknown")
    set_row(app, retrying, attempts=2, last_error="421 Service not available")
    login(organiser)

    page = client.get(f"/events/{event.id}/outbox").get_data(as_text=True)

    assert "sent@example.com" in page and "bounced@example.com" in page and "later@example.com" in page
    assert "elsewhere@example.com" not in page
    assert "550 5.1.1 User unknown" in page and "421 Service not available" in page
    assert "Retrying" in page and "1 message could not be delivered" in page
    assert page.count('class="outbox-failed"') == 1
    assert f"/outbox/{failed}/retry" in page and f"/outbox/{sent}/retry" not in page

    only_failed = client.get(f"/events/{event.id}/outbox?status=failed").get_data(as_text=True)
    assert "bounced@example.com" in only_failed and "sent@example.com" not in only_failed


def test_outbox_page_runs_a_fixed_number_of_queries(app, client, login, organiser, event, count_queries):
    login(organiser)
    queue(app, event.id, key="first")
    client.get(f"/events/{event.id}/outbox")
    with count_queries() as few:
        assert client.get(f"/events/{event.id}/outbox").status_code == 200
    for n in range(25):
        queue(app, event.id, key=f"more:{n}", to_email=f"guest{n}@example.com")
    with count_queries() as many:
        page = client.get(f"/events/{event.id}/outbox")
    assert page.status_code == 200 and "guest24@example.com" in page.get_data(as_text=True)
    assert many.count == few.count


def test_outbox_pages_older_messages(app, client, login, organiser, event):
    for n in range(55):
        queue(app, event.id, key=f"m:{n}", to_email=f"guest{n}@example.com")
    login(organiser)
    first = client.get(f"/events/{event.id}/outbox").get_data(as_text=True)
    second = client.get(f"/events/{event.id}/outbox?page=2").get_data(as_text=True)
    assert "Page 1 of 2" in first and "guest54@example.com" in first and "guest0@example.com" not in first
    assert "guest0@example.com" in second


def test_message_preview_shows_the_text_escaped(app, client, login, organiser, event):
    email_id = queue(app, event.id, body="<script>alert(1)</script> & more")
    login(organiser)
    response = client.get(f"/events/{event.id}/outbox/{email_id}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in page
    assert "<script>alert(1)" not in page
    assert '<iframe class="mail-html" title="HTML version of the email" sandbox srcdoc="' in page
    assert "&amp;lt;script&amp;gt;" in page  # the HTML part, escaped once more inside srcdoc


def test_retry_puts_a_failed_message_back_in_the_queue(app, client, login, organiser, event):
    email_id = queue(app, event.id)
    set_row(app, email_id, status=MailStatus.FAILED, attempts=12, last_error="Gave up after 12 attempts")
    login(organiser)

    response = client.post(f"/events/{event.id}/outbox/{email_id}/retry", follow_redirects=True)

    assert response.status_code == 200
    assert "is queued again" in response.get_data(as_text=True)
    row = get_row(app, email_id)
    assert (row.status, row.attempts) == (MailStatus.PENDING, 0)
    assert row.next_attempt_at <= utcnow()
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry)).one()
        assert (entry.action, entry.actor, entry.target) == ("mail.retry", f"organiser:{organiser.id}",
                                                              f"outbound_email:{email_id}")


@pytest.mark.parametrize("status", [MailStatus.SENT, MailStatus.PENDING, MailStatus.SENDING])
def test_only_failed_messages_can_be_retried(app, client, login, organiser, event, status):
    email_id = queue(app, event.id)
    set_row(app, email_id, status=status, attempts=1)
    login(organiser)

    response = client.post(f"/events/{event.id}/outbox/{email_id}/retry?back=message", follow_redirects=True)

    assert "Only failed messages can be retried" in response.get_data(as_text=True)
    assert response.request.path == f"/events/{event.id}/outbox/{email_id}"
    row = get_row(app, email_id)
    assert (row.status, row.attempts) == (status, 1)


def test_anonymous_users_are_sent_to_sign_in(app, client, event):
    email_id = queue(app, event.id)
    for method, path in [("get", f"/events/{event.id}/outbox"), ("get", f"/events/{event.id}/outbox/{email_id}"),
                         ("post", f"/events/{event.id}/outbox/{email_id}/retry")]:
        response = getattr(client, method)(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_another_organiser_gets_404_everywhere(app, client, login, make_organiser, event):
    email_id = queue(app, event.id)
    set_row(app, email_id, status=MailStatus.FAILED)
    login(make_organiser())
    assert client.get(f"/events/{event.id}/outbox").status_code == 404
    assert client.get(f"/events/{event.id}/outbox/{email_id}").status_code == 404
    assert client.post(f"/events/{event.id}/outbox/{email_id}/retry").status_code == 404
    assert get_row(app, email_id).status == MailStatus.FAILED


def test_a_co_organiser_sees_the_outbox(app, client, login, make_organiser, event):
    helper = make_organiser()
    with app.app_context():
        db.session.add(EventOrganiser(event_id=event.id, organiser_id=helper.id))
        db.session.commit()
    queue(app, event.id)
    login(helper)
    assert "ada@example.com" in client.get(f"/events/{event.id}/outbox").get_data(as_text=True)


def test_a_message_of_another_event_is_404_under_my_event(app, client, login, organiser, event, make_event):
    mine_too = make_event()
    other_id = queue(app, mine_too.id)
    set_row(app, other_id, status=MailStatus.FAILED)
    login(organiser)
    assert client.get(f"/events/{event.id}/outbox/{other_id}").status_code == 404
    assert client.post(f"/events/{event.id}/outbox/{other_id}/retry").status_code == 404
    assert get_row(app, other_id).status == MailStatus.FAILED


def test_event_panel_counts_and_links(app, event):
    ids = [queue(app, event.id, key=f"k{n}", to_email=f"g{n}@example.com") for n in range(4)]
    set_row(app, ids[0], status=MailStatus.SENT)
    set_row(app, ids[1], status=MailStatus.FAILED)
    with app.test_request_context():
        assert outbox_counts(event.id) == {"pending": 2, "sending": 0, "sent": 1, "failed": 1}
        html = render_template_string('{% include "mail/_event_panel.html" %}', event=event)
    assert "2 waiting" in html and "1 sent" in html and "1 failed" in html
    assert f"/events/{event.id}/outbox?status=failed" in html
    assert "could not be delivered" in html
