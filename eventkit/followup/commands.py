"""CLI commands of the followup feature (registered on the `flask eventkit` group)."""
from __future__ import annotations

from datetime import datetime, timezone

import click

from eventkit.cli import eventkit_cli, transaction
from eventkit.db import utcnow
from eventkit.followup.reminders import sweep


def parse_now(value: str | None) -> datetime:
    """`--now` as an aware UTC datetime (naive values are taken as UTC)."""
    if not value:
        return utcnow()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use ISO 8601, e.g. 2026-12-01T09:00:00+00:00") from exc
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)


@eventkit_cli.command("remind")
@click.option("--now", "now_text", default=None, help="Pretend it is this time (ISO 8601); default: now.")
def remind(now_text: str | None) -> None:
    """Queue due follow-up reminders, digests and organiser escalations (cron: every 15 minutes)."""
    now = parse_now(now_text)
    with transaction():
        counts = sweep(now)
    click.echo(
        f"{now:%Y-%m-%d %H:%M} UTC: queued {counts['queued']} follow-up email(s) "
        f"(due soon {counts.get('due_soon', 0)}, overdue {counts.get('overdue', 0)}, "
        f"digests {counts.get('digest', 0)}, escalations {counts.get('escalation', 0)}); "
        f"{counts['faded']} connection(s) faded. Delivery: flask eventkit send-mail."
    )
