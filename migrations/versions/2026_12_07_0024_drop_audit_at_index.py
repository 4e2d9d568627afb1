"""audit: drop the index on audit_entry.at, which no query reads

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-07

No page, export or clean-up reads the audit log by time (the log's order is its id's). Every audit
write kept the index up to date all the same: on SQLite one more page written per door commit (a
welcome scan's writes touch ten pages, nine without it).
"""
from alembic import op

# revision identifiers, used by Alembic.
revision = '0024'
down_revision = '0023'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entry_at'))


def downgrade():
    with op.batch_alter_table('audit_entry', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entry_at'), ['at'], unique=False)
