"""The rules, registered by name, and ``tally``: the one entry point that runs any of them.

Every rule is a function ``rule(election, *, tie_break, **params) -> Outcome``. Its options
are its keyword-only parameters (besides ``tie_break``), so registering a rule is one line in
``RULES``; ``tally`` refuses an option that the rule does not declare.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any, Callable

from ..ballots import election_warnings
from ..counting import counting_session
from ..errors import BallotError, RuleError
from ..model import Election, Notice, VoteType
from ..outcome import Outcome
from ..tiebreak import DEFAULT_CHAINS, TieBreakError, TieChain
from .greedy import greedy
from .mes import mes
from .phragmen import phragmen
from .welfare import max_welfare

Rule = Callable[..., Outcome]

RULES: dict[str, Rule] = {
    "greedy": greedy,
    "max-welfare": max_welfare,
    "mes": mes,
    "phragmen": phragmen,
}

#: Vote types each rule can count; a rule not listed takes approval and choose-1 ballots.
APPROVAL_TYPES = frozenset({VoteType.APPROVAL, VoteType.CHOOSE_1})
VOTE_TYPES: dict[str, frozenset[VoteType]] = {"greedy": frozenset(VoteType)}


def rule_options(name: str) -> tuple[str, ...]:
    """The options rule *name* takes (its keyword-only parameters besides ``tie_break``)."""
    return _options(get_rule(name))


@functools.lru_cache(maxsize=None)
def _options(fn: Rule) -> tuple[str, ...]:
    params = inspect.signature(fn).parameters.values()
    return tuple(
        p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY and p.name != "tie_break"
    )


def get_rule(name: str) -> Rule:
    """The rule registered as *name*, or a RuleError listing the known rules."""
    try:
        return RULES[name]
    except KeyError:
        raise RuleError(f"unknown rule {name!r}; the rules are {', '.join(sorted(RULES))}") from None


def check_vote_type(name: str, election: Election) -> None:
    """Refuse ballots of a kind rule *name* cannot count, naming both."""
    accepted = VOTE_TYPES.get(name, APPROVAL_TYPES)
    vote_type = VoteType(election.format.vote_type)
    if vote_type not in accepted:
        kinds = " and ".join(sorted(t.value for t in accepted))
        raise RuleError(
            f"rule {name!r} cannot count {vote_type.value} ballots; it takes {kinds} ballots"
        )


def as_chain(rule: str, tie_break: str | TieChain | None) -> TieChain:
    """The tie chain to use: the one given, or the rule's default."""
    if isinstance(tie_break, TieChain):
        return tie_break
    try:
        return TieChain.parse(DEFAULT_CHAINS[rule] if tie_break is None else tie_break)
    except TieBreakError as exc:
        raise RuleError(f"--tie-break for rule {rule!r}: {exc}") from None


def collect_warnings(election: Election) -> list[Notice]:
    """The reader's notices and the ballot checks' warnings, each once, in order."""
    return list(dict.fromkeys([*election.notices, *election_warnings(election)]))


def tally(
    election: Election,
    rule: str = "greedy",
    *,
    tie_break: str | TieChain | None = None,
    strict: bool = False,
    **params: Any,
) -> Outcome:
    """Run rule *rule* on *election* and return its outcome with the input's warnings.

    Raises RuleError for an unknown rule, an option the rule does not take or ballots it
    cannot count; BallotError under *strict* when the input has any warning.

    >>> from voting.model import Ballot, Election, Project
    >>> e = Election(10, {"a": Project("a", 6), "b": Project("b", 5)},
    ...              [Ballot("1", ("a",)), Ballot("2", ("a", "b"))])
    >>> tally(e).selected
    ['a']
    >>> tally(e, "phragmen", min_score=2)
    Traceback (most recent call last):
    ...
    voting.errors.RuleError: option 'min_score' does not fit rule 'phragmen' (it takes no options)
    """
    fn = get_rule(rule)
    allowed = rule_options(rule)
    for key in params:
        if key not in allowed:
            takes = ", ".join(allowed) if allowed else "no options"
            if allowed:
                takes = "only " + takes
            raise RuleError(f"option {key!r} does not fit rule {rule!r} (it takes {takes})")
    check_vote_type(rule, election)
    chain = as_chain(rule, tie_break)
    with counting_session():  # the checks and the rule share their passes over the ballots
        if strict:
            warnings = collect_warnings(election)
            if warnings:
                first = warnings[0]
                where = f"line {first.line}: " if first.line is not None else ""
                raise BallotError(
                    f"{len(warnings)} warning(s) under strict counting; first: {where}{first.message}"
                )
            outcome = fn(election, tie_break=chain, **params)
        else:
            # The rule first: the checks then reuse whatever counts it built (MES builds the
            # supporter lists, which give the vote counts the column check needs).
            outcome = fn(election, tie_break=chain, **params)
            warnings = collect_warnings(election)
    outcome.parameters.setdefault("tie_break", str(chain))
    outcome.warnings = warnings + [w for w in outcome.warnings if w not in warnings]
    return outcome


__all__ = ["RULES", "get_rule", "rule_options", "tally", "greedy", "max_welfare", "mes", "phragmen"]
