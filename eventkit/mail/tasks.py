"""The worker delivers the outbox every minute (what `flask eventkit send-mail` does from cron).

Running both is safe: each message is claimed by exactly one sender (`eventkit.mail.claims`).
"""
from __future__ import annotations

from huey import crontab

from eventkit.jobs.queue import periodic_task
from eventkit.mail.sender import SendReport, new_sender_id, send_due


def deliver() -> SendReport:
    """Deliver everything due, as one sender (runs its own transactions)."""
    return send_due(sender_id=new_sender_id())


@periodic_task(crontab(minute="*"))
def deliver_mail() -> None:
    deliver()
