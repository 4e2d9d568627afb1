"""live: the round and its timer, re-pairing changes, the guests' taps, screen links

Revision ID: 0023
Revises: 0014
Create Date: 2026-12-01

The plan runs live: one live_state row per gathering (round, timer, version for the polls),
live_change for each re-pairing (undoable), live_tap for each side's answer about a conversation,
screen_link for the room's screen (secret, revocable).
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('live_state',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('round_no', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=8), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paused_seconds', sa.Integer(), nullable=False),
    sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_live_state_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_state')),
    sa.UniqueConstraint('event_id', name=op.f('uq_live_state_event_id'))
    )
    op.create_table('screen_link',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=60), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by'], ['organiser.id'], name=op.f('fk_screen_link_created_by_organiser'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_screen_link_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_screen_link')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_screen_link_secret_hash'))
    )
    with op.batch_alter_table('screen_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_screen_link_event_id'), ['event_id'], unique=False)

    op.create_table('live_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('round', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=True),
    sa.Column('replaced_ids', sa.JSON(), nullable=False),
    sa.Column('member_ids', sa.JSON(), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('undone_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_live_change_conversation_id_conversation'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_live_change_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_change'))
    )
    with op.batch_alter_table('live_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_change_conversation_id'), ['conversation_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_live_change_event_id'), ['event_id'], unique=False)

    op.create_table('live_tap',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('conversation_id', sa.Integer(), nullable=False),
    sa.Column('attendee_id', sa.Integer(), nullable=False),
    sa.Column('met', sa.Boolean(), nullable=False),
    sa.Column('worth', sa.String(length=8), nullable=False),
    sa.Column('follow_up', sa.Boolean(), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attendee_id'], ['attendee.id'], name=op.f('fk_live_tap_attendee_id_attendee'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversation.id'], name=op.f('fk_live_tap_conversation_id_conversation'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_live_tap_event_id_event'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_live_tap')),
    sa.UniqueConstraint('conversation_id', 'attendee_id', name=op.f('uq_live_tap_conversation_id_attendee_id'))
    )
    with op.batch_alter_table('live_tap', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_live_tap_attendee_id'), ['attendee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_live_tap_event_id'), ['event_id'], unique=False)



def downgrade():
    with op.batch_alter_table('live_tap', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_tap_event_id'))
        batch_op.drop_index(batch_op.f('ix_live_tap_attendee_id'))

    op.drop_table('live_tap')
    with op.batch_alter_table('live_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_live_change_event_id'))
        batch_op.drop_index(batch_op.f('ix_live_change_conversation_id'))

    op.drop_table('live_change')
    with op.batch_alter_table('screen_link', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_screen_link_event_id'))

    op.drop_table('screen_link')
    op.drop_table('live_state')
