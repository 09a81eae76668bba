"""``pb-tally FILE.pb``: recount a Pabulib file with any rule.

With no options the file's META ``rule`` decides: ``greedy-threshold`` is greedy with
``min_project_score_threshold`` as the minimum score; ``equalshares/add1`` is MES with cost
utility and the add1 completion; ``equalshares/add1-comparison`` adds the comparison with
greedy; anything else is greedy. Options override META: ``--rule`` picks another rule (the META
parameters then apply only if it is the same rule), and ``--utility``, ``--completion``,
``--compare-greedy`` (or ``--no-compare-greedy``) and ``--min-votes`` replace the matching
META parameter.

Exit status: 0 on success; 2 on bad input (an unreadable file, an option that does not fit the
rule or the vote type, a warning under ``--strict``), with one line on stderr; 1 on an
internal error, also one line.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Sequence, TextIO

from .errors import VotingError
from .model import Election
from .numbers import AmountError, format_amount, parse_amount, shown
from .outcome import Outcome
from .tiebreak import TieBreakError

PROG = "pb-tally"
RULE_NAMES = ("greedy", "max-welfare", "mes", "phragmen")

#: Command-line flag of each rule parameter (for messages that name what the user typed).
FLAGS = {
    "utility": "--utility",
    "completion": "--completion",
    "compare_greedy": "--compare-greedy",
    "min_score": "--min-votes",
}


class UsageError(Exception):
    """Bad command-line usage: exit 2 with one line."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not the usage block
        raise UsageError(message)


def _amount_arg(text: str):
    try:
        value = parse_amount(text)
    except AmountError as exc:
        raise argparse.ArgumentTypeError(f"{shown(text)} {exc.reason}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative: {shown(text)}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Recount a participatory budgeting election from a Pabulib .pb file, exactly.",
        epilog="Without options the file's META rule decides (greedy-threshold, equalshares/add1, "
        "equalshares/add1-comparison; anything else: greedy). Options override META.",
    )
    parser.add_argument("file", metavar="FILE.pb", help="the Pabulib file to count")
    parser.add_argument("--rule", choices=RULE_NAMES, help="the rule (default: from META)")
    parser.add_argument("--utility", choices=("cost", "cardinality"), help="max-welfare and mes: voter utility")
    parser.add_argument("--completion", choices=("none", "add1", "add1u"), help="mes: completion method")
    parser.add_argument("--compare-greedy", action=argparse.BooleanOptionalAction, default=None,
                        help="mes: keep greedy's outcome when strictly more voters prefer it "
                        "(--no-compare-greedy: never, even when META asks for it)")
    parser.add_argument("--min-votes", type=_amount_arg, metavar="N",
                        help="greedy: projects scoring below N are not fundable")
    parser.add_argument("--tie-break", metavar="CHAIN",
                        help="comma list of votes, cost, cost-desc, id, id-desc (default: the rule's)")
    parser.add_argument("--strict", action="store_true", help="treat every warning as an error")
    parser.add_argument("--json", action="store_true", help="print the canonical JSON outcome")
    return parser


def meta_defaults(election: Election) -> tuple[str, dict[str, Any]]:
    """The rule and parameters the file's META ``rule`` asks for.

    >>> from voting.model import Election
    >>> meta_defaults(Election(10, {}, [], meta={"rule": "equalshares/add1-comparison"}))
    ('mes', {'utility': 'cost', 'completion': 'add1', 'compare_greedy': True})
    >>> meta_defaults(Election(10, {}, [], meta={"rule": "greedy-threshold", "min_project_score_threshold": "3000"}))
    ('greedy', {'min_score': 3000})
    """
    rule = election.meta.get("rule", "").strip().lower()
    if rule == "greedy-threshold":
        text = election.meta.get("min_project_score_threshold", "")
        if not text or text in ("None", "none"):
            return "greedy", {}
        try:
            return "greedy", {"min_score": parse_amount(text)}
        except AmountError as exc:
            raise UsageError(f"META min_project_score_threshold {shown(text)} {exc.reason}") from None
    if rule in ("equalshares/add1", "equalshares/add1-comparison"):
        params: dict[str, Any] = {"utility": "cost", "completion": "add1"}
        if rule.endswith("-comparison"):
            params["compare_greedy"] = True
        return "mes", params
    return "greedy", {}


def choose(args: argparse.Namespace, election: Election) -> tuple[str, dict[str, Any], str]:
    """The rule, its parameters and where they came from, META first, options on top."""
    try:
        meta_rule, meta_params = meta_defaults(election)
    except UsageError as exc:  # (a META value the reader keeps as text: name the file)
        raise UsageError(f"{args.file}: {exc}") from None
    rule = args.rule or meta_rule
    params = dict(meta_params) if rule == meta_rule else {}
    given = {
        "utility": args.utility,
        "completion": args.completion,
        "compare_greedy": args.compare_greedy,
        "min_score": args.min_votes,
    }
    from .rules import RULES, rule_options

    if rule not in RULES:
        raise VotingError(f"rule {rule!r} is not available in this build; the rules are {', '.join(sorted(RULES))}")
    allowed = rule_options(rule)
    for name, value in given.items():
        if value is None:
            continue
        if name not in allowed:
            takes = ", ".join(FLAGS.get(o, o) for o in allowed) or "no options"
            raise UsageError(f"{FLAGS[name]} does not fit rule {rule!r} (it takes {takes})")
        params[name] = value
    source = "command line" if args.rule else f"META rule {election.meta.get('rule', '(none)')!r}"
    return rule, params, source


class _Progress:
    """Stage messages on stderr, only when stderr is a terminal; cleared when done."""

    def __init__(self, stream: TextIO):
        self.stream = stream
        self.on = hasattr(stream, "isatty") and stream.isatty()

    def __call__(self, message: str) -> None:
        if self.on:
            self.stream.write(f"\r\033[K{PROG}: {message}")
            self.stream.flush()

    def done(self) -> None:
        if self.on:
            self.stream.write("\r\033[K")
            self.stream.flush()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    progress = _Progress(sys.stderr)
    try:
        args = build_parser().parse_args(argv)
        from .pabulib import read_pb
        from .rules import tally

        progress(f"reading {args.file}")
        election = read_pb(args.file)
        rule, params, source = choose(args, election)
        progress(f"counting {len(election.ballots):,} ballots with {rule}")
        outcome = tally(election, rule, tie_break=args.tie_break, strict=args.strict, **params)
        progress.done()
        if args.json:
            sys.stdout.flush()
            sys.stdout.buffer.write(outcome.to_json().encode("utf-8"))
            sys.stdout.buffer.flush()
        else:
            _write(sys.stdout, render(election, outcome, args.file, source))
        return 0
    except (UsageError, VotingError, TieBreakError) as exc:
        progress.done()
        _error(str(exc))
        return 2
    except BrokenPipeError:  # the reader of our output went away (`| head`): stop quietly
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except KeyboardInterrupt:
        progress.done()
        _error("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        progress.done()
        _error(f"internal error: {type(exc).__name__}: {exc}")
        return 1


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _error(message: str) -> None:
    sys.stderr.write(f"{PROG}: error: {_one_line(message)}\n")
    sys.stderr.flush()


def _write(stream: TextIO, text: str) -> None:
    try:
        stream.write(text)
    except UnicodeEncodeError:  # a terminal that cannot show the names: write UTF-8 bytes
        stream.flush()
        stream.buffer.write(text.encode("utf-8"))
    stream.flush()


def _cell(text: str, width: int) -> str:
    text = _one_line(text)
    return text if len(text) <= width else text[: width - 1] + "…"


def render(election: Election, outcome: Outcome, path: str, source: str) -> str:
    """The readable report: one row per project (best score first), then a summary."""
    score = outcome.score
    metric = "score" if score is not None else "votes"
    value = score if score is not None else outcome.votes
    order = {pid: i for i, pid in enumerate(outcome.selected, 1)}
    rows = sorted(election.projects.values(), key=lambda p: (-value.get(p.id, 0), p.cost, p.id))
    table = [("project", "cost", metric, "funded", "name")]
    for p in rows:
        funded = f"yes #{order[p.id]}" if p.id in order else ("withdrawn" if p.is_withdrawn else "no")
        table.append((_cell(p.id, 16), format_amount(p.cost), format_amount(value.get(p.id, 0)),
                      funded, _cell(p.name, 48)))
    widths = [max(len(r[i]) for r in table) for i in range(4)]
    lines = []
    for k, r in enumerate(table):
        lines.append(f"{r[0]:<{widths[0]}}  {r[1]:>{widths[1]}}  {r[2]:>{widths[2]}}  {r[3]:<{widths[3]}}  {r[4]}".rstrip())
        if k == 0:
            lines.append("-" * (sum(widths) + 8 + 20))

    params = ", ".join(f"{k}={_param(v)}" for k, v in outcome.parameters.items())
    left = outcome.budget - outcome.total_cost
    lines += [
        "",
        f"file:        {path}",
        f"rule:        {outcome.rule} ({params}); chosen from {source}",
        f"ballots:     {len(election.ballots):,} ({election.format.vote_type.value})",
        f"budget:      {format_amount(outcome.budget)}",
        f"funded:      {len(outcome.selected)} of {len(election.projects)} projects, "
        f"total cost {format_amount(outcome.total_cost)}, left {format_amount(left)}",
        f"selected:    {', '.join(outcome.selected) if outcome.selected else '(none)'}",
    ]
    for key, val in sorted(outcome.details.items()):
        lines.append(f"{key + ':':<12} {_param(val)}")
    lines.append(f"ties:        {len(outcome.ties)}")
    for tie in outcome.ties:
        lines.append(f"  {tie.context}: tied {', '.join(tie.tied)}; {tie.decided_by} chose {tie.chosen}")
    lines.append(f"warnings:    {len(outcome.warnings)}")
    for notice in outcome.warnings[:50]:
        where = f"line {notice.line}: " if notice.line is not None else ""
        lines.append(f"  {notice.code}: {where}{_one_line(notice.message)}")
    if len(outcome.warnings) > 50:
        lines.append(f"  … and {len(outcome.warnings) - 50} more (see --json)")
    return "\n".join(lines) + "\n"


def _param(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(_param(v) for v in value) or "(none)"
    if isinstance(value, int) or type(value).__name__ == "Fraction":
        return format_amount(value)
    return str(value)


if __name__ == "__main__":
    sys.exit(main())
