"""The `flask eventkit ...` command group; each feature adds its commands in `commands.py`.

A command does its database work inside `with transaction():` and prints its result after the
block, so what it prints has been committed.
"""
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone

import click
from flask.cli import AppGroup

from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.events.access import event_by_slug

eventkit_cli = AppGroup("eventkit", help="eventkit maintenance and periodic commands.")


@contextmanager
def transaction() -> Iterator[None]:
    """A command's writes as one unit: committed when the block ends, rolled back when it raises.

    A DomainError becomes a ClickException with its message (one line, exit status 1).
    """
    try:
        yield
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    except BaseException:
        db.session.rollback()
        raise
    db.session.commit()


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
