"""Writing Pabulib ``.pb`` files (see :mod:`voting.pabulib`): LF line endings, no BOM, exact
decimals, proper CSV quoting; META counts, budget and ballot format brought in line with the
election."""

from __future__ import annotations

from pathlib import Path

from ._pabulib_format import AREA_COLUMNS, FORMAT_KEYS, MISSING, counts_agree
from .model import Election
from .numbers import AmountError, format_amount, parse_amount


def _quote(cell: str) -> str:
    if ";" in cell or '"' in cell or "\n" in cell or "\r" in cell:
        return '"' + cell.replace('"', '""') + '"'
    return cell


def _row(cells) -> str:
    return ";".join(_quote(c) for c in cells)


def _synced_meta(election: Election) -> dict[str, str]:
    """META as stored, with the counts, budget and format brought in line with the election."""
    meta = dict(election.meta)
    for key, actual in (("num_projects", len(election.projects)), ("num_votes", len(election.ballots))):
        if not counts_agree(meta.get(key, ""), actual):
            meta[key] = str(actual)

    def differs(key: str, value) -> bool:
        try:
            return key not in meta or parse_amount(meta[key]) != value
        except AmountError:
            return True

    if differs("budget", election.budget):
        meta["budget"] = format_amount(election.budget)
    if meta.get("vote_type", "").lower() != election.format.vote_type.value:
        meta["vote_type"] = election.format.vote_type.value
    for key in FORMAT_KEYS:
        value = getattr(election.format, key)
        if value is None:
            if key in meta and meta[key] not in MISSING and meta[key] != "":
                del meta[key]
        elif differs(key, value):
            meta[key] = format_amount(value)
    return meta


def _columns(given: tuple[str, ...], required: tuple[str, ...], wanted: list[str], extras) -> list[str]:
    cols = list(given) if given else []
    lower = [c.lower() for c in cols]
    for name in required + tuple(wanted):
        if name not in lower:
            cols.append(name)
            lower.append(name)
    for key in sorted({k for extra in extras for k in extra}):
        if key.lower() not in lower:
            cols.append(key)
            lower.append(key.lower())
    # project_id / voter_id must stay first
    first = required[0]
    i = lower.index(first)
    if i:
        cols.insert(0, cols.pop(i))
    return cols


def _section(title: str, cols: list[str], items, known) -> list[str]:
    """A section's lines: its title, its header and a row per item. ``known(item, column)``
    gives the cell of a column the item's own fields hold (column names in lower case), None
    for a column kept in ``item.extra``."""
    lower = [c.lower() for c in cols]
    lines = [title, _row(cols)]
    for item in items:
        cells = []
        for col, low in zip(cols, lower):
            cell = known(item, low)
            cells.append(item.extra.get(col, "") if cell is None else cell)
        lines.append(_row(cells))
    return lines


def write_pb(election: Election) -> str:
    """The ``.pb`` text of an election: LF endings, no BOM, exact decimals, CSV quoting.

    >>> from voting.pabulib import parse_pb
    >>> e = parse_pb('META\\nkey;value\\nbudget;10\\nvote_type;approval\\nnum_projects;1\\nnum_votes;1\\n'
    ...              'PROJECTS\\nproject_id;cost;name\\n1;2.50;"A; B"\\nVOTES\\nvoter_id;vote\\nx;1\\n')
    >>> print(write_pb(e), end="")
    META
    key;value
    budget;10
    vote_type;approval
    num_projects;1
    num_votes;1
    PROJECTS
    project_id;cost;name
    1;2.5;"A; B"
    VOTES
    voter_id;vote
    x;1
    >>> parse_pb(write_pb(e)) == e
    True
    """
    out: list[str] = ["META", "key;value"]
    for key, value in _synced_meta(election).items():
        out.append(_row((key, value)))

    projects = list(election.projects.values())
    wanted = []
    if any(p.name for p in projects):
        wanted.append("name")
    if any(p.categories for p in projects):
        wanted.append("category")
    pcols = _columns(election.project_columns, ("project_id", "cost"), wanted, (p.extra for p in projects))
    plower = [c.lower() for c in pcols]
    area_col = next((c for c in AREA_COLUMNS if c in plower), None)
    if area_col is None and any(p.area for p in projects):
        pcols.append("district")
        plower.append("district")
        area_col = "district"

    def project_cell(p, low: str) -> str | None:
        if low == "project_id":
            return p.id
        if low == "cost":
            return format_amount(p.cost)
        if low == "name":
            return p.name
        if low == "category":
            return ",".join(p.categories)
        if low == area_col:
            return p.area
        return None

    out += _section("PROJECTS", pcols, projects, project_cell)

    ballots = election.ballots
    wanted = ["points"] if any(b.points is not None for b in ballots) else []
    vcols = _columns(election.voter_columns, ("voter_id", "vote"), wanted, (b.extra for b in ballots))

    def vote_cell(b, low: str) -> str | None:
        if low == "voter_id":
            return b.voter_id
        if low == "vote":
            return ",".join(b.projects)
        if low == "points" and b.points is not None:
            return ",".join(format_amount(x) for x in b.points)
        return None

    out += _section("VOTES", vcols, ballots, vote_cell)
    return "\n".join(out) + "\n"


def dump_pb(election: Election, path: str | Path) -> None:
    """Write an election to a ``.pb`` file (UTF-8, LF, no BOM)."""
    Path(path).write_text(write_pb(election), encoding="utf-8", newline="\n")
