"""Reactions to other features' workflows (see eventkit/signals.py)."""
from __future__ import annotations

from eventkit.attendees import services
from eventkit.db import utcnow
from eventkit.signals import capacity_changed, mail_bounced, mail_delivered


@capacity_changed.connect
def on_capacity_changed(event, old=None, new=None, actor="system", now=None, **_extra) -> None:
    """Refuse a capacity below the places already held; a larger one offers places to the waitlist."""
    services.apply_capacity(event, actor=actor, now=now or utcnow())


@mail_bounced.connect
def on_mail_bounced(email, reason="", now=None, **_extra) -> None:
    """A hard bounce marks the guest's address as failing on the guest list."""
    services.mark_email_failing(email.to_email, email.event_id, reason, now or utcnow())


@mail_delivered.connect
def on_mail_delivered(email, **_extra) -> None:
    """A message that reached the address again lifts its "address failing" mark."""
    services.clear_email_failing(email.to_email, email.event_id)
