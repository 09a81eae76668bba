"""The rule registry and ``tally``: lookup, option and vote-type checks, tie chains, warnings."""

from __future__ import annotations

import pytest

from tests.voting.test_greedy import make_election
from voting.ballots import election_warnings
from voting.errors import BallotError, RuleError
from voting.model import Ballot, BallotFormat, Election, Notice, Project, VoteType
from voting.rules import RULES, rule_options, tally
from voting.tiebreak import DEFAULT_CHAINS

CORE_RULES = ("greedy", "max-welfare", "phragmen")
#: Options each rule declares (MES's are checked only once it is registered).
OPTIONS = {
    "greedy": ("min_score",),
    "max-welfare": ("utility",),
    "phragmen": (),
    "mes": ("utility", "completion", "compare_greedy"),
}


def small():
    return make_election(10, {"a": 6, "b": 5, "c": 4}, [("a", "b"), ("a", "c"), ("b",)])


def registered():
    return [name for name in OPTIONS if name in RULES]


def test_core_rules_are_registered():
    """greedy, max-welfare and Phragmén are registered, and every registered rule has an entry here."""
    assert set(CORE_RULES) <= set(RULES)
    assert set(RULES) == set(OPTIONS)


@pytest.mark.parametrize("name", list(OPTIONS))
def test_each_rule_declares_its_options(name):
    """Each rule's options are exactly the documented ones."""
    assert set(rule_options(name)) == set(OPTIONS[name])


def test_default_rule_is_greedy():
    """tally without a rule name runs greedy."""
    out = tally(small())
    assert out.rule == "greedy"
    assert out.selected == ["b", "c"]


def test_unknown_rule_is_refused_with_the_list():
    """An unknown rule name gets a RuleError that lists the known rules."""
    with pytest.raises(RuleError, match="unknown rule 'borda'.*greedy"):
        tally(small(), "borda")


@pytest.mark.parametrize(
    "rule, option, value",
    [
        ("greedy", "utility", "cost"),
        ("greedy", "completion", "add1"),
        ("max-welfare", "min_score", 2),
        ("max-welfare", "compare_greedy", True),
        ("phragmen", "utility", "cost"),
        ("mes", "min_score", 2),
    ],
)
def test_option_that_does_not_fit_is_refused(rule, option, value):
    """An option the rule does not take gets a RuleError naming both the option and the rule."""
    with pytest.raises(RuleError) as info:
        tally(small(), rule, **{option: value})
    assert option in str(info.value) and rule in str(info.value)


@pytest.mark.parametrize("vote_type", [VoteType.CUMULATIVE, VoteType.ORDINAL, VoteType.SCORING])
def test_points_and_rankings_only_for_greedy(vote_type):
    """greedy counts every ballot kind; the other rules refuse, naming the rule and the vote type."""
    e = make_election(10, {"a": 6, "b": 5}, [(("a", "b"), (2, 1)), (("b",), (3,))], vote_type)
    assert tally(e, "greedy").selected == ["b"]
    for name in RULES:
        if name == "greedy":
            continue
        with pytest.raises(RuleError) as info:
            tally(e, name)
        assert name in str(info.value) and vote_type.value in str(info.value)


@pytest.mark.parametrize("vote_type", [VoteType.APPROVAL, VoteType.CHOOSE_1])
def test_every_rule_takes_approval_and_choose_1(vote_type):
    """Every registered rule counts approval and choose-1 ballots within the budget."""
    e = make_election(10, {"a": 6, "b": 5, "c": 4}, [("a",), ("b",), ("a",), ("c",)], vote_type)
    for name in RULES:
        out = tally(e, name)
        assert out.rule == name
        assert out.total_cost <= 10


def test_default_chains_and_given_chain():
    """Each rule gets its default chain unless one is given, and the outcome names the chain used."""
    for name in RULES:
        assert tally(small(), name).parameters["tie_break"] == DEFAULT_CHAINS[name]
    assert tally(small()).selected == ["b", "c"]  # a and b tie on votes; cost picks b
    out = tally(small(), tie_break="cost-desc")
    assert out.parameters["tie_break"] == "cost-desc,id"
    assert out.selected == ["a", "c"]
    assert out.ties[0].decided_by == "cost-desc" and out.ties[0].chosen == "a"


def test_bad_chain_is_a_rule_error():
    """An unknown tie-break key gets a RuleError (exit 2 in the command), not a ValueError."""
    with pytest.raises(RuleError, match="tie-break"):
        tally(small(), tie_break="cost,luck")


@pytest.mark.parametrize("chain", ["", " ", "cost,,id", "cost,", ",votes"])
def test_a_chain_with_an_empty_key_is_refused(chain):
    """A chain with an empty item (a typo such as a doubled comma, or nothing at all) is refused
    rather than read as a shorter chain: the recorded chain is always the one asked for."""
    with pytest.raises(RuleError, match="empty key"):
        tally(small(), tie_break=chain)


def over_long() -> Election:
    """A ballot breaking max_length 1, and one reader notice."""
    projects = {"a": Project("a", 6), "b": Project("b", 5)}
    ballots = [Ballot("v1", ("a", "b"), line=12), Ballot("v2", ("a",), line=13)]
    notice = Notice("duplicate-in-vote", "voter v2 lists project a twice", 13, "v2", "a")
    return Election(10, projects, ballots, BallotFormat(max_length=1), notices=[notice])


def test_warnings_collected_once_in_order():
    """The reader's notices come first, then the ballot checks', each once, in the outcome."""
    e = over_long()
    expected = [*e.notices, *election_warnings(e)]
    assert len(expected) == 2
    out = tally(e)
    assert out.warnings == expected
    assert out.selected == ["a"]
    assert '"warnings":[{' in out.to_json()


def test_strict_turns_warnings_into_an_error():
    """Under strict, any warning is a BallotError that points at its line."""
    with pytest.raises(BallotError, match="2 warning.*line 13"):
        tally(over_long(), strict=True)
    assert tally(small(), strict=True).warnings == []


def test_same_input_same_json():
    """Two tallies of the same election give byte-identical canonical JSON, for every rule."""
    for name in RULES:
        assert tally(small(), name).to_json() == tally(small(), name).to_json()
