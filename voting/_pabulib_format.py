"""What the Pabulib reader and writer share: the cells that mean "missing", the area
columns, the META keys of the ballot format, and how a META count is compared."""

from __future__ import annotations

from .numbers import AmountError, parse_amount

#: Cells that stand for a missing value.
MISSING = frozenset({"None", "none", "NONE"})
#: PROJECTS columns whose value goes into ``Project.area``, the first one present wins.
AREA_COLUMNS = ("district", "neighborhood")
#: META keys that make up the ballot format, and whether each is a whole number.
FORMAT_KEYS = {
    "min_length": True,
    "max_length": True,
    "min_sum_cost": False,
    "max_sum_cost": False,
    "min_points": False,
    "max_points": False,
    "min_sum_points": False,
    "max_sum_points": False,
}


def counts_agree(text: str, actual: int) -> bool:
    """Whether a META count *text* states *actual* (unreadable text does not)."""
    try:
        return parse_amount(text) == actual
    except AmountError:
        return False
