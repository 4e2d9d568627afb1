"""CLI commands of the attendees feature (registered on the `flask eventkit` group)."""
from __future__ import annotations

import click
from sqlalchemy import select

from eventkit.attendees import services
from eventkit.attendees.invitations import magic_url
from eventkit.attendees.models import Attendee
from eventkit.cli import event_or_fail, eventkit_cli, transaction
from eventkit.db import db, utcnow


@eventkit_cli.command("guest-link")
@click.argument("event_slug")
@click.argument("email")
def guest_link(event_slug: str, email: str) -> None:
    """Issue a new personal link for a guest, email it (outbox) and print it.

    The guest's previous link and open sessions stop working, exactly as with the organiser's
    "New link" button.
    """
    with transaction():
        event = event_or_fail(event_slug)
        attendee = db.session.scalars(select(Attendee).where(
            Attendee.event_id == event.id, Attendee.email == services.normalise_email(email))).first()
        if attendee is None:
            raise click.ClickException(f"{email} is not on the guest list of {event.title}.")
        token = services.rotate_link(attendee, actor="system", now=utcnow())
    click.echo(magic_url(token))
