"""What ``pb-audit`` reports: one :class:`Diff` per difference, gathered in an
:class:`AuditReport`."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from .numbers import format_amount


def _show(value: Any) -> str:
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool) or value is None:
        text = json.dumps(value)
    elif isinstance(value, int) or type(value).__name__ == "Fraction":
        text = format_amount(value)
    else:
        text = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return " ".join(text.split()) or '""'


@dataclass(frozen=True, slots=True)
class Diff:
    """One difference: *subject* is a pot, ``bundle`` or a file path."""

    subject: str
    field: str
    published: Any
    recounted: Any

    def line(self) -> str:
        # A field named by a key inside a hostile bundle must not break the one-line format.
        name = self.field if self.field.startswith("line ") else re.sub(r"\s", "_", self.field) or '""'
        return f"DIFF {self.subject} {name}: published {_show(self.published)}, recounted {_show(self.recounted)}"


@dataclass(slots=True)
class AuditReport:
    """What an audit found; ``ok`` when there is no difference."""

    digest: str
    diffs: list[Diff] = field(default_factory=list)
    pots: list[tuple[str, int, list[str]]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.diffs

    def lines(self) -> list[str]:
        out = [f"digest {self.digest}"]
        for pot, n, args in self.pots:
            out.append(f"pot {pot}: {n} ballots; recount: pb-tally ballots/{pot}.pb {' '.join(args)}")
        out += [d.line() for d in self.diffs]
        out.append("MATCH" if self.ok else "MISMATCH")
        return out


def compare(subject: str, prefix: str, published: Any, recounted: Any, diffs: list[Diff]) -> None:
    """Append a Diff per differing field; dictionaries are compared key by key."""
    if isinstance(published, dict) and isinstance(recounted, dict):
        for key in sorted(set(published) | set(recounted), key=str):
            name = f"{prefix}.{key}" if prefix else str(key)
            if key not in published:
                diffs.append(Diff(subject, name, "(absent)", recounted[key]))
            elif key not in recounted:
                diffs.append(Diff(subject, name, published[key], "(absent)"))
            else:
                compare(subject, name, published[key], recounted[key], diffs)
    elif type(published) is not type(recounted) or published != recounted:
        diffs.append(Diff(subject, prefix or "value", published, recounted))
