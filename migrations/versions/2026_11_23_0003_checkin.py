"""checkin: door links, scans and check-in records

Revision ID: 0003
Revises: 0001
Create Date: 2026-11-23

The attendee table is untouched: `attendee.checked_in_at` stays the truth, `checkin` says by which door.
"""
import sqlalchemy as sa
from alembic import op

from eventkit.migration_guard import refuse_to_drop_rows

revision = '0003'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('door_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['organiser.id'], name=op.f('fk_door_link_created_by_organiser'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_door_link_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_door_link')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_door_link_secret_hash'))
    )
    with op.batch_alter_table('door_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_door_link_event_id'), ['event_id'], unique=False)

    op.create_table('checkin',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('door_link_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('method', sa.String(length=10), nullable=False),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_checkin_attendee_id_attendee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['door_link_id'], ['door_link.id'], name=op.f('fk_checkin_door_link_id_door_link'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_checkin_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkin')),
    sa.UniqueConstraint('attendee_id', name=op.f('uq_checkin_attendee_id'))
    )
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkin_event_id'), ['event_id'], unique=False)

    op.create_table('failed_scan',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('door_link_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reason', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_failed_scan_attendee_id_attendee'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['door_link_id'], ['door_link.id'], name=op.f('fk_failed_scan_door_link_id_door_link'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_failed_scan_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_failed_scan'))
    )
    with op.batch_alter_table('failed_scan', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_failed_scan_event_id'), ['event_id'], unique=False)

    op.create_table('scan_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('door_link_id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('response', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['door_link_id'], ['door_link.id'], name=op.f('fk_scan_request_door_link_id_door_link'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scan_request')),
    sa.UniqueConstraint('door_link_id', 'nonce', name=op.f('uq_scan_request_door_link_id_nonce'))
    )

    op.create_table('retired_checkin_code',
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_retired_checkin_code_attendee_id_attendee'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('code_hash', name=op.f('pk_retired_checkin_code'))
    )
    with op.batch_alter_table('retired_checkin_code', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_retired_checkin_code_attendee_id'), ['attendee_id'], unique=False)


def downgrade():
    refuse_to_drop_rows(op.get_bind(), {"checkin": "check-in records"}, revision)
    with op.batch_alter_table('retired_checkin_code', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_retired_checkin_code_attendee_id'))
    op.drop_table('retired_checkin_code')
    op.drop_table('scan_request')
    with op.batch_alter_table('failed_scan', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_failed_scan_event_id'))
    op.drop_table('failed_scan')
    with op.batch_alter_table('checkin', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkin_event_id'))
    op.drop_table('checkin')
    with op.batch_alter_table('door_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_door_link_event_id'))
    op.drop_table('door_link')
