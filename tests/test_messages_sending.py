"""Sending now and on a schedule through the outbox: one email per guest, opt-outs, safe rendering, no clear links."""
from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import datetime, timedelta

import pytest
from conftest import links_in
from messages_support import BEFORE, DURING, ENDS, STARTS, create, draft, event_row, gathering, messages, outbox

from eventkit.attendees.models import Attendee, GuestLink
from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.mail.links import PLACEHOLDER
from eventkit.messages import services
from eventkit.messages.models import Message
from eventkit.messages.sweep import sweep


def run_sweep(app, now: datetime):
    with app.app_context():
        report = sweep(now)
        db.session.commit()
        return report


def test_send_now_queues_one_email_per_guest_of_the_audience_and_skips_opted_out(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    with app.app_context():
        db.session.get(Attendee, g.registered.id).announcements_opt_out = True
        db.session.commit()
    message_id = create(app, g.event, BEFORE, audience="place", subject="Parking", body="Park at the back.")
    rows = outbox(app)
    assert sorted(row.to_name for row in rows) == ["Anna Approved", "Carl Came", "Ines Invited"]
    assert {row.dedupe_key for row in rows} == {f"message:{message_id}:{i}" for i in (g.invited.id, g.approved.id, g.came.id)}
    assert {row.kind for row in rows} == {"announcement"} and all(row.unsubscribe_url for row in rows)
    assert {row.label for row in rows} == {f"message_{message_id}"}
    sent = messages(app)[0]
    assert (sent.status, sent.queued) == ("sent", 3)
    with app.app_context():  # sent once: a message's emails are never queued again
        message = db.session.get(Message, message_id)
        services.deliver(message, BEFORE)
        db.session.commit()
    assert len(outbox(app)) == 3


def test_transactional_mail_still_reaches_a_guest_who_stopped_announcements(app, make_event, make_attendee):
    from eventkit.attendees.invitations import queue_invitation
    g = gathering(app, make_event, make_attendee)
    with app.app_context():
        guest = db.session.get(Attendee, g.invited.id)
        guest.announcements_opt_out = True
        queue_invitation(guest, requested=True)
        db.session.commit()
    create(app, g.event, BEFORE, audience="picked", picked_ids=[g.invited.id, g.approved.id])
    assert sorted((row.purpose, row.to_name) for row in outbox(app)) == [
        ("invitation", "Ines Invited"), ("message", "Anna Approved")]


def test_the_body_is_escaped_links_kept_and_the_personal_link_made_only_when_sent(app, make_event, make_attendee,
                                                                                    deliver):
    g = gathering(app, make_event, make_attendee)
    body = "Hi {name},\n<b>bold</b> & <script>alert(1)</script>\nMap: https://maps.example.org/x?a=1&b=2.\nYours: {link}"
    create(app, g.event, BEFORE, audience="picked", picked_ids=[g.approved.id], subject="Dinner <tonight>", body=body)
    row = outbox(app)[0]
    assert row.subject == "Dinner <tonight>"
    assert "<b>" in row.body_text and "Hi Anna Approved," in row.body_text  # plain text stays plain
    assert "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;script&gt;" in row.body_html and "<script>" not in row.body_html
    assert '<a href="https://maps.example.org/x?a=1&amp;b=2">https://maps.example.org/x?a=1&amp;b=2</a>.' in row.body_html
    assert "Hi Anna Approved,<br>" in row.body_html
    # the outbox holds a placeholder, never a working link
    assert PLACEHOLDER.search(row.body_text) and PLACEHOLDER.search(row.body_html)
    assert "/g/" not in row.body_text + row.body_html
    with app.app_context():
        links_before = db.session.query(GuestLink).filter_by(attendee_id=g.approved.id).count()
    [message] = deliver(BEFORE + timedelta(minutes=1))
    [token] = links_in(message)
    assert message.get_body(("html",)).get_content().count(f"/g/{token}") == 2  # href and text
    with app.app_context():
        assert db.session.query(GuestLink).filter_by(attendee_id=g.approved.id).count() == links_before + 1
        stored = db.session.get(type(row), row.id)
        assert token not in stored.body_text + stored.body_html


def test_a_name_cannot_inject_markup(app, make_event, make_attendee):
    event = make_event(starts_at=STARTS, ends_at=ENDS)
    guest = make_attendee(event, '<img src=x onerror=alert(1)>')
    create(app, event, BEFORE, audience="picked", picked_ids=[guest.id], body="Dear {name}")
    row = outbox(app)[0]
    assert "<img" not in row.body_html and "&lt;img src=x" in row.body_html


def test_the_subject_takes_the_guests_name_per_recipient_plain_in_the_header_escaped_in_html(
        app, make_event, make_attendee):
    event = make_event(starts_at=STARTS, ends_at=ENDS)
    ada = make_attendee(event, "Ada & <b>Co</b>")
    grace = make_attendee(event, "Grace Hopper")
    odd = make_attendee(event, "Sam {name}")  # a name is put in once, never read as a placeholder itself
    message_id = create(app, event, BEFORE, audience="picked", picked_ids=[ada.id, grace.id, odd.id],
                        subject="  {name}, your table <tonight>", body="Dear {name}")
    rows = {row.to_name: row for row in outbox(app)}
    assert rows["Grace Hopper"].subject == "Grace Hopper, your table <tonight>"
    assert rows["Ada & <b>Co</b>"].subject == "Ada & <b>Co</b>, your table <tonight>"  # a header is plain text
    assert rows["Sam {name}"].subject == "Sam {name}, your table <tonight>"
    html = rows["Ada & <b>Co</b>"].body_html
    assert "<title>Ada &amp; &lt;b&gt;Co&lt;/b&gt;, your table &lt;tonight&gt;</title>" in html and "<b>Co" not in html
    assert messages(app)[0].subject == "{name}, your table <tonight>"  # the message keeps the placeholder
    assert {row.label for row in rows.values()} == {f"message_{message_id}"}


def test_a_scheduled_subject_is_filled_in_when_the_message_goes(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    create(app, g.event, BEFORE, audience="waitlist", subject="{name}: a place at {title} may open",
           schedule="before_start", hours=1)
    assert outbox(app) == []
    run_sweep(app, STARTS - timedelta(minutes=30))
    assert [(row.to_name, row.subject) for row in outbox(app)] == [
        ("Walt Waiting", f"Walt Waiting: a place at {g.event.title} may open")]


@pytest.mark.parametrize("subject, body, refused", [
    ("Hello {nmae}", "Dear {name}", "The subject has an unknown placeholder {nmae}: only {name} (the guest's name) "
                                    "and {title}"),
    ("Your page: {link}", "Dear {name}", "{link} works only in the message itself"),
    ("Hello {name}", "Dear {first_name}, {link}", "The message has an unknown placeholder {first_name}"),
])
def test_an_unknown_placeholder_is_refused_in_the_preview_and_nothing_is_queued(
        app, make_event, make_attendee, subject, body, refused):
    g = gathering(app, make_event, make_attendee)
    with app.app_context():
        for attempt in (services.preview, lambda *args: services.create(*args[:2], "organiser:1", args[2])):
            with pytest.raises(DomainError) as error:
                attempt(event_row(g.event), draft(subject=subject, body=body), BEFORE)
            assert error.value.code == "bad_placeholder" and error.value.message.startswith(refused)
        db.session.rollback()
    assert messages(app) == [] and outbox(app) == []


def test_the_preview_shows_the_first_recipients_subject(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    with app.app_context():
        preview = services.preview(event_row(g.event), draft(subject="Hi {name}: {title} {2030}", audience="picked",
                                                             picked_ids=[g.approved.id]), BEFORE)
    assert preview.sample_subject(" Hi {name}: {title} {2030} ") == f"Hi Anna Approved: {g.event.title} {{2030}}"
    assert preview.sample("{title}, {name}") == f"{g.event.title}, Anna Approved"


def test_scheduled_at_a_time_in_the_event_zone_goes_once_when_due(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)  # Europe/Amsterdam: UTC+2 in June
    message_id = create(app, g.event, BEFORE, audience="waitlist", schedule="at", at=datetime(2030, 5, 31, 10, 30))
    [message] = messages(app)
    assert message.send_at == datetime(2030, 5, 31, 8, 30, tzinfo=message.send_at.tzinfo)
    assert message.status == "scheduled" and outbox(app) == []
    assert run_sweep(app, message.send_at - timedelta(minutes=1)).sent == 0
    assert run_sweep(app, message.send_at).sent == 1
    assert run_sweep(app, message.send_at + timedelta(minutes=1)).sent == 0
    assert [row.dedupe_key for row in outbox(app)] == [f"message:{message_id}:{g.waiting.id}"]


def test_relative_schedules_follow_the_gathering_when_it_moves(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    before_id = create(app, g.event, BEFORE, audience="place", schedule="before_start", hours=3)
    after_id = create(app, g.event, BEFORE, audience="no_show", schedule="after_end", hours=2)
    by_id = {m.id: m for m in messages(app)}
    assert by_id[before_id].send_at == STARTS - timedelta(hours=3)
    assert by_id[after_id].send_at == ENDS + timedelta(hours=2)
    with app.app_context():  # the organiser moves the gathering a day later
        event = db.session.get(Event, g.event.id)
        event.starts_at, event.ends_at = STARTS + timedelta(days=1), ENDS + timedelta(days=1)
        db.session.commit()
    assert run_sweep(app, STARTS - timedelta(hours=2)).sent == 0  # the old time: nothing goes
    by_id = {m.id: m for m in messages(app)}
    assert by_id[before_id].send_at == STARTS + timedelta(days=1, hours=-3)
    assert run_sweep(app, STARTS + timedelta(days=1, hours=-3)).sent == 1
    assert run_sweep(app, ENDS + timedelta(days=1, hours=2) - timedelta(minutes=1)).sent == 0
    assert run_sweep(app, ENDS + timedelta(days=1, hours=2)).sent == 1
    assert Counter(row.label for row in outbox(app)) == {f"message_{before_id}": 4, f"message_{after_id}": 2}


def test_a_message_for_before_the_start_is_missed_not_sent_late(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    create(app, g.event, BEFORE, audience="place", schedule="before_start", hours=3)
    assert run_sweep(app, DURING).sent == 0  # no sweep ran before the start (the worker was down)
    assert [m.status for m in messages(app)] == ["missed"] and outbox(app) == []


def test_a_time_that_has_passed_is_refused(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    with app.app_context():
        with pytest.raises(DomainError, match="That time has passed"):
            services.create(event_row(g.event), draft(schedule="before_start", hours=3), "organiser:1", DURING)
        with pytest.raises(DomainError, match="That time has passed"):
            services.create(event_row(g.event), draft(schedule="at", at=datetime(2030, 1, 1, 9, 0)), "organiser:1",
                            BEFORE)
        assert db.session.query(Message).count() == 0


def test_edit_then_cancel_until_it_goes(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    message_id = create(app, g.event, BEFORE, audience="place", schedule="before_start", hours=5)
    with app.app_context():
        services.update(event_row(g.event), message_id, draft(subject="New subject", audience="waitlist",
                                                              schedule="before_start", hours=4), "organiser:1", BEFORE)
        db.session.commit()
    [message] = messages(app)
    assert (message.subject, message.audience, message.send_at) == ("New subject", "waitlist", STARTS - timedelta(hours=4))
    with app.app_context():
        services.cancel(event_row(g.event), message_id, "organiser:1", BEFORE)
        db.session.commit()
    assert run_sweep(app, STARTS).sent == 0 and outbox(app) == []
    with app.app_context():
        with pytest.raises(DomainError, match="cancelled already") as refused:
            services.update(event_row(g.event), message_id, draft(), "organiser:1", BEFORE)
        assert refused.value.status == 409


def test_a_sent_message_can_no_longer_be_edited_or_cancelled(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    message_id = create(app, g.event, BEFORE, audience="waitlist", schedule="before_start", hours=1)
    run_sweep(app, STARTS - timedelta(hours=1))
    with app.app_context():
        for action in (lambda: services.cancel(event_row(g.event), message_id, "organiser:1", STARTS),
                       lambda: services.update(event_row(g.event), message_id, draft(), "organiser:1", STARTS)):
            with pytest.raises(DomainError, match="sent already"):
                action()


def test_two_sweeps_at_the_same_time_send_each_message_exactly_once(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee, day_before=True)
    ids = [create(app, g.event, BEFORE, audience="place", subject=f"Note {n}", schedule="before_start", hours=n)
           for n in range(1, 6)]
    assert messages(app)[0].automatic is None  # the reminder is not scheduled yet: the sweeps race to do it
    now = STARTS - timedelta(minutes=30)
    barrier = threading.Barrier(2)
    errors, reports = [], []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                reports.append(sweep(now))
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(report.sent for report in reports) == 6  # and the automatic day-before reminder, scheduled once
    assert sum(report.scheduled for report in reports) >= 1 and len(messages(app)) == 6
    keys = Counter(row.dedupe_key for row in outbox(app))
    assert len(keys) == 6 * 4 and max(keys.values()) == 1
    assert {m.id: m.status for m in messages(app) if m.automatic is None} == {i: "sent" for i in ids}
    assert len({m.sent_by for m in messages(app) if m.automatic is None}) in (1, 2)


def test_the_send_now_count_must_match_the_preview(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    with app.app_context():
        with pytest.raises(DomainError, match="audience changed since the preview: it is now 1 guest"):
            services.create(event_row(g.event), draft(audience="waitlist"), "organiser:1", BEFORE, expected=2)
        assert db.session.query(Message).count() == 0


def test_the_new_account_mail_cap_applies_to_messages(app, make_event, make_attendee, make_organiser):
    from eventkit.auth.models import Organiser
    g = gathering(app, make_event, make_attendee)
    with app.app_context():
        owner = db.session.get(Organiser, g.event.owner_id)
        owner.email_confirmed_at = None
        db.session.commit()
        with pytest.raises(DomainError, match="Confirm your email address first"):
            services.create(event_row(g.event), draft(audience="place"), "organiser:1", BEFORE)
    assert outbox(app) == []


def test_no_clear_link_in_any_stored_body(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    create(app, g.event, BEFORE, audience="place", body="Your page: {link}")
    for row in outbox(app):
        assert re.search(r"/g/[A-Za-z0-9_-]{16,}", row.body_text + row.body_html) is None
        assert PLACEHOLDER.search(row.body_text)


def test_the_command_sends_what_is_due(app, runner, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    create(app, g.event, BEFORE, audience="waitlist", schedule="before_start", hours=2)
    result = runner.invoke(args=["eventkit", "send-messages", "--now", (STARTS - timedelta(hours=2)).isoformat()])
    assert result.exit_code == 0, result.output
    assert "1 message(s) sent (1 email(s) queued)" in result.output
    assert [row.to_name for row in outbox(app)] == ["Walt Waiting"]


def test_the_worker_sweeps_every_minute_and_its_task_sends_what_is_due(app, make_event, make_attendee):
    from eventkit.messages.tasks import send_messages

    assert all(send_messages.s().validate_datetime(datetime(2026, 12, 1, 9, m)) for m in (0, 7, 59))
    g = gathering(app, make_event, make_attendee)
    create(app, g.event, BEFORE, audience="waitlist", schedule="at", at=datetime(2030, 5, 31, 9, 0))
    with app.app_context():  # due a minute ago (the task runs at the real time): it runs in the app and commits
        db.session.get(Message, messages(app)[0].id).send_at = utcnow() - timedelta(minutes=1)
        db.session.commit()
    send_messages.call_local()
    assert [m.status for m in messages(app)] == ["sent"]
    assert [row.to_name for row in outbox(app)] == ["Walt Waiting"]


def test_a_cancel_racing_the_sweep_either_stops_it_or_is_refused(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    message_id = create(app, g.event, BEFORE, audience="place", schedule="before_start", hours=1)
    barrier = threading.Barrier(2)
    errors, refused = [], []

    def run_sweep_thread():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                sweep(STARTS - timedelta(hours=1))
                db.session.commit()
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    def run_cancel():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                try:
                    services.cancel(event_row(g.event), message_id, "organiser:1", STARTS - timedelta(hours=1))
                    db.session.commit()
                except DomainError as error:
                    db.session.rollback()
                    refused.append(error.status)
                db.session.remove()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=run_sweep_thread), threading.Thread(target=run_cancel)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    [message] = messages(app)
    if message.status == "sent":
        assert refused == [409] and len(outbox(app)) == 4
    else:
        assert message.status == "cancelled" and refused == [] and outbox(app) == []


def test_a_title_with_braces_leaves_the_day_before_reminder_editable_and_is_sent_as_typed(
        app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee, day_before=True)
    with app.app_context():
        event_row(g.event).title = "Hack {night}"
        db.session.commit()
    run_sweep(app, BEFORE)  # schedules the automatic reminder
    [auto] = [m for m in messages(app) if m.automatic is not None]
    assert auto.subject == "See you tomorrow: {title}"
    with app.app_context():  # the organiser saves it as it is (a title typed in would read as a placeholder)
        services.update(event_row(g.event), auto.id, draft(subject=auto.subject, body=auto.body, audience="place",
                                                           schedule="before_start", hours=24), "organiser:1", BEFORE)
        db.session.commit()
    assert run_sweep(app, auto.send_at).sent == 1
    assert {row.subject for row in outbox(app)} == {"See you tomorrow: Hack {night}"}
