"""mail: kinds of email, per-topic opt-outs and hard bounces

Revision ID: 0019
Revises: 0013
Create Date: 2026-12-01

outbound_email gains `kind` (what decides its headers), `reply_to`, `unsubscribe_url` (the
one-click link, made when queued) and `bounced_at` (a 5xx refusal). Existing rows get the kind
their purpose and dedupe key name. attendee gains the digest and announcements opt-outs and the
hard-bounce mark. Columns are added with plain ALTER TABLE, never a batch rebuild: rebuilding the
attendee table on SQLite would cascade-delete every guest's rows in other tables (see 0007).
"""
import sqlalchemy as sa
from alembic import op

revision = '0019'
down_revision = '0013'
branch_labels = None
depends_on = None

#: (kind, SQL condition) for the rows queued before kinds existed
EXISTING_KINDS = (
    ('invitation', "purpose = 'invitation'"),
    ('place_offered', "purpose = 'place_offered'"),
    ('briefing', "purpose = 'briefing'"),
    ('profile_reminder', "purpose = 'profile_reminder'"),
    ('digest', "dedupe_key LIKE 'followup:digest:%'"),
    ('escalation', "dedupe_key LIKE 'followup:escalation:%'"),
    ('encounter', "dedupe_key LIKE 'followup:encounter:%'"),
    ('followup_reminder', "dedupe_key LIKE 'followup:due_soon:%' OR dedupe_key LIKE 'followup:overdue:%'"),
)


def upgrade():
    op.add_column('outbound_email', sa.Column('kind', sa.String(length=40), nullable=False,
                                              server_default='notice'))
    op.add_column('outbound_email', sa.Column('reply_to', sa.String(length=254), nullable=False,
                                              server_default=''))
    op.add_column('outbound_email', sa.Column('unsubscribe_url', sa.Text(), nullable=False, server_default=''))
    op.add_column('outbound_email', sa.Column('bounced_at', sa.DateTime(timezone=True), nullable=True))
    for kind, condition in EXISTING_KINDS:
        op.execute(f"UPDATE outbound_email SET kind = '{kind}' WHERE {condition}")
    op.add_column('attendee', sa.Column('digest_opt_out', sa.Boolean(), nullable=False, server_default=sa.false()))
    op.add_column('attendee', sa.Column('announcements_opt_out', sa.Boolean(), nullable=False,
                                        server_default=sa.false()))
    op.add_column('attendee', sa.Column('email_failed_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('attendee', sa.Column('email_failure', sa.Text(), nullable=False, server_default=''))


def downgrade():
    for column in ('email_failure', 'email_failed_at', 'announcements_opt_out', 'digest_opt_out'):
        op.drop_column('attendee', column)
    for column in ('bounced_at', 'unsubscribe_url', 'reply_to', 'kind'):
        op.drop_column('outbound_email', column)
