"""`flask eventkit backup` copies a live SQLite database while it is written; `restore` brings it back."""
from __future__ import annotations

import threading

import flask_migrate
import pytest
from sqlalchemy import func, select

from eventkit import create_app
from eventkit.audit import AuditEntry
from eventkit.auth.models import Organiser
from eventkit.backup import integrity
from eventkit.db import db
from tests.conftest import PASSWORD, build_config


@pytest.fixture
def live_app(tmp_path):
    """An app on its own SQLite file (whatever database the suite runs on), migrated."""
    app = create_app(build_config(f"sqlite:///{tmp_path / 'live.db'}", tmp_path))
    with app.app_context():
        flask_migrate.upgrade()
        organiser = Organiser(email="keeper@example.org", name="Keeper")
        organiser.set_password(PASSWORD)
        db.session.add(organiser)
        db.session.commit()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def keep_writing(app, stop: threading.Event, written: list) -> None:
    with app.app_context():
        while not stop.is_set():
            db.session.add(AuditEntry(actor="system", action="test.write"))
            db.session.commit()
            written.append(1)
        db.session.remove()


def test_backup_during_writes_is_sound_and_restores_to_a_working_sign_in(live_app, tmp_path):
    stop, written = threading.Event(), []
    writer = threading.Thread(target=keep_writing, args=(live_app, stop, written))
    writer.start()
    try:
        while len(written) < 20:  # writes are under way
            stop.wait(0.01)
        result = live_app.test_cli_runner().invoke(args=["eventkit", "backup", str(tmp_path / "saved.db")])
        during = len(written)
        while len(written) < during + 20:  # ... and go on after the copy
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert integrity(tmp_path / "saved.db") == "ok"

    with live_app.app_context():  # the account is changed after the backup ...
        organiser = db.session.scalars(select(Organiser)).one()
        organiser.set_password("a different passphrase")
        db.session.commit()
        after = db.session.scalar(select(func.count(AuditEntry.id)))
    restored = live_app.test_cli_runner().invoke(args=["eventkit", "restore", "--yes", str(tmp_path / "saved.db")])
    assert restored.exit_code == 0, restored.output
    with live_app.app_context():  # ... and the restore brings back the state of the copy
        assert 0 < db.session.scalar(select(func.count(AuditEntry.id))) < after
    response = live_app.test_client().post("/auth/login", data={"email": "keeper@example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_backup_refuses_to_overwrite_and_restore_refuses_a_file_that_is_no_backup(live_app, tmp_path):
    runner = live_app.test_cli_runner()
    (tmp_path / "taken.db").write_bytes(b"")
    refused = runner.invoke(args=["eventkit", "backup", str(tmp_path / "taken.db")])
    assert refused.exit_code != 0 and "exists already" in refused.output
    (tmp_path / "junk.db").write_bytes(b"not a database at all" * 100)
    refused = runner.invoke(args=["eventkit", "restore", "--yes", str(tmp_path / "junk.db")])
    assert refused.exit_code != 0 and "not a sound eventkit backup" in refused.output
    response = live_app.test_client().post("/auth/login", data={"email": "keeper@example.org", "password": PASSWORD})
    assert response.status_code == 302


def test_on_postgresql_the_commands_point_to_pg_dump(tmp_path):
    app = create_app(build_config("postgresql+psycopg://nobody@127.0.0.1:1/none", tmp_path))
    result = app.test_cli_runner().invoke(args=["eventkit", "backup", str(tmp_path / "x.db")])
    assert result.exit_code != 0 and "pg_dump" in result.output
