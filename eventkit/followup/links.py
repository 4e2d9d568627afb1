"""One-click links in follow-up emails: signed with the app key, expiring, tied to the guest's session.

A link embeds the guest's session fingerprint, so rotating their magic link kills every link sent before.
"""
from __future__ import annotations

from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner, URLSafeTimedSerializer

from eventkit.attendees.models import Attendee
from eventkit.db import db, utcnow
from eventkit.errors import DomainError

SALT = "eventkit.followup.link"
#: what a link may do, and for how long (seconds)
MAX_AGE = {
    "task": 14 * 86400,
    "confirm": 30 * 86400,
    "unsubscribe": 365 * 86400,
}


class _ClockSigner(TimestampSigner):
    """A signer whose clock is a parameter, so tests move time without sleeping."""

    stamp = 0

    def get_timestamp(self) -> int:
        return self.stamp


def _serializer(now: datetime) -> URLSafeTimedSerializer:
    stamp = int(now.timestamp())
    key = current_app.config["SECRET_KEY"]
    cached = _cache.get("serializer")
    if cached is None or cached[0] != (key, stamp):
        signer = type("_Signer", (_ClockSigner,), {"stamp": stamp})
        cached = _cache["serializer"] = ((key, stamp), URLSafeTimedSerializer(key, salt=SALT, signer=signer))
    return cached[1]


_cache: dict = {}


def make_token(attendee: Attendee, purpose: str, target: int | None = None, now: datetime | None = None) -> str:
    """A signed token letting `attendee` do `purpose` (on task or encounter `target`)."""
    return token_for(attendee.id, attendee.session_fingerprint, purpose, target, now or utcnow())


def token_for(attendee_id: int, fingerprint: str, purpose: str, target: int | None, now: datetime) -> str:
    """`make_token` from plain values (the reminder sweep has no Attendee objects)."""
    if purpose not in MAX_AGE:
        raise ValueError(purpose)
    return _serializer(now).dumps({"a": attendee_id, "f": fingerprint, "p": purpose, "t": target})


def read_token(token: str, now: datetime | None = None) -> tuple[Attendee, str, int | None]:
    """The guest, purpose and target of a valid token; DomainError (400/410) otherwise."""
    now = now or utcnow()
    serializer = _serializer(now)
    try:
        payload = serializer.loads(token, max_age=max(MAX_AGE.values()))
        purpose = payload["p"]
        serializer.loads(token, max_age=MAX_AGE[purpose])
    except SignatureExpired as exc:
        raise DomainError("This link has expired. Open your follow-up page from your personal link instead.",
                          "link_expired", 410) from exc
    except (BadSignature, KeyError, TypeError) as exc:
        raise DomainError("This link is not valid. Use the newest email or your personal link.",
                          "link_invalid", 400) from exc
    attendee = db.session.get(Attendee, payload.get("a"))
    if attendee is None or attendee.session_fingerprint != payload.get("f"):
        raise DomainError("This link is no longer valid: a newer personal link was issued to you.",
                          "link_rotated", 410)
    return attendee, purpose, payload.get("t")
