"""Proposals residents make, and the projects on the ballot that screening turns them into."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.extensions import db
from pb.models.rounds import Area, Round, one_language_given
from pb.models.types import UtcDateTime, text_enum, utcnow


class ProposalStatus(str, enum.Enum):
    SUBMITTED = "submitted"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    MERGED = "merged"


#: Proposal categories (stable codes; the pages show translated names).
CATEGORIES: tuple[str, ...] = (
    "parks-nature",
    "sports-exercise",
    "culture-events",
    "learning",
    "wellbeing",
    "streets-traffic",
    "other",
)


class Proposal(db.Model):
    """An idea a resident submits for a round; title and description in any of fi, sv, en."""

    __tablename__ = "proposal"
    __table_args__ = (
        sa.ForeignKeyConstraint(["area_id", "round_id"], ["area.id", "area.round_id"], ondelete="CASCADE"),
        sa.CheckConstraint("cost IS NULL OR cost >= 0", name="cost_not_negative"),
        sa.CheckConstraint("official_cost IS NULL OR official_cost > 0", name="official_cost_positive"),
        sa.CheckConstraint("merged_into_id IS NULL OR merged_into_id <> id", name="not_merged_into_itself"),
        one_language_given("title"),
        one_language_given("description"),
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
    #: The moderators' official cost estimate in whole euros.
    official_cost: Mapped[int | None] = mapped_column(sa.BigInteger)
    #: One of :data:`CATEGORIES`.
    category: Mapped[str | None] = mapped_column(sa.String(40), index=True)
    #: Where, in the proposer's words (an address or a place name).
    place: Mapped[str | None] = mapped_column(sa.String(200))
    status: Mapped[ProposalStatus] = mapped_column(
        text_enum(ProposalStatus, "status"), default=ProposalStatus.SUBMITTED
    )
    #: The public reason for the screening decision.
    reason_fi: Mapped[str | None] = mapped_column(sa.Text)
    reason_sv: Mapped[str | None] = mapped_column(sa.Text)
    reason_en: Mapped[str | None] = mapped_column(sa.Text)
    #: The proposal this duplicate was merged into.
    merged_into_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("proposal.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    round: Mapped[Round] = relationship(back_populates="proposals", overlaps="area,proposals")
    area: Mapped[Area] = relationship(back_populates="proposals", overlaps="round,proposals")
    author: Mapped["User | None"] = relationship()  # noqa: F821
    merged_into: Mapped[Proposal | None] = relationship(remote_side=[id], back_populates="duplicates")
    duplicates: Mapped[list[Proposal]] = relationship(back_populates="merged_into", order_by="Proposal.id")
    project: Mapped["Project | None"] = relationship(back_populates="proposal", uselist=False)


class Project(db.Model):
    """A project on the ballot of one pot (area); its id as a string is the project id in
    ``.pb`` exports and in ``voting``."""

    __tablename__ = "project"
    __table_args__ = (
        sa.ForeignKeyConstraint(["area_id", "round_id"], ["area.id", "area.round_id"], ondelete="CASCADE"),
        sa.UniqueConstraint("proposal_id"),
        sa.CheckConstraint("cost > 0", name="cost_positive"),
        one_language_given("title"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    #: The pot the project belongs to.
    area_id: Mapped[int] = mapped_column(index=True)
    proposal_id: Mapped[int | None] = mapped_column(sa.ForeignKey("proposal.id", ondelete="SET NULL"))
    title_fi: Mapped[str | None] = mapped_column(sa.String(200))
    title_sv: Mapped[str | None] = mapped_column(sa.String(200))
    title_en: Mapped[str | None] = mapped_column(sa.String(200))
    description_fi: Mapped[str | None] = mapped_column(sa.Text)
    description_sv: Mapped[str | None] = mapped_column(sa.Text)
    description_en: Mapped[str | None] = mapped_column(sa.Text)
    #: Official cost in whole euros.
    cost: Mapped[int] = mapped_column(sa.BigInteger)
    category: Mapped[str | None] = mapped_column(sa.String(40))
    #: Order on the ballot within the area.
    position: Mapped[int] = mapped_column(default=0)

    round: Mapped[Round] = relationship(back_populates="projects", overlaps="area,projects")
    area: Mapped[Area] = relationship(back_populates="projects", overlaps="round,projects")
    proposal: Mapped[Proposal | None] = relationship(back_populates="project")

    @property
    def pb_id(self) -> str:
        return str(self.id)
