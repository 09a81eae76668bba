"""Greedy by score: hand-worked examples, properties and agreement with pabutools."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.voting.strategies import elections
from tests.oracle import require_pabutools
from voting.counting import point_scores, vote_counts
from voting.model import WITHDRAWN_COST, Ballot, BallotFormat, Election, Project, VoteType
from voting.errors import RuleError
from voting.rules.greedy import greedy
from voting.tiebreak import TieChain, TieRecord


def make_election(budget, costs: dict, votes: list, vote_type=VoteType.APPROVAL) -> Election:
    """An election from ``{id: cost}`` and ballots given as id tuples or ``(ids, points)`` pairs."""
    ballots = []
    for i, vote in enumerate(votes):
        if isinstance(vote, tuple) and len(vote) == 2 and isinstance(vote[1], tuple):
            ballots.append(Ballot(f"v{i}", tuple(vote[0]), tuple(vote[1])))
        else:
            ballots.append(Ballot(f"v{i}", tuple(vote)))
    projects = {pid: Project(pid, cost) for pid, cost in costs.items()}
    return Election(budget, projects, ballots, BallotFormat(vote_type=vote_type))


def run(election, chain="cost,id", **params):
    return greedy(election, tie_break=TieChain.parse(chain), **params)


# --- pabutools as an oracle (also used by the max-welfare and Phragmén tests) ---------------


def pabutools_key(chain: str, election: Election):
    """The pabutools tie-breaking function matching our chain (projects named by their ids)."""
    votes = vote_counts(election)

    def key(inst, prof, p):
        out = []
        for k in TieChain.parse(chain).keys:
            if k == "votes":
                out.append(-votes[p.name])
            elif k == "cost":
                out.append(p.cost)
            elif k == "cost-desc":
                out.append(-p.cost)
            elif k == "id":
                out.append(p.name)
            else:  # id-desc: strings cannot be negated; compare code points reversed
                out.append(tuple(-ord(ch) for ch in p.name) + (1,))
        return tuple(out)

    return key


def to_pabutools(election: Election, *, keep=None):
    """pabutools' Instance and profile for *election*, without 0-vote and withdrawn projects
    (pabutools would fund a 0-vote project; we never do), or only the projects in *keep*."""
    require_pabutools()
    from pabutools.election import (
        ApprovalBallot,
        ApprovalProfile,
        CumulativeBallot,
        CumulativeProfile,
        Instance,
    )
    from pabutools.election import Project as PProject

    votes = vote_counts(election)
    if keep is None:
        keep = {pid for pid, p in election.projects.items() if votes[pid] > 0 and not p.is_withdrawn}
    projects = {pid: PProject(pid, p.cost) for pid, p in election.projects.items() if pid in keep}
    instance = Instance(projects.values(), budget_limit=election.budget)
    if election.has_points:
        profile = CumulativeProfile(
            [
                CumulativeBallot({projects[pid]: pts for pid, pts in zip(b.projects, b.points or ()) if pid in keep})
                for b in election.ballots
            ],
            instance=instance,
        )
    else:
        profile = ApprovalProfile(
            [ApprovalBallot([projects[pid] for pid in b.projects if pid in keep]) for b in election.ballots],
            instance=instance,
        )
    return instance, profile


def pabutools_greedy(election: Election, chain: str, *, keep=None) -> list[str]:
    """pabutools' greedy (density = score) with the tie rule matching *chain*; winners in order."""
    from pabutools.election import Cost_Sat
    from pabutools.election.satisfaction import AdditiveSatisfaction
    from pabutools.rules import greedy_utilitarian_welfare
    from pabutools.tiebreaking import TieBreakingRule

    class PointsCostSat(AdditiveSatisfaction):
        """Satisfaction points × cost, so that greedy's density is the score."""

        def __init__(self, instance, profile, ballot):
            AdditiveSatisfaction.__init__(
                self, instance, profile, ballot, lambda inst, prof, b, p, pre: b.get(p, 0) * p.cost
            )

    instance, profile = to_pabutools(election, keep=keep)
    sat = PointsCostSat if election.has_points else Cost_Sat
    outcome = greedy_utilitarian_welfare(
        instance, profile, sat_class=sat, tie_breaking=TieBreakingRule(pabutools_key(chain, election))
    )
    return [p.name for p in outcome]


# --- hand-worked examples --------------------------------------------------------------------

#: a and b tie on 2 votes; only one fits. a is dearer (6 against 5) and sorts first by id.
TIE_COST = ({"a": 6, "b": 5}, [("a", "b"), ("a",), ("b",)])
#: a and b tie on 2 votes and cost 6 each; only one fits.
TIE_ID = ({"a": 6, "b": 6}, [("a", "b"), ("a",), ("b",)])
#: cumulative: a and b tie on 4 points; b has 2 voters, a one. Equal cost; only one fits.
TIE_VOTES = ({"a": 6, "b": 6}, [(("a",), (4,)), (("b",), (2,)), (("b",), (2,))])

CHAIN_CASES = [
    # (case, chain, funded, decided_by)
    (TIE_COST, "cost", ["b"], "cost"),
    (TIE_COST, "cost-desc", ["a"], "cost-desc"),
    (TIE_ID, "id", ["a"], "id"),
    (TIE_ID, "id-desc", ["b"], "id-desc"),
    (TIE_VOTES, "votes", ["b"], "votes"),
    (TIE_VOTES, "id", ["a"], "id"),
]


@pytest.mark.parametrize("case, chain, funded, decided_by", CHAIN_CASES)
def test_each_tie_key_changes_the_winners_and_is_recorded(case, chain, funded, decided_by):
    """Each chain key decides a two-way greedy tie its own way, and the tie is recorded."""
    costs, votes = case
    vote_type = VoteType.CUMULATIVE if isinstance(votes[0][1], tuple) else VoteType.APPROVAL
    out = run(make_election(10, costs, votes, vote_type), chain)
    assert out.selected == funded
    assert out.ties == [TieRecord("greedy step 1", ("a", "b"), decided_by, funded[0])]


@pytest.mark.parametrize("case, chain, funded, decided_by", CHAIN_CASES)
def test_tie_chain_cases_agree_with_pabutools(case, chain, funded, decided_by):
    """pabutools' greedy with the matching tie-breaking rule funds the same projects in order."""
    costs, votes = case
    vote_type = VoteType.CUMULATIVE if isinstance(votes[0][1], tuple) else VoteType.APPROVAL
    election = make_election(10, costs, votes, vote_type)
    assert pabutools_greedy(election, chain) == run(election, chain).selected


def test_later_tie_among_projects_that_still_fit():
    """A tie counts only the top-scoring projects that still fit: a project too dear is not tied."""
    # after c (3 votes, cost 5) 5 is left: a (cost 6) no longer fits, b and d (2 votes) tie.
    e = make_election(10, {"a": 6, "b": 4, "c": 5, "d": 3}, [("a", "b", "c", "d"), ("a", "b", "c", "d"), ("c",)])
    out = run(e)
    assert out.selected == ["c", "d"]
    assert out.ties == [TieRecord("greedy step 2", ("b", "d"), "cost", "d")]


def test_score_order_differs_from_vote_order():
    """With points, greedy follows the points: a project with fewer voters but more points wins."""
    # a: 3 voters x 1 point = 3; b: 1 voter x 5 points = 5. Only one fits.
    votes = [(("a",), (1,)), (("a",), (1,)), (("a", "b"), (1, 5))]
    e = make_election(10, {"a": 6, "b": 6}, votes, VoteType.CUMULATIVE)
    out = run(e)
    assert out.votes == {"a": 3, "b": 1}
    assert out.score == {"a": 3, "b": 5}
    assert out.selected == ["b"]
    assert out.ties == []


def test_ordinal_points_column_is_the_score():
    """Ordinal ballots with a points column (Kraków 3,2,1) are ranked by points, not by voters."""
    votes = [(("a", "b", "c"), (3, 2, 1)), (("a", "c", "b"), (3, 2, 1)), (("b", "c", "a"), (3, 2, 1))]
    e = make_election(7, {"a": 4, "b": 4, "c": 3}, votes, VoteType.ORDINAL)
    out = run(e)
    assert out.score == {"a": 7, "b": 6, "c": 5}
    assert out.selected == ["a", "c"]


def test_zero_vote_project_that_would_fit_is_never_funded():
    """A project nobody voted for stays unfunded even when money is left for it."""
    e = make_election(100, {"a": 10, "z": 1}, [("a",)])
    out = run(e)
    assert out.selected == ["a"]
    assert out.total_cost == 10
    assert pabutools_greedy(e, "cost,id", keep={"a", "z"}) == ["a", "z"]  # pabutools funds it


def test_withdrawn_project_is_never_funded():
    """A withdrawn project (cost 999999999) is never funded, however many votes it has."""
    e = make_election(10**10, {"w": WITHDRAWN_COST, "a": 5}, [("w", "a"), ("w",)])
    out = run(e)
    assert out.selected == ["a"]
    assert out.votes["w"] == 2


def test_min_score_threshold():
    """Projects below the minimum score are not fundable, even when they would fit."""
    e = make_election(100, {"a": 10, "b": 10, "c": 10}, [("a", "b", "c"), ("a", "b"), ("a",)])
    assert run(e).selected == ["a", "b", "c"]
    out = run(e, min_score=2)
    assert out.selected == ["a", "b"]
    assert out.parameters["min_score"] == 2
    assert run(e, min_score=3).selected == ["a"]


def test_min_score_on_points():
    """With points the threshold applies to the points score, not to the number of voters."""
    votes = [(("a",), (1,)), (("a",), (1,)), (("b",), (5,))]
    e = make_election(100, {"a": 1, "b": 1}, votes, VoteType.CUMULATIVE)
    assert run(e, min_score=3).selected == ["b"]


def test_skips_a_project_that_does_not_fit_and_goes_on():
    """A project that no longer fits is skipped and cheaper, lower-scored projects are still funded."""
    e = make_election(10, {"a": 7, "b": 5, "c": 3}, [("a", "b", "c")] * 3 + [("a", "b")] + [("a",)])
    out = run(e)
    assert out.selected == ["a", "c"]
    assert out.total_cost == 10


def test_fractional_costs_exact():
    """Decimal costs are summed exactly: three costs of 0.1 fit a budget of 0.3."""
    tenth = Fraction(1, 10)
    e = make_election(Fraction(3, 10), {"a": tenth, "b": tenth, "c": tenth}, [("a", "b", "c")])
    out = run(e)
    assert out.selected == ["a", "b", "c"]
    assert out.total_cost == Fraction(3, 10)


@pytest.mark.parametrize("bad", [1.5, "3", True, -1])
def test_bad_min_score_is_refused(bad):
    """A float, text, boolean or negative threshold gets a RuleError, not a wrong count."""
    e = make_election(10, {"a": 1}, [("a",)])
    with pytest.raises(RuleError, match="min_score"):
        run(e, min_score=bad)


# --- properties --------------------------------------------------------------------------------

ALL_TYPES = [t.value for t in VoteType]


@given(elections(vote_type=ALL_TYPES, with_costs_fractional=True, max_projects=8), st.sampled_from(["cost,id", "votes,cost-desc,id-desc", "id-desc"]))
def test_budget_never_exceeded(election, chain):
    """Greedy never spends more than the budget and funds only voted, fundable projects."""
    out = run(election, chain)
    assert out.total_cost == sum(election.projects[p].cost for p in out.selected) <= election.budget
    assert len(set(out.selected)) == len(out.selected)
    assert all(out.votes[p] > 0 for p in out.selected)


@given(elections(vote_type=ALL_TYPES, max_projects=8), st.randoms(use_true_random=False))
def test_independent_of_ballot_order_and_voter_ids(election, rnd):
    """Shuffling the ballots and renaming the voters changes nothing in the outcome."""
    shuffled = list(election.ballots)
    rnd.shuffle(shuffled)
    renamed = [Ballot(f"x{i}", b.projects, b.points) for i, b in enumerate(shuffled)]
    other = Election(election.budget, election.projects, renamed, election.format)
    assert run(other).to_json() == run(election).to_json()


@given(elections(vote_type=ALL_TYPES, max_projects=8), st.data())
def test_exhaustive(election, data):
    """No voted, fundable project left unfunded fits in what is left of the budget."""
    min_score = data.draw(st.none() | st.integers(0, 4))
    out = run(election, min_score=min_score)
    left = election.budget - out.total_cost
    score = point_scores(election) or vote_counts(election)
    for pid, project in election.projects.items():
        if pid in out.selected or out.votes[pid] == 0:
            continue
        if min_score is not None and score[pid] < min_score:
            continue
        assert project.cost > left


@given(elections(vote_type=["approval", "choose-1", "cumulative", "ordinal"], max_projects=8), st.data())
def test_monotone(election, data):
    """Adding a vote (or points) for a funded project never unfunds it."""
    out = run(election)
    if not out.selected:
        return
    pid = data.draw(st.sampled_from(out.selected))
    points = (data.draw(st.integers(1, 5)),) if election.has_points else None
    more = election.ballots + [Ballot("new-voter", (pid,), points)]
    after = run(Election(election.budget, election.projects, more, election.format))
    assert pid in after.selected


@settings(max_examples=60)
@given(elections(vote_type=["approval", "choose-1", "cumulative"], max_projects=7, with_costs_fractional=True),
       st.sampled_from(["cost,id", "cost-desc,id", "votes,id", "id-desc", "votes,cost,id-desc"]))
def test_agrees_with_pabutools(election, chain):
    """Our greedy funds the projects pabutools' greedy funds, in the same order (same tie rule)."""
    assert run(election, chain).selected == pabutools_greedy(election, chain)
