"""Exports and audit bundles: the stored bundle per round, receipt checks per address

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "audit_bundle",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("publication_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("receipt_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("receipt_count >= 0", name=op.f("ck_audit_bundle_receipt_count_not_negative")),
        sa.ForeignKeyConstraint(["publication_id"], ["publication.id"],
                                name=op.f("fk_audit_bundle_publication_id_publication"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_audit_bundle_round_id_round"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_bundle")),
        sa.UniqueConstraint("publication_id", name=op.f("uq_audit_bundle_publication_id")),
        sa.UniqueConstraint("round_id", name=op.f("uq_audit_bundle_round_id")),
    )
    op.create_table(
        "receipt_check",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_receipt_check")),
    )
    op.create_index("ix_receipt_check_address_checked_at", "receipt_check", ["address", "checked_at"], unique=False)
    op.create_index(op.f("ix_receipt_check_checked_at"), "receipt_check", ["checked_at"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_receipt_check_checked_at"), table_name="receipt_check")
    op.drop_index("ix_receipt_check_address_checked_at", table_name="receipt_check")
    op.drop_table("receipt_check")
    op.drop_table("audit_bundle")
