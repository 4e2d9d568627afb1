"""CLI commands of the messages feature (registered on the `flask eventkit` group)."""
from __future__ import annotations

import click

from eventkit.cli import eventkit_cli, parse_now, transaction
from eventkit.db import utcnow
from eventkit.messages.sweep import sweep


@eventkit_cli.command("send-messages")
@click.option("--now", "now_text", default=None, help="Pretend it is this time (ISO 8601); default: now.")
def send_messages(now_text: str | None) -> None:
    """Queue the scheduled messages that are due (cron: every minute). Safe to run twice at once."""
    now = parse_now(now_text) or utcnow()
    with transaction():
        report = sweep(now)
    click.echo(f"{now:%Y-%m-%d %H:%M} UTC: {report.summary()}. Delivery: flask eventkit send-mail.")
