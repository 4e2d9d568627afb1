"""Organiser sign-up, sign-in, sign-out, throttling and the create-organiser command."""
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from eventkit.auth import services
from eventkit.auth.models import LoginFailure, Organiser
from eventkit.db import db, utcnow
from eventkit.errors import DomainError

PASSWORD = "correct horse battery staple"


def signup(client, **overrides):
    data = {"name": "Ada Organiser", "email": "Ada@Example.org", "password": "a long passphrase",
            "confirm": "a long passphrase"}
    data.update(overrides)
    return client.post("/auth/signup", data=data)


def organiser_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Organiser.id)))


def test_signup_creates_account_with_lowercased_email_and_hashed_password(app, client):
    response = signup(client)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/events/")
    with app.app_context():
        organiser = db.session.scalars(select(Organiser)).one()
        assert organiser.email == "ada@example.org"
        assert organiser.password_hash.startswith(app.config["PASSWORD_HASH_METHOD"].split(":")[0] + ":")
        assert "a long passphrase" not in organiser.password_hash
        assert organiser.check_password("a long passphrase")
    assert client.get("/events/").status_code == 200  # signed in straight away


def test_signup_refuses_short_password_with_clear_message(app, client):
    response = signup(client, password="short", confirm="short")
    assert response.status_code == 422
    assert b"at least 10 characters" in response.data
    assert organiser_count(app) == 0


@pytest.mark.parametrize("email", ["not-an-email", "ada@", "a b@example.org"])
def test_signup_refuses_malformed_email(app, client, email):
    response = signup(client, email=email)
    assert response.status_code == 422
    assert b"not a valid email" in response.data
    assert organiser_count(app) == 0


def test_signup_refuses_duplicate_email_in_any_case(app, client, make_organiser):
    make_organiser(email="ada@example.org")
    response = signup(client, email="ADA@example.org")
    assert response.status_code == 422
    assert b"already exists" in response.data
    assert organiser_count(app) == 1


def test_signup_refuses_mismatched_confirmation(app, client):
    response = signup(client, confirm="another long passphrase")
    assert response.status_code == 422
    assert b"differ" in response.data


def test_signup_disabled_is_a_clear_404(app, client):
    app.config["ALLOW_SIGNUP"] = False  # EVENTKIT_ALLOW_SIGNUP=0
    for response in (client.get("/auth/signup"), signup(client)):
        assert response.status_code == 404
        assert b"create-organiser" in response.data
    assert organiser_count(app) == 0
    assert b"Create an organiser account" not in client.get("/").data


def test_login_with_any_email_case_and_logout(client, organiser):
    response = client.post("/auth/login", data={"email": "OLIVIA@example.org ", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/events/").status_code == 200
    assert client.get("/auth/logout").status_code == 405  # sign-out is POST only
    response = client.post("/auth/logout")
    assert response.status_code == 302
    assert client.get("/events/").status_code == 302


def test_wrong_password_and_unknown_email_get_the_same_answer(client, organiser):
    wrong = client.post("/auth/login", data={"email": organiser.email, "password": "wrong password!"})
    unknown = client.post("/auth/login", data={"email": "nobody@example.org", "password": "wrong password!"})
    assert wrong.status_code == unknown.status_code == 401  # refused, yet the failure is recorded (see test_commit_rule.py)
    assert services.WRONG_CREDENTIALS.encode() in wrong.data
    assert wrong.data.replace(organiser.email.encode(), b"E") == unknown.data.replace(b"nobody@example.org", b"E")
    assert client.get("/events/").status_code == 302


@pytest.mark.parametrize("email", ["olivia@example.org", "nobody@example.org"])
def test_sixth_failure_within_15_minutes_is_refused_even_with_right_password(client, organiser, email):
    for _ in range(services.MAX_FAILURES):
        response = client.post("/auth/login", data={"email": email, "password": "wrong password!"})
        assert b"Too many" not in response.data
    response = client.post("/auth/login", data={"email": email.upper(), "password": PASSWORD})
    assert response.status_code == 429
    assert services.THROTTLED.encode() in response.data
    assert client.get("/events/").status_code == 302  # still signed out


def test_throttled_answer_is_identical_for_known_and_unknown_email(app, organiser):
    now = utcnow()
    answers = {}
    with app.app_context():
        for email in (organiser.email, "nobody@example.org"):
            for _ in range(services.MAX_FAILURES):
                with pytest.raises(DomainError):
                    services.authenticate(email, "wrong password!", now=now)
            with pytest.raises(DomainError) as refused:
                services.authenticate(email, PASSWORD, now=now)
            answers[email] = (refused.value.code, refused.value.status, refused.value.message)
    assert answers[organiser.email] == answers["nobody@example.org"] == ("throttled", 429, services.THROTTLED)


def test_throttle_window_expires_after_15_minutes(app, organiser):
    start = utcnow()
    with app.app_context():
        for minute in range(services.MAX_FAILURES):
            with pytest.raises(DomainError):
                services.authenticate(organiser.email, "wrong password!", now=start + timedelta(minutes=minute))
        almost = start + timedelta(minutes=14)
        with pytest.raises(DomainError, match="Too many"):
            services.authenticate(organiser.email, PASSWORD, now=almost)
        # 15 minutes after the first failure only four remain in the window
        later = start + timedelta(minutes=15, seconds=1)
        assert services.authenticate(organiser.email, PASSWORD, now=later).id == organiser.id
        # a success clears the slate for that email
        assert db.session.scalar(select(func.count(LoginFailure.id))) == 0


def test_failures_are_stored_without_the_email(app, client):
    client.post("/auth/login", data={"email": "secret.person@example.org", "password": "wrong password!"})
    with app.app_context():
        failure = db.session.scalars(select(LoginFailure)).one()
        assert "secret" not in failure.email_hash


@pytest.mark.parametrize("target, expected", [
    ("/events/7", "/events/7"),
    ("/events/?page=2", "/events/?page=2"),
    ("https://evil.example/", "/events/"),
    ("//evil.example/", "/events/"),
    ("/\\evil.example", "/events/"),
    ("javascript:alert(1)", "/events/"),
    ("/ok\r\nSet-Cookie: x=1", "/events/"),
    ("", "/events/"),
])
def test_next_redirect_only_to_local_paths(client, organiser, target, expected):
    response = client.post("/auth/login", data={"email": organiser.email, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_page_carries_next_from_login_required_redirect(client, organiser, event):
    response = client.get(f"/events/{event.id}")
    assert response.status_code == 302
    login_page = client.get(response.headers["Location"]).data.decode()
    carried = re.search(r'name="next" type="hidden" value="([^"]*)"', login_page).group(1)
    response = client.post("/auth/login", data={"email": organiser.email, "password": PASSWORD, "next": carried})
    assert response.headers["Location"] == f"/events/{event.id}"


def test_login_form_errors_are_422(client):
    response = client.post("/auth/login", data={"email": "", "password": ""})
    assert response.status_code == 422
    assert b"This field is required" in response.data


def test_create_organiser_command_with_password_option(app, runner):
    result = runner.invoke(args=["eventkit", "create-organiser", "--email", "Cli@Example.org",
                                 "--name", "Cli Person", "--password", "a long passphrase"])
    assert result.exit_code == 0, result.output
    assert "cli@example.org" in result.output
    with app.app_context():
        organiser = db.session.scalars(select(Organiser)).one()
        assert organiser.check_password("a long passphrase")


def test_create_organiser_command_prompts_with_confirmation(app, runner):
    result = runner.invoke(args=["eventkit", "create-organiser", "--email", "p@example.org", "--name", "P"],
                           input="a long passphrase\na long passphrase\n")
    assert result.exit_code == 0, result.output
    assert organiser_count(app) == 1


@pytest.mark.parametrize("email, password, message", [
    ("p@example.org", "short", "at least 10"),
    ("olivia@example.org", "a long passphrase", "already exists"),
    ("nope", "a long passphrase", "not a valid email"),
])
def test_create_organiser_command_refuses_clearly(app, runner, organiser, email, password, message):
    result = runner.invoke(args=["eventkit", "create-organiser", "--email", email, "--name", "P",
                                 "--password", password])
    assert result.exit_code != 0
    assert message in result.output
    assert organiser_count(app) == 1


def test_expired_failures_are_pruned(app, organiser):
    start = utcnow()
    with app.app_context():
        for minutes in (0, 1, 20):
            with pytest.raises(DomainError):
                services.authenticate(organiser.email, "wrong password!", now=start + timedelta(minutes=minutes))
        assert db.session.scalar(select(func.count(LoginFailure.id))) == 1


def test_reset_password_command_sets_password_and_lifts_throttle(app, client, runner, organiser):
    for _ in range(services.MAX_FAILURES):
        client.post("/auth/login", data={"email": organiser.email, "password": "wrong password!"})
    result = runner.invoke(args=["eventkit", "reset-password", "--email", "OLIVIA@example.org"],
                           input="a brand new passphrase\na brand new passphrase\n")
    assert result.exit_code == 0, result.output
    response = client.post("/auth/login", data={"email": organiser.email, "password": "a brand new passphrase"})
    assert response.status_code == 302


@pytest.mark.parametrize("email, password, message", [
    ("nobody@example.org", "a long passphrase", "No organiser account uses"),
    ("olivia@example.org", "short", "at least 10"),
])
def test_reset_password_command_refuses_clearly(app, runner, organiser, email, password, message):
    result = runner.invoke(args=["eventkit", "reset-password", "--email", email, "--password", password])
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.get(Organiser, organiser.id).check_password(PASSWORD)


def test_production_hashes_passwords_with_scrypt(tmp_path, monkeypatch):
    from eventkit import create_app

    monkeypatch.setenv("SECRET_KEY", "k" * 48)
    production = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'p.db'}"})
    assert production.config["PASSWORD_HASH_METHOD"] == "scrypt"
    with production.app_context():
        organiser = Organiser(email="p@example.org", name="P")
        organiser.set_password("a long passphrase")
        assert organiser.password_hash.startswith("scrypt:")
