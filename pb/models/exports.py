"""Audit bundles: the one zip built at publication, stored so its digest never changes; and
the per-address record of receipt checks (for the limit on tries)."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from pb.extensions import db
from pb.models.types import UtcDateTime, utcnow


class AuditBundle(db.Model):
    """A round's audit bundle, built once when its results were published.

    The bytes are kept, not rebuilt: every build draws fresh random ballot ids and so gives
    another digest, and the digest on the results page must stay the one published.
    """

    __tablename__ = "audit_bundle"
    __table_args__ = (sa.CheckConstraint("receipt_count >= 0", name="receipt_count_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("round.id", ondelete="CASCADE"), unique=True)
    publication_id: Mapped[int] = mapped_column(sa.ForeignKey("publication.id", ondelete="CASCADE"), unique=True)
    #: SHA-256 hex of the manifest's canonical bytes (``voting.bundle.bundle_digest``).
    digest: Mapped[str] = mapped_column(sa.String(64))
    #: The zip file as downloaded (``voting.bundle.bundle_zip_bytes``).
    data: Mapped[bytes] = mapped_column(sa.LargeBinary)
    #: Lines of ``receipts.txt`` (counted ballots with a receipt, plus one line per paper ballot).
    receipt_count: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReceiptCheck(db.Model):
    """One receipt check from an address (for the per-address limit); kept a day."""

    __tablename__ = "receipt_check"
    __table_args__ = (sa.Index("ix_receipt_check_address_checked_at", "address", "checked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(sa.String(45))
    checked_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
