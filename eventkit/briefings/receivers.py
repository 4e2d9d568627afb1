"""Reactions to other features' workflows (see eventkit/signals.py)."""
from __future__ import annotations

from sqlalchemy import update

from eventkit.briefings.emailing import PRODUCER
from eventkit.db import db
from eventkit.mail.models import OutboundAttachment
from eventkit.signals import guest_notes_changed


@guest_notes_changed.connect
def on_guest_notes_changed(attendee, **_extra) -> None:
    """A briefing already made for this guest's email carries their old notes: delete it, so the
    sender makes it again from the notes as they are now (or without them, once deleted)."""
    db.session.execute(
        update(OutboundAttachment)
        .where(OutboundAttachment.producer == PRODUCER, OutboundAttachment.content.is_not(None),
               OutboundAttachment.producer_args["attendee_id"].as_integer() == attendee.id)
        .values(content=None)
        .execution_options(synchronize_session=False)
    )
