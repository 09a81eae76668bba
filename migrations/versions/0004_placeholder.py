"""Results, confirmations, follow-up updates (owner: results helper)

Revision ID: 0004
Revises: 0003

Placeholder in the fixed chain 0001 → 0002 → 0003 → 0004 → 0005; its owner fills it in place.
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
