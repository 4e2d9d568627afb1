"""Shared fixtures: an app on a migrated database (SQLite or PostgreSQL), clients and factories.

The database comes from `TEST_DATABASE_URL` (e.g. postgresql://postgres@127.0.0.1:5432/test);
without it, a SQLite file in a temporary folder. The schema is built once per session by the
migrations, then every test starts from empty tables.
"""
from __future__ import annotations

import itertools
import os
import re
from datetime import datetime, timedelta, timezone
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from types import SimpleNamespace

import flask_migrate
import pytest
from sqlalchemy import create_engine, text

from eventkit import create_app
from eventkit.attendees.models import Attendee, AttendeeStatus, Person
from eventkit.auth.models import Organiser
from eventkit.checkin.models import DoorLink
from eventkit.config import normalise_database_url
from eventkit.db import db, utcnow
from eventkit.events.models import Event, EventStatus, Tag
from eventkit.mail.sender import send_due
from eventkit.profiles.models import Intent

pytest_plugins = ["smtp_fixtures", "browser_fixtures"]  # smtp_server, smtp_app, live_server for any test module

PASSWORD = "correct horse battery staple"
DEFAULT_TAGS = ("Fundraising", "Hiring", "Rust", "Design feedback", "Climate policy", "Go-to-market")
_counter = itertools.count(1)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'eventkit-test.db'}"


def reset_postgres_schema(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(database_url, tmp_path_factory) -> str:
    """Build the schema once per test session, with the migrations (never create_all)."""
    if database_url.startswith("postgresql"):
        reset_postgres_schema(database_url)
    app = create_app(build_config(database_url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    return database_url


def build_config(database_url: str, instance_dir, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "WTF_CSRF_ENABLED": False,
        "BASE_URL": "http://eventkit.test",
        "SERVER_NAME": None,
        "OUTBOX_DIR": str(instance_dir / "outbox"),
        # a queue of its own for every test (tests/queue_helpers.py drains it in-process)
        "QUEUE_URL": f"sqlite:///{instance_dir / 'queue.db'}",
        "MAIL_SERVER": "",
        "ALLOW_SIGNUP": True,
        # scrypt costs ~100 ms per hash; production keeps it, the suite needs thousands of hashes
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
    }
    config.update(overrides)
    return config


def _empty_tables() -> None:
    tables = [table.name for table in reversed(db.metadata.sorted_tables)]
    if db.engine.dialect.name == "postgresql":
        quoted = ", ".join(f'"{name}"' for name in tables)
        db.session.execute(text(f"TRUNCATE {quoted} RESTART IDENTITY CASCADE"))
    else:
        for name in tables:
            db.session.execute(text(f'DELETE FROM "{name}"'))
    db.session.commit()


@pytest.fixture
def app_config() -> dict:
    """Override in a test module (or parametrize indirectly) to change the app's config."""
    return {}


@pytest.fixture
def app(migrated_database, tmp_path, app_config):
    app = create_app(build_config(migrated_database, tmp_path, **app_config))
    yield app
    with app.app_context():
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def _save(app, obj):
    """Commit `obj` in its own app context and return it with its columns loaded."""
    with app.app_context():
        db.session.add(obj)
        db.session.commit()
        db.session.refresh(obj)
        db.session.expunge(obj)
    return obj


@pytest.fixture
def make_organiser(app):
    def make(email: str | None = None, name: str = "Olivia Organiser", password: str = PASSWORD) -> Organiser:
        organiser = Organiser(email=email or f"organiser{next(_counter)}@example.org", name=name)
        with app.app_context():
            organiser.set_password(password)
        return _save(app, organiser)

    return make


@pytest.fixture
def organiser(make_organiser) -> Organiser:
    return make_organiser(email="olivia@example.org")


@pytest.fixture
def make_event(app, organiser):
    def make(owner: Organiser | None = None, tags=DEFAULT_TAGS, **fields) -> Event:
        n = next(_counter)
        starts = fields.pop("starts_at", datetime.now(timezone.utc).replace(microsecond=0) + timedelta(days=14))
        values = {
            "slug": f"gathering-{n}",
            "title": f"Climate founders dinner #{n}",
            "theme": "Climate-tech founders and the engineers who build for them",
            "venue": "The Long Table, 12 Canal Street",
            "timezone": "Europe/Amsterdam",
            "starts_at": starts,
            "ends_at": starts + timedelta(hours=3),
            "capacity": 40,
            "status": EventStatus.OPEN,
        }
        values.update(fields)
        event = Event(owner_id=(owner or organiser).id, **values)
        event.tags = [Tag(name=name) for name in tags]
        return _save(app, event)

    return make


@pytest.fixture
def event(make_event) -> Event:
    return make_event()


@pytest.fixture
def make_attendee(app):
    """Create a guest; the returned object carries `.token` (magic link) and `.code` (check-in)."""

    def make(event: Event, name: str | None = None, email: str | None = None,
             status: str = AttendeeStatus.REGISTERED, **fields) -> Attendee:
        n = next(_counter)
        email = (email or f"guest{n}@example.com").lower()
        with app.app_context():
            person = db.session.query(Person).filter_by(email=email).first() or Person(email=email)
            attendee = Attendee(event_id=event.id, person=person, name=name or f"Guest {n}", email=email,
                                status=status, **fields)
            token = attendee.rotate_token()
            code = attendee.checkin_code
            db.session.add(attendee)
            db.session.commit()
            db.session.refresh(attendee)
            db.session.expunge(attendee)
        attendee.token = token
        attendee.code = code
        return attendee

    return make


@pytest.fixture
def deliver(app):
    """`deliver()` sends every email due (as .eml files) and returns the messages this call delivered."""
    seen: set[Path] = set()

    def run(now: datetime | None = None) -> list[EmailMessage]:
        with app.app_context():
            send_due(now or utcnow())
        outbox = Path(app.config["OUTBOX_DIR"])
        paths = sorted(path for path in outbox.glob("*.eml") if path not in seen) if outbox.exists() else []
        seen.update(paths)
        return [message_from_bytes(path.read_bytes(), policy=policy.default) for path in paths]

    return run


def links_in(message: EmailMessage, path: str = "/g/") -> list[str]:
    """The tokens of every `BASE_URL<path><token>` link in a delivered message's text part."""
    text = message.get_body(("plain",)).get_content()
    return re.findall(re.escape(f"http://eventkit.test{path}") + r"([A-Za-z0-9._~-]+)", text)


@pytest.fixture
def make_intent(app):
    def make(attendee: Attendee, kind: str, tag: str, text: str = "") -> Intent:
        with app.app_context():
            tag_row = db.session.query(Tag).filter_by(event_id=attendee.event_id, name=tag).one()
            intent = Intent(attendee_id=attendee.id, kind=kind, tag_id=tag_row.id, text=text)
            db.session.add(intent)
            db.session.commit()
            db.session.refresh(intent)
            db.session.expunge(intent)
        return intent

    return make


@pytest.fixture
def login(client):
    """Sign an organiser in on `client` (or another client) without going through the form."""

    def do_login(organiser: Organiser, on=None):
        with (on or client).application.app_context():
            session_id = organiser.get_id()  # derived with the app's key
        with (on or client).session_transaction() as session:
            session["_user_id"] = session_id
            session["_fresh"] = True

    return do_login


@pytest.fixture
def guest_login(client):
    """Sign a guest in on `client` (or another client) for their own gathering."""

    def do_login(attendee: Attendee, on=None):
        with (on or client).session_transaction() as session:
            guests = dict(session.get("guests", {}))
            guests[str(attendee.event_id)] = [attendee.id, attendee.session_version]
            session["guests"] = guests

    return do_login


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(app):
    """`with count_queries() as counter: ...` counts the SQL statements run inside the block."""
    from contextlib import contextmanager

    from sqlalchemy import event as sa_event

    @contextmanager
    def counting():
        counter = QueryCounter()
        with app.app_context():
            engine = db.engine
        sa_event.listen(engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            sa_event.remove(engine, "before_cursor_execute", counter)

    return counting


@pytest.fixture
def make_door(app):
    """A door link of a gathering: make(event, label, revoked) -> (id, secret, label, event_id)."""

    def make(event, label="Front door", revoked=False):
        with app.app_context():
            link = DoorLink(event_id=event.id, label=label, revoked_at=utcnow() if revoked else None)
            secret = link.issue_secret()
            db.session.add(link)
            db.session.commit()
            return SimpleNamespace(id=link.id, secret=secret, label=label, event_id=event.id)

    return make


@pytest.fixture
def sqlite_file(database_url):
    """The test database's file, for tests of SQLite's write lock and the writer gate (skipped on PostgreSQL)."""
    from sqlalchemy.engine import make_url

    from eventkit import write_gate

    url = make_url(database_url)
    if write_gate.path_for(url) is None:
        pytest.skip("the writer gate is for SQLite files only (PostgreSQL queues writers on its row locks)")
    return url.database
