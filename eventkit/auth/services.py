"""Organiser accounts: sign-up, password sign-in with throttling, safe redirects."""
from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from eventkit import audit
from eventkit.auth import throttle
from eventkit.auth.models import Organiser
from eventkit.db import atomic, db
from eventkit.errors import DomainError

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
#: failed sign-ins allowed for one email from one address inside the window (see auth/throttle.py)
MAX_FAILURES = throttle.MAX_FAILURES
THROTTLED = throttle.THROTTLED
WRONG_CREDENTIALS = "That email and password do not match an organiser account."
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


def register_organiser(email: str, name: str, password: str, *, confirmed: bool) -> Organiser:
    """Create an organiser account; raises DomainError for a bad email/password or a taken email.

    `confirmed=False` (open sign-up): the account must confirm its email before eventkit emails
    anyone else for it, and its first day's mail is capped (eventkit/mail/limits.py).
    """
    email = normalise_email(email)
    name = " ".join((name or "").split())
    if not name:
        raise DomainError("Please give your name.", "missing_name")
    check_password_rules(password)
    if organiser_by_email(email) is not None:
        raise DomainError("An organiser account with this email already exists. Sign in instead.", "taken")
    organiser = Organiser(email=email, name=name[:120], self_signup=not confirmed,
                          **({} if confirmed else {"email_confirmed_at": None}))
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
    throttle.clear(organiser.email)
    db.session.flush()
    return organiser


def change_password(organiser: Organiser, current: str, new: str, now: datetime, address: str = "") -> Organiser:
    """A signed-in organiser's new password, after checking the current one.

    A wrong current password counts as a failed sign-in (same throttle, so a borrowed browser
    cannot guess it); the new one must follow the rules and differ from the current one.
    Every other browser signed in to the account is signed out (see Organiser.session_version).
    """
    authenticate(organiser.email, current, now, address)
    check_password_rules(new)
    if new == current:
        raise DomainError("Choose a password different from the current one.", "same_password")
    organiser.set_password(new)
    db.session.flush()
    audit.record("organiser.password_changed", actor=organiser.actor, target=organiser.actor)
    return organiser


def _burn_time(password: str) -> None:
    """Check a password against a dummy hash so unknown emails take as long as known ones."""
    method = current_app.config["PASSWORD_HASH_METHOD"]
    if method not in _dummy_hashes:
        _dummy_hashes[method] = generate_password_hash("not-a-real-password", method=method)
    check_password_hash(_dummy_hashes[method], password)


def authenticate(email: str, password: str, now: datetime, address: str = "") -> Organiser:
    """The organiser for these credentials, typed from the client address `address`.

    Claims a throttle slot first (auth/throttle.py): DomainError("throttled" or "slowed", 429)
    when no password may be checked now, even the right one. The claim is committed at once,
    before the (slow) check: call it before the request changes anything else. A wrong password
    raises DomainError("bad_credentials", 401), its claim kept. The answer is the same whether or
    not an account uses the email.
    """
    email = (email or "").strip().lower()
    throttle.claim(email, address, now)
    organiser = organiser_by_email(email)
    stored = organiser.password_hash if organiser is not None else None
    # The claim is committed before the password is checked: it counts even if the check never
    # finishes, and the check (scrypt: about 100 ms of CPU) holds no transaction, which on SQLite
    # held the write lock every door check-in waits for (a scan stalled for each sign-in).
    db.session.commit()
    if stored is None:
        _burn_time(password)
    if stored is None or not check_password_hash(stored, password):
        raise DomainError(WRONG_CREDENTIALS, "bad_credentials", 401)
    throttle.clear(email)
    throttle.prune(now)
    return organiser


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
