"""Rounds and their areas: the configuration a round runs under, and its phase."""

from __future__ import annotations

import enum
import json
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

    @property
    def index(self) -> int:
        return PHASE_ORDER.index(self)


PHASE_ORDER: tuple[Phase, ...] = tuple(Phase)


class BallotKind(str, enum.Enum):
    """Approval: choose between a minimum and a maximum number of projects. Knapsack: choose
    projects whose total cost fits the budget (optionally spending at least a share of it)."""

    APPROVAL = "approval"
    KNAPSACK = "knapsack"


def one_language_given(field: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(
        f"{field}_fi IS NOT NULL OR {field}_sv IS NOT NULL OR {field}_en IS NOT NULL",
        name=f"{field}_given",
    )


class Round(db.Model):
    """A participatory budgeting round (a city round or a youth round)."""

    __tablename__ = "round"
    __table_args__ = (
        sa.CheckConstraint("min_choices >= 0", name="min_choices_not_negative"),
        sa.CheckConstraint("max_choices IS NULL OR max_choices >= min_choices", name="max_choices_at_least_min"),
        sa.CheckConstraint("min_spend_percent BETWEEN 0 AND 100", name="min_spend_percent_range"),
        sa.CheckConstraint("who_voted_retention_days >= 0", name="retention_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name_fi: Mapped[str] = mapped_column(sa.String(200))
    name_sv: Mapped[str | None] = mapped_column(sa.String(200))
    name_en: Mapped[str | None] = mapped_column(sa.String(200))
    description_fi: Mapped[str | None] = mapped_column(sa.Text)
    description_sv: Mapped[str | None] = mapped_column(sa.Text)
    description_en: Mapped[str | None] = mapped_column(sa.Text)
    kind: Mapped[RoundKind] = mapped_column(text_enum(RoundKind, "kind"), default=RoundKind.CITY)
    #: The phase last entered (by hand or by date); :func:`pb.services.round_phases.current_phase`
    #: also honours dates that have passed since.
    phase: Mapped[Phase] = mapped_column(text_enum(Phase, "phase"), default=Phase.PROPOSALS)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    # Phase dates, entered in Europe/Helsinki time and stored in UTC; each starts its phase.
    proposals_open_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Proposals close and screening starts.
    proposals_close_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    voting_opens_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: A ballot counts only if committed before this instant.
    voting_closes_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: When results are expected (shown on the page; publishing needs the confirmation).
    results_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    ballot_kind: Mapped[BallotKind] = mapped_column(
        text_enum(BallotKind, "ballot_kind"), default=BallotKind.APPROVAL
    )
    min_choices: Mapped[int] = mapped_column(default=1)
    max_choices: Mapped[int | None] = mapped_column(default=5)
    #: Knapsack ballots: the least share of the pot's budget a ballot must spend, in percent.
    min_spend_percent: Mapped[int] = mapped_column(default=0)
    #: A rule name from ``voting.rules.RULES``.
    rule: Mapped[str] = mapped_column(sa.String(40), default="greedy")
    #: Canonical JSON of the rule's options, e.g. ``{"completion":"add1","utility":"cost"}``.
    rule_options: Mapped[str] = mapped_column(sa.Text, default="{}")
    #: A ``voting`` tie chain such as ``cost,id``.
    tie_break: Mapped[str] = mapped_column(sa.String(100), default="cost,id")
    #: A voter may replace their ballot until voting closes (the last one counts).
    allow_replace: Mapped[bool] = mapped_column(default=False)
    #: JSON of ``EligibilityRule.to_dict()``, or a list of them (alternatives: any one holds).
    eligibility: Mapped[str] = mapped_column(sa.Text, default='{"channels":["identity"]}')
    #: Email accounts may vote on their own declaration; the round's page says so.
    is_self_declared: Mapped[bool] = mapped_column(default=False)
    #: After publication, ballots are public (else readable by auditors only).
    public_ballots: Mapped[bool] = mapped_column(default=False)
    #: The appeal period: who-voted records are deleted this many days after publication.
    who_voted_retention_days: Mapped[int] = mapped_column(default=30)
    #: Who confirms the results before publication (e.g. "Youth panel", "City board").
    confirming_body: Mapped[str | None] = mapped_column(sa.String(200))
    #: When voting opened and the configuration below was frozen.
    frozen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: SHA-256 hex of the canonical JSON of ``frozen_config(round)`` at the freeze.
    config_digest: Mapped[str | None] = mapped_column(sa.String(64))
    #: The frozen configuration itself (canonical JSON), kept for the audit bundle.
    frozen_config_json: Mapped[str | None] = mapped_column(sa.Text)

    areas: Mapped[list[Area]] = relationship(
        back_populates="round", cascade="all, delete-orphan", order_by="Area.id"
    )
    proposals: Mapped[list["Proposal"]] = relationship(  # noqa: F821
        back_populates="round", cascade="all, delete-orphan", order_by="Proposal.id", overlaps="proposals"
    )
    projects: Mapped[list["Project"]] = relationship(  # noqa: F821
        back_populates="round",
        cascade="all, delete-orphan",
        order_by="(Project.area_id, Project.position, Project.id)",
        overlaps="projects",
    )

    @property
    def is_frozen(self) -> bool:
        return self.frozen_at is not None

    @property
    def has_citywide_pot(self) -> bool:
        return any(area.is_citywide for area in self.areas)

    @property
    def citywide_area(self) -> Area | None:
        return next((area for area in self.areas if area.is_citywide), None)

    @property
    def local_areas(self) -> list[Area]:
        return [area for area in self.areas if not area.is_citywide]

    @property
    def rule_options_dict(self) -> dict:
        return json.loads(self.rule_options or "{}")

    def eligibility_rules(self) -> list:
        """The round's eligibility rules as ``EligibilityRule`` values (alternatives)."""
        from pb.eligibility import EligibilityRule

        data = json.loads(self.eligibility or "{}")
        return [EligibilityRule.from_dict(item) for item in (data if isinstance(data, list) else [data])]

    def __repr__(self) -> str:
        return f"<Round {self.id} {self.name_fi!r}>"


class Area(db.Model):
    """An area of a round with its own budget (whole euros), or the round's citywide pot."""

    __tablename__ = "area"
    __table_args__ = (
        sa.UniqueConstraint("round_id", "code"),
        # Target of the proposal's (area, round) key: a proposal's area is in its own round.
        sa.UniqueConstraint("id", "round_id"),
        sa.CheckConstraint("budget >= 0", name="budget_not_negative"),
        sa.Index(
            "uq_area_one_citywide_pot",
            "round_id",
            unique=True,
            sqlite_where=sa.text("is_citywide"),
            postgresql_where=sa.text("is_citywide"),
        ),
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
    #: The citywide pot every voter may vote in besides their own area (at most one per round).
    is_citywide: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    #: JSON list of the school codes (as a school login attests them) whose pupils vote in
    #: this area, sorted; None for none. A school is in at most one area of a round.
    schools: Mapped[str | None] = mapped_column(sa.Text)

    round: Mapped[Round] = relationship(back_populates="areas")
    proposals: Mapped[list["Proposal"]] = relationship(  # noqa: F821
        back_populates="area", order_by="Proposal.id", overlaps="proposals,round"
    )
    projects: Mapped[list["Project"]] = relationship(  # noqa: F821
        back_populates="area", order_by="(Project.position, Project.id)", overlaps="projects,round"
    )

    @property
    def school_codes(self) -> list[str]:
        """The codes of the schools whose pupils vote in this area (sorted)."""
        return json.loads(self.schools) if self.schools else []
