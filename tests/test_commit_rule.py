"""The commit rule: a refused action keeps none of its writes, whatever way the view answers it.

A request commits when it answers below 400; `refuse()` rolls back before its redirect, services
check before they change anything (or run in `atomic()`), and only a failed sign-in keeps the
row that records it although it answers 401.
"""
from __future__ import annotations

import pytest
from flask import render_template_string
from sqlalchemy import func, select

from eventkit import audit
from eventkit.audit import AuditEntry
from eventkit.auth import services as auth_services
from eventkit.auth.models import LoginThrottle
from eventkit.db import db, utcnow
from eventkit.errors import DomainError, keep_refused_writes, refuse
from eventkit.events.models import Event
from eventkit.matching import services
from eventkit.matching.models import Conversation, Plan
from tests.conftest import PASSWORD
from tests.matching_helpers import four_guests

SETTINGS = {"settings-rounds": "2", "settings-round_minutes": "12", "settings-per_guest_cap": "3",
            "settings-odd_policy": "trio"}


def audit_count(app, action: str) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEntry.id)).where(AuditEntry.action == action))


def _write_then_refuse():
    audit.record("test.partial", actor="system")
    db.session.flush()
    raise DomainError("Not today.", "refused", 409)


def _refused_by_redirect():
    try:
        _write_then_refuse()
    except DomainError as error:
        return refuse(error, "main.index")


def _refused_by_page():
    try:
        _write_then_refuse()
    except DomainError as error:
        return render_template_string("{{ message }}", message=error.message), error.status


def _refused_by_error_page():
    _write_then_refuse()


def _refusal_that_keeps_its_record():
    audit.record("test.partial", actor="system")
    keep_refused_writes()
    return "refused, but counted", 401


def _done():
    audit.record("test.partial", actor="system")
    return "done"


@pytest.fixture
def routes(app):
    """Views that each write an audit row, then answer in one of the ways views answer."""
    for name, view in [("redirect", _refused_by_redirect), ("page", _refused_by_page),
                       ("error", _refused_by_error_page), ("kept", _refusal_that_keeps_its_record),
                       ("done", _done)]:
        app.add_url_rule(f"/test-commit-rule/{name}", f"test_commit_rule_{name}", view, methods=["POST"])
    return app


@pytest.mark.parametrize("name, status", [("redirect", 302), ("page", 409), ("error", 409)])
def test_a_refusal_keeps_no_partial_write_however_it_is_answered(routes, client, name, status):
    response = client.post(f"/test-commit-rule/{name}")
    assert response.status_code == status
    assert audit_count(routes, "test.partial") == 0


def test_refuse_flashes_the_message_on_the_page_it_redirects_to(routes, client):
    response = client.post("/test-commit-rule/redirect", follow_redirects=True)
    assert "Not today." in response.get_data(as_text=True)


@pytest.mark.parametrize("name, status", [("done", 200), ("kept", 401)])
def test_a_successful_request_and_a_kept_refusal_commit(routes, client, name, status):
    assert client.post(f"/test-commit-rule/{name}").status_code == status
    assert audit_count(routes, "test.partial") == 1


def test_work_queued_by_a_request_that_wrote_nothing_is_still_queued_at_its_end(app, client):
    """A request that began no transaction ends without a commit (the door's scans write in their
    group commit's own); work it queued for after the commit must not be lost with it."""
    from eventkit.jobs.queue import enqueue_after_commit

    sent = []

    def queue_only():
        enqueue_after_commit(sent.append, "queued")
        return "queued"

    app.add_url_rule("/test-commit-rule/queue-only", "test_commit_rule_queue_only", queue_only, methods=["POST"])
    assert client.post("/test-commit-rule/queue-only").status_code == 200
    assert sent == ["queued"]


def test_keeping_a_refusals_writes_lasts_one_request(routes, client):
    client.post("/test-commit-rule/kept")
    client.post("/test-commit-rule/page")
    assert audit_count(routes, "test.partial") == 1


def test_refuse_shows_the_not_found_page_for_a_missing_object(app):
    with app.test_request_context(), pytest.raises(DomainError) as raised:
        refuse(DomainError("No such thing.", "not_found", 404), "main.index")
    assert raised.value.status == 404


def test_failed_sign_in_is_refused_with_401_and_still_counts(app, client, organiser):
    response = client.post("/auth/login", data={"email": organiser.email, "password": "wrong password!"})
    assert response.status_code == 401
    assert auth_services.WRONG_CREDENTIALS in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.max(LoginThrottle.failures))) == 1
    assert client.get("/events/").status_code == 302  # still signed out


def test_a_throttled_sign_in_writes_nothing(app, client, organiser):
    for _ in range(auth_services.MAX_FAILURES):
        client.post("/auth/login", data={"email": organiser.email, "password": "wrong password!"})
    assert client.post("/auth/login", data={"email": organiser.email, "password": PASSWORD}).status_code == 429
    with app.app_context():
        assert db.session.scalar(select(func.max(LoginThrottle.failures))) == auth_services.MAX_FAILURES


def _seating(app, event_id: int) -> list[tuple]:
    with app.app_context():
        rows = db.session.scalars(select(Conversation).where(Conversation.event_id == event_id)
                                  .order_by(Conversation.id))
        return [(c.id, c.round, c.a_id, c.b_id, c.c_id, c.status, c.score, c.reasons) for c in rows]


@pytest.fixture
def planned(app, client, login, organiser, event, make_attendee, make_intent):
    """Two planned rounds of four ready guests, and a swap in round 2 that would repeat a meeting."""
    guests = four_guests(make_attendee, make_intent, event)
    login(organiser)
    assert client.post(f"/events/{event.id}/plan", data=SETTINGS).status_code == 302
    with app.app_context():
        rows = db.session.scalars(select(Conversation).where(Conversation.event_id == event.id)).all()
        first = next(c for c in rows if c.round == 1)
        second = next(c for c in rows if c.round == 2 and first.a_id in (c.a_id, c.b_id))
        # put first.b_id in round 2 beside first.a_id, whom they met in round 1: refused
        partner = second.b_id if second.a_id == first.a_id else second.a_id
    return event, guests, {"swap-round": "2", "swap-first": partner, "swap-second": first.b_id}


def test_a_refused_swap_changes_no_seat(app, client, planned):
    event, _guests, repeat = planned
    before = _seating(app, event.id)
    response = client.post(f"/events/{event.id}/plan/swap", data=repeat)
    assert response.status_code == 302
    assert "meet a second time" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert _seating(app, event.id) == before
    assert audit_count(app, "plan.swapped") == 0


def test_swap_guests_checks_before_it_changes_a_seat(app, planned):
    event, _guests, repeat = planned
    before = _seating(app, event.id)
    with app.app_context():
        with pytest.raises(DomainError, match="meet a second time"):
            services.swap_guests(db.session.get(Event, event.id), 2, repeat["swap-first"],
                                 repeat["swap-second"])
        assert not db.session.dirty
        db.session.commit()  # even a caller that commits after the refusal keeps the plan as it was
    assert _seating(app, event.id) == before


def test_a_refused_replan_keeps_neither_settings_nor_a_new_plan(app, event, make_attendee):
    make_attendee(event, name="Not ready")
    with app.app_context():
        with pytest.raises(DomainError, match="At least two ready guests"):
            services.replan(db.session.get(Event, event.id), 3, 12, 3, "trio", utcnow())
        db.session.commit()
        assert db.session.scalar(select(Plan)) is None


@pytest.mark.parametrize("call", [
    lambda event: services.update_settings(event, 0, 12, 3, "trio"),
    lambda event: services.plan_event(event, utcnow()),
])
def test_a_refused_planning_step_leaves_no_plan_row(app, event, call):
    with app.app_context():
        with pytest.raises(DomainError):
            call(db.session.get(Event, event.id))
        db.session.commit()
        assert db.session.scalar(select(Plan)) is None
