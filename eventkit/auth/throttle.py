"""The sign-in throttle: a slot is claimed before each password check, per email and address.

- One email typed from one client address: MAX_FAILURES failed checks in a FAILURE_WINDOW, then
  that address is refused for that email until the window ends (even with the right password).
  A stranger's failures from their address do not lock the owner out from another one.
- One email from anywhere: past EMAIL_CEILING failures in a window, each further check of that
  email must wait a delay that doubles (up to MAX_DELAY): slowed, never locked.

A claim is a conditional `UPDATE ... SET failures = failures + 1 WHERE failures < limit` on the
row of each key: PostgreSQL's row lock (and SQLite's write lock, taken at BEGIN for POSTs) makes
concurrent attempts wait their turn, so no more passwords are checked than the limit. The claim is
committed before the password is checked (`eventkit.auth.services.authenticate`), so a failed check
keeps it; a success clears the email's rows; a refused attempt writes nothing (the caller rolls back).
"""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update

from eventkit.auth.models import LoginThrottle
from eventkit.db import db, insert_ignore_many
from eventkit.errors import DomainError
from eventkit.security import hash_token

MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
EMAIL_CEILING = 20
MAX_DELAY = timedelta(minutes=1)
THROTTLED = (
    "Too many failed sign-in attempts for this email from your network. Wait 15 minutes, then try "
    "again (check the password carefully)."
)
SLOWED = (
    "This account is seeing many failed sign-in attempts, so its sign-ins are slowed down. "
    "Wait a minute, then try again."
)


def email_key(email: str) -> str:
    return hash_token("email:" + email)


def address_key(email: str, address: str) -> str:
    return hash_token(f"email+address:{email}|{address}")


def delay_after(failures: int) -> timedelta:
    """How long an email past the ceiling waits before its next check."""
    doublings = min(failures - EMAIL_CEILING, 10)
    return min(timedelta(seconds=2 ** doublings), MAX_DELAY)


def claim(email: str, address: str, now: datetime) -> None:
    """Count one password check for `email` from `address`; DomainError (429) if it must not happen."""
    pair, whole = address_key(email, address), email_key(email)
    _open_windows(email, (pair, whole), now)
    pair_claim = (update(LoginThrottle)
                  .where(LoginThrottle.key == pair, LoginThrottle.failures < MAX_FAILURES)
                  .values(failures=LoginThrottle.failures + 1))
    if db.session.execute(pair_claim).rowcount != 1:
        raise DomainError(THROTTLED, "throttled", 429)
    email_claim = (update(LoginThrottle)
                   .where(LoginThrottle.key == whole,
                          or_(LoginThrottle.next_check_at.is_(None), LoginThrottle.next_check_at <= now))
                   .values(failures=LoginThrottle.failures + 1)
                   .returning(LoginThrottle.failures))
    failures = db.session.execute(email_claim).scalar_one_or_none()
    if failures is None:
        raise DomainError(SLOWED, "slowed", 429)
    if failures > EMAIL_CEILING:
        db.session.execute(update(LoginThrottle).where(LoginThrottle.key == whole)
                           .values(next_check_at=now + delay_after(failures)))


def _open_windows(email: str, keys: tuple[str, ...], now: datetime) -> None:
    """Make sure the rows exist, and restart the windows that have ended.

    Rows are updated one at a time in the order of the claims (address row first), so two
    attempts never wait on each other's rows in opposite orders.
    """
    rows = [{"key": key, "email_hash": email_key(email), "failures": 0, "window_started_at": now} for key in keys]
    insert_ignore_many(LoginThrottle, rows, ["key"])
    for key in keys:
        db.session.execute(update(LoginThrottle)
                           .where(LoginThrottle.key == key, LoginThrottle.window_started_at <= now - FAILURE_WINDOW)
                           .values(failures=0, window_started_at=now, next_check_at=None))


def clear(email: str) -> None:
    """Forget every failure of `email` (a successful sign-in, a password reset)."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.email_hash == email_key(email)))


def prune(now: datetime) -> None:
    """Drop rows whose window ended long ago, so the table stays small."""
    db.session.execute(delete(LoginThrottle).where(LoginThrottle.window_started_at <= now - 2 * FAILURE_WINDOW))
