"""Dashboard numbers, CSV exports, guest pages, signed links, access checks, and the SMTP path."""
from __future__ import annotations

import email
import re
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select
from test_followup_support import ENDS, all_rows, attendee, finish, gathering, outbox, sweep_at

from eventkit.db import db, utcnow
from eventkit.followup import encounters, links, services, stats
from eventkit.followup.models import Connection, ConnectionLink, Encounter, FollowUpTask, Stage
from eventkit.mail.sender import send_due

NOW = ENDS + timedelta(hours=1)
FIELDS = {"Ana": "Climate", "Ben": "Design", "Cleo": "Climate", "Dev": "Climate", "Eve": "Finance", "Fay": "Finance"}


def connection_between(app, a, b) -> int:
    pair = sorted((a.id, b.id))
    return all_rows(app, select(ConnectionLink.connection_id).where(
        ConnectionLink.low_attendee_id.in_(pair), ConnectionLink.high_attendee_id.in_(pair)))[0][0]


def act(app, who, cid, kind, after, note=""):
    with app.app_context():
        services.record_action(attendee(app, who.id), cid, kind, note, ENDS + after)
        db.session.commit()


@pytest.fixture
def hand_built(app, make_event, make_attendee):
    """Four connections with a known history (see the assertions for the expected numbers)."""
    event, g = gathering(make_event, make_attendee, app, list(FIELDS) + ["Gus", "Hal"],
                         [("Ana", "Ben"), ("Cleo", "Dev"), ("Eve", "Fay"), ("Gus", "Hal")], fields=FIELDS)
    finish(app, event.id, NOW)
    ab, cd, ef = (connection_between(app, g[x], g[y]) for x, y in (("Ana", "Ben"), ("Cleo", "Dev"), ("Eve", "Fay")))
    act(app, g["Ana"], ab, "thank_you", timedelta(days=1))
    act(app, g["Ben"], ab, "shared_resource", timedelta(days=2))
    act(app, g["Ana"], ab, "referral", timedelta(days=10), "=HYPERLINK(\"http://x\")")
    act(app, g["Cleo"], cd, "thank_you", timedelta(days=3))
    act(app, g["Eve"], ef, "thank_you", timedelta(hours=12))
    act(app, g["Fay"], ef, "opportunity_given", timedelta(days=1))
    act(app, g["Eve"], ef, "collaboration", timedelta(days=20), "<b>joint pilot</b>")
    return event, g


def test_dashboard_numbers_on_a_hand_built_gathering(app, client, login, organiser, hand_built, count_queries):
    event, _g = hand_built
    with app.app_context():
        numbers = stats.compute(stats.load_rows([event.id]))
    assert [count for _k, _l, count in numbers.funnel] == [4, 3, 2, 2]
    assert numbers.within_48h_rate == 0.5 and numbers.median_days_to_first == 1.0
    assert (numbers.referrals, numbers.opportunities, numbers.deepened_cross_field_share) == (1, 1, 0.5)
    login(organiser)
    with count_queries() as counter:
        page = client.get(f"/events/{event.id}/followup")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "<svg" in html and "Deepened" in html
    assert "50%" in html and ">1.0<" in html and "&lt;b&gt;joint pilot&lt;/b&gt;" in html
    assert counter.count <= 13  # 12, and one for the live outcomes panel of a gathering not run live
    overview = client.get("/followup").get_data(as_text=True)
    assert event.title in overview and "<svg" in overview


def test_csv_exports_neutralise_formulas(app, client, login, organiser, hand_built):
    event, _g = hand_built
    login(organiser)
    connections = client.get(f"/events/{event.id}/followup/connections.csv")
    assert connections.mimetype == "text/csv" and connections.get_data(as_text=True).count("\n") == 5
    actions = client.get(f"/events/{event.id}/followup/actions.csv").get_data(as_text=True)
    assert "'=HYPERLINK" in actions and "Referred them" in actions and actions.count("\n") == 8


def test_organiser_pages_are_private(app, client, login, make_organiser, hand_built):
    event, _g = hand_built
    for path in (f"/events/{event.id}/followup", f"/events/{event.id}/followup/connections.csv", "/followup"):
        assert client.get(path).status_code in (302, 401)
    login(make_organiser())
    for path in (f"/events/{event.id}/followup", f"/events/{event.id}/followup/actions.csv"):
        assert client.get(path).status_code == 404
    assert event.title not in client.get("/followup").get_data(as_text=True)


def test_guest_records_an_action_on_their_page(app, client, guest_login, hand_built):
    event, g = hand_built
    assert client.get(f"/e/{event.slug}/connections").status_code == 403
    guest_login(g["Gus"])
    page = client.get(f"/e/{event.slug}/connections").get_data(as_text=True)
    assert "Hal" in page and "Record what you did" in page
    cid = connection_between(app, g["Gus"], g["Hal"])
    bad = client.post(f"/e/{event.slug}/connections/{cid}/actions", data={f"c{cid}-kind": "hugged", f"c{cid}-note": ""})
    assert bad.status_code == 422
    ok = client.post(f"/e/{event.slug}/connections/{cid}/actions", data={f"c{cid}-kind": "thank_you", f"c{cid}-note": "Lovely chat"})
    assert ok.status_code == 302
    assert all_rows(app, select(Connection.stage).where(Connection.id == cid)) == [("followed_up",)]
    someone_elses = connection_between(app, g["Ana"], g["Ben"])
    assert client.post(f"/e/{event.slug}/connections/{someone_elses}/actions",
                       data={f"c{someone_elses}-kind": "thank_you"}).status_code == 404
    assert client.post(f"/e/{event.slug}/connections/{cid}/fade", data={f"c{cid}-reason": ""}).status_code == 422
    assert client.post(f"/e/{event.slug}/connections/{cid}/fade", data={f"c{cid}-reason": "No overlap"}).status_code == 302
    assert all_rows(app, select(Connection.stage).where(Connection.id == cid)) == [(Stage.FADED.value,)]
    page = client.get(f"/e/{event.slug}/connections").get_data(as_text=True)
    assert "Closed as faded: No overlap" in page and "1 / 0" in page


def test_guest_logs_and_confirms_an_encounter_over_http(app, client, guest_login, hand_built):
    event, g = hand_built
    guest_login(g["Ana"])
    assert client.post(f"/e/{event.slug}/encounters", data={"met-other_id": "0"}).status_code == 422
    assert client.post(f"/e/{event.slug}/encounters", data={"met-other_id": str(g["Hal"].id)}).status_code == 302
    other = app.test_client()
    guest_login(g["Hal"], on=other)
    assert "Ana" in other.get(f"/e/{event.slug}/connections").get_data(as_text=True)
    encounter_id = re.search(r'id="encounter-(\d+)"', other.get(f"/e/{event.slug}/connections").get_data(as_text=True))
    assert client.post(f"/e/{event.slug}/encounters/{encounter_id.group(1)}/confirm").status_code == 404
    assert other.post(f"/e/{event.slug}/encounters/{encounter_id.group(1)}/confirm").status_code == 302
    assert connection_between(app, g["Ana"], g["Hal"])


def _token(app, who, purpose, target, now):
    with app.app_context():
        return links.make_token(attendee(app, who.id), purpose, target, now)


def _task_of(app, who):
    return all_rows(app, select(FollowUpTask.id, FollowUpTask.connection_id)
                    .where(FollowUpTask.owner_id == who.id).order_by(FollowUpTask.due_at))[0]


def test_signed_links_expire_and_resist_tampering(app, client, hand_built):
    event, g = hand_built
    task_id, cid = _task_of(app, g["Gus"])
    fresh = _token(app, g["Gus"], "task", task_id, utcnow())
    landed = client.get(f"/e/{event.slug}/followup/go/{fresh}")
    assert landed.status_code == 200 and 'name="kind"' in landed.get_data(as_text=True)
    assert landed.headers["Referrer-Policy"] == "same-origin"
    assert 'name="reason"' in client.get(f"/e/{event.slug}/followup/go/{fresh}?do=fade").get_data(as_text=True)
    assert client.get(f"/e/{event.slug}/connections").status_code == 403, "the link signs nobody in"
    stale = _token(app, g["Gus"], "task", task_id, utcnow() - timedelta(days=15))
    assert app.test_client().get(f"/e/{event.slug}/followup/go/{stale}").status_code == 410
    tampered = fresh[:-3] + ("AAA" if not fresh.endswith("AAA") else "BBB")
    assert app.test_client().get(f"/e/{event.slug}/followup/go/{tampered}").status_code == 400
    not_his = _token(app, g["Gus"], "task", _task_of(app, g["Ana"])[0], utcnow())
    assert app.test_client().get(f"/e/{event.slug}/followup/go/{not_his}").status_code == 404
    assert app.test_client().get(f"/e/another-slug/followup/go/{fresh}").status_code == 404
    unsubscribe = _token(app, g["Gus"], "unsubscribe", None, utcnow() - timedelta(days=200))
    assert app.test_client().get(f"/e/{event.slug}/followup/go/{unsubscribe}").status_code == 200
    with app.app_context():
        attendee(app, g["Gus"].id).rotate_token()
        db.session.commit()
    assert app.test_client().get(f"/e/{event.slug}/followup/go/{fresh}").status_code == 410


def test_one_click_links_do_their_one_action_without_a_session(app, hand_built):
    event, g = hand_built
    task_id, cid = _task_of(app, g["Gus"])
    browser = app.test_client()
    token = _token(app, g["Gus"], "task", task_id, utcnow())
    refused = browser.post(f"/e/{event.slug}/followup/go/{token}?do=fade", data={"reason": ""})
    assert refused.status_code == 422
    done = browser.post(f"/e/{event.slug}/followup/go/{token}?do=fade", data={"reason": "No overlap for now"})
    assert done.status_code == 200 and "Closed as faded" in done.get_data(as_text=True)
    assert all_rows(app, select(Connection.stage, Connection.fade_reason).where(Connection.id == cid)) == [
        ("faded", "No overlap for now")]
    with app.app_context():
        encounter = encounters.log_encounter(attendee(app, g["Gus"].id), g["Ana"].id, "", NOW)
        db.session.commit()
        encounter_id = encounter.id
    confirm = _token(app, g["Ana"], "confirm", encounter_id, utcnow())
    assert "Did you meet Gus?" in browser.get(f"/e/{event.slug}/followup/go/{confirm}").get_data(as_text=True)
    assert browser.post(f"/e/{event.slug}/followup/go/{confirm}?answer=decline").status_code == 200
    assert all_rows(app, select(Encounter.declined_at.is_not(None)).where(Encounter.id == encounter_id)) == [(True,)]
    assert browser.get(f"/e/{event.slug}/followup/go/{confirm}").status_code == 409, "answered once"
    unsubscribe = _token(app, g["Ana"], "unsubscribe", None, utcnow())
    assert browser.post(f"/e/{event.slug}/followup/go/{unsubscribe}").status_code == 200
    assert attendee(app, g["Ana"].id).reminders_opt_out is True
    assert browser.get(f"/e/{event.slug}/connections").status_code == 403


def test_didnt_happen_button_before_finish(app, client, guest_login, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    guest_login(g["Ben"])
    page = client.get(f"/e/{event.slug}/connections").get_data(as_text=True)
    conversation_id = re.search(r"/conversations/(\d+)/not-held", page).group(1)
    assert client.post(f"/e/{event.slug}/conversations/{conversation_id}/not-held").status_code == 302
    finish(app, event.id, NOW)
    assert not all_rows(app, select(Connection.id))


class _Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((envelope.rcpt_tos, envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def deliver_pending(app, port: int) -> int:
    """The real outbox sender (`flask eventkit send-mail`), pointed at the loopback SMTP server."""
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_USE_STARTTLS=False, MAIL_USE_SSL=False,
                      MAIL_USERNAME="")
    with app.app_context():
        return send_due(utcnow()).sent


def test_full_email_path_through_a_real_smtp_server(app, make_event, make_attendee):
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")],
                         starts_at=utcnow() - timedelta(hours=50), ends_at=utcnow() - timedelta(hours=47))
    finish(app, event.id, utcnow())
    inbox, port = _Inbox(), _free_port()
    controller = aiosmtpd.Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        sweep_at(app, utcnow())  # the first follow-ups are due within the hour
        assert deliver_pending(app, port) == 2
    finally:
        controller.stop()
    received = {tuple(rcpt)[0]: email.message_from_bytes(content) for rcpt, content in inbox.messages}
    message = received["ben@example.com"]
    assert message["Subject"] == "Follow up with Ana by tomorrow"
    text = next(part for part in message.walk() if part.get_content_type() == "text/plain").get_payload(decode=True).decode()
    link = re.search(r"Record what you did: http://eventkit\.test(\S+)", text).group(1)
    client = app.test_client()
    assert client.get(link).status_code == 200
    done = client.post(link, data={"kind": "thank_you", "note": "Thanks!"})
    assert done.status_code == 200 and "Recorded." in done.get_data(as_text=True)
    assert all_rows(app, select(Connection.stage)) == [("followed_up",)]
    assert client.get(f"/e/{event.slug}/connections").status_code == 403, "one action, no session"
    assert {e.status for e in outbox(app)} == {"sent"}


def test_panels_render_for_the_home_and_event_pages(app, hand_built):
    event, g = hand_built
    with app.test_request_context("/"):
        from flask import render_template

        from eventkit.events.models import Event

        loaded = db.session.get(Event, event.id)
        guest_panel = render_template("followup/_guest_panel.html", event=loaded, attendee=attendee(app, g["Gus"].id))
        event_panel = render_template("followup/_event_panel.html", event=loaded)
    assert "1 connection," in guest_panel and f"/e/{event.slug}/connections" in guest_panel
    assert "open follow-up" in event_panel and f"/events/{event.id}/followup" in event_panel
