"""follow-up rhythm: check-ins from the last action, stay-in-touch rhythms, snooze, dormant, nudges; outbox labels

Revision ID: 0014
Revises: 0019
Create Date: 2026-12-01

Only plain ADD COLUMNs (no table rebuild on SQLite, where rebuilding connection, followup_task or
outbound_email would cascade-delete the rows that reference them). `outbound_email.label` is filled
for existing rows from their purpose, and for follow-up mail from the dedupe key's second part
("followup:overdue:task:12" is labelled "followup_overdue"); `kind` (0019) decides headers.

Deepened connections now follow a stay-in-touch rhythm instead of the check-ins counted from the
gathering's end: their open check-ins close as "moved" (the next action schedules the rhythm).
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0019'
branch_labels = None
depends_on = None

FOLLOWUP_KINDS = ('due_soon', 'overdue', 'digest', 'escalation', 'encounter')


def upgrade():
    for name in ('low_rhythm_days', 'high_rhythm_days'):
        op.add_column('connection', sa.Column(name, sa.Integer(), nullable=True))
    for name in ('quiet_after', 'dormant_at', 'nudged_at'):
        op.add_column('connection', sa.Column(name, sa.DateTime(timezone=True), nullable=True))
    op.add_column('followup_task', sa.Column('snoozed_until', sa.DateTime(timezone=True), nullable=True))
    op.add_column('followup_task', sa.Column('snoozes', sa.Integer(), nullable=False, server_default='0'))
    op.add_column('outbound_email', sa.Column('label', sa.String(length=40), nullable=False, server_default=''))
    op.execute("UPDATE outbound_email SET label = purpose")
    for kind in FOLLOWUP_KINDS:
        op.execute(f"UPDATE outbound_email SET label = 'followup_{kind}' WHERE dedupe_key LIKE 'followup:{kind}:%'")
    op.create_index('ix_outbound_email_label', 'outbound_email', ['label'], unique=False)
    task = sa.table('followup_task', sa.column('done_at', sa.DateTime(timezone=True)), sa.column('outcome', sa.String),
                    sa.column('connection_id', sa.Integer))
    connection = sa.table('connection', sa.column('id', sa.Integer), sa.column('stage', sa.String))
    op.execute(sa.update(task).where(
        task.c.done_at.is_(None),
        task.c.connection_id.in_(sa.select(connection.c.id).where(connection.c.stage == 'deepened')),
    ).values(done_at=sa.func.current_timestamp(), outcome='moved'))


def downgrade():
    op.drop_index('ix_outbound_email_label', table_name='outbound_email')
    op.drop_column('outbound_email', 'label')
    op.drop_column('followup_task', 'snoozes')
    op.drop_column('followup_task', 'snoozed_until')
    for name in ('nudged_at', 'dormant_at', 'quiet_after', 'high_rhythm_days', 'low_rhythm_days'):
        op.drop_column('connection', name)
