"""Downgrades that would delete what people did at or after a gathering refuse instead.

Dropping the check-in or follow-up tables loses records nobody can make again (who came, who
followed up with whom). A downgrade that would do so with rows present raises with a message;
back up first (`flask eventkit backup` or pg_dump), and delete the rows yourself if you mean it.
"""
from __future__ import annotations

import sqlalchemy as sa


def refuse_to_drop_rows(conn, tables: dict[str, str], revision: str) -> None:
    """Raise RuntimeError when any of `tables` (name -> what its rows are) still holds rows."""
    held = []
    for table, what in tables.items():
        count = conn.execute(sa.text(f'SELECT COUNT(*) FROM "{table}"')).scalar_one()
        if count:
            held.append(f"{count} {what} ({table})")
    if held:
        raise RuntimeError(
            f"Refusing to downgrade below revision {revision}: it would delete {', '.join(held)}. "
            "Back up first (flask eventkit backup PATH, or pg_dump), delete those rows yourself if you "
            "really mean to lose them, then run the downgrade again."
        )
