"""max-welfare: hand-worked optima, brute force on small instances, and pabutools' welfare."""

from __future__ import annotations

from fractions import Fraction
from itertools import combinations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.voting.strategies import elections
from tests.voting.test_greedy import make_election, to_pabutools
from voting.counting import vote_counts
from voting.errors import RuleError
from voting.model import WITHDRAWN_COST, Ballot, Election, VoteType
from voting.rules.welfare import max_welfare
from voting.tiebreak import TieChain, TieRecord


def run(election, chain="cost,id", utility="cost"):
    return max_welfare(election, tie_break=TieChain.parse(chain), utility=utility)


def welfare_of(election: Election, chosen, utility: str):
    votes = vote_counts(election)
    if utility == "cost":
        return sum((votes[p] * election.projects[p].cost for p in chosen), 0)
    return sum(votes[p] for p in chosen)


def brute_force(election: Election, chain: str, utility: str):
    """(best welfare, the lexicographically first optimal set in chain order, number of optimal sets)."""
    votes = vote_counts(election)
    costs = {pid: p.cost for pid, p in election.projects.items()}
    items = [pid for pid, p in election.projects.items() if votes[pid] > 0 and not p.is_withdrawn]
    items = TieChain.parse(chain).order(items, costs, votes)
    best, best_sets = None, []
    for r in range(len(items) + 1):
        for subset in combinations(items, r):
            if sum(costs[p] for p in subset) > election.budget:
                continue
            w = welfare_of(election, subset, utility)
            if best is None or w > best:
                best, best_sets = w, [subset]
            elif w == best:
                best_sets.append(subset)
    # preferring inclusion in chain order = the largest 0/1 vector in chain order
    first = max(best_sets, key=lambda s: [pid in s for pid in items])
    return best, [pid for pid in items if pid in first], len(best_sets)


# --- hand-worked examples --------------------------------------------------------------------

#: x (cost 10) or y+z (cost 5 each), one vote each: both give cost-welfare 10 within budget 10.
ONE_OR_TWO = (10, {"x": 10, "y": 5, "z": 5}, [("x",), ("y",), ("z",)])
#: a or b, cost 5 each, one vote each, budget 5.
EITHER = (5, {"a": 5, "b": 5}, [("a",), ("b",)])
#: a: cost 6 × 2 votes = 12; b: cost 4 × 3 votes = 12; budget 6.
VOTES_OR_COST = (6, {"a": 6, "b": 4}, [("a", "b"), ("a", "b"), ("b",)])

CHAIN_CASES = [
    # (case, chain, selected, tied, decided_by)
    (ONE_OR_TWO, "cost", ["y", "z"], ("x", "y", "z"), "cost"),
    (ONE_OR_TWO, "cost-desc", ["x"], ("x", "y", "z"), "cost-desc"),
    (EITHER, "id", ["a"], ("a", "b"), "id"),
    (EITHER, "id-desc", ["b"], ("a", "b"), "id-desc"),
    (VOTES_OR_COST, "votes", ["b"], ("a", "b"), "votes"),
    (VOTES_OR_COST, "cost-desc", ["a"], ("a", "b"), "cost-desc"),
    (VOTES_OR_COST, "id", ["a"], ("a", "b"), "id"),
]


@pytest.mark.parametrize("case, chain, selected, tied, decided_by", CHAIN_CASES)
def test_each_tie_key_picks_its_optimal_set_and_is_recorded(case, chain, selected, tied, decided_by):
    """With two optimal sets, each chain key picks its own, and the tie names where they differ."""
    budget, costs, votes = case
    out = run(make_election(budget, costs, votes), chain)
    assert out.selected == selected
    assert out.ties == [TieRecord("max-welfare: several optimal sets", tied, decided_by, selected[0])]


def test_unique_optimum_records_no_tie():
    """The knapsack optimum beats greedy by votes, and a unique optimum records no tie."""
    # greedy by votes takes a (3 votes, cost 6) and then nothing fits: welfare 18.
    # b + c (2 votes each, cost 5): welfare 20.
    e = make_election(10, {"a": 6, "b": 5, "c": 5}, [("a", "b", "c"), ("a", "b", "c"), ("a",)])
    out = run(e)
    assert out.selected == ["b", "c"]
    assert out.details["welfare"] == 20
    assert out.ties == []


def test_cardinality_utility():
    """Cardinality utility counts funded approvals, so two cheap projects beat one dear popular one."""
    e = make_election(10, {"a": 10, "b": 5, "c": 4}, [("a",), ("a",), ("a",), ("b",), ("c",), ("b", "c")])
    assert run(e, utility="cost").selected == ["a"]
    out = run(e, utility="cardinality")
    assert out.selected == ["c", "b"]
    assert out.details["welfare"] == 4


def test_zero_vote_and_withdrawn_projects_are_left_out():
    """A 0-vote project that would fit and a withdrawn project are never in the optimal set."""
    e = make_election(10**10, {"a": 5, "z": 1, "w": WITHDRAWN_COST}, [("a", "w")])
    for utility in ("cost", "cardinality"):
        out = run(e, utility=utility)
        assert out.selected == ["a"]
        assert out.ties == []


def test_fractional_costs_scaled_exactly():
    """Decimal costs are scaled to integers exactly: 0.1 + 0.2 fits 0.3 and beats 0.25 alone."""
    e = make_election(
        Fraction(3, 10),
        {"a": Fraction(1, 10), "b": Fraction(2, 10), "c": Fraction(1, 4)},
        [("a", "b", "c"), ("a", "b")],
    )
    out = run(e)
    assert out.selected == ["a", "b"]
    assert out.total_cost == Fraction(3, 10)
    assert out.details["welfare"] == Fraction(6, 10)


def test_refuses_points_ballots_and_unknown_utility():
    """Cumulative ballots and an unknown utility get a RuleError naming the problem."""
    e = make_election(10, {"a": 1}, [(("a",), (3,))], VoteType.CUMULATIVE)
    with pytest.raises(RuleError, match="cumulative"):
        run(e)
    with pytest.raises(RuleError, match="utility"):
        run(make_election(10, {"a": 1}, [("a",)]), utility="approval")


# --- properties --------------------------------------------------------------------------------

CHAINS = st.sampled_from(["cost,id", "cost-desc,id", "votes,id-desc", "id-desc", "votes,cost,id"])
UTILITIES = st.sampled_from(["cost", "cardinality"])


@settings(max_examples=150)
@given(elections(vote_type=None, max_projects=8, with_costs_fractional=True), CHAINS, UTILITIES)
def test_matches_brute_force(election, chain, utility):
    """Welfare equals the best of every feasible set; the set is the first optimal one in chain
    order; a tie is recorded exactly when several sets are optimal."""
    best, first, count = brute_force(election, chain, utility)
    out = run(election, chain, utility)
    assert out.total_cost <= election.budget
    assert out.details["welfare"] == best == welfare_of(election, out.selected, utility)
    assert out.selected == first
    assert len(out.ties) == (1 if count > 1 else 0)


@given(elections(vote_type=None, max_projects=8), UTILITIES, st.randoms(use_true_random=False))
def test_independent_of_ballot_order_and_voter_ids(election, utility, rnd):
    """Shuffling the ballots and renaming the voters changes nothing in the outcome."""
    shuffled = list(election.ballots)
    rnd.shuffle(shuffled)
    renamed = [Ballot(f"x{i}", b.projects) for i, b in enumerate(shuffled)]
    other = Election(election.budget, election.projects, renamed, election.format)
    assert run(other, utility=utility).to_json() == run(election, utility=utility).to_json()


def pabutools_welfare(election: Election, utility: str):
    """pabutools' optimal welfare (primal-dual branch and bound) on the same instance."""
    instance, profile = to_pabutools(election)
    if not instance:  # pabutools raises IndexError on an instance with no project
        return 0
    from pabutools.election import Cardinality_Sat, Cost_Sat
    from pabutools.rules import max_additive_utilitarian_welfare

    sat = Cost_Sat if utility == "cost" else Cardinality_Sat
    outcome = max_additive_utilitarian_welfare(instance, profile, sat_class=sat)
    return welfare_of(election, [p.name for p in outcome], utility)


@pytest.mark.parametrize("case", [ONE_OR_TWO, EITHER, VOTES_OR_COST])
@pytest.mark.parametrize("utility", ["cost", "cardinality"])
def test_hand_cases_agree_with_pabutools(case, utility):
    """pabutools reaches the same optimal welfare on the hand-built tie cases."""
    budget, costs, votes = case
    e = make_election(budget, costs, votes)
    assert run(e, utility=utility).details["welfare"] == pabutools_welfare(e, utility)


@settings(max_examples=60)
@given(elections(vote_type=None, max_projects=8), UTILITIES)
def test_agrees_with_pabutools(election, utility):
    """Our optimal welfare equals pabutools' on generated instances (integer costs)."""
    assert run(election, utility=utility).details["welfare"] == pabutools_welfare(election, utility)
