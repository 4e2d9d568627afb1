"""Running the job queue in-process in tests: drain what is queued (and scheduled retries) now."""
from __future__ import annotations

import os
import secrets
import signal
import time
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone

import pytest

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


@contextmanager
def running_worker(threads: int = 2, periodic: bool = False):
    """A real Huey consumer (worker threads and scheduler) in this process, stopped after the block.

    The consumer installs signal handlers; the test process gets its own back afterwards.
    """
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
    consumer = huey.create_consumer(workers=threads, worker_type="thread", periodic=periodic,
                                    initial_delay=0.05, max_delay=0.2, check_worker_health=False)
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def wait_for(condition, timeout: float = 60.0, every: float = 0.05):
    """Poll `condition()` until it returns something true; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


@pytest.fixture(params=["sqlite", "redis"], name="app_config")
def in_both_queue_modes(request) -> dict:
    """The test module's app on a SQLite queue file, then on Redis (skipped without a server)."""
    return queue_config(request.param)


@pytest.fixture(autouse=True, name="empty_queue_after")
def flush_the_queue(app):
    yield
    huey.flush()
