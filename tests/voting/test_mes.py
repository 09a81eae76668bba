"""The Method of Equal Shares on elections small enough to work out by hand.

Each example's docstring carries the hand computation; the test checks the engine against it.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from voting.errors import BallotError, RuleError
from voting.model import Ballot, BallotFormat, Election, Project, VoteType
from voting.rules import tally
from voting.rules.mes import mes
from voting.tiebreak import TieChain

CHAIN = TieChain.parse("cost,votes,id")


def election(budget, costs: dict, approvals: list[str], vote_type=VoteType.APPROVAL) -> Election:
    """An election from ``{"a": cost}`` and one string of approved ids per voter ("ab" = a, b)."""
    projects = {pid: Project(pid, cost) for pid, cost in costs.items()}
    ballots = [Ballot(str(i + 1), tuple(text)) for i, text in enumerate(approvals)]
    return Election(budget, projects, ballots, BallotFormat(vote_type))


def red_blue(budget: int = 10_000) -> Election:
    """51 voters approve r0..r9, 49 approve b0..b9; every project costs 1000."""
    projects = {f"{c}{i}": Project(f"{c}{i}", 1000) for c in "rb" for i in range(10)}
    red = tuple(f"r{i}" for i in range(10))
    blue = tuple(f"b{i}" for i in range(10))
    ballots = [Ballot(str(v), red if v < 51 else blue) for v in range(100)]
    return Election(budget, projects, ballots, BallotFormat(VoteType.APPROVAL))


def test_red_blue_plain_mes_is_proportional():
    """The authors' 51%/49% example: MES funds 5 red and 4 blue projects, not 10 red.

    B = 10,000 and n = 100, so each voter holds 100. A red project costs each of its 51
    supporters 1000/51 (rho = 1/51 per unit of cost), a blue one 1000/49 (rho = 1/49), so reds
    come first. A red voter can pay 5 × 1000/51 = 98.04 and keeps 1.96; 51 × 1.96 = 100 < 1000,
    so a 6th red project is unaffordable. Then 4 blue projects (4 × 20.41 = 81.63 per voter);
    the 49 blue voters keep 18.37 each, 49 × 18.37 = 900 < 1000, so no 5th. The reds tie with
    each other (same cost, same votes): ids decide, r0 first; likewise b0..b3.
    """
    out = mes(red_blue(), tie_break=CHAIN)
    assert out.selected == ["r0", "r1", "r2", "r3", "r4", "b0", "b1", "b2", "b3"]
    assert out.total_cost == 9000
    assert out.details["per_voter_budget"] == 100
    assert out.ties[0].context == "mes step 1"
    assert out.ties[0].tied == tuple(f"r{i}" for i in range(10))
    assert out.ties[0].decided_by == "id" and out.ties[0].chosen == "r0"
    assert out.ties[5].tied == tuple(f"b{i}" for i in range(10))


def test_red_blue_add1_reaches_five_and_five():
    """Add1 on the 51%/49% example stops at b* = 117 with 5 red and 5 blue projects.

    At b = 103 the blue voters hold 49 × 103 = 5047 ≥ 5 × 1000: a 5th blue project is paid
    (5 × 1000/49 = 102.04 ≤ 103), total 10,000 = B. A 6th red project needs
    51 × (b − 5 × 1000/51) ≥ 1000, i.e. 51b ≥ 6000, b ≥ 117.65: at b = 118 the outcome has
    11 projects costing 11,000 > B, so the loop keeps b = 117, 17 steps after floor(B/n) = 100.
    """
    out = mes(red_blue(), tie_break=CHAIN, completion="add1")
    assert sorted(out.selected) == sorted([f"r{i}" for i in range(5)] + [f"b{i}" for i in range(5)])
    assert out.total_cost == 10_000
    assert out.details["per_voter_budget"] == 117
    assert out.details["add1_start"] == 100
    assert out.details["add1_steps"] == 17
    assert out.ties[0].context == "mes b=117 step 1"


POOR_PAY = dict(budget=30, costs={"p": 12, "q": 18}, approvals=["pq", "pq", "q"])


def test_cost_utility_prefers_the_larger_shared_project():
    """Cost utility: q (rho 6/18 = 1/3) beats p (rho 6/12 = 1/2); afterwards p is unaffordable.

    Each voter holds 10. q costs 18 over 3 supporters: 6 each. p costs 12 over 2: 6 each, but
    per unit of cost q is cheaper. After q, voters 1 and 2 hold 4 each: 8 < 12, p is out.
    """
    out = mes(election(**POOR_PAY), tie_break=CHAIN)
    assert out.selected == ["q"]
    assert out.ties == []


def test_cardinality_utility_and_poor_supporters_paying_all_they_have():
    """Cardinality utility: p and q both cost 6 per supporter (rho 6): a tie, cost decides (p).

    After p, voters 1 and 2 hold 4 and voter 3 holds 10. q costs 18: with x = 6 voters 1, 2
    cannot pay 6, so they pay all they have (4 + 4) and voter 3 pays the rest, x = 10 ≤ 10.
    q is funded with rho 10; the budget is spent exactly (30).
    """
    out = mes(election(**POOR_PAY), tie_break=CHAIN, utility="cardinality")
    assert out.selected == ["p", "q"]
    assert out.total_cost == 30
    (tie,) = out.ties
    assert (tie.context, tie.tied, tie.decided_by, tie.chosen) == ("mes step 1", ("p", "q"), "cost", "p")


def test_tie_broken_by_id_and_by_a_reversed_chain():
    """Equal rho, cost and votes: the id decides (d before e); ``id-desc`` reverses it.

    Budget 40, 4 voters of 10. d and e (cost 8) have 2 supporters each: 4 per supporter,
    rho 4/8 = 1/2 for both. After d, voters 3 and 4 still hold 10, so e follows.
    """
    e = election(40, {"d": 8, "e": 8}, ["d", "d", "e", "e"])
    out = mes(e, tie_break=CHAIN)
    assert out.selected == ["d", "e"]
    assert out.ties[0].decided_by == "id"
    out2 = mes(e, tie_break=TieChain.parse("id-desc"))
    assert out2.selected == ["e", "d"]
    assert out2.ties[0].decided_by == "id-desc" and out2.ties[0].chosen == "e"


def test_cost_or_votes_decide_by_chain_order():
    """Equal rho, different costs and votes: the first key of the chain that differs decides.

    Cardinality utility (rho = the payment), budget 60, 6 voters of 10. f (cost 20) has 4
    supporters: 5 each; g (cost 10) has 2: 5 each. Equal rho 5. Under ``cost,votes,id`` the
    cheaper g wins (decided by cost); under ``votes,id`` f with 4 votes wins.
    """
    e = election(60, {"f": 20, "g": 10}, ["f", "f", "f", "f", "g", "g"])
    by_cost = mes(e, tie_break=CHAIN, utility="cardinality")
    assert by_cost.selected[0] == "g" and by_cost.ties[0].decided_by == "cost"
    by_votes = mes(e, tie_break=TieChain.parse("votes,id"), utility="cardinality")
    assert by_votes.selected[0] == "f" and by_votes.ties[0].decided_by == "votes"


def test_zero_vote_and_withdrawn_projects_are_never_funded():
    """A 0-vote project that would fit and a withdrawn one (cost 999999999) stay unfunded."""
    e = election(1_000_000_000, {"a": 10, "z": 5, "w": 999_999_999}, ["a", "aw", "w"])
    for completion in ("none", "add1", "add1u"):
        out = mes(e, tie_break=CHAIN, completion=completion)
        assert out.selected == ["a"], completion
        assert out.votes == {"a": 2, "z": 0, "w": 2}


def test_add1_all_fit_returns_every_voted_project_at_once():
    """When every voted project fits in B together, add1 funds them all without looping."""
    e = election(100, {"a": 30, "b": 60, "z": 5}, ["a", "ab", "b"])
    out = mes(e, tie_break=CHAIN, completion="add1")
    assert sorted(out.selected) == ["a", "b"]
    assert out.details["add1_all_fit"] is True and out.details["add1_steps"] == 0


def test_add1_keeps_the_last_budget_before_the_overflow():
    """add1 keeps b = 34, the last per-voter budget whose outcome fits; add1u adds nothing here.

    Budget 100, 4 voters of 25. m (cost 60) is approved by voters 1, 2 (rho 30/60 per unit);
    s (cost 30) by voter 3; t (cost 35) by voter 4; each voter holds b under add1.
    m needs 2b ≥ 60 (b ≥ 30); s needs b ≥ 30; t needs b ≥ 35. At b = 30: {m, s} = 90 ≤ 100; at
    b = 35 all three (125 > 100): add1 keeps b = 34 with {m, s}. add1u has 10 left: t (35)
    does not fit, so nothing is added.
    """
    e = election(100, {"m": 60, "s": 30, "t": 35}, ["m", "m", "s", "t"])
    add1 = mes(e, tie_break=CHAIN, completion="add1")
    assert sorted(add1.selected) == ["m", "s"] and add1.details["per_voter_budget"] == 34
    add1u = mes(e, tie_break=CHAIN, completion="add1u")
    assert add1u.selected == add1.selected and add1u.details["add1u_added"] == []


def test_add1u_funds_what_add1_leaves_out():
    """add1 can fund nothing while add1u's greedy fill funds the best-voted project that fits.

    Budget 50, 4 voters: v1 b, v2 c, v3 a b, v4 a c; a costs 50, b and c cost 30. b and c each
    need 2 supporters × b ≥ 30, i.e. b ≥ 15; a needs b ≥ 25. From floor(50/4) = 12 to 14 MES
    funds nothing; at 15 it funds b and c (60 > 50), so add1 keeps b = 14 and the empty outcome.
    The greedy fill sees a, b, c with 2 votes each, all fitting in 50: the chain takes the
    cheaper b and c, then the id b; 20 is left and nothing else fits.
    """
    e = election(50, {"a": 50, "b": 30, "c": 30}, ["b", "c", "ab", "ac"])
    add1 = mes(e, tie_break=CHAIN, completion="add1")
    assert add1.selected == [] and add1.details["per_voter_budget"] == 14
    out = mes(e, tie_break=CHAIN, completion="add1u")
    assert out.selected == ["b"] and out.details["add1u_added"] == ["b"]
    (tie,) = out.ties
    assert (tie.context, tie.tied, tie.decided_by, tie.chosen) == (
        "mes add1u fill step 1", ("a", "b", "c"), "id", "b")


def test_comparison_step_greedy_wins():
    """Greedy wins the comparison: 2 voters prefer it, 1 prefers MES.

    Budget 300, 3 voters of 100. x (cost 300) has voters 1, 2: 200 < 300, unaffordable for MES.
    z (cost 100, voter 3) is MES's only project. Greedy by votes takes x (2 votes, 300) and then
    nothing fits. Voters 1, 2 get 1 approved project from greedy and 0 from MES; voter 3 gets
    1 from MES and 0 from greedy: 2 > 1, so the outcome is greedy's.
    """
    e = election(300, {"x": 300, "z": 100}, ["x", "x", "z"])
    out = mes(e, tie_break=CHAIN, compare_greedy=True)
    assert out.selected == ["x"] and out.total_cost == 300
    assert out.details["voters_preferring_greedy"] == 2
    assert out.details["voters_preferring_mes"] == 1
    assert out.details["comparison_kept"] == "greedy"
    assert out.details["mes_selected"] == ["z"]


def test_comparison_step_exact_tie_keeps_mes():
    """An exact tie in the comparison keeps MES.

    Budget 400, 4 voters of 100. g (cost 400) has voters 1..3: 300 < 400, unaffordable for MES.
    n (cost 150) has voters 1, 2: 75 each, rho 1/2; m (cost 100) voter 4: rho 1. MES = [n, m].
    Greedy takes g (3 votes, 400) and nothing else fits. Voters 1, 2: 1 project either way;
    voter 3 prefers greedy; voter 4 prefers MES: 1 = 1, MES stays.
    """
    e = election(400, {"g": 400, "n": 150, "m": 100}, ["gn", "gn", "g", "m"])
    out = mes(e, tie_break=CHAIN, compare_greedy=True)
    assert out.selected == ["n", "m"]
    assert out.details["voters_preferring_greedy"] == 1
    assert out.details["voters_preferring_mes"] == 1
    assert out.details["comparison_kept"] == "mes"
    assert out.details["greedy_selected"] == ["g"]


def test_choose_1_ballots_are_counted_like_approval():
    """choose-1 ballots give the same outcome as the same ballots read as approval."""
    appr = election(30, {"a": 10, "b": 25}, ["a", "b", "b"])
    one = election(30, {"a": 10, "b": 25}, ["a", "b", "b"], VoteType.CHOOSE_1)
    assert mes(one, tie_break=CHAIN).selected == mes(appr, tie_break=CHAIN).selected == ["a"]


@pytest.mark.parametrize("vote_type", [VoteType.CUMULATIVE, VoteType.ORDINAL, VoteType.SCORING])
def test_points_ballots_are_refused_naming_rule_and_type(vote_type):
    """MES refuses ballots it cannot count, naming the rule and the vote type."""
    e = election(30, {"a": 10}, ["a"], vote_type)
    with pytest.raises(RuleError, match=rf"mes.*{vote_type.value}"):
        mes(e, tie_break=CHAIN)
    with pytest.raises(RuleError, match=vote_type.value):
        tally(e, "mes")


@pytest.mark.parametrize("option", [{"utility": "points"}, {"completion": "add2"}])
def test_unknown_options_are_refused(option):
    """An unknown utility or completion is a RuleError naming it."""
    with pytest.raises(RuleError, match=next(iter(option.values()))):
        mes(election(30, {"a": 10}, ["a"]), tie_break=CHAIN, **option)


def test_registered_and_reachable_through_tally():
    """tally(..., "mes") runs MES with the default chain cost,votes,id and records it."""
    e = election(**POOR_PAY)
    out = tally(e, "mes", utility="cardinality")
    assert out.rule == "mes" and out.selected == ["p", "q"]
    assert out.parameters["tie_break"] == "cost,votes,id"
    assert out.to_json().startswith("{")


def test_fractional_costs_are_exact():
    """Decimal costs (1920218.79) are handled exactly: the total is the exact sum."""
    e = election(Fraction(500), {"a": Fraction(19021879, 100000), "b": Fraction(1, 3)}, ["ab", "a", "b"])
    out = mes(e, tie_break=CHAIN)
    assert out.total_cost == sum(e.projects[p].cost for p in out.selected)
    assert set(out.selected) == {"a", "b"}


def test_no_ballots_gives_an_empty_outcome():
    """With no ballots nothing has a vote, so nothing is funded, with or without completion."""
    e = election(100, {"a": 10}, [])
    for completion in ("none", "add1", "add1u"):
        assert mes(e, tie_break=CHAIN, completion=completion).selected == []


def test_vote_for_an_unknown_project_is_a_clear_error():
    """A ballot naming a project the election does not have is a BallotError naming both."""
    e = election(30, {"a": 10}, ["a", "a"])
    e.ballots[1] = Ballot("2", ("a", "zz"))
    with pytest.raises(BallotError, match=r"voter 2: .*'zz'"):
        mes(e, tie_break=CHAIN)
