"""Maximum utilitarian welfare: the best set of projects within the budget (knapsack voting)."""

from __future__ import annotations

from bisect import bisect_right
from fractions import Fraction
from math import lcm

from ..counting import vote_counts
from ..errors import RuleError
from ..model import Election, VoteType
from ..numbers import Amount, normalize
from ..outcome import Outcome
from ..tiebreak import DEFAULT_CHAINS, TieChain, TieRecord

UTILITIES = ("cost", "cardinality")


def max_welfare(election: Election, *, tie_break: TieChain | None = None, utility: str = "cost") -> Outcome:
    """The set of projects with the greatest total satisfaction whose cost fits the budget.

    A voter's satisfaction is the total cost of the funded projects they approve
    (``utility="cost"``, so the welfare is the sum of votes(p)·cost(p)) or their number
    (``"cardinality"``, the sum of votes(p)). The optimum is exact: a depth-first branch and
    bound over the projects in order of welfare per unit of cost, pruned by the fractional
    knapsack bound, in integers (costs scaled by their common denominator).

    **Several optimal sets.** List the projects in chain order (default ``cost,id``: cheapest
    first). The rule returns the optimal set that is lexicographically first in that order,
    preferring inclusion: it holds the chain's first project if some optimal set does, then,
    among those, the second if some such set does, and so on. ``selected`` is in chain order.
    A second search looks for another optimal set; when there is one, ``ties`` holds one record
    (context ``max-welfare: several optimal sets``) whose ``tied`` lists the projects on which
    the two sets differ, ``chosen`` the first of them in chain order (it is in our set and
    not in the other) and ``decided_by`` the chain key that puts it before the other set's
    first project. ``details["welfare"]`` is the optimal welfare.

    Projects with no votes and withdrawn projects are never in the set.

    >>> from voting.model import Ballot, Election, Project
    >>> e = Election(10, {"a": Project("a", 6), "b": Project("b", 5), "c": Project("c", 5)},
    ...              [Ballot("1", ("a", "b", "c")), Ballot("2", ("a",)), Ballot("3", ("b", "c"))])
    >>> out = max_welfare(e)
    >>> out.selected, out.details["welfare"]
    (['b', 'c'], 20)
    >>> max_welfare(e, utility="cardinality").selected
    ['b', 'c']
    """
    chain = tie_break if tie_break is not None else TieChain.parse(DEFAULT_CHAINS["max-welfare"])
    if utility not in UTILITIES:
        raise RuleError(f"option 'utility' of rule 'max-welfare' must be cost or cardinality, not {utility!r}")
    vote_type = VoteType(election.format.vote_type)
    if vote_type not in (VoteType.APPROVAL, VoteType.CHOOSE_1):
        raise RuleError(
            f"rule 'max-welfare' cannot count {vote_type.value} ballots; it takes approval and choose-1 ballots"
        )
    votes = vote_counts(election)
    costs = {pid: p.cost for pid, p in election.projects.items()}
    budget = election.budget
    items = [
        pid
        for pid, p in election.projects.items()
        if votes[pid] > 0 and not p.is_withdrawn and p.cost <= budget
    ]
    items = chain.order(items, costs, votes)

    scale = 1
    for amount in [budget, *(costs[pid] for pid in items)]:
        if isinstance(amount, Fraction):
            scale = lcm(scale, amount.denominator)
    weight = {pid: int(costs[pid] * scale) for pid in items}
    capacity = int(budget * scale)
    value = {pid: votes[pid] * (weight[pid] if utility == "cost" else 1) for pid in items}

    # Perturb the values so that the lexicographically first optimal set is the only optimum:
    # a bonus of 2**(n-1-rank) per project never outweighs one unit of real welfare.
    n = len(items)
    lifted = {pid: (value[pid] << n) + (1 << (n - 1 - rank)) for rank, pid in enumerate(items)}
    best_set = _knapsack(items, weight, lifted, capacity)
    best_value = sum(value[pid] for pid in best_set)
    other = _another_optimum(items, weight, value, capacity, best_value, best_set)

    ties: list[TieRecord] = []
    if other is not None:
        differ = [pid for pid in items if (pid in best_set) != (pid in other)]
        first = differ[0]
        rival = next(pid for pid in differ if pid in other)
        decided_by = chain.decide([first, rival], costs, votes, "").decided_by
        ties.append(TieRecord("max-welfare: several optimal sets", tuple(sorted(differ)), decided_by, first))

    selected = [pid for pid in items if pid in best_set]
    welfare = normalize(Fraction(best_value, scale)) if utility == "cost" else best_value
    total: Amount = sum((costs[pid] for pid in selected), 0)
    return Outcome(
        rule="max-welfare",
        parameters={"utility": utility, "tie_break": str(chain)},
        budget=budget,
        selected=selected,
        total_cost=normalize(Fraction(total)),
        votes=votes,
        ties=ties,
        details={"welfare": welfare},
    )


def _by_density(items: list[str], weight: dict[str, int], value: dict[str, int]) -> list[str]:
    # Sorting by value/weight with integer cross-multiplication: exact, and stable for equal densities.
    from functools import cmp_to_key

    def cmp(a: str, b: str) -> int:
        lhs, rhs = value[a] * weight[b], value[b] * weight[a]
        return -1 if lhs > rhs else (1 if lhs < rhs else 0)

    return sorted(items, key=cmp_to_key(cmp))


def _search(
    items: list[str],
    weight: dict[str, int],
    value: dict[str, int],
    capacity: int,
    floor: int,
    accept,
) -> None:
    """Depth-first branch and bound over *items* (best density first).

    Visits every subtree whose fractional bound is at least *floor* (``accept`` may raise it by
    returning a new floor) and calls ``accept(total, mask, order)`` at each complete set.
    ``accept`` returns the new floor, or None to stop the search.
    """
    order = _by_density(items, weight, value)
    w = [weight[pid] for pid in order]
    p = [value[pid] for pid in order]
    n = len(order)
    cum_w = [0] * (n + 1)
    cum_p = [0] * (n + 1)
    for i in range(n):
        cum_w[i + 1] = cum_w[i] + w[i]
        cum_p[i + 1] = cum_p[i] + p[i]

    stack = [(0, capacity, 0, 0)]
    while stack:
        j, room, total, mask = stack.pop()
        reach = cum_w[j] + room
        k = bisect_right(cum_w, reach, j) - 1  # items j..k-1 fit whole; k breaks
        bound = total + cum_p[k] - cum_p[j]
        if k < n:
            bound += (reach - cum_w[k]) * p[k] // w[k]
        if bound < floor:
            continue
        if k == n:  # everything left fits: taking it all is the best completion
            full = mask
            for i in range(j, n):
                full |= 1 << i
            floor = accept(bound, full, order)
            if floor is None:
                return
            continue
        if j == n:
            floor = accept(total, mask, order)
            if floor is None:
                return
            continue
        stack.append((j + 1, room, total, mask))
        if w[j] <= room:
            stack.append((j + 1, room - w[j], total + p[j], mask | (1 << j)))


def _members(mask: int, order: list[str]) -> frozenset[str]:
    return frozenset(pid for i, pid in enumerate(order) if mask >> i & 1)


def _knapsack(items: list[str], weight: dict[str, int], value: dict[str, int], capacity: int) -> frozenset[str]:
    """The set of greatest total value within *capacity* (values make the optimum unique)."""
    found: dict[str, object] = {"set": frozenset()}

    def accept(total: int, mask: int, order: list[str]):
        found["set"] = _members(mask, order)
        return total + 1  # look only for strictly better sets from now on

    _search(items, weight, value, capacity, 0, accept)
    return found["set"]  # type: ignore[return-value]


def _another_optimum(
    items: list[str],
    weight: dict[str, int],
    value: dict[str, int],
    capacity: int,
    best: int,
    best_set: frozenset[str],
) -> frozenset[str] | None:
    """Another set of total value *best* within *capacity* than *best_set*, or None."""
    found: dict[str, frozenset[str] | None] = {"set": None}

    def accept(total: int, mask: int, order: list[str]):
        if total == best:
            members = _members(mask, order)
            if members != best_set:
                found["set"] = members
                return None
        return best

    _search(items, weight, value, capacity, best, accept)
    return found["set"]
