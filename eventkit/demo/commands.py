"""`flask eventkit seed-demo`."""
import click

from eventkit.cli import eventkit_cli
from eventkit.db import db
from eventkit.demo.services import seed_demo


@eventkit_cli.command("seed-demo")
def seed_demo_command():
    """Create the demo gathering (idempotent) and print the organiser's demo login."""
    organiser, event, password, created = seed_demo()
    db.session.commit()
    click.echo(("Created" if created else "Found") + f" the demo gathering “{event.title}”.")
    click.echo("")
    click.echo("  Organiser demo login")
    click.echo(f"    email:    {organiser.email}")
    click.echo(f"    password: {password}   (new on every run of seed-demo)")
    click.echo("")
