"""The `flask eventkit ...` command group; each feature adds its commands in `commands.py`.

A command does its database work inside `with transaction():` and prints its result after the
block, so what it prints has been committed.
"""
from collections.abc import Iterator
from contextlib import contextmanager

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
