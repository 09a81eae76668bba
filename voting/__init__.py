"""Exact participatory budgeting rules, Pabulib files and recounts (standard library only).

>>> from voting import Election, Project, Ballot, tally
>>> e = Election(budget=10, projects={"a": Project("a", 6), "b": Project("b", 5), "c": Project("c", 4)},
...              ballots=[Ballot("1", ("a",)), Ballot("2", ("a", "b")), Ballot("3", ("b", "c"))])
>>> outcome = tally(e, "greedy")   # a and b tie on 2 votes; the default chain cost,id picks b
>>> outcome.selected, outcome.total_cost, outcome.ties[0].decided_by
(['b', 'c'], 9, 'cost')
"""

from .ballots import ballot_problems, check_ballot, election_warnings
from .errors import BallotError, PabulibError, RuleError, VotingError
from .model import Ballot, BallotFormat, Election, Notice, Project, VoteType
from .numbers import Amount, format_amount, parse_amount
from .outcome import Outcome, canonical_json
from .pabulib import dump_pb, parse_pb, read_pb, write_pb
from .rules import RULES, tally
from .tiebreak import DEFAULT_CHAINS, TieChain, TieRecord

__all__ = [
    "Amount",
    "Ballot",
    "BallotError",
    "BallotFormat",
    "DEFAULT_CHAINS",
    "Election",
    "Notice",
    "Outcome",
    "PabulibError",
    "Project",
    "RULES",
    "RuleError",
    "TieChain",
    "TieRecord",
    "VoteType",
    "VotingError",
    "ballot_problems",
    "canonical_json",
    "check_ballot",
    "dump_pb",
    "election_warnings",
    "format_amount",
    "parse_amount",
    "parse_pb",
    "read_pb",
    "tally",
    "write_pb",
]
