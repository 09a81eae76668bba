"""The append-only audit log of moderator and administrator actions."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column

from pb.extensions import db
from pb.models.types import UtcDateTime, utcnow


class AuditLog(db.Model):
    """One action: who, when, what (action on an object), and the object before and after.

    Rows are never updated (the ORM refuses, and a database trigger refuses UPDATE). The
    actor is kept as an id and the email at the time, without a foreign key, so that deleting
    an account does not rewrite the log.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
    #: The user who acted (None: the system, e.g. a phase opened by date).
    actor_id: Mapped[int | None] = mapped_column(index=True)
    #: The actor's email when they acted.
    actor_email: Mapped[str | None] = mapped_column(sa.String(254))
    #: A dotted verb such as ``round.update`` or ``proposal.screen``.
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    object_type: Mapped[str] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    #: The round the object belongs to, for the per-round view.
    round_id: Mapped[int | None] = mapped_column(index=True)
    #: JSON text of the relevant fields before and after (null when there is no such state).
    before: Mapped[str | None] = mapped_column(sa.Text)
    after: Mapped[str | None] = mapped_column(sa.Text)


@event.listens_for(AuditLog, "before_update")
def _refuse_update(mapper, connection, target) -> None:
    raise RuntimeError("the audit log is append-only")
