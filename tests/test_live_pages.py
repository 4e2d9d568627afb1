"""The live pages: organiser board and controls, the screen link (scope, revocation), the guest's now page,
its taps over HTTP, and the polled endpoints (ETag/304, SQL statements per poll)."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from eventkit.db import db
from eventkit.live import outcomes
from eventkit.live.models import ScreenLink
from eventkit.matching.models import Conversation
from tests.live_helpers import check_in, conversations, plan, six_at_two_rounds


@pytest.fixture
def evening(app, event, make_attendee, make_intent):
    return six_at_two_rounds(app, event, make_attendee, make_intent)


def _selects(counter) -> int:
    """Statements sent, without SQLite's BEGIN."""
    return len([s for s in counter.statements if not s.startswith("BEGIN")])


def _screen_url(client, event) -> str:
    response = client.post(f"/events/{event.id}/live/screens", data={"label": "Projector"})
    assert response.status_code == 302
    page = client.get(f"/events/{event.id}/live").get_data(as_text=True)
    return re.search(r"http://eventkit\.test(/screen/[A-Za-z0-9_-]+)", page).group(1)


def test_organiser_runs_the_rounds(client, login, organiser, event, evening):
    login(organiser)
    page = client.get(f"/events/{event.id}/live")
    assert page.status_code == 200 and "Start round 1" in page.get_data(as_text=True)
    assert client.post(f"/events/{event.id}/live/start").status_code == 302
    page = client.get(f"/events/{event.id}/live").get_data(as_text=True)
    assert "Round 1 of 2" in page and "Pause" in page and "Next round" in page
    assert client.post(f"/events/{event.id}/live/pause").status_code == 302
    assert "(paused)" in client.get(f"/events/{event.id}/live").get_data(as_text=True)
    response = client.post(f"/events/{event.id}/live/pause", follow_redirects=True)
    assert "Only a running round can be paused." in response.get_data(as_text=True)
    assert client.post(f"/events/{event.id}/live/next").status_code == 302
    assert "Round 2 of 2" in client.get(f"/events/{event.id}/live").get_data(as_text=True)


def test_other_organisers_get_404(client, login, make_organiser, event, evening):
    login(make_organiser(email="someone@example.org"))
    assert client.get(f"/events/{event.id}/live").status_code == 404
    assert client.post(f"/events/{event.id}/live/start").status_code == 404


def test_screen_link_shows_short_names_and_is_revocable(app, client, login, organiser, event, evening, make_event):
    login(organiser)
    url = _screen_url(client, event)
    anonymous = app.test_client()
    page = anonymous.get(url)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "same-origin"
    assert "Next: round 1 of 2" in html and "Eli S." in html and "Eli Stone" not in html
    state = anonymous.get(url + "/state.json")
    assert state.status_code == 200 and state.json["tables"]
    # the screen's link opens nothing else: not the organiser pages, not another gathering
    assert anonymous.get(f"/events/{event.id}/live").status_code in (302, 401)
    other = make_event()
    assert client.get(f"/events/{other.id}/live").status_code == 200  # the organiser's own other event
    with app.app_context():
        link = db.session.scalars(select(ScreenLink)).one()
        assert link.event_id == event.id
    assert client.post(f"/events/{event.id}/live/screens/{link.id}/revoke").status_code == 302
    assert anonymous.get(url).status_code == 410
    assert anonymous.get(url + "/state.json").status_code == 410
    assert anonymous.get("/screen/not-a-secret").status_code == 404
    assert client.post(f"/events/{other.id}/live/screens/{link.id}/revoke").status_code == 404


def test_screen_poll_answers_304_from_one_query(app, client, login, organiser, event, evening, count_queries):
    login(organiser)
    url = _screen_url(client, event) + "/state.json"
    screen = app.test_client()
    first = screen.get(url)
    etag = first.headers["ETag"]
    with count_queries() as counter:
        again = screen.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and _selects(counter) == 1, counter.statements
    client.post(f"/events/{event.id}/live/start")
    changed = screen.get(url, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json["round"] == 1 and changed.json["running"]
    with count_queries() as counter:
        screen.get(url, headers={"If-None-Match": "x"})
    assert _selects(counter) <= 6


def test_guest_now_page_in_the_second_person(app, client, guest_login, login, organiser, event, evening):
    ana = evening[0]
    plan(app, event, rounds=1)  # round 1 pairs Ana with Ben (see test_live_rounds)
    guest_login(ana)
    page = client.get(f"/e/{event.slug}/now").get_data(as_text=True)
    assert "The conversations have not started yet" in page and "Next, round 1: table" in page
    assert "check-in QR" in page
    staff = app.test_client()
    login(organiser, on=staff)
    staff.post(f"/events/{event.id}/live/start")
    page = client.get(f"/e/{event.slug}/now").get_data(as_text=True)
    with app.app_context():
        mine = next(c for c in conversations(1, event.id) if ana.id in c.member_ids)
        partner = next(m.name for m in mine.members if m.id != ana.id)
    assert partner == "Ben"
    assert f"Now, table {mine.table_no}, with Ben" in page
    assert "You can give Ben seed-stage fundraising intros; Ben can give you Rust code review." in page
    assert "minutes left." in page
    assert "They are not here" in page


def test_guest_does_not_see_an_unlocked_plan_before_the_rounds(app, client, guest_login, event, evening):
    plan(app, event, rounds=2, lock=False)
    guest_login(evening[0])
    assert "Next, round 1" not in client.get(f"/e/{event.slug}/now").get_data(as_text=True)


def test_guest_poll_etag_and_query_count(app, client, guest_login, login, organiser, event, evening, count_queries):
    ana = evening[0]
    guest_login(ana)
    first = client.get(f"/e/{event.slug}/now.json")
    assert first.status_code == 200 and first.json["round"] == 0
    etag = first.headers["ETag"]
    with count_queries() as counter:
        again = client.get(f"/e/{event.slug}/now.json", headers={"If-None-Match": etag})
    assert again.status_code == 304 and _selects(counter) == 1, counter.statements
    staff = app.test_client()
    login(organiser, on=staff)
    staff.post(f"/events/{event.id}/live/start")
    with count_queries() as counter:
        changed = client.get(f"/e/{event.slug}/now.json", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.json["headline"].startswith("Now, table")
    assert _selects(counter) <= 12, counter.statements
    # another browser without a guest session gets nothing
    assert app.test_client().get(f"/e/{event.slug}/now.json").status_code == 403


def test_taps_over_http_once_per_side(app, client, guest_login, login, organiser, event, evening):
    ana = evening[0]
    staff = app.test_client()
    login(organiser, on=staff)
    staff.post(f"/events/{event.id}/live/start")
    guest_login(ana)
    with app.app_context():
        mine = next(c for c in conversations(1, event.id) if ana.id in c.member_ids)
    url = f"/e/{event.slug}/now/conversations/{mine.id}/tap"
    early = client.post(url, data={"outcome": "met", "worth": "yes"}, follow_redirects=True)
    assert "once the round is over" in early.get_data(as_text=True)
    staff.post(f"/events/{event.id}/live/end")
    page = client.get(f"/e/{event.slug}/now").get_data(as_text=True)
    assert "Did it happen?" in page
    done = client.post(url, data={"outcome": "met", "worth": "yes", "follow_up": "yes"}, follow_redirects=True)
    assert "Thanks, noted." in done.get_data(as_text=True)
    again = client.post(url, data={"outcome": "not_there"}, follow_redirects=True)
    assert "You already answered" in again.get_data(as_text=True)
    assert "Did it happen?" not in client.get(f"/e/{event.slug}/now").get_data(as_text=True)
    bad = client.post(url, data={"outcome": "met", "worth": "maybe"}, follow_redirects=True)
    assert bad.status_code == 200


def test_not_here_over_http(app, client, guest_login, login, organiser, event, evening):
    ana = evening[0]
    staff = app.test_client()
    login(organiser, on=staff)
    staff.post(f"/events/{event.id}/live/start")
    guest_login(ana)
    with app.app_context():
        mine = next(c for c in conversations(1, event.id) if ana.id in c.member_ids)
    response = client.post(f"/e/{event.slug}/now/conversations/{mine.id}/not-here", follow_redirects=True)
    assert "Nobody is free right now" in response.get_data(as_text=True)
    board = staff.get(f"/events/{event.id}/live").get_data(as_text=True)
    assert "partner absent, nobody free to pair with" in board
    with app.app_context():
        assert db.session.get(Conversation, mine.id).status == "skipped"


def test_panels_and_outcomes_show(app, client, login, organiser, event, evening, guest_login):
    login(organiser)
    assert "The evening, live" in client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "What happened on the day" in client.get(f"/events/{event.id}/live").get_data(as_text=True)
    guest = app.test_client()
    guest_login(evening[0], on=guest)
    assert "Now and next" in guest.get(f"/e/{event.slug}/me").get_data(as_text=True)


def test_outcomes_on_the_follow_up_dashboard_and_suggestion_on_the_plan_page(
        client, login, organiser, event, evening):
    """The plan page suggests lowering a weight only from earlier gatherings' answers, never changes it."""
    login(organiser)
    dashboard = client.get(f"/events/{event.id}/followup")
    assert "What happened on the day" in dashboard.get_data(as_text=True)
    page = client.get(f"/events/{event.id}/plan")
    assert page.status_code == 200
    assert "Suggestion from your earlier gatherings" not in page.get_data(as_text=True)


def test_plan_page_shows_the_suggestion_from_an_earlier_gathering(app, client, login, organiser, event, evening,
                                                                  make_event, monkeypatch):
    later_event = make_event(starts_at=event.starts_at.replace(year=event.starts_at.year + 1))
    fake = outcomes.Outcomes()
    for _ in range(4):
        fake.by["across"].add(True, ["no"])
        fake.by["within"].add(True, ["yes"])
    seen = []

    def compute(event_ids):
        seen.append(event_ids)
        return fake

    monkeypatch.setattr(outcomes, "compute", compute)
    login(organiser)
    page = client.get(f"/events/{later_event.id}/plan").get_data(as_text=True)
    assert "Consider lowering <code>FIELD_BONUS</code> from 1.0 to 0.5" in page
    assert seen == [[event.id]]  # only this organiser's earlier gatherings


def test_not_here_without_a_plan_is_a_clear_refusal(app, client, guest_login, make_event, make_attendee):
    other = make_event()
    guest = make_attendee(other, name="Lone Guest")
    guest_login(guest)
    response = client.post(f"/e/{other.slug}/now/conversations/1/not-here", follow_redirects=True)
    assert response.status_code == 200 and "have not started yet" in response.get_data(as_text=True)
    assert client.get(f"/e/{other.slug}/now").status_code == 200
    assert client.get(f"/e/{other.slug}/now.json").json["headline"] == "No conversations are planned yet"


def test_organiser_poll_is_small_and_conditional(app, client, login, organiser, event, evening, count_queries,
                                                 make_attendee):
    login(organiser)
    first = client.get(f"/events/{event.id}/live/state.json")
    assert first.status_code == 200 and first.json["arrived"] == 6
    with count_queries() as counter:
        again = client.get(f"/events/{event.id}/live/state.json", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and _selects(counter) <= 4, counter.statements
    walk_in = make_attendee(event, name="Late Arrival")
    check_in(app, walk_in)
    changed = client.get(f"/events/{event.id}/live/state.json", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and changed.json["arrived"] == 7
