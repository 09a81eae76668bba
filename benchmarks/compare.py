"""Compare two commits of the tallying core on the same inputs, in one process.

This machine's speed drifts by a factor of two within an hour, so two benchmark runs made at
different times cannot show a change of 10 or 20 percent. This script exports ``voting/`` as
it is at each of two git revisions into a temporary directory (as packages ``voting_a`` and
``voting_b``), parses each input once per version, then runs the rule with the two versions
alternately (each version first in every other round: in one process the second of two runs
is often the faster), *reps* times each, and prints the best time of each and their ratio. It also
checks that both versions give the same outcome (selected projects, details and ties).

Run from the repository root::

    .venv/bin/python benchmarks/compare.py HEAD~1 HEAD --rule mes --completion add1 \\
        ../shared/pabulib/Netherlands_Amsterdam_166.pb

``WORKTREE`` as a revision stands for the files as they are now, uncommitted changes included.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import io
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def export(revision: str, into: Path, name: str) -> None:
    """Write ``voting/`` at *revision* (or the working tree) to ``into/name``."""
    target = into / name
    if revision == "WORKTREE":
        shutil.copytree(ROOT / "voting", target, ignore=shutil.ignore_patterns("__pycache__"))
        return
    archive = subprocess.run(["git", "archive", "--format=tar", revision, "voting"], cwd=ROOT,
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    (into / "voting").rename(target)


def summary(outcome) -> tuple:
    return (outcome.selected, outcome.details, [(t.tied, t.chosen) for t in outcome.ties])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("old")
    parser.add_argument("new")
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--rule", default="mes")
    parser.add_argument("--utility")
    parser.add_argument("--completion")
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    params = {k: v for k, v in (("utility", args.utility), ("completion", args.completion)) if v}
    forget_exports()
    try:
        return compare(args, params)
    finally:
        forget_exports()


def forget_exports() -> None:
    """Drop the exported packages from ``sys.modules`` (a later call exports afresh)."""
    for name in [m for m in sys.modules if m.split(".")[0] in ("voting_a", "voting_b")]:
        del sys.modules[name]


def compare(args: argparse.Namespace, params: dict) -> int:
    with tempfile.TemporaryDirectory() as tmp:
        pairs = ((args.old, "voting_a"), (args.new, "voting_b"))
        for revision, name in pairs:
            export(revision, Path(tmp), name)
        sys.path.insert(0, tmp)
        try:
            versions = [(importlib.import_module(f"{name}.pabulib"),
                         importlib.import_module(f"{name}.rules")) for _, name in pairs]
            return _alternate(args, params, versions)
        finally:
            sys.path.remove(tmp)


def _alternate(args: argparse.Namespace, params: dict, versions: list) -> int:
    print(f"rule {args.rule} {params}; best of {args.reps} runs each, alternated")
    for path in args.files:
        elections = [pabulib.read_pb(path) for pabulib, _ in versions]
        best = [float("inf"), float("inf")]
        outcomes = [None, None]
        for rep in range(args.reps):
            # the order alternates too: in one process the second of two runs is often faster
            for i in (0, 1) if rep % 2 == 0 else (1, 0):
                rules = versions[i][1]
                gc.collect()
                started = time.perf_counter()
                outcomes[i] = rules.tally(elections[i], args.rule, **params)
                best[i] = min(best[i], time.perf_counter() - started)
        same = summary(outcomes[0]) == summary(outcomes[1])
        print(f"{path.name}: {args.old} {best[0]:.4g} s, {args.new} {best[1]:.4g} s, "
              f"ratio {best[0] / best[1]:.3f}, same outcome: {'yes' if same else 'NO'}")
        if not same:
            return 1
    return 0

if __name__ == "__main__":
    sys.exit(main())
