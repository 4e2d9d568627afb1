"""Behind a TLS-terminating proxy: ProxyFix trusts EVENTKIT_TRUSTED_PROXIES hops, and then guests'
and organisers' forms pass Flask-WTF's HTTPS checks (same-origin Referer) with Secure cookies."""
from __future__ import annotations

import re

import pytest
from flask import request

from eventkit import create_app
from eventkit.attendees.models import Attendee, AttendeeStatus
from eventkit.db import db
from tests.conftest import PASSWORD, build_config

PUBLIC = "https://gather.example.org"
PROXY = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "gather.example.org", "X-Forwarded-For": "203.0.113.7"}


@pytest.fixture
def app_config(request) -> dict:
    return {"WTF_CSRF_ENABLED": True, "BASE_URL": PUBLIC, "TRUSTED_PROXIES": 1, **getattr(request, "param", {})}


def csrf_token(response) -> str:
    return re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', response.get_data(as_text=True)).group(1)


def test_a_guest_accepts_through_the_proxy(app, client, event, make_attendee):
    guest = make_attendee(event, status=AttendeeStatus.INVITED)
    opened = client.get(f"/g/{guest.token}", headers=PROXY)
    assert opened.status_code == 302 and opened.headers["Location"] == f"/e/{event.slug}/me"
    assert "; Secure" in opened.headers["Set-Cookie"]
    assert "Strict-Transport-Security" in opened.headers
    page = client.get(f"/e/{event.slug}/me", headers=PROXY)
    assert page.status_code == 200
    token = csrf_token(page)
    without_referer = client.post(f"/e/{event.slug}/accept", data={"csrf_token": token}, headers=PROXY)
    assert without_referer.status_code == 400 and b"Form expired" in without_referer.data
    accepted = client.post(f"/e/{event.slug}/accept", data={"csrf_token": token},
                           headers={**PROXY, "Referer": f"{PUBLIC}/e/{event.slug}/me"})
    assert accepted.status_code == 302
    with app.app_context():
        assert db.session.get(Attendee, guest.id).status == AttendeeStatus.REGISTERED


def test_an_organiser_signs_in_through_the_proxy(client, organiser):
    token = csrf_token(client.get("/auth/login", headers=PROXY))
    response = client.post("/auth/login", data={"csrf_token": token, "email": organiser.email, "password": PASSWORD},
                           headers={**PROXY, "Referer": f"{PUBLIC}/auth/login"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/events")


def test_hsts_is_sent_when_the_trusted_proxy_says_https(client):
    assert client.get("/healthz", headers=PROXY).headers.get("Strict-Transport-Security")
    assert client.get("/healthz", headers={"X-Forwarded-Proto": "http"}).headers.get("Strict-Transport-Security") is None


@pytest.mark.parametrize("app_config", [{"TRUSTED_PROXIES": 0}], indirect=True)
def test_without_trusted_proxies_forwarded_headers_are_ignored(app, client):
    seen = {}

    @app.get("/_whoami")
    def whoami():
        seen.update(addr=request.remote_addr, secure=request.is_secure, host=request.host)
        return "ok"

    client.get("/_whoami", headers=PROXY)
    assert seen == {"addr": "127.0.0.1", "secure": False, "host": "localhost"}


def test_outside_tests_plain_http_is_redirected_to_https_except_the_health_check(migrated_database, tmp_path):
    app = create_app(build_config(migrated_database, tmp_path, TESTING=False, BASE_URL=PUBLIC, TRUSTED_PROXIES=1))
    client = app.test_client()
    redirected = client.get("/auth/login", headers={"X-Forwarded-Proto": "http", "X-Forwarded-Host": "gather.example.org"})
    assert redirected.status_code == 302 and redirected.headers["Location"] == f"{PUBLIC}/auth/login"
    assert client.get("/auth/login", headers=PROXY).status_code == 200
    assert client.get("/healthz").status_code == 200
    with app.app_context():
        db.engine.dispose()
