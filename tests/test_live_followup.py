"""The day's answers order the follow-up: a guest's connections page puts first those THEY said were worth it /
to follow up (never reading the other side's answer), the organiser's dashboard orders by both sides; and the
room's screen behind the organiser's login (/events/<id>/screen)."""
from __future__ import annotations

import re

import pytest

from eventkit.attendees.models import Attendee
from eventkit.db import db, utcnow
from eventkit.events.models import Event
from eventkit.followup import guest, stats
from eventkit.live import rounds, taps
from tests.live_helpers import conversations, later, six_at_two_rounds


@pytest.fixture
def planned(app, event, make_attendee, make_intent):
    return six_at_two_rounds(app, event, make_attendee, make_intent)


@pytest.fixture
def evening(app, event, planned):
    """Both rounds run and ended."""
    with app.app_context():
        ev = db.session.get(Event, event.id)
        rounds.start_round(ev, later(0), "o")
        rounds.end_round(ev, later(9), "o")
        rounds.next_round(ev, later(10), "o")
        rounds.end_round(ev, later(19), "o")
        db.session.commit()
    return planned


def _tap(app, event, guest_id, conversation_id, worth, follow_up):
    with app.app_context():
        attendee = db.session.get(Attendee, guest_id)
        _tap_row, recorded = taps.record_tap(attendee, rounds.get_state(event.id), conversation_id, True, worth,
                                             follow_up, later(30))
        db.session.commit()
        assert recorded


def _guest_with_two_partners(app, event):
    """A guest with one partner in round 1 and another in round 2: (guest, [(conversation id, partner id)] * 2)."""
    with app.app_context():
        for first in conversations(1, event.id):
            for me in first.member_ids:
                second = next((c for c in conversations(2, event.id) if me in c.member_ids), None)
                if second is None:
                    continue
                p1 = [m for m in first.member_ids if m != me]
                p2 = [m for m in second.member_ids if m != me]
                if len(p1) == len(p2) == 1 and p1 != p2:
                    return me, [(first.id, p1[0]), (second.id, p2[0])]
    raise AssertionError("the plan has no guest with two different partners")


def _names(app, *ids):
    with app.app_context():
        return [db.session.get(Attendee, i).name for i in ids]


@pytest.mark.parametrize("favoured", [0, 1])
def test_guest_page_puts_first_whom_they_marked_never_the_other_sides_answer(
        app, client, guest_login, event, evening, favoured):
    me, partners = _guest_with_two_partners(app, event)
    (keen_cid, keen), (cool_cid, cool) = partners[favoured], partners[1 - favoured]
    # my answers: worth it and follow up for `keen`, not worth it for `cool`; theirs are the other way round.
    # `cool`'s connection is made first, so without the ordering it would be listed first.
    _tap(app, event, me, cool_cid, "no", False)
    _tap(app, event, cool, cool_cid, "yes", True)
    _tap(app, event, me, keen_cid, "yes", True)
    _tap(app, event, keen, keen_cid, "no", False)
    keen_name, cool_name = _names(app, keen, cool)
    my_name = _names(app, me)[0]

    with app.app_context():
        mine = guest.overview(db.session.get(Attendee, me), utcnow())
        assert [(e.other.name, e.priority) for e in mine.here] == [(keen_name, 3), (cool_name, 0)]
        # each partner's page reads only their own answer about me
        assert [(e.other.name, e.priority) for e in guest.overview(db.session.get(Attendee, keen), utcnow()).here
                if e.other.name == my_name] == [(my_name, 0)]
        assert [(e.other.name, e.priority) for e in guest.overview(db.session.get(Attendee, cool), utcnow()).here
                if e.other.name == my_name] == [(my_name, 3)]

    with app.app_context():
        me_row, keen_row = db.session.get(Attendee, me), db.session.get(Attendee, keen)
    guest_login(me_row)
    html = client.get(f"/e/{event.slug}/connections").get_data(as_text=True)
    assert html.index(f"<strong>{keen_name}</strong>") < html.index(f"<strong>{cool_name}</strong>")
    assert html.count("You marked: worth it, follow up") == 1

    other = app.test_client()
    guest_login(keen_row, on=other)
    html = other.get(f"/e/{event.slug}/connections").get_data(as_text=True)
    assert f"<strong>{my_name}</strong>" in html and "You marked" not in html  # I marked them; they did not


def test_guest_page_query_count_does_not_grow_with_answers(app, client, guest_login, event, evening, count_queries):
    me, partners = _guest_with_two_partners(app, event)
    with app.app_context():
        me_row = db.session.get(Attendee, me)
    guest_login(me_row)
    (c1, p1), (c2, p2) = partners
    _tap(app, event, me, c1, "yes", True)
    _tap(app, event, p1, c1, "yes", True)
    client.get(f"/e/{event.slug}/connections")
    with count_queries() as one:
        client.get(f"/e/{event.slug}/connections")
    _tap(app, event, me, c2, "somewhat", False)
    _tap(app, event, p2, c2, "yes", False)
    with count_queries() as two:
        page = client.get(f"/e/{event.slug}/connections")
    assert page.status_code == 200 and two.count <= one.count, two.statements


def test_dashboard_lists_connections_by_both_sides_priority(app, client, login, organiser, event, evening):
    with app.app_context():
        tables = [(c.id, c.a_id, c.b_id) for c in conversations(1, event.id) if c.c_id is None]
    assert len(tables) >= 2
    names = {}
    for cid, a, b in tables:
        names[cid] = _names(app, a, b)
    # the table whose names come last in the default order (by name) is the one both sides wanted
    ordered = sorted(tables, key=lambda t: min(names[t[0]]))
    keen, cool = ordered[-1], ordered[0]
    _tap(app, event, keen[1], keen[0], "yes", True)
    _tap(app, event, keen[2], keen[0], "somewhat", True)
    _tap(app, event, cool[1], cool[0], "no", False)
    _tap(app, event, cool[2], cool[0], "no", False)
    login(organiser)
    html = client.get(f"/events/{event.id}/followup").get_data(as_text=True)
    table = html[html.index("All connections ("):]
    assert "priority 5" in table and table.count("priority ") == 1
    row_of = {cid: min(table.index(name) for name in names[cid]) for cid, *_ in (keen, cool)}
    assert row_of[keen[0]] < table.index("priority 5") < row_of[cool[0]]  # only two rows: one per tapped table
    with app.app_context():  # the rows keep their order by names (deepened list, exports); only by_priority moves
        numbers = stats.compute(stats.load_rows([event.id], live_priorities=True))
        assert [row.priority for row in numbers.rows] == [0, 5]
        assert numbers.by_priority == [numbers.rows[1], numbers.rows[0]]
        assert [row.priority for row in stats.load_rows([event.id])] == [0, 0]  # not read unless asked for


def _tables(html: str) -> str:
    return html[html.index('<ol id="screen-tables"'):html.index("</ol>")]


def test_screen_behind_the_organisers_login(app, client, login, organiser, make_organiser, event, planned):
    login(organiser)
    board = client.get(f"/events/{event.id}/live").get_data(as_text=True)
    assert f'href="/events/{event.id}/screen"' in board
    page = client.get(f"/events/{event.id}/screen")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-mode="screen"' in html
    assert f'data-poll="/events/{event.id}/screen/state.json"' in html
    with app.app_context():
        first = db.session.get(Attendee, conversations(1, event.id)[0].a_id).name.split()[0]
    assert "Next: round 1 of 2" in html and first in _tables(html)
    # the same content as the secret screen link
    assert client.post(f"/events/{event.id}/live/screens", data={"label": "Projector"}).status_code == 302
    secret_url = re.search(r"http://eventkit\.test(/screen/[A-Za-z0-9_-]+)",
                           client.get(f"/events/{event.id}/live").get_data(as_text=True)).group(1)
    assert _tables(app.test_client().get(secret_url).get_data(as_text=True)) == _tables(html)
    state = client.get(f"/events/{event.id}/screen/state.json")
    assert state.status_code == 200 and state.json["tables"] and state.json["title"] == event.title

    other = app.test_client()
    login(make_organiser(email="someone@example.org"), on=other)
    assert other.get(f"/events/{event.id}/screen").status_code == 404
    assert other.get(f"/events/{event.id}/screen/state.json").status_code == 404
    anonymous = app.test_client()
    for path in (f"/events/{event.id}/screen", f"/events/{event.id}/screen/state.json"):
        response = anonymous.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_organiser_screen_poll_is_conditional(app, client, login, organiser, event, planned, count_queries):
    login(organiser)
    url = f"/events/{event.id}/screen/state.json"
    etag = client.get(url).headers["ETag"].strip('"')
    with count_queries() as counter:
        again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert len([s for s in counter.statements if not s.startswith("BEGIN")]) <= 3, counter.statements
    assert client.post(f"/events/{event.id}/live/start").status_code == 302
    changed = client.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"].strip('"') != etag
