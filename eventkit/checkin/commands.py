"""CLI commands of the checkin feature (registered on the `flask eventkit` group)."""
from __future__ import annotations

import click
from sqlalchemy import select

from eventkit import audit
from eventkit.attendees.models import Attendee
from eventkit.checkin import doors
from eventkit.cli import event_or_fail, eventkit_cli, transaction
from eventkit.db import db
from eventkit.qr import checkin_url
from eventkit.urls import external_url_for


@eventkit_cli.command("door-link")
@click.argument("event_slug")
@click.argument("label")
def door_link(event_slug: str, label: str) -> None:
    """Create a door link for a gathering and print its secret URL (shown only this once)."""
    event = event_or_fail(event_slug)
    label = label.strip()
    if not label or len(label) > 60:
        raise click.ClickException("The label must be 1 to 60 characters.")
    with transaction():
        _link, secret = doors.create_door_link(event, label, event.owner)
    click.echo(external_url_for("checkin.door_page", secret=secret))


@eventkit_cli.command("checkin-code-rotate")
@click.argument("event_slug")
@click.argument("email")
def checkin_code_rotate(event_slug: str, email: str) -> None:
    """Give a guest a new check-in code (a leaked QR); the old one then scans as "replaced"."""
    with transaction():
        event = event_or_fail(event_slug)
        attendee = db.session.scalars(select(Attendee).where(
            Attendee.event_id == event.id, Attendee.email == email.strip().lower())).first()
        if attendee is None:
            raise click.ClickException(f"{email} is not on the guest list of {event.title}.")
        code = attendee.rotate_checkin_code()
        audit.record("checkin.code_rotated", actor="system", target=f"attendee:{attendee.id}", event_id=event.id)
    click.echo(checkin_url(code))
