"""Demo data: the demo gathering shows one scheduled message, its day-before reminder (plan, address, QR code)."""
from datetime import datetime

from eventkit.db import db
from eventkit.events.models import Event
from eventkit.messages.models import Message
from eventkit.messages.services import automatic_day_before


def seed_demo(event: Event, now: datetime) -> None:
    if event.starts_at > now:
        db.session.add(Message(**automatic_day_before(event, now)))
