"""What was voted (ballots) apart from who voted (voter records); voting codes; paper entry.

Secrecy by design (docs/THREAT_MODEL.md): ``ballot`` and ``ballot_choice`` hold no
timestamp, no user, code or address, and a random primary key; ``voter_record`` holds the
day only. The two share no column. On SQLite all three are ``WITHOUT ROWID`` tables, so no
hidden increasing rowid keeps the order of insertion.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pb.extensions import db
from pb.models.types import UtcDateTime, text_enum, utcnow


class BallotChannel(str, enum.Enum):
    """How a ballot reached the count."""

    ONLINE = "online"
    CODE = "code"
    PAPER = "paper"


class Ballot(db.Model):
    """One pot's part of a cast ballot (a cast with a citywide part is two rows)."""

    __tablename__ = "ballot"
    __table_args__ = (
        sa.ForeignKeyConstraint(["area_id", "round_id"], ["area.id", "area.round_id"], ondelete="CASCADE"),
        sa.Index("ix_ballot_round_id_area_id_is_counted", "round_id", "area_id", "is_counted"),
        {"sqlite_with_rowid": False},
    )

    #: 128 random bits in hex (``secrets.token_hex(16)``): no sequence, so no casting order.
    id: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"))
    #: The pot this part belongs to (an area, or the round's citywide area).
    area_id: Mapped[int] = mapped_column()
    channel: Mapped[BallotChannel] = mapped_column(text_enum(BallotChannel, "channel"))
    #: False once the voter replaced this ballot; only counted ballots are tallied.
    is_counted: Mapped[bool] = mapped_column(default=True)
    #: SHA-256 hex of the receipt (``pb.receipts.receipt_hash``), the same on every pot of one
    #: cast; None for paper ballots (their voter got no receipt).
    receipt_hash: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    #: HMAC under a server key (not in the database) of round and voter reference, to find
    #: the ballot to replace; None when the round does not allow replacing, once replaced,
    #: and for every ballot after voting closes.
    replace_ref: Mapped[str | None] = mapped_column(sa.String(64), index=True)
    #: Coarse age band for the published demographics (e.g. ``13-16``), or None.
    age_band: Mapped[str | None] = mapped_column(sa.String(20))

    choices: Mapped[list[BallotChoice]] = relationship(
        cascade="all, delete-orphan", order_by="BallotChoice.project_id", lazy="selectin"
    )

    @property
    def project_ids(self) -> tuple[int, ...]:
        return tuple(choice.project_id for choice in self.choices)


class BallotChoice(db.Model):
    """A project chosen on a ballot."""

    __tablename__ = "ballot_choice"
    __table_args__ = ({"sqlite_with_rowid": False},)

    ballot_id: Mapped[str] = mapped_column(
        sa.String(32), sa.ForeignKey("ballot.id", ondelete="CASCADE"), primary_key=True
    )
    project_id: Mapped[int] = mapped_column(
        sa.ForeignKey("project.id", ondelete="CASCADE"), primary_key=True, index=True
    )


class VoterRecord(db.Model):
    """Who voted in a round: one row per voter, whatever the channel (the primary key is
    the unique constraint that makes a second ballot impossible)."""

    __tablename__ = "voter_record"
    __table_args__ = ({"sqlite_with_rowid": False},)

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    #: Keyed HMAC (server key, not in the database) of the identity subject, the account or
    #: the voting code; see ``pb.services.voting``.
    voter_ref: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    #: The day only, never a time (a time would let a database reader pair rows with ballots).
    voted_on: Mapped[date] = mapped_column(sa.Date)
    channel: Mapped[BallotChannel] = mapped_column(text_enum(BallotChannel, "channel"))


class CodeBatch(db.Model):
    """Voting codes generated together for one school, class or service point."""

    __tablename__ = "code_batch"
    __table_args__ = (
        sa.ForeignKeyConstraint(["area_id", "round_id"], ["area.id", "area.round_id"], ondelete="CASCADE"),
        sa.CheckConstraint("size > 0", name="size_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    #: The area the codes vote in (a school's area); None lets the code holder choose.
    area_id: Mapped[int | None] = mapped_column()
    label: Mapped[str] = mapped_column(sa.String(200))
    size: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user_account.id", ondelete="SET NULL"))

    codes: Mapped[list[VotingCode]] = relationship(back_populates="batch", cascade="all, delete-orphan")
    area: Mapped["Area | None"] = relationship(viewonly=True)  # noqa: F821


class VotingCode(db.Model):
    """One single-use code, stored only as its keyed digest."""

    __tablename__ = "voting_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("code_batch.id", ondelete="CASCADE"), index=True)
    #: ``pb.voting_codes.code_digest`` (HMAC-SHA256 under PB_VOTING_CODE_KEY).
    digest: Mapped[str] = mapped_column(sa.String(64), unique=True)
    is_used: Mapped[bool] = mapped_column(default=False)
    is_voided: Mapped[bool] = mapped_column(default=False)

    batch: Mapped[CodeBatch] = relationship(back_populates="codes")


class CodeAttempt(db.Model):
    """A failed voting-code try from an address (for the per-address limit); kept a day."""

    __tablename__ = "code_attempt"
    __table_args__ = (sa.Index("ix_code_attempt_address_attempted_at", "address", "attempted_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(45))
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class PaperEntry(db.Model):
    """One moderator's keying of one paper ballot (double entry: two different moderators
    must key the same serial with the same area and choices before it counts)."""

    __tablename__ = "paper_entry"
    __table_args__ = (
        sa.ForeignKeyConstraint(["area_id", "round_id"], ["area.id", "area.round_id"], ondelete="CASCADE"),
        sa.UniqueConstraint("round_id", "serial", "moderator_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), index=True)
    #: The serial printed on the paper ballot (upper case, no spaces).
    serial: Mapped[str] = mapped_column(sa.String(40))
    area_id: Mapped[int] = mapped_column()
    #: The chosen project ids, ascending, comma-separated (``"3,7,12"``; empty for none).
    choices: Mapped[str] = mapped_column(sa.Text)
    moderator_id: Mapped[int] = mapped_column(sa.ForeignKey("user_account.id", ondelete="CASCADE"))
    entered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)

    moderator: Mapped["User"] = relationship()  # noqa: F821
    area: Mapped["Area"] = relationship(viewonly=True)  # noqa: F821

    @property
    def project_ids(self) -> tuple[int, ...]:
        return tuple(int(part) for part in self.choices.split(",") if part)


class PaperBallot(db.Model):
    """A paper serial that two moderators agreed on: it has become a counted ballot.

    Holds no ballot id: the serial must not lead to the ballot row.
    """

    __tablename__ = "paper_ballot"

    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), primary_key=True)
    serial: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
