"""The ready templates and the gathering's default schedule (the automatic day-before reminder)."""
from __future__ import annotations

from datetime import timedelta

from messages_support import AFTER, BEFORE, STARTS, create, event_row, gathering, messages, outbox

from eventkit.db import db
from eventkit.events.models import Event, EventStatus
from eventkit.matching.models import Conversation, Plan
from eventkit.messages import services
from eventkit.messages.content import READY
from eventkit.messages.models import Template
from eventkit.messages.sweep import sweep


def run_sweep(app, now):
    with app.app_context():
        report = sweep(now)
        db.session.commit()
        return report


def _plan(app, event, a, b, locked=True):
    with app.app_context():
        plan = Plan(event_id=event.id, locked_at=BEFORE if locked else None)
        db.session.add(plan)
        db.session.flush()
        db.session.add(Conversation(plan_id=plan.id, event_id=event.id, round=1, table_no=2, a_id=a.id, b_id=b.id))
        db.session.commit()


def test_the_day_before_reminder_is_scheduled_automatically_and_sent_once_with_plan_and_qr(app, make_event,
                                                                                         make_attendee, deliver):
    g = gathering(app, make_event, make_attendee, day_before=True)
    _plan(app, g.event, g.registered, g.approved)
    assert run_sweep(app, BEFORE).scheduled == 1
    [auto] = messages(app)
    assert (auto.automatic, auto.status, auto.send_at) == ("day_before", "scheduled", STARTS - timedelta(hours=24))
    assert run_sweep(app, BEFORE).scheduled == 0  # one per gathering
    assert run_sweep(app, STARTS - timedelta(hours=24)).sent == 1
    rows = outbox(app)
    assert sorted(row.to_name for row in rows) == ["Anna Approved", "Carl Came", "Ines Invited", "Rita Registered"]
    assert {row.kind for row in rows} == {"day_before"}
    rita = next(row for row in rows if row.to_name == "Rita Registered")
    assert "Round 1, table 2: with Anna Approved" in rita.body_text
    assert "When:  Sat 01 Jun 2030, 19:00 – 22:00 (Europe/Amsterdam)" in rita.body_text
    assert "Where: The Long Table, 12 Canal Street" in rita.body_text
    delivered = {m["To"].addresses[0].display_name: m for m in deliver(STARTS - timedelta(hours=23))}
    assert [part.get_filename() for part in delivered["Rita Registered"].iter_attachments()] == ["check-in-qr.png"]
    assert run_sweep(app, STARTS - timedelta(hours=1)).sent == 0


def test_an_unlocked_plan_is_not_in_the_reminder(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    _plan(app, g.event, g.registered, g.approved, locked=False)
    words = READY[Template.DAY_BEFORE]
    create(app, g.event, BEFORE, template=Template.DAY_BEFORE, subject=words.subject, body=words.body,
           audience="picked", picked_ids=[g.registered.id])
    [row] = outbox(app)
    assert "Where: The Long Table" in row.body_text and "Round 1" not in row.body_text


def test_the_switch_turns_the_day_before_reminder_off_and_on(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee, day_before=True)
    run_sweep(app, BEFORE)
    with app.app_context():
        services.set_day_before(event_row(g.event), False, "organiser:1", BEFORE)
        db.session.commit()
    assert [m.status for m in messages(app)] == ["cancelled"]
    assert run_sweep(app, STARTS - timedelta(hours=24)).sent == 0 and outbox(app) == []
    with app.app_context():
        services.set_day_before(event_row(g.event), True, "organiser:1", STARTS - timedelta(hours=23))
        db.session.commit()
    assert run_sweep(app, STARTS - timedelta(hours=23)).sent == 1
    assert len(outbox(app)) == 4


def test_cancelling_the_automatic_reminder_turns_the_switch_off(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee, day_before=True)
    run_sweep(app, BEFORE)
    [auto] = messages(app)
    with app.app_context():
        services.cancel(event_row(g.event), auto.id, "organiser:1", BEFORE)
        db.session.commit()
        assert services.day_before_on(event_row(g.event)) is False
    assert run_sweep(app, BEFORE).scheduled == 0


def test_no_day_before_reminder_for_a_draft_or_when_switched_off_before_it_exists(app, make_event, make_attendee):
    draft = make_event(starts_at=STARTS, ends_at=STARTS + timedelta(hours=3), status=EventStatus.DRAFT)
    g = gathering(app, make_event, make_attendee)  # switched off from the start
    assert run_sweep(app, BEFORE).scheduled == 0
    assert messages(app) == []
    with app.app_context():
        db.session.get(Event, draft.id).status = EventStatus.OPEN
        db.session.commit()
    assert run_sweep(app, BEFORE).scheduled == 1
    assert g.event.id != draft.id


def test_thank_you_carries_the_follow_up_page_and_missed_you_goes_to_no_shows(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    for template in (Template.THANK_YOU, Template.MISSED_YOU):
        words = READY[template]
        create(app, g.event, AFTER, template=template, subject=words.subject, body=words.body,
               audience=words.audience)
    rows = outbox(app)
    thanks = [row for row in rows if row.subject.startswith("Thank you")]
    missed = [row for row in rows if row.subject.startswith("We missed you")]
    assert [row.to_name for row in thanks] == ["Carl Came"]
    assert f"http://eventkit.test/e/{g.event.slug}/connections" in thanks[0].body_text
    assert sorted(row.to_name for row in missed) == ["Anna Approved", "Rita Registered"]
    assert "connections" not in missed[0].body_text


def test_the_demo_gathering_shows_one_scheduled_message(app, runner):
    result = runner.invoke(args=["eventkit", "seed-demo"])
    assert result.exit_code == 0, result.output
    scheduled = [m for m in messages(app) if m.status == "scheduled"]
    assert len(scheduled) == 1 and scheduled[0].template == "day_before"
