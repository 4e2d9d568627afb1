"""CLI commands of the auth feature (registered on the `flask eventkit` group)."""
import click

from eventkit.auth.services import register_organiser, reset_password
from eventkit.cli import eventkit_cli, transaction


@eventkit_cli.command("create-organiser")
@click.option("--email", required=True, help="The organiser's sign-in email.")
@click.option("--name", required=True, help="The organiser's name as guests will see it.")
@click.password_option("--password", help="Prompted (with confirmation) when omitted.")
def create_organiser(email: str, name: str, password: str) -> None:
    """Create an organiser account (for servers where sign-up is disabled)."""
    with transaction():
        organiser = register_organiser(email, name, password)
    click.echo(f"Organiser {organiser.email} created (id {organiser.id}). They can sign in now.")


@eventkit_cli.command("reset-password")
@click.option("--email", required=True, help="The organiser's sign-in email.")
@click.password_option("--password", help="Prompted (with confirmation) when omitted.")
def reset_password_command(email: str, password: str) -> None:
    """Set a new password for an organiser account (and lift its sign-in throttle)."""
    with transaction():
        organiser = reset_password(email, password)
    click.echo(f"New password set for {organiser.email}.")
