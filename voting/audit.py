"""``pb-audit BUNDLE [--expect-digest HEX]``: check an audit bundle and recount every pot.

BUNDLE is the bundle zip or the folder it was unpacked into. The command

1. reads ``manifest.json`` and computes the bundle digest (SHA-256 of its canonical bytes),
   and compares it with ``--expect-digest`` (the digest on the results page) when given;
2. checks the file set (every listed file present, nothing unlisted, exactly the files the
   bundle format has for the pots of ``config.json``) and every file's SHA-256;
3. recounts every pot from ``ballots/<pot>.pb`` with the budget, ballot format, project costs,
   rule, parameters and tie chain of ``config.json`` (see :mod:`voting.bundle`), and checks
   that the ``.pb`` META and PROJECTS agree with ``config.json``, that the ``.pb`` is byte for
   byte what the export writes from ``config.json`` and its own ballots, that the CSV and JSON
   ballot files hold exactly the ballots of the ``.pb``, and that published demographic groups
   are no smaller than the pot's ``min_group_size``;
4. compares the recount with ``result.json`` field by field (the number of ballots, then every
   outcome field; dictionaries such as ``votes`` key by key); checks that each pot's
   ``channels`` (ballots counted online, by code, on paper) add up to the ballots of its
   ``.pb`` and are no fewer than the ballots the ``.pb`` marks with that channel; and checks
   ``receipts.txt``: sorted, distinct SHA-256 lines, at least as many as the largest pot's
   online and code ballots and at most their sum over the pots (paper ballots have no receipt).

Output: ``digest <hex>``, one ``pot`` line per pot with the equivalent ``pb-tally`` options,
then one line ``DIFF <subject> <field>: published X, recounted Y`` per difference, and last
exactly ``MATCH`` or ``MISMATCH``. The subject is a pot, ``bundle`` (digest and receipt count)
or a file path (file set, SHA-256, unreadable content). For the ``pb.*`` fields, "published"
is what ``config.json`` says and "recounted" what the ``.pb`` file says.

Exit status: 0 on MATCH; 1 on any difference; 2, with one line on stderr, when BUNDLE is
missing, neither a zip nor a folder, an unsafe or damaged zip, or has a missing or malformed
manifest or an unknown format version (an internal error, a bug, also exits 2 with one line).
Unreadable content inside the bundle (broken JSON, a bad ``.pb``) is a DIFF line: exit 1.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import sys
from collections import Counter
from typing import Any, Mapping, Sequence

from ._audit_pot import recount_pot
from ._audit_report import AuditReport, Diff, compare
from .bundle import (
    CONFIG, FORMAT_VERSION, MANIFEST, RECEIPTS, RESULT, BundleError, BundleReadError, channel_counts,
    loads_strict, manifest_digest, read_bundle, receipt_range, safe_path,
)
from .errors import VotingError
from .export import CHANNELS, ExportError, check_pot_name

PROG = "pb-audit"
_ABSENT = object()
_HEX64 = re.compile(r"[0-9a-f]{64}")

__all__ = ["AuditInputError", "AuditReport", "Diff", "audit_bundle", "audit_files", "main"]


class AuditInputError(VotingError):
    """A bundle that cannot be audited at all: no manifest, a malformed one, another version."""


class UsageError(Exception):
    """Bad command-line usage: exit 2 with one line."""


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- manifest and files


def _read_manifest(files: Mapping[str, bytes]) -> dict[str, str]:
    if MANIFEST not in files:
        raise AuditInputError(f"the bundle has no {MANIFEST}")
    try:
        manifest = loads_strict(files[MANIFEST])
    except ValueError as exc:
        raise AuditInputError(f"{MANIFEST} is malformed: {exc}") from None
    if not isinstance(manifest, dict) or "format_version" not in manifest:
        raise AuditInputError(f"{MANIFEST} is malformed: not an object with a format_version")
    version = manifest["format_version"]
    if isinstance(version, bool) or version != FORMAT_VERSION:
        raise AuditInputError(f"{MANIFEST}: unknown format version {version!r}; {PROG} reads version {FORMAT_VERSION}")
    if set(manifest) != {"format_version", "files"} or not isinstance(manifest["files"], dict):
        raise AuditInputError(f"{MANIFEST} is malformed: it must hold exactly format_version and files")
    for path, digest in manifest["files"].items():
        if not safe_path(path) or path == MANIFEST:
            raise AuditInputError(f"{MANIFEST} is malformed: it lists the path {path!r}")
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise AuditInputError(f"{MANIFEST} is malformed: the digest of {path!r} is not 64 lower-case hex digits")
    return manifest


def _check_files(files: Mapping[str, bytes], listed: Mapping[str, str]) -> list[Diff]:
    diffs = []
    present = set(files) - {MANIFEST}
    for path in sorted(present | set(listed)):
        if path not in present:
            diffs.append(Diff(path, "file", "(listed in manifest)", "(missing)"))
        elif path not in listed:
            diffs.append(Diff(path, "file", "(not in manifest)", "(present)"))
        else:
            actual = _sha(files[path])
            if actual != listed[path]:
                diffs.append(Diff(path, "sha256", listed[path], actual))
    return diffs


def _json_file(files: Mapping[str, bytes], path: str, diffs: list[Diff]) -> Any:
    if path not in files:
        return None
    try:
        return loads_strict(files[path])
    except ValueError as exc:
        diffs.append(Diff(path, "content", "(JSON)", f"(unreadable: {exc})"))
        return None


# --------------------------------------------------------------------------- channels and receipts


def _check_channels(pot: str, published: Any, recounted: dict | None, marked: Counter,
                    diffs: list[Diff]) -> dict[str, int] | None:
    """The pot's published channel counts, when they are well formed and fit its ballots."""
    try:
        channels = channel_counts(published)
    except BundleError:
        shown = "(absent)" if published is _ABSENT else published
        diffs.append(Diff(pot, "channels", shown, "(the numbers of online, code and paper ballots)"))
        return None
    if recounted is None:
        return channels
    ok = True
    total = sum(channels.values())
    if total != recounted["ballots"]:
        said = " + ".join(f"{c} {channels[c]}" for c in CHANNELS)
        diffs.append(Diff(pot, "channels", f"{said} = {total}", f"{recounted['ballots']} ballots in ballots/{pot}.pb"))
        ok = False
    for channel, n in sorted(marked.items()):
        if n > channels.get(channel, 0):
            diffs.append(Diff(pot, f"channels.{channel}", channels.get(channel, "(not a channel)"),
                              f"({n} ballots marked {channel} in ballots/{pot}.pb)"))
            ok = False
    return channels if ok else None


def _check_receipts(files: Mapping[str, bytes], channels: list[dict[str, int]] | None, diffs: list[Diff]) -> None:
    data = files.get(RECEIPTS)
    if data is None:
        return
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError:
        diffs.append(Diff(RECEIPTS, "content", "(hex lines)", "(not ASCII)"))
        return
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    else:
        diffs.append(Diff(RECEIPTS, "content", "(ends with a newline)", "(no final newline)"))
    for k, line in enumerate(lines, 1):
        if not _HEX64.fullmatch(line):
            diffs.append(Diff(RECEIPTS, f"line {k}", "(a SHA-256 hex digest)", line[:80]))
            return
        if k > 1 and lines[k - 2] >= line:
            diffs.append(Diff(RECEIPTS, f"line {k}", "(sorted, each hash once)", line))
            return
    if channels:
        low, high = receipt_range(channels)
        if not low <= len(lines) <= high:
            within = f"{low}" if low == high else f"{low} to {high}"
            diffs.append(Diff("bundle", "receipts", f"{len(lines)} receipts",
                              f"{within} from the online and code ballots"))


# --------------------------------------------------------------------------- the audit


def audit_files(files: Mapping[str, bytes], expect_digest: str | None = None) -> AuditReport:
    """Audit a bundle given as path to bytes; AuditInputError when it cannot be audited at all."""
    manifest = _read_manifest(files)
    listed = manifest["files"]
    report = AuditReport(digest=manifest_digest(manifest))
    diffs = report.diffs
    if expect_digest is not None and expect_digest.lower() != report.digest:
        diffs.append(Diff("bundle", "digest", expect_digest.lower(), report.digest))
    diffs.extend(_check_files(files, listed))

    config = _json_file(files, CONFIG, diffs)
    result = _json_file(files, RESULT, diffs)
    pots_conf = config.get("pots") if isinstance(config, dict) else None
    if config is not None and not isinstance(pots_conf, dict):
        diffs.append(Diff(CONFIG, "pots", "(an object of pots)", "(absent or not an object)"))
    pots_result = result.get("pots") if isinstance(result, dict) else None
    if result is not None and not isinstance(pots_result, dict):
        diffs.append(Diff(RESULT, "pots", "(an object of pots)", "(absent or not an object)"))
    for path in (CONFIG, RESULT, RECEIPTS):
        if path not in listed and path not in files:  # (present but unlisted is reported above)
            diffs.append(Diff(path, "file", "(not in manifest)", "(required)"))

    channels: list[dict[str, int]] | None = [] if isinstance(pots_conf, dict) and isinstance(pots_result, dict) else None
    if isinstance(pots_conf, dict):
        expected = {CONFIG, RESULT, RECEIPTS}
        for pot in pots_conf:
            expected.update(f"ballots/{pot}{s}" for s in (".pb", ".csv", ".json"))
        for path in sorted(expected - set(listed) - {CONFIG, RESULT, RECEIPTS}):
            if path not in files:
                diffs.append(Diff(path, "file", "(not in manifest)", "(required by config.json)"))
        for path in sorted(set(listed) - expected):
            diffs.append(Diff(path, "file", "(listed in manifest)", "(not part of a bundle)"))
        published = pots_result if isinstance(pots_result, dict) else {}
        for pot in sorted(set(pots_conf) | set(published)):
            try:
                check_pot_name(pot)
            except ExportError as exc:
                diffs.append(Diff(CONFIG if pot in pots_conf else RESULT, "pot", "(a pot name)", f"({exc})"))
                continue
            if pot not in pots_conf:
                diffs.append(Diff(pot, "pot", "(in result.json)", "(not in config.json)"))
                continue
            marked: Counter = Counter()
            recounted = recount_pot(pot, pots_conf[pot], files, report, marked)
            if pots_result is None:
                continue
            if pot not in published:
                diffs.append(Diff(pot, "result", "(absent)", "(recounted)" if recounted else "(not recounted)"))
                channels = None
                continue
            entry = published[pot]
            said = _ABSENT
            if isinstance(entry, dict):
                entry = dict(entry)
                said = entry.pop("channels", _ABSENT)
            pot_channels = _check_channels(pot, said, recounted, marked, diffs)
            if pot_channels is None or recounted is None:
                channels = None  # no counts to hold the receipts against
            elif channels is not None:
                channels.append(pot_channels)
            if recounted is not None:
                compare(pot, "", entry, recounted, diffs)
    _check_receipts(files, channels, diffs)
    return report


def audit_bundle(path: str | os.PathLike, expect_digest: str | None = None) -> AuditReport:
    """Read the bundle at *path* (zip or folder) and audit it."""
    return audit_files(read_bundle(path), expect_digest)


# --------------------------------------------------------------------------- command line


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, not the usage block
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog=PROG,
        description="Check an audit bundle's digests and recount every pot. The last line is MATCH or "
        "MISMATCH; exit 0 on a match, 1 on a difference, 2 when the bundle cannot be read.",
    )
    parser.add_argument("bundle", metavar="BUNDLE", help="the bundle zip, or the folder it was unpacked into")
    parser.add_argument("--expect-digest", metavar="HEX",
                        help="the bundle digest published on the results page (64 hex digits)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; returns the exit status."""
    try:
        args = build_parser().parse_args(argv)
        expect = args.expect_digest
        if expect is not None:
            expect = expect.strip().lower()
            if not _HEX64.fullmatch(expect):
                raise UsageError(f"--expect-digest {args.expect_digest!r} is not 64 hex digits")
        report = audit_bundle(args.bundle, expect)
    except (UsageError, BundleReadError, AuditInputError) as exc:
        _error(str(exc))
        return 2
    except KeyboardInterrupt:
        _error("interrupted")
        return 130
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback
        _error(f"internal error: {type(exc).__name__}: {exc}")
        return 2
    try:
        out = "\n".join(report.lines()) + "\n"
        try:
            sys.stdout.write(out)
        except UnicodeEncodeError:
            sys.stdout.flush()
            sys.stdout.buffer.write(out.encode("utf-8"))
        sys.stdout.flush()
    except BrokenPipeError:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 0 if report.ok else 1


def _error(message: str) -> None:
    sys.stderr.write(f"{PROG}: error: {' '.join(message.split())}\n")
    sys.stderr.flush()


if __name__ == "__main__":
    sys.exit(main())
