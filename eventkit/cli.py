"""The `flask eventkit ...` command group; each feature adds its commands in `commands.py`."""
from datetime import datetime, timezone

import click
from flask.cli import AppGroup

from eventkit.events.access import event_by_slug

eventkit_cli = AppGroup("eventkit", help="eventkit maintenance and periodic commands.")


def event_or_fail(slug: str):
    """The gathering with this slug, or a ClickException saying there is none."""
    event = event_by_slug(slug)
    if event is None:
        raise click.ClickException(f"No gathering with the slug {slug!r}.")
    return event


def parse_now(value: str | None) -> datetime | None:
    """A `--now` option as an aware UTC datetime (naive values are taken as UTC); None if not given."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter("use ISO 8601, e.g. 2026-12-01T09:00:00+00:00", param_hint="--now") from exc
    return parsed.replace(tzinfo=timezone.utc) if parsed.tzinfo is None else parsed.astimezone(timezone.utc)
