"""Exact participatory budgeting rules, Pabulib files and recounts (standard library only)."""

from .model import Ballot, BallotFormat, Election, Notice, Project, VoteType
from .numbers import Amount, format_amount, parse_amount
from .outcome import Outcome, canonical_json
from .tiebreak import DEFAULT_CHAINS, TieChain, TieRecord

__all__ = [
    "Amount",
    "Ballot",
    "BallotFormat",
    "DEFAULT_CHAINS",
    "Election",
    "Notice",
    "Outcome",
    "Project",
    "TieChain",
    "TieRecord",
    "VoteType",
    "canonical_json",
    "format_amount",
    "parse_amount",
]
