"""Time two MES engines against each other on random samples of an election's ballots.

``mes`` picks an engine for plain runs by the number of voters (``SMALL_BELOW``,
``FIXED_BELOW`` in ``voting/rules/mes.py``). This script measures where one engine overtakes
another: for each file and sample size it draws seeded samples of the ballots, runs both
engines alone on each sample (alternately, in one process: this machine's speed drifts), checks
that they take the same steps, and prints the best time of each and their ratio.

A sample keeps the file's budget unless ``--scaled-budget`` is given, which shrinks the budget
with the sample (the same budget per voter): a real election of a few hundred voters still
funds a share of its projects, so the file's budget is the closer model; the scaled one funds
only the few cheapest.

Run from the repository root::

    .venv/bin/python benchmarks/engine_samples.py ../shared/pabulib/Poland_Wieliczka_2023_Green_Budget.pb \\
        --sizes 300,550,1000 --engines small,fixed
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from voting.counting import approvers, distinct_ballot_projects  # noqa: E402
from voting.model import Election  # noqa: E402
from voting.pabulib import read_pb  # noqa: E402
from voting.rules import _mes_core as core  # noqa: E402
from voting.rules import _mes_fast, _mes_fixed, _mes_small, _mes_wide  # noqa: E402
from voting.tiebreak import DEFAULT_CHAINS, TieChain  # noqa: E402

ENGINES = {
    "small": _mes_small.run_small,
    "fixed": _mes_fixed.run_fixed,
    "classes": _mes_fast.run_fast,
    "wide": _mes_wide.run_wide,
}


def prepared(election: Election) -> tuple[core.Prepared, Fraction]:
    """What every engine needs of *election*, and its budget per voter."""
    chain = TieChain.parse(DEFAULT_CHAINS["mes"])
    sup = approvers(election)
    votes = {pid: len(s) for pid, s in sup.items()}
    costs = {pid: p.cost for pid, p in election.projects.items()}
    fundable = [pid for pid, p in election.projects.items() if votes[pid] and not p.is_withdrawn]
    rank = {pid: i for i, pid in enumerate(chain.order(fundable, costs, votes))}
    prep = core.prepare(distinct_ballot_projects(election), fundable, costs, rank,
                        len(election.ballots), sup)
    return prep, Fraction(election.budget) / len(election.ballots)


def compare_on(election: Election, engines: list[str], reps: int) -> list[float]:
    """Best time of each engine on *election* (plain MES, cost utility), runs alternated."""
    prep, share = prepared(election)
    runs = [ENGINES[name](prep, share.numerator, share.denominator) for name in engines]
    first = runs[0]
    for name, run in zip(engines[1:], runs[1:]):
        if (run.selected, run.ties) != (first.selected, first.ties):
            raise AssertionError(f"engines {engines[0]} and {name} disagree")
    best = [float("inf")] * len(engines)
    for _ in range(reps):
        for j, name in enumerate(engines):
            started = time.perf_counter()
            ENGINES[name](prep, share.numerator, share.denominator)
            best[j] = min(best[j], time.perf_counter() - started)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="+", type=Path)
    parser.add_argument("--sizes", default="300,550,1000", help="comma list of sample sizes")
    parser.add_argument("--seeds", type=int, default=3, help="samples per size")
    parser.add_argument("--engines", default="small,fixed",
                        help=f"two or more of {', '.join(ENGINES)}; ratios are against the first")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--scaled-budget", action="store_true",
                        help="shrink the budget with the sample (the same budget per voter)")
    args = parser.parse_args(argv)
    engines = args.engines.split(",")
    unknown = [e for e in engines if e not in ENGINES]
    if len(engines) < 2 or unknown:
        parser.error(f"--engines takes two or more of {', '.join(ENGINES)}")
    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"plain MES, engines alone, best of {args.reps} runs each, alternated; budget "
          + ("scaled with the sample" if args.scaled_budget else "of the file"))
    gc.disable()
    for path in args.files:
        full = read_pb(path)
        for size in sizes:
            if size > len(full.ballots):
                print(f"{path.name} {size}: the file has only {len(full.ballots)} ballots")
                continue
            cells = []
            for seed in range(args.seeds):
                sample = replace(full, ballots=random.Random(seed).sample(full.ballots, size))
                if args.scaled_budget:
                    sample = replace(sample, budget=Fraction(full.budget) * size / len(full.ballots))
                best = compare_on(sample, engines, args.reps)
                cells.append(" ".join(f"{b * 1e3:.3f}" for b in best) + " ms ("
                             + " ".join(f"{b / best[0]:.2f}" for b in best[1:]) + ")")
            print(f"{path.name} {size} voters, {' / '.join(engines)}: " + "; ".join(cells), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
