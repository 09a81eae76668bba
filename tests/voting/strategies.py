"""Hypothesis strategies for small, valid elections (shared by every test of the core).

``elections()`` draws an :class:`~voting.model.Election` that a Pabulib file could hold:
string project ids (some that sort differently as strings and as numbers), positive costs
(integers, or exact decimal fractions when asked), a positive integer budget, ballots that obey
the election's own format, and a META dict consistent with all of it (so that writing the
election to a ``.pb`` file and reading it back gives the same election).

Example::

    from hypothesis import given
    from tests.voting.strategies import elections

    @given(elections(vote_type="approval", max_projects=5))
    def test_budget_never_exceeded(election): ...
"""

from __future__ import annotations

from fractions import Fraction

from hypothesis import strategies as st

from voting.model import Ballot, BallotFormat, Election, Project, VoteType
from voting.numbers import format_amount

#: Project ids that exercise string order ("10" < "9", "p10" < "p2") and non-numeric ids.
PROJECT_IDS = ("1", "2", "3", "9", "10", "11", "p2", "p10", "a", "B", "c-1", "OGM/0015")

#: Denominators whose fractions are finite decimals, so a .pb file can write them exactly.
DECIMAL_DENOMINATORS = (2, 4, 5, 10, 20, 25, 100)

_NAME_TEXT = st.text(
    alphabet=st.characters(
        codec="utf-8", exclude_categories=("Cc", "Cs", "Zl", "Zp"), exclude_characters=",\u0085"
    ),
    max_size=12,
).map(str.strip).filter(lambda s: s.lower() != "none")

_VOTER_ID = st.text(alphabet="abcdefXYZ0123456789-_", min_size=1, max_size=6)


def amounts(*, fractional: bool = False, min_value: int = 1, max_value: int = 100) -> st.SearchStrategy:
    """Positive exact amounts: ints, or (``fractional``) finite-decimal Fractions/ints."""
    ints = st.integers(min_value=min_value, max_value=max_value)
    if not fractional:
        return ints

    def build(whole: int, num: int, den: int):
        value = Fraction(whole) + Fraction(num % den, den)
        return value.numerator if value.denominator == 1 else value

    return st.builds(build, ints, st.integers(0, 99), st.sampled_from(DECIMAL_DENOMINATORS))


def _vote_type(value) -> st.SearchStrategy:
    if value is None:
        return st.sampled_from([VoteType.APPROVAL, VoteType.CHOOSE_1])
    if isinstance(value, (list, tuple)):
        return st.sampled_from([VoteType(v) for v in value])
    return st.just(VoteType(value))


@st.composite
def elections(
    draw,
    min_projects: int = 1,
    max_projects: int = 6,
    min_voters: int = 0,
    max_voters: int = 12,
    vote_type=VoteType.APPROVAL,
    with_costs_fractional: bool = False,
    knapsack: bool = False,
    with_points: bool | None = None,
    max_cost: int = 100,
    names: bool = True,
) -> Election:
    """A valid small election.

    - ``vote_type``: a VoteType or its name, a list of them to choose from, or None for
      approval or choose-1 (the types every rule accepts).
    - ``with_costs_fractional``: costs are finite-decimal Fractions (some still whole).
    - ``knapsack``: approval ballots whose total cost stays within ``max_sum_cost = budget``.
    - ``with_points``: for ordinal ballots, add Kraków-style points (n, n-1, ..., 1);
      None draws it. Cumulative and scoring ballots always carry points.
    Approval ballots hold 0..k distinct projects; choose-1 ballots exactly one.
    """
    vtype = draw(_vote_type(vote_type))
    n_projects = draw(st.integers(min_projects, max_projects))
    pids = draw(st.permutations(PROJECT_IDS).map(lambda p: list(p[:n_projects])))
    costs = [draw(amounts(fractional=with_costs_fractional, max_value=max_cost)) for _ in pids]
    total = sum(costs)
    budget = draw(st.integers(1, max(1, int(total) + max_cost // 2)))
    projects = {
        pid: Project(id=pid, cost=cost, name=draw(_NAME_TEXT) if names else "")
        for pid, cost in zip(pids, costs)
    }
    project_columns = ("project_id", "cost", "name") if names else ("project_id", "cost")

    meta = {
        "description": "generated election",
        "country": "Nowhere",
        "unit": "Testville",
        "instance": "2026",
        "num_projects": str(n_projects),
        "budget": format_amount(budget),
        "vote_type": vtype.value,
        "rule": "greedy",
    }
    fmt_args: dict = {}
    if vtype is VoteType.CHOOSE_1:
        fmt_args.update(min_length=1, max_length=1)
    if knapsack and vtype is VoteType.APPROVAL:
        fmt_args["max_sum_cost"] = budget
    max_sum_points = None
    if vtype is VoteType.CUMULATIVE:
        max_sum_points = draw(st.integers(1, 10))
        fmt_args["max_sum_points"] = max_sum_points
    for key, value in fmt_args.items():
        meta[key] = format_amount(value)
    fmt = BallotFormat(vote_type=vtype, **fmt_args)

    ordinal_points = vtype is VoteType.ORDINAL and (
        draw(st.booleans()) if with_points is None else with_points
    )
    has_points = vtype in (VoteType.CUMULATIVE, VoteType.SCORING) or ordinal_points

    voter_ids = draw(st.lists(_VOTER_ID, min_size=min_voters, max_size=max_voters, unique=True))
    cost_of = dict(zip(pids, costs))
    ballots = []
    for vid in voter_ids:
        if vtype is VoteType.CHOOSE_1:
            chosen = [draw(st.sampled_from(pids))]
        else:
            low = 1 if vtype is VoteType.CUMULATIVE else 0
            chosen = draw(st.lists(st.sampled_from(pids), min_size=low, max_size=len(pids), unique=True))
            if fmt.max_sum_cost is not None:
                kept, spent = [], 0
                for pid in chosen:
                    if spent + cost_of[pid] <= fmt.max_sum_cost:
                        kept.append(pid)
                        spent += cost_of[pid]
                chosen = kept
        points = None
        if vtype is VoteType.CUMULATIVE:
            chosen = chosen[:max_sum_points]
            left = max_sum_points - len(chosen)
            pts = []
            for _ in chosen:
                extra = draw(st.integers(0, left))
                left -= extra
                pts.append(1 + extra)
            points = tuple(pts)
        elif vtype is VoteType.SCORING:
            points = tuple(draw(st.integers(-3, 5)) for _ in chosen)
        elif ordinal_points:
            points = tuple(range(len(chosen), 0, -1))
        ballots.append(Ballot(voter_id=vid, projects=tuple(chosen), points=points))

    meta["num_votes"] = str(len(ballots))
    voter_columns = ("voter_id", "vote", "points") if has_points else ("voter_id", "vote")
    return Election(
        budget=budget,
        projects=projects,
        ballots=ballots,
        format=fmt,
        meta=meta,
        project_columns=project_columns,
        voter_columns=voter_columns,
    )
