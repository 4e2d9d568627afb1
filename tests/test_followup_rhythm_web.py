"""Snooze from the email and the page, the stay-in-touch rhythm form, losing touch with "nudge both",
the outbox across gatherings, `send-mail --now`, and dashboard figures that add up."""
from __future__ import annotations

import re
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from test_followup_support import ENDS, all_rows, attendee, finish, gathering, outbox, sweep_at

from eventkit.db import db, utcnow
from eventkit.followup import rhythm, services, stats
from eventkit.followup.models import Connection, ConnectionLink, FollowUpTask
from eventkit.followup.reminders import sweep
from eventkit.mail.models import OutboundEmail


def _recent_pair(app, make_event, make_attendee, names=("Ana", "Ben"), **fields):
    """A gathering that ended 30 hours ago (real time), so links made now are valid and due soon."""
    ends = utcnow().replace(microsecond=0) - timedelta(hours=30)
    event, g = gathering(make_event, make_attendee, app, list(names), [tuple(names[:2])], starts_at=ends - timedelta(hours=3),
                         ends_at=ends, **fields)
    finish(app, event.id, ends + timedelta(minutes=10))
    with app.app_context():
        cid = db.session.scalars(select(ConnectionLink.connection_id)).first()
    return event, g, cid


def _open_task(app, owner_id):
    return all_rows(app, select(FollowUpTask).where(FollowUpTask.owner_id == owner_id, FollowUpTask.done_at.is_(None))
                    .order_by(FollowUpTask.due_at))[0][0]


def test_snooze_from_the_email_in_one_click_then_it_shows_snoozed_and_is_not_overdue(app, client, make_event,
                                                                                     make_attendee, deliver, guest_login):
    event, g, cid = _recent_pair(app, make_event, make_attendee)
    sweep_at(app, utcnow())  # the first follow-up is due in 18 hours
    [mail] = [m for m in deliver() if m["To"].addresses[0].addr_spec == "ana@example.com"]
    link = re.search(r"remind me in a week: (\S+)", mail.get_body(("plain",)).get_content()).group(1)
    landing = client.get(link.replace("http://eventkit.test", ""))  # the one-click page, no session
    assert landing.status_code == 200 and 'name="on_date"' in landing.get_data(as_text=True), "the snooze form"
    task = _open_task(app, g["Ana"].id)
    done = client.post(link.replace("http://eventkit.test", ""), data={"choice": "week"})
    assert done.status_code == 200 and "Snoozed: it comes back on" in done.get_data(as_text=True)
    snoozed = all_rows(app, select(FollowUpTask).where(FollowUpTask.id == task.id))[0][0]
    assert snoozed.snoozes == 1 and snoozed.due_at == snoozed.snoozed_until
    assert timedelta(days=6) < snoozed.snoozed_until - utcnow() < timedelta(days=8)
    guest_login(g["Ana"])
    page = client.get(f"/e/{event.slug}/connections").get_data(as_text=True)
    assert "Snoozed</span> until" in page and "Overdue" not in page
    # Ana's other check-ins before then moved with it: nothing about Ben reaches her meanwhile
    assert [t.id for (t,) in all_rows(app, select(FollowUpTask).where(
        FollowUpTask.owner_id == g["Ana"].id, FollowUpTask.done_at.is_(None)).order_by(FollowUpTask.due_at))][0] == task.id
    with app.app_context():
        counts = sweep(utcnow() + timedelta(days=2))  # Ben's first follow-up is overdue; Ana's is snoozed
        db.session.commit()
    assert counts.get("overdue") == 1
    assert [e.to_email for e in outbox(app) if e.label == "followup_overdue"] == ["ben@example.com"]


def test_snooze_is_bounded_and_a_refused_snooze_changes_nothing(app, client, guest_login, make_event, make_attendee):
    event, g, _cid = _recent_pair(app, make_event, make_attendee)
    guest_login(g["Ana"])
    task = _open_task(app, g["Ana"].id)
    today = utcnow().astimezone(ZoneInfo(event.timezone or "UTC")).date()  # the gathering's day, as the form's dates are
    for bad in (today + timedelta(days=91), today - timedelta(days=1)):
        refused = client.post(f"/e/{event.slug}/followup/tasks/{task.id}/snooze",
                              data={"choice": "date", "on_date": bad.isoformat()})
        assert refused.status_code == 422
        assert "at most 90 days" in refused.get_data(as_text=True) or "in the future" in refused.get_data(as_text=True)
    unchanged = all_rows(app, select(FollowUpTask).where(FollowUpTask.id == task.id))[0][0]
    assert (unchanged.snoozes, unchanged.snoozed_until, unchanged.due_at) == (0, None, task.due_at)
    ok = client.post(f"/e/{event.slug}/followup/tasks/{task.id}/snooze",
                     data={"choice": "date", "on_date": (today + timedelta(days=90)).isoformat()})
    assert ok.status_code == 302
    # another guest's task is not yours to snooze
    other = _open_task(app, g["Ben"].id)
    assert client.post(f"/e/{event.slug}/followup/tasks/{other.id}/snooze", data={"choice": "week"}).status_code == 404


def test_a_deepened_guest_chooses_a_stay_in_touch_rhythm_on_the_page(app, client, guest_login, make_event, make_attendee):
    event, g, cid = _recent_pair(app, make_event, make_attendee)
    now = utcnow()
    with app.app_context():
        services.record_action(attendee(app, g["Ana"].id), cid, "thank_you", "", now)
        services.record_action(attendee(app, g["Ben"].id), cid, "met_again", "", now)
        db.session.commit()
    guest_login(g["Ben"])
    page = client.get(f"/e/{event.slug}/connections").get_data(as_text=True)
    assert "Stay in touch" in page and '<option value="90" selected>Quarterly</option>' in page
    assert client.post(f"/e/{event.slug}/connections/{cid}/rhythm", data={"days": "365"}).status_code == 302
    ben_task = _open_task(app, g["Ben"].id)
    assert ben_task.kind == "stay" and timedelta(days=364) < ben_task.due_at - now <= timedelta(days=365)
    assert client.post(f"/e/{event.slug}/connections/{cid}/rhythm", data={"days": "0"}).status_code == 302
    assert not all_rows(app, select(FollowUpTask).where(FollowUpTask.owner_id == g["Ben"].id,
                                                        FollowUpTask.done_at.is_(None)))
    assert client.post(f"/e/{event.slug}/connections/{cid}/rhythm", data={"days": "17"}).status_code == 302  # refused
    with app.app_context():
        assert db.session.get(Connection, cid).rhythm_days(g["Ben"].person_id) == 0
        assert db.session.get(Connection, cid).rhythm_days(g["Ana"].person_id) == 90


def test_losing_touch_lists_quiet_connections_longest_first_and_nudges_both_once_a_month(
        app, client, login, organiser, make_organiser, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo", "Dev", "Eve", "Fay"],
                         [("Ana", "Ben"), ("Cleo", "Dev"), ("Eve", "Fay")], starts_at=utcnow() - timedelta(days=200),
                         ends_at=utcnow() - timedelta(days=200) + timedelta(hours=3))
    finish(app, event.id, utcnow() - timedelta(days=199))
    cids = {}
    with app.app_context():
        for a, b in (("Ana", "Ben"), ("Cleo", "Dev"), ("Eve", "Fay")):
            pair = sorted((g[a].id, g[b].id))
            cids[a] = db.session.scalars(select(ConnectionLink.connection_id).where(
                ConnectionLink.low_attendee_id.in_(pair), ConnectionLink.high_attendee_id.in_(pair))).one()
        now = utcnow()
        services.record_action(attendee(app, g["Ana"].id), cids["Ana"], "thank_you", "", now - timedelta(days=40))
        services.record_action(attendee(app, g["Cleo"].id), cids["Cleo"], "thank_you", "", now - timedelta(days=20))
        services.record_action(attendee(app, g["Eve"].id), cids["Eve"], "thank_you", "", now - timedelta(days=3))
        db.session.commit()
    login(organiser)
    page = client.get("/followup/losing-touch").get_data(as_text=True)
    # one action: the rhythm is 7 days; Eve–Fay (3 days quiet) is within it
    assert page.index("Ana &amp; Ben") < page.index("Cleo &amp; Dev") and "Eve &amp; Fay" not in page
    assert "40 days" in page and "20 days" in page
    assert "Ana &amp; Ben" in client.get(f"/events/{event.id}/followup").get_data(as_text=True)
    assert "Losing touch (2)" in client.get("/followup").get_data(as_text=True)
    assert client.post(f"/followup/losing-touch/{cids['Ana']}/nudge").status_code == 302
    nudges = [e for e in outbox(app) if e.label == "followup_nudge"]
    assert sorted(e.to_email for e in nudges) == ["ana@example.com", "ben@example.com"]
    assert all(e.event_id == event.id and e.status == "pending" for e in nudges)
    assert "Time to reconnect with Ben" in {e.subject for e in nudges}
    again = client.post(f"/followup/losing-touch/{cids['Ana']}/nudge", follow_redirects=True)
    assert "at most once every 30 days" in again.get_data(as_text=True)
    assert len([e for e in outbox(app) if e.label == "followup_nudge"]) == 2
    # within its rhythm, or someone else's gathering: nothing to nudge
    assert client.post(f"/followup/losing-touch/{cids['Eve']}/nudge").status_code == 404
    stranger = make_organiser(email="stranger@example.com")
    login(stranger)
    assert client.post(f"/followup/losing-touch/{cids['Cleo']}/nudge").status_code == 404
    assert "Cleo" not in client.get("/followup/losing-touch").get_data(as_text=True)


def test_the_outbox_across_gatherings_shows_digests_escalations_and_encounter_mail(
        app, client, login, organiser, make_organiser, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo"], [("Ana", "Ben")])
    finish(app, event.id, ENDS + timedelta(hours=1))
    from eventkit.followup import encounters

    with app.app_context():
        encounters.log_encounter(attendee(app, g["Ana"].id), g["Cleo"].id, "coffee", ENDS + timedelta(hours=2))
        db.session.commit()
    sweep_at(app, ENDS + timedelta(days=3))  # overdue, digests, escalation
    kinds = {e.label for e in outbox(app)}
    assert {"followup_encounter", "followup_overdue", "followup_digest", "followup_escalation"} <= kinds
    login(organiser)
    everything = client.get("/outbox").get_data(as_text=True)
    for subject in ("Your follow-ups this week", "overdue follow-up(s) at your gatherings", "says you met at"):
        assert subject in everything
    per_gathering = client.get(f"/events/{event.id}/outbox").get_data(as_text=True)
    assert "Your follow-ups this week" in per_gathering and "says you met at" in per_gathering
    escalation = next(e for e in outbox(app) if e.label == "followup_escalation")
    shown = client.get(f"/outbox/{escalation.id}")
    assert shown.status_code == 200 and "Outbox of all your gatherings" in shown.get_data(as_text=True)
    digest = next(e for e in outbox(app) if e.label == "followup_digest")
    assert client.get(f"/outbox/{digest.id}").location.endswith(f"/events/{event.id}/outbox/{digest.id}")
    login(make_organiser(email="other@example.com"))
    assert "Your follow-ups this week" not in client.get("/outbox").get_data(as_text=True)
    assert client.get(f"/outbox/{escalation.id}").status_code == 404


def test_failed_mail_shows_on_the_gathering_and_in_the_next_escalation(app, client, login, organiser, make_event,
                                                                       make_attendee):
    event, _g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    finish(app, event.id, ENDS + timedelta(hours=1))
    from eventkit.mail.services import queue_email

    with app.app_context():
        for key in ("a", "b"):
            queue_email(to_email=f"{key}@example.com", template="notice", purpose="notice", dedupe_key=key,
                        event_id=event.id, title="t", body="b")
        db.session.execute(OutboundEmail.__table__.update().where(OutboundEmail.event_id == event.id)
                           .values(status="failed", last_error="550 no such user"))
        db.session.commit()
    failed = 2
    login(organiser)
    assert "could not be delivered" in client.get(f"/events/{event.id}").get_data(as_text=True)
    sweep_at(app, ENDS + timedelta(days=3))
    escalation = next(e for e in outbox(app) if e.label == "followup_escalation")
    assert "Emails that could not be delivered" in escalation.body_text
    assert f"{event.title}: {failed} failed" in escalation.body_text


def test_send_mail_now_delivers_what_remind_now_queued(app, runner, make_event, make_attendee, tmp_path):
    event, _g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    finish(app, event.id, ENDS + timedelta(hours=1))
    queued = runner.invoke(args=["eventkit", "remind", "--now", "2027-01-04T09:00:00"])
    assert queued.exit_code == 0 and "send-mail --now 2027-01-04T09:00:00" in queued.output
    plain = runner.invoke(args=["eventkit", "send-mail"])  # it is not that time yet: nothing due
    assert plain.exit_code == 0
    waiting = [e for e in outbox(app) if e.created_at.year == 2027]
    assert waiting and all(e.status == "pending" for e in waiting)
    sent = runner.invoke(args=["eventkit", "send-mail", "--now", "2027-01-04T09:00:00"])
    assert sent.exit_code == 0, sent.output
    assert all(e.status == "sent" for e in outbox(app))
    assert runner.invoke(args=["eventkit", "send-mail", "--now", "soon"]).exit_code != 0
    assert runner.invoke(args=["eventkit", "send-mail", "--now", "2027-01-04", "--loop"]).exit_code != 0


def test_every_dashboard_figure_comes_from_the_same_actions(app, client, login, organiser, make_event, make_attendee):
    """A hand-built history; each figure below is worked out by hand in its comment."""
    names = ["Ana", "Ben", "Cleo", "Dev", "Eve", "Fay", "Gus", "Hal", "Ida", "Jon"]
    event, g = gathering(make_event, make_attendee, app, names,
                         [("Ana", "Ben"), ("Cleo", "Dev"), ("Eve", "Fay"), ("Gus", "Hal"), ("Ida", "Jon")])
    finish(app, event.id, ENDS - timedelta(hours=1))  # marked finished during the gathering (after its start)
    cid = {}
    with app.app_context():
        for a, b in (("Ana", "Ben"), ("Cleo", "Dev"), ("Eve", "Fay"), ("Gus", "Hal"), ("Ida", "Jon")):
            pair = sorted((g[a].id, g[b].id))
            cid[a] = db.session.scalars(select(ConnectionLink.connection_id).where(
                ConnectionLink.low_attendee_id.in_(pair), ConnectionLink.high_attendee_id.in_(pair))).one()

        def act(who, key, kind, when):
            services.record_action(attendee(app, g[who].id), cid[key], kind, "", when)

        act("Ana", "Ana", "thank_you", ENDS - timedelta(minutes=30))  # during the gathering: 0 days
        act("Ben", "Ana", "met_again", ENDS + timedelta(days=1))  # reciprocated and deepened
        act("Cleo", "Cleo", "referral", ENDS + timedelta(days=3))  # 3 days (a referral, one side only)
        act("Fay", "Eve", "shared_resource", ENDS + timedelta(days=1, hours=12))  # 1.5 days
        act("Eve", "Eve", "thank_you", ENDS + timedelta(days=5))  # reciprocated, not deepened
        task = db.session.scalars(select(FollowUpTask).where(FollowUpTask.owner_id == g["Gus"].id,
                                                             FollowUpTask.done_at.is_(None))).first()
        for n in (1, 2):  # Gus snoozes twice
            rhythm.snooze(attendee(app, g["Gus"].id), task.id, ENDS + timedelta(days=2 + 7 * n), ENDS + timedelta(days=1))
        services.close_as_faded(attendee(app, g["Ida"].id), cid["Ida"], "no overlap", ENDS + timedelta(days=4))
        db.session.commit()
    # Cleo–Dev: one action on day 3, check-in day 10, dormant 90 days later; Gus–Hal (nobody acted) fades
    sweep_at(app, ENDS + timedelta(days=101))
    with app.app_context():
        numbers = stats.compute(stats.load_rows([event.id]))
    # met 5; followed up: Ana–Ben, Cleo–Dev, Eve–Fay = 3; reciprocated: Ana–Ben, Eve–Fay = 2; deepened: Ana–Ben = 1
    assert [count for _k, _l, count in numbers.funnel] == [5, 3, 2, 1]
    # first actions at 0, 3 and 1.5 days: within 48 h 2 of 5 met, median 1.5
    assert numbers.within_48h_rate == 0.4 and numbers.median_days_to_first == 1.5
    # one referral; faded: Ida–Jon (closed) and Gus–Hal (nobody acted) = 2; dormant: Cleo–Dev = 1
    assert (numbers.referrals, numbers.faded, numbers.dormant) == (1, 2, 1)
    # Gus snoozed one follow-up twice: 2 snoozes, 1 follow-up snoozed more than once
    assert (numbers.snoozes, numbers.snoozed_repeatedly) == (2, 1)
    assert [(r.low.name, r.high.name, len(r.actions)) for r in numbers.deepened] == [("Ana", "Ben", 2)]
    login(organiser)
    html = client.get(f"/events/{event.id}/followup").get_data(as_text=True)
    assert ">40%<" in html and ">1.5<" in html and "dormant" in html
