"""`flask eventkit seed-demo`."""
import click

from eventkit.cli import eventkit_cli, transaction
from eventkit.demo.services import seed_demo


@eventkit_cli.command("seed-demo")
def seed_demo_command():
    """Create the demo gathering (idempotent) and print the organiser's demo login."""
    with transaction():
        demo = seed_demo()
    click.echo(("Created" if demo.created else "Found") + f" the demo gathering “{demo.event.title}”.")
    click.echo("")
    click.echo("  Organiser demo login (new password on every run of seed-demo)")
    click.echo(f"    email:    {demo.organiser.email}")
    click.echo(f"    password: {demo.password}")
    click.echo("")
    click.echo(f"  A guest's view: {demo.guest_name}'s personal link")
    click.echo(f"    {demo.guest_link}")
    click.echo("")
