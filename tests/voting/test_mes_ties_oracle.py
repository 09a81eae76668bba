"""Plain MES: one hand-built tie per tie-break key, checked against pabutools and the tie record.

Each of the five keys (``votes``, ``cost``, ``cost-desc``, ``id``, ``id-desc``) decides a tie
between two projects of equal rho (payment per unit of utility) in a small approval election,
with the key first in the chain and again after keys on which the tied projects are equal.
Every case is checked three ways:

- our ``mes(...)`` funds exactly the projects worked out by hand, in that order;
- ``ties`` holds exactly one record (context, tied ids, deciding key, chosen id);
- pabutools 1.2.3's ``method_of_equal_shares`` (plain: no ``voter_budget_increment``, each
  voter starting with ``B/n``), with the tie-breaking rule built by ``pabutools_key`` from the
  same chain, funds the same projects. pabutools appends each funded project to its
  ``BudgetAllocation`` as it funds it, so the comparison is of ordered lists.

In every election the tied projects share a supporter who cannot pay for both: the project the
key chooses leaves the other one unaffordable, so the key changes the set of winners, not only
their order. ``test_reversing_or_dropping_the_deciding_key_changes_the_winners`` checks that
on every case: with the key reversed (``cost`` <-> ``cost-desc``, ``id`` <-> ``id-desc``) or
dropped (``votes``) the other project wins, for us and for pabutools.

Why a ``votes`` tie needs a poor supporter: while every supporter of a project can pay the
equal share, its price is ``x = cost / supporters``, so its rho is ``1 / supporters`` under
cost utility (and ``cost / supporters`` under cardinality utility): two tied projects of equal
cost then have equal votes. Only a supporter who pays less than ``x`` (all they have left)
lets a project with more votes reach the same rho as one with fewer (``TIE_VOTES``).
"""

from __future__ import annotations

import pytest

from tests.oracle import require_pabutools
from tests.voting.test_greedy import pabutools_key, to_pabutools
from tests.voting.test_mes import election
from voting.rules.mes import mes
from voting.tiebreak import TieChain, TieRecord

#: 6 voters, B = 36 (6 each); p, a, b cost 12; p 4 votes, b 3, a 2. Ties a/b at step 2.
TIE_VOTES = dict(budget=36, costs={"p": 12, "a": 12, "b": 12},
                 approvals=["pb", "pb", "ab", "a", "p", "p"])
#: 3 voters, B = 18 (6 each); a costs 12 (voters 1, 2), b costs 10 (voters 2, 3).
TIE_COST = dict(budget=18, costs={"a": 12, "b": 10}, approvals=["a", "ab", "b"])
#: 5 voters, B = 30 (6 each); a costs 10 (voters 4, 5), b costs 20 (voters 1-4).
TIE_COST_CARDINALITY = dict(budget=30, costs={"a": 10, "b": 20},
                            approvals=["b", "b", "b", "ab", "a"])
#: 3 voters, B = 15 (5 each); a and b cost 10, voters 1, 2 and 2, 3.
TIE_ID = dict(budget=15, costs={"a": 10, "b": 10}, approvals=["a", "ab", "b"])


def tie(step: int, decided_by: str, chosen: str) -> TieRecord:
    """The one tie of these elections: a against b at MES step *step*."""
    return TieRecord(f"mes step {step}", ("a", "b"), decided_by, chosen)


def pabutools_mes(case: dict, chain: str, utility: str) -> list[str]:
    """pabutools' plain MES with the tie rule matching *chain*; winners in the order funded."""
    require_pabutools()
    from pabutools.election import Cardinality_Sat, Cost_Sat
    from pabutools.rules import method_of_equal_shares
    from pabutools.tiebreaking import TieBreakingRule

    e = election(**case)
    instance, profile = to_pabutools(e)
    out = method_of_equal_shares(
        instance,
        profile,
        sat_class=Cost_Sat if utility == "cost" else Cardinality_Sat,
        tie_breaking=TieBreakingRule(pabutools_key(chain, e)),
    )
    return [p.name for p in out]


def check(case: dict, utility: str, chain: str, funded: list[str], record: TieRecord) -> None:
    """Our outcome funds *funded* with the one tie *record*, and pabutools funds the same."""
    out = mes(election(**case), tie_break=TieChain.parse(chain), utility=utility)
    assert out.details["per_voter_budget"] == case["budget"] // len(case["approvals"])
    assert out.selected == funded
    assert out.ties == [record]
    assert pabutools_mes(case, chain, utility) == funded


# (utility, chain, funded, tie record) per case; the contrast test below runs them all.
VOTES_ROWS = [
    (utility, chain, funded, tie(2, key, funded[-1]))
    for utility in ("cost", "cardinality")
    for chain, funded, key in [
        ("votes,id", ["p", "b"], "votes"),
        ("cost,votes,id", ["p", "b"], "votes"),
        ("cost-desc,votes,id", ["p", "b"], "votes"),
        ("id", ["p", "a"], "id"),
        ("cost,id", ["p", "a"], "id"),
    ]
]
COST_ROWS = [
    ("cost", "cost,id", ["b"], tie(1, "cost", "b")),
    ("cost", "votes,cost,id", ["b"], tie(1, "cost", "b")),
    ("cost", "id", ["a"], tie(1, "id", "a")),
]
COST_DESC_ROWS = [
    ("cost", "cost-desc,id", ["a"], tie(1, "cost-desc", "a")),
    ("cost", "votes,cost-desc,id-desc", ["a"], tie(1, "cost-desc", "a")),
    ("cost", "cost,id", ["b"], tie(1, "cost", "b")),
]
CARDINALITY_ROWS = [
    ("cardinality", "cost,votes,id", ["a"], tie(1, "cost", "a")),
    ("cardinality", "cost-desc,id", ["b"], tie(1, "cost-desc", "b")),
    ("cardinality", "votes,cost,id", ["b"], tie(1, "votes", "b")),
    ("cardinality", "id", ["a"], tie(1, "id", "a")),
]
ID_ROWS = [
    (utility, chain, funded, tie(1, key, funded[0]))
    for utility in ("cost", "cardinality")
    for chain, funded, key in [
        ("id", ["a"], "id"),
        ("cost,votes,id", ["a"], "id"),
        ("id-desc", ["b"], "id-desc"),
        ("cost-desc,votes,id-desc", ["b"], "id-desc"),
    ]
]


@pytest.mark.parametrize("utility, chain, funded, record", VOTES_ROWS)
def test_votes_key_decides_a_tie_reached_through_poor_supporters(utility, chain, funded, record):
    """``votes`` decides an equal-rho, equal-cost tie for the project with more votes, whose
    poorer supporters pay all they have; without it, id funds the other one. pabutools agrees.

    B = 36, n = 6: each voter holds 6. p, a and b cost 12. Voters 1, 2 approve p and b,
    voter 3 a and b, voter 4 a, voters 5, 6 p. Votes: p 4, b 3, a 2.

    Step 1 (everyone holds 6): p costs 12/4 = 3 per supporter, b 12/3 = 4, a 12/2 = 6; under
    cost utility rho is 3/12 = 1/4, 4/12 = 1/3, 6/12 = 1/2, under cardinality 3, 4, 6. p is
    funded alone (no tie); voters 1, 2, 5, 6 keep 3.

    Step 2: a: voters 3 and 4 pay 6 each, x = 6. b: at x = 6 voters 1 and 2 pay all they
    have (3 each) and voter 3 pays 12 - 3 - 3 = 6 <= 6, so x = 6 too. rho 6/12 = 1/2 for both
    under cost utility, 6 for both under cardinality: a tie, equal costs (12), votes 3 against
    2. ``votes`` (first, or after ``cost`` / ``cost-desc``, equal here) takes b: voter 3 is
    left with 0 and a's supporters hold 0 + 6 = 6 < 12, so a is unaffordable: [p, b]. Without
    ``votes`` (``id``, ``cost,id``) id takes a: voter 3 is left with 0 and b's supporters hold
    3 + 3 + 0 = 6 < 12: [p, a]. The tie is recorded at step 2.
    """
    check(TIE_VOTES, utility, chain, funded, record)


@pytest.mark.parametrize("utility, chain, funded, record", COST_ROWS)
def test_cost_key_funds_the_cheaper_of_two_equal_rho_projects(utility, chain, funded, record):
    """Cost utility: ``cost`` decides a step-1 tie between equally voted projects for the
    cheaper b, which leaves a unaffordable; id alone would fund a. pabutools agrees.

    B = 18, n = 3: each voter holds 6. a (cost 12) is approved by voters 1, 2; b (cost 10)
    by voters 2, 3; 2 votes each. a costs 6 per supporter (rho 6/12 = 1/2), b 5 (5/10 = 1/2):
    a tie, equal votes. ``cost`` (first, or after ``votes``, equal here) takes b (10 < 12):
    voters 2, 3 keep 1, and a's supporters hold 6 + 1 = 7 < 12: [b]. ``id`` takes a: [a].
    """
    check(TIE_COST, utility, chain, funded, record)


@pytest.mark.parametrize("utility, chain, funded, record", COST_DESC_ROWS)
def test_cost_desc_key_funds_the_dearer_of_two_equal_rho_projects(utility, chain, funded, record):
    """Cost utility: ``cost-desc`` decides the same tie as ``cost`` the other way, for the
    dearer a, which leaves b unaffordable. pabutools agrees.

    The election of the ``cost`` test (each voter holds 6; a: 12, voters 1, 2; b: 10, voters
    2, 3; rho 1/2 both, 2 votes both). ``cost-desc`` (first, or after ``votes``, equal here)
    takes a (12 > 10): voters 1, 2 pay 6 and keep 0, and b's supporters hold 0 + 6 = 6 < 10:
    [a]. ``cost`` takes b: [b]. (Under cardinality utility a costs 6 per supporter and b 5:
    no tie, hence the next test.)
    """
    check(TIE_COST, utility, chain, funded, record)


@pytest.mark.parametrize("utility, chain, funded, record", CARDINALITY_ROWS)
def test_cardinality_cost_cost_desc_and_votes_keys_decide_a_step_one_tie(utility, chain, funded,
                                                                         record):
    """Cardinality utility (rho = the payment): a cheap 2-vote project ties a dear 4-vote one;
    ``cost`` funds the cheap one, ``cost-desc`` and ``votes`` the dear one, and whichever is
    funded leaves the other unaffordable. pabutools agrees.

    B = 30, n = 5: each voter holds 6. a (cost 10) is approved by voters 4, 5; b (cost 20) by
    voters 1-4. a costs 10/2 = 5 per supporter, b 20/4 = 5: equal rho 5. (Under cost utility b's
    rho 5/20 = 1/4 beats a's 1/2: no tie.) ``cost`` (10 < 20) takes a: voter 4 keeps 1, and b's
    supporters hold 6 + 6 + 6 + 1 = 19 < 20: [a]. ``cost-desc`` (20 > 10) and ``votes`` (4 > 2)
    take b: voter 4 keeps 1, and a's supporters hold 1 + 6 = 7 < 10: [b]. ``id`` takes a.
    """
    check(TIE_COST_CARDINALITY, utility, chain, funded, record)


@pytest.mark.parametrize("utility, chain, funded, record", ID_ROWS)
def test_id_and_id_desc_keys_decide_when_cost_and_votes_are_equal(utility, chain, funded, record):
    """``id`` funds a and ``id-desc`` funds b when rho, cost and votes are all equal, alone or
    after ``cost``/``cost-desc`` and ``votes``; the project not chosen becomes unaffordable.
    pabutools agrees, under cost and cardinality utility.

    B = 15, n = 3: each voter holds 5. a and b cost 10; a is approved by voters 1, 2, b by
    voters 2, 3. Each costs 5 per supporter: rho 5/10 = 1/2 (cost utility), 5 (cardinality).
    Costs and votes (2) are equal, so the chain reaches its id key. ``id`` takes a: voter 2
    keeps 0, and b's supporters hold 0 + 5 = 5 < 10: [a]. ``id-desc`` takes b likewise: [b].
    """
    check(TIE_ID, utility, chain, funded, record)


ALL_ROWS = (
    [(TIE_VOTES, *row) for row in VOTES_ROWS]
    + [(TIE_COST, *row) for row in COST_ROWS + COST_DESC_ROWS]
    + [(TIE_COST_CARDINALITY, *row) for row in CARDINALITY_ROWS]
    + [(TIE_ID, *row) for row in ID_ROWS]
)
OPPOSITE = {"cost": "cost-desc", "cost-desc": "cost", "id": "id-desc", "id-desc": "id"}


def test_every_key_decides_some_case():
    """The cases above cover every tie-break key as the deciding one."""
    assert {row[4].decided_by for row in ALL_ROWS} == {"votes", "cost", "cost-desc", "id", "id-desc"}


@pytest.mark.parametrize("case, utility, chain, funded, record", ALL_ROWS)
def test_reversing_or_dropping_the_deciding_key_changes_the_winners(case, utility, chain, funded,
                                                                    record):
    """The deciding key changes the winners: with it reversed (``cost``/``cost-desc``,
    ``id``/``id-desc``) or, for ``votes``, dropped from the chain, the other tied project is
    funded instead (a different set of winners), for us and for pabutools alike."""
    key = record.decided_by
    keys = TieChain.parse(chain).keys
    other = [k for k in keys if k != key] if key == "votes" else [OPPOSITE.get(k, k) if k == key else k
                                                                   for k in keys]
    other_chain = ",".join(other)
    out = mes(election(**case), tie_break=TieChain.parse(other_chain), utility=utility)
    (other_tie,) = out.ties
    assert other_tie.chosen != record.chosen
    assert set(out.selected) != set(funded)
    assert pabutools_mes(case, other_chain, utility) == out.selected
