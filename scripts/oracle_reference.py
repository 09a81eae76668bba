#!/usr/bin/env python
"""Compute pabutools reference outcomes for the oracle tests (``tests/voting/test_oracle.py``).

pabutools (GPL) is only a test oracle: this script runs it on the real Pabulib files and stores
what it decides as JSON, one file per (input file, rule), in ``tests/voting/reference/``. The
tests compare our engine with these files and recompute one small file live with the very
functions below.

Run with the project's virtual environment (it has pabutools 1.2.3)::

    .venv/bin/python scripts/oracle_reference.py                       # cheap rules, every file
    .venv/bin/python scripts/oracle_reference.py --rules add1 Netherlands_Assen_2024.pb

Rules (names as in ``voting.rules``; ``add1`` is MES with the cities' Add1 completion):

- ``greedy``: ``greedy_utilitarian_welfare(..., sat_class=Cost_Sat)``, ties ``cost,id``;
- ``max-welfare``: ``max_additive_utilitarian_welfare(..., sat_class=Cost_Sat)`` (exact
  primal/dual); we store the optimal welfare, and whether the optimum is unique, found by
  re-solving with each project's membership flipped (forced out, or forced in);
- ``mes``: plain ``method_of_equal_shares(..., sat_class=Cost_Sat)``, ties ``cost,votes,id``;
- ``phragmen``: ``sequential_phragmen(...)``, ties ``cost,id``;
- ``add1``: for b = floor(B/n), b+1, ...: MES on a copy of the instance whose budget limit is
  b*n; keep the last outcome costing at most B; stop at the first one costing more than B or
  holding every project with a vote. When every project with a vote fits in B, the answer is
  all of them and there is no loop;
- ``mes-increment1``: pabutools' own iterated MES (``voter_budget_increment=1``), stored only to
  show that it is not ``add1`` (Wieliczka 2023);
- ``add1-bracket`` (needs ``--per-voter-budget b``): MES at b and at b+1 only, for a file whose
  full add1 loop is too slow in pabutools. It is a weaker check than ``add1``: the steps below
  b are not run. (``--jobs N`` runs add1's steps N at a time, which made the full loop on
  Warsaw 2026 possible.)

Every rule runs on the instance WITHOUT the projects nobody voted for: pabutools' greedy and
Phragmén fund such projects when money is left, our engine never does (a deliberate
difference, tested separately). MES and max-welfare outcomes are not changed by dropping them
(apart from which tied optimum the knapsack returns).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import math
import sys
import time
from fractions import Fraction
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "pabulib"
REFERENCE_DIR = REPO / "tests" / "voting" / "reference"

#: The approval and choose-1 files of the shared data, smallest first.
FILES = (
    "Poland_Warszawa_2017_Plac_Wojska_Polskiego.pb",
    "Netherlands_Amsterdam_643.pb",
    "Netherlands_Assen_2024.pb",
    "France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb",
    "Netherlands_Amsterdam_166.pb",
    "Poland_Swiecie_2023.pb",
    "Poland_Wieliczka_2023_Green_Budget.pb",
    "Poland_Warszawa_2023_Mokotow.pb",
    "Netherlands_Amsterdam_309.pb",
    "Poland_Warszawa_2026.pb",
)
RULES = ("greedy", "max-welfare", "mes", "phragmen", "add1", "mes-increment1", "add1-bracket")

TIE_COST_ID = "TieBreakingRule(lambda inst, prof, p: (p.cost, p.name))"
TIE_MES = "TieBreakingRule(lambda inst, prof, p: (p.cost, -prof.approval_score(p), p.name))"
INSTANCE_NOTE = "parse_pabulib(file), keeping only the projects with at least one vote"


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def exact(q) -> int | Fraction:
    """A gmpy2 mpq (or int) as an exact Python int or Fraction."""
    f = Fraction(int(q.numerator), int(q.denominator))
    return f.numerator if f.denominator == 1 else f


def amount_text(q) -> int | str:
    """JSON form of an exact amount (an mpq, Fraction or int): an int when whole, else exact
    ``p/q`` text (no floats)."""
    v = exact(q)
    return v if isinstance(v, int) else f"{v.numerator}/{v.denominator}"


class Loaded:
    """One file parsed by pabutools, restricted to the projects with at least one vote."""

    def __init__(self, path: Path):
        from pabutools.election import Cost_Sat, Instance, parse_pabulib

        self.path = path
        self.sha256 = sha256(path)
        full, self.profile = parse_pabulib(str(path))
        scores = self.profile.approval_scores()
        self.scores = {p.name: scores.get(p, 0) for p in full}
        voted = [p for p in full if self.scores[p.name] > 0]
        self.dropped = sorted(p.name for p in full if self.scores[p.name] == 0)
        self.instance = Instance(voted, budget_limit=full.budget_limit)
        self.budget = full.budget_limit
        self.num_projects = len(full)
        self._cost_sat = None
        self._cost_sat_class = Cost_Sat

    def cost_sat_profile(self):
        if self._cost_sat is None:
            self._cost_sat = self.profile.as_sat_profile(sat_class=self._cost_sat_class)
        return self._cost_sat


def tie_cost_id():
    from pabutools.tiebreaking import TieBreakingRule

    return TieBreakingRule(lambda inst, prof, p: (p.cost, p.name))


def tie_mes():
    from pabutools.tiebreaking import TieBreakingRule

    return TieBreakingRule(lambda inst, prof, p: (p.cost, -prof.approval_score(p), p.name))


def _names(allocation) -> list[str]:
    return [p.name for p in allocation]


def _cost(allocation):
    return sum((p.cost for p in allocation), 0)


def _welfare(data: Loaded, names) -> int | Fraction:
    costs = {p.name: exact(p.cost) for p in data.instance}
    return sum((data.scores[n] * costs[n] for n in names), 0)


def run_greedy(data: Loaded) -> dict:
    from pabutools.election import Cost_Sat
    from pabutools.rules import greedy_utilitarian_welfare

    out = greedy_utilitarian_welfare(data.instance, data.profile, sat_class=Cost_Sat, tie_breaking=tie_cost_id())
    return {
        "call": "greedy_utilitarian_welfare(instance, profile, sat_class=Cost_Sat, tie_breaking=T)",
        "tie_breaking": TIE_COST_ID,
        "selection_order": _names(out),
        "winners": sorted(_names(out)),
        "total_cost": amount_text(_cost(out)),
    }


def _optimum(instance, data: Loaded, cached: bool = True) -> tuple[list[str], int | Fraction]:
    from pabutools.election import Cost_Sat
    from pabutools.rules import max_additive_utilitarian_welfare

    if cached:  # the flip checks reuse one satisfaction profile (same values, less time)
        out = max_additive_utilitarian_welfare(instance, data.profile, sat_profile=data.cost_sat_profile())
    else:
        out = max_additive_utilitarian_welfare(instance, data.profile, sat_class=Cost_Sat)
    names = _names(out)
    return names, _welfare(data, names)


def run_max_welfare(data: Loaded, check_unique: bool = True) -> dict:
    from pabutools.election import Instance

    started = time.perf_counter()
    names, welfare = _optimum(data.instance, data, cached=False)
    seconds = time.perf_counter() - started
    result = {
        # The rule call alone; the uniqueness check below is not timed.
        "seconds": f"{seconds:.3f}",
        "call": "max_additive_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)",
        "tie_breaking": "none (pabutools offers no tie control for this rule)",
        "winners": sorted(names),
        "total_cost": amount_text(_cost(p for p in data.instance if p.name in set(names))),
        "welfare": amount_text(welfare),
    }
    if check_unique:
        # Another optimal set differs from this one in some project: re-solve with each
        # project's membership flipped; the optimum is unique iff every such value is lower.
        chosen = set(names)
        unique = True
        for p in sorted(data.instance, key=lambda p: p.name):
            rest = [q for q in data.instance if q.name != p.name]
            if p.name in chosen:
                _, value = _optimum(Instance(rest, budget_limit=data.budget), data)
            elif p.cost <= data.budget:
                sub, value = _optimum(Instance(rest, budget_limit=data.budget - p.cost), data)
                value += data.scores[p.name] * exact(p.cost)
            else:
                continue
            if value > welfare:
                raise AssertionError(f"flip of {p.name} beats the optimum: the knapsack solver erred")
            if value == welfare:
                unique = False
                break
        result["optimum_unique"] = unique
        result["uniqueness_check"] = (
            "re-solve with each project forced out (removed) or forced in (budget minus its cost)"
        )
    return result


def run_mes(data: Loaded) -> dict:
    from pabutools.election import Cost_Sat
    from pabutools.rules import method_of_equal_shares

    out = method_of_equal_shares(data.instance, data.profile, sat_class=Cost_Sat, tie_breaking=tie_mes())
    return {
        "call": "method_of_equal_shares(instance, profile, sat_class=Cost_Sat, tie_breaking=T)",
        "tie_breaking": TIE_MES,
        "selection_order": _names(out),
        "winners": sorted(_names(out)),
        "total_cost": amount_text(_cost(out)),
    }


def run_phragmen(data: Loaded) -> dict:
    from pabutools.rules import sequential_phragmen

    out = sequential_phragmen(data.instance, data.profile, tie_breaking=tie_cost_id())
    return {
        "call": "sequential_phragmen(instance, profile, tie_breaking=T)",
        "tie_breaking": TIE_COST_ID,
        # pabutools sorts Phragmén's allocation before returning it: no selection order.
        "selection_order": None,
        "winners": sorted(_names(out)),
        "total_cost": amount_text(_cost(out)),
    }


_WORKER: Loaded | None = None


def _worker_load(path: Path) -> None:
    global _WORKER
    _WORKER = Loaded(path)


def _mes_at(b: int, data: Loaded | None = None) -> tuple[int, list[str], int | Fraction]:
    """pabutools' MES with per-voter budget *b*: (b, winners in order, exact cost)."""
    from pabutools.election import Instance
    from pabutools.rules import method_of_equal_shares

    data = data if data is not None else _WORKER
    n = data.profile.num_ballots()
    out = method_of_equal_shares(
        Instance(data.instance, budget_limit=b * n), data.profile,
        sat_profile=data.cost_sat_profile(), tie_breaking=tie_mes()
    )
    return b, _names(out), exact(_cost(out))


def _steps_from(start: int, data: Loaded, jobs: int):
    """MES at b = start, start+1, ... in order; with *jobs* > 1, the next *jobs* budgets are run
    at once in worker processes (each loads the file itself), and the caller stops when it has
    what it needs (the budgets run ahead of that are thrown away: each run is independent)."""
    if jobs <= 1:
        b = start
        while True:
            yield _mes_at(b, data)
            b += 1
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=jobs, initializer=_worker_load, initargs=(data.path,)) as pool:
        ahead = deque(pool.submit(_mes_at, b) for b in range(start, start + jobs))
        nxt = start + jobs
        try:
            while True:
                yield ahead.popleft().result()
                ahead.append(pool.submit(_mes_at, nxt))
                nxt += 1
        finally:
            for f in ahead:
                f.cancel()


def run_add1(data: Loaded, progress=None, jobs: int = 1) -> dict:
    n = data.profile.num_ballots()
    budget = data.budget
    voted = {p.name for p in data.instance}
    result = {
        "call": (
            "for b = floor(B/n), b+1, ...: method_of_equal_shares(Instance(instance, budget_limit=b*n), "
            "profile, sat_profile=profile.as_sat_profile(Cost_Sat), tie_breaking=T); keep the last "
            "outcome costing <= B; stop at the first costing > B or holding every project with a vote; "
            "when every project with a vote fits in B, all of them without the loop"
        ),
        "tie_breaking": TIE_MES,
        "voters": n,
    }
    if _cost(data.instance) <= budget:
        result.update(
            all_fit=True,
            winners=sorted(voted),
            selection_order=None,
            total_cost=amount_text(_cost(data.instance)),
            per_voter_budget=None,
            steps=0,
        )
        return result
    limit = exact(budget)
    start = math.floor(limit / n)
    kept, kept_b, kept_cost, steps = None, None, None, 0
    for b, names, cost in _steps_from(start, data, jobs):
        steps += 1
        if progress:
            progress(b, len(names), cost)
        if cost > limit:
            break
        kept, kept_b, kept_cost = names, b, cost
        if set(names) == voted:
            break
    if kept is None:  # cannot happen: MES at floor(B/n)*n <= B never spends more than B
        raise AssertionError("MES at floor(B/n) exceeded B")
    result.update(
        all_fit=False,
        start_per_voter_budget=start,
        per_voter_budget=kept_b,
        steps=steps,
        selection_order=kept,
        winners=sorted(kept),
        total_cost=amount_text(kept_cost),
    )
    return result


def run_mes_increment1(data: Loaded) -> dict:
    """pabutools' own iterated MES: NOT our add1 (it starts at B/n and stops when exhaustive)."""
    from pabutools.election import Cost_Sat
    from pabutools.rules import method_of_equal_shares

    out = method_of_equal_shares(
        data.instance,
        data.profile.as_multiprofile(),
        sat_class=Cost_Sat,
        voter_budget_increment=1,
        tie_breaking=tie_mes(),
    )
    return {
        "call": (
            "method_of_equal_shares(instance, profile.as_multiprofile(), sat_class=Cost_Sat, "
            "voter_budget_increment=1, tie_breaking=T)"
        ),
        "tie_breaking": TIE_MES,
        "selection_order": _names(out),
        "winners": sorted(_names(out)),
        "total_cost": amount_text(_cost(out)),
    }


def run_add1_bracket(data: Loaded, per_voter_budget: int) -> dict:
    """Only the last two steps of add1, at a given b and b+1: for a file where the full loop
    takes too long in pabutools. It shows that MES at b costs at most B and MES at b+1 more;
    it does NOT check the steps below b (the full ``add1`` reference does)."""
    n = data.profile.num_ballots()
    _, at_b, at_b_cost = _mes_at(per_voter_budget, data)
    _, above, above_cost = _mes_at(per_voter_budget + 1, data)
    return {
        "call": (
            "for b in (b*, b*+1): method_of_equal_shares(Instance(instance, budget_limit=b*n), profile, "
            "sat_profile=profile.as_sat_profile(Cost_Sat), tie_breaking=T); b* given on the command line"
        ),
        "tie_breaking": TIE_MES,
        "voters": n,
        "start_per_voter_budget": math.floor(exact(data.budget) / n),
        "per_voter_budget": per_voter_budget,
        "selection_order": at_b,
        "winners": sorted(at_b),
        "total_cost": amount_text(at_b_cost),
        "next_winners": sorted(above),
        "next_total_cost": amount_text(above_cost),
    }


RUNNERS = {
    "greedy": run_greedy,
    "max-welfare": run_max_welfare,
    "mes": run_mes,
    "phragmen": run_phragmen,
    "add1": run_add1,
    "mes-increment1": run_mes_increment1,
    "add1-bracket": run_add1_bracket,
}


def compute(data: Loaded, rule: str, **kwargs) -> dict:
    """One reference: the rule's result plus what is needed to trust and reproduce it."""
    import pabutools  # noqa: F401
    from importlib.metadata import version

    started = time.perf_counter()
    result = RUNNERS[rule](data, **kwargs)
    seconds = time.perf_counter() - started
    ref = {
        "file": data.path.name,
        "sha256": data.sha256,
        "pabutools_version": version("pabutools"),
        "rule": rule,
        "instance": INSTANCE_NOTE,
        "dropped_zero_vote_projects": data.dropped,
        "budget": amount_text(data.budget),
        "seconds": f"{seconds:.3f}",
    }
    ref.update(result)  # a runner may give its own, narrower "seconds"
    return ref


def reference_path(file_name: str, rule: str, directory: Path = REFERENCE_DIR) -> Path:
    return directory / f"{Path(file_name).stem}.{rule}.json"


def write_reference(ref: dict, directory: Path = REFERENCE_DIR) -> Path:
    path = reference_path(ref["file"], ref["rule"], directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")  # written whole, then renamed: a reader never sees half a file
    tmp.write_text(json.dumps(ref, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", help="file names in the data directory (default: all approval files)")
    parser.add_argument("--rules", default="greedy,max-welfare,mes,phragmen", help="comma list of " + ",".join(RULES))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=REFERENCE_DIR)
    parser.add_argument("--skip-existing", action="store_true", help="keep references already written")
    parser.add_argument("--per-voter-budget", type=int, help="add1-bracket: the b to check")
    parser.add_argument("--no-unique-check", action="store_true", help="max-welfare: skip the flip check")
    parser.add_argument("--jobs", type=int, default=1,
                        help="add1: run this many per-voter budgets at once in worker processes")
    args = parser.parse_args(argv)
    rules = [r.strip() for r in args.rules.split(",") if r.strip()]
    for r in rules:
        if r not in RUNNERS:
            parser.error(f"unknown rule {r!r}; use {','.join(RULES)}")
    for name in args.files or FILES:
        todo = [r for r in rules if not (args.skip_existing and reference_path(name, r, args.out).exists())]
        if not todo:
            continue
        t = time.perf_counter()
        data = Loaded(args.data / name)
        print(f"{name}: parsed in {time.perf_counter() - t:.1f} s", file=sys.stderr, flush=True)
        for rule in todo:
            kwargs = {}
            if rule == "max-welfare":
                kwargs["check_unique"] = not args.no_unique_check
            if rule == "add1-bracket":
                if args.per_voter_budget is None:
                    parser.error("add1-bracket needs --per-voter-budget")
                kwargs["per_voter_budget"] = args.per_voter_budget
            if rule == "add1":
                kwargs["progress"] = lambda b, k, c: print(f"  b={b}: {k} projects, cost {c}", file=sys.stderr, flush=True)
                kwargs["jobs"] = args.jobs
            ref = compute(data, rule, **kwargs)
            path = write_reference(ref, args.out)
            print(f"  {rule}: {len(ref['winners'])} winners in {ref['seconds']} s -> {path.name}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
