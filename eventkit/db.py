"""Database plumbing: the SQLAlchemy object, column types and transaction helpers.

One place commits: the request hook in `eventkit.errors` (or a CLI command). Services only
`flush()`; a service that must undo its own partial work wraps it in `atomic()`.
"""
from __future__ import annotations

import re
import sqlite3
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

from flask import g, has_request_context, request
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import Column, DateTime, MetaData, String, Table, cast, event, func, select
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


def in_transaction() -> bool:
    """Whether this context's session has begun a transaction. A request that never used its session
    (a door scan whose door came from the door cache writes in its group commit's own transaction)
    has none, and asking does not create one: a session's set-up and its close at teardown cost such
    a request about a tenth of its writes."""
    return db.session.registry.has() and db.session().in_transaction()


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


def keep_until_request_ends(*objects) -> None:
    """Keep `objects` alive until the request's application context ends, after its commit.

    A view's locals are freed when it returns, before the request hook in `eventkit.errors` commits:
    freeing thousands of rows (a 2,000-guest import's, with their rendered invitations) takes
    milliseconds that would be spent holding the write lock. Outside a request: does nothing.
    """
    if has_request_context():
        g.setdefault(_KEPT_KEY, []).extend(objects)


_KEPT_KEY = "_eventkit_kept_until_request_ends"


def _end_reads() -> None:
    session = db.session
    if session.new or session.dirty or session.deleted:
        raise RuntimeError("reading() would discard unsaved changes: flush and commit them first")
    session.rollback()


def locked(query):
    """`query` locking the rows it reads until the transaction ends (PostgreSQL; SQLite holds its write lock):
    the lock that makes concurrent writers of the same thing queue behind one another.

    `FOR NO KEY UPDATE`, not `FOR UPDATE`: it queues those writers just as well, but not the rows that
    merely reference a locked one. A check-in's foreign key on its gathering takes a KEY SHARE lock,
    which `FOR UPDATE` blocks: a door scan then waited for a whole import (tests/test_checkin_row_locks.py).
    (The claims that skip rows another worker holds use `with_for_update(skip_locked=True)` themselves.)
    """
    return query.with_for_update(key_share=True)


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


def raw_rows(table: Table, rows: list[dict], *, late: Sequence[str] = ()) -> tuple[tuple[str, ...], list[tuple]]:
    """The rows of `table` as the DBAPI takes them, for `executemany_raw`: (columns, one tuple per row).

    Made before a write transaction starts, so that inside it (on SQLite: holding the write lock) only
    the executemany runs. Each value goes through its column type's own bind processor for this
    session's dialect (what SQLAlchemy does per row at execute time: the same datetime text on
    SQLite, the same JSON), and a column a row leaves out gets its Python-side default, as a Core
    insert would. The `late` columns (values known only inside the write, such as ids) are left out
    of the tuples: the caller puts their values, processed with `bind_processor`, in front of each.
    """
    dialect = db.session.get_bind().dialect
    given = set().union(*(row.keys() for row in rows)) - set(late)
    columns = tuple(c.key for c in table.columns if c.key in given or (c.key not in late and _python_default(c)))
    unknown = given - {c.key for c in table.columns}
    if unknown:
        raise KeyError(f"{table.name} has no column {sorted(unknown)}")
    steps = [(key, _python_default(table.c[key]), bind_processor(table, key, dialect)) for key in columns]
    return tuple(late) + columns, [tuple(_raw_value(row, key, default, process) for key, default, process in steps)
                                   for row in rows]


def _python_default(column):
    """The column's Python-side default (scalar or callable), or None."""
    default = column.default
    if default is None or not (default.is_scalar or default.is_callable):
        return None
    return default


class _DefaultContext:
    """What a callable column default is called with (it may read the row's other values)."""

    def __init__(self, row: dict):
        self.row = row

    def get_current_parameters(self, isolate_multiinsert_groups: bool = True) -> dict:
        return self.row


def _raw_value(row: dict, key: str, default, process):
    if key in row:
        value = row[key]
    elif default is None:
        value = None
    elif default.is_scalar:
        value = default.arg
    else:
        value = default.arg(_DefaultContext(row))
    return value if process is None or value is None else process(value)


def bind_processor(table: Table, key: str, dialect=None):
    """The function SQLAlchemy turns a Python value of column `key` into the DBAPI's with (or None)."""
    return type_bind_processor(table.c[key].type, dialect or db.session.get_bind().dialect)


def type_bind_processor(type_, dialect):
    """The function SQLAlchemy turns a Python value of type `type_` into the DBAPI's with for `dialect`
    (or None): the one it applies at execute time, memoised per dialect. For statements run on the
    DBAPI cursor (`raw_rows`, `eventkit.prepared`), so that they store values exactly as Core does."""
    return type_._cached_bind_processor(dialect)


def type_result_processor(type_, dialect):
    """The function SQLAlchemy turns a DBAPI value of a column of type `type_` into Python's with for
    `dialect` (or None), memoised per dialect: `type_bind_processor`'s way back, for rows read on the
    DBAPI cursor (`eventkit.prepared`)."""
    return type_._cached_result_processor(dialect, None)


def executemany_raw(table: Table, columns: Sequence[str], rows: list[tuple],
                    conflict_columns: Sequence[str] = (), looked_up: Mapping[str, Column] | None = None,
                    shared: Mapping[str, object] | None = None) -> None:
    """INSERT the `raw_rows` tuples with one executemany on the DBAPI cursor, in the session's transaction.

    SQLAlchemy's Core executemany processes every parameter of every row at execute time (about
    70 ms of a 2,000-guest import, under SQLite's write lock); these values are processed already,
    so the driver gets them as they are, on both dialects (psycopg takes the same tuples with its
    own placeholders). `conflict_columns`: ON CONFLICT (...) DO NOTHING, as `insert_ignore_many`.
    `looked_up`: {column: unique key column of another table}: for these columns the tuples give
    that key (e.g. a person's email), and the insert stores the id of the row with it, looked up
    by the statement itself (`(SELECT id FROM person WHERE email = ?)` per row): rows that refer to
    rows written just before in the same transaction are made before it, without their ids.
    `shared`: {column: value} the same for every row (see `split_shared`), written once into the
    statement as a literal instead of being bound again for each row.
    """
    if not rows:
        return
    connection = db.session.connection()
    quote = connection.dialect.identifier_preparer.quote
    marker = _marker(connection.dialect)
    looked_up = looked_up or {}
    values = [f"(SELECT {quote('id')} FROM {quote(looked_up[c].table.name)} WHERE {quote(looked_up[c].name)} = {marker})"
              if c in looked_up else marker for c in columns]
    shared = shared or {}
    values += [_literal(value) for value in shared.values()]
    sql = (f"INSERT INTO {quote(table.name)} ({', '.join(quote(c) for c in (*columns, *shared))}) "
           f"VALUES ({', '.join(values)})")
    if conflict_columns:
        sql += f" ON CONFLICT ({', '.join(quote(c) for c in conflict_columns)}) DO NOTHING"
    connection.exec_driver_sql(sql, rows)


#: text a SQL string literal holds as it is on every dialect and driver: no quote or backslash to
#: escape, no % (psycopg's placeholders), no ? (sqlite3's), no control character
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9 _.:+\-\[\]{}@,/=#<>]*")


def _literal_ok(value) -> bool:
    return value is None or type(value) is int or (isinstance(value, str) and _PLAIN_TEXT.fullmatch(value) is not None)


def _literal(value) -> str:
    """`value` as a SQL literal; only for values `_literal_ok` accepts (nothing that could need escaping)."""
    if not _literal_ok(value):
        raise ValueError(f"not a plain literal: {value!r}")
    if value is None:
        return "NULL"
    return str(value) if type(value) is int else f"'{str.__str__(value)}'"


def split_shared(raw: tuple[tuple[str, ...], list[tuple]], late: int = 0) -> tuple[tuple, list[tuple], dict]:
    """`raw_rows` (columns, tuples) as (columns, tuples, shared) for `executemany_raw`: the columns
    with the same value in every row, if a plain one (NULL, an integer, text without quotes or
    backslashes, such as the import's timestamps, status and defaults), move to `shared`, which the
    statement carries once, so the driver binds only the values that differ (binding is a third of
    an executemany's time). The first `late` columns (given in front of each tuple later) stay."""
    columns, rows = raw
    if len(rows) < 2:
        return columns, rows, {}
    keep, shared = [], {}
    for index, values in enumerate(zip(*rows)):
        first = values[0]
        if _literal_ok(first) and values.count(first) == len(values):
            shared[columns[late + index]] = first
        else:
            keep.append(index)
    return (columns[:late] + tuple(columns[late + i] for i in keep), [tuple(row[i] for i in keep) for row in rows],
            shared)


def ids_by(table: Table, key: str, values: list, **equal) -> dict:
    """{key: id} of the rows of `table` whose column `key` is one of `values` (and whose columns equal
    `equal`): one SELECT straight on the driver, without building 2,000 bound parameters and
    ORM rows. For columns whose values the driver takes as they are (strings, integers)."""
    if not values:
        return {}
    connection = db.session.connection()
    dialect = connection.dialect
    for column in (key, *equal):
        if bind_processor(table, column, dialect) is not None:
            raise TypeError(f"{table.name}.{column} needs its values processed: use a Core select")
    quote = dialect.identifier_preparer.quote
    marker = _marker(dialect)
    where = " AND ".join([f"{quote(key)} IN ({', '.join(marker for _ in values)})",
                          *(f"{quote(column)} = {marker}" for column in equal)])
    sql = f"SELECT {quote(key)}, {quote('id')} FROM {quote(table.name)} WHERE {where}"
    return dict(connection.exec_driver_sql(sql, (*values, *equal.values())).all())


def id_lines(table: Table, columns: Sequence[str], first_id: int, last_id: int) -> str:
    """The rows of `table` with ids `first_id`..`last_id` as one text, one line per row in id order:
    its id and `columns`, separated by spaces (`id_lines_of` makes the same text from values).

    One SELECT that returns one value: after inserting rows made for the ids they were expected to
    get, comparing this with the text made beforehand tells whether they got them, without fetching
    an id per row. Only the last of `columns` may hold spaces; none may hold a newline."""
    line = cast(table.c.id, String)
    for column in columns:
        line = line + " " + cast(table.c[column], String)
    rows = select(line.label("line")).where(table.c.id.between(first_id, last_id)).order_by(table.c.id).subquery()
    return db.session.connection().execute(select(func.aggregate_strings(rows.c.line, "\n"))).scalar() or ""


def key_lines(table: Table, key: str, values: list) -> str:
    """The rows of `table` whose column `key` (unique) is one of `values`, as `id_lines` gives them with
    `[key]` (a line "id key" per row, in id order): read from the unique index alone, not the rows.
    For columns whose values the driver takes as they are (as `ids_by`)."""
    if not values:
        return ""
    connection = db.session.connection()
    dialect = connection.dialect
    if bind_processor(table, key, dialect) is not None:
        raise TypeError(f"{table.name}.{key} needs its values processed: use a Core select")
    quote = dialect.identifier_preparer.quote
    marker = _marker(dialect)
    aggregate = "string_agg" if dialect.name == "postgresql" else "group_concat"
    sql = (f"SELECT {aggregate}(line, {marker}) FROM (SELECT CAST({quote('id')} AS VARCHAR) || ' ' || {quote(key)} "
           f"AS line FROM {quote(table.name)} WHERE {quote(key)} IN ({', '.join(marker for _ in values)}) "
           f"ORDER BY {quote('id')}) AS lines")
    return connection.exec_driver_sql(sql, ("\n", *values)).scalar() or ""


def id_lines_of(ids: Sequence[int], *columns: Sequence) -> str:
    """The text `id_lines` gives for rows with these ids and column values."""
    return "\n".join(" ".join(map(str, values)) for values in zip(ids, *columns))


def _marker(dialect) -> str:
    """The DBAPI's positional placeholder (sqlite3: ?, psycopg: %s)."""
    return {"qmark": "?", "format": "%s", "pyformat": "%s"}[dialect.paramstyle]


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
