"""`flask eventkit backup PATH` and `flask eventkit restore PATH` for a SQLite database.

The backup uses SQLite's online backup API in one step: a consistent snapshot while the app keeps
writing (WAL mode lets writers go on). The copy is checked with `PRAGMA integrity_check`.
PostgreSQL has its own tools (pg_dump / pg_restore, see the README); these commands say so.
"""
from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import click
from flask import current_app
from sqlalchemy.engine import make_url

from eventkit.cli import eventkit_cli
from eventkit.db import db
from eventkit.errors import DomainError

POSTGRES_ADVICE = ("This database is PostgreSQL: back it up with pg_dump -Fc and restore with pg_restore "
                   "(see the README's Backup section).")


def sqlite_path() -> Path:
    """The file of the app's SQLite database; DomainError for another kind of database."""
    url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite":
        raise DomainError(POSTGRES_ADVICE, "not_sqlite")
    if not url.database or url.database == ":memory:":
        raise DomainError("The database is in memory: there is nothing to back up.", "not_a_file")
    return Path(url.database)


def integrity(path: Path) -> str:
    """`PRAGMA integrity_check` of a SQLite file ("ok" when sound)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        return "; ".join(row[0] for row in conn.execute("PRAGMA integrity_check"))


def _is_eventkit_database(path: Path) -> bool:
    with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return {"alembic_version", "organiser", "event"} <= tables


def backup(target: Path) -> Path:
    """Copy the live database to `target` (a new file) and check the copy."""
    source = sqlite_path()
    if target.exists():
        raise DomainError(f"{target} exists already: choose a new file name.", "exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(target)) as copy:
        live.backup(copy)  # one step (pages=-1): a consistent snapshot
    result = integrity(target)
    if result != "ok":
        target.unlink()
        raise DomainError(f"The copy failed its integrity check ({result}); nothing was kept.", "corrupt")
    return target


def restore(backup_file: Path) -> Path:
    """Replace the live database's content with `backup_file` (checked first)."""
    target = sqlite_path()
    if not backup_file.is_file():
        raise DomainError(f"{backup_file} is not a file.", "missing")
    try:
        sound = integrity(backup_file) == "ok" and _is_eventkit_database(backup_file)
    except sqlite3.DatabaseError:
        sound = False
    if not sound:
        raise DomainError(f"{backup_file} is not a sound eventkit backup; the database was not changed.", "bad_backup")
    db.session.remove()
    db.engine.dispose()
    with closing(sqlite3.connect(backup_file)) as saved, closing(sqlite3.connect(target, timeout=30)) as live:
        saved.backup(live)
    return target


def _run(action, *args):
    try:
        return action(*args)
    except DomainError as error:
        raise click.ClickException(error.message) from None


@eventkit_cli.command("backup")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
def backup_command(path: Path) -> None:
    """Copy the live SQLite database to PATH (safe while the app runs)."""
    _run(backup, path)
    click.echo(f"Backed up to {path} (integrity check: ok).")


@eventkit_cli.command("restore")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@click.confirmation_option(prompt="This replaces every gathering, guest and account with the backup's. Continue?")
def restore_command(path: Path) -> None:
    """Replace the SQLite database with the backup at PATH (stop the web server and cron jobs first)."""
    target = _run(restore, path)
    click.echo(f"Restored {path} into {target}. Run `flask db upgrade` if the backup is older than this version.")
