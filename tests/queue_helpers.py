"""Running the job queue in-process in tests: drain what is queued (and scheduled retries) now."""
from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta, timezone

from eventkit.jobs.queue import huey


def drain(limit: int = 100) -> int:
    """Execute every task queued, including retries scheduled for later; how many ran."""
    ran = 0
    while ran < limit:
        for scheduled in huey.read_schedule(datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(days=1)):
            scheduled.eta = None  # due now: the test does not wait for a retry's delay
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


REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/5")


def redis_config_or_skip() -> dict:
    """App config for the Redis queue mode (a queue name of its own), or skip saying why."""
    import pytest
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping()
    except redis.exceptions.RedisError as error:
        pytest.skip(f"Redis queue mode not tested: no Redis server answers at {REDIS_URL} ({error}). "
                    "`.ci/run` starts one; set TEST_REDIS_URL to use another.")
    return {"QUEUE_URL": REDIS_URL, "QUEUE_NAME": f"eventkit-test-{secrets.token_hex(6)}"}


def queue_config(mode: str) -> dict:
    """App config for a queue mode: "sqlite" (the suite's default: a file per test) or "redis"."""
    return redis_config_or_skip() if mode == "redis" else {}
