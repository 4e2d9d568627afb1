"""One-click links in follow-up emails: signed with the app key, expiring, each good for one action.

A link does its one thing (record an action on one task or close it, answer one encounter, stop
reminders) and never signs the guest in. It embeds the guest's session fingerprint, so replacing
their personal links or deleting their profile kills every link sent before.

Emails ask for these links with `send_time_link(MAIL_PURPOSES[purpose], attendee_id, target)`;
the mail sender has the makers below sign them as it sends each email, so the outbox holds none.
"""
from __future__ import annotations

import hashlib
from datetime import datetime

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, TimestampSigner

from eventkit.attendees.links import recipients
from eventkit.attendees.models import Attendee
from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from eventkit.followup.blueprint import bp
from eventkit.mail.links import LinkRequest, register_link_maker
from eventkit.urls import external_url_for

SALT = "eventkit.followup.link"
#: what a link may do, and for how long (seconds)
MAX_AGE = {
    "task": 14 * 86400,
    "confirm": 30 * 86400,
    "nudge": 30 * 86400,
    "unsubscribe": 365 * 86400,
}
#: the name each kind of link is asked for under in emails (`eventkit.mail.links.send_time_link`)
MAIL_PURPOSES = {purpose: f"followup-{purpose}" for purpose in MAX_AGE}


class _ClockSigner(TimestampSigner):
    """A signer whose clock is a parameter, so tests move time without sleeping."""

    def __init__(self, key: str, now: datetime):
        super().__init__(key, salt=SALT, digest_method=hashlib.sha256)
        self.stamp = int(now.timestamp())

    def get_timestamp(self) -> int:
        return self.stamp


def make_token(attendee: Attendee, purpose: str, target: int | None = None, now: datetime | None = None) -> str:
    """A signed token letting `attendee` do `purpose` (on task or encounter `target`)."""
    return token_for(attendee.id, attendee.session_fingerprint, purpose, target, now or utcnow())


def token_for(attendee_id: int, fingerprint: str, purpose: str, target: int | None, now: datetime,
              signer: TimestampSigner | None = None) -> str:
    """`make_token` from plain values; the sweep passes one `signer` for all its links."""
    if purpose not in MAX_AGE:
        raise ValueError(purpose)
    signer = signer or _ClockSigner(current_app.config["SECRET_KEY"], now)
    return signer.sign(f"{attendee_id}.{fingerprint}.{purpose}.{'' if target is None else target}").decode("ascii")


def signer_at(now: datetime) -> TimestampSigner:
    return _ClockSigner(current_app.config["SECRET_KEY"], now)


def read_token(token: str, now: datetime | None = None) -> tuple[Attendee, str, int | None]:
    """The guest, purpose and target of a valid token; DomainError (400/410) otherwise."""
    signer = _ClockSigner(current_app.config["SECRET_KEY"], now or utcnow())
    try:
        raw = signer.unsign(token).decode("ascii")
        attendee_id, fingerprint, purpose, target = raw.split(".")
        signer.unsign(token, max_age=MAX_AGE[purpose])
        payload = {"a": int(attendee_id), "f": fingerprint, "t": int(target) if target else None}
    except SignatureExpired as exc:
        raise DomainError("This link has expired. Open your follow-up page from your personal link instead.",
                          "link_expired", 410) from exc
    except (BadSignature, KeyError, ValueError, UnicodeDecodeError) as exc:
        raise DomainError("This link is not valid. Use the newest email or your personal link.",
                          "link_invalid", 400) from exc
    attendee = db.session.get(Attendee, payload.get("a"))
    if attendee is None or attendee.session_fingerprint != payload.get("f"):
        raise DomainError("This link is no longer valid: a newer personal link was issued to you.",
                          "link_rotated", 410)
    return attendee, purpose, payload.get("t")


def link_url(slug: str, token: str) -> str:
    return external_url_for("followup.go", slug=slug, token=token)


def _maker(purpose: str):
    def make(requests: list[LinkRequest], now: datetime) -> list[str | None]:
        """A signed one-click link per request, for a guest who is that email's recipient (else None)."""
        signer = signer_at(now)
        urls: list[str | None] = []
        for guest, request in zip(recipients(requests), requests):
            if guest is None:
                urls.append(None)
                continue
            token = token_for(guest.id, guest.session_fingerprint, purpose, request.target, now, signer)
            urls.append(link_url(guest.event.slug, token))
        return urls

    return make


@bp.record_once
def _register(state) -> None:
    """The mail sender signs the follow-up emails' one-click links with these makers."""
    for purpose, mail_purpose in MAIL_PURPOSES.items():
        register_link_maker(state.app, mail_purpose, _maker(purpose))
