"""Page speed (bench/pages.py): the plan page, the follow-up dashboards and the guest's page run a fixed number
of queries whatever the gathering's size, and the quicker guest pickers write the same HTML as wtforms."""
from __future__ import annotations

from datetime import timedelta

from test_followup_support import ENDS, finish, gathering
from wtforms import Form, SelectChoice, SelectField

from eventkit.db import db, utcnow
from eventkit.matching import services
from eventkit.matching.forms import GuestSelect
from eventkit.matching.models import Conversation, Plan
from tests.matching_helpers import four_guests, ready_guest

SETTINGS = {"settings-rounds": "2", "settings-round_minutes": "10", "settings-per_guest_cap": "2",
            "settings-odd_policy": "trio"}


class PlainPickers(Form):
    first = SelectField("Guest", coerce=int)


class QuickPickers(Form):
    first = SelectField("Guest", coerce=int, widget=GuestSelect())


def test_guest_pickers_write_the_same_html_as_wtforms():
    choices = [SelectChoice(1, "Ana <Admin> & \"Co\""), SelectChoice(2, "Ben (registered)"), SelectChoice(3, "Cleo")]
    for data in (None, 2):
        plain, quick = PlainPickers(data={"first": data}), QuickPickers(data={"first": data})
        plain.first.choices = quick.first.choices = choices
        assert str(quick.first()) == str(plain.first())
    assert "&lt;Admin&gt; &amp; &#34;Co&#34;" in str(quick.first()) and '<option selected value="2">' in str(quick.first())


def test_plan_page_runs_the_same_queries_for_4_or_12_guests(client, login, organiser, event, make_attendee,
                                                            make_intent, count_queries):
    four_guests(make_attendee, make_intent, event)
    login(organiser)
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    with count_queries() as small:
        page = client.get(f"/events/{event.id}/plan")
    assert page.status_code == 200 and page.get_data(as_text=True).count('<option value="') >= 4 * 4
    for i in range(8):
        ready_guest(make_attendee, make_intent, event, f"Extra {i}", ["Climate", "Design"][i % 2],
                    [("Hiring", "senior engineers")], [("Rust", "Rust help")])
    make_attendee(event, name="Not Ready Yet")  # no profile: listed in the pickers, not planned
    client.post(f"/events/{event.id}/plan", data=SETTINGS)
    with count_queries() as large:
        page = client.get(f"/events/{event.id}/plan")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Not Ready Yet" in html and "Extra 7" in html
    assert large.count == small.count <= 10


def test_a_guest_gets_only_their_conversations_in_round_order(app, make_event, make_attendee, count_queries):
    event, g = gathering(make_event, make_attendee, app, ["Ana", "Ben", "Cleo", "Dev", "Eve"],
                         [("Cleo", "Ana"), ("Ben", "Dev"), ("Eve", "Ben", "Ana"), ("Cleo", "Dev")])
    with app.app_context():
        plan = db.session.scalars(db.select(Plan).where(Plan.event_id == event.id)).one()
        assert services.conversations_of(event, g["Ana"]) == []  # not locked yet
        plan.locked_at = utcnow()
        db.session.add(Conversation(plan_id=plan.id, event_id=event.id, round=1, table_no=2, a_id=g["Eve"].id,
                                    b_id=g["Dev"].id))
        db.session.commit()
        with count_queries() as counter:
            mine = services.conversations_of(event, g["Ana"])
        assert [(c.round, sorted(c.member_ids)) for c in mine] == [
            (1, sorted([g["Cleo"].id, g["Ana"].id])), (3, sorted([g["Eve"].id, g["Ben"].id, g["Ana"].id]))]
        assert [c.round for c in services.conversations_of(event, g["Dev"])] == [1, 2, 4]
        assert [s.split()[0] for s in counter.statements if s.startswith("SELECT")] == ["SELECT"] * 2  # plan, own rows


def _finished(app, make_event, make_attendee, organiser_title, pairs):
    names = sorted({name for pair in pairs for name in pair})
    event, guests = gathering(make_event, make_attendee, app, names, pairs, title=organiser_title)
    finish(app, event.id, ENDS + timedelta(hours=1))
    return event, guests


def test_followup_pages_run_the_same_queries_for_2_or_12_connections(app, client, login, organiser, make_event,
                                                                    make_attendee, count_queries):
    small, _ = _finished(app, make_event, make_attendee, "Small dinner", [("Ana", "Ben"), ("Cleo", "Dev")])
    names = [f"Guest {n:02d}" for n in range(12)]
    large, _ = _finished(app, make_event, make_attendee, "Large dinner",
                         [(names[n], names[(n + k) % 12]) for k in (1, 5) for n in range(0, 12, 2)])
    login(organiser)
    counts = {}
    for event in (small, large):
        with count_queries() as counter:
            page = client.get(f"/events/{event.id}/followup")
        assert page.status_code == 200 and event.title in page.get_data(as_text=True)
        counts[event.id] = counter.count
    assert counts[small.id] == counts[large.id] <= 13
    with count_queries() as counter:
        overview = client.get("/followup").get_data(as_text=True)
    assert "Small dinner" in overview and "Large dinner" in overview
    assert counter.count <= 10
    with count_queries() as counter:
        assert client.get("/followup/losing-touch").status_code == 200
    assert counter.count <= 8
