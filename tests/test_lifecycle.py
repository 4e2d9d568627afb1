"""The gathering's lifecycle: each phase's current step, what is missing and the one next action; the page."""
from __future__ import annotations

from datetime import timedelta

import pytest

from eventkit.db import db, utcnow
from eventkit.events import lifecycle as lc
from eventkit.events.models import Event, EventStatus
from eventkit.matching.models import Conversation, Plan


def life_of(app, event, now=None) -> lc.Lifecycle:
    with app.test_request_context("/"):
        return lc.lifecycle(db.session.get(Event, event.id), now or utcnow())


def states(life) -> list[str]:
    return [step.state for step in life.steps]


def add_plan(app, event, guests, locked=False, rounds_held=0):
    with app.app_context():
        plan = Plan(event_id=event.id, rounds=2, round_minutes=12, planned_at=utcnow(), rounds_held=rounds_held,
                    locked_at=utcnow() if locked else None)
        db.session.add(plan)
        db.session.flush()
        db.session.add(Conversation(plan_id=plan.id, event_id=event.id, round=1, a_id=guests[0].id, b_id=guests[1].id))
        db.session.commit()


def complete(**extra):
    return {"role": "Founder", "organisation": "Kelp", "field": "Climate", "bio": "Builds.", **extra}


def test_names_are_the_six_steps_in_order():
    assert list(lc.PHASES.values()) == ["Set up", "Invite", "Prepare", "Door", "Conversations", "Follow-up"]


def test_empty_draft_is_set_up_and_the_next_step_is_add_guests(app, make_event):
    event = make_event(status=EventStatus.DRAFT, tags=())
    life = life_of(app, event)
    assert life.phase == lc.SETUP and states(life) == ["current"] + ["todo"] * 5
    assert life.steps[0].missing == ["No guests yet", "No topic tags yet"]
    assert life.next_action.label == "Add guests" and life.next_action.url.endswith("/guests#add")


def test_set_up_asks_for_tags_then_opening_registration(app, make_event, make_attendee):
    event = make_event(status=EventStatus.DRAFT, tags=())
    make_attendee(event, status="invited")
    assert life_of(app, event).next_action.label == "Add topic tags"
    ready = make_event(status=EventStatus.DRAFT)
    make_attendee(ready, status="invited")
    action = life_of(app, ready).next_action
    assert (action.label, action.method, action.fields) == ("Open registration", "post", {"status": "open"})


def test_invite_counts_who_has_not_replied(app, event, make_attendee):
    make_attendee(event, status="invited")
    make_attendee(event, status="invited")
    make_attendee(event, status="registered")
    life = life_of(app, event)
    assert life.phase == lc.INVITE and states(life)[:2] == ["done", "current"]
    assert life.steps[1].note == "1 of 3 replied"
    assert life.steps[1].missing == ["2 guests have not replied yet"]
    assert life.next_action.label == "See who has not replied" and "status=invited" in life.next_action.url


def test_applications_awaiting_review_are_not_counted_as_guests(app, event, make_attendee):
    make_attendee(event, status="invited")
    make_attendee(event, status="registered")
    make_attendee(event, status="applied")  # the public page's applicant: not a guest until approved
    life = life_of(app, event)
    assert life.steps[1].note == "1 of 2 replied"
    assert life.steps[1].missing == ["1 guest has not replied yet"]


def test_prepare_says_who_has_no_offer_and_leads_to_the_plan(app, event, make_attendee, make_intent):
    guests = [make_attendee(event, **complete()) for _ in range(4)]
    make_intent(guests[0], "offer", "Rust")
    make_attendee(event, status="declined")  # gone: not counted
    life = life_of(app, event)
    assert life.phase == lc.PREPARE and states(life) == ["done", "done", "current", "todo", "todo", "todo"]
    assert "3 guests have no offer yet" in life.steps[2].missing
    assert "No conversation plan yet" in life.steps[2].missing
    assert life.steps[3].note == "4 expected" and life.steps[5].note == "Starts when you mark the gathering finished"
    assert life.next_action.label == "Plan conversations"
    add_plan(app, event, guests)
    assert life_of(app, event).next_action.label == "Review and lock the plan"


def test_prepare_with_a_locked_plan_prints_the_pack(app, make_event, make_attendee):
    event = make_event(status=EventStatus.CLOSED)
    guests = [make_attendee(event, **complete()) for _ in range(2)]
    add_plan(app, event, guests, locked=True)
    life = life_of(app, event)
    assert life.phase == lc.PREPARE and life.steps[2].note == "Plan locked"
    assert life.next_action.label == "Print the briefings pack" and life.next_action.method == "post"


def test_on_the_day_the_door_then_the_conversations(app, make_event, make_attendee):
    event = make_event(starts_at=utcnow() - timedelta(hours=1))
    guests = [make_attendee(event, checked_in_at=utcnow()), make_attendee(event)]
    life = life_of(app, event)
    assert life.phase == lc.DOOR and life.steps[3].note == "1 of 2 arrived"
    assert life.next_action.label == "Open the door" and life.next_action.url.endswith("/door")
    add_plan(app, event, guests, locked=True, rounds_held=1)
    life = life_of(app, event)
    assert life.phase == lc.CONVERSATIONS and life.steps[4].note == "1 of 2 rounds held"
    assert life.next_action.label == "Run the conversation rounds"
    assert life.next_action.url.endswith(f"/events/{event.id}/live")  # the live run of the evening


@pytest.mark.parametrize(("status", "label", "confirm"), [
    (EventStatus.OPEN, "Close registration", False), (EventStatus.CLOSED, "Mark as finished", True)])
def test_after_the_end_the_next_step_leads_to_finishing(app, make_event, status, label, confirm):
    event = make_event(status=status, starts_at=utcnow() - timedelta(hours=5))
    life = life_of(app, event)
    assert life.phase == lc.CONVERSATIONS and life.next_action.label == label
    assert bool(life.next_action.confirm) is confirm


def test_finished_is_follow_up_with_every_step_before_done(app, make_event):
    event = make_event(status=EventStatus.FINISHED, starts_at=utcnow() - timedelta(days=2))
    life = life_of(app, event)
    assert life.phase == lc.FOLLOWUP and states(life) == ["done"] * 5 + ["current"]
    assert life.steps[5].note == "0 open follow-ups, 0 overdue"
    assert life.next_action.label == "What deepened" and life.next_action.url.endswith("/followup")


def test_lifecycle_is_four_queries_whatever_the_size(app, make_event, make_attendee, make_intent, count_queries):
    event = make_event(status=EventStatus.FINISHED, starts_at=utcnow() - timedelta(days=2))
    make_intent(make_attendee(event), "offer", "Rust")
    with count_queries() as few:
        life_of(app, event)
    for _ in range(6):
        make_intent(make_attendee(event, checked_in_at=utcnow()), "seek", "Hiring")
    with count_queries() as many:
        life_of(app, event)
    selects = [statement for statement in many.statements if statement.startswith("SELECT")]
    assert many.count == few.count and len(selects) == 5  # the event, its tags, guests' counts, plan, follow-up


def test_guest_phase_before(make_event):
    assert lc.guest_phase(make_event(), utcnow()) == lc.BEFORE


def test_guest_phase_on_the_day_and_after(make_event):
    now = utcnow()
    during = make_event(starts_at=now - timedelta(hours=1))
    assert lc.guest_phase(during, now) == lc.DAY
    assert lc.guest_phase(during, now + timedelta(hours=3)) == lc.AFTER
    finished = make_event(status=EventStatus.FINISHED, starts_at=now + timedelta(days=1))
    assert lc.guest_phase(finished, now) == lc.AFTER


def test_empty_new_gathering_page_leads_with_add_guests_not_print_pack(client, login, organiser, make_event):
    event = make_event(status=EventStatus.DRAFT, tags=())
    login(organiser)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert '<ol class="stepper"' in page and page.count('class="step ') == 6
    assert 'class="step current" aria-current="step">' in page and "No guests yet" in page
    assert 'class="button primary-action" href="/events/%d/guests#add">Add guests</a>' % event.id in page
    next_step = page.index('id="next-step"')
    assert page.index('id="tags"') > next_step  # set-up: details and tags are open, after the next step
    folded = page.index('class="more-panels"')
    assert page.index("Print pack (A4)") > folded  # briefings fold away in set-up
    assert 'id="fold-details"' not in page


def test_finished_gathering_page_leads_with_follow_up_and_folds_details(client, login, organiser, make_event):
    event = make_event(status=EventStatus.FINISHED, starts_at=utcnow() - timedelta(days=2))
    login(organiser)
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert ">What deepened</a>" in page
    panels = page.index('class="phase-panels"')
    assert panels < page.index("<h2>Follow-up</h2>") < page.index('class="more-panels"')
    assert page.index('id="fold-details"') < page.index('id="tags"')  # tags and details are folded
    assert page.index('id="fold-briefings"') < page.index("Print pack (A4)")


def test_gathering_page_query_count_does_not_grow_with_guests(client, login, organiser, event, make_attendee,
                                                              make_intent, count_queries):
    login(organiser)
    make_intent(make_attendee(event), "offer", "Rust")
    with count_queries() as few:
        assert client.get(f"/events/{event.id}").status_code == 200
    for _ in range(6):
        make_intent(make_attendee(event, status="invited"), "seek", "Hiring")
    with count_queries() as many:
        assert client.get(f"/events/{event.id}").status_code == 200
    assert many.count == few.count
