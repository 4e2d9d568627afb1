"""The guests' taps: both sides, privacy, one tap per conversation (retries once), the connection from
both "met", priorities, and the outcome figures of a scripted evening."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.followup.models import ConnectionLink
from eventkit.followup.services import create_connections
from eventkit.live import guest_views, outcomes, rounds, taps
from eventkit.live.models import LiveTap
from eventkit.matching import scoring
from tests.live_helpers import conversations, later, six_at_two_rounds


@pytest.fixture
def evening(app, event, make_attendee, make_intent):
    return six_at_two_rounds(app, event, make_attendee, make_intent)


def _start_and_end(app, event, round_no=1):
    with app.app_context():
        ev = db.session.get(Event, event.id)
        (rounds.start_round if round_no == 1 else rounds.next_round)(ev, later(10 * round_no - 10), "o")
        rounds.end_round(ev, later(10 * round_no - 1), "o")
        db.session.commit()


def _tap(app, event, guest_id, conversation_id, met=True, worth="yes", follow_up=True):
    with app.app_context():
        attendee = db.session.get(Attendee, guest_id)
        tap, recorded = taps.record_tap(attendee, rounds.get_state(event.id), conversation_id, met, worth, follow_up,
                                        later(30))
        db.session.commit()
        return recorded


def test_taps_wait_for_the_end_of_the_round(app, event, evening):
    with app.app_context():
        rounds.start_round(db.session.get(Event, event.id), later(0), "o")
        db.session.commit()
        c = conversations(1, event.id)[0]
        with pytest.raises(DomainError, match="once the round is over"):
            taps.record_tap(db.session.get(Attendee, c.a_id), rounds.get_state(event.id), c.id, True, "yes", True,
                            later(1))
        # once the time is up, the round counts as over even before the organiser ends it
        tap, recorded = taps.record_tap(db.session.get(Attendee, c.a_id), rounds.get_state(event.id), c.id, True,
                                        "yes", True, later(11))
        assert recorded


def test_both_met_makes_the_connection_at_once_and_finish_adds_only_the_rest(app, event, evening):
    _start_and_end(app, event)
    with app.app_context():
        c = conversations(1, event.id)[0]
        cid, a, b = c.id, c.a_id, c.b_id
    assert _tap(app, event, a, cid)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConnectionLink)) == 0  # one side is not enough
    assert _tap(app, event, b, cid, worth="somewhat", follow_up=False)
    with app.app_context():
        links = db.session.scalars(select(ConnectionLink)).all()
        assert [frozenset((link.low_attendee_id, link.high_attendee_id)) for link in links] == [frozenset((a, b))]
        create_connections(db.session.get(Event, event.id), later(200))
        db.session.commit()
        pairs = [frozenset((link.low_attendee_id, link.high_attendee_id)) for link in db.session.scalars(
            select(ConnectionLink))]
        assert len(pairs) == len(set(pairs)) and frozenset((a, b)) in pairs
        assert outcomes.connection_priorities(event.id)[tuple(sorted((a, b)))] == 3 + 1


def test_one_tap_per_side_retries_count_once(app, event, evening):
    _start_and_end(app, event)
    with app.app_context():
        c = conversations(1, event.id)[0]
        cid, a = c.id, c.a_id
    assert _tap(app, event, a, cid, worth="yes")
    assert not _tap(app, event, a, cid, worth="yes")  # a retry
    assert not _tap(app, event, a, cid, met=False)  # a change of mind: the first answer stands
    with app.app_context():
        rows = db.session.scalars(select(LiveTap).where(LiveTap.conversation_id == cid)).all()
        assert [(r.attendee_id, r.met, r.worth) for r in rows] == [(a, True, "yes")]


def test_one_not_there_means_not_held_and_no_connection(app, event, evening):
    _start_and_end(app, event)
    with app.app_context():
        c = conversations(1, event.id)[0]
        cid, a, b = c.id, c.a_id, c.b_id
    _tap(app, event, a, cid, met=True)
    _tap(app, event, b, cid, met=False, worth="yes")
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ConnectionLink)) == 0
        tap_b = db.session.scalars(select(LiveTap).where(LiveTap.attendee_id == b)).one()
        assert tap_b.worth == "" and tap_b.follow_up is None
        figures = outcomes.for_event(db.session.get(Event, event.id))
        assert (figures.total.answered, figures.total.held, figures.total.not_held) == (1, 0, 1)


def test_neither_side_sees_the_others_answer(app, event, evening):
    _start_and_end(app, event)
    with app.app_context():
        c = conversations(1, event.id)[0]
        cid, a, b = c.id, c.a_id, c.b_id
    _tap(app, event, a, cid, met=True, worth="no", follow_up=False)
    with app.app_context():
        mine_b = taps.own_taps(db.session.get(Attendee, b))
        assert mine_b == {}
        assert taps.follow_up_first(db.session.get(Attendee, b)) == []


def test_outcome_figures_of_a_scripted_evening(app, event, evening):
    """Round 1: every table taps; one table says worth it both ways, one 'no', one not held."""
    _start_and_end(app, event)
    with app.app_context():
        tables = [(c.id, c.a_id, c.b_id) for c in conversations(1, event.id)]
    assert len(tables) == 3
    (c1, a1, b1), (c2, a2, b2), (c3, a3, b3) = tables
    _tap(app, event, a1, c1, worth="yes")
    _tap(app, event, b1, c1, worth="yes")
    _tap(app, event, a2, c2, worth="no")
    _tap(app, event, b2, c2, worth="somewhat")
    _tap(app, event, a3, c3, met=False)
    with app.app_context():
        figures = outcomes.for_event(db.session.get(Event, event.id))
        t = figures.total
        assert (t.conversations, t.answered, t.held, t.not_held) == (3, 3, 2, 1)
        assert (t.worth_answers, t.worth_points, t.worth_yes, t.both_worth) == (4, 2.5, 2, 1)
        assert figures.by["planned"].conversations == 3 and figures.by["repaired"].conversations == 0
        assert sum(figures.by[k].conversations for k in ("reciprocal", "one_way")) == 3
        assert sum(figures.by[k].conversations for k in ("across", "within")) == 3


def test_suggestion_lowers_a_reason_that_did_not_work_and_only_suggests():
    out = outcomes.Outcomes()
    for _ in range(4):
        out.by["across"].add(True, ["no"])
        out.by["within"].add(True, ["yes"])
        out.by["reciprocal"].add(True, ["yes"])
        out.by["one_way"].add(True, ["yes"])
    found = outcomes.suggest(out)
    assert [s.weight for s in found] == ["FIELD_BONUS"]
    assert found[0].proposed < found[0].current
    assert scoring.FIELD_BONUS == found[0].current  # never applied


def test_guest_page_shows_the_figures_only_from_enough_answers(app, event, evening, monkeypatch):
    _start_and_end(app, event)
    with app.app_context():
        c = conversations(1, event.id)[0]
        cid, a, b = c.id, c.a_id, c.b_id
    _tap(app, event, a, cid)
    _tap(app, event, b, cid)
    with app.app_context():
        ev, guest = db.session.get(Event, event.id), db.session.get(Attendee, a)
        assert guest_views.live_guest_summary(ev, guest)["outcomes"] is None  # one conversation: it would tell
        monkeypatch.setattr(guest_views, "GUEST_OUTCOMES_FROM", 1)
        assert guest_views.live_guest_summary(ev, guest)["outcomes"].total.held == 1
