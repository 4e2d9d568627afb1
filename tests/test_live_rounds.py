"""The live rounds: timer states with server times, re-pairing of absent partners, walk-ins, odd numbers, undo."""
from __future__ import annotations

import time

import numpy as np
import pytest
from sqlalchemy import select, update

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.live import repair, rounds
from eventkit.live.board import organiser_board
from eventkit.live.models import LiveChange, RoundStatus
from eventkit.matching import engine
from eventkit.matching.models import ConstraintKind, Conversation, PairConstraint, Plan
from eventkit.matching.scoring import Guest, Intent
from tests.live_helpers import check_in, conversations, later, partner_in, plan, six_guests


@pytest.fixture
def evening(app, event, make_attendee, make_intent):
    guests = six_guests(make_attendee, make_intent, event)
    plan(app, event)
    return guests


def _event(event):
    return db.session.get(Event, event.id)


def test_timer_states_use_the_server_times(app, event, evening):
    check_in(app, *evening)
    with app.app_context():
        ev = _event(event)
        s = rounds.start_round(ev, later(0), "organiser:1")
        assert (s.round_no, s.status, s.duration_seconds) == (1, RoundStatus.RUNNING, 600)
        assert s.remaining(later(3)) == 420
        v = s.version
        rounds.pause_round(ev, later(3), "o")
        assert s.remaining(later(8)) == 420 and s.version > v
        rounds.resume_round(ev, later(8), "o")
        assert s.remaining(later(9)) == 360
        rounds.end_round(ev, later(9), "o")
        assert s.status == RoundStatus.ENDED and s.remaining(later(20)) == 0
        assert db.session.scalars(select(Plan.rounds_held).where(Plan.event_id == event.id)).one() == 1
        rounds.next_round(ev, later(10), "o")
        assert (s.round_no, s.status, s.remaining(later(10))) == (2, RoundStatus.RUNNING, 600)


def test_refusals_change_nothing(app, event, evening):
    with app.app_context():
        ev = _event(event)
        for action in (rounds.pause_round, rounds.resume_round, rounds.end_round):
            with pytest.raises(DomainError):
                action(ev, later(0), "o")
        rounds.start_round(ev, later(0), "o")
        with pytest.raises(DomainError, match="still on"):
            rounds.start_round(ev, later(1), "o")
        rounds.next_round(ev, later(2), "o")
        rounds.next_round(ev, later(3), "o")
        with pytest.raises(DomainError, match="All 3 rounds"):
            rounds.next_round(ev, later(4), "o")


def test_a_round_needs_a_plan(app, make_event):
    other = make_event()
    with app.app_context():
        with pytest.raises(DomainError, match="Plan the conversations"):
            rounds.start_round(_event(other), later(0), "o")


def test_absent_partners_are_re_paired_with_the_plans_rules(app, event, evening):
    ana, ben, cleo, dev, eli, fay = evening
    plan(app, event, rounds=1)  # no later round where the guests left alone are planned to meet
    with app.app_context():
        planned = {frozenset(c.member_ids) for c in conversations(1, event.id)}
        assert planned >= {frozenset((ana.id, ben.id)), frozenset((cleo.id, dev.id))}
    absent = {ben.id, dev.id}
    present = [g for g in evening if g.id not in absent]
    check_in(app, *present)
    with app.app_context():
        rounds.start_round(_event(event), later(0), "o")
        now_pairs = {frozenset(c.member_ids) for c in conversations(1, event.id)}
        seated = {m for p in now_pairs for m in p}
        assert not seated & absent
        assert seated == {g.id for g in present}  # four arrived: all paired
        every = [c for c in db.session.scalars(select(Conversation).where(Conversation.event_id == event.id))
                 if c.status != "skipped"]
        pairs = [frozenset(c.member_ids) for c in every]
        assert len(pairs) == len(set(pairs)), "no pair twice in the plan"
        changes = db.session.scalars(select(LiveChange).where(LiveChange.event_id == event.id)).all()
        assert changes and all(ch.replaced_ids for ch in changes if set(ch.member_ids) & {ana.id, cleo.id})
        assert frozenset((ana.id, cleo.id)) in now_pairs


def test_never_pair_is_respected_when_re_pairing(app, event, evening):
    """The same evening as above (where Ana and Cleo are re-paired together), with a never-pair rule."""
    ana, ben, cleo, dev, eli, fay = evening
    plan(app, event, rounds=1)
    with app.app_context():
        assert {frozenset(c.member_ids) for c in conversations(1, event.id)} >= {
            frozenset((ana.id, ben.id)), frozenset((cleo.id, dev.id))}
        db.session.add(PairConstraint(event_id=event.id, low_id=min(ana.id, cleo.id), high_id=max(ana.id, cleo.id),
                                      kind=ConstraintKind.NEVER))
        db.session.commit()
    check_in(app, ana, cleo, eli, fay)
    with app.app_context():
        ev = db.session.get(Event, event.id)
        s = rounds.start_round(ev, later(0), "o")
        assert {frozenset(c.member_ids) for c in conversations(1, event.id)} == {frozenset((eli.id, fay.id))}
        assert {g.id for g, _why in organiser_board(ev, s, later(1)).unpaired} == {ana.id, cleo.id}


def test_odd_number_leaves_one_unpaired_and_says_why(app, event, evening):
    ana = evening[0]
    with app.app_context():
        partner = partner_in(1, event.id, ana.id)[0]
    check_in(app, *[g for g in evening if g.id != partner])
    with app.app_context():
        ev = _event(event)
        s = rounds.start_round(ev, later(0), "o")
        seated = {m for c in conversations(1, event.id) for m in c.member_ids}
        assert ana.id not in seated  # the other four still have their planned partners
        unpaired = organiser_board(ev, s, later(1)).unpaired
        assert [(g.id, why) for g, why in unpaired] == [(ana.id, "partner absent, nobody free to pair with")]


def test_walk_ins_join_from_the_next_round(app, event, evening, make_attendee):
    check_in(app, *evening)
    walk_in = make_attendee(event, name="Walk In")
    with app.app_context():
        ev = _event(event)
        rounds.start_round(ev, later(0), "o")
        db.session.commit()
    check_in(app, walk_in, at=later(2))
    with app.app_context():
        ev = _event(event)
        unpaired = dict((g.id, why) for g, why in organiser_board(ev, rounds.get_state(event.id), later(3)).unpaired)
        assert unpaired == {walk_in.id: "walk-in: joins from the next round"}
        # round 2: someone's partner is absent -> the walk-in is paired with them
        rounds.end_round(ev, later(10), "o")
        db.session.commit()
    with app.app_context():
        gone = conversations(2, event.id)[0].member_ids[0]
        db.session.execute(update(Attendee).where(Attendee.id == gone).values(checked_in_at=None))
        db.session.commit()
        s = rounds.start_round(_event(event), later(11), "o")
        assert s.round_no == 2
        assert partner_in(2, event.id, walk_in.id) is not None


def test_undo_brings_the_planned_conversation_back(app, event, evening):
    ana = evening[0]
    plan(app, event, rounds=1)
    with app.app_context():
        partner = partner_in(1, event.id, ana.id)[0]
        before = {frozenset(c.member_ids) for c in conversations(1, event.id)}
        other_pair = next(c.member_ids for c in conversations(1, event.id) if ana.id not in c.member_ids)
    gone = {partner, other_pair[0]}
    check_in(app, *[g for g in evening if g.id not in gone])
    with app.app_context():
        ev = _event(event)
        rounds.start_round(ev, later(0), "o")
        change = db.session.scalars(select(LiveChange).where(LiveChange.event_id == event.id)).one()
        assert set(change.member_ids) == {ana.id, other_pair[1]}
        s = rounds.state_for_update(ev)
        version = s.version
        repair.undo_change(ev, s, change.id, later(1), "o")
        assert s.version > version and change.undone_at is not None
        assert {frozenset(c.member_ids) for c in conversations(1, event.id)} == before
        with pytest.raises(DomainError, match="already undone"):
            repair.undo_change(ev, s, change.id, later(2), "o")


def test_not_here_offers_a_free_partner(app, event, evening, make_attendee):
    ana = evening[0]
    check_in(app, *evening)
    with app.app_context():
        ev = _event(event)
        s = rounds.start_round(ev, later(0), "o")
        mine = next(c for c in conversations(1, event.id) if ana.id in c.member_ids)
        plan_row = db.session.scalars(select(Plan).where(Plan.event_id == event.id)).one()
        attendee = db.session.get(type(mine.a), ana.id)
        assert repair.not_here(ev, plan_row, s, attendee, mine.id, later(1)) is None  # nobody free
        db.session.commit()
    walk_in = make_attendee(event, name="Gus Free")
    check_in(app, walk_in, at=later(2))
    with app.app_context():
        ev = _event(event)
        s = rounds.state_for_update(ev)
        # a second guest of another table says their partner isn't here -> gets the walk-in
        other = next(c for c in conversations(1, event.id))
        guest = db.session.get(type(other.a), other.a_id)
        plan_row = db.session.scalars(select(Plan).where(Plan.event_id == event.id)).one()
        new = repair.not_here(ev, plan_row, s, guest, other.id, later(3))
        assert new is not None and set(new.member_ids) in ({guest.id, walk_in.id}, {guest.id, ana.id})


def test_repair_of_ten_no_shows_among_eighty_is_fast_and_optimal():
    """The engine's sub-problem for ten no-shows' partners: exact, well under 50 ms."""
    rng = np.random.default_rng(7)
    tags = ["Fundraising", "Hiring", "Rust", "Design", "Policy", "GTM"]
    guests = [Guest(i, f"G{i}", i, field=f"f{i % 5}", organisation=f"o{i}",
                    offers=[Intent(tags[int(rng.integers(6))], "help")], seeks=[Intent(tags[int(rng.integers(6))], "ask")])
              for i in range(1, 81)]
    pool = guests[:10]
    times = []
    for _ in range(3):  # the best of three: the machine is shared, the first run warms caches up
        started = time.perf_counter()
        planner = engine.Planner(pool, engine.Settings(rounds=2, cap=4, odd="rest", first_round=2))
        groups = planner.plan_round(2)
        times.append(time.perf_counter() - started)
    assert min(times) < 0.05
    assert len(groups) == 5
    w = engine.Planner(pool, engine.Settings(rounds=2, cap=4, odd="rest", first_round=2)).weights(np.arange(10))
    exact = sum(w[a, b] for a, b in engine.exact_matching(w))
    index = {g.id: i for i, g in enumerate(pool)}
    got = sum(w[index[g.members[0]], index[g.members[1]]] for g in groups)
    assert got >= 0.99 * exact
