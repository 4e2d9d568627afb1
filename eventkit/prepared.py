"""Prepared statements for the hot paths: a Core statement compiled once per dialect, run on the DBAPI cursor.

Through `Connection.execute`, SQLAlchemy's execution layer costs 20-25 µs per statement (the
compiled-cache lookup, bind processing, the result's set-up) on top of SQLite's own few µs: on the
door's welcome scan (four statements) that was 40 % of the request. `Prepared` compiles its statement
once per dialect and runs it on the DBAPI connection of the session's connection, inside the
session's transaction (so the request's one commit still ends it), with the very bind processors
SQLAlchemy would apply: rows are stored exactly as through Core, on SQLite and PostgreSQL alike.
Pass it the connection (`db.session.connection()`, taken once per unit of work: each call of that
costs about as much as the statement itself).

The engine's `before_cursor_execute` listeners still see every statement (the tests count statements
per request with them). Results are plain DBAPI tuples, without SQLAlchemy's result processing: use
it for statements whose returned columns need none (integers and strings).
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import ClauseElement

from eventkit.db import type_bind_processor, type_result_processor


class Processed(dict):
    """Parameters (by name) already in the driver's form, each made by its column's bind processor
    (`eventkit.db.type_bind_processor`): a value used by several statements (a scan's time, its
    answer as JSON) is then processed once, not once per statement."""


class Prepared:
    """`statement` (Core; or a mapping of dialect names to statements, for dialect-specific SQL such as
    `INSERT ... ON CONFLICT`), compiled once per dialect; `columns`: the columns an INSERT sets."""

    def __init__(self, statement: ClauseElement | Mapping[str, ClauseElement], columns: Sequence[str] | None = None):
        self.statement = statement
        self.columns = list(columns) if columns is not None else None
        self._compiled: dict[str, tuple[str, bool, tuple]] = {}
        self._results: dict[str, list] = {}

    def _statement_for(self, dialect: Dialect) -> ClauseElement:
        return self.statement[dialect.name] if isinstance(self.statement, Mapping) else self.statement

    def _for(self, dialect: Dialect) -> tuple[str, bool, tuple]:
        """(SQL text, positional?, ((parameter name, bind processor or None), ...)) for `dialect`."""
        entry = self._compiled.get(dialect.name)
        if entry is None:
            statement = self._statement_for(dialect)
            compiled = statement.compile(dialect=dialect, column_keys=self.columns)
            names = compiled.positiontup if compiled.positional else list(compiled.binds)
            binds = tuple((name, type_bind_processor(compiled.binds[name].type, dialect)) for name in names)
            entry = self._compiled[dialect.name] = (compiled.string, compiled.positional, binds)
        return entry

    def execute(self, connection: Connection, processed: Processed | None = None, /, **params):
        """Run on `connection` (the session's: `db.session.connection()`, inside its transaction); the
        DBAPI cursor. `processed`: every parameter already in the driver's form (`Processed`), instead
        of `params` through the bind processors."""
        sql, positional, binds = self._for(connection.dialect)
        if processed is not None:
            values = [processed[name] for name, _ in binds]
        else:
            values = [process(params[name]) if process else params[name] for name, process in binds]
        parameters = values if positional else dict(zip((name for name, _ in binds), values))
        cursor = connection.connection.driver_connection.cursor()
        _announce(connection, cursor, sql, parameters)
        cursor.execute(sql, parameters)
        return cursor

    def first(self, connection: Connection, processed: Processed | None = None, /, **params) -> tuple | None:
        """The first row the statement returns, as a plain tuple (None if none)."""
        rows = self.all(connection, processed, **params)
        return rows[0] if rows else None

    def all(self, connection: Connection, processed: Processed | None = None, /, **params) -> list[tuple]:
        """Every row the statement returns, as plain tuples."""
        cursor = self.execute(connection, processed, **params)
        rows = cursor.fetchall()  # to the end: SQLite finishes an UPDATE ... RETURNING only then
        cursor.close()
        return rows

    def typed(self, connection: Connection, processed: Processed | None = None, /, **params) -> list[tuple]:
        """Every row the statement (a SELECT) returns, each value through its column type's result
        processor, as Core would return it (datetimes, JSON...)."""
        processors = self._results.get(connection.dialect.name)
        if processors is None:
            statement = self._statement_for(connection.dialect)
            processors = self._results[connection.dialect.name] = [
                type_result_processor(column.type, connection.dialect) for column in statement.selected_columns]
        return [tuple(process(value) if process else value for process, value in zip(processors, row, strict=True))
                for row in self.all(connection, processed, **params)]

    def run(self, connection: Connection, processed: Processed | None = None, /, **params) -> int:
        """Run a statement that returns no rows; how many rows it changed."""
        cursor = self.execute(connection, processed, **params)
        count = cursor.rowcount
        cursor.close()
        return count


def _announce(connection: Connection, cursor, sql: str, parameters) -> None:
    """Tell the engine's `before_cursor_execute` listeners, as `Connection.execute` would."""
    listeners = connection.dispatch.before_cursor_execute
    if listeners:
        listeners(connection, cursor, sql, parameters, None, False)
