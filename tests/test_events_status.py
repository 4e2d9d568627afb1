"""Status transitions (draft → open → closed → finished) and co-organisers' rights."""
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from eventkit.audit import AuditEntry
from eventkit.auth.models import Organiser
from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.events import services
from eventkit.events.models import TRANSITIONS, Event, EventOrganiser, EventStatus
from eventkit.signals import event_status_changed

ALL_PAIRS = [(old, new) for old in EventStatus for new in EventStatus if old != new]
NOW = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)


def status_of(app, event_id) -> str:
    with app.app_context():
        return db.session.get(Event, event_id).status


@pytest.mark.parametrize("old, new", ALL_PAIRS)
def test_service_allows_exactly_the_listed_transitions(app, make_event, organiser, old, new):
    event = make_event(status=old)
    received = []

    def receiver(sender, **kwargs):
        received.append((sender.id, kwargs))

    with app.app_context(), event_status_changed.connected_to(receiver):
        stored = db.session.get(Event, event.id)
        actor = db.session.get(Organiser, organiser.id)
        if new in TRANSITIONS[old]:
            services.change_status(stored, new, actor, now=NOW)
            db.session.commit()
            assert received == [(event.id, {"old": str(old), "new": str(new), "now": NOW})]
            entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "event.status_changed")).one()
            assert (entry.action, entry.actor, entry.details) == (
                "event.status_changed", f"organiser:{organiser.id}", {"old": str(old), "new": str(new)})
        else:
            with pytest.raises(DomainError) as refused:
                services.change_status(stored, new, actor, now=NOW)
            assert refused.value.code == "bad_transition"
            assert received == []
            db.session.rollback()
    assert status_of(app, event.id) == (new if new in TRANSITIONS[old] else old)


def test_status_route_walks_the_whole_life_cycle(app, client, login, organiser, make_event):
    event = make_event(status=EventStatus.DRAFT, starts_at=datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1))
    login(organiser)
    for new in ("open", "closed", "finished"):
        response = client.post(f"/events/{event.id}/status", data={"status": new}, follow_redirects=True)
        assert f"The gathering is now {new}".encode() in response.data
        assert status_of(app, event.id) == new
    page = client.get(f"/events/{event.id}").data
    assert b"Reopen" not in page and b"Open registration" not in page  # finished is final


@pytest.mark.parametrize("old, new", [("draft", "finished"), ("draft", "closed"), ("finished", "open"),
                                      ("open", "bogus")])
def test_invalid_status_change_is_refused_with_a_message(app, client, login, organiser, make_event, old, new):
    event = make_event(status=old)
    login(organiser)
    response = client.post(f"/events/{event.id}/status", data={"status": new}, follow_redirects=True)
    assert response.status_code == 200
    assert b"cannot become" in response.data or b"is not a status" in response.data
    assert status_of(app, event.id) == old
    with app.app_context():
        assert db.session.scalars(select(AuditEntry)).all() == []


def test_a_receiver_refusing_undoes_the_change(app, client, login, organiser, make_event):
    event = make_event(status=EventStatus.CLOSED, starts_at=datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=1))
    login(organiser)

    def refuse(sender, **kwargs):
        raise DomainError("Briefings are still printing.")

    with event_status_changed.connected_to(refuse):
        response = client.post(f"/events/{event.id}/status", data={"status": "finished"}, follow_redirects=True)
    assert b"Briefings are still printing." in response.data
    assert status_of(app, event.id) == "closed"
    with app.app_context():
        assert db.session.scalars(select(AuditEntry)).all() == []


@pytest.fixture
def co_organiser(make_organiser):
    return make_organiser(email="cora@example.org", name="Cora Co")


def add_co(client, event, email):
    return client.post(f"/events/{event.id}/organisers", data={"email": email}, follow_redirects=True)


def test_co_organiser_gets_the_same_rights_on_that_event_only(app, client, login, organiser, co_organiser,
                                                               make_event):
    event, other = make_event(), make_event()
    login(organiser)
    assert b"Cora Co is now a co-organiser" in add_co(client, event, "CORA@example.org ").data
    login(co_organiser)
    assert client.get(f"/events/{event.id}").status_code == 200
    assert client.get(f"/events/{event.id}/edit").status_code == 200
    assert client.post(f"/events/{event.id}/status", data={"status": "closed"}).status_code == 302
    assert status_of(app, event.id) == "closed"
    assert client.get(f"/events/{other.id}").status_code == 404
    assert client.post(f"/events/{other.id}/status", data={"status": "closed"}).status_code == 404
    assert status_of(app, other.id) == "open"


@pytest.mark.parametrize("email, message", [
    ("nobody@example.org", "No organiser account uses nobody@example.org"),
    ("olivia@example.org", "owns this gathering already"),
    ("not an email", "not a valid email"),
    ("", "Type their email"),
])
def test_adding_co_organiser_refused_clearly(app, client, login, organiser, event, email, message):
    login(organiser)
    assert message in add_co(client, event, email).data.decode()
    with app.app_context():
        assert db.session.scalars(select(EventOrganiser)).all() == []


def test_adding_the_same_co_organiser_twice_is_refused(client, login, organiser, co_organiser, event):
    login(organiser)
    add_co(client, event, co_organiser.email)
    assert b"already a co-organiser" in add_co(client, event, co_organiser.email).data


def test_removing_a_co_organiser_revokes_access(app, client, login, organiser, co_organiser, event):
    login(organiser)
    add_co(client, event, co_organiser.email)
    response = client.post(f"/events/{event.id}/organisers/{co_organiser.id}/delete")
    assert response.status_code == 302
    login(co_organiser)
    assert client.get(f"/events/{event.id}").status_code == 404
    assert client.post(f"/events/{event.id}/organisers/{organiser.id}/delete").status_code == 404


def test_owner_cannot_be_removed(client, login, organiser, event):
    login(organiser)
    assert client.post(f"/events/{event.id}/organisers/{organiser.id}/delete").status_code == 404
    assert client.get(f"/events/{event.id}").status_code == 200


def test_co_organiser_can_leave(client, login, organiser, co_organiser, event):
    login(organiser)
    add_co(client, event, co_organiser.email)
    login(co_organiser)
    response = client.post(f"/events/{event.id}/organisers/{co_organiser.id}/delete")
    assert response.headers["Location"] == "/events/"
    assert client.get(f"/events/{event.id}").status_code == 404


def test_a_gathering_cannot_be_marked_finished_before_it_starts(app, client, login, organiser, make_event):
    event = make_event(status=EventStatus.CLOSED)  # starts in two weeks
    login(organiser)
    response = client.post(f"/events/{event.id}/status", data={"status": "finished"}, follow_redirects=True)
    assert b"can only be marked finished once it has started" in response.data
    assert status_of(app, event.id) == "closed"
    with app.app_context():
        stored = db.session.get(Event, event.id)
        with pytest.raises(DomainError) as refused:
            services.change_status(stored, "finished", db.session.get(Organiser, organiser.id),
                                   now=stored.starts_at - timedelta(seconds=1))
        assert refused.value.code == "not_started"
        services.change_status(stored, "finished", db.session.get(Organiser, organiser.id), now=stored.starts_at)
        db.session.commit()
    assert status_of(app, event.id) == "finished"
