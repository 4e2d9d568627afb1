"""Organiser accounts: sign-up, password sign-in with throttling, safe redirects."""
from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from eventkit import audit
from eventkit.auth.models import LoginFailure, Organiser
from eventkit.db import atomic, db
from eventkit.errors import DomainError
from eventkit.security import hash_token

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
#: failed sign-ins allowed for one email inside the window; the next attempt is refused
MAX_FAILURES = 5
FAILURE_WINDOW = timedelta(minutes=15)
WRONG_CREDENTIALS = "That email and password do not match an organiser account."
THROTTLED = (
    "Too many failed sign-in attempts for this email. Wait 15 minutes, then try again "
    "(check the password carefully)."
)
_dummy_hashes: dict[str, str] = {}


def normalise_email(value: str) -> str:
    """The email lower-cased and syntax-checked; raises DomainError if it is not an address."""
    value = (value or "").strip()
    try:
        checked = validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise DomainError(f"“{value}” is not a valid email address: {error}", "bad_email") from None
    return checked.normalized.lower()


def check_password_rules(password: str) -> None:
    """Raise DomainError when a new password is too short or absurdly long."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise DomainError(f"Use a password of at least {MIN_PASSWORD_LENGTH} characters.", "weak_password")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise DomainError(f"Use a password of at most {MAX_PASSWORD_LENGTH} characters.", "long_password")


def organiser_by_email(email: str) -> Organiser | None:
    return db.session.scalars(select(Organiser).where(Organiser.email == email.strip().lower())).first()


def register_organiser(email: str, name: str, password: str) -> Organiser:
    """Create an organiser account; raises DomainError for a bad email/password or a taken email."""
    email = normalise_email(email)
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Please give your name.", "missing_name")
    check_password_rules(password)
    if organiser_by_email(email) is not None:
        raise DomainError("An organiser account with this email already exists. Sign in instead.", "taken")
    organiser = Organiser(email=email, name=name[:120])
    organiser.set_password(password)
    try:
        with atomic():
            db.session.add(organiser)
            db.session.flush()
    except IntegrityError:  # a concurrent sign-up with the same email won the race
        raise DomainError("An organiser account with this email already exists. Sign in instead.", "taken") from None
    return organiser


def reset_password(email: str, password: str) -> Organiser:
    """Give an existing account a new password and lift its sign-in throttle."""
    organiser = organiser_by_email(email)
    if organiser is None:
        raise DomainError(f"No organiser account uses {email.strip().lower()}.", "no_account")
    check_password_rules(password)
    organiser.set_password(password)
    db.session.execute(delete(LoginFailure).where(LoginFailure.email_hash == _email_key(organiser.email)))
    db.session.flush()
    return organiser


def change_password(organiser: Organiser, current: str, new: str, now: datetime) -> Organiser:
    """A signed-in organiser's new password, after checking the current one.

    A wrong current password counts as a failed sign-in (same throttle, so a borrowed browser
    cannot guess it); the new one must follow the rules and differ from the current one.
    Every other browser signed in to the account is signed out (see Organiser.session_version).
    """
    authenticate(organiser.email, current, now)
    check_password_rules(new)
    if new == current:
        raise DomainError("Choose a password different from the current one.", "same_password")
    organiser.set_password(new)
    db.session.flush()
    audit.record("organiser.password_changed", actor=organiser.actor, target=organiser.actor)
    return organiser


def _email_key(email: str) -> str:
    return hash_token((email or "").strip().lower())


def recent_failures(email: str, now: datetime) -> int:
    """Failed sign-ins for this email (known or not) inside the throttling window."""
    query = select(func.count(LoginFailure.id)).where(
        LoginFailure.email_hash == _email_key(email), LoginFailure.at > now - FAILURE_WINDOW
    )
    return db.session.scalar(query) or 0


def is_throttled(email: str, now: datetime) -> bool:
    return recent_failures(email, now) >= MAX_FAILURES


def _burn_time(password: str) -> None:
    """Check a password against a dummy hash so unknown emails take as long as known ones."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not-a-real-password", method=method)
    check_password_hash(_dummy_hashes[method], password)


def authenticate(email: str, password: str, now: datetime) -> Organiser:
    """The organiser for these credentials.

    Raises DomainError("throttled", status 429) when MAX_FAILURES failures for this email happened
    within the window (even with the right password), and DomainError("bad_credentials", 401)
    otherwise; a failure is recorded in the session (the caller must let it commit).
    The answer is the same whether or not an account uses the email.
    """
    email = (email or "").strip().lower()
    if is_throttled(email, now):
        raise DomainError(THROTTLED, "throttled", 429)
    organiser = organiser_by_email(email)
    if organiser is None:
        _burn_time(password)
    if organiser is None or not organiser.check_password(password):
        _forget_old_failures(email, now)
        db.session.add(LoginFailure(email_hash=_email_key(email), at=now))
        db.session.flush()
        raise DomainError(WRONG_CREDENTIALS, "bad_credentials", 401)
    db.session.execute(delete(LoginFailure).where(LoginFailure.email_hash == _email_key(email)))
    return organiser


def _forget_old_failures(email: str, now: datetime) -> None:
    """Drop this email's failures that no longer count, so the table stays small."""
    db.session.execute(delete(LoginFailure).where(
        LoginFailure.email_hash == _email_key(email), LoginFailure.at <= now - FAILURE_WINDOW
    ))


def safe_next(target: str | None, default: str) -> str:
    """`target` if it is a path on this site (no scheme, host or protocol-relative trick), else `default`."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(char) < 32 for char in target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return default
    return target
