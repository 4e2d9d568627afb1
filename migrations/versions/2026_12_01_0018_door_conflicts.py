"""door_conflict: a guest admitted by two doors while offline (the later admission)

Revision ID: 0018
Revises: 0012b
Create Date: 2026-12-01

The offline door page syncs its scans later; when two phones let the same guest in, the check-in
is the earliest scan and the other admission is kept here for the organiser.
"""
import sqlalchemy as sa
from alembic import op

revision = '0018'
down_revision = '0012b'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('door_conflict',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('kept_door_link_id', sa.Integer(), nullable=True),
    sa.Column('kept_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('later_door_link_id', sa.Integer(), nullable=True),
    sa.Column('later_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_door_conflict_attendee_id_attendee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_door_conflict_event_id_event'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['kept_door_link_id'], ['door_link.id'], name=op.f('fk_door_conflict_kept_door_link_id_door_link'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['later_door_link_id'], ['door_link.id'], name=op.f('fk_door_conflict_later_door_link_id_door_link'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_door_conflict'))
    )
    with op.batch_alter_table('door_conflict', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_door_conflict_event_id'), ['event_id'], unique=False)


def downgrade():
    with op.batch_alter_table('door_conflict', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_door_conflict_event_id'))

    op.drop_table('door_conflict')
