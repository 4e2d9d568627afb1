"""Running the job queue in-process in tests: drain what is queued (and scheduled retries) now."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from eventkit.jobs.queue import huey


def drain(limit: int = 100) -> int:
    """Execute every task queued, including retries scheduled for later; how many ran."""
    ran = 0
    while ran < limit:
        for scheduled in huey.read_schedule(datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=1)):
            huey.enqueue(scheduled)
        task = huey.dequeue()
        if task is None:
            return ran
        huey.execute(task)
        ran += 1
    raise AssertionError(f"the queue did not empty after {limit} tasks")


def queued() -> int:
    """Tasks waiting in the queue (not counting scheduled retries)."""
    return huey.pending_count()
