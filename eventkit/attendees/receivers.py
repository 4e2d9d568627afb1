"""Reactions to other features' workflows (see eventkit/signals.py)."""
from __future__ import annotations

from eventkit.attendees import services
from eventkit.db import utcnow
from eventkit.signals import capacity_changed


@capacity_changed.connect
def on_capacity_changed(event, old=None, new=None, actor="system", now=None, **_extra) -> None:
    """Refuse a capacity below the places already held; a larger one offers places to the waitlist."""
    services.apply_capacity(event, actor=actor, now=now or utcnow())
