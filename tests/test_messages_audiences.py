"""Each audience's exact recipients before, during and after the gathering; preview counts; opt-outs."""
from __future__ import annotations

import pytest
from messages_support import AFTER, BEFORE, DURING, draft, event_row, gathering, names

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.messages import audiences, services

EXPECTED = {
    # audience: (before, during, after)
    "place": ({"Ines Invited", "Rita Registered", "Anna Approved", "Carl Came"},) * 3,
    "checked_in": ({"Carl Came"},) * 3,
    "no_show": (set(), {"Rita Registered", "Anna Approved"}, {"Rita Registered", "Anna Approved"}),
    "unready": ({"Ines Invited", "Rita Registered", "Anna Approved", "Walt Waiting"},) * 3,
    "waitlist": ({"Walt Waiting"},) * 3,
    "gone": ({"Dora Declined", "Cees Cancelled"},) * 3,
    "applied": ({"Pia Applied"},) * 3,
}


@pytest.mark.parametrize("audience", sorted(EXPECTED))
def test_each_audience_holds_exactly_its_guests_at_each_phase(app, make_event, make_attendee, make_intent, audience):
    g = gathering(app, make_event, make_attendee, make_intent)
    with app.app_context():
        event = event_row(g.event)
        for phase, at, expected in zip(("before", "during", "after"), (BEFORE, DURING, AFTER), EXPECTED[audience]):
            assert names(audiences.recipients(event, audience, [], at)) == expected, (audience, phase)


def test_a_hand_picked_audience_is_exactly_the_guests_picked(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    with app.app_context():
        event = event_row(g.event)
        picked = audiences.recipients(event, "picked", [g.waiting.id, g.declined.id], BEFORE)
        assert names(picked) == {"Walt Waiting", "Dora Declined"}


def test_a_guest_of_another_gathering_cannot_be_picked(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    other = make_attendee(make_event(), "Olaf Other")
    with app.app_context():
        with pytest.raises(DomainError, match="not on this guest list"):
            services.preview(event_row(g.event), draft(audience="picked", picked_ids=[g.invited.id, other.id]), BEFORE)
        with pytest.raises(DomainError, match="Pick at least one"):
            services.preview(event_row(g.event), draft(audience="picked", picked_ids=[]), BEFORE)


def test_no_shows_are_offered_only_once_the_gathering_has_started(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    with app.app_context():
        event = event_row(g.event)
        assert "no_show" not in audiences.offered(event, BEFORE)
        assert "no_show" in audiences.offered(event, DURING)
        with pytest.raises(DomainError, match="only once the gathering has started"):
            services.preview(event, draft(audience="no_show"), BEFORE)
        # scheduled for after the end, it may be written before the start
        seen = services.preview(event, draft(audience="no_show", schedule="after_end", hours=2), BEFORE)
        assert seen.count == 2 and names(seen.first) == {"Rita Registered", "Anna Approved"}


def test_the_preview_counts_exactly_who_gets_it_and_names_the_first(app, make_event, make_attendee):
    g = gathering(app, make_event, make_attendee)
    with app.app_context():
        event = event_row(g.event)
        db.session.get(Attendee, g.approved.id).announcements_opt_out = True
        db.session.flush()
        seen = services.preview(event, draft(audience="place"), BEFORE)
        assert (seen.total, seen.opted_out, seen.count) == (4, 1, 3)
        assert [guest.name for guest in seen.first] == ["Carl Came", "Ines Invited", "Rita Registered"]
