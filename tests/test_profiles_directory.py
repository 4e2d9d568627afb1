"""The opt-in directory, its filters and markers, research notes and "my research"; no N+1 queries."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from eventkit.attendees.models import Attendee
from eventkit.db import db
from eventkit.events.models import Tag
from eventkit.profiles.models import ResearchNote


@pytest.fixture
def me(event, make_attendee, make_intent):
    guest = make_attendee(event, name="Mia Me", directory_consent=True)
    make_intent(guest, "seek", "Fundraising", "intros to climate VCs")
    make_intent(guest, "offer", "Rust", "code review")
    return guest


@pytest.fixture
def signed_in(client, me, guest_login):
    guest_login(me)
    return client


def _tag(app, event, name):
    with app.app_context():
        return db.session.scalars(select(Tag.id).where(Tag.event_id == event.id, Tag.name == name)).one()


def test_directory_lists_only_consenting_guests_still_coming(signed_in, event, make_attendee, make_event):
    make_attendee(event, name="Listed Lena", directory_consent=True, field="Finance")
    make_attendee(event, name="Private Pia", directory_consent=False)
    make_attendee(event, name="Waitlisted Walt", directory_consent=True, status="waitlisted")
    make_attendee(event, name="Cancelled Carl", directory_consent=True, status="cancelled")
    make_attendee(event, name="Declined Dora", directory_consent=True, status="declined")
    make_attendee(make_event(), name="Elsewhere Eve", directory_consent=True)
    body = signed_in.get(f"/e/{event.slug}/directory").get_data(as_text=True)
    assert "Listed Lena" in body and "Waitlisted Walt" in body
    for hidden in ("Private Pia", "Cancelled Carl", "Declined Dora", "Elsewhere Eve", "Mia Me</a>"):
        assert hidden not in body


def test_markers_in_both_directions(signed_in, event, make_attendee, make_intent):
    investor = make_attendee(event, name="Ivan Investor", directory_consent=True)
    make_intent(investor, "offer", "Fundraising", "a read on your round")
    learner = make_attendee(event, name="Lou Learner", directory_consent=True)
    make_intent(learner, "seek", "Rust", "a Rust mentor")
    neither = make_attendee(event, name="Ned Neither", directory_consent=True)
    make_intent(neither, "offer", "Hiring", "hiring loops")
    body = signed_in.get(f"/e/{event.slug}/directory").get_data(as_text=True)
    cards = {name: body[body.index(name):][:1500] for name in ("Ivan Investor", "Lou Learner", "Ned Neither")}
    assert "They offer what you seek: Fundraising" in cards["Ivan Investor"]
    assert "You offer what they seek" not in cards["Ivan Investor"].split("</article>")[0]
    assert "You offer what they seek: Rust" in cards["Lou Learner"].split("</article>")[0]
    assert "offer what" not in cards["Ned Neither"].split("</article>")[0]


def test_filter_by_field_and_tag(app, signed_in, event, make_attendee, make_intent):
    fin = make_attendee(event, name="Fiona Finance", directory_consent=True, field="Finance")
    make_intent(fin, "offer", "Fundraising", "money")
    des = make_attendee(event, name="Dan Design", directory_consent=True, field="Design")
    make_intent(des, "seek", "Design feedback", "critique")
    by_field = signed_in.get(f"/e/{event.slug}/directory?field=Finance").get_data(as_text=True)
    assert "Fiona Finance" in by_field and "Dan Design" not in by_field
    by_tag = signed_in.get(f"/e/{event.slug}/directory?tag={_tag(app, event, 'Design feedback')}").get_data(as_text=True)
    assert "Dan Design" in by_tag and "Fiona Finance" not in by_tag
    none = signed_in.get(f"/e/{event.slug}/directory?field=Design&tag={_tag(app, event, 'Fundraising')}")
    assert none.status_code == 200 and "Nobody listed matches" in none.get_data(as_text=True)
    assert signed_in.get(f"/e/{event.slug}/directory?tag=abc").status_code == 200


def _add_listed(event, make_attendee, make_intent, count, start=0):
    for n in range(start, start + count):
        guest = make_attendee(event, name=f"Listed {n}", directory_consent=True, field="Finance")
        make_intent(guest, "offer", "Fundraising", f"offer {n}")
        make_intent(guest, "seek", "Rust", f"seek {n}")


@pytest.mark.parametrize("page", ["directory", "research"])
def test_directory_and_research_pages_do_not_grow_queries_with_guests(signed_in, event, make_attendee, make_intent,
                                                                     count_queries, page):
    _add_listed(event, make_attendee, make_intent, 3)
    with count_queries() as small:
        assert signed_in.get(f"/e/{event.slug}/{page}").status_code == 200
    _add_listed(event, make_attendee, make_intent, 15, start=3)
    with count_queries() as large:
        body = signed_in.get(f"/e/{event.slug}/{page}").get_data(as_text=True)
    assert "Listed 17" in body
    assert large.count == small.count
    assert large.count <= 10


def test_guest_writes_edits_and_deletes_a_private_note(app, signed_in, event, make_attendee):
    other = make_attendee(event, name="Henry", directory_consent=True)
    page = signed_in.get(f"/e/{event.slug}/notes/{other.id}")
    assert page.status_code == 200
    response = signed_in.post(f"/e/{event.slug}/notes/{other.id}",
                              data={"body": "Met at PyCon.\nAsk about grids.", "starters": "Why grids?\n\n How?"})
    assert response.status_code == 302
    profile = signed_in.get(f"/e/{event.slug}/directory/{other.id}").get_data(as_text=True)
    assert "Met at PyCon.<br>\nAsk about grids." in profile and "<li>How?</li>" in profile
    signed_in.post(f"/e/{event.slug}/notes/{other.id}", data={"body": "Changed.", "starters": ""})
    with app.app_context():
        notes = db.session.scalars(select(ResearchNote)).all()
        assert [(n.body, n.starters, n.author_attendee_id, n.event_id) for n in notes] == [
            ("Changed.", "", notes[0].author_attendee_id, event.id)]
    assert signed_in.post(f"/e/{event.slug}/notes/{other.id}/delete").status_code == 302
    assert signed_in.post(f"/e/{event.slug}/notes/{other.id}/delete").status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(ResearchNote.id))) == 0


@pytest.mark.parametrize(("data", "message"), [
    ({"body": "x" * 5001, "starters": ""}, "5000 characters"),
    ({"body": "", "starters": "\n".join(f"q{n}" for n in range(11))}, "At most 10 conversation starters"),
    ({"body": "", "starters": "x" * 2001}, "2000 characters"),
    ({"body": "  ", "starters": " "}, "Write a note or a conversation starter"),
])
def test_note_limits_give_clear_errors_and_write_nothing(app, signed_in, event, make_attendee, data, message):
    other = make_attendee(event, name="Henry", directory_consent=True)
    response = signed_in.post(f"/e/{event.slug}/notes/{other.id}", data=data)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count(ResearchNote.id))) == 0


def test_my_research_shows_noted_and_suggests_unresearched_matches(signed_in, event, make_attendee, make_intent):
    noted = make_attendee(event, name="Nora Noted", directory_consent=True)
    match = make_attendee(event, name="Max Match", directory_consent=True)
    make_intent(match, "offer", "Fundraising", "VC intros")
    other = make_attendee(event, name="Otto Nomatch", directory_consent=True)
    make_intent(other, "offer", "Hiring", "recruiting")
    hidden = make_attendee(event, name="Hal Hidden", directory_consent=False)
    make_intent(hidden, "offer", "Fundraising", "VC intros")
    signed_in.post(f"/e/{event.slug}/notes/{noted.id}", data={"body": "NORA-NOTE"})
    body = signed_in.get(f"/e/{event.slug}/research").get_data(as_text=True)
    noted_part, suggested_part = body.split("Worth a look")
    assert "Nora Noted" in noted_part and "NORA-NOTE" in noted_part
    assert "Max Match" in suggested_part and "They offer what you seek: Fundraising" in suggested_part
    assert "Otto Nomatch" not in body and "Hal Hidden" not in body
    signed_in.post(f"/e/{event.slug}/notes/{match.id}", data={"body": "now researched"})
    noted_part, suggested_part = signed_in.get(f"/e/{event.slug}/research").get_data(as_text=True).split("Worth a look")
    assert "Max Match" in noted_part and "Max Match" not in suggested_part


def test_withdrawn_consent_hides_the_guest_and_notes_about_them(app, signed_in, event, make_attendee):
    other = make_attendee(event, name="Wendy Withdraws", directory_consent=True)
    signed_in.post(f"/e/{event.slug}/notes/{other.id}", data={"body": "WENDY-NOTE"})
    with app.app_context():
        db.session.get(Attendee, other.id).directory_consent = False
        db.session.commit()
    assert signed_in.get(f"/e/{event.slug}/directory/{other.id}").status_code == 404
    assert signed_in.get(f"/e/{event.slug}/notes/{other.id}").status_code == 404
    research = signed_in.get(f"/e/{event.slug}/research").get_data(as_text=True)
    assert "Wendy" not in research and "WENDY-NOTE" not in research
    export = signed_in.get(f"/e/{event.slug}/my-data.json").get_data(as_text=True)
    assert "Wendy" not in export and "WENDY-NOTE" in export


def test_a_guest_cannot_note_themself(signed_in, event, me):
    assert signed_in.get(f"/e/{event.slug}/notes/{me.id}").status_code == 404
