"""followup: connections, follow-up tasks and actions

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-23

"""
import sqlalchemy as sa
from alembic import op

from eventkit.migration_guard import refuse_to_drop_rows

revision = '0005'
down_revision = '0003'
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade():
    op.create_table(
        'connection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('low_person_id', sa.Integer(), nullable=False),
        sa.Column('high_person_id', sa.Integer(), nullable=False),
        sa.Column('origin_event_id', sa.Integer(), nullable=True),
        sa.Column('stage', sa.String(length=16), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('followed_up_at', TS, nullable=True),
        sa.Column('reciprocated_at', TS, nullable=True),
        sa.Column('deepened_at', TS, nullable=True),
        sa.Column('faded_at', TS, nullable=True),
        sa.Column('fade_reason', sa.String(length=300), nullable=False),
        sa.Column('last_action_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['high_person_id'], ['person.id'], name=op.f('fk_connection_high_person_id_person'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['low_person_id'], ['person.id'], name=op.f('fk_connection_low_person_id_person'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['origin_event_id'], ['event.id'], name=op.f('fk_connection_origin_event_id_event'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_connection')),
        sa.UniqueConstraint('low_person_id', 'high_person_id', name=op.f('uq_connection_low_person_id_high_person_id')),
    )
    with op.batch_alter_table('connection', schema=None) as batch_op:
        batch_op.create_index('ix_connection_stage', ['stage'], unique=False)
        batch_op.create_index(batch_op.f('ix_connection_high_person_id'), ['high_person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_connection_origin_event_id'), ['origin_event_id'], unique=False)

    op.create_table(
        'connection_link',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('low_attendee_id', sa.Integer(), nullable=False),
        sa.Column('high_attendee_id', sa.Integer(), nullable=False),
        sa.Column('source', sa.String(length=12), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.ForeignKeyConstraint(['connection_id'], ['connection.id'], name=op.f('fk_connection_link_connection_id_connection'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_connection_link_event_id_event'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['high_attendee_id'], ['attendee.id'], name=op.f('fk_connection_link_high_attendee_id_attendee'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['low_attendee_id'], ['attendee.id'], name=op.f('fk_connection_link_low_attendee_id_attendee'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_connection_link')),
        sa.UniqueConstraint('connection_id', 'event_id', name=op.f('uq_connection_link_connection_id_event_id')),
    )
    with op.batch_alter_table('connection_link', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_connection_link_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_connection_link_high_attendee_id'), ['high_attendee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_connection_link_low_attendee_id'), ['low_attendee_id'], unique=False)

    op.create_table(
        'followup_task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('owner_id', sa.Integer(), nullable=False),
        sa.Column('counterpart_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=8), nullable=False),
        sa.Column('due_at', TS, nullable=False),
        sa.Column('done_at', TS, nullable=True),
        sa.Column('outcome', sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(['connection_id'], ['connection.id'], name=op.f('fk_followup_task_connection_id_connection'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['counterpart_id'], ['attendee.id'], name=op.f('fk_followup_task_counterpart_id_attendee'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_followup_task_event_id_event'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['owner_id'], ['attendee.id'], name=op.f('fk_followup_task_owner_id_attendee'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_task')),
        sa.UniqueConstraint('connection_id', 'owner_id', 'due_at', name=op.f('uq_followup_task_connection_id_owner_id_due_at')),
    )
    with op.batch_alter_table('followup_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_task_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_task_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_task_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index('ix_followup_task_open_due_at', ['due_at'], unique=False,
                              sqlite_where=sa.text('done_at IS NULL'), postgresql_where=sa.text('done_at IS NULL'))

    op.create_table(
        'followup_action',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('connection_id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('actor_id', sa.Integer(), nullable=False),
        sa.Column('actor_person_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=24), nullable=False),
        sa.Column('note', sa.Text(), nullable=False),
        sa.Column('at', TS, nullable=False),
        sa.ForeignKeyConstraint(['actor_id'], ['attendee.id'], name=op.f('fk_followup_action_actor_id_attendee'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['actor_person_id'], ['person.id'], name=op.f('fk_followup_action_actor_person_id_person'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['connection_id'], ['connection.id'], name=op.f('fk_followup_action_connection_id_connection'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_followup_action_event_id_event'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_action')),
    )
    with op.batch_alter_table('followup_action', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_action_actor_id'), ['actor_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_action_actor_person_id'), ['actor_person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_action_connection_id'), ['connection_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_followup_action_event_id'), ['event_id'], unique=False)

    op.create_table(
        'encounter',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('logged_by_id', sa.Integer(), nullable=False),
        sa.Column('other_id', sa.Integer(), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('created_at', TS, nullable=False),
        sa.Column('confirmed_at', TS, nullable=True),
        sa.Column('declined_at', TS, nullable=True),
        sa.ForeignKeyConstraint(['event_id'], ['event.id'], name=op.f('fk_encounter_event_id_event'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['logged_by_id'], ['attendee.id'], name=op.f('fk_encounter_logged_by_id_attendee'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['other_id'], ['attendee.id'], name=op.f('fk_encounter_other_id_attendee'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_encounter')),
        sa.UniqueConstraint('logged_by_id', 'other_id', name=op.f('uq_encounter_logged_by_id_other_id')),
    )
    with op.batch_alter_table('encounter', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_encounter_event_id'), ['event_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_encounter_other_id'), ['other_id'], unique=False)

    op.create_table(
        'followup_reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('dedupe_key', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=12), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=True),
        sa.Column('at', TS, nullable=False),
        sa.Column('tasks', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['task_id'], ['followup_task.id'], name=op.f('fk_followup_reminder_task_id_followup_task'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_reminder')),
        sa.UniqueConstraint('dedupe_key', name=op.f('uq_followup_reminder_dedupe_key')),
    )
    with op.batch_alter_table('followup_reminder', schema=None) as batch_op:
        batch_op.create_index('ix_followup_reminder_task_id_kind', ['task_id', 'kind'], unique=False)


def downgrade():
    refuse_to_drop_rows(op.get_bind(), {"connection": "connections", "followup_task": "follow-up tasks",
                                        "followup_action": "follow-up actions", "encounter": "logged encounters"},
                        revision)
    op.drop_table('followup_reminder')
    op.drop_table('encounter')
    op.drop_table('followup_action')
    op.drop_table('followup_task')
    op.drop_table('connection_link')
    op.drop_table('connection')
