"""Screen links for the room (made like door links: secret, revocable, no account) and what they show."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, select

from eventkit import secret_links
from eventkit.db import db
from eventkit.errors import DomainError, NotFound
from eventkit.events.models import Event
from eventkit.live.models import LiveState, ScreenLink
from eventkit.security import hash_token

MAX_ACTIVE_SCREENS = 5
#: the screen links' audit actions (screen_link.create, screen_link.revoke) and targets
AUDIT_PREFIX = "screen_link"


def create_screen_link(event: Event, label: str, organiser) -> tuple[ScreenLink, str]:
    """A new screen link; returns it and its secret (shown once, then only its hash is kept)."""
    return secret_links.create(ScreenLink, event, (label or "").strip()[:60] or "Screen", organiser,
                               cap=MAX_ACTIVE_SCREENS, audit_prefix=AUDIT_PREFIX)


def revoke_screen_link(event: Event, link_id: int, organiser, now: datetime) -> ScreenLink:
    """Revoke a screen link of `event` (404 for another gathering's); the screen stops at its next poll."""
    return secret_links.revoke(ScreenLink, event, link_id, organiser, now, audit_prefix=AUDIT_PREFIX)


def screen_links(event_id: int) -> list[ScreenLink]:
    return secret_links.links_of(ScreenLink, event_id)


@dataclass(frozen=True)
class Screen:
    event_id: int
    version: int


_links, _states = ScreenLink.__table__, LiveState.__table__
SCREEN_BY_SECRET = (
    select(_links.c.event_id, _links.c.revoked_at, _states.c.version)
    .outerjoin(_states, _states.c.event_id == _links.c.event_id)
    .where(_links.c.secret_hash == bindparam("secret_hash"))
)


def screen_for_secret(secret: str) -> Screen:
    """The gathering a screen secret shows, with its live version, in one query.

    Raises NotFound for unknown secrets, a 410 DomainError for revoked links."""
    row = None
    if secret and len(secret) <= 100:
        row = db.session.connection().execute(SCREEN_BY_SECRET, {"secret_hash": hash_token(secret)}).first()
    if row is None:
        raise NotFound("This screen link does not exist. Ask the organiser for the right address.", "unknown_screen")
    if row.revoked_at is not None:
        raise DomainError("This screen link was revoked. Ask the organiser for a new one.", "revoked", 410)
    return Screen(row.event_id, row.version or 0)
