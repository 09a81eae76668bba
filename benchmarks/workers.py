"""The timed work of the benchmark, run in a child process per input file.

``bench_rules.py`` starts one child for our engine and one for pabutools per file, so that each
child's peak RSS belongs to one file and a slow pabutools call can be killed without losing the
run. A child prints one JSON object per line on stdout:

- ``{"event": "begin", "task": T}`` before a task, ``{"event": "call", ...}`` after each timed
  call (the parent's per-call timeout restarts at every line),
- ``{"event": "done", "task": T, "seconds": [...], ...}`` or ``{"event": "error", ...}``,
- ``{"event": "info", ...}`` once after parsing (sizes, and for our engine the vote counts and
  costs the parent needs to compare optimal welfare).

Each task is timed in-process with ``time.perf_counter``: it is repeated until it has run
``--max-runs`` times or the runs so far took ``--cap`` seconds (a task whose runs are very
short repeats more, see ``SHORT_SECONDS``), and the best time counts.

Usage (normally only through bench_rules.py)::

    python benchmarks/workers.py ours FILE --tasks parse,greedy,mes
    python benchmarks/workers.py pabutools FILE --tasks parse,greedy,add1
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import sys
import time
import traceback

#: Our rule calls, by task name: (rule, parameters).
OUR_CALLS = {
    "greedy": ("greedy", {}),
    "max-welfare": ("max-welfare", {"utility": "cost"}),
    "mes": ("mes", {"utility": "cost", "completion": "none"}),
    "add1": ("mes", {"utility": "cost", "completion": "add1"}),
    "phragmen": ("phragmen", {}),
}


def emit(**fields) -> None:
    fields["maxrss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps(fields), flush=True)


#: A task whose first max-runs runs took less than this many seconds in total keeps running,
#: up to SHORT_MAX_RUNS runs, until its runs reach that total: the best of five runs of a few
#: milliseconds varies by a factor of two on this machine (plain MES on Świecie: 3.4-7.3 ms).
SHORT_SECONDS = 0.25
SHORT_MAX_RUNS = 50
#: SHORT_SECONDS for the parse-time target's pairs (``timed_with_parse``): the rule's runs
#: continue, each with its parse beside it, until they reach this total (up to SHORT_MAX_RUNS
#: rounds). A slowdown of the host lasting a second can otherwise spoil every one of five
#: rounds: in the run at 2476bba, Mokotów's plain MES took 74.5 ms at best in its 5 paired
#: runs, and 45.7-46.7 ms in each of three reruns of that child minutes later.
PAIRED_SHORT_SECONDS = 1.0


def _more(times: list[float], max_runs: int, cap: float, short: float = SHORT_SECONDS) -> bool:
    """Whether a task timed so far in *times* runs again (see ``timed``)."""
    if not times:
        return True
    if len(times) < max_runs:
        return sum(times) < cap
    return sum(times) < short and len(times) < SHORT_MAX_RUNS


def timed(task: str, call, max_runs: int, cap: float, beside=None, short: float = SHORT_SECONDS):
    """Run ``call()`` up to *max_runs* times (fewer once *cap* seconds are spent), and more
    times while the runs so far took under SHORT_SECONDS (see there); return the last result
    and every run's time. Both engines are timed by this same rule. *beside*, when given, is
    called next to each run, untimed here: before it in even rounds, after it in odd ones.
    *short* replaces SHORT_SECONDS."""
    times: list[float] = []
    result = None
    while _more(times, max_runs, cap, short):
        if beside is not None and len(times) % 2 == 0:
            beside()
        result = None  # let the previous result go before the next run
        gc.collect()
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
        emit(event="call", task=task, seconds=times[-1])
        if beside is not None and len(times) % 2 == 0:
            beside()
    return result, times


#: A task ``paired:RULE`` times RULE alternately with parses of the same file (see
#: ``timed_with_parse``), so that both see the host at the same moments; it reports the rule's
#: runs under its own name and the parse runs as ``parse@RULE``. The benchmark runs these in a
#: child of their own: a parse next to a held election doubles the memory in use, which must
#: not count as the engine's peak.
PAIRED_PREFIX = "paired:"


def timed_with_parse(task: str, call, parse, max_runs: int, cap: float):
    """``timed`` for *call*, with one run of *parse* next to each of its runs (before it in
    even rounds, after it in odd ones: in one process the second of two runs is often the
    faster); the stopping rule looks at *call*'s runs only. Returns the last result of *call*,
    its run times and the parse run times. This host's speed drifts by up to a factor of two
    within an hour, so a rule timed a minute after the parse could pass or fail the
    parse-time target on the drift alone."""
    parse_times: list[float] = []

    def one_parse() -> None:
        gc.collect()
        started = time.perf_counter()
        parsed = parse()
        parse_times.append(time.perf_counter() - started)
        del parsed
        emit(event="call", task=f"parse@{task.removeprefix(PAIRED_PREFIX)}", seconds=parse_times[-1])

    result, times = timed(task, call, max_runs, cap, beside=one_parse, short=PAIRED_SHORT_SECONDS)
    return result, times, parse_times


def run_ours(path: str, tasks: list[str], max_runs: int, cap: float) -> None:
    from voting.counting import vote_counts
    from voting.numbers import format_amount
    from voting.pabulib import read_pb
    from voting.rules import tally

    emit(event="begin", task="parse")
    if "parse" in tasks:
        election, times = timed("parse", lambda: read_pb(path), max_runs, cap)
        emit(event="done", task="parse", seconds=times)
    else:  # a restart after a timeout: parse again, untimed
        election = read_pb(path)
    votes = vote_counts(election)
    emit(
        event="info",
        voters=len(election.ballots),
        projects=len(election.projects),
        budget=format_amount(election.budget),
        votes=votes,
        costs={pid: format_amount(p.cost) for pid, p in election.projects.items()},
    )
    for task in tasks:
        if task == "parse":
            continue
        rule, params = OUR_CALLS[task.removeprefix(PAIRED_PREFIX)]
        emit(event="begin", task=task)
        parse_times = None
        try:
            if task.startswith(PAIRED_PREFIX):
                outcome, times, parse_times = timed_with_parse(
                    task, lambda: tally(election, rule, **params), lambda: read_pb(path), max_runs, cap)
            else:
                outcome, times = timed(task, lambda: tally(election, rule, **params), max_runs, cap)
        except Exception as exc:  # report and go on with the other rules
            emit(event="error", task=task, error=f"{type(exc).__name__}: {exc}",
                 trace=traceback.format_exc(limit=3))
            continue
        emit(
            event="done",
            task=task,
            seconds=times,
            winners=list(outcome.selected),
            total_cost=format_amount(outcome.total_cost),
        )
        if parse_times is not None:
            emit(event="done", task=f"parse@{task.removeprefix(PAIRED_PREFIX)}", seconds=parse_times)


# --- pabutools (a GPL test oracle: used here only to time it and compare winners) ---------


def _pabutools_calls(instance, profile, cumulative: bool):
    """The calls of ../shared/PABULIB.md B.3, with tie-breaking matching our default chains."""
    from pabutools.election import Cost_Sat, Instance
    from pabutools.election.satisfaction import AdditiveSatisfaction
    from pabutools.rules import (
        greedy_utilitarian_welfare,
        max_additive_utilitarian_welfare,
        method_of_equal_shares,
        sequential_phragmen,
    )
    from pabutools.tiebreaking import TieBreakingRule

    cost_id = TieBreakingRule(lambda inst, prof, p: (p.cost, p.name))
    mes_ties = TieBreakingRule(lambda inst, prof, p: (p.cost, -prof.approval_score(p), p.name))

    class PointsCost_Sat(AdditiveSatisfaction):
        """Points times cost, so that greedy's density is the project's score."""

        def __init__(self, inst, prof, ballot):
            AdditiveSatisfaction.__init__(
                self, inst, prof, ballot, lambda i, pr, b, p, pre: b.get(p, 0) * p.cost
            )

    def greedy():
        sat = PointsCost_Sat if cumulative else Cost_Sat
        return greedy_utilitarian_welfare(instance, profile, sat_class=sat, tie_breaking=cost_id)

    def max_welfare():
        return max_additive_utilitarian_welfare(instance, profile, sat_class=Cost_Sat)

    def mes():
        return method_of_equal_shares(instance, profile, sat_class=Cost_Sat, tie_breaking=mes_ties)

    def phragmen():
        return sequential_phragmen(instance, profile, tie_breaking=cost_id)

    def add1():
        # The cities' Add1: b = floor(B/n), b+1, ...; MES on a copy whose budget limit is b*n;
        # keep the last outcome costing <= B; stop at one costing more, or holding every
        # voted project. The satisfaction profile is built once (its values do not depend on
        # the budget limit), which only makes pabutools faster.
        budget, n = instance.budget_limit, profile.num_ballots()
        if sum(p.cost for p in instance) <= budget:
            return list(instance)
        sat_profile = profile.as_sat_profile(sat_class=Cost_Sat)
        b = int(budget // n)
        kept = []
        while True:
            out = method_of_equal_shares(
                Instance(instance, budget_limit=b * n), profile,
                sat_profile=sat_profile, tie_breaking=mes_ties,
            )
            if sum(p.cost for p in out) > budget:
                return kept
            kept = out
            if len(out) == len(instance):
                return kept
            b += 1

    return {"greedy": greedy, "max-welfare": max_welfare, "mes": mes, "phragmen": phragmen, "add1": add1}


def run_pabutools(path: str, tasks: list[str], max_runs: int, cap: float) -> None:
    from pabutools.election import Instance, parse_pabulib
    from pabutools.election.profile import AbstractCumulativeProfile

    emit(event="begin", task="parse")
    if "parse" in tasks:
        (full, profile), times = timed("parse", lambda: parse_pabulib(path), max_runs, cap)
        emit(event="done", task="parse", seconds=times)
    else:
        full, profile = parse_pabulib(path)
    # Every rule runs on the instance without the projects nobody voted for: pabutools'
    # greedy (and Phragmén) would fund them with money left over; we never do.
    support = dict.fromkeys(full, 0)
    for ballot in profile:
        for p in ballot:
            support[p] += 1
    instance = Instance([p for p in full if support[p] > 0], budget_limit=full.budget_limit)
    emit(event="info", voters=profile.num_ballots(), projects=len(full), voted_projects=len(instance))
    calls = _pabutools_calls(instance, profile, isinstance(profile, AbstractCumulativeProfile))
    for task in tasks:
        if task == "parse":
            continue
        emit(event="begin", task=task)
        try:
            out, times = timed(task, calls[task], max_runs, cap)
        except Exception as exc:
            emit(event="error", task=task, error=f"{type(exc).__name__}: {exc}",
                 trace=traceback.format_exc(limit=3))
            continue
        emit(event="done", task=task, seconds=times, winners=sorted(p.name for p in out))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="one benchmark child process")
    parser.add_argument("engine", choices=("ours", "pabutools"))
    parser.add_argument("file")
    parser.add_argument("--tasks", required=True, help="comma list: parse and rule tasks")
    parser.add_argument("--max-runs", type=int, default=5)
    parser.add_argument("--cap", type=float, default=20.0, help="stop repeating after this many seconds")
    args = parser.parse_args(argv)
    tasks = [t for t in args.tasks.split(",") if t]
    run = run_ours if args.engine == "ours" else run_pabutools
    run(args.file, tasks, args.max_runs, args.cap)
    emit(event="end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
