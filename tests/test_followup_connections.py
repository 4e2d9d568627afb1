"""Connections from a finished gathering, logged encounters, stage transitions and the gate."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from test_followup_support import ENDS, all_rows, attendee, finish, gathering, outbox

from eventkit.db import db
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event
from eventkit.followup import encounters, services
from eventkit.followup.models import Connection, ConnectionLink, Encounter, FollowUpTask, Stage
from eventkit.matching.models import Conversation
from eventkit.signals import accepting_invitation

NOW = ENDS + timedelta(hours=1)


def pairs_of(app):
    rows = all_rows(app, select(ConnectionLink.low_attendee_id, ConnectionLink.high_attendee_id, ConnectionLink.event_id))
    return {(low, high, event_id) for low, high, event_id in rows}


def ids(guests, *names):
    return tuple(sorted(guests[name].id for name in names))


def test_finish_makes_connections_from_conversations_between_checked_in_guests(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo", "Dev", "Eve", "Fay", "Gus"],
                         [("Ana", "Ben"), ("Cleo", "Dev", "Eve"), ("Ana", "Fay"), ("Ben", "Gus"), ("Dev", "Fay")],
                         checked_in={"Ana", "Ben", "Cleo", "Dev", "Eve", "Fay"})
    with app.app_context():
        db.session.get(Conversation, db.session.scalars(select(Conversation.id).where(
            Conversation.a_id == g["Dev"].id, Conversation.b_id == g["Fay"].id)).one()).not_held_by_id = g["Fay"].id
        db.session.commit()
    finish(app, event.id, NOW)
    found = {pair[:2] for pair in pairs_of(app)}
    # trio -> each pair; Gus never checked in; Dev/Fay said it didn't happen
    assert found == {ids(g, "Ana", "Ben"), ids(g, "Cleo", "Dev"), ids(g, "Cleo", "Eve"), ids(g, "Dev", "Eve"),
                     ids(g, "Ana", "Fay")}
    tasks = all_rows(app, select(FollowUpTask.owner_id, FollowUpTask.kind, FollowUpTask.due_at)
                     .where(FollowUpTask.counterpart_id == g["Ben"].id))
    assert sorted((kind, due) for _o, kind, due in tasks) == [
        ("checkin", ENDS + timedelta(days=7)), ("checkin", ENDS + timedelta(days=30)),
        ("checkin", ENDS + timedelta(days=90)), ("first", ENDS + timedelta(hours=48))]
    assert {owner for owner, _k, _d in tasks} == {g["Ana"].id}
    assert len(all_rows(app, select(FollowUpTask.id))) == 5 * 2 * 4


def test_finishing_twice_or_meeting_again_keeps_one_connection_per_pair(app, make_event, make_attendee):
    first, g1 = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    second, g2 = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ben", "Ana")],
                           starts_at=ENDS + timedelta(days=40), ends_at=ENDS + timedelta(days=40, hours=3))
    finish(app, first.id, NOW)
    with app.app_context():
        services.create_connections(db.session.get(Event, first.id), NOW)  # a second finish signal: no duplicates
        db.session.commit()
    finish(app, second.id, ENDS + timedelta(days=40, hours=4))
    assert len(all_rows(app, select(Connection.id))) == 1
    assert {event_id for _l, _h, event_id in pairs_of(app)} == {first.id, second.id}
    assert len(all_rows(app, select(FollowUpTask.id).where(FollowUpTask.event_id == first.id))) == 8


def test_logged_encounter_needs_the_other_sides_confirmation(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo"], [("Ana", "Ben")])
    finish(app, event.id, NOW)
    with app.app_context():
        encounter = encounters.log_encounter(attendee(app, g["Ana"].id), g["Cleo"].id, "coffee queue", NOW)
        db.session.commit()
        encounter_id = encounter.id
    assert ids(g, "Ana", "Cleo") not in {p[:2] for p in pairs_of(app)}
    mail = outbox(app)[-1]
    assert mail.to_email == "cleo@example.com" and "Ana says you met" in mail.subject
    assert "eventkit-link:followup-confirm." in mail.body_text and "/followup/go/" not in mail.body_text
    with app.app_context():
        with pytest.raises(NotFound):  # only Cleo can confirm
            encounters.confirm_encounter(attendee(app, g["Ben"].id), encounter_id, NOW)
        encounters.confirm_encounter(attendee(app, g["Cleo"].id), encounter_id, NOW)
        db.session.commit()
        with pytest.raises(DomainError):
            encounters.confirm_encounter(attendee(app, g["Cleo"].id), encounter_id, NOW)
    assert ids(g, "Ana", "Cleo") in {p[:2] for p in pairs_of(app)}


def test_encounter_rules(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo", "Dev"], [("Ana", "Ben")])
    stranger_event, s = gathering(make_event, make_attendee, app, ["Zed"], [])
    finish(app, event.id, NOW)
    with app.app_context():
        ana = attendee(app, g["Ana"].id)
        for other in (s["Zed"].id, ana.id, 999999):
            with pytest.raises(DomainError):
                encounters.log_encounter(ana, other, "", NOW)
        with pytest.raises(DomainError, match="already connected"):
            encounters.log_encounter(ana, g["Ben"].id, "", NOW)
        declined = encounters.log_encounter(ana, g["Dev"].id, "", NOW)
        encounters.decline_encounter(attendee(app, g["Dev"].id), declined.id, NOW)
        # both log each other: mutual, confirmed at once
        encounters.log_encounter(ana, g["Cleo"].id, "", NOW)
        mutual = encounters.log_encounter(attendee(app, g["Cleo"].id), ana.id, "", NOW)
        db.session.commit()
        assert mutual.confirmed_at == NOW
    found = {p[:2] for p in pairs_of(app)}
    assert ids(g, "Ana", "Cleo") in found and ids(g, "Ana", "Dev") not in found


def test_encounter_confirmed_before_finish_becomes_a_connection_on_finish(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [])
    with app.app_context():
        enc = encounters.log_encounter(attendee(app, g["Ana"].id), g["Ben"].id, "", ENDS)
        encounters.confirm_encounter(attendee(app, g["Ben"].id), enc.id, ENDS)
        db.session.commit()
    assert not pairs_of(app)
    finish(app, event.id, NOW)
    assert {p[:2] for p in pairs_of(app)} == {ids(g, "Ana", "Ben")}


def _connection(app, event_id):
    return all_rows(app, select(Connection.id).join(ConnectionLink).where(ConnectionLink.event_id == event_id))[0][0]


def _stage(app, connection_id):
    return all_rows(app, select(Connection.stage).where(Connection.id == connection_id))[0][0]


def test_stage_moves_only_by_recorded_actions(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    finish(app, event.id, NOW)
    cid = _connection(app, event.id)
    steps = [("Ana", "met_again", Stage.FOLLOWED_UP),  # deepening kinds do not skip reciprocity
             ("Ana", "thank_you", Stage.FOLLOWED_UP),
             ("Ben", "thank_you", Stage.DEEPENED),  # both acted, and a deepening action is on record
             ("Ben", "referral", Stage.DEEPENED)]
    for hours, (who, kind, expected) in enumerate(steps, start=2):
        with app.app_context():
            services.record_action(attendee(app, g[who].id), cid, kind, "note", NOW + timedelta(hours=hours))
            db.session.commit()
        assert _stage(app, cid) == expected


def test_reciprocated_then_deepened_then_faded(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    finish(app, event.id, NOW)
    cid = _connection(app, event.id)
    with app.app_context():
        ana, ben = attendee(app, g["Ana"].id), attendee(app, g["Ben"].id)
        services.record_action(ana, cid, "thank_you", "", NOW)
        assert db.session.get(Connection, cid).stage == Stage.FOLLOWED_UP
        services.record_action(ben, cid, "shared_resource", "the deck", NOW)
        assert db.session.get(Connection, cid).stage == Stage.RECIPROCATED
        services.record_action(ana, cid, "collaboration", "pilot", NOW)
        assert db.session.get(Connection, cid).stage == Stage.DEEPENED
        with pytest.raises(DomainError, match="reason"):
            services.close_as_faded(ben, cid, " ", NOW)
        services.close_as_faded(ben, cid, "moved abroad", NOW)
        db.session.commit()
        connection = db.session.get(Connection, cid)
        assert connection.stage == Stage.FADED and connection.deepened_at is not None
        assert not db.session.scalars(select(FollowUpTask).where(FollowUpTask.done_at.is_(None))).all()
        with pytest.raises(DomainError, match="closed as faded"):
            services.record_action(ana, cid, "thank_you", "", NOW)
        with pytest.raises(DomainError, match="already closed"):
            services.close_as_faded(ana, cid, "again", NOW)


def test_illegal_actions_are_refused_before_writing(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo"], [("Ana", "Ben")])
    finish(app, event.id, NOW)
    cid = _connection(app, event.id)
    with app.app_context():
        with pytest.raises(NotFound):
            services.record_action(attendee(app, g["Cleo"].id), cid, "thank_you", "", NOW)
        for kind in ("faded", "hugged", ""):
            with pytest.raises(DomainError):
                services.record_action(attendee(app, g["Ana"].id), cid, kind, "", NOW)
        with pytest.raises(DomainError):
            services.record_action(attendee(app, g["Ana"].id), cid, "thank_you", "x" * 1001, NOW)
        assert db.session.get(Connection, cid).stage == Stage.MET


def test_recording_completes_the_due_tasks_and_counts_the_next_check_in_from_the_action(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    finish(app, event.id, NOW)
    cid = _connection(app, event.id)
    acted = NOW + timedelta(days=8)
    with app.app_context():
        services.record_action(attendee(app, g["Ana"].id), cid, "thank_you", "", acted)
        db.session.commit()
    done = all_rows(app, select(FollowUpTask.kind, FollowUpTask.owner_id).where(FollowUpTask.outcome == "done"))
    assert sorted(done) == [("checkin", g["Ana"].id), ("first", g["Ana"].id)]
    # everything else that was open moved: both sides' one next check-in is 7 days after the action
    open_tasks = all_rows(app, select(FollowUpTask.kind, FollowUpTask.owner_id, FollowUpTask.due_at)
                          .where(FollowUpTask.done_at.is_(None)).order_by(FollowUpTask.owner_id))
    assert open_tasks == [("checkin", g["Ana"].id, acted + timedelta(days=7)),
                          ("checkin", g["Ben"].id, acted + timedelta(days=7))]
    assert len(all_rows(app, select(FollowUpTask.id).where(FollowUpTask.outcome == "moved"))) == 6  # Ana 30, 90; Ben all four


def test_no_action_by_either_side_after_the_final_deadline_fades(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo", "Dev"], [("Ana", "Ben"), ("Cleo", "Dev")])
    finish(app, event.id, NOW)
    with app.app_context():
        cid = db.session.scalars(select(ConnectionLink.connection_id).where(ConnectionLink.low_attendee_id.in_(
            [g["Ana"].id, g["Ben"].id]))).first()
        services.record_action(attendee(app, g["Ana"].id), cid, "thank_you", "", NOW)
        assert services.fade_stale(ENDS + timedelta(days=89)) == 0
        assert services.fade_stale(ENDS + timedelta(days=90, minutes=1)) == 1
        db.session.commit()
    stages = dict(all_rows(app, select(Connection.id, Connection.stage)))
    assert stages[cid] == Stage.FOLLOWED_UP and sorted(stages.values()) == ["faded", "followed_up"]


def test_gate_refuses_acceptance_listing_overdue_followups(app, make_event, make_attendee, organiser, make_organiser):
    past, g = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo"], [("Ana", "Ben"), ("Ana", "Cleo")])
    finish(app, past.id, NOW)
    later = ENDS + timedelta(days=3)
    nxt = make_event(followup_blocks_registration=True)
    lenient = make_event(followup_blocks_registration=False)
    elsewhere = make_event(owner=make_organiser(), followup_blocks_registration=True)
    invites = {e.id: make_attendee(e, name="Ana", email="ana@example.com") for e in (nxt, lenient, elsewhere)}
    with app.app_context():
        cid = db.session.scalars(select(ConnectionLink.connection_id).where(
            ConnectionLink.low_attendee_id.in_([g["Ben"].id]) | ConnectionLink.high_attendee_id.in_([g["Ben"].id]))).one()
        with pytest.raises(DomainError) as refused:
            accepting_invitation.send(attendee(app, invites[nxt.id].id), now=later)
        assert "Ben" in refused.value.message and "Cleo" in refused.value.message and refused.value.status == 409
        accepting_invitation.send(attendee(app, invites[lenient.id].id), now=later)  # policy off
        accepting_invitation.send(attendee(app, invites[elsewhere.id].id), now=later)  # another organiser
        accepting_invitation.send(attendee(app, invites[nxt.id].id), now=ENDS + timedelta(hours=47))  # not yet overdue
        services.record_action(attendee(app, g["Ana"].id), cid, "thank_you", "", later)
        with pytest.raises(DomainError) as still:
            accepting_invitation.send(attendee(app, invites[nxt.id].id), now=later)
        assert "Cleo" in still.value.message and "Ben" not in still.value.message


def test_didnt_happen_after_finish_removes_an_unacted_connection(app, make_event, make_attendee):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben"], [("Ana", "Ben")])
    finish(app, event.id, NOW)
    with app.app_context():
        conversation_id = db.session.scalars(select(Conversation.id)).one()
        with pytest.raises(NotFound):
            services.mark_not_held(attendee(app, g["Ana"].id), 424242, NOW)
        services.mark_not_held(attendee(app, g["Ben"].id), conversation_id, NOW)
        db.session.commit()
    assert not all_rows(app, select(Connection.id)) and not all_rows(app, select(FollowUpTask.id))
    assert all_rows(app, select(Encounter.id)) == []
