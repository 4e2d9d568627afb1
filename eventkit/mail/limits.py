"""Who may have eventkit email other people: open sign-up must not make a mail relay.

Every message queued for a gathering passes `check_sender` (from `queue_email`/`queue_emails`):
its owner must have confirmed their email address, and an account made through open sign-up may
queue at most NEW_ACCOUNT_DAILY_MAIL messages to others during its first day. Messages to the
owner themselves always pass. Both refusals are DomainErrors with a message for the organiser.
"""
from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select

from eventkit.auth.models import Organiser
from eventkit.db import db, locked
from eventkit.errors import DomainError
from eventkit.events.models import Event
from eventkit.mail.models import OutboundEmail

FIRST_DAY = timedelta(days=1)
DEFAULT_DAILY_MAIL = 100


def _unconfirmed(organiser: Organiser) -> DomainError:
    return DomainError(
        f"Confirm your email address first: open the link we sent to {organiser.email} (your account "
        "page can send it again). Until then eventkit emails nobody else on your behalf.",
        "email_unconfirmed", 403,
    )


def _capped(cap: int, left: int) -> DomainError:
    return DomainError(
        f"New accounts can send at most {cap} emails during their first day, and {left} are left: "
        "nothing was sent. Try again tomorrow, or ask the person who runs this server.",
        "mail_cap", 429,
    )


def sent_to_others_since(organiser: Organiser, since: datetime) -> int:
    """Messages queued since `since` for this organiser's gatherings, to anyone but them."""
    query = (select(func.count(OutboundEmail.id)).join(Event, Event.id == OutboundEmail.event_id)
             .where(Event.owner_id == organiser.id, OutboundEmail.created_at >= since,
                    OutboundEmail.to_email != organiser.email))
    return db.session.scalar(query) or 0


def check_sender(event_id: int | None, recipients: list[str], now: datetime) -> None:
    """Raise DomainError if the owner of gathering `event_id` may not email `recipients` now."""
    if event_id is None:
        return
    organiser = db.session.scalars(
        select(Organiser).join(Event, Event.owner_id == Organiser.id).where(Event.id == event_id)
    ).first()
    if organiser is None:
        return
    others = [address for address in recipients if address.strip().lower() != organiser.email]
    if not others:
        return
    if not organiser.email_confirmed:
        raise _unconfirmed(organiser)
    if organiser.self_signup and now < organiser.created_at + FIRST_DAY:
        cap = current_app.config.get("NEW_ACCOUNT_DAILY_MAIL", DEFAULT_DAILY_MAIL)
        # concurrent sends of one new account count one after the other (PostgreSQL row lock)
        db.session.execute(locked(select(Organiser.id).where(Organiser.id == organiser.id)))
        left = max(cap - sent_to_others_since(organiser, organiser.created_at), 0)
        if len(others) > left:
            raise _capped(cap, left)
