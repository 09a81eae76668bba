"""Errors the core raises. Each carries a message a person can act on."""

from __future__ import annotations


class VotingError(Exception):
    """Base class of every error the core raises on bad input."""


class PabulibError(VotingError):
    """A malformed ``.pb`` file; ``line`` is the 1-based line number when known."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(f"line {line}: {message}" if line is not None else message)


class BallotError(VotingError):
    """A ballot that breaks its format (too many choices, over budget, unknown project, ...)."""


class RuleError(VotingError):
    """A rule asked for something it cannot do: an unknown rule, an option that does not fit
    the rule, or a vote type the rule cannot use. The message names both."""
