"""mail: attachments made by a producer when the message is sent

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23

An outbox attachment may now be queued without its bytes: `producer` names who makes them and
`producer_args` what they need; the sender fills `content` just before delivery. Existing rows
all have content and no producer.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbound_attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('producer', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('producer_args', sa.JSON(), nullable=True))
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=True)


def downgrade():
    # The old code cannot make an attachment: a message still waiting for one is failed (the
    # organiser sees why and can send again) rather than sent without it.
    op.execute(
        "UPDATE outbound_email SET status = 'failed', claimed_by = NULL, claimed_until = NULL, "
        "last_error = 'Not sent: its attachment was to be made at send time, which this version cannot do.' "
        "WHERE status IN ('pending', 'sending') "
        "AND id IN (SELECT email_id FROM outbound_attachment WHERE content IS NULL)"
    )
    op.execute("DELETE FROM outbound_attachment WHERE content IS NULL")
    with op.batch_alter_table('outbound_attachment', schema=None) as batch_op:
        batch_op.alter_column('content', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('producer_args')
        batch_op.drop_column('producer')
