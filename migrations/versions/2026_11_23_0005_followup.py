"""followup: connections, follow-up tasks and actions

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23

Owned by the followup feature: its schema changes go here until the feature first ships.
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
