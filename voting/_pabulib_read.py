"""The ``.pb`` reader behind :func:`voting.pabulib.parse_pb`: lines and CSV cells, the three
sections and their checks. The format and every policy are described in :mod:`voting.pabulib`.
"""

from __future__ import annotations

import csv
from typing import Iterator

from ._pabulib_format import AREA_COLUMNS, FORMAT_KEYS, MISSING, counts_agree
from .errors import PabulibError
from .model import Ballot, BallotFormat, Election, Notice, Project, VoteType
from .numbers import Amount, AmountError, format_amount, normalize, parse_amount, shown


class _Lines:
    """The file's lines with their numbers; joins the lines of a quoted cell that spans several."""

    def __init__(self, text: str):
        if text.startswith("\ufeff"):
            text = text[1:]
        self.lines = text.split("\n")
        self.pos = 0  # index of the next line to read

    def __iter__(self) -> Iterator[tuple[int, str]]:
        lines = self.lines
        while self.pos < len(lines):
            line = lines[self.pos]
            self.pos += 1
            if line.endswith("\r"):
                line = line[:-1]
            yield self.pos, line

    def cells(self, line: str, lineno: int) -> list[str]:
        """Split one row into trimmed cells (joining following lines while a quote is open)."""
        if '"' not in line:
            cells = line.split(";")
        else:
            while True:
                try:
                    cells = next(csv.reader([line], delimiter=";", strict=True, skipinitialspace=True))
                    break
                except csv.Error as exc:
                    if "unexpected end of data" not in str(exc):
                        raise PabulibError(f"bad CSV quoting: {exc}", lineno) from None
                    line, closed = self._join_quoted(line)
                    if not closed:
                        raise PabulibError("a quoted cell is never closed", lineno) from None
        return [c.strip() for c in cells]

    def _join_quoted(self, line: str) -> tuple[str, bool]:
        """*line* joined with the lines after it up to the one that closes its open quote (the
        first after which the number of quote marks is even: a quote inside a quoted cell is
        doubled), and whether one did; one pass, so the joined row is read again only once.
        When the lines run out first, the quote is never closed."""
        parts = [line]
        odd = line.count('"') & 1
        while self.pos < len(self.lines):
            nxt = self.lines[self.pos]
            self.pos += 1
            if nxt.endswith("\r"):
                nxt = nxt[:-1]
            parts.append(nxt)
            odd ^= nxt.count('"') & 1
            if not odd:
                return "\n".join(parts), True
        return line, False


def _amount(text: str, what: str, line: int) -> Amount:
    try:
        return parse_amount(text)
    except AmountError as exc:
        if "," in text and text.replace(",", ".", 1) != text:
            raise PabulibError(f"{what} {shown(text)} uses a decimal comma; write it with '.'", line) from None
        raise PabulibError(f"{what} {shown(text)} {exc.reason}", line) from None


def _whole(text: str, what: str, line: int) -> int:
    value = _amount(text, what, line)
    if not isinstance(value, int):
        raise PabulibError(f"{what} {shown(text)} is not a whole number", line)
    return value


def format_from_meta(
    meta: dict[str, str], line_of: dict[str, int] | None = None, end_line: int | None = None
) -> BallotFormat:
    """The ballot format a META section describes (knapsack = ``max_sum_cost``).

    >>> f = format_from_meta({"vote_type": "approval", "max_length": "5", "max_sum_cost": "1.5"})
    >>> f.max_length, f.max_sum_cost, f.is_knapsack
    (5, Fraction(3, 2), True)
    """
    line_of = line_of or {}
    raw_type = meta.get("vote_type")
    if raw_type is None:
        raise PabulibError("META has no vote_type (the META section ends here)", end_line)
    try:
        vtype = VoteType(raw_type.lower())
    except ValueError:
        names = ", ".join(v.value for v in VoteType)
        raise PabulibError(
            f"unknown vote_type {raw_type!r} (expected one of {names})", line_of.get("vote_type")
        ) from None
    limits: dict = {}
    for key, whole in FORMAT_KEYS.items():
        text = meta.get(key, "")
        if text == "" or text in MISSING:
            continue
        line = line_of.get(key)
        limits[key] = _whole(text, f"META {key}", line) if whole else _amount(text, f"META {key}", line)
    if vtype is VoteType.CUMULATIVE and "max_sum_points" not in limits:
        raise PabulibError("cumulative votes need max_sum_points in META", line_of.get("vote_type"))
    return BallotFormat(vote_type=vtype, **limits)


class Parser:
    """Reads one file's text into an :class:`~voting.model.Election` (see :mod:`voting.pabulib`)."""

    def __init__(self, text: str):
        self.src = _Lines(text)
        self.notices: list[Notice] = []

    def parse(self) -> Election:
        rows = iter(self.src)
        meta, meta_lines, meta_end = self._meta(rows)
        fmt = format_from_meta(meta, meta_lines, meta_end)
        if "budget" not in meta:
            raise PabulibError("META has no budget (the META section ends here)", meta_end)
        budget = _amount(meta["budget"], "budget", meta_lines["budget"])
        if budget <= 0:
            raise PabulibError(f"budget must be positive, got {meta['budget']!r}", meta_lines["budget"])
        projects, pcols = self._projects(rows)
        ballots, vcols = self._votes(rows, projects, fmt)
        for key, actual, what in (("num_projects", len(projects), "PROJECTS rows"), ("num_votes", len(ballots), "VOTES rows")):
            if key in meta and not counts_agree(meta[key], actual):
                self.notices.append(Notice(
                    f"{key.replace('_', '-')}-mismatch",
                    f"META {key} is {meta[key]!r} but the file has {actual} {what}",
                    line=meta_lines[key],
                ))
        election = Election(
            budget=budget, projects=projects, ballots=ballots, format=fmt, meta=meta,
            project_columns=pcols, voter_columns=vcols, notices=self.notices,
        )
        election.distinct_ballots = (ballots, len(ballots))  # (repeats merged in _votes)
        return election

    # Each section reader consumes rows until the next section title and returns it.

    def _title(self, rows, expected: str) -> None:
        for lineno, line in rows:
            s = line.strip()
            if not s:
                continue
            if s.lower() == expected:
                return
            raise PabulibError(f"expected the {expected.upper()} section title, found {s[:40]!r}", lineno)
        raise PabulibError(f"the file has no {expected.upper()} section", self.src.pos or None)

    def _header(self, rows, section: str, first: str) -> tuple[int, list[str]]:
        for lineno, line in rows:
            if not line.strip():
                continue
            header = self.src.cells(line, lineno)
            if header[0].lower() != first:
                raise PabulibError(
                    f"the {section} header must start with {first!r}, found {header[0][:40]!r}", lineno
                )
            seen = set()
            for name in header:
                if not name:
                    raise PabulibError(f"the {section} header has an empty column name", lineno)
                if name.lower() in seen:
                    raise PabulibError(f"the {section} header repeats the column {name!r}", lineno)
                seen.add(name.lower())
            return lineno, header
        raise PabulibError(f"the {section} section has no header line", self.src.pos or None)

    def _meta(self, rows) -> tuple[dict[str, str], dict[str, int], int]:
        self._title(rows, "meta")
        hline, header = self._header(rows, "META", "key")
        if [h.lower() for h in header] != ["key", "value"]:
            raise PabulibError("the META header must be 'key;value'", hline)
        meta: dict[str, str] = {}
        lines: dict[str, int] = {}
        for lineno, line in rows:
            s = line.strip()
            if not s:
                continue
            if s.lower() == "projects":
                return meta, lines, lineno
            cells = self.src.cells(line, lineno)
            if len(cells) == 1:
                raise PabulibError(f"META row {s[:40]!r} has no ';' between key and value", lineno)
            if len(cells) > 2:
                raise PabulibError(f"META row has {len(cells)} cells, expected 2 (key;value); quote a value that holds ';'", lineno)
            key, value = cells
            if not key:
                raise PabulibError("META row has an empty key", lineno)
            if key in meta:
                raise PabulibError(f"META key {key!r} appears twice (first on line {lines[key]})", lineno)
            meta[key] = value
            lines[key] = lineno
        raise PabulibError("the file has no PROJECTS section", self.src.pos or None)

    def _projects(self, rows) -> tuple[dict[str, Project], tuple[str, ...]]:
        hline, header = self._header(rows, "PROJECTS", "project_id")
        lower = [h.lower() for h in header]
        if "cost" not in lower:
            raise PabulibError("the PROJECTS header has no 'cost' column", hline)
        i_cost = lower.index("cost")
        i_name = lower.index("name") if "name" in lower else None
        i_cat = lower.index("category") if "category" in lower else None
        i_area = next((lower.index(c) for c in AREA_COLUMNS if c in lower), None)
        special = {0, i_cost, i_name, i_cat, i_area}
        others = [(i, h) for i, h in enumerate(header) if i not in special]
        width = len(header)
        projects: dict[str, Project] = {}
        for lineno, line in rows:
            s = line.strip()
            if not s:
                continue
            if s.lower() == "votes":
                return projects, tuple(header)
            cells = self.src.cells(line, lineno)
            if len(cells) > width:
                raise PabulibError(f"PROJECTS row has {len(cells)} cells but the header has {width}", lineno)
            cells += [""] * (width - len(cells))
            cells = ["" if c in MISSING else c for c in cells]
            pid = cells[0]
            if not pid:
                raise PabulibError("PROJECTS row has an empty project_id", lineno)
            if pid in projects:
                raise PabulibError(f"project {pid!r} is listed twice in PROJECTS", lineno)
            if "," in pid:
                raise PabulibError(f"project id {pid!r} contains ',', which vote lists use as separator", lineno)
            if not cells[i_cost]:
                raise PabulibError(f"project {pid!r} has no cost", lineno)
            cost = _amount(cells[i_cost], f"cost of project {pid!r}", lineno)
            if cost <= 0:
                raise PabulibError(f"cost of project {pid!r} must be positive, got {cells[i_cost]!r}", lineno)
            projects[pid] = Project(
                id=pid,
                cost=cost,
                name=cells[i_name] if i_name is not None else "",
                categories=_items(cells[i_cat]) if i_cat is not None else (),
                area=cells[i_area] if i_area is not None else "",
                extra={h: cells[i] for i, h in others if cells[i]},
            )
        raise PabulibError("the file has no VOTES section", self.src.pos or None)

    def _votes(self, rows, projects: dict[str, Project], fmt: BallotFormat) -> tuple[list[Ballot], tuple[str, ...]]:
        hline, header = self._header(rows, "VOTES", "voter_id")
        lower = [h.lower() for h in header]
        if "vote" not in lower:
            raise PabulibError("the VOTES header has no 'vote' column", hline)
        i_vote = lower.index("vote")
        vtype = fmt.vote_type
        i_points = None
        if "points" in lower and vtype in (VoteType.CUMULATIVE, VoteType.SCORING, VoteType.ORDINAL):
            i_points = lower.index("points")
        elif vtype in (VoteType.CUMULATIVE, VoteType.SCORING):
            raise PabulibError(f"{vtype.value} votes need a 'points' column in VOTES", hline)
        special = {0, i_vote, i_points}
        others = [(i, h) for i, h in enumerate(header) if i not in special]
        width = len(header)
        known = set(projects)
        seen_voters: dict[str, int] = {}
        ballots: list[Ballot] = []
        append = ballots.append
        src = self.src
        lines = src.lines
        pad = [""] * width
        # A plain loop over the line list: this is the hot path (61,668 rows in Warsaw 2026).
        while src.pos < len(lines):
            line = lines[src.pos]
            src.pos += 1
            lineno = src.pos
            if line.endswith("\r"):
                line = line[:-1]
            if '"' in line:
                cells = src.cells(line, lineno)
            else:
                cells = line.split(";")
            n = len(cells)
            if n != width:
                if n == 1 and not cells[0].strip():
                    continue  # blank line
                if n > width:
                    raise PabulibError(f"VOTES row has {n} cells but the header has {width}", lineno)
                cells += pad[n:]
            vid = cells[0].strip()
            if not vid:
                raise PabulibError("VOTES row has an empty voter_id", lineno)
            if vid in seen_voters:
                raise PabulibError(f"voter {vid!r} votes twice (first on line {seen_voters[vid]})", lineno)
            seen_voters[vid] = lineno
            cell = cells[i_vote]
            if " " in cell or "\t" in cell or '"' in line:
                cell = cell.strip()
                vote = _items(cell) if cell not in MISSING else ()
            elif cell and cell not in MISSING:
                vote = tuple(cell.split(","))
                if "" in vote:
                    vote = tuple(x for x in vote if x)
            else:
                vote = ()
            distinct = set(vote)
            if not distinct <= known:
                pid = next(p for p in vote if p not in known)
                raise PabulibError(f"voter {vid!r} votes for unknown project {pid!r}", lineno)
            points = None
            if i_points is not None:
                pcell = cells[i_points].strip()
                raw = _items(pcell) if pcell not in MISSING else ()
                if len(raw) != len(vote):
                    raise PabulibError(
                        f"voter {vid!r} has {len(vote)} projects in 'vote' but {len(raw)} entries in 'points'",
                        lineno,
                    )
                points = tuple(
                    int(p) if len(p) < 19 and p.isascii() and p.isdigit() else _amount(p, f"points of voter {vid!r}", lineno)
                    for p in raw
                )
            if len(distinct) != len(vote):
                vote, points = self._dedupe(vid, lineno, vote, points)
            extra = {}
            for i, h in others:
                c = cells[i]
                if c:
                    c = c.strip()
                    if c and c not in MISSING:
                        extra[h] = c
            append(Ballot(vid, vote, points, lineno, extra))
        return ballots, tuple(header)

    def _dedupe(self, vid, lineno, vote, points):
        """Keep each project once, at its first position, with the sum of its points."""
        order: dict[str, Amount] = {}
        times: dict[str, int] = {}
        for k, pid in enumerate(vote):
            if pid in order:
                times[pid] += 1
                if points is not None:
                    order[pid] += points[k]
            else:
                times[pid] = 1
                order[pid] = points[k] if points is not None else 0
        for pid, count in times.items():
            if count > 1:
                self.notices.append(Notice(
                    "duplicate-in-vote",
                    f"voter {vid} lists project {pid} {count} times; it counts once"
                    + (f" with the sum of its points ({format_amount(order[pid])})" if points is not None else ""),
                    line=lineno, voter_id=vid, project_id=pid,
                ))
        return tuple(order), (tuple(normalize(v) for v in order.values()) if points is not None else None)




def _items(cell: str) -> tuple[str, ...]:
    """A comma list cell: trimmed items, empty items dropped."""
    if not cell:
        return ()
    items = cell.split(",")
    if " " in cell or "\t" in cell:
        items = [x.strip() for x in items]
    if "" in items:
        items = [x for x in items if x]
    return tuple(items)
