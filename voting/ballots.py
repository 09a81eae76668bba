"""The one ballot check, used by the app when a ballot is cast and by the rules when they count.

:func:`ballot_problems` lists everything wrong with one ballot against a :class:`BallotFormat`;
:func:`check_ballot` raises :class:`BallotError` with the same messages. At tally time
:func:`election_warnings` runs the same check over every ballot of an election (a ballot that
breaks the file's own limits is still counted as recorded, and reported) and cross-checks the
PROJECTS ``votes``/``score`` columns against the counts over the VOTES rows.
"""

from __future__ import annotations

from itertools import compress, repeat
from operator import attrgetter
from typing import Mapping, Sequence

from .counting import ballot_projects, point_scores, repeated_ballots, vote_counts
from .errors import BallotError
from .model import BallotFormat, Election, Notice, VoteType
from .numbers import Amount, AmountError, format_amount, parse_amount

__all__ = ["ballot_problems", "check_ballot", "election_warnings"]

_POINT_TYPES = (VoteType.CUMULATIVE, VoteType.SCORING)
_points_of = attrgetter("points")


def _fmt(value: Amount) -> str:
    return format_amount(value)


def ballot_problems(
    projects: Sequence[str],
    points: Sequence[Amount] | None,
    fmt: BallotFormat,
    costs: Mapping[str, Amount],
) -> list[str]:
    """Everything that makes a ballot invalid under *fmt* (an empty list when it is valid).

    *costs* maps every project on the ballot paper to its cost. Limits the format leaves at
    ``None`` are not checked; a choose-1 ballot always needs exactly one project, and
    cumulative points are never negative.

    >>> fmt = BallotFormat(max_length=2, max_sum_cost=100)
    >>> ballot_problems(["a", "b", "a", "z"], None, fmt, {"a": 60, "b": 50})
    ['project a is listed more than once', 'unknown project z', 'too many projects: 4 chosen, at most 2 allowed', 'total cost 110 is above the limit of 100']
    >>> ballot_problems(["a"], None, fmt, {"a": 60, "b": 50})
    []
    """
    problems: list[str] = []
    n = len(projects)
    distinct = set(projects)
    if len(distinct) != n:
        seen: set[str] = set()
        repeated = []
        for pid in projects:
            if pid in seen and pid not in repeated:
                repeated.append(pid)
            seen.add(pid)
        problems.extend(f"project {pid} is listed more than once" for pid in repeated)
    if not distinct <= costs.keys():
        problems.extend(f"unknown project {pid}" for pid in dict.fromkeys(projects) if pid not in costs)

    vtype = fmt.vote_type
    if vtype is VoteType.CHOOSE_1 and n != 1:
        problems.append(f"a choose-1 ballot needs exactly one project, {n} chosen")
    if fmt.min_length is not None and n < fmt.min_length:
        problems.append(f"too few projects: {n} chosen, at least {fmt.min_length} needed")
    if fmt.max_length is not None and n > fmt.max_length:
        problems.append(f"too many projects: {n} chosen, at most {fmt.max_length} allowed")

    if fmt.min_sum_cost is not None or fmt.max_sum_cost is not None:
        total = sum(costs[pid] for pid in distinct if pid in costs)
        if fmt.min_sum_cost is not None and total < fmt.min_sum_cost:
            problems.append(f"total cost {_fmt(total)} is below the minimum of {_fmt(fmt.min_sum_cost)}")
        if fmt.max_sum_cost is not None and total > fmt.max_sum_cost:
            problems.append(f"total cost {_fmt(total)} is above the limit of {_fmt(fmt.max_sum_cost)}")

    if points is None:
        if vtype in _POINT_TYPES:
            problems.append(f"a {vtype.value} ballot needs points for its projects")
        return problems
    if vtype in (VoteType.APPROVAL, VoteType.CHOOSE_1):
        problems.append(f"an {vtype.value} ballot carries no points")
        return problems
    if len(points) != n:
        problems.append(f"{len(points)} points given for {n} projects")
        return problems
    low = fmt.min_points
    if low is None and vtype is VoteType.CUMULATIVE:
        low = 0
    if low is not None or fmt.max_points is not None:
        for pid, value in zip(projects, points):
            if low is not None and value < low:
                problems.append(f"{_fmt(value)} points for project {pid}, at least {_fmt(low)} needed")
            if fmt.max_points is not None and value > fmt.max_points:
                problems.append(f"{_fmt(value)} points for project {pid}, at most {_fmt(fmt.max_points)} allowed")
    if fmt.min_sum_points is not None or fmt.max_sum_points is not None:
        total = sum(points)
        if fmt.min_sum_points is not None and total < fmt.min_sum_points:
            problems.append(f"{_fmt(total)} points in all, at least {_fmt(fmt.min_sum_points)} needed")
        if fmt.max_sum_points is not None and total > fmt.max_sum_points:
            problems.append(f"{_fmt(total)} points in all, at most {_fmt(fmt.max_sum_points)} allowed")
    return problems


def check_ballot(
    projects: Sequence[str],
    points: Sequence[Amount] | None,
    fmt: BallotFormat,
    costs: Mapping[str, Amount],
) -> None:
    """Raise :class:`BallotError` listing every problem of the ballot (its ``problems`` attribute).

    >>> check_ballot(["a", "b"], None, BallotFormat(max_length=1), {"a": 1, "b": 2})
    Traceback (most recent call last):
    ...
    voting.errors.BallotError: too many projects: 2 chosen, at most 1 allowed
    """
    problems = ballot_problems(projects, points, fmt, costs)
    if problems:
        error = BallotError("; ".join(problems))
        error.problems = problems  # type: ignore[attr-defined]
        raise error


def election_warnings(election: Election) -> list[Notice]:
    """Tally-time warnings: ballots that break the election's own limits, then column mismatches.

    Each ballot with problems gives one ``ballot-limits`` notice with its voter id and line;
    each project whose PROJECTS ``votes`` (or ``score``) column disagrees with the count over
    the VOTES rows gives a ``votes-mismatch`` (or ``score-mismatch``) notice.

    Every ballot that *may* have a problem (found by :func:`_suspects`, in whole-list passes)
    goes through :func:`ballot_problems`, the same check as at cast time; the others have none.

    >>> from voting.pabulib import parse_pb
    >>> e = parse_pb("META\\nkey;value\\nbudget;9\\nvote_type;approval\\nmax_length;1\\n"
    ...              "PROJECTS\\nproject_id;cost;votes\\na;5;2\\nb;4;1\\nVOTES\\nvoter_id;vote\\nv1;a,b\\n")
    >>> [(n.code, n.voter_id, n.project_id, n.line) for n in election_warnings(e)]
    [('ballot-limits', 'v1', None, 12), ('votes-mismatch', None, 'a', None)]
    """
    fmt = election.format
    costs = {pid: p.cost for pid, p in election.projects.items()}
    notices: list[Notice] = []
    ballots = election.ballots
    for i in _suspects(election, costs):
        ballot = ballots[i]
        problems = ballot_problems(ballot.projects, ballot.points, fmt, costs)
        if problems:
            notices.append(Notice(
                "ballot-limits",
                f"ballot of voter {ballot.voter_id}: " + "; ".join(problems),
                line=ballot.line,
                voter_id=ballot.voter_id,
            ))
    notices.extend(_column_checks(election))
    return notices


def _where(flags: list[bool]) -> set[int]:
    return set(compress(range(len(flags)), flags))


def _suspects(election: Election, costs: Mapping[str, Amount]) -> list[int]:
    """Indices of every ballot that breaks a limit of ``election.format`` (and maybe others).

    Each test runs over whole lists at C speed; a ballot any test flags is checked in full by
    the caller. A ballot none flags passes ``ballot_problems``: each of its checks has a test
    here (repeats, unknown projects, length and choose-1, cost sums, points).
    """
    fmt = election.format
    ballots = election.ballots
    projs = ballot_projects(election)
    lens = list(map(len, projs))
    suspect: set[int] = set()
    if _all_distinct_and_known(election, lens):
        price = costs.__getitem__
    else:
        suspect |= repeated_ballots(election)
        seen = set().union(*projs)
        if not seen <= costs.keys():
            unknown = seen - costs.keys()
            suspect |= _where([not unknown.isdisjoint(p) for p in projs])
        price = {pid: costs.get(pid, 0) for pid in seen}.__getitem__
    low, high = fmt.min_length, fmt.max_length
    if fmt.vote_type is VoteType.CHOOSE_1:  # exactly one project, besides any stricter limit
        low = 1 if low is None else max(low, 1)
        high = 1 if high is None else min(high, 1)
    if low is not None and lens and min(lens) < low:
        suspect |= _where([n < low for n in lens])
    if high is not None and lens and max(lens) > high:
        suspect |= _where([n > high for n in lens])
    if fmt.min_sum_cost is not None or fmt.max_sum_cost is not None:
        totals = list(map(sum, map(map, repeat(price), projs)))  # C-level: no frame per ballot
        if fmt.min_sum_cost is not None:
            suspect |= _where([t < fmt.min_sum_cost for t in totals])
        if fmt.max_sum_cost is not None:
            suspect |= _where([t > fmt.max_sum_cost for t in totals])
    points = list(map(_points_of, ballots))
    n_none = points.count(None)
    if fmt.vote_type in _POINT_TYPES:
        if n_none:
            suspect |= _where([p is None for p in points])
    elif n_none != len(points):
        if fmt.vote_type in (VoteType.APPROVAL, VoteType.CHOOSE_1):
            suspect |= _where([p is not None for p in points])
    if n_none != len(points):
        scored = [i for i, p in enumerate(points) if p is not None]
        suspect.update(i for i in scored if len(points[i]) != lens[i])
        low_pts = fmt.min_points
        if low_pts is None and fmt.vote_type is VoteType.CUMULATIVE:
            low_pts = 0
        if low_pts is not None:
            suspect.update(i for i in scored if points[i] and min(points[i]) < low_pts)
        if fmt.max_points is not None:
            suspect.update(i for i in scored if points[i] and max(points[i]) > fmt.max_points)
        if fmt.min_sum_points is not None:
            suspect.update(i for i in scored if sum(points[i]) < fmt.min_sum_points)
        if fmt.max_sum_points is not None:
            suspect.update(i for i in scored if sum(points[i]) > fmt.max_sum_points)
    return sorted(suspect)


def _all_distinct_and_known(election: Election, lens: list[int]) -> bool:
    """True when no ballot lists a project twice and none names a project the election lacks.

    The vote counts count each ballot once for each distinct project it lists (and refuse an
    unknown project), so they add up to the ballots' lengths exactly when no ballot repeats
    one. By the time the checks run after a rule, the rule has counted them (MES counts the
    supporter lists they come from), and the column check needs them too, so this usually
    replaces two passes over the ballots (sets of each ballot, and the union of them all) with
    a sum.
    """
    try:
        counts = vote_counts(election)
    except BallotError:  # an unknown project: the caller's own tests find and report it
        return False
    return sum(counts.values()) == sum(lens)


def _column_checks(election: Election) -> list[Notice]:
    has_votes = any("votes" in p.extra for p in election.projects.values())
    has_score = any("score" in p.extra for p in election.projects.values())
    if not (has_votes or has_score):
        return []
    notices = []
    checks = []
    if has_votes:
        checks.append(("votes", vote_counts(election)))
    if has_score:
        scores = point_scores(election)
        if scores is not None:
            checks.append(("score", scores))
    for column, counted in checks:
        for pid, project in election.projects.items():
            text = project.extra.get(column)
            if text is None or text == str(counted[pid]):  # the usual case: no need to parse
                continue
            try:
                stated = parse_amount(text)
            except AmountError:
                notices.append(Notice(
                    f"{column}-mismatch",
                    f"project {pid}: the PROJECTS {column} column holds {text!r}, not a number",
                    project_id=pid,
                ))
                continue
            if stated != counted[pid]:
                notices.append(Notice(
                    f"{column}-mismatch",
                    f"project {pid}: the PROJECTS {column} column says {text} but the VOTES rows give "
                    f"{format_amount(counted[pid])}",
                    project_id=pid,
                ))
    return notices
