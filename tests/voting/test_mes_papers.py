"""The Method of Equal Shares on worked examples published by its authors.

Each test builds an election exactly as its source prints it, runs our ``mes`` with the
utility and completion that the source uses, and asserts the outcome that the source states.
``selected`` is in order of selection, so asserting it checks every step of the worked
computation, not just the final set. The per-step prices and per-voter budgets that the
sources print are restated (exactly) in the docstrings: ``mes`` exposes only the starting
per-voter budget in ``details`` (``per_voter_budget``), and that value is asserted.

Sources:

- [ES] D. Peters, G. Pierczyński, P. Skowron, "Explanation of the Method of Equal Shares",
  https://equalshares.net/explanation (source file ``docs/explanation.mdx`` of the GitHub
  repository equalshares/equalshares.net), sections "Example 1" and
  "Example 2 (more complicated)". The site describes the method as used by cities: approval
  ballots, the project with the highest "effective vote count" (cost divided by the largest
  payment per supporter) is funded first, which is MES with cost utility.
- [LS-survey] M. Lackner, P. Skowron, "Approval-Based Committee Voting: Axioms, Algorithms,
  and Applications" (survey; the abcvoting file names it "Approval-Based Multi-Winner Voting:
  Axioms, Algorithms, and Applications"), Example 11 (Rule X, i.e. MES, and seq-Phragmén), as
  reproduced with its printed computation in the abcvoting package by Martin Lackner et al.
  (GitHub martinlackner/abcvoting, ``examples/abcsurvey/example11.py`` and its recorded
  output ``tests/expected_output/test_abcsurvey_example11_py``).
- [LS-book] M. Lackner, P. Skowron, "Multi-Winner Voting with Approval Preferences",
  Springer, 2023, open access (doi:10.1007/978-3-031-09016-5), the Rule X / Method of
  Equal Shares example on the book's running example profile (Example 1), as reproduced in
  abcvoting (``examples/abcbook/example11.py``, whose docstring calls it "Example 10 (Rule X)"
  while its printed header says "Example 11"; recorded output
  ``tests/expected_output/test_abcbook_example11_py``).

In committee elections every candidate costs 1 and the budget is the committee size k, so
Rule X's starting budget k/n per voter is our ``B/n``; with equal costs, cost utility and
cardinality utility rank projects identically, and both are checked. The Lackner-Skowron
examples end with a seq-Phragmén completion phase, which this engine does not implement: only
their MES phase ("Phase 1") is asserted.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from voting.model import Ballot, BallotFormat, Election, Project, VoteType
from voting.rules.greedy import greedy
from voting.rules.mes import mes
from voting.tiebreak import TieChain

#: equalshares.net ("Tie breaking" page) recommends: lowest cost, then highest initial vote
#: count, then by lot. Our default chain is the same up to the last key (id instead of lot).
#: No example below has a tie at any step, so the chain never decides anything here.
CHAIN = TieChain.parse("cost,votes,id")


def election(budget, costs: dict, approvals: list[tuple[str, ...]]) -> Election:
    """An approval election from ``{"id": cost}`` and one tuple of approved ids per voter."""
    projects = {pid: Project(pid, cost) for pid, cost in costs.items()}
    ballots = [Ballot(str(i + 1), tuple(ids)) for i, ids in enumerate(approvals)]
    return Election(budget, projects, ballots, BallotFormat(VoteType.APPROVAL))


# [ES]: 11 voters, budget 1100, five projects. Costs as published.
ES_COSTS = {"bike": 700, "gym": 400, "park": 250, "playground": 200, "library": 100}
# Voters 1..11 (left to right in the published tables) of Example 1:
#   bike path: voters 1-6 and 11; outdoor gym: 1-6; new park: 2, 4, 5, 7, 10;
#   new playground: 7-10; library for kids: 7, 9, 10.
ES_EXAMPLE_1 = [
    ("bike", "gym"),                 # 1
    ("bike", "gym", "park"),         # 2
    ("bike", "gym"),                 # 3
    ("bike", "gym", "park"),         # 4
    ("bike", "gym", "park"),         # 5
    ("bike", "gym"),                 # 6
    ("park", "playground", "library"),  # 7
    ("playground",),                 # 8
    ("playground", "library"),       # 9
    ("park", "playground", "library"),  # 10
    ("bike",),                       # 11
]
# Example 2: "the right-most voter votes for the outdoor gym instead of the bike path".
ES_EXAMPLE_2 = ES_EXAMPLE_1[:10] + [("gym",)]


def test_equalshares_net_example_1_bike_path_then_playground_then_library():
    """[ES] Example 1: MES funds the bike path, then the playground, then the library.

    Source: equalshares.net/explanation, "Example 1" (Peters, Pierczyński, Skowron). Property
    checked: the published outcome and order of MES (cost utility, no completion), and the
    page's remark that vote-count greedy would fund the bike path and the outdoor gym only.

    Worked computation (as published, here exact): B = 1100, n = 11, each voter holds 100.
    Step 1: bike path (700, 7 supporters) costs 100 each, effective vote count 700/100 = 7,
    the highest (the gym has 6 votes, so at most 6); the 7 supporters are left with 0.
    Step 2: the gym's supporters hold 0 (count 0); the park's supporters 7 and 10 hold
    200 < 250 (unaffordable); the playground (200) splits 50 each over voters 7-10, count 4;
    the library (100) 33.33 each over 7, 9, 10, count 3: the playground is funded, voters
    7-10 keep 50. Step 3: the library, 3 × 50 = 150 ≥ 100, pays 100/3 each; the park's
    supporters 7 and 10 hold 50 + 50 = 100 < 250. Remaining budgets 50/3, 50, 50/3, 50/3 for
    voters 7-10 (the page: 16.7, 50, 16.7, 16.7), nothing else is affordable. Total 1000.
    """
    e = election(1100, ES_COSTS, ES_EXAMPLE_1)
    out = mes(e, tie_break=CHAIN, utility="cost", completion="none")
    assert out.selected == ["bike", "playground", "library"]
    assert out.total_cost == 1000
    assert out.details["per_voter_budget"] == 100
    assert out.ties == []
    assert out.votes == {"bike": 7, "gym": 6, "park": 5, "playground": 4, "library": 3}
    # "Most cities ... would select the bike path (with 7 votes), and then the outdoor gym
    # (with 6 votes), and then stop because the budget is exhausted."
    assert greedy(e).selected == ["bike", "gym"]


def test_equalshares_net_example_2_poorer_supporters_pay_all_they_have():
    """[ES] Example 2 (more complicated): MES funds the gym, then the park, then the playground.

    Source: equalshares.net/explanation, "Example 2 (more complicated)". Property checked:
    the published outcome and order of MES (cost utility, no completion) when some supporters
    cannot pay an equal share and pay all they have left.

    Worked computation, exact (the page rounds 300/7 = 42.86 to 43, so it prints 60.5 and
    39.5 where the exact values are 425/7 = 60.71 and 275/7 = 39.29; the decisions agree):
    each voter holds 100. Step 1: the gym (400) now has 7 supporters (1-6, 11): 400/7 = 57.14
    each, count 7, the highest; they keep 300/7. Step 2: the bike path's 6 supporters hold
    6 × 300/7 = 257.1 < 700 (count 0). The park (250): voters 2, 4, 5 pay all their 300/7,
    voters 7 and 10 pay (250 − 900/7)/2 = 425/7 each; count 250/(425/7) = 4.12 (page: 4.1),
    ahead of the playground (4) and the library (3): the park is funded; voters 7, 10 keep
    275/7. Step 3: the playground (200): voters 7, 10 pay 275/7 each, voters 8, 9 pay 425/7;
    count 200/(425/7) = 3.29 (page: "3.2"), ahead of the library (100/3 each ≤ 275/7, count 3):
    the playground is funded. The library's supporters 7, 9, 10 now hold 0 + 275/7 + 0 < 100
    and the bike path's hold 3 × 300/7 < 700: the method ends. Total 850.
    """
    e = election(1100, ES_COSTS, ES_EXAMPLE_2)
    out = mes(e, tie_break=CHAIN, utility="cost", completion="none")
    assert out.selected == ["gym", "park", "playground"]
    assert out.total_cost == 850
    assert out.details["per_voter_budget"] == 100
    assert out.ties == []
    assert out.votes == {"bike": 6, "gym": 7, "park": 5, "playground": 4, "library": 3}


# [LS-survey] Example 11: 8 voters, candidates a-d, committee size k = 3.
SURVEY_11 = [("c", "d")] * 3 + [("a", "b")] * 2 + [("a", "c")] * 2 + [("b", "d")]


@pytest.mark.parametrize("utility", ["cardinality", "cost"])
def test_lackner_skowron_survey_example_11_rule_x_phase_1(utility):
    """[LS-survey] Example 11: Rule X's first phase selects c (q = 1/5), then a (q = 13/40).

    Source: Lackner & Skowron, "Approval-Based Committee Voting: Axioms, Algorithms, and
    Applications" (survey), Example 11, with the computation printed by abcvoting's
    reproduction. Property checked: MES (Rule X) without completion on unit costs, budget
    k = 3, including a step where two supporters pay all they have left.

    Worked computation (as printed): each voter starts with 3/8. Step 1: c has 5 supporters
    (voters 1-3, 6, 7): q = 1/5; a and d have 4 (q = 1/4), b has 3 (q = 1/3): c is chosen,
    its supporters keep 7/40. Step 2: a's supporters 6, 7 hold 7/40 < q and pay it all,
    voters 4, 5 pay q with 2 × 7/40 + 2q = 1, q = 13/40; b costs 1/3 each over voters 4, 5, 8;
    d's supporters hold 3 × 7/40 + 3/8 = 9/10 < 1: a (13/40 < 1/3) is chosen; remaining
    budgets (7/40, 7/40, 7/40, 1/20, 1/20, 0, 0, 3/8). Then b's supporters hold
    1/20 + 1/20 + 3/8 < 1 and d's 9/10 < 1: phase 1 ends with {c, a}. (The survey's final
    committee {a, c, d} adds d by a seq-Phragmén phase, not implemented here.)
    """
    e = election(3, {p: 1 for p in "abcd"}, SURVEY_11)
    out = mes(e, tie_break=CHAIN, utility=utility, completion="none")
    assert out.selected == ["c", "a"]
    assert out.total_cost == 2
    assert out.details["per_voter_budget"] == Fraction(3, 8)
    assert out.ties == []


# [LS-book] Example 1 (the book's running example): 12 voters, candidates a-h (h approved by
# nobody), committee size k = 4.
BOOK_1 = ([("a", "b")] * 3 + [("a", "c")] * 3 + [("a", "d")] * 2
          + [("b", "c", "f"), ("e",), ("f",), ("g",)])


@pytest.mark.parametrize("utility", ["cardinality", "cost"])
def test_lackner_skowron_book_running_example_mes_phase_1(utility):
    """[LS-book] MES on the running example: phase 1 selects only a, at q = 1/8.

    Source: Lackner & Skowron, "Multi-Winner Voting with Approval Preferences" (Springer,
    2023), the Method of Equal Shares (Rule X) example on the profile of Example 1, as
    reproduced by abcvoting (``examples/abcbook/example11.py``). Property checked: MES
    without completion on unit costs, budget k = 4, stops after one candidate; the
    unapproved candidate h is never a candidate.

    Worked computation (as printed): each voter starts with 4/12 = 1/3. Step 1: a has 8
    supporters, q = 1/8, the lowest; voters 1-8 keep 5/24. Step 2: b's supporters hold
    3 × 5/24 + 1/3 = 23/24 < 1, c's the same 23/24, d's 2 × 5/24 = 5/12, f's 1/3 + 1/3 = 2/3,
    e's and g's 1/3: nothing is affordable and phase 1 ends with {a}. (The book's final
    committee {a, b, c, d} comes from a seq-Phragmén phase, not implemented here.)
    """
    e = election(4, {p: 1 for p in "abcdefgh"}, BOOK_1)
    out = mes(e, tie_break=CHAIN, utility=utility, completion="none")
    assert out.selected == ["a"]
    assert out.total_cost == 1
    assert out.details["per_voter_budget"] == Fraction(1, 3)
    assert out.ties == []
    assert out.votes["h"] == 0
