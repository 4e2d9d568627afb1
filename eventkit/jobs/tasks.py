"""The worker's housekeeping, every minute: stalled jobs queued again, expired files deleted."""
from __future__ import annotations

from huey import crontab

from eventkit.db import utcnow
from eventkit.jobs import services
from eventkit.jobs.queue import periodic_task


@periodic_task(crontab(minute="*"))
def housekeeping() -> None:
    now = utcnow()
    services.requeue_stalled(now)
    services.delete_expired_files(now)
