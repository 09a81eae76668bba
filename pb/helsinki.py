"""Dates on pages are in Europe/Helsinki time; the database keeps UTC."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")


def from_helsinki(value: datetime | None) -> datetime | None:
    """A wall-clock time in Helsinki (naive, as a form gives it) as an aware UTC datetime.

    >>> from_helsinki(datetime(2026, 6, 1, 12, 0)).isoformat()
    '2026-06-01T09:00:00+00:00'
    >>> from_helsinki(datetime(2026, 1, 1, 12, 0)).isoformat()
    '2026-01-01T10:00:00+00:00'
    """
    if value is None:
        return None
    return value.replace(tzinfo=HELSINKI).astimezone(timezone.utc)


def to_helsinki(value: datetime | None) -> datetime | None:
    """An aware datetime as Helsinki wall-clock time, naive (for form fields)."""
    if value is None:
        return None
    return value.astimezone(HELSINKI).replace(tzinfo=None)


def helsinki_time(value: datetime | None, *, seconds: bool = False) -> str:
    """An aware datetime as Helsinki time, 'YYYY-MM-DD HH:MM' (or with ':SS').

    >>> helsinki_time(datetime(2026, 3, 1, 9, 0, 5, tzinfo=timezone.utc), seconds=True)
    '2026-03-01 11:00:05'
    """
    if value is None:
        return ""
    return value.astimezone(HELSINKI).strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
