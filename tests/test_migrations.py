"""The schema comes only from the migrations: from empty, and back and forth on real data."""
from __future__ import annotations

from datetime import timedelta

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from conftest import build_config
from sqlalchemy import create_engine, insert, inspect, select, text
from sqlalchemy.engine import make_url

from eventkit import create_app
from eventkit.attendees.access import attendee_for_token
from eventkit.attendees.models import Attendee, Person
from eventkit.auth.models import Organiser
from eventkit.db import db, utcnow
from eventkit.events.models import Event, Tag
from eventkit.profiles.models import Intent
from eventkit.security import hash_token, new_token
from eventkit.text import name_key


@pytest.fixture
def scratch_url(database_url, tmp_path):
    """An empty database of the same kind as the suite's, dropped afterwards."""
    if not database_url.startswith("postgresql"):
        yield f"sqlite:///{tmp_path / 'scratch.db'}"
        return
    url = make_url(database_url)
    name = f"{url.database}_migrations"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def scratch_app(scratch_url, tmp_path):
    app = create_app(build_config(scratch_url, tmp_path))
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def head_revision(app) -> str:
    with app.app_context():
        config = app.extensions["migrate"].migrate.get_config()
        return ScriptDirectory.from_config(config).get_current_head()


def current_revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def test_upgrade_from_empty_builds_exactly_the_models(scratch_app):
    with scratch_app.app_context():
        assert inspect(db.engine).get_table_names() == []
        flask_migrate.upgrade()
        assert current_revision() == head_revision(scratch_app)
        with db.engine.connect() as conn:
            differences = compare_metadata(MigrationContext.configure(conn), db.metadata)
        assert differences == []


def _populate() -> int:
    organiser = Organiser(email="mig@example.org", name="Mig")
    organiser.set_password("a long enough password")
    starts = utcnow() + timedelta(days=3)
    event = Event(slug="mig", owner=organiser, title="Migration dinner", starts_at=starts,
                  ends_at=starts + timedelta(hours=2))
    tag = Tag(name="Rust")
    event.tags = [tag]
    guest = Attendee(event=event, person=Person(email="g@example.com"), name="Gina", email="g@example.com")
    db.session.add_all([event, guest, Intent(attendee=guest, kind="offer", tag=tag, text="Rust reviews")])
    db.session.flush()
    guest_id = guest.id
    db.session.commit()
    db.session.close()  # hold no transaction while the migrations run
    return guest_id


def test_round_trip_on_a_populated_database_keeps_data(scratch_app):
    with scratch_app.app_context():
        flask_migrate.upgrade()
        guest_id = _populate()
        flask_migrate.downgrade(revision="0001")
        flask_migrate.upgrade()
        db.session.expire_all()
        guest = db.session.get(Attendee, guest_id)
        assert guest.name == "Gina"
        assert [intent.text for intent in guest.intents] == ["Rust reviews"]
        db.session.close()
        flask_migrate.downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}
        flask_migrate.upgrade()
        assert current_revision() == head_revision(scratch_app)
        assert db.session.scalars(select(Attendee)).all() == []


def test_name_keys_are_filled_for_existing_guests_in_batches(scratch_app):
    """0007 computes attendee.name_key in Python for rows written before it (more rows than one batch)."""
    with scratch_app.app_context():
        flask_migrate.upgrade()
        guest_id = _populate()
        names = ["Émile Zola", "Łukasz Nowak", "Αλέξανδρος", *(f"Zoë {n}" for n in range(1100))]
        rows = [{"event_id": db.session.get(Attendee, guest_id).event_id, "person_id": person_id, "name": name,
                 "email": f"m{n}@example.com", "session_version": f"v{n}", "checkin_seed": f"s{n}",
                 "checkin_code_hash": f"c{n}"}
                for n, (name, person_id) in enumerate(zip(names, _people(len(names))))]
        db.session.execute(insert(Attendee), rows)
        db.session.commit()
        db.session.close()
        flask_migrate.downgrade(revision="0006")
        assert "name_key" not in {column["name"] for column in inspect(db.engine).get_columns("attendee")}
        flask_migrate.upgrade()
        column = {c["name"]: c for c in inspect(db.engine).get_columns("attendee")}["name_key"]
        assert column["nullable"] is False
        stored = db.session.execute(select(Attendee.name, Attendee.name_key)).all()
        db.session.close()
        assert len(stored) == len(names) + 1
        assert all(key == name_key(name) for name, key in stored)
        assert {"emile zola", "lukasz nowak", "αλεξανδροσ", "zoe 1099"} <= {key for _, key in stored}


def _people(count: int) -> list[int]:
    db.session.execute(insert(Person), [{"email": f"m{n}@example.com", "created_at": utcnow()} for n in range(count)])
    return list(db.session.scalars(select(Person.id).where(Person.email.like("m%@example.com")).order_by(Person.id)))


def test_downgrading_0006_fails_messages_still_waiting_for_an_attachment(scratch_app):
    from eventkit.mail.models import MailStatus, OutboundEmail
    from eventkit.mail.services import Attachment, queue_email

    with scratch_app.app_context():
        flask_migrate.upgrade()
        common = dict(to_email="g@example.com", template="notice", purpose="notice", title="T", body="b")
        waiting = queue_email(dedupe_key="waiting", **common,
                              attachments=(Attachment.made_when_sent("b.pdf", "application/pdf", "briefing", n=1),)).id
        ready = queue_email(dedupe_key="ready", **common, attachments=(Attachment("a.txt", "text/plain", b"x"),)).id
        db.session.commit()
        db.session.close()
        flask_migrate.downgrade(revision="0005")
        with db.engine.connect() as conn:
            rows = {row.id: row for row in conn.execute(text("SELECT id, status, last_error FROM outbound_email"))}
            attachments = conn.execute(text("SELECT email_id, content FROM outbound_attachment")).all()
        assert rows[waiting].status == MailStatus.FAILED and "made at send time" in rows[waiting].last_error
        assert rows[ready].status == MailStatus.PENDING
        assert [(a.email_id, bytes(a.content)) for a in attachments] == [(ready, b"x")]
        flask_migrate.upgrade()
        assert db.session.get(OutboundEmail, ready).attachments[0].producer is None


def test_downgrades_that_would_delete_check_ins_refuse_and_keep_them(scratch_app, capfd):
    from eventkit.checkin.models import CheckIn

    with scratch_app.app_context():
        flask_migrate.upgrade()
        guest_id = _populate()
        event_id = db.session.get(Attendee, guest_id).event_id
        db.session.add(CheckIn(event_id=event_id, attendee_id=guest_id, method="search"))
        db.session.commit()
        db.session.close()
        with pytest.raises(SystemExit):
            flask_migrate.downgrade(revision="0001")
        assert "Refusing to downgrade below revision 0003: it would delete 1 check-in records" in capfd.readouterr().err
        flask_migrate.upgrade()
        assert current_revision() == head_revision(scratch_app)
        assert db.session.scalars(select(CheckIn.attendee_id)).all() == [guest_id]
        db.session.close()


def test_0012b_moves_tokens_to_guest_links_keeps_children_and_scrubs_stored_links(scratch_app):
    """Existing links and sessions keep working, nothing that refers to a guest is lost in the SQLite
    table rebuild, and stored email bodies lose their working links (also back down to 0007)."""
    token = new_token()
    with scratch_app.app_context():
        flask_migrate.upgrade(revision="0007")
        guest_id = _populate_at_0007(token)
        flask_migrate.upgrade()
        db.session.expire_all()
        guest = db.session.get(Attendee, guest_id)
        assert attendee_for_token(token).id == guest_id
        assert guest.session_version == hash_token(token)[:16], "open sessions stay signed in"
        assert [intent.text for intent in guest.intents] == ["Rust reviews"]
        body = db.session.execute(text("SELECT body_text, body_html FROM outbound_email")).one()
        assert token not in body.body_text + body.body_html and "/g/[link-removed]" in body.body_text
        assert "followup/go/[link-removed]" in body.body_html
        db.session.close()
        flask_migrate.downgrade(revision="0007")
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT token_hash FROM attendee")).scalar_one() == hash_token(token)
            assert conn.execute(text("SELECT count(*) FROM intent")).scalar_one() == 1


def _populate_at_0007(token: str) -> int:
    now = utcnow()
    with db.engine.begin() as conn:
        conn.execute(text("INSERT INTO organiser (email, name, password_hash, created_at) VALUES "
                          "('m@example.org', 'M', 'x', :now)"), {"now": now})
        organiser_id = conn.execute(text("SELECT id FROM organiser")).scalar_one()
        event = {"slug": "m", "title": "M", "owner_id": organiser_id, "starts_at": now, "ends_at": now + timedelta(hours=2)}
        columns = {c["name"]: c for c in inspect(conn).get_columns("event")}
        required = {name: _default_for(c) for name, c in columns.items()
                    if not c["nullable"] and name not in event and name != "id"}
        values = {**required, **event}
        conn.execute(text(f"INSERT INTO event ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})"), values)
        event_id = conn.execute(text("SELECT id FROM event")).scalar_one()
        conn.execute(text("INSERT INTO tag (event_id, name) VALUES (:e, 'Rust')"), {"e": event_id})
        conn.execute(text("INSERT INTO person (email, created_at) VALUES ('g@example.com', :now)"), {"now": now})
        guest = {"event_id": event_id, "person_id": conn.execute(text("SELECT id FROM person")).scalar_one(),
                 "name": "Gina", "name_key": "gina", "email": "g@example.com", "token_hash": hash_token(token),
                 "token_rotated_at": now, "checkin_seed": "seed", "checkin_code_hash": "code", "status": "registered"}
        columns = {c["name"]: c for c in inspect(conn).get_columns("attendee")}
        values = {**{n: _default_for(c) for n, c in columns.items() if not c["nullable"] and n not in guest and n != "id"},
                  **guest}
        conn.execute(text(f"INSERT INTO attendee ({', '.join(values)}) VALUES ({', '.join(':' + k for k in values)})"), values)
        guest_id = conn.execute(text("SELECT id FROM attendee")).scalar_one()
        conn.execute(text("INSERT INTO intent (attendee_id, kind, tag_id, text, created_at) VALUES "
                          "(:a, 'offer', (SELECT id FROM tag), 'Rust reviews', :now)"), {"a": guest_id, "now": now})
        link = f"http://eventkit.test/g/{token}"
        one_click = "http://eventkit.test/e/m/followup/go/12.abcdef0123456789.task.3.Zm9v.YmFy"
        conn.execute(text(
            "INSERT INTO outbound_email (event_id, to_email, to_name, subject, body_text, body_html, purpose, dedupe_key, "
            "status, attempts, next_attempt_at, last_error, created_at) VALUES (:e, 'g@example.com', 'Gina', 'Hi', "
            ":text, :html, 'invitation', 'k', 'sent', 1, :now, '', :now)"),
            {"e": event_id, "text": f"Open {link}\n", "html": f'<a href="{link}">x</a> <a href="{one_click}">y</a>',
             "now": now})
    return guest_id


def _default_for(column) -> object:
    """A value for a NOT NULL column the test does not care about."""
    kind = str(column["type"]).upper()
    if "INT" in kind:
        return 40
    if "BOOL" in kind:
        return False
    if "TIME" in kind or "DATE" in kind:
        return utcnow()
    if "JSON" in kind:
        return "[]"
    return ""
