"""Email confirmation of self-made organiser accounts (open sign-up).

Until its owner opens the link emailed to them, an account made through open sign-up cannot have
eventkit email anyone else (eventkit/mail/limits.py), so sign-up cannot be used as a mail relay.
The link carries a token signed with the app's key (itsdangerous): nothing secret is stored, it
only confirms this account's current email, and it expires after CONFIRMATION_MAX_AGE.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from eventkit import audit
from eventkit.auth.models import Organiser
from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.mail.services import queue_email
from eventkit.urls import external_url_for

CONFIRMATION_MAX_AGE = timedelta(days=7)
#: one confirmation email per account per this period (a resend inside it is a no-op)
RESEND_PERIOD = timedelta(minutes=10)
_SALT = "organiser-email-confirmation"


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def confirmation_token(organiser: Organiser) -> str:
    return _serializer().dumps({"id": organiser.id, "email": organiser.email})


def queue_confirmation(organiser: Organiser, now: datetime) -> None:
    """Email the organiser their confirmation link (at most once per RESEND_PERIOD)."""
    period = int(now.timestamp() // RESEND_PERIOD.total_seconds())
    queue_email(to_email=organiser.email, to_name=organiser.name, template="confirm_email",
                purpose="account", kind="account", dedupe_key=f"confirm_email:{organiser.id}:{period}", now=now,
                link=external_url_for("auth.confirm_email", token=confirmation_token(organiser)),
                days=CONFIRMATION_MAX_AGE.days)


def confirm_email(token: str, now: datetime) -> Organiser:
    """Mark the account the token was made for as confirmed; DomainError if it is not valid now."""
    try:
        data = _serializer().loads(token, max_age=CONFIRMATION_MAX_AGE.total_seconds())
    except SignatureExpired:
        raise DomainError("This confirmation link has expired. Sign in and ask for a new one on your "
                          "account page.", "link_expired", 410) from None
    except BadSignature:
        raise DomainError("This confirmation link is not valid. Check that you copied all of it.",
                          "bad_link", 404) from None
    organiser = db.session.get(Organiser, data.get("id")) if isinstance(data, dict) else None
    if organiser is None or organiser.email != data.get("email"):
        raise DomainError("This confirmation link is not valid any more.", "bad_link", 404)
    if organiser.email_confirmed_at is None:
        organiser.email_confirmed_at = now
        audit.record("organiser.email_confirmed", actor=organiser.actor, target=organiser.actor)
        db.session.flush()
    return organiser
