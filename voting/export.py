"""Anonymised ballot export of one pot: Pabulib ``.pb``, CSV and canonical JSON.

The input is an :class:`~voting.model.Election` whose ballots the app has already stripped of
personal data. The export keeps of each ballot only its choices (and points), plus optional
coarse demographics, and gives it a FRESH random ballot id: 16 lower-case hex digits (64 bits)
from :mod:`secrets`, or from an injected :class:`random.Random` for reproducible tests. Input
voter ids, ``Ballot.extra``, line numbers and input order are never written.

**Order.** Ballots are sorted by content, then by the random id. The content key is the sorted
tuple of project ids (plain string order), then the project ids in the written order (only
ordinal ballots keep the voter's ranking; approval ballots are written in sorted order, and
cumulative and scoring ballots sorted by project id with their points), then the points. Ids
are drawn in order of (content, demographics), so the whole export is a function of the
*multiset* of ballots and of the random source: shuffling the input gives the same bytes for
the same seed, and nothing in the file follows casting order.

**Demographics** (optional): the columns ``age_band`` (free text such as ``13-15``), ``area``
(free text) and ``channel`` (``online``, ``code`` or ``paper``). Within the pot, a column holding
a value seen on fewer than ``min_group_size`` ballots is blanked whole (a blank cell must not
mark a rare value), then every ballot whose combination of the
remaining values is shared by fewer than ``min_group_size`` ballots has all its demographic
cells blanked. Afterwards every non-blank combination, and every non-blank value, is shared
by at least ``min_group_size`` ballots of the pot. (A rare *ballot content* can still single
a ballot out together with its demographics; publish demographics only with a size that
makes that acceptable.)

The files (the columns are exactly these, in this order):

- ``.pb``: META with ``description``, ``country``, ``unit``, ``subunit``, ``district``,
  ``instance``, ``edition``, ``language``, ``currency``, ``date_begin``, ``date_end`` when the
  input META has them, then ``num_projects``, ``num_votes``, ``budget``, ``vote_type``, the
  ballot-format limits, and ``rule`` (with ``min_project_score_threshold``) when a rule is
  given; PROJECTS ``project_id;cost`` (+ ``name``, ``category``, ``district`` when any project
  has one); VOTES ``voter_id;vote`` (+ ``points``) (+ the demographic columns).
- CSV (comma separated, ``"`` quoting, LF, UTF-8): ``ballot_id,vote`` (+ ``points``) (+ the
  demographic columns); ``vote`` and ``points`` are comma lists in one cell, as in ``.pb``.
- JSON (canonical): ``{"pot", "columns", "ballots": [{"ballot_id", "vote": [...],
  "points": [...]?, <demographic column>: value or null}]}``.

>>> import random
>>> from voting.model import Ballot, Election, Project
>>> e = Election(10, {"a": Project("a", 6), "b": Project("b", 4)},
...              [Ballot("alice@example.org", ("b", "a")), Ballot("db-17", ("a",))])
>>> x = export_pot(e, "north", rng=random.Random(1))
>>> [(len(b.voter_id), b.projects) for b in x.election.ballots]
[(16, ('a',)), (16, ('a', 'b'))]
>>> "alice" in x.pb_text() + x.csv_text() + x.json_text()
False
"""

from __future__ import annotations

import csv
import io
import random
import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .errors import VotingError
from .model import Ballot, Election, Project, VoteType
from .numbers import Amount, format_amount, json_amount
from .outcome import canonical_json
from .pabulib import FORMAT_KEYS, write_pb

__all__ = [
    "CHANNELS",
    "DEMOGRAPHIC_COLUMNS",
    "Demographics",
    "ExportError",
    "ExportedPot",
    "POT_NAME",
    "check_pot_name",
    "clean_meta",
    "clean_projects",
    "content_key",
    "export_pot",
    "pabulib_rule",
    "pb_election",
    "suppress",
]

#: The demographic columns an export may carry, in column order.
DEMOGRAPHIC_COLUMNS = ("age_band", "area", "channel")
#: How a ballot was cast.
CHANNELS = ("online", "code", "paper")
#: Input META keys copied into the ``.pb`` (everything else is left out).
META_KEYS = (
    "description", "country", "unit", "subunit", "district", "instance", "edition",
    "language", "currency", "date_begin", "date_end",
)
#: Every META key, PROJECTS column and VOTES column an exported ``.pb`` may hold.
PB_META_KEYS = frozenset(META_KEYS) | frozenset(FORMAT_KEYS) | {
    "num_projects", "num_votes", "budget", "vote_type", "rule", "min_project_score_threshold"}
PB_PROJECT_COLUMNS = ("project_id", "cost", "name", "category", "district")
PB_VOTER_COLUMNS = ("voter_id", "vote", "points") + DEMOGRAPHIC_COLUMNS
#: A pot's name is a file name in the bundle: lower-case (unzipping on a case-insensitive
#: file system must not merge two pots), no dots or slashes, at most 64 characters.
POT_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
#: Names that may not be used for a pot (``bundle`` names whole-bundle lines in pb-audit).
RESERVED_POTS = frozenset({"bundle"})
_DEMOGRAPHIC_TEXT = re.compile(r"(?!(?:none|None|NONE)$)[^\s,;\"\x00-\x1f\x7f](?:[^,;\"\x00-\x1f\x7f]{0,38}[^\s,;\"\x00-\x1f\x7f])?")


class ExportError(VotingError):
    """Input the export cannot write: a bad pot name, demographics of the wrong shape, ..."""


@dataclass(frozen=True, slots=True)
class Demographics:
    """Coarse facts about one ballot's voter; ``None`` means unknown."""

    age_band: str | None = None
    area: str | None = None
    channel: str | None = None


def check_pot_name(pot: str) -> str:
    """Return *pot* if it can name a pot (a file name in the bundle), else raise ExportError."""
    if not isinstance(pot, str) or not POT_NAME.fullmatch(pot) or pot in RESERVED_POTS:
        raise ExportError(
            f"pot name {pot!r} must be 1-64 of a-z, 0-9, '-' and '_', starting with a letter "
            "or digit, and not 'bundle'"
        )
    return pot


def pabulib_rule(rule: str, parameters: Mapping[str, Any]) -> dict[str, str]:
    """The META ``rule`` (and threshold) that says *rule* in Pabulib's words, when it can.

    >>> pabulib_rule("mes", {"utility": "cost", "completion": "add1"})
    {'rule': 'equalshares/add1'}
    >>> pabulib_rule("greedy", {"min_score": 3000})
    {'rule': 'greedy-threshold', 'min_project_score_threshold': '3000'}
    >>> pabulib_rule("phragmen", {})
    {'rule': 'phragmen'}
    """
    if rule == "greedy":
        if parameters.get("min_score") is not None:
            return {"rule": "greedy-threshold",
                    "min_project_score_threshold": format_amount(parameters["min_score"])}
        return {"rule": "greedy"}
    if (rule == "mes" and parameters.get("utility", "cost") == "cost"
            and parameters.get("completion", "none") == "add1"):
        return {"rule": "equalshares/add1-comparison" if parameters.get("compare_greedy") else "equalshares/add1"}
    if rule == "mes" and parameters.get("completion", "none") == "none" and not parameters.get("compare_greedy"):
        if parameters.get("utility", "cost") == "cost":
            return {"rule": "equalshares"}
    return {"rule": rule}


def _canonical_choices(ballot: Ballot, vote_type: VoteType) -> tuple[tuple[str, ...], tuple[Amount, ...] | None]:
    """The ballot's projects (and points) in the written order."""
    if vote_type is VoteType.ORDINAL:
        return ballot.projects, ballot.points
    if ballot.points is None:
        return tuple(sorted(ballot.projects)), None
    pairs = sorted(zip(ballot.projects, ballot.points))
    return tuple(p for p, _ in pairs), tuple(x for _, x in pairs)


def content_key(projects: Sequence[str], points: Sequence[Amount] | None) -> tuple:
    """The sort key of a ballot's content: sorted ids, written ids, then points."""
    return (tuple(sorted(projects)), tuple(projects), tuple(points) if points is not None else ())


def _check_demographics(demographics: Sequence[Demographics | None], n: int) -> list[tuple]:
    if len(demographics) != n:
        raise ExportError(f"{len(demographics)} demographics records for {n} ballots")
    rows = []
    for k, d in enumerate(demographics):
        if d is None:
            rows.append((None, None, None))
            continue
        if not isinstance(d, Demographics):
            raise ExportError(f"demographics record {k} is a {type(d).__name__}, not Demographics")
        values = (d.age_band, d.area, d.channel)
        for col, value in zip(DEMOGRAPHIC_COLUMNS, values):
            if value is not None and (not isinstance(value, str) or not _DEMOGRAPHIC_TEXT.fullmatch(value)):
                raise ExportError(
                    f"demographics record {k}: {col} {value!r} must be 1-40 characters without "
                    "control characters, ',', ';', '\"' or outer spaces, and not 'none'"
                )
        if d.channel is not None and d.channel not in CHANNELS:
            raise ExportError(f"demographics record {k}: channel {d.channel!r} is not one of {', '.join(CHANNELS)}")
        rows.append(values)
    return rows


def suppress(rows: Sequence[tuple], min_group_size: int) -> list[tuple]:
    """Blank every column holding a value shared by fewer than *min_group_size* rows, then every
    row whose remaining combination is shared by fewer rows.

    A column is published whole or not at all: blanking only the rare cells would mark those
    rows as holding a rare value, and where totals are public (the channel counts of the bundle)
    it would say which value.

    >>> suppress([("13-15", "a", "code")] * 3 + [("16-18", "a", "code")], 3)
    [(None, 'a', 'code'), (None, 'a', 'code'), (None, 'a', 'code'), (None, 'a', 'code')]
    """
    if min_group_size < 1:
        raise ExportError(f"min_group_size must be at least 1, got {min_group_size}")
    width = len(rows[0]) if rows else 0
    columns = [Counter(r[i] for r in rows if r[i] is not None) for i in range(width)]
    kept = [all(n >= min_group_size for n in counts.values()) for counts in columns]
    out = [tuple(v if kept[i] else None for i, v in enumerate(r)) for r in rows]
    combos = Counter(out)
    blank = (None,) * width
    return [r if combos[r] >= min_group_size else blank for r in out]


@dataclass(frozen=True, slots=True)
class ExportedPot:
    """One pot's anonymised ballots; ``election.ballots`` are in export order with fresh ids."""

    pot: str
    election: Election
    columns: tuple[str, ...] = field(default=())

    @property
    def has_points(self) -> bool:
        e = self.election
        return e.format.has_points or any(b.points is not None for b in e.ballots)

    def pb_text(self) -> str:
        """The Pabulib file."""
        return write_pb(self.election)

    def _cells(self, b: Ballot, has_points: bool) -> list[str]:
        cells = [b.voter_id, ",".join(b.projects)]
        if has_points:
            cells.append(",".join(format_amount(x) for x in b.points or ()))
        cells += [b.extra.get(c, "") for c in self.columns]
        return cells

    def csv_header(self) -> list[str]:
        return ["ballot_id", "vote"] + (["points"] if self.has_points else []) + list(self.columns)

    def csv_text(self) -> str:
        """The CSV file: a header row, then one row per ballot."""
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(self.csv_header())
        has_points = self.has_points  # once: it looks at every ballot
        for b in self.election.ballots:
            writer.writerow(self._cells(b, has_points))
        return buf.getvalue()

    def json_data(self) -> dict[str, Any]:
        ballots = []
        has_points = self.has_points
        for b in self.election.ballots:
            row: dict[str, Any] = {"ballot_id": b.voter_id, "vote": list(b.projects)}
            if has_points:
                row["points"] = [json_amount(x) for x in b.points or ()]
            for c in self.columns:
                row[c] = b.extra.get(c)
            ballots.append(row)
        return {"pot": self.pot, "columns": self.csv_header(), "ballots": ballots}

    def json_text(self) -> str:
        """The canonical JSON file."""
        return canonical_json(self.json_data())


def _project_id(pid: str) -> str:
    if not isinstance(pid, str) or not pid or pid != pid.strip() or "," in pid or ";" in pid or pid.lower() == "none":
        raise ExportError(f"project id {pid!r} cannot be written to a .pb file (empty, outer spaces, ',', ';' or 'none')")
    return pid


def _fresh_ids(n: int, rng: random.Random | None, avoid: set[str]) -> list[str]:
    ids: list[str] = []
    seen = set(avoid)
    while len(ids) < n:
        new = secrets.token_hex(8) if rng is None else f"{rng.getrandbits(64):016x}"
        if new not in seen:  # a repeat (or an input voter id) is astronomically rare: draw again
            seen.add(new)
            ids.append(new)
    return ids


def clean_projects(projects: Mapping[str, Project]) -> dict[str, Project]:
    """The projects as an export writes them: id, cost, name, categories and area, normalised."""
    out = {}
    for pid, p in projects.items():
        categories = tuple(" ".join(c.split()) for c in p.categories if c.strip())
        if any("," in c or c.lower() == "none" for c in categories):
            raise ExportError(f"project {pid!r}: a category cannot contain ',' or be 'none'")
        out[pid] = Project(id=_project_id(pid), cost=p.cost, name=_text(p.name), categories=categories,
                           area=_text(p.area))
    return out


def _text(value: str) -> str:
    """One-line text that survives a .pb file: inner runs of spaces kept as one, 'none' dropped."""
    text = " ".join(str(value).split())
    return "" if text.lower() == "none" else text


def clean_meta(meta: Mapping[str, str]) -> dict[str, str]:
    """The descriptive META values an export copies (:data:`META_KEYS`), normalised."""
    return {k: _text(meta[k]) for k in META_KEYS if k in meta and _text(meta[k])}


def pb_election(
    budget: Amount,
    projects: Mapping[str, Project],
    fmt,
    ballots: list[Ballot],
    *,
    meta: Mapping[str, str] | None = None,
    rule: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    columns: tuple[str, ...] = (),
) -> Election:
    """The election an exported ``.pb`` holds: documented META and columns only.

    The audit rebuilds it from ``config.json`` and the file's ballots, so every byte of an
    exported ``.pb`` is accounted for.
    """
    projects = clean_projects(projects)
    pcols = ["project_id", "cost"]
    if any(p.name for p in projects.values()):
        pcols.append("name")
    if any(p.categories for p in projects.values()):
        pcols.append("category")
    if any(p.area for p in projects.values()):
        pcols.append("district")
    out_meta = clean_meta(meta or {})
    out_meta["num_projects"] = str(len(projects))
    out_meta["num_votes"] = str(len(ballots))
    out_meta["budget"] = format_amount(budget)
    out_meta["vote_type"] = VoteType(fmt.vote_type).value
    for key in FORMAT_KEYS:
        value = getattr(fmt, key)
        if value is not None:
            out_meta[key] = format_amount(value)
    if rule is not None:
        out_meta.update(pabulib_rule(rule, parameters or {}))
    has_points = fmt.has_points or any(b.points is not None for b in ballots)
    vcols = ("voter_id", "vote") + (("points",) if has_points else ()) + tuple(columns)
    return Election(
        budget=budget, projects=projects, ballots=ballots, format=fmt,
        meta=out_meta, project_columns=tuple(pcols), voter_columns=vcols,
    )


def export_pot(
    election: Election,
    pot: str,
    *,
    demographics: Sequence[Demographics | None] | None = None,
    min_group_size: int = 10,
    rule: str | None = None,
    parameters: Mapping[str, Any] | None = None,
    rng: random.Random | None = None,
) -> ExportedPot:
    """Anonymise *election*'s ballots for publication (see the module docstring).

    *demographics*, when given, has one entry per ballot (in the election's ballot order);
    *rule* and *parameters* only set the ``.pb`` META ``rule``.
    """
    check_pot_name(pot)
    vote_type = VoteType(election.format.vote_type)
    ballots = election.ballots
    columns: tuple[str, ...] = ()
    if demographics is not None:
        demo = suppress(_check_demographics(demographics, len(ballots)), min_group_size)
        columns = DEMOGRAPHIC_COLUMNS
    else:
        demo = [()] * len(ballots)

    rows = []
    for b, d in zip(ballots, demo):
        projects, points = _canonical_choices(b, vote_type)
        rows.append((content_key(projects, points), tuple(v or "" for v in d), projects, points, d))
    rows.sort(key=lambda r: (r[0], r[1]))
    ids = _fresh_ids(len(rows), rng, {b.voter_id for b in ballots})
    ordered = sorted(zip(rows, ids), key=lambda pair: (pair[0][0], pair[1]))
    out_ballots = [
        Ballot(voter_id=bid, projects=projects, points=points,
               extra={c: v for c, v in zip(columns, d) if v is not None})
        for (_, _, projects, points, d), bid in ordered
    ]

    out = pb_election(
        election.budget, election.projects, election.format, out_ballots,
        meta=election.meta, rule=rule, parameters=parameters, columns=columns,
    )
    return ExportedPot(pot=pot, election=out, columns=columns)
