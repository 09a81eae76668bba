"""Sequential Phragmén on approval ballots, with exact loads."""

from __future__ import annotations

from fractions import Fraction

from ..counting import vote_counts
from ..errors import RuleError
from ..model import Election, VoteType
from ..numbers import Amount
from ..outcome import Outcome
from ..tiebreak import DEFAULT_CHAINS, TieChain, TieRecord


def phragmen(election: Election, *, tie_break: TieChain | None = None) -> Outcome:
    """Sequential Phragmén: voters earn money continuously; a project is bought as soon as its
    supporters together hold its cost, and they spend all they hold on it.

    Equivalently, each step selects the project with the lowest new maximum load
    ``(cost + loads of its supporters) / number of supporters``; its supporters' loads all
    become that value. Projects with equal lowest new load are tied and the chain (default
    ``cost,id``) picks one.

    Like pabutools' ``sequential_phragmen``, the rule **stops** (it does not skip) at the first
    step where a project it would buy, or any project tied with it, no longer fits in the
    budget: it is not exhaustive. Projects that cost more than the whole budget are never
    candidates, so they do not stop it. Projects with no votes and withdrawn projects are never
    candidates (pabutools funds a 0-vote project at the end if it fits; we do not).
    ``details["loads"]`` gives each selected project's load and ``details["stopped_by"]`` the
    projects that stopped the rule, if any.

    >>> from voting.model import Ballot, Election, Project
    >>> e = Election(10, {"a": Project("a", 4), "b": Project("b", 4), "c": Project("c", 6)},
    ...              [Ballot("1", ("a", "c")), Ballot("2", ("a", "c")), Ballot("3", ("b",))])
    >>> out = phragmen(e)
    >>> out.selected, out.details["stopped_by"]
    (['a', 'b'], ['c'])
    """
    chain = tie_break if tie_break is not None else TieChain.parse(DEFAULT_CHAINS["phragmen"])
    vote_type = VoteType(election.format.vote_type)
    if vote_type not in (VoteType.APPROVAL, VoteType.CHOOSE_1):
        raise RuleError(
            f"rule 'phragmen' cannot count {vote_type.value} ballots; it takes approval and choose-1 ballots"
        )
    votes = vote_counts(election)
    costs = {pid: p.cost for pid, p in election.projects.items()}
    budget = election.budget
    remaining = [
        pid
        for pid, p in election.projects.items()
        if votes[pid] > 0 and not p.is_withdrawn and p.cost <= budget
    ]
    candidate = set(remaining)

    # Voters with the same ballot always carry the same load: count each ballot once.
    weight_of: dict[frozenset[str], int] = {}
    for ballot in election.ballots:
        key = frozenset(pid for pid in ballot.projects if pid in candidate)
        if key:
            weight_of[key] = weight_of.get(key, 0) + 1
    members = [tuple(key) for key in weight_of]
    weights = list(weight_of.values())
    groups_of: dict[str, list[int]] = {pid: [] for pid in remaining}
    for g, group in enumerate(members):
        for pid in group:
            groups_of[pid].append(g)

    # A voter's load is the load of the last selected project they approve (0 before any):
    # each group points to that step, so one step's update needs only integer counting.
    step_of = [0] * len(members)
    step_load: list[Fraction] = [Fraction(0)]
    supporters_load: dict[str, Fraction] = {pid: Fraction(0) for pid in remaining}

    selected: list[str] = []
    loads: dict[str, Fraction] = {}
    ties: list[TieRecord] = []
    stopped_by: list[str] = []
    spent: Amount = 0
    while remaining:
        best: Fraction | None = None
        tied: list[str] = []
        for pid in remaining:
            new_load = (costs[pid] + supporters_load[pid]) / votes[pid]
            if best is None or new_load < best:
                best, tied = new_load, [pid]
            elif new_load == best:
                tied.append(pid)
        assert best is not None
        too_costly = [pid for pid in tied if spent + costs[pid] > budget]
        if too_costly:
            stopped_by = sorted(too_costly)
            break
        if len(tied) > 1:
            record = chain.decide(tied, costs, votes, f"phragmen step {len(selected) + 1}")
            ties.append(record)
            chosen = record.chosen
        else:
            chosen = tied[0]

        step = len(step_load)
        step_load.append(best)
        moved: dict[int, dict[str, int]] = {}
        for g in groups_of[chosen]:
            counts = moved.setdefault(step_of[g], {})
            w = weights[g]
            for pid in members[g]:
                counts[pid] = counts.get(pid, 0) + w
            step_of[g] = step
        for old_step, counts in moved.items():
            rise = best - step_load[old_step]
            for pid, n in counts.items():
                supporters_load[pid] += n * rise

        selected.append(chosen)
        loads[chosen] = best
        spent += costs[chosen]
        remaining.remove(chosen)

    return Outcome(
        rule="phragmen",
        parameters={"tie_break": str(chain)},
        budget=budget,
        selected=selected,
        total_cost=spent,
        votes=votes,
        ties=ties,
        details={"loads": loads, "stopped_by": stopped_by},
    )
