"""attendee.name_key: the name folded for search (no case, no accents), filled for existing guests

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23

The key is computed in Python by eventkit.text.name_key (the same function the app uses), in
batches. SQLite cannot make an existing column NOT NULL without rebuilding the attendee table, and
that rebuild (DROP TABLE with foreign keys on) would cascade-delete every guest's intents, notes and
check-ins; so on SQLite the column is added NOT NULL with an empty default that then stays in the
schema. PostgreSQL adds it nullable, fills it, then sets NOT NULL, leaving no default.
"""
import sqlalchemy as sa
from alembic import op

from eventkit.text import name_key

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

BATCH = 500
KEY_LENGTH = 255

attendee = sa.table('attendee', sa.column('id', sa.Integer), sa.column('name', sa.String),
                    sa.column('name_key', sa.String))


def _fill_name_keys(conn) -> None:
    """Compute every guest's key in Python, BATCH rows at a time (keyset pagination by id)."""
    update = (sa.update(attendee).where(attendee.c.id == sa.bindparam('row_id'))
              .values(name_key=sa.bindparam('key')))
    last_id = 0
    while True:
        rows = conn.execute(sa.select(attendee.c.id, attendee.c.name).where(attendee.c.id > last_id)
                            .order_by(attendee.c.id).limit(BATCH)).all()
        if not rows:
            return
        conn.execute(update, [{'row_id': row.id, 'key': name_key(row.name)} for row in rows])
        last_id = rows[-1].id


def upgrade():
    conn = op.get_bind()
    sqlite = conn.dialect.name == 'sqlite'
    op.add_column('attendee', sa.Column('name_key', sa.String(length=KEY_LENGTH), nullable=not sqlite,
                                        server_default='' if sqlite else None))
    _fill_name_keys(conn)
    if not sqlite:
        op.alter_column('attendee', 'name_key', existing_type=sa.String(length=KEY_LENGTH), nullable=False)
    op.create_index('ix_attendee_event_id_name_key', 'attendee', ['event_id', 'name_key'], unique=False)


def downgrade():
    op.drop_index('ix_attendee_event_id_name_key', table_name='attendee')
    op.drop_column('attendee', 'name_key')
