"""Organiser accounts and the login-failure log used for throttling."""
from __future__ import annotations

from datetime import datetime

from flask import current_app, has_app_context
from flask_login import UserMixin
from sqlalchemy import String
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


class LoginFailure(db.Model):
    """One failed sign-in, keyed by a hash of the email typed (known or not)."""

    __tablename__ = "login_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    email_hash: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
