"""The headers of each kind of email, read from the messages the sender really writes (.eml files)."""
from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select
from test_followup_support import ENDS, finish, gathering, sweep_at

from eventkit.attendees.invitations import queue_invitation, queue_place_offered
from eventkit.attendees.links import look_up
from eventkit.attendees.models import Attendee
from eventkit.db import db, utcnow
from eventkit.events.models import Event
from eventkit.followup.encounters import log_encounter
from eventkit.mail.delivery import message_id
from eventkit.mail.kinds import Topic
from eventkit.mail.models import OutboundEmail
from eventkit.mail.sender import send_due
from eventkit.mail.services import Draft, queue_email, queue_emails
from eventkit.mail.unsubscribe import read_token
from eventkit.profiles.services import remind_unready

ONE_CLICK = "List-Unsubscribe=One-Click"
URL = re.compile(r"<(http://eventkit\.test/unsubscribe/[^>]+)>")


def delivered(app) -> dict[str, object]:
    """Send everything due; the written messages by dedupe key (read back from the .eml files)."""
    with app.app_context():
        send_due(utcnow() + timedelta(days=30))
        keys = {row.id: row.dedupe_key for row in db.session.scalars(select(OutboundEmail))}
    messages = {}
    for path in Path(app.config["OUTBOX_DIR"]).glob("*.eml"):
        messages[keys[int(path.name.split("-")[0])]] = message_from_bytes(path.read_bytes(), policy=policy.default)
    return messages


def one_click_url(message) -> str:
    [url] = URL.findall(str(message["List-Unsubscribe"]))
    return url


def html_part(message) -> str:
    return message.get_body(("html",)).get_content()


def text_part(message) -> str:
    return message.get_body(("plain",)).get_content()


def invite(app, guest) -> None:
    with app.app_context():
        attendee = db.session.get(Attendee, guest.id)
        queue_invitation(attendee)
        db.session.commit()


def test_invitation_is_transactional_and_replies_reach_the_organiser(app, event, make_attendee):
    guest = make_attendee(event, name="Ada Lovelace")
    invite(app, guest)
    [(key, message)] = delivered(app).items()
    assert message["Reply-To"] == "Olivia Organiser <olivia@example.org>"
    assert message["List-Unsubscribe"] is None and message["List-Unsubscribe-Post"] is None
    assert message["Auto-Submitted"] is None  # the organiser sent it: an out-of-office reply is welcome
    assert message["Date"] is not None
    with app.app_context():
        row = db.session.scalars(select(OutboundEmail)).one()
        assert message["Message-ID"] == message_id(row, "localhost")  # the same on every retry
    token = re.search(r"/g/([A-Za-z0-9_-]{20,})", text_part(message)).group(1)
    with app.app_context():  # the personal link made at send time reaches the guest and works
        assert look_up(token, utcnow()).attendee.id == guest.id


def test_a_configured_reply_to_replaces_the_organiser(app, event, make_attendee):
    app.config["MAIL_REPLY_TO"] = "Dinner team <team@dinners.example>"
    invite(app, make_attendee(event))
    [message] = delivered(app).values()
    assert message["Reply-To"] == "Dinner team <team@dinners.example>"


def test_followup_reminder_and_digest_carry_one_click_headers_for_their_own_topic(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    finish(app, event.id, ENDS + timedelta(hours=1))
    sweep_at(app, ENDS + timedelta(days=1, hours=12))  # due soon
    sweep_at(app, ENDS + timedelta(days=3))  # overdue, digest, escalation
    messages = delivered(app)
    expected = {"due_soon": Topic.REMINDERS, "overdue": Topic.REMINDERS, "digest": Topic.DIGEST}
    seen = set()
    for key, message in messages.items():
        kind = key.split(":")[1]
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["Reply-To"] is None
        if kind == "escalation":  # to the organiser, about their gatherings
            assert message["List-Unsubscribe"] is None
            continue
        assert message["List-Unsubscribe-Post"] == ONE_CLICK
        url = one_click_url(message)
        with app.app_context():
            attendee_id, topic = read_token(url.rsplit("/", 1)[1])
            assert db.session.get(Attendee, attendee_id).email == message["To"].addresses[0].addr_spec
        assert topic == expected[kind]
        assert url in text_part(message) and url in html_part(message)
        seen.add(kind)
    assert seen == set(expected)


def test_mailto_unsubscribe_is_added_when_an_address_is_configured(app, make_event, make_attendee):
    app.config["MAIL_UNSUBSCRIBE_ADDRESS"] = "unsubscribe@eventkit.test"
    event, _g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    finish(app, event.id, ENDS + timedelta(hours=1))
    sweep_at(app, ENDS + timedelta(days=1, hours=12))
    message = next(iter(delivered(app).values()))
    header = str(message["List-Unsubscribe"])
    token = one_click_url(message).rsplit("/", 1)[1]
    assert re.fullmatch(r"<https?://[^>]+>, <mailto:unsubscribe@eventkit\.test\?subject=unsubscribe%20" +
                        re.escape(token) + ">", header)


def test_profile_reminder_can_be_stopped_and_skips_who_stopped_it(app, event, make_attendee):
    keen = make_attendee(event, name="Keen")
    make_attendee(event, name="Quiet", reminders_opt_out=True)
    with app.app_context():
        assert remind_unready(db.session.get(Event, event.id), actor="test", now=utcnow()) == 1
        db.session.commit()
    [message] = delivered(app).values()
    assert message["To"].addresses[0].addr_spec == keen.email
    assert message["List-Unsubscribe-Post"] == ONE_CLICK and message["Auto-Submitted"] == "auto-generated"
    assert one_click_url(message) in text_part(message)


def test_briefings_reply_to_the_organiser_without_unsubscribe(app, event, make_attendee):
    guest = make_attendee(event)
    with app.app_context():
        queue_emails([Draft(guest.email, guest.name, f"briefing:test:{guest.id}", recipient_id=guest.id)],
                     template="briefing", purpose="briefing", event_id=event.id,
                     event=db.session.get(Event, event.id))
        db.session.commit()
    [message] = delivered(app).values()
    assert message["Reply-To"] == "Olivia Organiser <olivia@example.org>"
    assert message["List-Unsubscribe"] is None and message["Auto-Submitted"] is None


def test_the_html_part_starts_with_a_hidden_preheader(app, event, make_attendee):
    invite(app, make_attendee(event))
    [message] = delivered(app).values()
    html = html_part(message)
    preheader = re.search(r'<div class="preheader" style="([^"]+)">([^<]+)', html)
    assert preheader and "display:none" in preheader.group(1)
    assert "personal page and check-in QR code" in preheader.group(2)
    assert html.index('class="preheader"') < html.index("Hello")


def test_place_offered_and_encounter_are_automatic_and_transactional(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [])
    with app.app_context():
        queue_place_offered(db.session.get(Attendee, g["Ana"].id))
        log_encounter(db.session.get(Attendee, g["Ben"].id), g["Ana"].id, "", ENDS)
        db.session.commit()
    messages = delivered(app)
    assert {key.split(":")[0] for key in messages} == {"place_offered", "followup"}
    for message in messages.values():
        assert message["Auto-Submitted"] == "auto-generated"
        assert message["List-Unsubscribe"] is None and message["Reply-To"] is None


def test_announcements_and_the_day_before_reminder_can_be_stopped(app, event, make_attendee):
    """Their templates arrive with a later issue; the kinds, headers and opt-out rule are here now."""
    ada, quiet = make_attendee(event, name="Ada"), make_attendee(event, name="Quiet", announcements_opt_out=True)
    with app.app_context():
        for kind in ("announcement", "day_before"):
            for guest in (ada, quiet):
                queue_email(to_email=guest.email, template="notice", purpose=kind, kind=kind, event_id=event.id,
                            recipient_id=guest.id, dedupe_key=f"{kind}:{guest.id}", title="News", body="Hello")
        with pytest.raises(ValueError):
            queue_email(to_email=ada.email, template="notice", purpose="announcement", event_id=event.id,
                        dedupe_key="announcement:nobody", title="News", body="Hello")
        db.session.commit()
    messages = delivered(app)
    assert sorted(messages) == [f"announcement:{ada.id}", f"day_before:{ada.id}"]  # Quiet stopped both
    announcement, day_before = messages[f"announcement:{ada.id}"], messages[f"day_before:{ada.id}"]
    assert announcement["Reply-To"] == "Olivia Organiser <olivia@example.org>"
    assert announcement["Auto-Submitted"] is None and day_before["Auto-Submitted"] == "auto-generated"
    for message in (announcement, day_before):
        assert message["List-Unsubscribe-Post"] == ONE_CLICK
        with app.app_context():
            assert read_token(one_click_url(message).rsplit("/", 1)[1]) == (ada.id, Topic.ANNOUNCEMENTS)
