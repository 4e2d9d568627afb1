"""`flask eventkit worker`: the job queue's consumer, with the app's configuration."""
from __future__ import annotations

import gc
import logging
import sys

import click
from flask import current_app

from eventkit.cli import eventkit_cli
from eventkit.jobs.queue import describe, huey

#: how long a thread may keep the interpreter lock while another waits for it (Python's default: 0.005)
GIL_SWITCH_SECONDS = 0.0005


@eventkit_cli.command("worker")
@click.option("--threads", type=click.IntRange(min=1), default=None,
              help="Tasks run at once (default EVENTKIT_WORKER_THREADS, 2). Renders still run one at a time.")
@click.option("--nice", "niceness", type=click.IntRange(min=0, max=19), default=10, show_default=True,
              help="Lower the render processes' CPU priority by this much, so the web processes (the door) come first.")
@click.option("--periodic/--no-periodic", default=True, show_default=True,
              help="Also run the periodic tasks: mail delivery every minute, the follow-up sweep every 15 minutes.")
def worker(threads: int | None, niceness: int, periodic: bool) -> None:
    """Run the worker: PDF renders, mail delivery and the follow-up sweep. Ctrl+C (SIGINT) stops it
    after the tasks under way; SIGTERM stops it at once (unfinished jobs are made again later)."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    threads = threads or int(current_app.config.get("WORKER_THREADS", 2))
    # Only the renders (WeasyPrint, in child processes) run at a lower priority. The worker itself
    # must not: its writes (mail claims and results, job progress, the sweep) hold SQLite's write
    # lock, which the door's check-ins wait for, and a niced process holding it while the web
    # processes are busy was descheduled for 100-200 ms with it (priority inversion).
    current_app.config["RENDER_NICENESS"] = niceness
    # A pack's parent-side work (its HTML, joining its parts: pure Python) and the mail thread share
    # the interpreter lock. With Python's default 5 ms hand-over, every SQLite call of a short write
    # transaction (each gives the lock up and waits for it again) could wait that long.
    sys.setswitchinterval(GIL_SWITCH_SECONDS)
    # As in wsgi.py: the modules and the app live as long as the process; keep them out of the
    # collector's full passes (100-200 ms each, walking a few hundred thousand objects), which a
    # pack's many allocations set off in whichever thread allocates next: in the lock trace, the
    # mail thread's two-UPDATE transactions that took 170 ms instead of 3 ms.
    gc.collect()
    gc.freeze()
    click.echo(f"eventkit worker: {threads} thread(s), queue {describe()}, renders at niceness +{niceness}, "
               f"periodic tasks {'on' if periodic else 'off'}.")
    huey.create_consumer(workers=threads, worker_type="thread", periodic=periodic).run()
