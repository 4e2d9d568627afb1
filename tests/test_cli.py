"""The `flask eventkit` commands: one transaction per command, and one clear line for a missing setting."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from sqlalchemy import func, select

from eventkit import audit
from eventkit.audit import AuditEntry
from eventkit.cli import transaction
from eventkit.db import db
from eventkit.errors import DomainError
from eventkit.matching.models import Plan

ROOT = Path(__file__).resolve().parent.parent


def entries(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(AuditEntry.id)))


def test_transaction_commits_when_the_block_ends(app):
    with app.app_context():
        with transaction():
            audit.record("test.cli", actor="system")
    assert entries(app) == 1


def test_transaction_turns_a_refusal_into_its_message_and_keeps_nothing(app):
    with app.app_context():
        with pytest.raises(click.ClickException) as raised, transaction():
            audit.record("test.cli", actor="system")
            db.session.flush()
            raise DomainError("Not possible now.", "refused")
        assert raised.value.message == "Not possible now."
    assert entries(app) == 0


@pytest.mark.parametrize("error", [click.ClickException("no such guest"), RuntimeError("a bug")])
def test_transaction_rolls_back_on_any_other_error_and_lets_it_through(app, error):
    with app.app_context():
        with pytest.raises(type(error)), transaction():
            audit.record("test.cli", actor="system")
            db.session.flush()
            raise error
    assert entries(app) == 0


def test_a_refused_command_leaves_no_partial_write(app, runner, event, make_attendee):
    make_attendee(event, name="Not ready")
    result = runner.invoke(args=["eventkit", "plan", event.slug, "--rounds", "3"])
    assert result.exit_code == 1
    assert "At least two ready guests" in result.output
    with app.app_context():
        assert db.session.scalar(select(Plan)) is None  # the plan row it made first is gone too


@pytest.mark.parametrize("args", [["eventkit", "send-mail"], ["db", "current"]])
def test_a_command_without_secret_key_says_in_one_line_what_to_set(tmp_path, args):
    env = {key: value for key, value in os.environ.items()
           if key not in {"SECRET_KEY", "EVENTKIT_ENV", "DATABASE_URL", "FLASK_APP"}}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'unused.db'}"
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "eventkit", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.splitlines() == [
        "Error: SECRET_KEY is not set. Set it to a long random value, or set EVENTKIT_ENV=development "
        "to have a development key generated under instance/ (as scripts/demo.sh does)."
    ]
