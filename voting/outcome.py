"""The result of a rule and its canonical JSON form."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from .model import Notice
from .numbers import Amount, json_amount
from .tiebreak import TieRecord


def _plain(value: Any) -> Any:
    """Turn a value into JSON-ready data with no floats (amounts become int or exact text)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, Fraction)):
        return json_amount(value)
    if isinstance(value, float):
        raise TypeError("floats are not allowed in canonical JSON")
    if isinstance(value, (TieRecord, Notice)):
        return value.to_json()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "value") and isinstance(value.value, str):  # enums
        return value.value
    raise TypeError(f"cannot write {type(value).__name__} as canonical JSON")


def canonical_json(data: Any) -> str:
    """Sorted keys, compact separators, UTF-8 text, no floats, one final newline.

    >>> canonical_json({"b": Fraction(1, 4), "a": [1, "x"]})
    '{"a":[1,"x"],"b":"0.25"}\\n'
    """
    return json.dumps(_plain(data), sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"


@dataclass(slots=True)
class Outcome:
    """What a rule decided, with everything needed to explain and recount it.

    ``selected`` is in order of selection. ``details`` holds rule-specific figures (for
    example the final per-voter budget of ``add1``) and is merged into the JSON object.
    """

    rule: str
    parameters: dict[str, Any]
    budget: Amount
    selected: list[str]
    total_cost: Amount
    votes: dict[str, int]
    score: dict[str, Amount] | None = None
    ties: list[TieRecord] = field(default_factory=list)
    warnings: list[Notice] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.details)
        out.update(
            rule=self.rule,
            parameters=self.parameters,
            budget=self.budget,
            selected=list(self.selected),
            total_cost=self.total_cost,
            votes=self.votes,
            ties=self.ties,
            warnings=self.warnings,
        )
        if self.score is not None:
            out["score"] = self.score
        return _plain(out)

    def to_json(self) -> str:
        return canonical_json(self.to_dict())
