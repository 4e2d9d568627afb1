"""The organiser's account page: changing the password signs every other browser out."""
import pytest
from conftest import PASSWORD
from sqlalchemy import func, select

from eventkit.audit import AuditEntry
from eventkit.auth.models import LoginThrottle, Organiser
from eventkit.db import db

NEW = "a brand new passphrase"


def change(client, current=PASSWORD, new=NEW, confirm=None):
    return client.post("/auth/account", data={"current": current, "password": new,
                                              "confirm": new if confirm is None else confirm})


def stored(app, organiser) -> Organiser:
    with app.app_context():
        return db.session.get(Organiser, organiser.id)


def test_account_page_needs_a_signed_in_organiser(client):
    response = client.get("/auth/account")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_change_password_keeps_this_browser_and_signs_out_the_others(app, client, login, organiser):
    other_browser = app.test_client()
    login(organiser)
    login(organiser, on=other_browser)
    assert other_browser.get("/events/").status_code == 200
    response = change(client)
    assert response.status_code == 302
    assert "Password changed" in client.get("/auth/account").data.decode()
    assert client.get("/events/").status_code == 200
    assert other_browser.get("/events/").status_code == 302  # back to the sign-in page
    account = stored(app, organiser)
    assert account.check_password(NEW) and not account.check_password(PASSWORD)
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "organiser.password_changed")).one()
        assert entry.actor == f"organiser:{organiser.id}"
    fresh = app.test_client()
    assert fresh.post("/auth/login", data={"email": organiser.email, "password": NEW}).status_code == 302


@pytest.mark.parametrize("current, new, confirm, status, message", [
    ("not my password", NEW, None, 401, "That is not your current password."),
    (PASSWORD, "short", None, 422, "at least 10 characters"),
    (PASSWORD, NEW, "something else", 422, "The two passwords differ."),
    (PASSWORD, PASSWORD, None, 422, "different from the current one"),
])
def test_bad_password_changes_are_refused_clearly_and_change_nothing(app, client, login, organiser,
                                                                     current, new, confirm, status, message):
    login(organiser)
    response = change(client, current, new, confirm)
    assert response.status_code == status
    assert message in response.data.decode()
    assert stored(app, organiser).check_password(PASSWORD)
    assert client.get("/events/").status_code == 200  # still signed in


def test_guessing_the_current_password_is_throttled_like_sign_in(app, client, login, organiser):
    login(organiser)
    for _ in range(5):
        assert change(client, current="guess guess guess").status_code == 401
    response = change(client)  # even the right password is refused now
    assert response.status_code == 429
    assert stored(app, organiser).check_password(PASSWORD)
    with app.app_context():
        assert db.session.scalar(select(func.max(LoginThrottle.failures))) == 5


def test_a_session_from_before_a_password_reset_is_signed_out(app, client, login, organiser, runner):
    login(organiser)
    result = runner.invoke(args=["eventkit", "reset-password", "--email", organiser.email],
                           input=f"{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    assert client.get("/events/").status_code == 302


def test_a_forged_session_id_without_the_right_version_is_refused(client, organiser):
    with client.session_transaction() as session:
        session["_user_id"] = f"{organiser.id}.not-the-version"
    assert client.get("/events/").status_code == 302
    with client.session_transaction() as session:
        session["_user_id"] = str(organiser.id)
    assert client.get("/events/").status_code == 302
