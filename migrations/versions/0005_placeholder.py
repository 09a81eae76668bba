"""Exports and audit bundles (owner: audit helper)

Revision ID: 0005
Revises: 0004

Placeholder in the fixed chain 0001 → 0002 → 0003 → 0004 → 0005; its owner fills it in place.
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
