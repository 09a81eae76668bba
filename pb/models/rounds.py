"""Rounds, their areas and the proposals residents make."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.extensions import db
from pb.models.types import UtcDateTime, text_enum, utcnow


class RoundKind(str, enum.Enum):
    CITY = "city"
    YOUTH = "youth"


class Phase(str, enum.Enum):
    """The phases of a round, in order."""

    PROPOSALS = "proposals"
    SCREENING = "screening"
    VOTING = "voting"
    RESULTS = "results"
    FOLLOW_UP = "follow-up"


class ProposalStatus(str, enum.Enum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MERGED = "merged"


def _one_language_given(field: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{field}_fi IS NOT NULL OR {field}_sv IS NOT NULL OR {field}_en IS NOT NULL",
        name=f"{field}_given",
    )


class Round(db.Model):
    """A participatory budgeting round (a city round or a youth round)."""

    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True)
    name_fi: Mapped[str] = mapped_column(sa.String(200))
    name_sv: Mapped[str | None] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    kind: Mapped[RoundKind] = mapped_column(text_enum(RoundKind, "kind"), default=RoundKind.CITY)
    phase: Mapped[Phase] = mapped_column(text_enum(Phase, "phase"), default=Phase.PROPOSALS)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    areas: Mapped[list[Area]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Area.id"
    )
    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Proposal.id", overlaps="proposals"
    )

    def __repr__(self) -> str:
        return f"<Round {self.id} {self.name_fi!r}>"


class Area(db.Model):
    """An area of a round with its own budget (whole euros)."""

    __tablename__ = "area"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "code"),
        # Target of the proposal's (area, round) key: a proposal's area is in its own round.
        sa.UniqueConstraint("id", "round_id"),
        sa.CheckConstraint("budget >= 0", name="budget_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    #: Short stable name, matched against a resident's home area (e.g. ``suur-tapiola``).
    code: Mapped[str] = mapped_column(sa.String(40))
    name_fi: Mapped[str] = mapped_column(sa.String(200))
    name_sv: Mapped[str | None] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    #: Whole euros.
    budget: Mapped[int] = mapped_column(sa.BigInteger)

    round: Mapped[Round] = relationship(back_populates="areas")
    proposals: Mapped[list[Proposal]] = relationship(
        back_populates="area", order_by="Proposal.id", overlaps="proposals,round"
    )


class Proposal(db.Model):
    """An idea a resident submits for a round; title and description in any of fi, sv, en."""

    __tablename__ = "proposal"
    __table_args__ = (
        sa.ForeignKeyConstraint(["area_id", "round_id"], ["area.id", "area.round_id"], ondelete="CASCADE"),
        sa.CheckConstraint("cost IS NULL OR cost >= 0", name="cost_not_negative"),
        _one_language_given("title"),
        _one_language_given("description"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(index=True)
    author_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("user_account.id", ondelete="SET NULL"), index=True
    )
    title_fi: Mapped[str | None] = mapped_column(sa.String(200))
    title_sv: Mapped[str | None] = mapped_column(sa.String(200))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    description_fi: Mapped[str | None] = mapped_column(sa.Text)
    description_sv: Mapped[str | None] = mapped_column(sa.Text)
    description_en: Mapped[str | None] = mapped_column(sa.Text)
    #: The proposer's rough cost estimate in whole euros (moderators set the official one).
    cost: Mapped[int | None] = mapped_column(sa.BigInteger)
    status: Mapped[ProposalStatus] = mapped_column(
        text_enum(ProposalStatus, "status"), default=ProposalStatus.SUBMITTED
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    round: Mapped[Round] = relationship(back_populates="proposals", overlaps="area,proposals")
    area: Mapped[Area] = relationship(back_populates="proposals", overlaps="round,proposals")
    author: Mapped["User | None"] = relationship()  # noqa: F821
