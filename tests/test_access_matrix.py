"""Every organiser route, walked from the app's URL map, refuses anonymous users and other organisers.

Generic on purpose: routes other features add under /events/<int:event_id>/... are covered as soon as
they are registered. Arguments other than event_id get a real id of a row of organiser A's event when
a table matches their name (tag_id -> tag, attendee_id -> attendee, ...), else 1; strings get "x".
"""
from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select
from werkzeug.routing import IntegerConverter, UUIDConverter

from eventkit.db import db

EVENT_PREFIX = "/events/<int:event_id>"
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def world(app, client, login, organiser, make_organiser, make_event, make_attendee, make_intent):
    """Organiser A's event with a guest, an intent and a co-organiser; B an unrelated organiser."""
    event = make_event()
    attendee = make_attendee(event)
    make_intent(attendee, "offer", "Rust", "code review")
    co = make_organiser(email="co@example.org")
    login(organiser)
    assert client.post(f"/events/{event.id}/organisers", data={"email": co.email}).status_code == 302
    stranger = make_organiser(email="stranger@example.org")
    make_event(owner=stranger)  # B has a gathering of their own
    return {"event": event, "a": organiser, "b": stranger, "co": co}


def organiser_rules(app, prefix=EVENT_PREFIX):
    return sorted((rule for rule in app.url_map.iter_rules() if rule.rule.startswith(prefix)),
                  key=lambda rule: rule.rule)


def existing_id(table_name: str, event_id: int, world) -> int:
    """An id of a row in `table_name` belonging to the event if that table exists, else 1."""
    if table_name == "organiser":
        return world["co"].id
    table = db.metadata.tables.get(table_name)
    if table is None or "id" not in table.c:
        return 1
    query = select(table.c.id).limit(1)
    if "event_id" in table.c:
        query = query.where(table.c.event_id == event_id)
    return db.session.scalar(query) or 1


def build_url(app, rule, world) -> str:
    event_id = world["event"].id
    values = {}
    with app.app_context():
        for name in rule.arguments:
            converter = rule._converters[name]
            if name == "event_id":
                values[name] = event_id
            elif isinstance(converter, IntegerConverter):
                values[name] = existing_id(name.removesuffix("_id"), event_id, world)
            elif isinstance(converter, UUIDConverter):
                values[name] = uuid.uuid4()
            else:
                values[name] = "x"
        with app.test_request_context():
            return rule.build(values, append_unknown=False)[1]


def methods(rule) -> list[str]:
    return sorted(rule.methods - SKIPPED_METHODS)


def send(client, method: str, url: str):
    return client.open(url, method=method, data={})


def is_login_redirect(response) -> bool:
    return response.status_code in (301, 302, 303, 307) and "/auth/login" in response.headers.get("Location", "")


def test_the_map_has_event_routes_to_check(app):
    paths = {rule.rule for rule in organiser_rules(app)}
    assert {"/events/<int:event_id>", "/events/<int:event_id>/edit", "/events/<int:event_id>/status"} <= paths


def test_anonymous_users_are_sent_to_sign_in_everywhere(app, world):
    anonymous = app.test_client()
    failures = []
    for rule in organiser_rules(app, prefix="/events"):
        url = build_url(app, rule, world)
        for method in methods(rule):
            response = send(anonymous, method, url)
            if not (is_login_redirect(response) or response.status_code in (401, 403)):
                failures.append(f"{method} {url} -> {response.status_code}")
    assert failures == []


def test_another_organiser_gets_404_on_every_event_route(app, login, world):
    other = app.test_client()
    login(world["b"], on=other)
    failures = []
    for rule in organiser_rules(app):
        url = build_url(app, rule, world)
        for method in methods(rule):
            response = send(other, method, url)
            if response.status_code not in (403, 404):
                failures.append(f"{method} {url} -> {response.status_code}")
    assert failures == []


def test_owner_and_co_organiser_get_no_server_error_on_any_page(app, login, world):
    failures = []
    for who in ("a", "co"):
        browser = app.test_client()
        login(world[who], on=browser)
        for rule in organiser_rules(app):
            if "GET" not in rule.methods:
                continue
            url = build_url(app, rule, world)
            response = browser.get(url)
            if response.status_code >= 500 or response.status_code in (401, 403):
                failures.append(f"{who}: GET {url} -> {response.status_code}")
    assert failures == []


def test_event_list_shows_only_own_and_co_organised(app, client, login, world):
    login(world["co"])
    page = client.get("/events/").data.decode()
    assert world["event"].title in page
    assert re.findall(r'href="/events/(\d+)"', page) == [str(world["event"].id)]
    login(world["b"])
    page = client.get("/events/").data.decode()
    assert world["event"].title not in page
    assert str(world["event"].id) not in re.findall(r'href="/events/(\d+)"', page)
