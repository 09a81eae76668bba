"""Recounting one pot of an audit bundle and checking its ballot files (see :mod:`voting.audit`)."""

from __future__ import annotations

from collections import Counter
from typing import Any, Mapping

from ._audit_report import AuditReport, Diff
from .bundle import (
    BundleError, config_demographics, config_election, config_meta, pb_tally_args, published_outcome,
    recount_call,
)
from .errors import VotingError
from .export import ExportError, ExportedPot, pabulib_rule, pb_election
from .model import Election, VoteType
from .pabulib import FORMAT_KEYS, parse_pb, write_pb
from .tiebreak import TieBreakError


def _first_difference(a: bytes, b: bytes) -> tuple[int, str, str]:
    la, lb = a.decode("utf-8", "replace").split("\n"), b.decode("utf-8", "replace").split("\n")
    for k in range(max(len(la), len(lb))):
        x = la[k] if k < len(la) else "(end of file)"
        y = lb[k] if k < len(lb) else "(end of file)"
        if x != y:
            return k + 1, x[:120], y[:120]
    return 0, "", ""


def _check_copies(pot: str, pb: Election, columns: tuple[str, ...], files: Mapping[str, bytes],
                  diffs: list[Diff]) -> None:
    """The CSV and JSON files must hold exactly the ballots of the .pb, as the export writes them."""
    copy = ExportedPot(pot=pot, election=pb, columns=columns)
    for suffix, expected in ((".csv", copy.csv_text()), (".json", copy.json_text())):
        path = f"ballots/{pot}{suffix}"
        if path not in files:
            continue
        data, want = files[path], expected.encode("utf-8")
        if data != want:
            line, got, should = _first_difference(data, want)
            diffs.append(Diff(path, f"line {line}", got, f"{should} (from ballots/{pot}.pb)"))


def _check_pb_form(pot: str, pb: Election, expected: Election, data: bytes, diffs: list[Diff]) -> None:
    """The .pb is exactly what the export writes from config.json and the file's ballots."""
    canonical = write_pb(expected).encode("utf-8")
    if canonical != data:
        line, got, want = _first_difference(data, canonical)
        diffs.append(Diff(f"ballots/{pot}.pb", f"line {line}", got, f"{want} (written from config.json)"))


def _check_groups(pot: str, pb: Election, columns: tuple[str, ...], size: int, diffs: list[Diff]) -> None:
    """Every published demographic value and combination is shared by at least *size* ballots."""
    rows = [tuple(b.extra.get(c) for c in columns) for b in pb.ballots]
    groups = Counter(r for r in rows if any(v is not None for v in r))
    for i, column in enumerate(columns):
        for value, n in sorted(Counter(r[i] for r in rows if r[i] is not None).items()):
            if n < size:
                diffs.append(Diff(pot, f"demographics.{column}", f"(groups of at least {size})",
                                  f"({value!r} on {n} ballots)"))
    for combo, n in sorted(groups.items(), key=lambda kv: [v or "" for v in kv[0]]):
        if n < size:
            shown = ",".join(v or "" for v in combo)
            diffs.append(Diff(pot, "demographics", f"(groups of at least {size})", f"({shown!r} on {n} ballots)"))


def _check_pb_against_config(pot: str, pb: Election, base: Election, rule_meta: dict[str, str],
                             diffs: list[Diff]) -> None:
    for key in ("rule", "min_project_score_threshold"):
        if pb.meta.get(key) != rule_meta.get(key):
            diffs.append(Diff(pot, f"pb.{key}", rule_meta.get(key, "(none)"), pb.meta.get(key, "(none)")))
    if pb.budget != base.budget:
        diffs.append(Diff(pot, "pb.budget", base.budget, pb.budget))
    if VoteType(pb.format.vote_type) != VoteType(base.format.vote_type):
        diffs.append(Diff(pot, "pb.vote_type", base.format.vote_type.value, pb.format.vote_type.value))
    for key in FORMAT_KEYS:
        a, b = getattr(base.format, key), getattr(pb.format, key)
        if a != b:
            diffs.append(Diff(pot, f"pb.{key}", "(none)" if a is None else a, "(none)" if b is None else b))
    for pid in sorted(set(base.projects) | set(pb.projects)):
        if pid not in pb.projects:
            diffs.append(Diff(pot, f"pb.project.{pid}", "(listed)", "(absent)"))
        elif pid not in base.projects:
            diffs.append(Diff(pot, f"pb.project.{pid}", "(absent)", "(listed)"))
        else:
            if pb.projects[pid].cost != base.projects[pid].cost:
                diffs.append(Diff(pot, f"pb.cost.{pid}", base.projects[pid].cost, pb.projects[pid].cost))
            if pb.projects[pid].name != base.projects[pid].name:
                diffs.append(Diff(pot, f"pb.name.{pid}", base.projects[pid].name, pb.projects[pid].name))


def recount_pot(pot: str, conf: Any, files: Mapping[str, bytes], report: AuditReport,
                 marked: Counter) -> dict | None:
    """The recounted ``result.json`` entry of *pot*, or None (with a Diff) when it cannot be made.

    *marked* receives how many ballots of the ``.pb`` show each channel in their demographics.
    """
    diffs = report.diffs
    path = f"ballots/{pot}.pb"
    try:
        base = config_election(conf, f"config.json pot {pot}")
        rule, chain, params = recount_call(conf, f"config.json pot {pot}")
        args = pb_tally_args(conf, f"config.json pot {pot}")
        pb_meta = config_meta(conf, f"config.json pot {pot}")
        demo = config_demographics(conf, f"config.json pot {pot}")
    except BundleError as exc:
        diffs.append(Diff(pot, "config", "(a pot configuration)", f"(unreadable: {exc})"))
        return None
    if path not in files:
        diffs.append(Diff(pot, "ballots", path, "(missing: not recounted)"))
        return None
    try:
        pb = parse_pb(files[path].decode("utf-8"), source=path)
    except UnicodeDecodeError as exc:
        diffs.append(Diff(pot, "ballots", path, f"(not UTF-8 at byte {exc.start}: not recounted)"))
        return None
    except VotingError as exc:
        diffs.append(Diff(pot, "ballots", path, f"(unreadable: {exc}; not recounted)"))
        return None
    report.pots.append((pot, len(pb.ballots), args))
    columns = demo[0] if demo else ()
    try:
        expected = pb_election(base.budget, base.projects, base.format, pb.ballots, meta=pb_meta,
                               rule=rule, parameters=params, columns=columns)
    except ExportError as exc:
        diffs.append(Diff(pot, "config", "(a pot configuration)", f"(unusable: {exc})"))
    else:
        _check_pb_form(pot, pb, expected, files[path], diffs)
    if demo:
        _check_groups(pot, pb, *demo, diffs)
        if "channel" in demo[0]:
            marked.update(b.extra.get("channel") for b in pb.ballots if b.extra.get("channel") is not None)
    _check_pb_against_config(pot, pb, base, pabulib_rule(rule, params), diffs)
    _check_copies(pot, pb, columns, files, diffs)
    for ballot in pb.ballots:
        unknown = [p for p in ballot.projects if p not in base.projects]
        if unknown:
            diffs.append(Diff(pot, "ballots", "(projects of config.json)",
                              f"(ballot {ballot.voter_id} votes for {unknown[0]}: not recounted)"))
            return None
    election = Election(
        budget=base.budget, projects=base.projects, ballots=pb.ballots, format=base.format,
        meta=pb.meta, voter_columns=pb.voter_columns, notices=pb.notices,
    )
    from .rules import tally

    try:
        outcome = tally(election, rule, tie_break=chain, **params)
    except (VotingError, TieBreakError) as exc:
        diffs.append(Diff(pot, "recount", f"(rule {rule})", f"(refused: {exc})"))
        return None
    except Exception as exc:  # noqa: BLE001 - a hostile bundle must give a line, not a traceback
        diffs.append(Diff(pot, "recount", f"(rule {rule})", f"(failed: {type(exc).__name__}: {exc})"))
        return None
    return {"ballots": len(pb.ballots), "outcome": published_outcome(outcome)}
