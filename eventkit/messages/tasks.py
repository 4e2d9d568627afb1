"""The worker sends due messages every minute (what `flask eventkit send-messages` does from cron).

Running both is safe: each message is claimed by exactly one sweep (`eventkit.messages.sweep`).
"""
from __future__ import annotations

from huey import crontab

from eventkit.db import utcnow
from eventkit.jobs.queue import periodic_task
from eventkit.messages.sweep import sweep


@periodic_task(crontab(minute="*"))
def send_messages() -> None:
    sweep(utcnow())
