"""Secret links: a URL holding a random secret that opens one page of one gathering with no account.

Door links (check-in phones) and screen links (the room's screen) are both made here: the same
columns, a per-gathering cap of active links, only the secret's hash stored, revocation audited,
and another gathering's link answering exactly like a missing one.
"""
from __future__ import annotations

from datetime import datetime

from flask import flash, session
from sqlalchemy import ForeignKey, String, func, select
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

from eventkit import audit
from eventkit.db import UTCDateTime, db, utcnow
from eventkit.errors import DomainError
from eventkit.events.access import get_for_event_or_404
from eventkit.events.models import Event
from eventkit.security import hash_token, new_token


class SecretLink:
    """The columns and behaviour every secret link shares (a mixin: each kind keeps its own table)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    #: shown to organisers (and, for doors, in "already checked in … by Front door")
    label: Mapped[str] = mapped_column(String(60))
    #: SHA-256 of the secret in the URL; the secret itself is shown once, at creation
    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("organiser.id", ondelete="SET NULL"))
    #: set when the organiser revokes the link; it then opens nothing
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @declared_attr
    def event(cls) -> Mapped[Event]:
        # a relationship on a mixin must be declared per class
        return relationship(Event)

    def issue_secret(self) -> str:
        """Give the link a fresh secret and return it (only its hash is kept)."""
        secret = new_token()
        self.secret_hash = hash_token(secret)
        return secret

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def active_count(model: type[SecretLink], event_id: int) -> int:
    """How many of the gathering's `model` links are not revoked (what the cap counts)."""
    return db.session.scalar(select(func.count()).select_from(model).where(
        model.event_id == event_id, model.revoked_at.is_(None)))


def create(model: type[SecretLink], event: Event, label: str, organiser, *, cap: int,
           audit_prefix: str) -> tuple[SecretLink, str]:
    """A new `model` link for `event`; returns it and its secret (shown once, then only its hash is kept).

    Raises a 422 DomainError "too_many_links" when `cap` links are already active. `audit_prefix`
    ("door_link") names the audit actions and target, and in words ("door link") the error.
    """
    if active_count(model, event.id) >= cap:
        raise DomainError(f"A gathering can have at most {cap} active {_noun(audit_prefix)}s; revoke one first.",
                          "too_many_links", 422)
    link = model(event_id=event.id, label=label, created_by=organiser.id)
    secret = link.issue_secret()
    db.session.add(link)
    db.session.flush()
    _record(f"{audit_prefix}.create", link, organiser, audit_prefix)
    return link, secret


def revoke(model: type[SecretLink], event: Event, link_id: int, organiser, now: datetime, *,
           audit_prefix: str) -> SecretLink:
    """Revoke the `model` link `link_id` of `event`; revoking it again changes nothing.

    Raises NotFound ("No such door link.") for a missing link or another gathering's.
    """
    link = get_for_event_or_404(model, link_id, event, f"No such {_noun(audit_prefix)}.")
    if link.revoked_at is None:
        link.revoked_at = now
        _record(f"{audit_prefix}.revoke", link, organiser, audit_prefix)
    return link


def links_of(model: type[SecretLink], event_id: int) -> list[SecretLink]:
    """The gathering's `model` links for the organiser's list: active ones first, newest first."""
    return list(db.session.scalars(
        select(model).where(model.event_id == event_id)
        .order_by(model.revoked_at.is_not(None), model.created_at.desc())
    ))


def _record(action: str, link: SecretLink, organiser, audit_prefix: str) -> None:
    audit.record(action, actor=f"organiser:{organiser.id}", target=f"{audit_prefix}:{link.id}",
                 event_id=link.event_id, label=link.label)


def _noun(audit_prefix: str) -> str:
    return audit_prefix.replace("_", " ")


# --- the organiser's pages: a new link's URL is shown once, after the redirect -----------------------

def remember_new(key: str, link: SecretLink, url: str, audit_prefix: str) -> None:
    """Keep a new link's URL in the session for the next page (the only time it is shown) and say so."""
    session[key] = {"event_id": link.event_id, "label": link.label, "url": url}
    flash(f"{_noun(audit_prefix).capitalize()} “{link.label}” created. Copy it now: it is shown only once.",
          "success")


def pop_new(key: str, event: Event) -> dict | None:
    """The new link `remember_new` kept, once, if it belongs to `event` (another tab's is dropped)."""
    new_link = session.pop(key, None)
    if new_link and new_link.get("event_id") != event.id:
        return None
    return new_link
