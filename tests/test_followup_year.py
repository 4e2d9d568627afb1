"""A year of follow-up in one test: a finished gathering through 12 months of daily sweeps.

The guests: Ana always acts at once on a reminder, Sam snoozes each follow-up twice (a week each)
and then acts, Nia never acts, Dee and Eli deepen on day 3 (Eli also thanks Nia that day, then
goes quiet). Conversations: Ana–Dee, Sam–Nia, Nia–Eli, Dee–Eli. Each day the sweep runs at 09:00
(`remind --now`), the sender delivers what is due at that time (`send-mail --now`), and the guests
react at 09:30. The expected emails below are worked out by hand from the rules in the README.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select
from test_followup_support import ENDS, attendee, finish, gathering, sweep_at

from eventkit.db import db
from eventkit.events.models import Event
from eventkit.followup import rhythm, services
from eventkit.followup.models import Connection, ConnectionLink, FollowUpTask, Stage
from eventkit.mail.models import OutboundEmail
from eventkit.mail.sender import send_due

FIRST_DAY = date(2026, 11, 3)
DAYS = 365
TASK_MAIL = ("due_soon", "overdue", "resurfaced", "stay")


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=timezone.utc)


def _connection_of(pair: tuple[int, int]) -> int:
    return db.session.scalars(select(ConnectionLink.connection_id).where(
        ConnectionLink.low_attendee_id.in_(pair), ConnectionLink.high_attendee_id.in_(pair))).one()


def run_year(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Sam", "Nia", "Dee", "Eli"],
                         [("Ana", "Dee"), ("Sam", "Nia"), ("Nia", "Eli"), ("Dee", "Eli")])
    finish(app, event.id, ENDS + timedelta(minutes=30))
    names = {guest.email: name for name, guest in g.items()}
    with app.app_context():
        pairs = {key: _connection_of((g[a].id, g[b].id)) for key, (a, b) in
                 {"ana-dee": ("Ana", "Dee"), "sam-nia": ("Sam", "Nia"), "nia-eli": ("Nia", "Eli"),
                  "dee-eli": ("Dee", "Eli")}.items()}
    log: dict[str, list[tuple[int, str, str]]] = defaultdict(list)
    seen = 0
    for n in range(DAYS):
        day = FIRST_DAY + timedelta(days=n)
        sweep_at(app, at(day, 9))
        with app.app_context():
            report = send_due(now=at(day, 9, 5))
            assert report.failed == 0
            new = db.session.scalars(select(OutboundEmail).where(OutboundEmail.id > seen).order_by(OutboundEmail.id)).all()
            for email in new:
                seen = email.id
                assert email.status == "sent"
                _, kind, *rest = email.dedupe_key.split(":")
                about = ""
                if kind in TASK_MAIL:
                    task = db.session.get(FollowUpTask, int(rest[1]))
                    about = next(k for k, cid in pairs.items() if cid == task.connection_id)
                    _react(app, names.get(email.to_email, "organiser"), task, at(day, 9, 30))
                log[names.get(email.to_email, "organiser")].append((n, kind, about))
            if n == 3:
                _day_three(app, g, pairs, at(day, 9, 30))
            db.session.commit()
    return event, g, pairs, log


def _react(app, who: str, task: FollowUpTask, now: datetime) -> None:
    if task.done_at is not None:  # the other side acted first this morning
        return
    if who == "Ana":
        services.record_action(attendee(app, task.owner_id), task.connection_id, "thank_you", "", now)
    elif who == "Sam":
        if task.snoozes < 2:
            until = rhythm.snooze_until("week", None, db.session.get(Event, task.event_id), now)
            rhythm.snooze(attendee(app, task.owner_id), task.id, until, now)
        else:
            services.record_action(attendee(app, task.owner_id), task.connection_id, "shared_resource", "", now)


def _day_three(app, g, pairs, now: datetime) -> None:
    services.record_action(attendee(app, g["Eli"].id), pairs["nia-eli"], "thank_you", "", now)
    services.record_action(attendee(app, g["Dee"].id), pairs["dee-eli"], "met_again", "", now)
    services.record_action(attendee(app, g["Eli"].id), pairs["dee-eli"], "collaboration", "", now)


def mondays(first: int, last: int) -> list[int]:
    """Day numbers of the Mondays between two day numbers (day 0, 3 Nov 2026, is a Tuesday)."""
    return [n for n in range(first, last + 1) if n % 7 == 6]


def mails(*groups) -> list[tuple[int, str, str]]:
    return sorted(item for group in groups for item in group)


def test_a_year_of_follow_up_sends_each_person_exactly_the_emails_the_rules_say(app, make_event, make_attendee):
    from eventkit.followup import stats

    event, g, pairs, log = run_year(app, make_event, make_attendee)
    due_soon = lambda days, about: [(n, "due_soon", about) for n in days]  # noqa: E731
    overdue = lambda days, about: [(n, "overdue", about) for n in days]  # noqa: E731
    digests = lambda days: [(n, "digest", "") for n in days]  # noqa: E731

    # Every first follow-up is due on day 1 at 21:00 (48 h after the end): "due soon" that morning.
    # Ana acts at once each time, so each next check-in counts from her action (day 1, 09:30):
    # +7 -> day 8, +30 -> day 38, then every 90 days -> 128, 218, 308. Dee's side moves with it.
    ana_dee = [1, 8, 38, 128, 218, 308]
    assert sorted(log["Ana"]) == due_soon(ana_dee, "ana-dee")

    # Sam snoozes each follow-up a week (back at 09:00, a week later), twice, then acts: snoozed on
    # day 1, back on 8 and 15, acts on 15 -> next check-in day 22; back 29, 36, acts -> +30 -> 66;
    # back 73, 80 -> +90 -> 170; back 177, 184 -> 274; back 281, 288 (next one is after the year).
    sam_due = [1, 22, 66, 170, 274]
    assert sorted(log["Sam"]) == mails(due_soon(sam_due, "sam-nia"),
                               [(n + 7 * k, "resurfaced", "sam-nia") for n in sam_due for k in (1, 2)])

    # Nia never acts. Sam–Nia: until Sam's first action (day 15) the check-ins from the gathering's
    # end stand (day 6, 21:00 is 7 days after it); after that Nia's check-in is Sam's, each overdue
    # the next morning. Nia–Eli: Eli's thank-you on day 3 sets both check-ins to day 10; nobody acts,
    # so 90 days (the final interval) after that it goes dormant (day 101) and sends nothing more.
    # Digests: the first overdue day of each week in which Nia has an overdue (not snoozed) task.
    nia_digests = [2] + mondays(6, 97) + [171] + mondays(174, 184) + [275] + mondays(279, 288)
    assert sorted(log["Nia"]) == mails(due_soon([1, 6, 22, 66, 170, 274], "sam-nia"), overdue([2, 7, 23, 67, 171, 275], "sam-nia"),
                               due_soon([1, 10], "nia-eli"), overdue([2, 11], "nia-eli"), digests(nia_digests))

    # Dee and Eli deepen on day 3: before it the first follow-up's due-soon and overdue mails and
    # that week's digest; after it only their quarterly stay-in-touch reminder (day 3 + 90 = day 93,
    # 09:30, so the next morning), moving on 90 days each time. Eli also has Nia–Eli until dormant.
    stay = [(n, "stay", "dee-eli") for n in (94, 184, 274, 364)]
    assert sorted(log["Dee"]) == mails(due_soon([1], "dee-eli"), overdue([2], "dee-eli"), digests([2]),
                               due_soon(ana_dee, "ana-dee"), stay)
    assert sorted(log["Eli"]) == mails(due_soon([1], "dee-eli"), overdue([2], "dee-eli"), due_soon([1, 10], "nia-eli"),
                               overdue([2, 11], "nia-eli"), digests([2, 11] + mondays(13, 97)), stay)

    # The organiser: one escalation a day while some follow-up is overdue by a day (never Sam's
    # snoozed ones, never a deepened pair's): days 3 to 100, then while Nia's check-ins wait for Sam.
    assert sorted(log["organiser"]) == [(n, "escalation", "") for n in
                                [*range(3, 101), *range(172, 185), *range(276, 289)]]
    with app.app_context():
        escalations = db.session.scalars(select(OutboundEmail).where(OutboundEmail.label == "followup_escalation")
                                         .order_by(OutboundEmail.id)).all()
        assert not [e for e in escalations if "Sam → Nia" in e.body_text]
        assert not [e for e in escalations[1:] if "Dee → Eli" in e.body_text or "Eli → Dee" in e.body_text]
        quiet = db.session.get(Connection, pairs["nia-eli"])
        assert quiet.stage == Stage.DORMANT and quiet.dormant_at == at(FIRST_DAY + timedelta(days=101), 9)
        assert db.session.get(Connection, pairs["dee-eli"]).stage == Stage.DEEPENED
        numbers = stats.compute(stats.load_rows([event.id]))
        assert [count for _key, _label, count in numbers.funnel] == [4, 4, 1, 1]
        assert (numbers.dormant, numbers.faded, numbers.snoozes, numbers.snoozed_repeatedly) == (1, 0, 10, 5)
