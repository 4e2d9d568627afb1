"""The `flask eventkit ...` command group; each feature adds its commands in `commands.py`."""
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
