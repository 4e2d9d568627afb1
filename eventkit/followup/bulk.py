"""Set-based writes: many rows in one statement that skips rows whose unique key exists."""
from __future__ import annotations

from sqlalchemy.dialects import postgresql, sqlite

from eventkit.db import db


def insert_ignore_many(model, rows: list[dict], conflict_columns: list[str]) -> None:
    """INSERT ... ON CONFLICT DO NOTHING for a batch of rows (one executemany on both dialects)."""
    if not rows:
        return
    dialect = db.session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(model).on_conflict_do_nothing(index_elements=conflict_columns)
    db.session.execute(stmt, rows)
