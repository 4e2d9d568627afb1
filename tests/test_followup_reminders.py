"""The reminder sweep: rhythm from the last action, deepened and dormant connections, idempotence, concurrency,
unsubscribe, query count."""
from __future__ import annotations

import threading
from collections import Counter
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from test_followup_support import ENDS, all_rows, attendee, finish, gathering, outbox, sweep_at

from eventkit.db import db
from eventkit.followup import services
from eventkit.followup.models import ConnectionLink
from eventkit.followup.reminders import sweep
from eventkit.mail.models import OutboundEmail

NOW = ENDS + timedelta(hours=1)


def at(day: date, hour: int = 9) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=timezone.utc)


def kind_of(email: OutboundEmail) -> str:
    return email.dedupe_key.split(":")[1]


def _many_connections(app, make_event, make_attendee, pairs: int):
    names = [f"G{n:03d}" for n in range(pairs * 2)]
    event, g = gathering(make_event, make_attendee, app, names, [(names[i], names[i + 1]) for i in range(0, len(names), 2)])
    finish(app, event.id, NOW)
    return event, g


def test_sweep_query_count_does_not_grow_with_tasks(app, make_event, make_attendee, count_queries):
    _many_connections(app, make_event, make_attendee, 1)
    with count_queries() as small:
        small_counts = sweep_at(app, ENDS + timedelta(days=3))
    _many_connections(app, make_event, make_attendee, 15)
    with count_queries() as large:
        large_counts = sweep_at(app, ENDS + timedelta(days=3, minutes=1))
    assert large_counts["queued"] > small_counts["queued"] * 10
    assert large.count == small.count


def test_two_sweeps_at_the_same_time_queue_each_reminder_once(app, make_event, make_attendee):
    _many_connections(app, make_event, make_attendee, 6)
    now = ENDS + timedelta(days=3)
    barrier = threading.Barrier(2)
    errors = []

    def run():
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                sweep(now)
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
    keys = Counter(e.dedupe_key for e in outbox(app))
    assert keys and max(keys.values()) == 1
    assert Counter(key.split(":")[1] for key in keys) == {"overdue": 12, "digest": 12, "escalation": 1}
    assert sweep_at(app, now)["queued"] == 0  # a third run finds nothing left to send
    assert len(outbox(app)) == len(keys)


def test_unsubscribed_guests_get_no_reminders_but_still_count_as_overdue(app, make_event, make_attendee, client,
                                                                         guest_login):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    finish(app, event.id, NOW)
    guest_login(g["Ben"])
    assert client.post(f"/e/{event.slug}/followup/unsubscribe").status_code == 302
    sweep_at(app, ENDS + timedelta(days=1, hours=12))  # due soon
    sweep_at(app, ENDS + timedelta(days=3))  # overdue, digest, escalation
    sent = [(kind_of(e), e.to_email) for e in outbox(app)]
    assert ("due_soon", "ana@example.com") in sent and ("overdue", "ana@example.com") in sent
    assert [s for s in sent if s[1] == "ben@example.com"] == [("digest", "ben@example.com")]  # a separate choice
    escalation = next(e for e in outbox(app) if kind_of(e) == "escalation")
    assert "Ben" in escalation.body_text and "unsubscribed from reminders" in escalation.body_text
    page = client.get(f"/e/{event.slug}/connections").get_data(as_text=True)
    assert "Overdue" in page and "Reminders are off" in page
    assert client.post(f"/e/{event.slug}/followup/reminders/on").status_code == 302
    sweep_at(app, ENDS + timedelta(days=6, hours=12))
    assert ("due_soon", "ben@example.com") in [(kind_of(e), e.to_email) for e in outbox(app)]


def test_remind_command_accepts_now_and_reports(app, runner, make_event, make_attendee):
    event, _g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    finish(app, event.id, NOW)
    result = runner.invoke(args=["eventkit", "remind", "--now", "2026-11-04T09:00:00+00:00"])
    assert result.exit_code == 0 and "queued 2 follow-up email(s) (due soon 2" in result.output
    again = runner.invoke(args=["eventkit", "remind", "--now", "2026-11-04T09:00:00"])
    assert again.exit_code == 0 and len(outbox(app)) == 2
    bad = runner.invoke(args=["eventkit", "remind", "--now", "next tuesday"])
    assert bad.exit_code != 0 and "ISO 8601" in bad.output
    assert all_rows(app, select(OutboundEmail.purpose).distinct()) == [("followup",)]


def test_escalations_reach_co_organisers_once_a_day_and_only_for_their_gatherings(
        app, make_event, make_attendee, make_organiser, organiser):
    from eventkit.events.models import EventOrganiser

    helper = make_organiser(email="helper@example.com", name="Hana Helper")
    elsewhere = make_organiser(email="elsewhere@example.com", name="Eli Elsewhere")
    event, _g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    other = make_event(owner=elsewhere)
    with app.app_context():
        db.session.add_all([EventOrganiser(event_id=event.id, organiser_id=helper.id),
                            EventOrganiser(event_id=other.id, organiser_id=organiser.id)])
        db.session.commit()
    finish(app, event.id, NOW)
    sweep_at(app, ENDS + timedelta(days=3))
    sweep_at(app, ENDS + timedelta(days=3, hours=2))  # same day (23:00): nothing again
    escalations = [e for e in outbox(app) if kind_of(e) == "escalation"]
    assert sorted(e.to_email for e in escalations) == sorted([organiser.email, "helper@example.com"])
    assert all(event.title in e.body_text for e in escalations)
    sweep_at(app, ENDS + timedelta(days=4))  # next day: one more each
    assert Counter(e.to_email for e in outbox(app) if kind_of(e) == "escalation") == {
        organiser.email: 2, "helper@example.com": 2}


def _pair(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    finish(app, event.id, NOW)
    with app.app_context():
        cid = db.session.scalars(select(ConnectionLink.connection_id)).one()
    return event, g, cid


def _act(app, guest, cid, kind, when):
    with app.app_context():
        services.record_action(attendee(app, guest.id), cid, kind, "", when)
        db.session.commit()


def _daily(app, first: date, last: date) -> list[tuple[date, str, str]]:
    """Sweep every morning from `first` to `last`; the (day, kind, recipient) of every new email."""
    seen, sent = len(outbox(app)), []
    day = first
    while day <= last:
        sweep_at(app, at(day))
        emails = outbox(app)
        sent += [(day, kind_of(e), e.to_email) for e in emails[seen:]]
        seen = len(emails)
        day += timedelta(days=1)
    return sent


def test_both_sides_acting_inside_the_interval_get_no_reminder(app, make_event, make_attendee):
    _event, g, cid = _pair(app, make_event, make_attendee)
    _act(app, g["Ana"], cid, "thank_you", at(date(2026, 11, 3), 8))  # next check-in: 10 Nov 08:00
    _act(app, g["Ben"], cid, "shared_resource", at(date(2026, 11, 8), 8))  # both acted: 30 days from now
    assert _daily(app, date(2026, 11, 3), date(2026, 12, 6)) == []
    assert sorted(_daily(app, date(2026, 12, 7), date(2026, 12, 7))) == [  # due 8 Dec 08:00
        (date(2026, 12, 7), "due_soon", "ana@example.com"), (date(2026, 12, 7), "due_soon", "ben@example.com")]


def test_a_deepened_connection_gets_only_its_stay_in_touch_rhythm(app, make_event, make_attendee, organiser):
    from eventkit.followup import rhythm
    from eventkit.followup.models import Connection, FollowUpTask, TaskKind

    _event, g, cid = _pair(app, make_event, make_attendee)
    deepened = at(date(2026, 11, 3), 8)
    _act(app, g["Ana"], cid, "thank_you", deepened)
    _act(app, g["Ben"], cid, "met_again", deepened)
    with app.app_context():  # Ana wants no reminders for Ben; Ben keeps the quarterly default
        rhythm.set_rhythm(attendee(app, g["Ana"].id), db.session.get(Connection, cid), 0, deepened)
        db.session.commit()
    open_tasks = all_rows(app, select(FollowUpTask.owner_id, FollowUpTask.kind, FollowUpTask.due_at)
                          .where(FollowUpTask.done_at.is_(None)))
    assert open_tasks == [(g["Ben"].id, TaskKind.STAY, deepened + timedelta(days=90))]
    sent = _daily(app, date(2026, 11, 3), date(2027, 5, 5))
    assert sent == [(date(2027, 2, 1), "stay", "ben@example.com"), (date(2027, 5, 2), "stay", "ben@example.com")]
    stay = next(e for e in outbox(app) if kind_of(e) == "stay")
    assert stay.subject == "Time to stay in touch with Ana" and "remind me in a week" not in stay.body_text


def test_a_quiet_connection_goes_dormant_sends_nothing_more_and_an_action_revives_it(app, make_event, make_attendee):
    from eventkit.followup.models import Connection, Stage

    _event, g, cid = _pair(app, make_event, make_attendee)
    _act(app, g["Ana"], cid, "thank_you", at(date(2026, 11, 3), 8))  # check-in 10 Nov, final interval 90 days
    sent = _daily(app, date(2026, 11, 3), date(2027, 3, 31))
    assert max(day for day, _kind, _to in sent) < date(2027, 2, 8)
    assert (date(2027, 2, 8), "escalation", "olivia@example.org") not in sent
    with app.app_context():
        connection = db.session.get(Connection, cid)
        assert connection.stage == Stage.DORMANT and connection.dormant_at == at(date(2027, 2, 8))
    _act(app, g["Ben"], cid, "thank_you", at(date(2027, 4, 1), 8))
    with app.app_context():
        assert db.session.get(Connection, cid).stage == Stage.RECIPROCATED  # both have acted now
    # the second action: the next check-in is 30 days later (1 May 08:00), due soon the morning before
    assert sorted(_daily(app, date(2027, 4, 2), date(2027, 4, 30))) == [
        (date(2027, 4, 30), "due_soon", "ana@example.com"), (date(2027, 4, 30), "due_soon", "ben@example.com")]
