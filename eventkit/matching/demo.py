"""Demo data: the demo gathering gets a locked plan of four rounds, so guests see their conversations."""
from datetime import datetime

from eventkit.events.models import Event
from eventkit.matching import services


def seed_demo(event: Event, now: datetime) -> None:
    services.replan(event, rounds=4, minutes=12, cap=4, odd="trio", now=now, actor="system:demo")
    services.set_locked(event, True, now, actor="system:demo")
