"""Ballots, who-voted records, voting codes, paper ballots

Revision ID: 0003
Revises: 0002

``ballot``, ``ballot_choice`` and ``voter_record`` are WITHOUT ROWID tables on SQLite (no
hidden increasing rowid), and carry no timestamp (see docs/THREAT_MODEL.md).
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

def channel():
    return sa.Enum("online", "code", "paper", name="channel", native_enum=False, create_constraint=True, length=20)


def upgrade():
    op.create_table(
        "ballot",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("channel", channel(), nullable=False),
        sa.Column("is_counted", sa.Boolean(), nullable=False),
        sa.Column("receipt_hash", sa.String(length=64), nullable=True),
        sa.Column("replace_ref", sa.String(length=64), nullable=True),
        sa.Column("age_band", sa.String(length=20), nullable=True),
        sa.ForeignKeyConstraint(["area_id", "round_id"], ["area.id", "area.round_id"],
                                name=op.f("fk_ballot_area_id_round_id_area"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_ballot_round_id_round"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballot")),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_ballot_round_id_area_id_is_counted", "ballot", ["round_id", "area_id", "is_counted"], unique=False)
    op.create_index(op.f("ix_ballot_receipt_hash"), "ballot", ["receipt_hash"], unique=False)
    op.create_index(op.f("ix_ballot_replace_ref"), "ballot", ["replace_ref"], unique=False)
    op.create_table(
        "ballot_choice",
        sa.Column("ballot_id", sa.String(length=32), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["ballot_id"], ["ballot.id"], name=op.f("fk_ballot_choice_ballot_id_ballot"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"], name=op.f("fk_ballot_choice_project_id_project"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("ballot_id", "project_id", name=op.f("pk_ballot_choice")),
        sqlite_with_rowid=False,
    )
    op.create_index(op.f("ix_ballot_choice_project_id"), "ballot_choice", ["project_id"], unique=False)
    op.create_table(
        "voter_record",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("voter_ref", sa.String(length=64), nullable=False),
        sa.Column("voted_on", sa.Date(), nullable=False),
        sa.Column("channel", channel(), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_voter_record_round_id_round"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("round_id", "voter_ref", name=op.f("pk_voter_record")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "code_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("size > 0", name=op.f("ck_code_batch_size_positive")),
        sa.ForeignKeyConstraint(["area_id", "round_id"], ["area.id", "area.round_id"],
                                name=op.f("fk_code_batch_area_id_round_id_area"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_code_batch_created_by_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_code_batch_round_id_round"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_batch")),
    )
    op.create_index(op.f("ix_code_batch_round_id"), "code_batch", ["round_id"], unique=False)
    op.create_table(
        "voting_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("is_used", sa.Boolean(), nullable=False),
        sa.Column("is_voided", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["code_batch.id"], name=op.f("fk_voting_code_batch_id_code_batch"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_voting_code")),
        sa.UniqueConstraint("digest", name=op.f("uq_voting_code_digest")),
    )
    op.create_index(op.f("ix_voting_code_batch_id"), "voting_code", ["batch_id"], unique=False)
    op.create_table(
        "code_attempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=45), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_code_attempt")),
    )
    op.create_index("ix_code_attempt_address_attempted_at", "code_attempt", ["address", "attempted_at"], unique=False)
    op.create_index(op.f("ix_code_attempt_attempted_at"), "code_attempt", ["attempted_at"], unique=False)
    op.create_table(
        "paper_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("choices", sa.Text(), nullable=False),
        sa.Column("moderator_id", sa.Integer(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["area_id", "round_id"], ["area.id", "area.round_id"],
                                name=op.f("fk_paper_entry_area_id_round_id_area"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["moderator_id"], ["user_account.id"],
                                name=op.f("fk_paper_entry_moderator_id_user_account"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_paper_entry_round_id_round"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_paper_entry")),
        sa.UniqueConstraint("round_id", "serial", "moderator_id", name=op.f("uq_paper_entry_round_id_serial_moderator_id")),
    )
    op.create_index(op.f("ix_paper_entry_round_id"), "paper_entry", ["round_id"], unique=False)
    op.create_table(
        "paper_ballot",
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_paper_ballot_round_id_round"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("round_id", "serial", name=op.f("pk_paper_ballot")),
    )


def downgrade():
    op.drop_table("paper_ballot")
    op.drop_index(op.f("ix_paper_entry_round_id"), table_name="paper_entry")
    op.drop_table("paper_entry")
    op.drop_index(op.f("ix_code_attempt_attempted_at"), table_name="code_attempt")
    op.drop_index("ix_code_attempt_address_attempted_at", table_name="code_attempt")
    op.drop_table("code_attempt")
    op.drop_index(op.f("ix_voting_code_batch_id"), table_name="voting_code")
    op.drop_table("voting_code")
    op.drop_index(op.f("ix_code_batch_round_id"), table_name="code_batch")
    op.drop_table("code_batch")
    op.drop_table("voter_record")
    op.drop_index(op.f("ix_ballot_choice_project_id"), table_name="ballot_choice")
    op.drop_table("ballot_choice")
    op.drop_index(op.f("ix_ballot_replace_ref"), table_name="ballot")
    op.drop_index(op.f("ix_ballot_receipt_hash"), table_name="ballot")
    op.drop_index("ix_ballot_round_id_area_id_is_counted", table_name="ballot")
    op.drop_table("ballot")
