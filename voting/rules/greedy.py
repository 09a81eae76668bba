"""Greedy by score, as cities count: the best-scoring project first, skipping what no longer fits."""

from __future__ import annotations

from fractions import Fraction

from ..counting import point_scores, vote_counts
from ..errors import RuleError
from ..model import Election
from ..numbers import Amount, normalize
from ..outcome import Outcome
from ..tiebreak import DEFAULT_CHAINS, TieChain, TieRecord


def check_amount_option(rule: str, name: str, value: object) -> None:
    """Refuse an option value that is not an exact, non-negative amount."""
    if isinstance(value, bool) or not isinstance(value, (int, Fraction)):
        raise RuleError(f"option {name!r} of rule {rule!r} must be a whole or exact number, not {value!r}")
    if value < 0:
        raise RuleError(f"option {name!r} of rule {rule!r} must not be negative, got {value}")


def greedy(
    election: Election,
    *,
    tie_break: TieChain | None = None,
    min_score: Amount | None = None,
) -> Outcome:
    """Fund projects in order of score, skipping any that no longer fits the budget left.

    The score is the number of ballots listing the project, or the sum of its points when
    ballots carry points (cumulative ballots, ordinal ballots with a points column). A project
    is fundable when at least one ballot lists it, it is not withdrawn and, with *min_score*,
    its score is at least *min_score* (Warsaw's vote threshold). At each step the candidates
    are the fundable projects not yet decided that still fit; those with the highest score
    are tied when there are several, and the chain (default ``cost,id``) picks one.

    >>> from voting.model import Ballot, Election, Project
    >>> e = Election(10, {"a": Project("a", 6), "b": Project("b", 5), "c": Project("c", 4)},
    ...              [Ballot("1", ("a", "b")), Ballot("2", ("a", "c")), Ballot("3", ("b",))])
    >>> out = greedy(e)
    >>> out.selected, out.total_cost
    (['b', 'c'], 9)
    >>> [(t.tied, t.decided_by, t.chosen) for t in out.ties]
    [(('a', 'b'), 'cost', 'b')]

    ``a`` and ``b`` tie on 2 votes; ``cost`` picks the cheaper ``b``, then ``a`` no longer fits.
    """
    chain = tie_break if tie_break is not None else TieChain.parse(DEFAULT_CHAINS["greedy"])
    if min_score is not None:
        check_amount_option("greedy", "min_score", min_score)
    votes = vote_counts(election)
    points = point_scores(election)
    score: dict[str, Amount] = points if points is not None else votes
    costs = {pid: p.cost for pid, p in election.projects.items()}

    fundable = [
        pid
        for pid, project in election.projects.items()
        if votes[pid] > 0
        and not project.is_withdrawn
        and (min_score is None or score[pid] >= min_score)
    ]
    order = chain.order(fundable, costs, votes, lead=[-score[pid] for pid in fundable])

    left: Amount = election.budget
    selected: list[str] = []
    ties: list[TieRecord] = []
    pending = list(order)  # undecided projects, best first; a project that does not fit never will
    while pending:
        pending = [pid for pid in pending if costs[pid] <= left]
        if not pending:
            break
        top = score[pending[0]]
        tied = [pid for pid in pending if score[pid] == top]
        chosen = tied[0]
        if len(tied) > 1:
            record = chain.decide(tied, costs, votes, f"greedy step {len(selected) + 1}")
            ties.append(record)
            chosen = record.chosen  # the same as tied[0]: both follow the chain
        selected.append(chosen)
        left -= costs[chosen]
        pending.remove(chosen)

    parameters = {"min_score": min_score, "tie_break": str(chain)}
    return Outcome(
        rule="greedy",
        parameters=parameters,
        budget=election.budget,
        selected=selected,
        total_cost=normalize(Fraction(election.budget - left)),
        votes=votes,
        score=points,
        ties=ties,
    )
