"""Use cases. Each service validates, writes and commits (or rolls back) one transaction and
raises a ``ServiceError`` with a message for the user; routes and commands only call them."""

from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from flask_babel import lazy_gettext as _l

from ..extensions import db

F = TypeVar("F", bound=Callable[..., Any])


class ServiceError(Exception):
    """A refusal with a message that can be shown to the user (lazily translated)."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return str(self.message)


def transaction(fn: F) -> F:
    """Mark *fn* as one transaction: when it refuses (raises ServiceError), whatever it had
    changed in the session is rolled back before the refusal reaches the caller, so a route
    only shows the message and never touches the session itself."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ServiceError:
            db.session.rollback()
            raise

    return wrapper  # type: ignore[return-value]


def clean_text(value: Any, label, *, required: bool, limit: int) -> str | None:
    """*value* stripped, or None when empty and optional; a ServiceError naming *label* when it is
    missing but required, not text, longer than *limit* or holds control characters (tab and
    line breaks allowed)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ServiceError(_l("%(field)s is required.", field=label))
        return None
    if not isinstance(value, str):
        raise ServiceError(_l("%(field)s must be text.", field=label))
    value = value.strip()
    if len(value) > limit:
        raise ServiceError(_l("%(field)s is too long (at most %(limit)d characters).", field=label, limit=limit))
    if any(ord(ch) < 32 and ch not in "\n\r\t" for ch in value):
        raise ServiceError(_l("%(field)s contains control characters.", field=label))
    return value
