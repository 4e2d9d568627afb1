"""Who may read and write every profiles route: the full access matrix, and private notes by guessed ids."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from eventkit.db import db, utcnow
from eventkit.events.models import EventOrganiser
from eventkit.profiles.models import Intent, ResearchNote

ROLES = ("anonymous", "guest", "other_guest", "foreign_guest", "organiser", "other_organiser")
GUEST_NOTE = "GUEST-SECRET: asked about her seed round"
ORGANISER_NOTE = "ORGANISER-SECRET: seat next to the host"


@pytest.fixture
def world(app, make_event, make_organiser, make_attendee, make_intent, organiser):
    """Gathering A (organiser) with two listed guests and private notes; gathering B elsewhere."""
    event = make_event()
    other_organiser = make_organiser(email="otto@example.org", name="Otto Other")
    other_event = make_event(owner=other_organiser)
    guest = make_attendee(event, name="Grace Guest", directory_consent=True, bio="GRACE-BIO", role="Founder")
    other = make_attendee(event, name="Henry Host", directory_consent=True, bio="HENRY-BIO")
    foreign = make_attendee(other_event, name="Xena Elsewhere", directory_consent=True)
    intent = make_intent(guest, "offer", "Fundraising", "GRACE-OFFER")
    make_intent(other, "offer", "Hiring", "HENRY-OFFER")
    foreign_intent = make_intent(foreign, "offer", "Rust", "XENA-OFFER")
    with app.app_context():
        db.session.add_all([
            ResearchNote(event_id=event.id, subject_id=other.id, author_attendee_id=guest.id, body=GUEST_NOTE),
            ResearchNote(event_id=event.id, subject_id=other.id, author_organiser_id=organiser.id,
                         body=ORGANISER_NOTE),
        ])
        db.session.commit()
    return SimpleNamespace(event=event, other_event=other_event, organiser=organiser,
                           other_organiser=other_organiser, guest=guest, other=other, foreign=foreign,
                           intent=intent, foreign_intent=foreign_intent)


@pytest.fixture
def as_role(app, world, login, guest_login):
    """A fresh client signed in as one of the six roles."""

    def make(role: str):
        client = app.test_client()
        if role in ("guest", "other_guest", "foreign_guest"):
            guest_login({"guest": world.guest, "other_guest": world.other, "foreign_guest": world.foreign}[role],
                        on=client)
        elif role in ("organiser", "other_organiser"):
            login(world.organiser if role == "organiser" else world.other_organiser, on=client)
        return client

    return make


def fill(path: str, w) -> str:
    return path.format(slug=w.event.slug, eid=w.event.id, guest=w.guest.id, other=w.other.id,
                       intent=w.intent.id, foreign=w.foreign.id, other_slug=w.other_event.slug)


# Guest routes of gathering A. "self" = 200/302 for the guest; other guests of A reach only their own data.
# expected per role: (anonymous, guest, other_guest, foreign_guest, organiser, other_organiser)
GUEST_ROUTES = [
    ("GET", "/e/{slug}/profile", (403, 200, 200, 403, 403, 403)),
    ("POST", "/e/{slug}/profile", (403, 302, 302, 403, 403, 403)),
    ("GET", "/e/{slug}/intents", (403, 200, 200, 403, 403, 403)),
    ("POST", "/e/{slug}/intents", (403, 302, 302, 403, 403, 403)),
    ("GET", "/e/{slug}/intents/{intent}/edit", (403, 200, 404, 403, 403, 403)),
    ("POST", "/e/{slug}/intents/{intent}/edit", (403, 302, 404, 403, 403, 403)),
    ("POST", "/e/{slug}/intents/{intent}/delete", (403, 302, 404, 403, 403, 403)),
    ("GET", "/e/{slug}/directory", (403, 200, 200, 403, 403, 403)),
    ("GET", "/e/{slug}/directory/{other}", (403, 200, 404, 403, 403, 403)),
    ("GET", "/e/{slug}/directory/{guest}", (403, 404, 200, 403, 403, 403)),
    ("GET", "/e/{slug}/notes/{other}", (403, 200, 404, 403, 403, 403)),
    ("POST", "/e/{slug}/notes/{other}", (403, 302, 404, 403, 403, 403)),
    ("POST", "/e/{slug}/notes/{other}/delete", (403, 302, 404, 403, 403, 403)),
    ("GET", "/e/{slug}/research", (403, 200, 200, 403, 403, 403)),
    ("GET", "/e/{slug}/my-data.json", (403, 200, 200, 403, 403, 403)),
    ("GET", "/e/{slug}/profile/delete", (403, 200, 200, 403, 403, 403)),
    ("POST", "/e/{slug}/profile/delete", (403, 302, 302, 403, 403, 403)),
]
# Organiser routes of gathering A: guests are not organisers (sent to sign in), other organisers get 404.
ORGANISER_ROUTES = [
    ("GET", "/events/{eid}/notes", (302, 302, 302, 302, 200, 404)),
    ("GET", "/events/{eid}/notes/{other}", (302, 302, 302, 302, 200, 404)),
    ("POST", "/events/{eid}/notes/{other}", (302, 302, 302, 302, 302, 404)),
    ("POST", "/events/{eid}/notes/{other}/delete", (302, 302, 302, 302, 302, 404)),
    ("POST", "/events/{eid}/profiles/remind", (302, 302, 302, 302, 302, 404)),
]
FORM_DATA = {
    "/e/{slug}/profile": {"name": "New Name", "field_choice": "", "links": ""},
    "/e/{slug}/intents": {"kind": "seek", "tag_id": None, "text": "a new seek"},
    "/e/{slug}/intents/{intent}/edit": {"tag_id": None, "text": "edited"},
    "/e/{slug}/notes/{other}": {"body": "a new note", "starters": ""},
    "/events/{eid}/notes/{other}": {"body": "a new note", "starters": ""},
    "/e/{slug}/profile/delete": {"confirm": "y"},
}


def _data(app, w, path):
    data = dict(FORM_DATA.get(path, {}))
    if "tag_id" in data:
        data["tag_id"] = str(_tag_id(app, w.event.id, "Fundraising"))
    return data


def _tag_id(app, event_id, name):
    from eventkit.events.models import Tag

    with app.app_context():
        return db.session.scalars(select(Tag.id).where(Tag.event_id == event_id, Tag.name == name)).one()


MATRIX = [
    pytest.param(method, path, role, statuses[i], id=f"{method} {path} as {role}")
    for method, path, statuses in GUEST_ROUTES + ORGANISER_ROUTES
    for i, role in enumerate(ROLES)
]


@pytest.mark.parametrize(("method", "path", "role", "expected"), MATRIX)
def test_access_matrix(app, world, as_role, method, path, role, expected):
    client = as_role(role)
    url = fill(path, world)
    if method == "GET":
        response = client.get(url)
    else:
        response = client.post(url, data=_data(app, world, path))
    assert response.status_code == expected, response.get_data(as_text=True)[:500]
    if expected == 302 and path.startswith("/events/") and role not in ("organiser", "other_organiser"):
        assert "/auth/login" in response.headers["Location"]
    body = response.get_data(as_text=True)
    if role != "organiser":
        assert ORGANISER_NOTE not in body
    if role != "guest":
        assert GUEST_NOTE not in body
        assert "GRACE-OFFER" not in body or (role == "other_guest" and "directory" in path)


@pytest.mark.parametrize("role", ["guest", "other_guest"])
def test_writes_by_others_change_nothing(app, world, as_role, role):
    """Only the guest themself (not another guest, not X, not organisers) can change their intents."""
    for other_role in ROLES:
        if other_role == "guest":
            continue
        client = as_role(other_role)
        client.post(fill("/e/{slug}/intents/{intent}/delete", world))
        client.post(fill("/e/{slug}/intents/{intent}/edit", world), data=_data(app, world, "/e/{slug}/intents/{intent}/edit"))
    with app.app_context():
        intent = db.session.get(Intent, world.intent.id)
        assert intent is not None and intent.text == "GRACE-OFFER"


def test_foreign_guest_cannot_reach_gathering_a_through_their_own_slug(world, as_role):
    client = as_role("foreign_guest")
    w = world
    for url in (f"/e/{w.other_event.slug}/directory/{w.guest.id}", f"/e/{w.other_event.slug}/notes/{w.other.id}",
                f"/e/{w.other_event.slug}/intents/{w.intent.id}/edit"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/e/{w.other_event.slug}/notes/{w.other.id}", data={"body": "x"}).status_code == 404
    assert client.post(f"/e/{w.other_event.slug}/intents/{w.intent.id}/delete").status_code == 404
    directory = client.get(f"/e/{w.other_event.slug}/directory").get_data(as_text=True)
    assert "Grace Guest" not in directory and "Henry Host" not in directory


def test_other_organiser_cannot_reach_guests_by_id_through_their_own_event(app, world, as_role):
    client = as_role("other_organiser")
    assert client.get(f"/events/{world.other_event.id}/notes/{world.other.id}").status_code == 404
    assert client.post(f"/events/{world.other_event.id}/notes/{world.other.id}", data={"body": "x"}).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count(ResearchNote.id))) == 2


def test_guessing_ids_never_reveals_a_note(app, world, as_role):
    """Every id, on every note route, for every role but the author: the secret never shows."""
    with app.app_context():
        top = db.session.scalar(select(func.max(ResearchNote.id))) + 3
    for role in ROLES:
        client = as_role(role)
        for any_id in range(1, top + 4):
            for url in (f"/e/{world.event.slug}/notes/{any_id}", f"/e/{world.event.slug}/directory/{any_id}",
                        f"/events/{world.event.id}/notes/{any_id}", f"/e/{world.other_event.slug}/notes/{any_id}",
                        f"/events/{world.other_event.id}/notes/{any_id}"):
                body = client.get(url).get_data(as_text=True)
                if role != "guest":
                    assert GUEST_NOTE not in body, (role, url)
                if role != "organiser":
                    assert ORGANISER_NOTE not in body, (role, url)


def test_co_organiser_does_not_see_the_owners_notes(app, world, make_organiser, login):
    co = make_organiser(email="cora@example.org", name="Cora Co")
    with app.app_context():
        db.session.add(EventOrganiser(event_id=world.event.id, organiser_id=co.id, added_at=utcnow()))
        db.session.commit()
    client = app.test_client()
    login(co, on=client)
    for url in (f"/events/{world.event.id}/notes", f"/events/{world.event.id}/notes/{world.other.id}"):
        response = client.get(url)
        assert response.status_code == 200
        assert ORGANISER_NOTE not in response.get_data(as_text=True)
        assert GUEST_NOTE not in response.get_data(as_text=True)
    client.post(f"/events/{world.event.id}/notes/{world.other.id}/delete")
    with app.app_context():
        assert db.session.scalar(select(func.count(ResearchNote.id)).where(
            ResearchNote.author_organiser_id == world.organiser.id)) == 1


def test_unlisted_guests_cannot_be_noted_or_viewed(app, world, as_role, make_attendee):
    hidden = make_attendee(world.event, name="Ivy Invisible", bio="IVY-BIO")
    client = as_role("guest")
    assert client.get(f"/e/{world.event.slug}/directory/{hidden.id}").status_code == 404
    assert client.get(f"/e/{world.event.slug}/notes/{hidden.id}").status_code == 404
    assert client.post(f"/e/{world.event.slug}/notes/{hidden.id}", data={"body": "x"}).status_code == 404
    for url in ("directory", "research"):
        body = client.get(f"/e/{world.event.slug}/{url}").get_data(as_text=True)
        assert "Ivy Invisible" not in body and "IVY-BIO" not in body


@pytest.mark.parametrize("status", ["cancelled", "declined"])
def test_guests_no_longer_coming_are_not_listed_and_cannot_browse(app, world, as_role, make_attendee, guest_login,
                                                                   status):
    gone = make_attendee(world.event, name="Gone Gordon", status=status, directory_consent=True)
    client = as_role("guest")
    assert "Gone Gordon" not in client.get(f"/e/{world.event.slug}/directory").get_data(as_text=True)
    assert client.get(f"/e/{world.event.slug}/directory/{gone.id}").status_code == 404
    theirs = app.test_client()
    guest_login(gone, on=theirs)
    assert theirs.get(f"/e/{world.event.slug}/directory").status_code == 403
    assert theirs.get(f"/e/{world.event.slug}/my-data.json").status_code == 200
