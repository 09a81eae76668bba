"""The audit bundle of a round: anonymised ballots, frozen configuration, published result,
receipt list and a manifest of SHA-256 digests.

Files (paths use ``/``; ``<pot>`` is a pot name, see :data:`voting.export.POT_NAME`):

- ``ballots/<pot>.pb``, ``ballots/<pot>.csv``, ``ballots/<pot>.json``: the pot's anonymised
  ballots (:mod:`voting.export`);
- ``config.json``: ``{"round": <round metadata>, "pots": {<pot>: {"title", "budget",
  "ballot_format", "projects": [{"id", "cost", "name", "categories"?, "area"?}], "rule",
  "parameters", "tie_break", "pabulib_meta", "demographics"}}}``: the configuration frozen
  when voting opened, plus what the ``.pb`` META describes (``pabulib_meta``) and whether the
  ballot files carry demographics (null, or ``{"columns", "min_group_size"}``);
- ``result.json``: ``{"pots": {<pot>: {"ballots": <number counted>, "outcome":
  <Outcome.to_dict()>}}}``, the published result. Its ``warnings`` keep only each warning's
  ``code`` and ``project_id`` (sorted): the export replaces ballot ids and line numbers, and a
  warning naming a database ballot id must not be published;
- ``receipts.txt``: the sorted SHA-256 receipt hashes of the counted ballots, one per line;
- ``manifest.json``: ``{"format_version": 1, "files": {<path>: <sha256 hex>}}`` for every
  other file. The bundle digest is the SHA-256 of the manifest's canonical JSON bytes.

**How a pot is recounted** (:func:`recount_call`, what ``pb-audit`` does): the election is the
ballots of ``ballots/<pot>.pb`` with the budget, ballot format and project costs of
``config.json`` (a ``.pb`` META or PROJECTS value that disagrees with ``config.json`` is
reported as a difference), counted by ``voting.rules.tally(election, rule,
tie_break=tie_break, **parameters)``. ``rule`` is one of ``greedy``, ``max-welfare``, ``mes``,
``phragmen``; ``parameters`` holds every option of that rule (defaults filled in), with the
names of ``tally``: greedy ``min_score`` (null, or an exact amount), max-welfare ``utility``,
mes ``utility``, ``completion``, ``compare_greedy``; phragmen none. ``tie_break`` is the full
chain (``cost,votes,id``). The same count with ``pb-tally`` is :func:`pb_tally_args`.

>>> import random
>>> from voting.model import Ballot, Election, Project
>>> from voting.rules import tally
>>> e = Election(10, {"a": Project("a", 6), "b": Project("b", 5)},
...              [Ballot("1", ("a",)), Ballot("2", ("a", "b"))])
>>> pot = PotExport("north", e, "greedy", {}, None, tally(e))
>>> files = build_bundle([pot], {"name": "Demo"}, ["ab" * 32], rng=random.Random(7))
>>> sorted(files)  # doctest: +NORMALIZE_WHITESPACE
['ballots/north.csv', 'ballots/north.json', 'ballots/north.pb', 'config.json',
 'manifest.json', 'receipts.txt', 'result.json']
>>> len(bundle_digest(files))
64
"""

from __future__ import annotations

import hashlib
import inspect
import io
import json
import os
import random
import re
import stat
import zipfile
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

from .errors import VotingError
from .export import (
    DEMOGRAPHIC_COLUMNS, Demographics, ExportError, check_pot_name, clean_meta, clean_projects, export_pot,
)
from .model import BallotFormat, Election, Project, VoteType
from .numbers import AmountError, format_amount, parse_amount
from .outcome import Outcome, canonical_json
from .pabulib import FORMAT_KEYS
from .tiebreak import DEFAULT_CHAINS, TieBreakError, TieChain

__all__ = [
    "FORMAT_VERSION",
    "BundleError",
    "BundleReadError",
    "PotExport",
    "build_bundle",
    "bundle_digest",
    "bundle_zip_bytes",
    "config_demographics",
    "config_election",
    "config_meta",
    "loads_strict",
    "manifest_digest",
    "pb_tally_args",
    "published_outcome",
    "read_bundle",
    "recount_call",
    "write_bundle_zip",
]

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
CONFIG = "config.json"
RESULT = "result.json"
RECEIPTS = "receipts.txt"
BALLOT_SUFFIXES = (".pb", ".csv", ".json")
#: Options whose value is an exact amount (written as JSON int or exact decimal text).
AMOUNT_OPTIONS = frozenset({"min_score"})
#: pb-tally's flag for each rule option.
PB_TALLY_FLAGS = {"utility": "--utility", "completion": "--completion",
                  "compare_greedy": "--compare-greedy", "min_score": "--min-votes"}
#: Limits when reading a bundle: nothing legitimate comes near them.
MAX_ENTRIES = 10_000
MAX_FILE_BYTES = 512 * 2**20
MAX_TOTAL_BYTES = 2 * 2**30
#: Fixed zip entry time (the earliest a zip can hold), so equal content gives equal bytes.
ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_HEX64 = re.compile(r"[0-9a-f]{64}")


class BundleError(VotingError):
    """Input a bundle cannot be built from, or a configuration that cannot be read back."""


class BundleReadError(VotingError):
    """A path that is not a readable bundle: missing, neither a zip nor a folder, unsafe."""


@dataclass(frozen=True, slots=True)
class PotExport:
    """Everything the bundle needs about one pot; the app gathers it, the core does the rest.

    ``election`` holds the pot's budget, projects (ballot order), ballot format and the counted
    ballots, without personal data (their ids are replaced). ``tie_break`` None means the
    rule's default chain. ``result`` is the published outcome (an :class:`Outcome` or its
    ``to_dict()``/JSON form). ``demographics``, when given, has one entry per ballot.
    """

    pot: str
    election: Election
    rule: str
    parameters: Mapping[str, Any]
    tie_break: str | None
    result: Outcome | Mapping[str, Any]
    title: str = ""
    demographics: Sequence[Demographics | None] | None = None


# --------------------------------------------------------------------------- configuration


def _full_parameters(rule: str, parameters: Mapping[str, Any]) -> dict[str, Any]:
    from .rules import get_rule, rule_options

    try:
        fn = get_rule(rule)
    except VotingError as exc:
        raise BundleError(str(exc)) from None
    allowed = rule_options(rule)
    for key in parameters:
        if key not in allowed:
            raise BundleError(f"option {key!r} does not fit rule {rule!r} (it takes {', '.join(allowed) or 'no options'})")
    signature = inspect.signature(fn).parameters
    return {name: parameters.get(name, signature[name].default) for name in allowed}


def _format_json(fmt: BallotFormat) -> dict[str, Any]:
    out: dict[str, Any] = {"vote_type": VoteType(fmt.vote_type).value}
    for key in FORMAT_KEYS:
        value = getattr(fmt, key)
        if value is not None:
            out[key] = value
    return out


def _pot_config(pot: PotExport, min_group_size: int) -> dict[str, Any]:
    e = pot.election
    parameters = _full_parameters(pot.rule, pot.parameters)
    try:
        chain = TieChain.parse(DEFAULT_CHAINS[pot.rule] if pot.tie_break is None else pot.tie_break)
    except (TieBreakError, KeyError) as exc:
        raise BundleError(f"pot {pot.pot}: tie chain: {exc}") from None
    projects = []
    for p in clean_projects(e.projects).values():
        item: dict[str, Any] = {"id": p.id, "cost": p.cost, "name": p.name}
        if p.categories:
            item["categories"] = list(p.categories)
        if p.area:
            item["area"] = p.area
        projects.append(item)
    return {
        "title": pot.title,
        "budget": e.budget,
        "ballot_format": _format_json(e.format),
        "projects": projects,
        "rule": pot.rule,
        "parameters": parameters,
        "tie_break": str(chain),
        "pabulib_meta": clean_meta(e.meta),
        "demographics": None if pot.demographics is None else {
            "columns": list(DEMOGRAPHIC_COLUMNS), "min_group_size": min_group_size},
    }


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


# --------------------------------------------------------------------------- building


def _hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest_digest(manifest: Mapping[str, Any]) -> str:
    """SHA-256 hex of the manifest's canonical JSON bytes."""
    return _hash(canonical_json(manifest).encode("utf-8"))


def make_manifest(files: Mapping[str, bytes]) -> bytes:
    """The manifest (canonical JSON bytes) of every file in *files* but the manifest."""
    listing = {path: _hash(data) for path, data in sorted(files.items()) if path != MANIFEST}
    return canonical_json({"format_version": FORMAT_VERSION, "files": listing}).encode("utf-8")


def bundle_digest(files: Mapping[str, bytes]) -> str:
    """The bundle digest: SHA-256 of the canonical bytes of ``files["manifest.json"]``."""
    try:
        manifest = loads_strict(files[MANIFEST])
    except (KeyError, ValueError) as exc:
        raise BundleError(f"no readable {MANIFEST}: {exc}") from None
    return manifest_digest(manifest)


def _receipt_text(receipts: Iterable[str]) -> bytes:
    hashes = list(receipts)
    for h in hashes:
        if not isinstance(h, str) or not _HEX64.fullmatch(h):
            raise BundleError(f"receipt hash {h!r} is not 64 lower-case hex digits")
    if len(set(hashes)) != len(hashes):
        raise BundleError("the receipt hashes repeat one; each counted ballot has its own receipt")
    return "".join(h + "\n" for h in sorted(hashes)).encode("ascii")


def build_bundle(
    pots: Sequence[PotExport],
    round_meta: Mapping[str, Any],
    receipts: Iterable[str],
    *,
    min_group_size: int = 10,
    rng: random.Random | None = None,
) -> dict[str, bytes]:
    """The bundle's files, path to bytes (``manifest.json`` included).

    *receipts* are the SHA-256 receipt hashes (hex) of the counted ballots. Ballot ids are
    drawn afresh on every call, so build the bundle once, at publication, and keep its bytes:
    its digest is the one the results page shows.
    """
    if not pots:
        raise BundleError("a bundle needs at least one pot")
    names = [p.pot for p in pots]
    if len(set(names)) != len(names):
        raise BundleError(f"pot names repeat: {', '.join(sorted(n for n in set(names) if names.count(n) > 1))}")
    files: dict[str, bytes] = {}
    config: dict[str, Any] = {"round": dict(round_meta), "pots": {}}
    result: dict[str, Any] = {"pots": {}}
    for pot in pots:
        try:
            check_pot_name(pot.pot)
            conf = _pot_config(pot, min_group_size)
            exported = export_pot(
                pot.election, pot.pot, demographics=pot.demographics, min_group_size=min_group_size,
                rule=pot.rule, parameters=conf["parameters"], rng=rng,
            )
        except ExportError as exc:
            raise BundleError(f"pot {pot.pot}: {exc}") from None
        config["pots"][pot.pot] = conf
        result["pots"][pot.pot] = {"ballots": len(exported.election.ballots),
                                   "outcome": published_outcome(pot.result)}
        base = f"ballots/{pot.pot}"
        files[base + ".pb"] = exported.pb_text().encode("utf-8")
        files[base + ".csv"] = exported.csv_text().encode("utf-8")
        files[base + ".json"] = exported.json_text().encode("utf-8")
    try:
        files[CONFIG] = canonical_json(config).encode("utf-8")
    except TypeError as exc:
        raise BundleError(f"the round metadata is not canonical JSON data: {exc}") from None
    files[RESULT] = canonical_json(result).encode("utf-8")
    files[RECEIPTS] = _receipt_text(receipts)
    files[MANIFEST] = make_manifest(files)
    return dict(sorted(files.items()))


# --------------------------------------------------------------------------- zip and folder


def bundle_zip_bytes(files: Mapping[str, bytes]) -> bytes:
    """A deterministic zip of *files*: sorted entries, fixed times and modes, deflated."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            zf.writestr(info, files[path], compresslevel=9)
    return buf.getvalue()


def write_bundle_zip(files: Mapping[str, bytes], path: str | Path) -> None:
    """Write :func:`bundle_zip_bytes` to *path*."""
    Path(path).write_bytes(bundle_zip_bytes(files))


def safe_path(name: str) -> bool:
    """Whether *name* is a relative ``/`` path with no empty, ``.`` or ``..`` part."""
    if not name or name.startswith("/") or "\\" in name or "\x00" in name or ":" in name:
        return False
    return all(part not in ("", ".", "..") for part in name.split("/"))


def read_bundle(path: str | Path) -> dict[str, bytes]:
    """The files of a bundle zip or unpacked folder, path to bytes; BundleReadError if unreadable."""
    path = Path(path)
    if not os.path.lexists(path):
        raise BundleReadError(f"{path}: no such file or folder")
    if path.is_dir():
        return _read_folder(path)
    if not path.is_file():
        raise BundleReadError(f"{path}: neither a zip file nor a folder")
    try:
        is_zip = zipfile.is_zipfile(path)
    except OSError as exc:
        raise BundleReadError(f"{path}: cannot read: {exc.strerror or exc}") from None
    if not is_zip:
        raise BundleReadError(f"{path}: neither a zip file nor a folder")
    try:
        return _read_zip(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as exc:
        raise BundleReadError(f"{path}: damaged zip file: {exc}") from None


def _read_zip(path: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        if len(infos) > MAX_ENTRIES:
            raise BundleReadError(f"{path}: {len(infos)} entries, more than a bundle holds ({MAX_ENTRIES})")
        for info in infos:
            name = info.filename
            if name.endswith("/"):
                if not safe_path(name[:-1]):
                    raise BundleReadError(f"{path}: unsafe entry name {name!r}")
                continue
            if not safe_path(name):
                raise BundleReadError(f"{path}: unsafe entry name {name!r}")
            if name in files:
                raise BundleReadError(f"{path}: entry {name!r} appears twice")
            if info.flag_bits & 0x1:
                raise BundleReadError(f"{path}: entry {name!r} is encrypted")
            if info.file_size > MAX_FILE_BYTES or total + info.file_size > MAX_TOTAL_BYTES:
                raise BundleReadError(f"{path}: entry {name!r} is too large ({info.file_size} bytes)")
            chunks, size = [], 0
            with zf.open(info) as fh:
                while chunk := fh.read(1 << 20):
                    size += len(chunk)
                    if size > info.file_size or size > MAX_FILE_BYTES:
                        raise BundleReadError(f"{path}: entry {name!r} unpacks to more than it declares")
                    chunks.append(chunk)
            total += size
            files[name] = b"".join(chunks)
    return files


def _read_folder(root: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    total = 0
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                raise BundleReadError(f"{os.path.join(dirpath, d)}: a symbolic link; a bundle holds only files")
        dirnames.sort()
        for f in sorted(filenames):
            full = os.path.join(dirpath, f)
            rel = os.path.relpath(full, root).replace(os.sep, "/")
            if os.path.islink(full) or not os.path.isfile(full):
                raise BundleReadError(f"{full}: not a regular file (a bundle holds only files)")
            if len(files) >= MAX_ENTRIES:
                raise BundleReadError(f"{root}: more than {MAX_ENTRIES} files")
            size = os.path.getsize(full)
            if size > MAX_FILE_BYTES or total + size > MAX_TOTAL_BYTES:
                raise BundleReadError(f"{full}: too large ({size} bytes)")
            try:
                files[rel] = Path(full).read_bytes()
            except OSError as exc:
                raise BundleReadError(f"{full}: cannot read: {exc.strerror or exc}") from None
            total += size
    return files


# --------------------------------------------------------------------------- strict JSON


def _no_float(text: str):
    raise ValueError(f"number {text} is not exact (floats are not allowed; write amounts as text)")


def _no_constant(text: str):
    raise ValueError(f"{text} is not allowed")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"key {key!r} appears twice")
        out[key] = value
    return out


def loads_strict(data: bytes) -> Any:
    """Parse UTF-8 JSON refusing floats, NaN and repeated keys (ValueError with the reason)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None
    try:
        return json.loads(text, parse_float=_no_float, parse_constant=_no_constant, object_pairs_hook=_pairs)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
    except RecursionError:
        raise ValueError("nested too deeply") from None
