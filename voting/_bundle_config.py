"""Reading a pot's entry of ``config.json`` back into what the recount needs, and the
published form of an outcome. Part of :mod:`voting.bundle`."""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any, Iterable, Mapping

from .errors import VotingError
from .export import CHANNELS, DEMOGRAPHIC_COLUMNS
from .model import BallotFormat, Election, Project, VoteType
from .numbers import AmountError, format_amount, parse_amount
from .outcome import Outcome, canonical_json
from .pabulib import FORMAT_KEYS

#: Options whose value is an exact amount (written as JSON int or exact decimal text).
AMOUNT_OPTIONS = frozenset({"min_score"})
#: pb-tally's flag for each rule option.
PB_TALLY_FLAGS = {"utility": "--utility", "completion": "--completion",
                  "compare_greedy": "--compare-greedy", "min_score": "--min-votes"}


class BundleError(VotingError):
    """Input a bundle cannot be built from, or a configuration that cannot be read back."""


def _amount(value: Any, what: str):
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise BundleError(f"{what} {value!r} is not an amount")
    if isinstance(value, int):
        return value
    try:
        return parse_amount(value) if "/" not in value else Fraction(value)
    except (AmountError, ValueError, ZeroDivisionError):
        raise BundleError(f"{what} {value!r} is not an amount") from None


def _need(conf: Mapping[str, Any], key: str, kind: type | tuple, where: str):
    if not isinstance(conf, Mapping) or key not in conf:
        raise BundleError(f"{where} has no {key!r}")
    value = conf[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise BundleError(f"{where} {key!r} has the wrong type")
    return value


def config_election(conf: Mapping[str, Any], where: str = "pot") -> Election:
    """The budget, projects and ballot format of one pot's ``config.json`` entry (no ballots)."""
    budget = _amount(_need(conf, "budget", (int, str), where), f"{where} budget")
    fmt_conf = _need(conf, "ballot_format", dict, where)
    try:
        vote_type = VoteType(fmt_conf.get("vote_type"))
    except ValueError:
        raise BundleError(f"{where} ballot_format vote_type {fmt_conf.get('vote_type')!r} is unknown") from None
    unknown = set(fmt_conf) - set(FORMAT_KEYS) - {"vote_type"}
    if unknown:
        raise BundleError(f"{where} ballot_format has unknown keys {sorted(unknown)}")
    limits = {k: _amount(v, f"{where} ballot_format {k}") for k, v in fmt_conf.items() if k != "vote_type"}
    projects: dict[str, Project] = {}
    for item in _need(conf, "projects", list, where):
        pid = _need(item, "id", str, f"{where} project")
        if pid in projects:
            raise BundleError(f"{where} lists project {pid!r} twice")
        name, area, categories = item.get("name", ""), item.get("area", ""), item.get("categories", [])
        if not isinstance(name, str) or not isinstance(area, str) or not isinstance(categories, list) or not all(
                isinstance(c, str) for c in categories):
            raise BundleError(f"{where} project {pid}: name, area or categories of the wrong type")
        projects[pid] = Project(id=pid, cost=_amount(_need(item, "cost", (int, str), f"{where} project {pid}"),
                                                      f"{where} cost of {pid}"),
                                name=name, categories=tuple(categories), area=area)
    try:
        fmt = BallotFormat(vote_type=vote_type, **limits)
    except TypeError as exc:
        raise BundleError(f"{where} ballot_format: {exc}") from None
    return Election(budget=budget, projects=projects, ballots=[], format=fmt)


def config_meta(conf: Mapping[str, Any], where: str = "pot") -> dict[str, str]:
    """The descriptive META values (``pabulib_meta``) of one pot's config entry."""
    meta = conf.get("pabulib_meta", {}) if isinstance(conf, Mapping) else None
    if not isinstance(meta, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in meta.items()):
        raise BundleError(f"{where} pabulib_meta is not an object of texts")
    return meta


def config_demographics(conf: Mapping[str, Any], where: str = "pot") -> tuple[tuple[str, ...], int] | None:
    """``(columns, min_group_size)`` when the pot publishes demographics, else None."""
    demo = conf.get("demographics") if isinstance(conf, Mapping) else None
    if demo is None:
        return None
    columns, size = (demo.get("columns"), demo.get("min_group_size")) if isinstance(demo, dict) else (None, None)
    if (not isinstance(columns, list) or not all(c in DEMOGRAPHIC_COLUMNS for c in columns)
            or isinstance(size, bool) or not isinstance(size, int) or size < 1):
        raise BundleError(f"{where} demographics must hold columns (of {', '.join(DEMOGRAPHIC_COLUMNS)}) "
                          "and a positive min_group_size")
    return tuple(columns), size


def channel_counts(value: Any, where: str = "pot", *, partial: bool = False) -> dict[str, int]:
    """A pot's ``channels`` entry of ``result.json``: how many counted ballots came through each
    channel, as ``{"online": n, "code": n, "paper": n}``; BundleError when it is not that.

    With *partial*, channels left out count 0 (for callers building a bundle).

    >>> channel_counts({"online": 5, "paper": 2}, partial=True)
    {'online': 5, 'code': 0, 'paper': 2}
    """
    if partial and isinstance(value, Mapping):
        value = {c: 0 for c in CHANNELS} | dict(value)
    if (not isinstance(value, Mapping) or set(value) != set(CHANNELS)
            or any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in value.values())):
        raise BundleError(f"{where} channels must give exactly {', '.join(CHANNELS)}, each a number of ballots")
    return {c: value[c] for c in CHANNELS}


def receipt_range(channels: Iterable[Mapping[str, int]]) -> tuple[int, int]:
    """The fewest and the most receipts a round with these pots' channel counts can have.

    Online and code casts get one receipt, shared by the pots of the cast; paper ballots none.
    So there are at least as many receipts as the largest pot's online and code ballots, and
    at most their sum over the pots.

    >>> receipt_range([{"online": 5, "code": 1, "paper": 2}, {"online": 3, "code": 0, "paper": 9}])
    (6, 9)
    """
    receipted = [c["online"] + c["code"] for c in channels]
    return (max(receipted, default=0), sum(receipted))


def recount_call(conf: Mapping[str, Any], where: str = "pot") -> tuple[str, str, dict[str, Any]]:
    """``(rule, tie_break, parameters)`` to pass to ``tally`` for one pot's config entry."""
    rule = _need(conf, "rule", str, where)
    chain = _need(conf, "tie_break", str, where)
    params = dict(_need(conf, "parameters", dict, where))
    for key in AMOUNT_OPTIONS & set(params):
        if params[key] is not None:
            params[key] = _amount(params[key], f"{where} parameter {key}")
    return rule, chain, params


def pb_tally_args(conf: Mapping[str, Any], where: str = "pot") -> list[str]:
    """The ``pb-tally`` options that count a pot exactly as ``config.json`` says.

    >>> pb_tally_args({"rule": "mes", "tie_break": "cost,votes,id",
    ...                "parameters": {"utility": "cost", "completion": "add1", "compare_greedy": False}})
    ['--rule', 'mes', '--tie-break', 'cost,votes,id', '--completion', 'add1', '--utility', 'cost']
    """
    rule, chain, params = recount_call(conf, where)
    args = ["--rule", rule, "--tie-break", chain]
    for key in sorted(params):
        value = params[key]
        flag = PB_TALLY_FLAGS.get(key, "--" + key.replace("_", "-"))
        if isinstance(value, bool):
            if value:
                args.append(flag)
        elif value is not None:
            args += [flag, format_amount(value) if key in AMOUNT_OPTIONS else str(value)]
    return args


def published_outcome(result: Outcome | Mapping[str, Any]) -> dict[str, Any]:
    """An outcome as ``result.json`` holds it: plain JSON, warnings reduced to code and project."""
    data = result.to_dict() if isinstance(result, Outcome) else result
    try:
        data = json.loads(canonical_json(data))
    except (TypeError, ValueError) as exc:
        raise BundleError(f"the published result is not canonical JSON data: {exc}") from None
    if not isinstance(data, dict) or "selected" not in data or "rule" not in data:
        raise BundleError("the published result is not an outcome (no 'rule' or 'selected')")
    warnings = data.get("warnings") or []
    reduced = []
    for w in warnings if isinstance(warnings, list) else []:
        if isinstance(w, dict):
            item = {"code": str(w.get("code", ""))}
            if w.get("project_id") is not None:
                item["project_id"] = str(w["project_id"])
            reduced.append(item)
    data["warnings"] = sorted(reduced, key=lambda w: (w["code"], w.get("project_id", "")))
    return data
