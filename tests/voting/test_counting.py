"""The shared counts (``voting.counting``) and the whole-list screen behind ``election_warnings``."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import voting.counting as counting_module
from voting.ballots import ballot_problems, election_warnings
from voting.counting import (
    approver_arrays,
    approvers,
    counting_session,
    has_points,
    point_scores,
    repeated_ballots,
    vote_counts,
)
from voting.errors import BallotError, RuleError
from voting.model import Ballot, BallotFormat, Election, Project, VoteType
from voting.pabulib import parse_pb as read_pb_text
from voting.rules import RULES, check_vote_type, tally

IDS = ("a", "b", "c", "d")
COSTS = {"a": 3, "b": 5, "c": Fraction(7, 2), "d": 1}


def _slow_warnings(election: Election) -> list[tuple[str, str]]:
    """The definition: ``ballot_problems`` on every single ballot."""
    costs = {pid: p.cost for pid, p in election.projects.items()}
    out = []
    for b in election.ballots:
        problems = ballot_problems(b.projects, b.points, election.format, costs)
        if problems:
            out.append((b.voter_id, "; ".join(problems)))
    return out


LIMITS = {
    "min_length": st.integers(0, 4),
    "max_length": st.integers(0, 4),
    "min_sum_cost": st.integers(0, 12),
    "max_sum_cost": st.integers(0, 12),
    "min_points": st.integers(-1, 3),
    "max_points": st.integers(0, 4),
    "min_sum_points": st.integers(0, 12),
    "max_sum_points": st.integers(0, 12),
}


@st.composite
def formats(draw) -> BallotFormat:
    """A vote type and at most two limits, so that each limit is often the only one broken."""
    names = draw(st.lists(st.sampled_from(sorted(LIMITS)), max_size=2, unique=True))
    return BallotFormat(vote_type=draw(st.sampled_from(list(VoteType))),
                        **{name: draw(LIMITS[name]) for name in names})


def rarely(draw) -> bool:
    """True about one time in five: one defect at a time keeps each test of the screen alone."""
    return draw(st.integers(0, 4)) == 0


@st.composite
def ballots(draw, fmt: BallotFormat):
    """A ballot that mostly fits *fmt*'s vote type, with now and then a repeat, an unknown
    project or points of the wrong shape (and any limit of *fmt* may still be broken)."""
    projects = draw(st.lists(st.sampled_from(IDS), max_size=4, unique=True))
    if projects and rarely(draw):
        projects.append(draw(st.sampled_from(projects)))
    if rarely(draw):
        projects.insert(draw(st.integers(0, len(projects))), "zz")
    projects = tuple(projects)
    pointed = fmt.vote_type in (VoteType.CUMULATIVE, VoteType.SCORING) or (
        fmt.vote_type is VoteType.ORDINAL and draw(st.booleans())
    )
    if rarely(draw):
        pointed = not pointed
    if not pointed:
        return projects, None
    size = max(len(projects) + (draw(st.sampled_from([-1, 1])) if rarely(draw) else 0), 0)
    return projects, tuple(draw(st.lists(st.integers(-1, 5), min_size=size, max_size=size)))


@settings(max_examples=400)
@given(formats(), st.data())
def test_screen_reports_exactly_what_the_one_check_finds(fmt, data):
    """election_warnings reports, for every ballot, exactly what ballot_problems finds (same
    ballots, same messages, same order): the whole-list screen never misses a ballot."""
    drawn = data.draw(st.lists(ballots(fmt), max_size=6))
    election = Election(
        10, {pid: Project(pid, COSTS[pid]) for pid in IDS},
        [Ballot(f"v{i}", projects, points, line=i + 1) for i, (projects, points) in enumerate(drawn)],
        format=fmt,
    )
    got = [(n.voter_id, n.message.split(": ", 1)[1]) for n in election_warnings(election)
           if n.code == "ballot-limits"]
    assert got == _slow_warnings(election)



@settings(max_examples=200)
@given(formats(), st.data())
def test_warnings_after_each_rule_are_what_the_one_check_finds(fmt, data):
    """Inside tally, after the rule has counted the votes (Phragmén hands the session counts of
    its own), the warnings still report exactly what ballot_problems finds on every ballot."""
    drawn = [b for b in data.draw(st.lists(ballots(fmt), max_size=6)) if "zz" not in b[0]]
    election = Election(
        10, {pid: Project(pid, COSTS[pid]) for pid in IDS},
        [Ballot(f"v{i}", projects, points, line=i + 1) for i, (projects, points) in enumerate(drawn)],
        format=fmt,
    )
    expected = _slow_warnings(election)
    for rule in RULES:
        try:
            check_vote_type(rule, election)
        except RuleError:
            continue  # (a rule that cannot count these ballots never gets to the checks)
        got = [(n.voter_id, n.message.split(": ", 1)[1]) for n in tally(election, rule).warnings
               if n.code == "ballot-limits"]
        assert got == expected, rule


CUM = VoteType.CUMULATIVE
ONE_DEFECT = [
    (BallotFormat(min_length=2), ("a",), None),
    (BallotFormat(max_length=1), ("a", "b"), None),
    (BallotFormat(vote_type=VoteType.CHOOSE_1), ("a", "b"), None),
    (BallotFormat(vote_type=VoteType.CHOOSE_1, min_length=1), (), None),
    (BallotFormat(min_sum_cost=5), ("a",), None),
    (BallotFormat(max_sum_cost=5), ("a", "b"), None),
    (BallotFormat(vote_type=CUM, min_points=1), ("a",), (0,)),
    (BallotFormat(vote_type=CUM, max_points=2), ("a",), (3,)),
    (BallotFormat(vote_type=CUM, min_sum_points=5), ("a", "b"), (2, 2)),
    (BallotFormat(vote_type=CUM, max_sum_points=3), ("a", "b"), (2, 2)),
    (BallotFormat(vote_type=CUM), ("a",), (-1,)),
    (BallotFormat(vote_type=CUM), ("a",), None),
    (BallotFormat(vote_type=VoteType.SCORING), ("a", "b"), (1,)),
    (BallotFormat(vote_type=VoteType.ORDINAL, max_points=2), ("a", "b"), (3, 1)),
    (BallotFormat(), ("a",), (1,)),
    (BallotFormat(), ("a", "b", "a"), None),
    (BallotFormat(), ("a", "zz"), None),
]


@pytest.mark.parametrize(("fmt", "projects", "points"), ONE_DEFECT)
def test_each_limit_alone_is_found_by_the_screen(fmt, projects, points):
    """A ballot breaking one limit, beside a ballot breaking none, is reported alone and with
    ballot_problems' words: every test of the screen catches its limit on its own."""
    candidates = [(p, pts) for p in [("d",), ("b",), ("d", "c")] for pts in [None, (1,) * len(p), (3,) * len(p)]]
    fine = next(c for c in candidates if not ballot_problems(*c, fmt, COSTS))
    election = Election(10, {pid: Project(pid, COSTS[pid]) for pid in IDS},
                        [Ballot("ok", *fine), Ballot("bad", projects, points)], format=fmt)
    got = [(n.voter_id, n.message.split(": ", 1)[1]) for n in election_warnings(election)]
    assert got == _slow_warnings(election)
    assert [vid for vid, _ in got] == ["bad"]


def _election(ballots, projects=("a", "b")) -> Election:
    return Election(10, {p: Project(p, 4) for p in projects},
                    [Ballot(str(i), tuple(b)) for i, b in enumerate(ballots, 1)])


def test_counts_are_shared_inside_a_session_and_fresh_outside():
    """Inside one session an election's ballots are read once (a later change to them is not
    seen until the session ends); outside a session every call counts afresh."""
    e = _election([["a"], ["a", "b"]])
    with counting_session():
        first = vote_counts(e)
        e.ballots.append(Ballot("3", ("b",)))
        assert vote_counts(e) == first == {"a": 2, "b": 1}
        assert {p: len(v) for p, v in approvers(e).items()} == {"a": 2, "b": 1}
    assert vote_counts(e) == {"a": 2, "b": 2}


@pytest.mark.parametrize("index", [approvers, approver_arrays])
def test_vote_counts_in_a_session_come_from_the_supporter_index(index):
    """Inside a session, the vote counts are read off whichever supporter index a rule built
    (lists or arrays): the ballots are not counted again."""
    e = _election([["a"], ["a", "b"]])
    with counting_session():
        index(e)
        with mock.patch.object(counting_module, "Counter", side_effect=AssertionError("counted again")):
            assert vote_counts(e) == {"a": 2, "b": 1}


def test_returned_counts_are_copies():
    """Changing a returned count dict does not change what the session gives the next caller."""
    e = _election([["a"]])
    with counting_session():
        vote_counts(e)["a"] = 99
        assert vote_counts(e)["a"] == 1


def test_repeated_project_counts_once_everywhere():
    """A hand-built ballot listing a project twice counts once in vote_counts, approvers and
    every rule's votes, and is reported by the check."""
    e = _election([["a", "a", "b"], ["b"]])
    assert repeated_ballots(e) == {0}
    assert vote_counts(e) == {"a": 1, "b": 2}
    assert approvers(e) == {"a": [0], "b": [0, 1]}
    arrays = approver_arrays(e)
    assert {p: (v.typecode, v.tolist()) for p, v in arrays.items()} == {"a": ("i", [0]), "b": ("i", [0, 1])}
    for rule in RULES:
        out = tally(e, rule)
        assert out.votes == {"a": 1, "b": 2}, rule
        assert [w.code for w in out.warnings] == ["ballot-limits"], rule


def test_the_readers_ballots_are_trusted_and_any_others_checked():
    """Ballots as the reader built them are not rechecked for repeats; a ballot appended to
    them, or a new list put in their place, that lists a project twice is still found and
    counted once."""
    e = read_pb_text("META\nkey;value\nbudget;10\nvote_type;approval\nPROJECTS\nproject_id;cost\na;3\nb;5\nc;1\n"
                     "VOTES\nvoter_id;vote\n1;a,b\n2;b,a,b\n")
    assert e.distinct_ballots is not None and repeated_ballots(e) == set()
    assert e.ballots[1].projects == ("b", "a")  # the reader merged the repeat
    e.ballots.append(Ballot("x", ("b", "c", "b")))
    assert repeated_ballots(e) == {2}
    assert vote_counts(e) == {"a": 2, "b": 3, "c": 1}
    assert approvers(e)["b"] == [0, 1, 2]
    swapped = replace(e, ballots=[Ballot("y", ("c", "c"))])
    assert swapped.distinct_ballots is None and repeated_ballots(swapped) == {0}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_unknown_project_is_a_ballot_error_for_every_rule(rule):
    """A ballot naming a project the election lacks stops every rule with a BallotError that
    names the voter and the project (never a KeyError)."""
    e = _election([["a"], ["b", "zz"]])
    with pytest.raises(BallotError, match=r"voter 2: vote for unknown project 'zz'"):
        tally(e, rule)
    with pytest.raises(BallotError, match=r"voter 2"):
        vote_counts(e)
    with pytest.raises(BallotError, match=r"voter 2"):
        approvers(e)
    with pytest.raises(BallotError, match=r"voter 2"):
        approver_arrays(e)


def test_points_are_summed_and_detected():
    """has_points is true only when some ballot carries points; point_scores sums them, a
    ballot without points counting one per project."""
    e = Election(10, {"a": Project("a", 1), "b": Project("b", 1)},
                 [Ballot("1", ("a", "b"), (2, 3)), Ballot("2", ("b",))],
                 format=BallotFormat(vote_type=VoteType.CUMULATIVE))
    assert has_points(e) and e.has_points
    assert point_scores(e) == {"a": 2, "b": 4}
    plain = _election([["a"]])
    assert not has_points(plain) and not plain.has_points and point_scores(plain) is None


def test_counts_a_rule_shares_are_the_counts_of_the_ballots():
    """Phragmén hands its own vote counts to the session; they equal vote_counts computed
    afresh, repeats counted once, so the column check after the rule sees the true counts."""
    from voting.rules.phragmen import phragmen

    e = _election([["a", "a", "b"], ["b"], ["b"]], projects=("a", "b", "c"))
    with counting_session():
        phragmen(e)
        assert vote_counts(e) == {"a": 1, "b": 3, "c": 0}
    assert vote_counts(e) == {"a": 1, "b": 3, "c": 0}
