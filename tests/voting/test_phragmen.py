"""Sequential Phragmén: hand-worked loads, the stop rule, properties and agreement with pabutools."""

from __future__ import annotations

import importlib
from fractions import Fraction
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.voting.strategies import elections
from tests.voting.test_greedy import make_election, pabutools_key, to_pabutools
from voting.errors import RuleError
from voting.model import WITHDRAWN_COST, Ballot, Election, Project, VoteType
from voting.rules.phragmen import phragmen
from voting.tiebreak import TieChain, TieRecord

phragmen_module = importlib.import_module("voting.rules.phragmen")  # the package re-exports the function


def run(election, chain="cost,id"):
    return phragmen(election, tie_break=TieChain.parse(chain))


def naive_phragmen(election: Election, chain: str) -> list[str]:
    """Phragmén written plainly, one load per voter, for comparison with the grouped version."""
    from voting.counting import vote_counts

    votes = vote_counts(election)
    costs = {pid: p.cost for pid, p in election.projects.items()}
    left = [pid for pid, p in election.projects.items() if votes[pid] and not p.is_withdrawn and p.cost <= election.budget]
    load = [Fraction(0)] * len(election.ballots)
    chosen, spent = [], 0
    while left:
        new = {
            pid: (costs[pid] + sum(load[i] for i, b in enumerate(election.ballots) if pid in b.projects)) / votes[pid]
            for pid in left
        }
        low = min(new.values())
        tied = [pid for pid in left if new[pid] == low]
        if any(spent + costs[pid] > election.budget for pid in tied):
            break
        pick = TieChain.parse(chain).order(tied, costs, votes)[0]
        for i, b in enumerate(election.ballots):
            if pick in b.projects:
                load[i] = low
        chosen.append(pick)
        spent += costs[pick]
        left.remove(pick)
    return chosen


# --- hand-worked examples --------------------------------------------------------------------

#: a: cost 2, one voter (load 2); b: cost 4, two voters (load 2). Budget 4: only one fits.
TIE_VOTES = (4, {"a": 2, "b": 4}, [("a",), ("b",), ("b",)])
#: a and b: cost 4, one voter each. Budget 4.
TIE_ID = (4, {"a": 4, "b": 4}, [("a",), ("b",)])

CHAIN_CASES = [
    (TIE_VOTES, "votes", "b", "votes"),
    (TIE_VOTES, "cost", "a", "cost"),
    (TIE_VOTES, "cost-desc", "b", "cost-desc"),
    (TIE_ID, "id", "a", "id"),
    (TIE_ID, "id-desc", "b", "id-desc"),
]


@pytest.mark.parametrize("case, chain, funded, decided_by", CHAIN_CASES)
def test_each_tie_key_changes_the_winner_and_is_recorded(case, chain, funded, decided_by):
    """Two projects reach the same load; each chain key picks its own, then the other no longer fits."""
    budget, costs, votes = case
    out = run(make_election(budget, costs, votes), chain)
    assert out.selected == [funded]
    assert out.ties == [TieRecord("phragmen step 1", ("a", "b"), decided_by, funded)]
    assert out.details["stopped_by"] == [p for p in ("a", "b") if p != funded]


@pytest.mark.parametrize("case, chain, funded, decided_by", CHAIN_CASES)
def test_tie_cases_agree_with_pabutools(case, chain, funded, decided_by):
    """pabutools' sequential_phragmen with the matching tie rule funds the same project."""
    budget, costs, votes = case
    e = make_election(budget, costs, votes)
    assert pabutools_phragmen(e, chain) == sorted(run(e, chain).selected)


def test_loads_worked_by_hand():
    """Loads: a (6 over 3 voters) at 2; then c's voter carries 2, so c costs (4 + 2) / 1 = 6 > b's 5."""
    e = make_election(20, {"a": 6, "b": 5, "c": 4}, [("a", "c"), ("a",), ("a",), ("b",)])
    out = run(e)
    assert out.selected == ["a", "b", "c"]
    assert out.details["loads"] == {"a": 2, "b": 5, "c": 6}
    assert out.ties == []


def test_stops_at_first_project_that_does_not_fit():
    """The rule stops (does not skip) when the next project exceeds the budget, though c would fit."""
    e = make_election(10, {"a": 6, "b": 5, "c": 4}, [("a", "c"), ("a",), ("a",), ("b",)])
    out = run(e)
    assert out.selected == ["a"]
    assert out.details["stopped_by"] == ["b"]
    assert out.total_cost == 6


def test_stops_when_any_tied_project_does_not_fit():
    """As pabutools: a tie at the lowest load with one project too dear stops the rule there."""
    # c (load 1) first; then a (cost 3, one voter) and b (cost 9, three voters) both reach
    # load 3, and b no longer fits in the 8 left: the rule stops although a would fit.
    e = make_election(10, {"a": 3, "b": 9, "c": 2}, [("a",)] + [("b",)] * 3 + [("c",)] * 2)
    out = run(e)
    assert out.selected == ["c"]
    assert out.details["stopped_by"] == ["b"]
    assert out.ties == []
    assert pabutools_phragmen(e, "cost,id") == ["c"]


def test_too_dear_for_the_whole_budget_is_not_a_candidate():
    """A project costing more than the whole budget never stops the rule (as pabutools)."""
    e = make_election(10, {"big": 50, "a": 4}, [("big",)] * 100 + [("a",)])
    assert run(e).selected == ["a"]


def test_zero_vote_and_withdrawn_never_funded():
    """A 0-vote project that would fit and a withdrawn project are never funded."""
    e = make_election(10**10, {"a": 5, "z": 1, "w": WITHDRAWN_COST}, [("a", "w")])
    out = run(e)
    assert out.selected == ["a"]
    assert out.details["stopped_by"] == []


def test_refuses_points_ballots():
    """Cumulative ballots get a RuleError naming both the rule and the vote type."""
    e = make_election(10, {"a": 1}, [(("a",), (3,))], VoteType.CUMULATIVE)
    with pytest.raises(RuleError, match="phragmen.*cumulative"):
        run(e)


# --- properties --------------------------------------------------------------------------------

CHAINS = st.sampled_from(["cost,id", "cost-desc,id", "votes,id-desc", "id-desc", "votes,cost,id"])


@given(elections(vote_type=None, max_projects=8, max_voters=20, with_costs_fractional=True), CHAINS)
def test_budget_never_exceeded_and_matches_plain_version(election, chain):
    """The budget is never exceeded, and grouping voters gives the plain per-voter result."""
    out = run(election, chain)
    assert out.total_cost == sum(election.projects[p].cost for p in out.selected) <= election.budget
    assert out.selected == naive_phragmen(election, chain)


#: Per voter, count every project voter by voter, or every project with bit sets per class.
COUNTING = {"voter by voter": 10**9, "bit sets per class": 0}


@given(elections(vote_type=None, max_projects=8, max_voters=20, with_costs_fractional=True), CHAINS,
       st.sampled_from(sorted(COUNTING)))
def test_loads_per_voter_give_the_same_result(election, chain, counting):
    """Keeping loads per voter (what the rule does from PER_VOTER_FROM voters on, forced here),
    counting a project's loads voter by voter or with bit sets per class (BIT_SET_PER_CLASS,
    forced each way), selects the same projects with the same loads, ties and stop as keeping
    only bit sets per class, and as the plain per-voter version."""
    grouped = run(election, chain)
    with mock.patch.multiple(phragmen_module, PER_VOTER_FROM=0, BIT_SET_PER_CLASS=COUNTING[counting]):
        per_voter = run(election, chain)
    assert per_voter.to_dict() == grouped.to_dict()
    assert per_voter.selected == naive_phragmen(election, chain)


@pytest.mark.parametrize("counting", sorted(COUNTING))
def test_per_voter_loads_past_255_classes(counting):
    """Per voter, each voter's load class is one byte while there are at most 256 classes;
    with 300 projects bought (300 classes) the indices move to a wider array, and the outcome
    is still exactly that of the bit sets."""
    n = 300
    projects = {f"p{k:03d}": Project(f"p{k:03d}", 1 + k % 7) for k in range(n)}
    ballots = [Ballot(str(j), (f"p{j:03d}", f"p{(j + 1) % n:03d}")) for j in range(n)]
    ballots += [Ballot(f"x{j}", (f"p{j:03d}",)) for j in range(0, n, 3)]
    election = Election(sum(p.cost for p in projects.values()), projects, ballots)
    grouped = run(election)
    with mock.patch.multiple(phragmen_module, PER_VOTER_FROM=0, BIT_SET_PER_CLASS=COUNTING[counting]):
        per_voter = run(election)
    assert len(per_voter.selected) == n
    assert per_voter.to_dict() == grouped.to_dict()


@given(elections(vote_type=None, max_projects=8, max_voters=20, with_costs_fractional=True), CHAINS)
def test_heap_keys_only_choose_what_to_recompute(election, chain):
    """With every heap key 0 (so each step recomputes every project, and every comparison of
    loads falls to the exact one behind equal keys) the outcome is the same in full."""
    keyed = run(election, chain)
    with mock.patch.object(phragmen_module, "_floor_key", lambda num, den: 0):
        flat = run(election, chain)
    assert flat.to_dict() == keyed.to_dict()


@given(elections(vote_type=None, max_projects=8), st.randoms(use_true_random=False))
def test_independent_of_ballot_order_and_voter_ids(election, rnd):
    """Shuffling the ballots and renaming the voters changes nothing in the outcome."""
    shuffled = list(election.ballots)
    rnd.shuffle(shuffled)
    renamed = [Ballot(f"x{i}", b.projects) for i, b in enumerate(shuffled)]
    other = Election(election.budget, election.projects, renamed, election.format)
    assert run(other).to_json() == run(election).to_json()


def pabutools_phragmen(election: Election, chain: str) -> list[str]:
    """pabutools' sequential_phragmen with the tie rule matching *chain*; winners sorted by id
    (pabutools sorts its allocation, so the selection order is lost)."""
    instance, profile = to_pabutools(election)
    from pabutools.rules import sequential_phragmen
    from pabutools.tiebreaking import TieBreakingRule

    outcome = sequential_phragmen(instance, profile, tie_breaking=TieBreakingRule(pabutools_key(chain, election)))
    return sorted(p.name for p in outcome)


@settings(max_examples=80)
@given(elections(vote_type=None, max_projects=8, max_voters=20, with_costs_fractional=True), CHAINS)
def test_agrees_with_pabutools(election, chain):
    """Our Phragmén funds the projects pabutools' does (same tie rule)."""
    assert sorted(run(election, chain).selected) == pabutools_phragmen(election, chain)
