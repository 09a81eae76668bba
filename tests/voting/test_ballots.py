"""The single ballot check (cast time and tally time) and the tally-time warnings."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.data import all_pabulib_files, pabulib_file
from tests.voting.strategies import elections
from voting.ballots import ballot_problems, check_ballot, election_warnings
from voting.errors import BallotError
from voting.model import BallotFormat, VoteType
from voting.pabulib import parse_pb, read_pb

COSTS = {"a": 60, "b": 50, "c": Fraction(5, 2)}
VOTE_TYPES = [v.value for v in VoteType]


def test_valid_ballot_has_no_problems_and_check_passes():
    """A ballot inside every limit gives no problems and check_ballot returns quietly."""
    fmt = BallotFormat(min_length=1, max_length=2, min_sum_cost=50, max_sum_cost=110)
    assert ballot_problems(("a", "b"), None, fmt, COSTS) == []
    check_ballot(("a", "b"), None, fmt, COSTS)


@pytest.mark.parametrize(
    ("projects", "points", "fmt", "expected"),
    [
        (("a", "x"), None, BallotFormat(), ["unknown project x"]),
        (("a", "b", "a"), None, BallotFormat(), ["project a is listed more than once"]),
        ((), None, BallotFormat(min_length=1), ["too few projects: 0 chosen, at least 1 needed"]),
        (("a", "b", "c"), None, BallotFormat(max_length=2), ["too many projects: 3 chosen, at most 2 allowed"]),
        (("a", "b"), None, BallotFormat(vote_type=VoteType.CHOOSE_1), ["a choose-1 ballot needs exactly one project, 2 chosen"]),
        (("c",), None, BallotFormat(min_sum_cost=3), ["total cost 2.5 is below the minimum of 3"]),
        (("a", "c"), None, BallotFormat(max_sum_cost=62), ["total cost 62.5 is above the limit of 62"]),
        (("a",), None, BallotFormat(vote_type=VoteType.CUMULATIVE), ["a cumulative ballot needs points for its projects"]),
        (("a",), (1,), BallotFormat(), ["an approval ballot carries no points"]),
        (("a", "b"), (1,), BallotFormat(vote_type=VoteType.SCORING), ["1 points given for 2 projects"]),
        (("a",), (-1,), BallotFormat(vote_type=VoteType.CUMULATIVE), ["-1 points for project a, at least 0 needed"]),
        (("a",), (6,), BallotFormat(vote_type=VoteType.SCORING, max_points=5), ["6 points for project a, at most 5 allowed"]),
        (("a", "b"), (1, 1), BallotFormat(vote_type=VoteType.CUMULATIVE, min_sum_points=3), ["2 points in all, at least 3 needed"]),
        (("a", "b"), (6, 5), BallotFormat(vote_type=VoteType.CUMULATIVE, max_sum_points=10), ["11 points in all, at most 10 allowed"]),
    ],
)
def test_each_limit_is_named(projects, points, fmt, expected):
    """Each broken limit is reported once with the figures that break it, and check_ballot raises the same text."""
    assert ballot_problems(projects, points, fmt, COSTS) == expected
    with pytest.raises(BallotError) as info:
        check_ballot(projects, points, fmt, COSTS)
    assert info.value.problems == expected and str(info.value) == "; ".join(expected)


def test_repeated_project_cost_counts_once():
    """A repeated project is reported, and the cost limit sees its cost only once."""
    problems = ballot_problems(("a", "a"), None, BallotFormat(max_sum_cost=100), COSTS)
    assert problems == ["project a is listed more than once"]


@given(elections(vote_type=VOTE_TYPES, with_costs_fractional=True, knapsack=True))
def test_generated_valid_elections_raise_no_warnings(election):
    """Every ballot of a valid generated election passes the check, so tally time reports nothing."""
    assert election_warnings(election) == []


@given(elections(vote_type=None, min_voters=1, min_projects=2), st.data())
def test_ballot_over_max_length_is_reported_with_voter(election, data):
    """Lowering max_length below a ballot's length reports exactly the longer ballots, by voter id."""
    limit = data.draw(st.integers(0, 2))
    election.format = BallotFormat(vote_type=VoteType.APPROVAL, max_length=limit)
    too_long = [b.voter_id for b in election.ballots if len(b.projects) > limit]
    notices = election_warnings(election)
    assert [n.voter_id for n in notices] == too_long
    assert all(n.code == "ballot-limits" and "too many projects" in n.message for n in notices)


@given(elections(vote_type=None, min_voters=1), st.data())
def test_cost_limit_matches_ballot_totals(election, data):
    """A max_sum_cost limit flags exactly the ballots whose total cost exceeds it."""
    limit = data.draw(st.integers(0, 200))
    election.format = BallotFormat(vote_type=election.format.vote_type, max_sum_cost=limit)
    over = [b.voter_id for b in election.ballots
            if sum(election.projects[p].cost for p in b.projects) > limit
            or (election.format.vote_type is VoteType.CHOOSE_1 and len(b.projects) != 1)]
    assert [n.voter_id for n in election_warnings(election)] == over


@pytest.mark.parametrize("path", all_pabulib_files(), ids=lambda p: p.stem)
def test_real_ballots_respect_their_files_limits(path):
    """No real file has a ballot breaking its own META limits."""
    assert [n for n in election_warnings(read_pb(path)) if n.code == "ballot-limits"] == []


def test_real_file_with_tightened_limit_names_voters_and_lines():
    """Assen with max_length lowered to 2: every ballot with 3+ projects is reported with its voter id and line."""
    text = pabulib_file("Netherlands_Assen_2024.pb").read_text(encoding="utf-8")
    lines = text.split("\n")
    start = lines.index("voter_id;vote")
    expected = [
        (row.split(";")[0], i + 1)
        for i, row in enumerate(lines[start + 1:], start + 1)
        if row and len(row.split(";")[1].split(",")) > 2
    ]
    election = parse_pb(text.replace("rule;equalshares/add1", "rule;equalshares/add1\nmax_length;2"))
    got = [(n.voter_id, n.line) for n in election_warnings(election)]
    assert got == [(vid, line + 1) for vid, line in expected]  # one META line was inserted
    assert len(got) > 10


def test_czestochowa_votes_column_counts_the_repeat():
    """Częstochowa's votes column counts the repeated 579 (704) while the rows give 701; score agrees."""
    notices = election_warnings(read_pb(pabulib_file("Poland_Czestochowa_2020.pb")))
    assert [(n.code, n.project_id) for n in notices] == [("votes-mismatch", "579")]
    assert "says 704" in notices[0].message and "give 701" in notices[0].message


def test_score_mismatch_and_unreadable_columns():
    """A wrong score column and a non-numeric votes column are both reported per project."""
    text = ("META\nkey;value\nbudget;9\nvote_type;cumulative\nmax_sum_points;5\n"
            "PROJECTS\nproject_id;cost;votes;score\na;5;1;4\nb;4;many;1\n"
            "VOTES\nvoter_id;vote;points\nv1;a,b;3,1\n")
    notices = election_warnings(parse_pb(text))
    assert [(n.code, n.project_id) for n in notices] == [("votes-mismatch", "b"), ("score-mismatch", "a")]
