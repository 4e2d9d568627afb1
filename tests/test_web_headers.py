"""Security headers on every response, Secure cookies behind https, and the production key rule."""
from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

import pytest

from eventkit import create_app
from eventkit.config import key_entropy_bits, key_weakness
from eventkit.db import db
from eventkit.mail.models import OutboundEmail
from tests.conftest import PASSWORD


@pytest.fixture
def app_config(request) -> dict:
    """Per-test config overrides through `indirect` parametrization."""
    return getattr(request, "param", {})


def csp_directives(response) -> dict[str, str]:
    policy = response.headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in policy.split(";"))


def assert_hardened(response, camera="()"):
    csp = csp_directives(response)
    assert csp["script-src"] == "'self'" and csp["style-src"] == "'self'"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "'none'"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert f"camera={camera}" in response.headers["Permissions-Policy"]


def test_organiser_guest_error_and_static_responses_carry_the_headers(client, login, organiser, event, make_attendee):
    guest = make_attendee(event)
    assert_hardened(client.get("/"))
    assert_hardened(client.get("/auth/login"))
    assert_hardened(client.get("/no-such-page"))
    with client.get("/static/app.css") as static:
        assert_hardened(static)
    assert_hardened(client.get(f"/g/{guest.token}"))
    assert_hardened(client.get(f"/c/{guest.code}"))
    login(organiser)
    assert_hardened(client.get(f"/events/{event.id}"))


def test_only_the_door_page_may_use_the_camera(client, event, make_door):
    secret = make_door(event).secret
    page = client.get(f"/door/{secret}")
    assert page.status_code == 200
    assert_hardened(page, camera="(self)")
    assert_hardened(client.get(f"/api/door/{secret}/stats"))


def test_secret_pages_send_no_referer_to_other_sites_but_keep_it_on_this_one(client, event, make_attendee):
    guest = make_attendee(event)
    response = client.get(f"/c/{guest.code}")
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    assert 'content="same-origin"' in response.get_data(as_text=True)


def _cookies(response) -> dict[str, str]:
    return {header.split("=", 1)[0]: header for header in response.headers.getlist("Set-Cookie")}


def _sign_in(client, organiser, **extra):
    return client.post("/auth/login", data={"email": organiser.email, "password": PASSWORD, **extra},
                       base_url="https://eventkit.test")


@pytest.mark.parametrize("app_config", [{"BASE_URL": "https://eventkit.test"}], indirect=True)
def test_cookies_are_secure_httponly_lax_and_remembered_at_most_30_days(client, organiser):
    cookies = _cookies(_sign_in(client, organiser, remember="y"))
    for name in ("session", "remember_token"):
        cookie = cookies[name]
        assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie, cookie
    expires = parsedate_to_datetime(cookies["remember_token"].split("Expires=")[1].split(";")[0])
    assert timedelta(days=29) < expires - datetime.now(timezone.utc) <= timedelta(days=30)


def test_cookies_are_not_secure_on_a_plain_http_address(client, organiser):
    cookies = _cookies(_sign_in(client, organiser))
    assert "; Secure" not in cookies["session"] and "; HttpOnly" in cookies["session"]


@pytest.mark.parametrize("app_config", [{"BASE_URL": "https://eventkit.test"}], indirect=True)
def test_https_responses_carry_hsts(client):
    assert "max-age=" in client.get("/", base_url="https://eventkit.test").headers["Strict-Transport-Security"]


@pytest.mark.parametrize("key", ["a" * 40, "abc" * 14, "0123456789" * 4, "changeme", "short-but-random-Xq9"])
def test_low_entropy_production_keys_are_refused_with_a_clear_message(tmp_path, monkeypatch, key):
    monkeypatch.setenv("SECRET_KEY", key)
    monkeypatch.delenv("EVENTKIT_ENV", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY is too weak.*token_urlsafe"):
        create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})


@pytest.mark.parametrize("key", [secrets.token_urlsafe(48), secrets.token_hex(32), secrets.token_urlsafe(24),
                                 "correct horse battery staple plus two more words"])
def test_random_keys_pass(key):
    assert key_weakness(key) is None, key_entropy_bits(key)


def test_the_outbox_message_page_lets_the_emails_own_styles_show_but_no_script(app, client, login, organiser, event):
    with app.app_context():
        email = OutboundEmail(event_id=event.id, to_email="g@example.com", subject="Hi", body_text="Hi",
                              body_html='<p style="color:#123">Hi</p>', purpose="notice", dedupe_key="preview")
        db.session.add(email)
        db.session.commit()
        email_id = email.id
    login(organiser)
    page = client.get(f"/events/{event.id}/outbox/{email_id}")
    assert page.status_code == 200 and b"sandbox srcdoc=" in page.data
    csp = csp_directives(page)
    assert csp["style-src"] == "'self' 'unsafe-inline'" and csp["script-src"] == "'self'"
    assert csp_directives(client.get(f"/events/{event.id}/outbox"))["style-src"] == "'self'"
