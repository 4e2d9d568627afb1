"""CLI commands of the mail feature (registered on the `flask eventkit` group)."""
from __future__ import annotations

import signal
import threading
from datetime import datetime

import click
from flask import current_app

from eventkit.cli import eventkit_cli, parse_now, transaction
from eventkit.db import db, utcnow
from eventkit.errors import DomainError
from eventkit.mail import preferences, unsubscribe
from eventkit.mail.claims import count_due
from eventkit.mail.sender import SendReport, new_sender_id, send_due

#: a one-off run shows a progress bar from this many due messages, or when attachments are to be made
PROGRESS_FROM = 20


def _describe_transport() -> str:
    config = current_app.config
    if config.get("MAIL_SERVER"):
        return f"SMTP {config['MAIL_SERVER']}:{config.get('MAIL_PORT')}"
    return f".eml files in {config['OUTBOX_DIR']}"


def _run_once(limit: int | None, sender_id: str, verbose: bool, now: datetime | None = None) -> SendReport:
    try:
        report = (_send_with_progress(limit, sender_id, now) if verbose
                  else send_due(now=now, limit=limit, sender_id=sender_id))
    finally:
        db.session.remove()
    if verbose or report.handled:
        click.echo(f"{report.summary()} ({_describe_transport()})")
    for line in report.errors:
        click.echo(f"  {line}", err=True)
    return report


def _send_with_progress(limit: int | None, sender_id: str, now: datetime | None = None) -> SendReport:
    """One run; a progress bar when it is long (many messages, or attachments such as briefings to make)."""
    with transaction():  # ends the read transaction before the run
        due, to_make = count_due(now or utcnow())
    due = min(due, limit or due)
    if due < PROGRESS_FROM and not to_make:
        return send_due(now=now, limit=limit, sender_id=sender_id)
    label = f"Sending {due} messages" + (f" ({to_make} with attachments to make first)" if to_make else "")
    with click.progressbar(length=due, label=label, show_pos=True) as bar:
        return send_due(now=now, limit=limit, sender_id=sender_id, progress=bar.update)


@eventkit_cli.command("send-mail")
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="Send at most this many messages per pass (default: everything due).")
@click.option("--loop/--once", default=False, show_default=True,
              help="Keep running and send new messages as they become due.")
@click.option("--interval", type=click.FloatRange(min=0.5), default=15.0, show_default=True,
              help="With --loop: seconds to wait when nothing is due.")
@click.option("--now", "now_text", default=None,
              help="Pretend it is this time (ISO 8601), e.g. after `remind --now` in a simulation; default: now.")
def send_mail(limit: int | None, loop: bool, interval: float, now_text: str | None) -> None:
    """Deliver due outbox messages (SMTP if MAIL_SERVER is set, else .eml files). Safe to run twice at once."""
    now = parse_now(now_text)
    if now is not None and loop:
        raise click.UsageError("--now delivers once what is due at that time; it cannot be combined with --loop.")
    sender_id = new_sender_id()
    if not loop:
        _run_once(limit, sender_id, verbose=True, now=now)
        return
    click.echo(f"Sending mail as {sender_id} via {_describe_transport()}; Ctrl+C or SIGTERM to stop.")
    stop = _stop_on_sigterm()
    try:
        while not stop.is_set():
            report = _run_once(limit, sender_id, verbose=False)
            if not report.handled:
                stop.wait(interval)
    except KeyboardInterrupt:
        pass
    click.echo("Stopped.")


def _stop_on_sigterm() -> threading.Event:
    """An event set by SIGTERM, so a supervisor's stop finishes the current batch first."""
    stop = threading.Event()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    return stop


@eventkit_cli.command("unsubscribe-mail")
@click.argument("message", type=click.File("rb"), default="-")
def unsubscribe_mail(message) -> None:
    """Apply an email sent to MAIL_UNSUBSCRIBE_ADDRESS (the mailto: of List-Unsubscribe), read from MESSAGE or stdin.

    Pipe that mailbox into it (e.g. an alias `"|flask --app eventkit eventkit unsubscribe-mail"`).
    Exits with status 1 and says why when the message holds no valid token.
    """
    try:
        attendee_id, topic = unsubscribe.read_token(unsubscribe.token_from_message(message.read(1024 * 1024)))
        attendee = preferences.one_click(attendee_id, topic)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        raise click.ClickException(error.message) from None
    click.echo(f"Guest {attendee.id} of {attendee.event.slug} unsubscribed from {topic.label.lower()}.")
