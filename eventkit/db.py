"""Database plumbing: the SQLAlchemy object, column types and transaction helpers.

One place commits: the request hook in `eventkit.errors` (or a CLI command). Services only
`flush()`; a service that must undo its own partial work wraps it in `atomic()`.
"""
from __future__ import annotations

import sqlite3
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, MetaData, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
SQLITE_BUSY_TIMEOUT_MS = 10_000
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
#: set inside `reading()`: SQLite transactions begin without taking the write lock
_reading: ContextVar[bool] = ContextVar("eventkit_reading", default=False)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the only kind the models accept)."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """An aware datetime stored as UTC; SQLite keeps it naive, PostgreSQL as timestamptz."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTCDateTime column")
        value = value.astimezone(timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


@contextmanager
def atomic():
    """Run a block in a SAVEPOINT: on an exception its writes are undone and it re-raises."""
    with db.session.begin_nested():
        yield


@contextmanager
def reading():
    """A block that only reads, in a transaction of its own that takes no write lock on SQLite.

    The transaction in progress is ended first (it must hold no unsaved changes), and the block's
    own is ended after it: slow work on what was read (rendering emails or PDFs) then holds no lock,
    and the writes that follow start a short write transaction of their own. Objects loaded in the
    block are expired after it; carry plain values out of it.
    """
    _end_reads()
    token = _reading.set(True)
    try:
        yield
    finally:
        _reading.reset(token)
        _end_reads()


def _end_reads() -> None:
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("reading() would discard unsaved changes: flush and commit them first")
    session.rollback()


def _insert_ignoring(model, conflict_columns: list[str]):
    """INSERT ... ON CONFLICT (conflict_columns) DO NOTHING in this session's dialect."""
    module = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    return module.insert(model).on_conflict_do_nothing(index_elements=conflict_columns)


def insert_ignore(model, values: dict, conflict_columns: list[str]) -> int | None:
    """INSERT a row unless its unique key already exists (both dialects); the new id, or None."""
    stmt = _insert_ignoring(model, conflict_columns).values(**values).returning(model.id)
    return db.session.execute(stmt).scalar_one_or_none()


def insert_ignore_many(model, rows: list[dict], conflict_columns: list[str]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING for a batch of rows (one executemany on both dialects)."""
    if rows:
        db.session.execute(_insert_ignoring(model, conflict_columns), rows)


def insert_new_rows(model, rows: list[dict], conflict_columns: list[str], *returning, chunk: int = 100) -> list:
    """Multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING `returning`, for the rows actually inserted.

    One statement per `chunk` rows (both dialects), so queuing 80 messages costs one round trip.
    """
    inserted = []
    for start in range(0, len(rows), chunk):
        stmt = _insert_ignoring(model, conflict_columns).values(rows[start:start + chunk]).returning(*returning)
        inserted.extend(db.session.execute(stmt).all())
    return inserted


def _wants_write_lock() -> bool:
    """SQLite: take the write lock at BEGIN for anything but a safe HTTP request.

    Deferred transactions that read, then write, fail with SQLITE_BUSY under concurrency in WAL
    mode (the busy timeout cannot help them); BEGIN IMMEDIATE queues writers instead.
    """
    if _reading.get():
        return False
    if has_request_context():
        return request.method not in SAFE_METHODS
    return True


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, _record):
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None  # BEGIN is emitted by _begin_sqlite below
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


#: called with the connection just before an SQLite write transaction's BEGIN IMMEDIATE (see `before_write_begin`)
_before_write_begin: list = []


def before_write_begin(hook):
    """Decorator: call `hook(connection)` just before every SQLite write transaction takes the write lock.

    A hook, not a second "begin" listener: SQLAlchemy copies class-level listeners to each engine in
    its own order, so a listener cannot rely on running before `_begin_sqlite` (the door's writer
    gate did, and was taken after the lock it was meant to queue for).
    """
    _before_write_begin.append(hook)
    return hook


@event.listens_for(Engine, "begin")
def _begin_sqlite(connection):
    if connection.dialect.name != "sqlite":
        return
    write = _wants_write_lock()
    if write:
        for hook in _before_write_begin:
            hook(connection)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
