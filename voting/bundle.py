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
- ``result.json``: ``{"pots": {<pot>: {"ballots": <number counted>, "channels": {"online": n,
  "code": n, "paper": n}, "outcome": <Outcome.to_dict()>}}}``, the published result.
  ``channels`` says how many of the pot's counted ballots came through each channel; they add
  up to ``ballots`` (:func:`channel_counts`). Its ``warnings`` keep only each warning's
  ``code`` and ``project_id`` (sorted): the export replaces ballot ids and line numbers, and a
  warning naming a database ballot id must not be published;
- ``receipts.txt``: the sorted SHA-256 receipt hashes of the counted online and code casts,
  one per line, each once (a cast's pots share its receipt). Paper ballots have no receipt and
  nothing stands in for them: the number of receipts lies between the largest pot's online and
  code ballots and their sum over the pots (:func:`receipt_range`);
- ``manifest.json``: ``{"format_version": 2, "files": {<path>: <sha256 hex>}}`` for every
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
>>> pot = PotExport("north", e, "greedy", {}, None, tally(e), channels={"online": 1, "paper": 1})
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
import random
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

from ._bundle_config import (
    BundleError, channel_counts, config_demographics, config_election, config_meta, pb_tally_args,
    published_outcome, receipt_range, recount_call,
)
from ._bundle_files import BundleReadError, bundle_zip_bytes, loads_strict, read_bundle, safe_path, write_bundle_zip
from .errors import VotingError
from .export import (
    DEMOGRAPHIC_COLUMNS, Demographics, ExportError, check_pot_name, clean_meta, clean_projects, export_pot,
)
from .model import BallotFormat, Election, VoteType
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
    "channel_counts",
    "config_demographics",
    "config_election",
    "config_meta",
    "loads_strict",
    "make_manifest",
    "manifest_digest",
    "pb_tally_args",
    "published_outcome",
    "read_bundle",
    "receipt_range",
    "recount_call",
    "safe_path",
    "write_bundle_zip",
]

#: 2: result.json gives each pot's ballots per channel; receipts.txt holds real receipts only.
FORMAT_VERSION = 2
MANIFEST = "manifest.json"
CONFIG = "config.json"
RESULT = "result.json"
RECEIPTS = "receipts.txt"
BALLOT_SUFFIXES = (".pb", ".csv", ".json")
_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class PotExport:
    """Everything the bundle needs about one pot; the app gathers it, the core does the rest.

    ``election`` holds the pot's budget, projects (ballot order), ballot format and the counted
    ballots, without personal data (their ids are replaced). ``tie_break`` None means the
    rule's default chain. ``result`` is the published outcome (an :class:`Outcome` or its
    ``to_dict()``/JSON form). ``demographics``, when given, has one entry per ballot.
    ``channels`` says how many of the counted ballots came ``online``, by ``code`` and on
    ``paper`` (a channel left out counts 0); the counts must add up to the ballots.
    """

    pot: str
    election: Election
    rule: str
    parameters: Mapping[str, Any]
    tie_break: str | None
    result: Outcome | Mapping[str, Any]
    title: str = ""
    demographics: Sequence[Demographics | None] | None = None
    channels: Mapping[str, int] | None = None


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


def _pot_channels(pot: PotExport) -> dict[str, int]:
    if pot.channels is None:
        raise BundleError(f"pot {pot.pot}: no channel counts (how many ballots came online, by code, on paper)")
    channels = channel_counts(pot.channels, f"pot {pot.pot}", partial=True)
    if sum(channels.values()) != len(pot.election.ballots):
        raise BundleError(f"pot {pot.pot}: the channel counts add up to {sum(channels.values())}, "
                          f"not to the {len(pot.election.ballots)} ballots")
    marked = Counter(d.channel for d in pot.demographics or () if d is not None and d.channel in channels)
    for channel, n in sorted(marked.items()):
        if n > channels[channel]:
            raise BundleError(f"pot {pot.pot}: {n} ballots are marked {channel} in the demographics, "
                              f"but the channel counts give {channels[channel]}")
    return channels


def _receipt_text(receipts: Iterable[str], channels: Sequence[Mapping[str, int]]) -> bytes:
    hashes = list(receipts)
    for h in hashes:
        if not isinstance(h, str) or not _HEX64.fullmatch(h):
            raise BundleError(f"receipt hash {h!r} is not 64 lower-case hex digits")
    if len(set(hashes)) != len(hashes):
        raise BundleError("the receipt hashes repeat one; each counted cast has its own receipt")
    low, high = receipt_range(channels)
    if not low <= len(hashes) <= high:
        raise BundleError(f"{len(hashes)} receipts, but the channel counts allow {low} to {high} "
                          "(one per online or code cast, none for paper)")
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

    *receipts* are the SHA-256 receipt hashes (hex) of the counted casts that have one
    (online and code; never a stand-in for a paper ballot). Ballot ids are
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
    channels = []
    for pot in pots:
        try:
            check_pot_name(pot.pot)
            conf = _pot_config(pot, min_group_size)
            channels.append(_pot_channels(pot))
            exported = export_pot(
                pot.election, pot.pot, demographics=pot.demographics, min_group_size=min_group_size,
                rule=pot.rule, parameters=conf["parameters"], rng=rng,
            )
        except ExportError as exc:
            raise BundleError(f"pot {pot.pot}: {exc}") from None
        config["pots"][pot.pot] = conf
        result["pots"][pot.pot] = {"ballots": len(exported.election.ballots), "channels": channels[-1],
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
    files[RECEIPTS] = _receipt_text(receipts, channels)
    files[MANIFEST] = make_manifest(files)
    return dict(sorted(files.items()))
