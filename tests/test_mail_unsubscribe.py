"""One-click unsubscribe (RFC 8058) without cookies, and the guest's choice of emails by topic."""
from __future__ import annotations

from datetime import timedelta

import pytest
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import select
from test_followup_support import ENDS, finish, gathering, outbox, sweep_at

from eventkit.attendees.models import Attendee
from eventkit.audit import AuditEntry
from eventkit.db import db, utcnow
from eventkit.followup import links
from eventkit.mail.kinds import Topic
from eventkit.mail.models import OutboundEmail
from eventkit.mail.unsubscribe import SALT, make_token

OPT_OUTS = ("reminders_opt_out", "digest_opt_out", "announcements_opt_out")


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}  # the one-click POST must work with CSRF protection on


def opt_outs(app, *guests) -> list[tuple[bool, ...]]:
    with app.app_context():
        return [tuple(getattr(db.session.get(Attendee, g.id), c) for c in OPT_OUTS) for g in guests]


def token(app, guest, topic=Topic.REMINDERS, now=None) -> str:
    with app.app_context():
        return make_token(guest.id, topic, now)


def one_click(app, token_value, **data):
    """What a mailbox provider does: a POST with no cookie and no CSRF token."""
    return app.test_client(use_cookies=False).post(
        f"/unsubscribe/{token_value}", data={"List-Unsubscribe": "One-Click", **data})


def test_one_click_post_without_cookie_stops_only_that_topic_for_that_guest(app, event, make_attendee):
    ada, bob = make_attendee(event, name="Ada"), make_attendee(event, name="Bob")
    response = one_click(app, token(app, ada))
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers  # no session is made
    assert response.headers["Cache-Control"] == "no-store"
    assert opt_outs(app, ada, bob) == [(True, False, False), (False, False, False)]
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "mail.preferences")).one()
        assert entry.actor == f"unsubscribe:{ada.id}" and entry.details["reminders"] is False


def test_get_shows_a_confirmation_and_changes_nothing(app, event, make_attendee):
    ada = make_attendee(event, name="Ada")
    response = app.test_client(use_cookies=False).get(f"/unsubscribe/{token(app, ada, Topic.ANNOUNCEMENTS)}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert "Stop announcements from the organiser?" in page and 'method="post"' in page
    assert opt_outs(app, ada) == [(False, False, False)]


@pytest.mark.parametrize("case", ["forged", "expired", "followup_link", "other_salt", "unknown_topic", "garbage"])
def test_bad_tokens_are_refused_and_change_nothing(app, event, make_attendee, case):
    ada = make_attendee(event, name="Ada")
    good = token(app, ada)
    with app.app_context():
        key = app.config["SECRET_KEY"]
        bad = {
            "forged": good[:-3] + ("AAA" if good[-3:] != "AAA" else "BBB"),
            "expired": make_token(ada.id, Topic.REMINDERS, utcnow() - timedelta(days=401)),
            "followup_link": links.make_token(db.session.get(Attendee, ada.id), "unsubscribe"),
            "other_salt": URLSafeTimedSerializer(key, salt="eventkit.other").dumps([ada.id, "reminders"]),
            "unknown_topic": URLSafeTimedSerializer(key, salt=SALT).dumps([ada.id, "everything"]),
            "garbage": "not-a-token",
        }[case]
    response = one_click(app, bad)
    assert response.status_code == (410 if case == "expired" else 400)
    assert "link" in response.get_data(as_text=True)
    assert opt_outs(app, ada) == [(False, False, False)]
    assert app.test_client(use_cookies=False).get(f"/unsubscribe/{bad}").status_code == response.status_code


def test_a_token_for_a_deleted_guest_says_so(app, event, make_attendee):
    ada = make_attendee(event)
    value = token(app, ada)
    with app.app_context():
        db.session.delete(db.session.get(Attendee, ada.id))
        db.session.commit()
    assert one_click(app, value).status_code == 404


def test_scope_organiser_reaches_that_organisers_gatherings_only(app, make_event, make_organiser, make_attendee):
    first, second, elsewhere = make_event(), make_event(), make_event(owner=make_organiser())
    rows = [make_attendee(e, email="ada@example.com") for e in (first, second, elsewhere)]
    assert one_click(app, token(app, rows[0]), scope="organiser").status_code == 200
    assert opt_outs(app, *rows) == [(True, False, False), (True, False, False), (False, False, False)]


def test_the_digest_link_stops_the_one_digest_of_the_person(app, make_event, make_organiser, make_attendee):
    rows = [make_attendee(make_event(owner=owner), email="ada@example.com") for owner in (None, make_organiser())]
    assert one_click(app, token(app, rows[0], Topic.DIGEST)).status_code == 200
    assert opt_outs(app, *rows) == [(False, True, False), (False, True, False)]


def test_the_sweep_respects_each_topic_and_opted_out_guests_still_count_as_overdue(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cy"], [("Ana", "Ben", "Cy")])
    finish(app, event.id, ENDS + timedelta(hours=1))
    assert one_click(app, token(app, g["Ana"], Topic.DIGEST)).status_code == 200
    assert one_click(app, token(app, g["Ben"], Topic.REMINDERS)).status_code == 200
    sweep_at(app, ENDS + timedelta(days=1, hours=12))
    sweep_at(app, ENDS + timedelta(days=3))
    sent = {(e.dedupe_key.split(":")[1], e.to_email) for e in outbox(app)}
    kinds = lambda email: {kind for kind, to in sent if to == email}  # noqa: E731
    assert kinds("ana@example.com") == {"due_soon", "overdue"}  # reminders on, digest off
    assert kinds("ben@example.com") == {"digest"}  # the other way round
    assert kinds("cy@example.com") == {"due_soon", "overdue", "digest"}
    escalation = next(e for e in outbox(app) if e.dedupe_key.startswith("followup:escalation"))
    assert "Ben" in escalation.body_text and "unsubscribed from reminders" in escalation.body_text


def test_guest_chooses_by_topic_for_this_gathering_or_the_organisers(app, client, guest_login, make_event,
                                                                     make_attendee):
    here, other = make_event(), make_event()
    ada, ada_other = make_attendee(here, email="ada@example.com"), make_attendee(other, email="ada@example.com")
    guest_login(ada)
    page = client.get(f"/e/{here.slug}/emails").get_data(as_text=True)
    assert "Follow-up reminders" in page and "Weekly digest" in page and "Announcements" in page
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    saved = client.post(f"/e/{here.slug}/emails", data={"csrf_token": csrf, "reminders": "y", "scope": "event"})
    assert saved.status_code == 302
    assert opt_outs(app, ada, ada_other) == [(False, True, True), (False, False, False)]
    client.post(f"/e/{here.slug}/emails", data={"csrf_token": csrf, "digest": "y", "scope": "organiser"})
    assert opt_outs(app, ada, ada_other) == [(True, False, True), (True, False, True)]
    home = client.get(f"/e/{here.slug}/me").get_data(as_text=True)
    assert "You stopped: follow-up reminders, announcements from the organiser." in home


def test_bad_preference_form_changes_nothing(app, client, guest_login, event, make_attendee):
    ada = make_attendee(event)
    guest_login(ada)
    page = client.get(f"/e/{event.slug}/emails").get_data(as_text=True)
    csrf = page.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    assert client.post(f"/e/{event.slug}/emails", data={"csrf_token": csrf, "scope": "everyone"}).status_code == 422
    assert client.post(f"/e/{event.slug}/emails", data={"scope": "event"}).status_code in (400, 422)  # no CSRF
    assert opt_outs(app, ada) == [(False, False, False)]


def test_preference_page_needs_the_guest_session(app, event, make_attendee):
    make_attendee(event)
    assert app.test_client().get(f"/e/{event.slug}/emails").status_code == 403


def test_organiser_sees_opt_outs_on_dashboard_and_guest_list(app, client, login, organiser, event, make_attendee):
    ada, bob = make_attendee(event, name="Ada"), make_attendee(event, name="Bob")
    one_click(app, token(app, ada, Topic.ANNOUNCEMENTS))
    one_click(app, token(app, bob, Topic.ANNOUNCEMENTS))
    one_click(app, token(app, bob, Topic.REMINDERS))
    login(organiser)
    dashboard = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "1 follow-up reminders" in dashboard and "2 announcements from the organiser" in dashboard
    assert "0 weekly digest" in dashboard
    guests = client.get(f"/events/{event.id}/guests").get_data(as_text=True)
    assert guests.count("no announcements from the organiser") == 2 and guests.count("no follow-up reminders") == 1
    outbox_page = client.get(f"/events/{event.id}/outbox").get_data(as_text=True)
    assert "<tr><td>Announcements from the organiser</td><td>2</td></tr>" in outbox_page
    with app.app_context():
        assert db.session.scalars(select(OutboundEmail)).all() == []


def test_an_email_to_the_unsubscribe_address_is_applied_by_the_command(app, runner, event, make_attendee):
    ada, bob = make_attendee(event, name="Ada"), make_attendee(event, name="Bob")
    message = f"From: {ada.email}\r\nTo: unsubscribe@eventkit.test\r\nSubject: unsubscribe {token(app, ada)}\r\n\r\n"
    result = runner.invoke(args=["eventkit", "unsubscribe-mail"], input=message.encode())
    assert result.exit_code == 0, result.output
    assert "unsubscribed from follow-up reminders" in result.output
    assert opt_outs(app, ada, bob) == [(True, False, False), (False, False, False)]
    forged = message.replace("Subject: unsubscribe ", "Subject: unsubscribe x")
    refused = runner.invoke(args=["eventkit", "unsubscribe-mail"], input=forged.encode())
    assert refused.exit_code == 1 and "not valid" in refused.output
    assert runner.invoke(args=["eventkit", "unsubscribe-mail"], input=b"Subject: hello\r\n\r\n").exit_code == 1
