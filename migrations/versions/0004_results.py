"""Results: tally runs and pot results, confirmations, publications, follow-up updates

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "tally_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("rule", sa.String(length=40), nullable=False),
        sa.Column("rule_options", sa.Text(), nullable=False),
        sa.Column("tie_break", sa.String(length=100), nullable=False),
        sa.Column("config_digest", sa.String(length=64), nullable=True),
        sa.Column("is_preview", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_id"], ["user_account.id"],
                                name=op.f("fk_tally_run_created_by_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_tally_run_round_id_round"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tally_run")),
    )
    op.create_index(op.f("ix_tally_run_round_id"), "tally_run", ["round_id"], unique=False)
    op.create_table(
        "pot_result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("area_id", sa.Integer(), nullable=False),
        sa.Column("ballot_count", sa.Integer(), nullable=False),
        sa.Column("outcome_json", sa.Text(), nullable=False),
        sa.CheckConstraint("ballot_count >= 0", name=op.f("ck_pot_result_ballot_count_not_negative")),
        sa.ForeignKeyConstraint(["area_id"], ["area.id"], name=op.f("fk_pot_result_area_id_area"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["tally_run.id"], name=op.f("fk_pot_result_run_id_tally_run"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pot_result")),
        sa.UniqueConstraint("run_id", "area_id", name=op.f("uq_pot_result_run_id_area_id")),
    )
    op.create_index(op.f("ix_pot_result_run_id"), "pot_result", ["run_id"], unique=False)
    op.create_table(
        "confirmation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("body", sa.String(length=200), nullable=False),
        sa.Column("confirmed_by", sa.String(length=200), nullable=False),
        sa.Column("decision_reference", sa.String(length=200), nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["user_account.id"],
                                name=op.f("fk_confirmation_recorded_by_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_confirmation_round_id_round"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["tally_run.id"], name=op.f("fk_confirmation_run_id_tally_run"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_confirmation")),
    )
    op.create_index(op.f("ix_confirmation_round_id"), "confirmation", ["round_id"], unique=False)
    op.create_index(op.f("ix_confirmation_run_id"), "confirmation", ["run_id"], unique=False)
    op.create_table(
        "publication",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("confirmation_id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by_id", sa.Integer(), nullable=True),
        sa.Column("bundle_digest", sa.String(length=64), nullable=True),
        sa.Column("who_voted_purged_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["confirmation_id"], ["confirmation.id"],
                                name=op.f("fk_publication_confirmation_id_confirmation"), ondelete="RESTRICT"),
        sa.ForeignKeyConstraint(["published_by_id"], ["user_account.id"],
                                name=op.f("fk_publication_published_by_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"], name=op.f("fk_publication_round_id_round"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["tally_run.id"], name=op.f("fk_publication_run_id_tally_run"), ondelete="RESTRICT"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_publication")),
        sa.UniqueConstraint("round_id", name=op.f("uq_publication_round_id")),
    )
    op.create_table(
        "follow_up_update",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum("planned", "in-progress", "done", name="follow_up_status", native_enum=False,
                    create_constraint=True, length=20),
            nullable=False,
        ),
        sa.Column("note_fi", sa.Text(), nullable=True),
        sa.Column("note_sv", sa.Text(), nullable=True),
        sa.Column("note_en", sa.Text(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("note_fi IS NOT NULL OR note_sv IS NOT NULL OR note_en IS NOT NULL",
                           name=op.f("ck_follow_up_update_note_given")),
        sa.ForeignKeyConstraint(["author_id"], ["user_account.id"],
                                name=op.f("fk_follow_up_update_author_id_user_account"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["project_id"], ["project.id"],
                                name=op.f("fk_follow_up_update_project_id_project"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_update")),
    )
    op.create_index(op.f("ix_follow_up_update_project_id"), "follow_up_update", ["project_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_follow_up_update_project_id"), table_name="follow_up_update")
    op.drop_table("follow_up_update")
    op.drop_table("publication")
    op.drop_index(op.f("ix_confirmation_run_id"), table_name="confirmation")
    op.drop_index(op.f("ix_confirmation_round_id"), table_name="confirmation")
    op.drop_table("confirmation")
    op.drop_index(op.f("ix_pot_result_run_id"), table_name="pot_result")
    op.drop_table("pot_result")
    op.drop_index(op.f("ix_tally_run_round_id"), table_name="tally_run")
    op.drop_table("tally_run")
