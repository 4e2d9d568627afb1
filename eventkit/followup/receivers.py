"""Reactions to other features' workflows (see eventkit/signals.py)."""
from __future__ import annotations

from eventkit.db import utcnow
from eventkit.followup import services
from eventkit.signals import accepting_invitation, event_status_changed


@event_status_changed.connect
def on_event_status_changed(event, old=None, new=None, now=None, **_extra) -> None:
    """A gathering marked finished turns its conversations and confirmed encounters into connections."""
    if new == "finished":
        services.create_connections(event, now or utcnow())


@accepting_invitation.connect
def on_accepting_invitation(attendee, now=None, **_extra) -> None:
    """Refuse acceptance while follow-ups from this organiser's earlier gatherings are overdue."""
    services.check_gate(attendee, now or utcnow())
