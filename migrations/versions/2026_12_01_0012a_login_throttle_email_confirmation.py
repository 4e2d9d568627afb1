"""login_throttle replaces login_failure; organiser.email_confirmed_at and self_signup

Revision ID: 0012a
Revises: 0007
Create Date: 2026-12-01

login_throttle keeps one counter per email+address and one per email (hashes only), claimed
with a conditional UPDATE before a password is checked (see eventkit/auth/throttle.py). The
failure log it replaces only throttled sign-ins for 15 minutes, so nothing is carried over.
Existing organisers count as confirmed since they were made (they predate sign-up confirmation).
"""
import sqlalchemy as sa
from alembic import op

revision = '0012a'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('login_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('email_hash', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('next_check_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttle')),
    sa.UniqueConstraint('key', name=op.f('uq_login_throttle_key'))
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_email_hash'), ['email_hash'], unique=False)
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_failure_email_hash'))
        batch_op.drop_index(batch_op.f('ix_login_failure_at'))
    op.drop_table('login_failure')

    op.add_column('organiser', sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('organiser', sa.Column('self_signup', sa.Boolean(), nullable=False, server_default=sa.false()))
    organiser = sa.table('organiser', sa.column('created_at', sa.DateTime(timezone=True)),
                         sa.column('email_confirmed_at', sa.DateTime(timezone=True)))
    op.execute(organiser.update().values(email_confirmed_at=organiser.c.created_at))


def downgrade():
    # not in batch mode: rebuilding organiser on SQLite would break the foreign keys that point at it
    op.drop_column('organiser', 'self_signup')
    op.drop_column('organiser', 'email_confirmed_at')
    op.create_table('login_failure',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email_hash', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_failure'))
    )
    with op.batch_alter_table('login_failure', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_failure_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_login_failure_email_hash'), ['email_hash'], unique=False)
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_email_hash'))
    op.drop_table('login_throttle')
