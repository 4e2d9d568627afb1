"""Planning through the organiser's pages, the CLI and the services (database, HTTP)."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.audit import AuditEntry
from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.matching import services
from eventkit.matching.history import previous_pairs
from eventkit.matching.models import Conversation, Plan
from tests.matching_helpers import four_guests, planned_pairs, ready_guest

SETTINGS = {"settings-rounds": "3", "settings-round_minutes": "12", "settings-per_guest_cap": "3",
            "settings-odd_policy": "trio"}


@pytest.fixture
def gathering(event, make_attendee, make_intent):
    return event, four_guests(make_attendee, make_intent, event)


def test_organiser_plans_and_sees_rounds_reasons_and_network(client, login, organiser, gathering):
    event, (ana, ben, cleo, dev) = gathering
    login(organiser)
    response = client.post(f"/events/{event.id}/plan", data=SETTINGS)
    assert response.status_code == 302
    page = client.get(f"/events/{event.id}/plan").get_data(as_text=True)
    assert "Ana offers seed-stage fundraising intros, which Ben seeks" in page
    assert "different fields (climate, developer tools)" in page
    assert "<svg" in page and "Round 3" in page
    with client.application.app_context():
        assert planned_pairs(event.id, 1) == {frozenset({ana.id, ben.id}), frozenset({cleo.id, dev.id})}
        all_pairs = [frozenset(m for m in (c.a_id, c.b_id) if m) for c in db.session.scalars(select(Conversation))]
        assert len(all_pairs) == len(set(all_pairs)) == 6


def test_invalid_settings_rerender_with_422_and_nothing_saved(client, login, organiser, gathering):
    event, _ = gathering
    login(organiser)
    response = client.post(f"/events/{event.id}/plan", data={**SETTINGS, "settings-rounds": "0"})
    assert response.status_code == 422
    with client.application.app_context():
        assert db.session.scalar(select(Plan)) is None


def test_too_few_ready_guests_is_a_clear_message(client, login, organiser, event, make_attendee):
    make_attendee(event, name="Not ready")
    login(organiser)
    response = client.post(f"/events/{event.id}/plan", data=SETTINGS)
    assert response.status_code == 422
    assert "At least two ready guests" in response.get_data(as_text=True)


def test_another_organiser_gets_404_everywhere(client, login, make_organiser, gathering):
    event, (ana, ben, *_) = gathering
    login(make_organiser())
    assert client.get(f"/events/{event.id}/plan").status_code == 404
    assert client.post(f"/events/{event.id}/plan", data=SETTINGS).status_code == 404
    assert client.post(f"/events/{event.id}/plan/lock").status_code == 404
    assert client.post(f"/events/{event.id}/plan/constraints",
                       data={"rule-first": ana.id, "rule-second": ben.id, "rule-kind": "never"}).status_code == 404


def test_signed_out_visitor_is_sent_to_sign_in(client, gathering):
    event, _ = gathering
    assert client.get(f"/events/{event.id}/plan").status_code in (302, 401)


def test_constraints_from_the_form_are_honoured(client, login, organiser, gathering):
    event, (ana, ben, cleo, dev) = gathering
    login(organiser)
    client.post(f"/events/{event.id}/plan/constraints",
                data={"rule-first": ana.id, "rule-second": ben.id, "rule-kind": "never", "rule-note": "same board"})
    client.post(f"/events/{event.id}/plan/constraints",
                data={"rule-first": dev.id, "rule-second": ana.id, "rule-kind": "must"})
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    with client.application.app_context():
        assert planned_pairs(event.id, 1) == {frozenset({ana.id, dev.id}), frozenset({ben.id, cleo.id})}
        assert frozenset({ana.id, ben.id}) not in planned_pairs(event.id)


def test_constraint_on_another_events_guest_is_404(client, login, organiser, gathering, make_event, make_attendee):
    event, (ana, *_) = gathering
    stranger = make_attendee(make_event(), name="Stranger")
    login(organiser)
    response = client.post(f"/events/{event.id}/plan/constraints",
                           data={"rule-first": ana.id, "rule-second": stranger.id, "rule-kind": "never"})
    assert response.status_code in (404, 422)


def test_replanning_after_a_cancellation_keeps_held_rounds(app, client, login, organiser, gathering,
                                                           make_attendee, make_intent):
    event, (ana, ben, cleo, dev) = gathering
    ready_guest(make_attendee, make_intent, event, "Eve", "Health",
                [("Design feedback", "UX critique")], [("Rust", "Rust help")])
    login(organiser)
    client.post(f"/events/{event.id}/plan", data={**SETTINGS, "settings-odd_policy": "rest"})
    client.post(f"/events/{event.id}/plan/held", data={"held-rounds_held": "1"})
    with app.app_context():
        round_one = {(c.round, c.table_no, c.a_id, c.b_id, c.c_id, tuple(c.reasons))
                     for c in db.session.scalars(select(Conversation).where(Conversation.round == 1))}
        db.session.get(Attendee, cleo.id).status = AttendeeStatus.CANCELLED
        db.session.commit()
    finn = ready_guest(make_attendee, make_intent, event, "Finn", "Policy",
                       [("Climate policy", "EU climate rules")], [("Go-to-market", "pricing advice")])
    page = client.get(f"/events/{event.id}/plan").get_data(as_text=True)
    assert "No longer taking part: Cleo" in page and "Ready but in no conversation yet: Finn" in page
    client.post(f"/events/{event.id}/plan", data={**SETTINGS, "settings-odd_policy": "rest"})
    with app.app_context():
        assert round_one == {(c.round, c.table_no, c.a_id, c.b_id, c.c_id, tuple(c.reasons))
                             for c in db.session.scalars(select(Conversation).where(Conversation.round == 1))}
        later = db.session.scalars(select(Conversation).where(Conversation.round > 1)).all()
        assert later and all(cleo.id not in (c.a_id, c.b_id, c.c_id) for c in later)
        assert any(finn.id in (c.a_id, c.b_id, c.c_id) for c in later)
        pairs = [frozenset(m for m in (c.a_id, c.b_id, c.c_id) if m) for c in db.session.scalars(select(Conversation))]
        assert len(pairs) == len(set(pairs))


def test_locked_plan_cannot_be_replanned_until_unlocked(app, client, login, organiser, gathering):
    event, _ = gathering
    login(organiser)
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    client.post(f"/events/{event.id}/plan/lock")
    response = client.post(f"/events/{event.id}/plan", data=SETTINGS, follow_redirects=True)
    assert "The plan is locked" in response.get_data(as_text=True)
    with app.app_context():
        actions = [(e.action, e.actor) for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions == [("plan.planned", f"organiser:{organiser.id}"), ("plan.locked", f"organiser:{organiser.id}")]
    client.post(f"/events/{event.id}/plan/unlock")
    assert client.post(f"/events/{event.id}/plan", data=SETTINGS).status_code == 302


def test_swap_two_guests_and_remove_a_pairing(app, client, login, organiser, gathering):
    event, (ana, ben, cleo, dev) = gathering
    login(organiser)
    client.post(f"/events/{event.id}/plan", data={**SETTINGS, "settings-rounds": "1"})
    client.post(f"/events/{event.id}/plan/swap", data={"swap-round": "1", "swap-first": ben.id, "swap-second": cleo.id})
    with app.app_context():
        assert planned_pairs(event.id, 1) == {frozenset({ana.id, cleo.id}), frozenset({ben.id, dev.id})}
        swapped = db.session.scalars(select(Conversation)).all()
        assert all(c.status == "swapped" for c in swapped)
        target = next(c for c in swapped if ana.id in (c.a_id, c.b_id))
        assert not any("Ben" in reason for reason in target.reasons)
        target_id = target.id
    client.post(f"/events/{event.id}/plan/conversations/{target_id}/remove")
    with app.app_context():
        assert planned_pairs(event.id, 1) == {frozenset({ben.id, dev.id})}


def test_swap_that_repeats_a_meeting_is_refused(app, client, login, organiser, gathering):
    event, (ana, ben, cleo, dev) = gathering
    login(organiser)
    client.post(f"/events/{event.id}/plan", data={**SETTINGS, "settings-rounds": "2"})
    with app.app_context():
        before = planned_pairs(event.id)
        round_two = planned_pairs(event.id, 2)
    # Swapping in round 2 so that Ana meets Ben again must be refused.
    partner = next(iter(next(p for p in round_two if ana.id in p) - {ana.id}))
    response = client.post(f"/events/{event.id}/plan/swap", follow_redirects=True,
                           data={"swap-round": "2", "swap-first": partner, "swap-second": ben.id})
    assert "meet a second time" in response.get_data(as_text=True)
    with app.app_context():
        assert planned_pairs(event.id) == before


def test_removing_another_events_conversation_is_404(app, client, login, organiser, gathering, make_event):
    event, _ = gathering
    login(organiser)
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    other = make_event()
    with app.app_context():
        conversation_id = db.session.scalars(select(Conversation.id)).first()
    assert client.post(f"/events/{other.id}/plan/conversations/{conversation_id}/remove").status_code == 404


def test_plan_page_queries_do_not_grow_with_guests(client, login, organiser, event, make_attendee, make_intent,
                                                   count_queries):
    four_guests(make_attendee, make_intent, event)
    login(organiser)
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    with count_queries() as small:
        client.get(f"/events/{event.id}/plan")
    for i in range(8):
        ready_guest(make_attendee, make_intent, event, f"Extra {i}", ["Climate", "Design"][i % 2],
                    [("Hiring", "senior engineers")], [("Rust", "Rust help")])
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    with count_queries() as large:
        client.get(f"/events/{event.id}/plan")
    assert large.count <= small.count + 2


def test_cli_plans_locks_and_prints_a_summary(app, runner, gathering):
    event, _ = gathering
    result = runner.invoke(args=["eventkit", "plan", event.slug, "--rounds", "2", "--cap", "2", "--odd", "rest",
                                 "--lock"])
    assert result.exit_code == 0, result.output
    assert "4 conversations for 4 guests in 2 rounds" in result.output and "(locked)" in result.output
    assert "Ana offers seed-stage fundraising intros, which Ben seeks" in result.output
    assert runner.invoke(args=["eventkit", "plan", "no-such-slug"]).exit_code != 0


def test_previous_pairs_come_from_this_organisers_earlier_gatherings(app, gathering, make_event, make_attendee,
                                                                     make_intent, runner):
    event, (ana, ben, *_) = gathering
    earlier = make_event(starts_at=utcnow() - timedelta(days=30))
    a2 = ready_guest(make_attendee, make_intent, earlier, "Ana", "Climate", [("Hiring", "x")], [], email=ana.email)
    b2 = ready_guest(make_attendee, make_intent, earlier, "Ben", "Design", [("Hiring", "y")], [], email=ben.email)
    assert runner.invoke(args=["eventkit", "plan", earlier.slug, "--rounds", "1"]).exit_code == 0
    with app.app_context():
        pairs = previous_pairs(db.session.get(Event, event.id))
        assert pairs == {frozenset({a2.person_id, b2.person_id})}
        scorer = services.scorer_for(db.session.get(Event, event.id))
        assert "already met at one of your earlier gatherings" in scorer.reasons([ana.id, ben.id])


def test_service_refuses_changes_to_held_rounds(app, gathering):
    event, _ = gathering
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        services.plan_event(loaded, utcnow())
        services.mark_held(loaded, 1)
        first = db.session.scalars(select(Conversation).where(Conversation.round == 1)).first()
        with pytest.raises(DomainError):
            services.remove_conversation(loaded, first.id)


def test_resting_guest_can_take_a_seat_by_swap(app, client, login, organiser, gathering, make_attendee, make_intent):
    event, (ana, ben, cleo, dev) = gathering
    eve = ready_guest(make_attendee, make_intent, event, "Eve", "Health", [("Rust", "Rust code review")], [])
    login(organiser)
    client.post(f"/events/{event.id}/plan", data={**SETTINGS, "settings-rounds": "1", "settings-odd_policy": "rest"})
    with app.app_context():
        seated = {m for p in planned_pairs(event.id, 1) for m in p}
    resting = ({ana.id, ben.id, cleo.id, dev.id, eve.id} - seated).pop()
    someone = next(iter(seated))
    client.post(f"/events/{event.id}/plan/swap", data={"swap-round": "1", "swap-first": resting, "swap-second": someone})
    with app.app_context():
        now_seated = {m for p in planned_pairs(event.id, 1) for m in p}
    assert resting in now_seated and someone not in now_seated


def test_planning_when_every_round_is_held_is_a_clear_message(app, gathering):
    event, _ = gathering
    with app.app_context():
        loaded = db.session.get(Event, event.id)
        services.update_settings(loaded, 1, 12, 1, "trio")
        services.plan_event(loaded, utcnow())
        services.mark_held(loaded, 1)
        with pytest.raises(DomainError, match="already held"):
            services.plan_event(loaded, utcnow())
