"""The worker runs the follow-up sweep every 15 minutes (what `flask eventkit remind` does from cron).

The sweep is idempotent and safe to overlap (dedupe keys), so cron and the worker may both run it.
"""
from __future__ import annotations

from huey import crontab

from eventkit.db import utcnow
from eventkit.followup.reminders import sweep
from eventkit.jobs.queue import periodic_task


@periodic_task(crontab(minute="*/15"))
def follow_up_sweep() -> None:
    sweep(utcnow())
