"""Organiser accounts and the login-failure log used for throttling."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from eventkit.db import UTCDateTime, db, utcnow
from eventkit.security import derive


class Organiser(UserMixin, db.Model):
    __tablename__ = "organiser"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: stored lower-cased
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    #: werkzeug scrypt hash
    password_hash: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: None until the owner of a self-made account opens the link emailed to them; accounts made
    #: with the CLI or the demo count as confirmed from the start
    email_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: made through open sign-up: no email to anyone else before confirmation, and a capped first day
    self_signup: Mapped[bool] = mapped_column(Boolean, default=False)

    def __init__(self, **fields):
        """An account is confirmed from its creation unless `email_confirmed_at=None` is given."""
        fields.setdefault("email_confirmed_at", utcnow())
        super().__init__(**fields)

    @property
    def email_confirmed(self) -> bool:
        return self.email_confirmed_at is not None

    def set_password(self, password: str) -> None:
        """Hash with scrypt (the test suite configures a cheaper method to stay fast)."""
        method = current_app.config["PASSWORD_HASH_METHOD"] if has_app_context() else "scrypt"
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def actor(self) -> str:
        return f"organiser:{self.id}"

    @property
    def session_version(self) -> str:
        """Derived from the password hash: a new password signs every other browser out."""
        return derive("organiser-session", self.password_hash)[:22]

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: id and session version."""
        return f"{self.id}.{self.session_version}"

    def __repr__(self) -> str:
        return f"<Organiser {self.email}>"


class LoginThrottle(db.Model):
    """A counter of password checks that failed inside one window, for one key.

    Two kinds of key, both hashes (no email is stored): one email typed from one client address
    (locks after a few failures) and one email from anywhere (slows down after many). A sign-in
    claims its slot in both rows with a conditional UPDATE before the password is checked, so
    concurrent attempts can never check more passwords than the limit.
    """

    __tablename__ = "login_throttle"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    #: hash of the email alone, to clear every row of an email (successful sign-in, reset-password)
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    window_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    #: email-wide rows past the ceiling: no password is checked for this email before this time
    next_check_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
