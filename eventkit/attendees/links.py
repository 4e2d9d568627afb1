"""Guests' personal links: made when the email carrying one is sent, stored hashed, expiring.

An email that gives a guest their personal link holds the placeholder
`send_time_link(PERSONAL, attendee.id)` (see `eventkit.mail.links`); the mail sender asks this
module's maker for a fresh link for each such email just before delivering it, so the outbox
never holds a working link. Each link is a `GuestLink` row (SHA-256 of the token, purpose,
expiry, revocation): a guest may hold several, a new one leaves the others working, and they all
end when the organiser replaces the guest's links or the guest deletes their profile.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from eventkit.attendees.blueprint import bp
from eventkit.attendees.models import Attendee, GuestLink
from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.mail.links import LinkRequest, register_link_maker
from eventkit.mail.services import check_recipient
from eventkit.security import hash_token, new_token
from eventkit.urls import external_url_for

#: the purpose of the link that signs a guest in to their gathering
PERSONAL = "personal"
DEFAULT_DAYS_AFTER = 30


def magic_url(token: str) -> str:
    """The guest's personal link (absolute, for emails)."""
    return external_url_for("attendees.magic", token=token)


def days_after() -> int:
    """How many days after the gathering ends a personal link keeps working (EVENTKIT_GUEST_LINK_DAYS_AFTER)."""
    return int(current_app.config.get("GUEST_LINK_DAYS_AFTER", DEFAULT_DAYS_AFTER))


@dataclass(frozen=True)
class LinkLookup:
    """What a token opens: the link (None if unknown) and whether it still works at `now`."""

    link: GuestLink | None
    usable: bool

    @property
    def attendee(self) -> Attendee | None:
        return self.link.attendee if self.usable else None


def look_up(token: str, now: datetime, purpose: str = PERSONAL) -> LinkLookup:
    """The link of `token` for `purpose`; unknown tokens give `LinkLookup(None, False)`."""
    if not token or len(token) > 200:
        return LinkLookup(None, False)
    link = db.session.scalars(select(GuestLink).where(
        GuestLink.token_hash == hash_token(token), GuestLink.purpose == purpose)).first()
    return LinkLookup(link, link is not None and link.usable(now))


def issue(attendee: Attendee, now: datetime) -> str:
    """A new personal link for `attendee` (for the CLI and the demo, which print it); returns the token."""
    return attendee.new_link(now, days_after())


def _recipient(attendee: Attendee) -> str | None:
    try:
        return check_recipient(attendee.email).lower()
    except DomainError:
        return None


def recipients(requests: list[LinkRequest]) -> list[Attendee | None]:
    """Each request's guest (with their gathering), or None unless they are that email's recipient.

    A link maker makes links only for these: a placeholder copied into another person's email
    gives them nothing. One query for the batch.
    """
    ids = {request.attendee_id for request in requests}
    guests = {a.id: a for a in db.session.scalars(
        select(Attendee).where(Attendee.id.in_(ids)).options(selectinload(Attendee.event)))}
    found = [guests.get(request.attendee_id) for request in requests]
    return [guest if guest is not None and _recipient(guest) == request.to_email.lower() else None
            for guest, request in zip(found, requests)]


def make_personal_links(requests: list[LinkRequest], now: datetime) -> list[str | None]:
    """One new personal link per request, for a guest who is the recipient of that email (else None)."""
    days = days_after()
    urls: list[str | None] = []
    for guest in recipients(requests):
        if guest is None:
            urls.append(None)
            continue
        token = new_token()
        db.session.add(GuestLink(attendee_id=guest.id, token_hash=hash_token(token), purpose=PERSONAL,
                                 created_at=now, expires_at=GuestLink.ends(guest.event, now, days)))
        urls.append(magic_url(token))
    db.session.flush()
    return urls


@bp.record_once
def _register(state) -> None:
    """The mail sender makes "personal" links with this maker."""
    register_link_maker(state.app, PERSONAL, make_personal_links)
