"""Results: tally runs and their per-pot outcomes, the confirming body's decision, the
publication, and the follow-up of funded projects."""

from __future__ import annotations

import enum
import json
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.extensions import db
from pb.models.rounds import one_language_given
from pb.models.types import UtcDateTime, text_enum, utcnow


class TallyRun(db.Model):
    """One count of every pot of a round, run by an administrator after voting closed.

    A run is a preview until it is published; the confirmation and the publication name the
    run they are about, so a later run needs its own confirmation.
    """

    __tablename__ = "tally_run"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: The frozen rule, its options (canonical JSON) and the full tie chain the run used.
    rule: Mapped[str] = mapped_column(sa.String(40))
    rule_options: Mapped[str] = mapped_column(sa.Text)
    tie_break: Mapped[str] = mapped_column(sa.String(100))
    #: The round's configuration digest at the count (the frozen configuration counted).
    config_digest: Mapped[str | None] = mapped_column(sa.String(64))
    #: True until this run is published.
    is_preview: Mapped[bool] = mapped_column(default=True)

    pots: Mapped[list[PotResult]] = relationship(
        back_populates="run", cascade="all, delete-orphan", order_by="PotResult.area_id", lazy="selectin"
    )


class PotResult(db.Model):
    """What the rule decided for one pot in one run."""

    __tablename__ = "pot_result"
    __table_args__ = (
        sa.UniqueConstraint("run_id", "area_id"),
        sa.CheckConstraint("ballot_count >= 0", name="ballot_count_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("tally_run.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(sa.ForeignKey("area.id", ondelete="CASCADE"))
    #: Number of counted ballots of the pot.
    ballot_count: Mapped[int] = mapped_column()
    #: ``voting.Outcome.to_json()``: the canonical JSON of the outcome.
    outcome_json: Mapped[str] = mapped_column(sa.Text)

    run: Mapped[TallyRun] = relationship(back_populates="pots")
    area: Mapped["Area"] = relationship()  # noqa: F821

    @property
    def outcome(self) -> dict:
        return json.loads(self.outcome_json)


class Confirmation(db.Model):
    """The named body's decision that confirms a run (the mayor, a board, the youth panel)."""

    __tablename__ = "confirmation"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("tally_run.id", ondelete="CASCADE"), index=True)
    #: The body that decided, e.g. "Nuorten paneeli / Youth panel".
    body: Mapped[str] = mapped_column(sa.String(200))
    #: Who confirmed for the body (a name and role as written in the decision).
    confirmed_by: Mapped[str] = mapped_column(sa.String(200))
    #: The reference of the decision (minutes, paragraph, diary number).
    decision_reference: Mapped[str] = mapped_column(sa.String(200))
    #: The administrator who recorded the confirmation.
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    run: Mapped[TallyRun] = relationship()


class Publication(db.Model):
    """The publication of a round's results: from then on the counts are public."""

    __tablename__ = "publication"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), unique=True)
    run_id: Mapped[int] = mapped_column(sa.ForeignKey("tally_run.id", ondelete="RESTRICT"))
    confirmation_id: Mapped[int] = mapped_column(sa.ForeignKey("confirmation.id", ondelete="RESTRICT"))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))
    #: SHA-256 hex of the audit bundle's manifest (issue 5), shown on the results page.
    bundle_digest: Mapped[str | None] = mapped_column(sa.String(64))
    #: When the who-voted records of the round were deleted (after the appeal period).
    who_voted_purged_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    run: Mapped[TallyRun] = relationship()
    confirmation: Mapped[Confirmation] = relationship()


class FollowUpStatus(str, enum.Enum):
    PLANNED = "planned"
    IN_PROGRESS = "in-progress"
    DONE = "done"


class FollowUpUpdate(db.Model):
    """An implementation update on a funded project, shown publicly."""

    __tablename__ = "follow_up_update"
    __table_args__ = (one_language_given("note"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(sa.ForeignKey("project.id", ondelete="CASCADE"), index=True)
    status: Mapped[FollowUpStatus] = mapped_column(text_enum(FollowUpStatus, "follow_up_status"))
    note_fi: Mapped[str | None] = mapped_column(sa.Text)
    note_sv: Mapped[str | None] = mapped_column(sa.Text)
    note_en: Mapped[str | None] = mapped_column(sa.Text)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    project: Mapped["Project"] = relationship()  # noqa: F821
