"""The sign-in throttle holds under concurrency and cannot be turned against the account's owner."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from eventkit.auth import services, throttle
from eventkit.auth.models import LoginThrottle
from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from tests.conftest import PASSWORD

STRANGER, OWNER = "198.51.100.66", "203.0.113.10"


@pytest.fixture
def app_config():
    return {"TRUSTED_PROXIES": 1}  # the tests give each client its address in X-Forwarded-For


def sign_in(client, email, password, address):
    return client.post("/auth/login", data={"email": email, "password": password},
                       headers={"X-Forwarded-For": address})


@pytest.fixture
def checked_passwords(monkeypatch):
    """How many passwords were actually checked (real or dummy hash)."""
    count = {"n": 0}
    lock = threading.Lock()
    real_check = services.check_password_hash  # a known email's check, and the unknown one's dummy

    def counted(*args):
        with lock:
            count["n"] += 1
        return real_check(*args)

    monkeypatch.setattr(services, "check_password_hash", counted)
    return count


@pytest.mark.slow
@pytest.mark.parametrize("email", ["olivia@example.org", "nobody@example.org"])
def test_thirty_parallel_attempts_check_at_most_five_passwords(app, organiser, checked_passwords, email):
    barrier = threading.Barrier(30)
    statuses, errors = [], []

    def attempt():
        try:
            client = app.test_client()
            barrier.wait(timeout=20)
            statuses.append(sign_in(client, email, "wrong password!", STRANGER).status_code)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(30)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert checked_passwords["n"] == throttle.MAX_FAILURES
    assert sorted(statuses) == [401] * 5 + [429] * 25
    with app.app_context():
        assert sorted(row.failures for row in db.session.scalars(select(LoginThrottle))) == [5, 5]


def test_a_strangers_failures_do_not_lock_the_owner_out_from_another_address(client, organiser):
    for _ in range(throttle.MAX_FAILURES):
        assert sign_in(client, organiser.email, "wrong password!", STRANGER).status_code == 401
    refused = sign_in(client, organiser.email, PASSWORD, STRANGER)
    assert refused.status_code == 429 and b"from your network" in refused.data
    owner = sign_in(client, organiser.email, PASSWORD, OWNER)
    assert owner.status_code == 302


def test_many_addresses_slow_the_email_down_without_locking_it(app, organiser):
    now = utcnow()
    with app.app_context():
        for n in range(throttle.EMAIL_CEILING + 1):
            with pytest.raises(DomainError) as wrong:
                services.authenticate(organiser.email, "wrong password!", now, address=f"192.0.2.{n}")
            assert wrong.value.code == "bad_credentials"
        # past the ceiling: the next check of this email, from anywhere, waits a moment
        with pytest.raises(DomainError) as slowed:
            services.authenticate(organiser.email, PASSWORD, now, address=OWNER)
        assert (slowed.value.code, slowed.value.status) == ("slowed", 429)
        assert "Wait a minute" in slowed.value.message
        # ... and then goes through, with the right password
        later = now + throttle.delay_after(throttle.EMAIL_CEILING + 1)
        assert services.authenticate(organiser.email, PASSWORD, later, address=OWNER).id == organiser.id


def test_the_delay_grows_but_stays_short(app):
    delays = [throttle.delay_after(throttle.EMAIL_CEILING + n) for n in range(1, 12)]
    assert delays == sorted(delays) and delays[0] == timedelta(seconds=2) and delays[-1] == throttle.MAX_DELAY


def test_forwarded_for_is_ignored_without_trusted_proxies(app, client, organiser, monkeypatch):
    """A client cannot dodge its limit by sending X-Forwarded-For when no proxy is trusted."""
    monkeypatch.setattr(app, "wsgi_app", app.wsgi_app.app)  # unwrap ProxyFix: EVENTKIT_TRUSTED_PROXIES=0
    for n in range(throttle.MAX_FAILURES):
        sign_in(client, organiser.email, "wrong password!", f"192.0.2.{n}")
    assert sign_in(client, organiser.email, PASSWORD, OWNER).status_code == 429
