"""checkin: door links, scans and check-in records

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23

Owned by the checkin feature: its schema changes go here until the feature first ships.
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
