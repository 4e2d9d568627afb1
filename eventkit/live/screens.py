"""Screen links for the room (made like door links: secret, revocable, no account) and what they show."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import bindparam, func, select

from eventkit import audit
from eventkit.db import db
from eventkit.errors import DomainError, NotFound
from eventkit.events.access import get_for_event_or_404
from eventkit.events.models import Event
from eventkit.live.models import LiveState, ScreenLink
from eventkit.security import hash_token

MAX_ACTIVE_SCREENS = 5


def create_screen_link(event: Event, label: str, organiser) -> tuple[ScreenLink, str]:
    """A new screen link; returns it and its secret (shown once, then only its hash is kept)."""
    active = db.session.scalar(select(func.count()).select_from(ScreenLink).where(
        ScreenLink.event_id == event.id, ScreenLink.revoked_at.is_(None)))
    if active >= MAX_ACTIVE_SCREENS:
        raise DomainError(f"A gathering can have at most {MAX_ACTIVE_SCREENS} active screen links; revoke one first.",
                          "too_many_links", 422)
    link = ScreenLink(event_id=event.id, label=(label or "").strip()[:60] or "Screen", created_by=organiser.id)
    secret = link.issue_secret()
    db.session.add(link)
    db.session.flush()
    audit.record("screen_link.create", actor=f"organiser:{organiser.id}", target=f"screen_link:{link.id}",
                 event_id=event.id, label=link.label)
    return link, secret


def revoke_screen_link(event: Event, link_id: int, organiser, now: datetime) -> ScreenLink:
    """Revoke a screen link of `event` (404 for another gathering's); the screen stops at its next poll."""
    link = get_for_event_or_404(ScreenLink, link_id, event, "No such screen link.")
    if link.revoked_at is None:
        link.revoked_at = now
        audit.record("screen_link.revoke", actor=f"organiser:{organiser.id}", target=f"screen_link:{link.id}",
                     event_id=event.id, label=link.label)
    return link


def screen_links(event_id: int) -> list[ScreenLink]:
    return list(db.session.scalars(select(ScreenLink).where(ScreenLink.event_id == event_id)
                                   .order_by(ScreenLink.revoked_at.is_not(None), ScreenLink.created_at.desc())))


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
