"""With CSRF protection on (as in production), a POST without a token is refused and changes nothing."""
import re

import pytest
from sqlalchemy import func, select

from eventkit.auth.models import Organiser
from eventkit.db import db
from eventkit.events.models import Event, EventStatus


@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def token_from(response) -> str:
    return re.search(rb'name="csrf_token" type="hidden" value="([^"]+)"', response.data).group(1).decode()


def test_signup_without_token_is_refused(app, client):
    response = client.post("/auth/signup", data={"name": "A", "email": "a@example.org",
                                                 "password": "a long passphrase", "confirm": "a long passphrase"})
    assert response.status_code == 400
    assert b"Form expired" in response.data
    assert count(app, Organiser) == 0


def test_signup_with_token_works(app, client):
    token = token_from(client.get("/auth/signup"))
    response = client.post("/auth/signup", data={"name": "A", "email": "a@example.org", "csrf_token": token,
                                                 "password": "a long passphrase", "confirm": "a long passphrase"})
    assert response.status_code == 302
    assert count(app, Organiser) == 1


def test_login_without_token_is_refused(client, organiser):
    response = client.post("/auth/login", data={"email": organiser.email, "password": "correct horse battery staple"})
    assert response.status_code == 400
    assert client.get("/events/").status_code == 302


def test_event_writes_without_token_are_refused(app, client, organiser, login, event):
    login(organiser)
    assert client.post("/events/new", data={"title": "Sneaky"}).status_code == 400
    response = client.post(f"/events/{event.id}/status", data={"status": "closed"})
    assert response.status_code == 400
    assert client.post(f"/events/{event.id}/tags", data={"names": "Injected"}).status_code == 400
    with app.app_context():
        stored = db.session.get(Event, event.id)
        assert stored.status == EventStatus.OPEN
        assert "Injected" not in [tag.name for tag in stored.tags]
    assert count(app, Event) == 1


def test_logout_without_token_keeps_the_session(client, organiser, login):
    login(organiser)
    assert client.post("/auth/logout").status_code == 400
    assert client.get("/events/").status_code == 200
