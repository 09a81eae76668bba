"""The append-only audit log: every moderator and administrator action, with the object's
relevant fields before and after. ``record`` adds to the session; the calling service commits,
so the entry and the change it describes are one transaction."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from pb import security
from pb.extensions import db
from pb.models import AuditLog, Round, User
from voting import canonical_json


def _plain(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_plain(v) for v in value]
    return value


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of ``obj`` as JSON-ready values."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def record(
    actor: User | None,
    action: str,
    obj: Any,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditLog:
    """Add an entry for ``actor`` (None: the system) doing ``action`` on ``obj``."""
    if getattr(obj, "id", None) is None:
        db.session.flush()
    round_id = obj.id if isinstance(obj, Round) else getattr(obj, "round_id", None)
    entry = AuditLog(
        at=security.now(),
        actor_id=actor.id if actor is not None else None,
        actor_email=actor.email if actor is not None else None,
        action=action,
        object_type=getattr(obj, "__tablename__", type(obj).__name__.lower()),
        object_id=getattr(obj, "id", None),
        round_id=round_id,
        before=None if before is None else canonical_json(_plain(before)).rstrip("\n"),
        after=None if after is None else canonical_json(_plain(after)).rstrip("\n"),
    )
    db.session.add(entry)
    return entry


def entries(*, round_id: int | None = None, action: str | None = None, page: int = 1, per_page: int = 50):
    """Entries newest first, optionally of one round or action; a Flask-SQLAlchemy page."""
    query = sa.select(AuditLog).order_by(AuditLog.id.desc())
    if round_id is not None:
        query = query.where(AuditLog.round_id == round_id)
    if action:
        query = query.where(AuditLog.action == action)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
