"""Reactions to other features' workflows (see eventkit/signals.py)."""
from __future__ import annotations

from sqlalchemy import delete

from eventkit.db import db
from eventkit.mail.models import MailStatus, OutboundEmail
from eventkit.signals import event_deleting


@event_deleting.connect
def on_event_deleting(event, **_extra) -> None:
    """A deleted gathering's unsent email is dropped (sent email stays, detached from it)."""
    db.session.execute(delete(OutboundEmail).where(
        OutboundEmail.event_id == event.id, OutboundEmail.status == MailStatus.PENDING))
