"""The values the rules work on: projects, ballots, a ballot format and an election.

Every amount is exact (``int`` or ``Fraction``); project ids are strings.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Mapping

from .numbers import Amount

_points_of = attrgetter("points")


#: The cost Pabulib files give a project withdrawn after the vote; such a project is never funded.
WITHDRAWN_COST = 999_999_999


class VoteType(str, enum.Enum):
    """How a ballot is filled in (the Pabulib ``vote_type``)."""

    APPROVAL = "approval"
    CHOOSE_1 = "choose-1"
    CUMULATIVE = "cumulative"
    ORDINAL = "ordinal"
    SCORING = "scoring"


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning or error about the input, precise enough to find the offending line."""

    code: str
    message: str
    line: int | None = None
    voter_id: str | None = None
    project_id: str | None = None

    def to_json(self) -> dict:
        out: dict = {"code": self.code, "message": self.message}
        if self.line is not None:
            out["line"] = self.line
        if self.voter_id is not None:
            out["voter_id"] = self.voter_id
        if self.project_id is not None:
            out["project_id"] = self.project_id
        return out


@dataclass(frozen=True, slots=True)
class Project:
    """A project on the ballot. ``extra`` keeps the other PROJECTS columns as text."""

    id: str
    cost: Amount
    name: str = ""
    categories: tuple[str, ...] = ()
    area: str = ""
    extra: Mapping[str, str] = field(default_factory=dict, compare=True, hash=False)

    @property
    def is_withdrawn(self) -> bool:
        return self.cost == WITHDRAWN_COST


@dataclass(frozen=True, slots=True)
class BallotFormat:
    """What makes a ballot valid. ``None`` means no limit.

    A knapsack ballot is an approval ballot with ``max_sum_cost`` (usually the budget).
    """

    vote_type: VoteType = VoteType.APPROVAL
    min_length: int | None = None
    max_length: int | None = None
    min_sum_cost: Amount | None = None
    max_sum_cost: Amount | None = None
    min_points: Amount | None = None
    max_points: Amount | None = None
    min_sum_points: Amount | None = None
    max_sum_points: Amount | None = None

    @property
    def is_knapsack(self) -> bool:
        return self.max_sum_cost is not None

    @property
    def has_points(self) -> bool:
        return self.vote_type in (VoteType.CUMULATIVE, VoteType.SCORING)


@dataclass(frozen=True, slots=True)
class Ballot:
    """One voter's ballot.

    ``projects`` is in the order the voter listed them (it matters for ordinal ballots) and
    holds each project once. ``points`` (when the vote type carries points, or an ordinal
    file has a points column) is aligned with ``projects``. ``line`` is the source line.
    """

    voter_id: str
    projects: tuple[str, ...]
    points: tuple[Amount, ...] | None = None
    line: int | None = field(default=None, compare=False)
    extra: Mapping[str, str] = field(default_factory=dict, compare=True, hash=False)


@dataclass(slots=True)
class Election:
    """One budget and the ballots cast for it (a Pabulib instance).

    ``projects`` keeps file order. ``meta`` keeps every META value as text, so that writing
    the election back loses nothing. ``notices`` are warnings found while reading.
    """

    budget: Amount
    projects: dict[str, Project]
    ballots: list[Ballot]
    format: BallotFormat = field(default_factory=BallotFormat)
    meta: dict[str, str] = field(default_factory=dict)
    project_columns: tuple[str, ...] = ()
    voter_columns: tuple[str, ...] = ()
    notices: list[Notice] = field(default_factory=list, compare=False)
    #: Set by the Pabulib reader, which merges a project repeated within a ballot: the list
    #: of ballots it built and its length. While ``ballots`` is still that list with that
    #: length, the counts need not look for repeats again; a new list (``replace``) or an
    #: appended ballot is checked as usual. (Replacing a ballot in place is not supported.)
    distinct_ballots: tuple[list, int] | None = field(default=None, init=False, compare=False,
                                                      repr=False)

    @property
    def has_points(self) -> bool:
        """True when ballots carry points (cumulative, scoring, or ordinal with points)."""
        return list(map(_points_of, self.ballots)).count(None) != len(self.ballots)
