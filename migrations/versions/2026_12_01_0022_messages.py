"""messages: the organiser's messages to part of the guest list, and each gathering's default schedule

Revision ID: 0022
Revises: 0014
Create Date: 2026-12-01

Two new tables, nothing existing changes. No `message_settings` row means the defaults (the
day-before reminder on), so existing gatherings get it without a data step.
"""
import sqlalchemy as sa
from alembic import op

revision = '0022'
down_revision = '0021'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('template', sa.String(length=16), nullable=False),
    sa.Column('audience', sa.String(length=16), nullable=False),
    sa.Column('picked_ids', sa.JSON(), nullable=False),
    sa.Column('schedule', sa.String(length=16), nullable=False),
    sa.Column('hours', sa.Integer(), nullable=True),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('automatic', sa.String(length=16), nullable=True),
    sa.Column('created_by', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('queued', sa.Integer(), nullable=False),
    sa.Column('sent_by', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_message_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message')),
    sa.UniqueConstraint('event_id', 'automatic', name=op.f('uq_message_event_id_automatic'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_event_id'), ['event_id'], unique=False)
        batch_op.create_index('ix_message_status_send_at', ['status', 'send_at'], unique=False)

    op.create_table('message_settings',
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('day_before_reminder', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_message_settings_event_id_event'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', name=op.f('pk_message_settings'))
    )


def downgrade():
    op.drop_table('message_settings')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_status_send_at')
        batch_op.drop_index(batch_op.f('ix_message_event_id'))
    op.drop_table('message')
