"""CLI commands of the profiles feature (registered on the `flask eventkit` group)."""
from __future__ import annotations

import click

from eventkit.cli import event_or_fail, eventkit_cli, transaction
from eventkit.db import utcnow
from eventkit.demo.profiles import seed_profiles


@eventkit_cli.command("demo-profiles")
@click.argument("slug")
def demo_profiles(slug: str) -> None:
    """Give the guests of gathering SLUG sample profiles, offers, seeks and a few notes (idempotent)."""
    event = event_or_fail(slug)
    with transaction():
        result = seed_profiles(event, utcnow())
    click.echo(f"{result.profiles} profiles, {result.intents} offers/seeks, {result.notes} notes added "
               f"to {event.title}.")
