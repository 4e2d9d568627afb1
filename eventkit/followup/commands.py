"""CLI commands of the followup feature (registered on the `flask eventkit` group)."""
from __future__ import annotations

import click

from eventkit.cli import eventkit_cli, parse_now, transaction
from eventkit.db import utcnow
from eventkit.followup.reminders import sweep


@eventkit_cli.command("remind")
@click.option("--now", "now_text", default=None, help="Pretend it is this time (ISO 8601); default: now.")
def remind(now_text: str | None) -> None:
    """Queue due follow-up reminders, digests and organiser escalations (cron: every 15 minutes)."""
    now = parse_now(now_text) or utcnow()
    with transaction():
        counts = sweep(now)
    click.echo(
        f"{now:%Y-%m-%d %H:%M} UTC: queued {counts['queued']} follow-up email(s) "
        f"(due soon {counts.get('due_soon', 0)}, overdue {counts.get('overdue', 0)}, "
        f"back from snooze {counts.get('resurfaced', 0)}, stay in touch {counts.get('stay', 0)}, "
        f"digests {counts.get('digest', 0)}, escalations {counts.get('escalation', 0)}); "
        f"{counts['faded']} connection(s) faded, {counts['dormant']} dormant. "
        f"Delivery: flask eventkit send-mail{' --now ' + now_text if now_text else ''}."
    )
