"""A guest's own profile, offers and seeks, data export and deletion; limits and hostile input."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from flask import render_template
from sqlalchemy import func, select

from eventkit.attendees.models import Attendee
from eventkit.db import db, utcnow
from eventkit.events.models import Tag
from eventkit.profiles.models import MAX_INTENTS_PER_KIND, Intent, ResearchNote

HOSTILE = '<script>alert("x")</script><img src=x onerror=alert(1)>'
PROFILE = {
    "name": "Grace Hopper", "role": "Founder", "organisation": "Kelp Carbon", "field_choice": "Climate",
    "field_other": "", "bio": "Ocean carbon removal.", "links": "https://kelp.example\nhttp://grace.example/about",
    "directory_consent": "y",
}


@pytest.fixture
def guest(event, make_attendee):
    return make_attendee(event, name="Grace")


@pytest.fixture
def signed_in(client, guest, guest_login):
    guest_login(guest)
    return client


def _row(app, guest):
    with app.app_context():
        row = db.session.get(Attendee, guest.id)
        db.session.expunge(row)
        return row


def _tag(app, event, name="Fundraising"):
    with app.app_context():
        return db.session.scalars(select(Tag.id).where(Tag.event_id == event.id, Tag.name == name)).one()


def _intent_count(app, guest, kind=None):
    with app.app_context():
        query = select(func.count(Intent.id)).where(Intent.attendee_id == guest.id)
        if kind:
            query = query.where(Intent.kind == kind)
        return db.session.scalar(query)


def test_profile_form_shows_and_saves_the_profile(app, signed_in, event, guest):
    page = signed_in.get(f"/e/{event.slug}/profile")
    assert page.status_code == 200
    assert "Climate" in page.get_data(as_text=True)  # field options from the event
    response = signed_in.post(f"/e/{event.slug}/profile", data=PROFILE)
    assert response.status_code == 302
    row = _row(app, guest)
    assert (row.name, row.role, row.organisation, row.field) == ("Grace Hopper", "Founder", "Kelp Carbon", "Climate")
    assert row.links == ["https://kelp.example", "http://grace.example/about"]
    assert row.directory_consent is True and row.profile_complete
    assert row.profile_updated_at is not None
    again = signed_in.get(f"/e/{event.slug}/profile").get_data(as_text=True)
    assert "https://kelp.example" in again and "Kelp Carbon" in again


def test_free_text_field_is_kept_and_shown_as_other(app, signed_in, event, guest):
    data = dict(PROFILE, field_choice="__other__", field_other="  Ocean   science ")
    assert signed_in.post(f"/e/{event.slug}/profile", data=data).status_code == 302
    assert _row(app, guest).field == "Ocean science"
    page = signed_in.get(f"/e/{event.slug}/profile").get_data(as_text=True)
    assert 'value="Ocean science"' in page


def test_consent_is_off_by_default_and_can_be_withdrawn(app, signed_in, event, guest):
    assert _row(app, guest).directory_consent is False
    signed_in.post(f"/e/{event.slug}/profile", data=PROFILE)
    data = {key: value for key, value in PROFILE.items() if key != "directory_consent"}
    signed_in.post(f"/e/{event.slug}/profile", data=data)
    assert _row(app, guest).directory_consent is False


@pytest.mark.parametrize(("change", "message"), [
    ({"links": "javascript:alert(1)"}, "http:// or https://"),
    ({"links": "ftp://files.example/x"}, "http:// or https://"),
    ({"links": "https://"}, "http:// or https://"),
    ({"links": "https://a.example\nhttps://b.example\nhttps://c.example\nhttps://d.example"}, "At most 3 links"),
    ({"links": "https://a.example/" + "x" * 300}, "at most 300 characters"),
    ({"links": "https://a.example/with space"}, "contains spaces"),
    ({"name": "x" * 121}, "120 characters"),
    ({"name": "   "}, "Please give your name."),
    ({"bio": "b" * 1001}, "1000 characters"),
    ({"role": "r" * 121}, "120 characters"),
    ({"field_choice": "__other__", "field_other": "f" * 81}, "80 characters"),
    ({"field_choice": "Not an option"}, "Choose a field from the list"),
])
def test_invalid_profile_gives_a_clear_error_and_writes_nothing(app, signed_in, event, guest, change, message):
    response = signed_in.post(f"/e/{event.slug}/profile", data=dict(PROFILE, **change))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    row = _row(app, guest)
    assert row.name == "Grace" and row.bio == "" and row.links == [] and row.directory_consent is False


def test_add_edit_and_delete_intents(app, signed_in, event, guest):
    tag = _tag(app, event)
    response = signed_in.post(f"/e/{event.slug}/intents", data={"kind": "offer", "tag_id": tag, "text": "intros to VCs"})
    assert response.status_code == 302
    signed_in.post(f"/e/{event.slug}/intents", data={"kind": "seek", "tag_id": tag, "text": "a co-founder"})
    page = signed_in.get(f"/e/{event.slug}/intents").get_data(as_text=True)
    assert "intros to VCs" in page and "a co-founder" in page
    with app.app_context():
        intent = db.session.scalars(select(Intent).where(Intent.attendee_id == guest.id, Intent.kind == "offer")).one()
        intent_id = intent.id
    other_tag = _tag(app, event, "Hiring")
    assert signed_in.get(f"/e/{event.slug}/intents/{intent_id}/edit").status_code == 200
    assert signed_in.post(f"/e/{event.slug}/intents/{intent_id}/edit",
                          data={"tag_id": other_tag, "text": "intros to climate VCs"}).status_code == 302
    with app.app_context():
        intent = db.session.get(Intent, intent_id)
        assert (intent.tag_id, intent.text, intent.kind) == (other_tag, "intros to climate VCs", "offer")
    assert signed_in.post(f"/e/{event.slug}/intents/{intent_id}/delete").status_code == 302
    assert _intent_count(app, guest) == 1


@pytest.mark.parametrize("kind", ["offer", "seek"])
def test_at_most_five_intents_of_each_kind(app, signed_in, event, guest, make_intent, kind):
    for n in range(MAX_INTENTS_PER_KIND):
        make_intent(guest, kind, "Rust", f"thing {n}")
    response = signed_in.post(f"/e/{event.slug}/intents", data={"kind": kind, "tag_id": _tag(app, event), "text": "one more"})
    assert response.status_code == 422
    assert f"You already have {MAX_INTENTS_PER_KIND}" in response.get_data(as_text=True)
    assert _intent_count(app, guest, kind) == MAX_INTENTS_PER_KIND
    other = "seek" if kind == "offer" else "offer"
    assert signed_in.post(f"/e/{event.slug}/intents",
                          data={"kind": other, "tag_id": _tag(app, event), "text": "fine"}).status_code == 302


@pytest.mark.parametrize(("data", "message"), [
    ({"kind": "offer", "text": "x" * 201}, "200 characters"),
    ({"kind": "offer", "text": "   "}, "Say in a few words"),
    ({"kind": "gift", "text": "ok"}, "Not a valid choice"),
])
def test_invalid_intents_are_refused_with_422(app, signed_in, event, guest, data, message):
    response = signed_in.post(f"/e/{event.slug}/intents", data=dict(data, tag_id=_tag(app, event)))
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert _intent_count(app, guest) == 0


def test_a_tag_of_another_gathering_is_refused(app, signed_in, event, guest, make_event):
    other_event = make_event()
    response = signed_in.post(f"/e/{event.slug}/intents",
                              data={"kind": "offer", "tag_id": _tag(app, other_event), "text": "ok"})
    assert response.status_code == 422
    assert _intent_count(app, guest) == 0


def test_hostile_html_is_shown_as_text_everywhere(app, event, make_attendee, make_intent, client, guest_login):
    author = make_attendee(event, name="Reader")
    evil = make_attendee(event, name=HOSTILE, role=HOSTILE, organisation=HOSTILE, field=HOSTILE, bio=HOSTILE,
                         directory_consent=True)
    make_intent(evil, "offer", "Rust", HOSTILE)
    guest_login(author)
    client.post(f"/e/{event.slug}/notes/{evil.id}", data={"body": HOSTILE + "\nsecond line", "starters": HOSTILE})
    for url in (f"/e/{event.slug}/directory", f"/e/{event.slug}/directory/{evil.id}", f"/e/{event.slug}/research",
                f"/e/{event.slug}/notes/{evil.id}"):
        body = client.get(url).get_data(as_text=True)
        assert "<script>alert" not in body and "<img src=x" not in body, url
        assert "&lt;script&gt;" in body, url
    profile = client.get(f"/e/{event.slug}/directory/{evil.id}").get_data(as_text=True)
    assert "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;<br>\nsecond line" in profile


def test_guest_panel_shows_readiness_and_links(app, event, make_attendee, make_intent):
    guest = make_attendee(event, role="Founder", organisation="Kelp", field="Climate", bio="Hi")
    with app.test_request_context():
        row = db.session.get(Attendee, guest.id)
        html = render_template("profiles/_guest_panel.html", event=row.event, attendee=row)
        assert "add at least one thing you can offer" in html
        assert f"/e/{event.slug}/profile" in html and f"/e/{event.slug}/my-data.json" in html
        assert f"/e/{event.slug}/directory" in html and f"/e/{event.slug}/research" in html
    make_intent(guest, "offer", "Rust", "code review")
    with app.test_request_context():
        row = db.session.get(Attendee, guest.id)
        html = render_template("profiles/_guest_panel.html", event=row.event, attendee=row)
        assert "You are ready to be matched" in html


def test_export_contains_everything_held_about_the_guest(app, signed_in, event, guest, make_attendee, make_intent,
                                                         organiser):
    signed_in.post(f"/e/{event.slug}/profile", data=PROFILE)
    make_intent(guest, "offer", "Rust", "code review")
    other = make_attendee(event, name="Henry", directory_consent=True)
    signed_in.post(f"/e/{event.slug}/notes/{other.id}", data={"body": "ask about grids", "starters": "Why grids?"})
    checked_in = utcnow().replace(microsecond=0) - timedelta(minutes=5)
    with app.app_context():
        db.session.get(Attendee, guest.id).checked_in_at = checked_in
        db.session.add(ResearchNote(event_id=event.id, subject_id=guest.id, author_organiser_id=organiser.id,
                                    body="ORGANISER-ONLY"))
        db.session.commit()
    response = signed_in.get(f"/e/{event.slug}/my-data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    data = json.loads(response.data)
    assert data["guest"]["email"] == guest.email and data["guest"]["status"] == "registered"
    assert data["guest"]["checked_in_at"] == checked_in.isoformat()
    assert data["profile"]["organisation"] == "Kelp Carbon" and data["profile"]["directory_consent"] is True
    assert data["profile"]["links"] == ["https://kelp.example", "http://grace.example/about"]
    assert data["intents"] == [{"kind": "offer", "tag": "Rust", "text": "code review",
                                "created_at": data["intents"][0]["created_at"]}]
    assert data["research_notes"][0]["about"] == "Henry"
    assert data["research_notes"][0]["note"] == "ask about grids"
    assert data["research_notes"][0]["conversation_starters"] == ["Why grids?"]
    assert "ORGANISER-ONLY" not in response.get_data(as_text=True)


def test_delete_profile_data_needs_confirmation(app, signed_in, event, guest):
    signed_in.post(f"/e/{event.slug}/profile", data=PROFILE)
    page = signed_in.get(f"/e/{event.slug}/profile/delete")
    assert page.status_code == 200 and "name and email" in page.get_data(as_text=True)
    response = signed_in.post(f"/e/{event.slug}/profile/delete", data={})
    assert response.status_code == 422
    assert "Tick the box to confirm." in response.get_data(as_text=True)
    assert _row(app, guest).bio == "Ocean carbon removal."


def test_delete_profile_data_erases_profile_intents_and_own_notes(app, signed_in, event, guest, make_attendee,
                                                                   make_intent, organiser, guest_login):
    signed_in.post(f"/e/{event.slug}/profile", data=PROFILE)
    make_intent(guest, "offer", "Rust", "code review")
    other = make_attendee(event, name="Henry", directory_consent=True)
    signed_in.post(f"/e/{event.slug}/notes/{other.id}", data={"body": "mine"})
    with app.app_context():
        db.session.add_all([
            ResearchNote(event_id=event.id, subject_id=guest.id, author_organiser_id=organiser.id, body="org"),
            ResearchNote(event_id=event.id, subject_id=guest.id, author_attendee_id=other.id, body="henry's"),
        ])
        db.session.commit()
    response = signed_in.post(f"/e/{event.slug}/profile/delete", data={"confirm": "y"})
    assert response.status_code == 302
    done = signed_in.get(response.headers["Location"]).get_data(as_text=True)
    assert "What stays: your name and email, your reply and your check-in time" in done
    assert signed_in.get(f"/e/{event.slug}/me").status_code == 403, "deleting signs the guest out"
    row = _row(app, guest)
    assert (row.name, row.email) == ("Grace Hopper", guest.email)
    assert (row.role, row.organisation, row.field, row.bio, row.links) == ("", "", "", "", [])
    assert row.directory_consent is False and row.status == "registered"
    assert _intent_count(app, guest) == 0
    with app.app_context():
        remaining = set(db.session.scalars(select(ResearchNote.body)))
    assert remaining == {"org", "henry's"}
    henry = app.test_client()
    guest_login(other, on=henry)
    assert "Grace" not in henry.get(f"/e/{event.slug}/directory").get_data(as_text=True)


def test_a_stored_non_web_link_is_never_rendered_as_a_link(app, event, make_attendee, client, guest_login):
    """Links set outside the form (e.g. an import) are still never clickable unless http(s)."""
    viewer = make_attendee(event, name="Viewer")
    listed = make_attendee(event, name="Listed", directory_consent=True,
                           links=["javascript:alert(1)", "https://ok.example"])
    guest_login(viewer)
    body = client.get(f"/e/{event.slug}/directory/{listed.id}").get_data(as_text=True)
    assert 'href="javascript' not in body and 'href="https://ok.example"' in body
