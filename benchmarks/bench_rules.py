"""Time our parser and rules against pabutools 1.2.3 and judge the targets of issue 2.

For the larger real files in ../shared/pabulib/ and for a seeded synthetic election of
1,000,000 voters x 200 projects (written to a temporary directory by ``generate.py``), it
prints the parse time and each rule's time (in-process after parsing, best of 5, fewer runs
when a call is slow, more when five runs take under 0.25 s in total), the peak memory,
pabutools' time on the same real files in the same run, the ratio pabutools/ours, and whether the winners are identical; then PASS/FAIL per target.
For the parse-time target, greedy, max-welfare, plain MES and Phragmén are each timed again in a
second child, alternately with parses of the same file (one next to each run), and compared with
those parse runs; the tables and the peak memory come from the first child.

Run from the repository root::

    .venv/bin/python benchmarks/bench_rules.py             # everything (several minutes)
    .venv/bin/python benchmarks/bench_rules.py --quick     # no pabutools, small generated election
    .venv/bin/python benchmarks/bench_rules.py --only Poland_Warszawa_2026.pb --only generated
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import selectors
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from fractions import Fraction
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DATA = Path(os.environ.get("PB_PABULIB_DIR", REPO.parent / "shared" / "pabulib"))
sys.path.insert(0, str(REPO))

from benchmarks import generate  # noqa: E402

RULES = ("greedy", "max-welfare", "mes", "add1", "phragmen")
RULE_LABELS = {
    "parse": "parse",
    "greedy": "greedy",
    "max-welfare": "max-welfare (cost)",
    "mes": "mes (cost, no completion)",
    "add1": "mes (cost, add1)",
    "phragmen": "phragmen",
}
#: The rules the parse-time target judges (max-welfare on the real files only).
PARSE_TARGET_RULES = ("greedy", "phragmen", "mes", "max-welfare")


@dataclass(frozen=True)
class Case:
    """One input: which of our rules to time, which pabutools calls to time next to them."""

    name: str
    rules: tuple[str, ...] = RULES
    #: pabutools' add1 is run side by side only where it takes under a minute.
    pabutools_add1: bool = False
    generated: bool = False


CASES = (
    Case("Netherlands_Assen_2024.pb", pabutools_add1=True),
    Case("Netherlands_Amsterdam_166.pb", pabutools_add1=True),
    Case("Poland_Swiecie_2023.pb"),
    Case("Poland_Wieliczka_2023_Green_Budget.pb"),
    Case("Poland_Warszawa_2023_Mokotow.pb"),
    Case("Netherlands_Amsterdam_309.pb", pabutools_add1=True),
    # Cumulative ballots: only greedy (by score) takes them.
    Case("Poland_Czestochowa_2020.pb", rules=("greedy",)),
    Case("Poland_Warszawa_2026.pb"),
)
GENERATED = "generated"

#: Thresholds of issue 2.
MIN_RATIO = 20
JUDGE_FROM = 0.1  # pabutools seconds; faster calls are reported, not judged
ADD1_WARSAW_LIMIT = 8.0
GEN_RULE_LIMIT = 10.0
GEN_ADD1_LIMIT = 60.0
GEN_MEMORY_LIMIT_KB = 2 * 1024 * 1024


@dataclass
class Step:
    """One timed task of one engine on one input."""

    seconds: list[float] = field(default_factory=list)
    winners: list[str] | None = None
    total_cost: str | None = None
    timeout: float | None = None  # set when a call was killed after this many seconds
    error: str | None = None

    @property
    def best(self) -> float | None:
        return min(self.seconds) if self.seconds else None


@dataclass
class Run:
    """Everything one child process (and its restarts) reported for one input."""

    steps: dict[str, Step] = field(default_factory=dict)
    info: dict = field(default_factory=dict)
    maxrss_kb: int = 0


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def run_child(engine: str, path: Path, tasks: list[str], timeout: float, max_runs: int, cap: float) -> Run:
    """Run the tasks in a child; a call that goes silent for *timeout* s is killed, recorded
    as a timeout, and the child restarts with the tasks that are left."""
    run = Run()
    left = list(tasks)
    env = dict(os.environ, PYTHONHASHSEED="0")
    while left:
        cmd = [sys.executable, str(HERE / "workers.py"), engine, str(path), "--tasks", ",".join(left),
               "--max-runs", str(max_runs), "--cap", str(cap)]
        with tempfile.TemporaryFile() as err:
            proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env, start_new_session=True)
            current, timed_out = None, False
            sel = selectors.DefaultSelector()
            sel.register(proc.stdout, selectors.EVENT_READ)
            buffer = b""
            deadline = time.monotonic() + timeout
            while True:
                if not sel.select(max(0.0, deadline - time.monotonic())):
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)
                    break
                chunk = os.read(proc.stdout.fileno(), 65536)
                if not chunk:
                    break
                buffer += chunk
                *lines, buffer = buffer.split(b"\n")
                for line in lines:
                    try:
                        msg = json.loads(line)
                        event, task = msg["event"], msg.get("task")
                    except (ValueError, KeyError, TypeError):
                        continue  # a library printed something: not ours
                    deadline = time.monotonic() + timeout
                    run.maxrss_kb = max(run.maxrss_kb, msg.get("maxrss_kb", 0))
                    if event == "begin":
                        current = task
                    elif event == "info":
                        run.info = msg
                    elif event == "done":
                        step = run.steps.setdefault(task, Step())
                        step.seconds = msg["seconds"]
                        step.winners = msg.get("winners")
                        step.total_cost = msg.get("total_cost")
                        if task in left:
                            left.remove(task)
                        log(f"  {engine:9} {path.name[:40]:40} {task:12} {min(step.seconds):9.4f} s ({len(step.seconds)} runs)")
                    elif event == "error":
                        run.steps.setdefault(task, Step()).error = msg["error"]
                        if task in left:
                            left.remove(task)
                        log(f"  {engine:9} {path.name[:40]:40} {task:12} ERROR {msg['error']}")
            proc.wait()
            sel.close()
            if timed_out:
                step = run.steps.setdefault(current, Step())
                step.timeout = timeout
                log(f"  {engine:9} {path.name[:40]:40} {current:12} > {timeout:g} s (killed)")
                if current in left:
                    left.remove(current)
                continue
            if left:  # the child died without finishing
                err.seek(0)
                tail = err.read().decode("utf-8", "replace").strip().splitlines()[-3:]
                for task in left:
                    run.steps.setdefault(task, Step()).error = "child failed: " + " | ".join(tail)
                log(f"  {engine:9} {path.name}: child failed: {' | '.join(tail)}")
                left = []
    return run


def git_state() -> str:
    """The commit measured, and whether voting/ differed from it (others may be editing)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "voting"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"commit {head}" + (", with uncommitted changes in voting/" if dirty else ", voting/ as committed")


# --- formatting and judging ------------------------------------------------------------------


def secs(step: Step | None) -> str:
    if step is None:
        return "–"
    if step.error:
        return "error"
    if step.timeout is not None and not step.seconds:
        return f"> {step.timeout:g}"
    best = step.best
    text = f"{best:.3g}" if best >= 0.001 else f"{best:.2g}"
    if len(step.seconds) < 5:
        text += f" [{len(step.seconds)}]"
    return text


def secs_u(step: Step | None) -> str:
    text = secs(step)
    return text if text in ("–", "error") else text + " s"


def welfare(winners, info) -> Fraction:
    votes, costs = info["votes"], info["costs"]
    return sum((votes[p] * Fraction(costs[p]) for p in winners), Fraction(0))


def compare(rule: str, ours: Step | None, theirs: Step | None, info: dict) -> str:
    """'yes'/'NO' when both produced winners; for max-welfare the optimal welfare is compared."""
    if not ours or not theirs or ours.winners is None or theirs.winners is None:
        return "–"
    if rule == "max-welfare":
        return "same welfare" if welfare(ours.winners, info) == welfare(theirs.winners, info) else "NO (welfare)"
    return "yes" if set(ours.winners) == set(theirs.winners) else "NO"


def ratio(ours: Step | None, theirs: Step | None) -> tuple[float | None, str]:
    if not ours or ours.best is None or not theirs:
        return None, "–"
    if theirs.best is not None:
        r = theirs.best / ours.best
        return r, f"{r:.3g}×"
    if theirs.timeout is not None:
        r = theirs.timeout / ours.best
        return r, f"> {r:.3g}×"
    return None, "–"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip pabutools and the 1M election (a small one runs)")
    parser.add_argument("--only", action="append", default=[], metavar="FILE",
                        help=f"only this input (a file name in {DATA}, or '{GENERATED}'); repeatable")
    parser.add_argument("--voters", type=int, default=None, help="voters in the generated election (default 1,000,000; 20,000 with --quick)")
    parser.add_argument("--seed", type=int, default=generate.DEFAULT_SEED)
    parser.add_argument("--timeout", type=float, default=150.0, help="per-call timeout of pabutools (s)")
    parser.add_argument("--add1-timeout", type=float, default=60.0, help="timeout of pabutools' add1 loop (s)")
    parser.add_argument("--ours-timeout", type=float, default=300.0, help="per-call timeout of our engine (s)")
    args = parser.parse_args(argv)

    voters = args.voters or (20_000 if args.quick else generate.DEFAULT_VOTERS)
    cases = list(CASES) + [Case(GENERATED, generated=True)]
    if args.only:
        names = set(args.only)
        unknown = names - {c.name for c in cases}
        if unknown:
            parser.error(f"unknown input(s) {', '.join(sorted(unknown))}; choose from {', '.join(c.name for c in cases)}")
        cases = [c for c in cases if c.name in names]
    with_pabutools = not args.quick

    started = datetime.now(timezone.utc)
    load_before = os.getloadavg()
    print("# Benchmark: parse and rule times, our engine vs pabutools 1.2.3\n")
    print(f"- date: {started:%Y-%m-%d %H:%M} UTC")
    print(f"- machine: {os.cpu_count()} CPUs (nproc), {platform.machine()}, Python {platform.python_version()}")
    print(f"- command: `{shlex.join(['.venv/bin/python', 'benchmarks/bench_rules.py', *(argv if argv is not None else sys.argv[1:])])}`")
    print(f"- code: {git_state()}")
    print(f"- load average at start: {' '.join(f'{x:.2f}' for x in load_before)}")
    print("- times in seconds, best of 5 runs; `[k]` marks a best of only k runs (repeats stop once a task has "
          "spent 20 s, 3 s for pabutools); a task whose 5 runs took under 0.25 s in total keeps running, up to 50 "
          "runs, until they reach 0.25 s (both engines alike); rule times are measured in-process after parsing; "
          "the parse-time target compares each rule with parse runs alternated with its own runs (a section below; "
          "those rounds go on until the rule's runs reach 1 s, up to 50)")
    print("- peak memory: ru_maxrss (peak RSS, resource.getrusage) of the child process that parsed the file "
          "and ran every rule on it (interpreter included)")
    print(f"- pabutools: every rule on the instance without 0-vote projects; per-call timeout {args.timeout:g} s, "
          f"add1 loop {args.add1_timeout:g} s; ties as our default chains\n")

    results: dict[str, tuple[Case, Run, Run | None]] = {}
    with tempfile.TemporaryDirectory(prefix="pb-bench-") as tmp:
        for case in cases:
            if case.generated:
                path = Path(tmp) / f"synthetic_{voters}.pb"
                log(f"generating {voters:,} voters ...")
                gen = generate.write_election(path, voters, generate.DEFAULT_PROJECTS, args.seed, log=log)
                del gen
            else:
                path = DATA / case.name
            log(f"{case.name}:")
            ours = run_child("ours", path, ["parse", *case.rules], args.ours_timeout, 5, 20.0)
            # The parse-time target's pairs, in a child of their own (its memory is not counted).
            pairs = [f"paired:{t}" for t in PARSE_TARGET_RULES if t in case.rules]
            if pairs:
                ours.steps.update(run_child("ours", path, pairs, args.ours_timeout, 5, 20.0).steps)
            theirs = None
            if with_pabutools and not case.generated:
                tasks = ["parse", *[r for r in case.rules if r != "add1"]]
                theirs = run_child("pabutools", path, tasks, args.timeout, 5, 3.0)
                if case.pabutools_add1 and "add1" in case.rules:
                    extra = run_child("pabutools", path, ["add1"], args.add1_timeout, 5, 3.0)
                    theirs.steps.update(extra.steps)
                    theirs.maxrss_kb = max(theirs.maxrss_kb, extra.maxrss_kb)
            results[case.name] = (case, ours, theirs)
            if case.generated:
                path.unlink()

    verdicts = report(results, voters, with_pabutools)
    load_after = os.getloadavg()
    print(f"\nload average at end: {' '.join(f'{x:.2f}' for x in load_after)}; "
          f"wall time {(datetime.now(timezone.utc) - started).total_seconds():.0f} s")
    return 0 if all(v != "FAIL" for v in verdicts) else 1


def report(results, voters: int, with_pabutools: bool) -> list[str]:
    # Inputs.
    print("## Inputs\n")
    print("| input | voters | projects | peak memory ours (MB) | peak memory pabutools (MB) |")
    print("|---|---:|---:|---:|---:|")
    for name, (case, ours, theirs) in results.items():
        label = f"generated (seed, {voters:,} voters)" if case.generated else name
        pab = f"{theirs.maxrss_kb / 1024:.0f}" if theirs else "–"
        print(f"| {label} | {ours.info.get('voters', '?'):,} | {ours.info.get('projects', '?')} | "
              f"{ours.maxrss_kb / 1024:.0f} | {pab} |")

    # Side by side.
    print("\n## Times\n")
    print("| input | step | ours (s) | pabutools (s) | pabutools/ours | same winners | judged |")
    print("|---|---|---:|---:|---:|---|---|")
    speed_fail, winner_fail, unjudged_mismatch, judged_count = [], [], [], 0
    large_add1 = []
    for name, (case, ours, theirs) in results.items():
        for task in ["parse", *case.rules]:
            mine = ours.steps.get(task)
            other = theirs.steps.get(task) if theirs else None
            if task == "add1" and not (case.generated or case.pabutools_add1):
                large_add1.append((name, mine))
                continue
            r, rtext = ratio(mine, other)
            same = compare(task, mine, other, ours.info) if task != "parse" else "–"
            judged = "–"
            if other is not None and task != "parse" and (mine is None or mine.best is None):
                speed_fail.append(f"{name} {task}: ours {secs(mine)}")
            elif other is not None and other.error:
                judged = "pabutools error"
            elif other is not None and task != "parse":
                slow_enough = other.timeout is not None or (other.best is not None and other.best >= JUDGE_FROM)
                if slow_enough:
                    judged_count += 1
                    judged = "yes"
                    if r is None or r < MIN_RATIO:
                        speed_fail.append(f"{name} {task}: {rtext}")
                    if same.startswith("NO"):
                        winner_fail.append(f"{name} {task}")
                else:
                    judged = "no (< 0.1 s)"
                    if same.startswith("NO"):
                        unjudged_mismatch.append(f"{name} {task}")
            label = "generated" if case.generated else name
            print(f"| {label} | {RULE_LABELS[task]} | {secs(mine)} | {secs(other)} | {rtext} | {same} | {judged} |")
    if large_add1:
        print("\n## MES add1 on the large files (ours only: pabutools' Add1 loop takes minutes here)\n")
        print("| input | ours (s) | winners | total cost |")
        print("|---|---:|---:|---:|")
        for name, mine in large_add1:
            n = len(mine.winners) if mine and mine.winners is not None else "–"
            print(f"| {name} | {secs(mine)} | {n} | {(mine.total_cost if mine else None) or '–'} |")

    paired_rows = []
    for name, (case, ours, _) in results.items():
        for task in PARSE_TARGET_RULES:
            step, paired = ours.steps.get(f"paired:{task}"), ours.steps.get(f"parse@{task}")
            if step is not None and step.best is not None and paired is not None and paired.best is not None:
                label = "generated" if case.generated else name
                paired_rows.append(f"| {label} | {RULE_LABELS[task]} | {secs(step)} | {secs(paired)} | "
                                   f"{step.best / paired.best:.2f} |")
    if paired_rows:
        print("\n## Rules against the parse runs alternated with them\n")
        print("Each rule is timed again in a second child process, its runs alternating with parses of the "
              "same file (one next to each run), so that both see the host at the same moments; the parse-time "
              "target compares these two bests. (The tables above and the peak memory come from the first "
              "child: a parse next to a held election doubles the memory in use.)\n")
        print("| input | rule | rule (s) | parse alternated with it (s) | rule/parse |")
        print("|---|---|---:|---:|---:|")
        print("\n".join(paired_rows))

    # Targets.
    print("\n## Targets\n")
    verdicts: list[str] = []

    def verdict(ok: bool | None, text: str, detail: str = "") -> None:
        v = "not run" if ok is None else ("PASS" if ok else "FAIL")
        verdicts.append(v)
        print(f"- **{v}** {text}" + (f": {detail}" if detail else ""))

    if with_pabutools and judged_count:
        missing = [f"{n} {t}" for n, (c, o, th) in results.items() if th
                   for t in c.rules if t in th.steps and th.steps[t].error]
        verdict(not speed_fail and not winner_fail and not missing,
                f"every rule ≥ {MIN_RATIO}× faster than pabutools with identical winners on the {judged_count} judged (file, rule) pairs",
                "; ".join(speed_fail + [f"winners differ: {w}" for w in winner_fail]
                          + [f"pabutools error: {m}" for m in missing]))
        if unjudged_mismatch:
            print(f"  - winners also differ on unjudged pairs: {', '.join(unjudged_mismatch)}")
    elif with_pabutools:
        verdict(None if not speed_fail else False,
                f"every rule ≥ {MIN_RATIO}× faster than pabutools (no pabutools call took ≥ {JUDGE_FROM:g} s: nothing judged)",
                "; ".join(speed_fail))
    else:
        verdict(None, f"every rule ≥ {MIN_RATIO}× faster than pabutools (pabutools not run)")

    warsaw = results.get("Poland_Warszawa_2026.pb")
    if warsaw and "add1" in warsaw[1].steps and warsaw[1].steps["add1"].best is not None:
        t = warsaw[1].steps["add1"].best
        verdict(t < ADD1_WARSAW_LIMIT, f"MES add1 on Warsaw 2026 < {ADD1_WARSAW_LIMIT:g} s", f"{t:.3g} s")
    else:
        verdict(None if not warsaw else False, f"MES add1 on Warsaw 2026 < {ADD1_WARSAW_LIMIT:g} s",
                "" if not warsaw else secs(warsaw[1].steps.get("add1")))

    slower = []
    checked = 0
    for name, (case, ours, _) in results.items():
        parse = ours.steps.get("parse")
        if parse is None or parse.best is None:
            continue
        for task in PARSE_TARGET_RULES:
            if task not in case.rules or (case.generated and task == "max-welfare"):
                continue
            checked += 1
            # (the rule's runs alternated with parse runs, when a child timed them so)
            paired = ours.steps.get(f"parse@{task}")
            against = paired if paired is not None and paired.best is not None else parse
            step = ours.steps.get(f"paired:{task}") if against is paired else ours.steps.get(task)
            if step is None or step.best is None or step.best > against.best:
                how = f"parse alternated with it {secs_u(against)}" if against is paired else f"parse {parse.best:.3g} s"
                slower.append(f"{'generated' if case.generated else name} {task} {secs_u(step)} vs {how}")
    verdict(not slower if checked else None,
            "greedy, Phragmén and plain MES no slower than parsing (every input); max-welfare no slower than parsing (real files)",
            "; ".join(slower))

    gen = results.get(GENERATED)
    where = f"generated election ({voters:,} voters)" + ("" if voters >= 1_000_000 else ", NOT the 1M target size")
    if gen:
        _, ours, _ = gen
        over = [f"{t} {secs_u(ours.steps.get(t))}" for t in ("greedy", "max-welfare", "mes", "phragmen")
                if ours.steps.get(t) is None or ours.steps[t].best is None or ours.steps[t].best >= GEN_RULE_LIMIT]
        verdict(not over, f"{where}: each rule < {GEN_RULE_LIMIT:g} s", "; ".join(over))
        a = ours.steps.get("add1")
        verdict(a is not None and a.best is not None and a.best < GEN_ADD1_LIMIT,
                f"{where}: MES add1 < {GEN_ADD1_LIMIT:g} s", secs_u(a))
        verdict(ours.maxrss_kb < GEN_MEMORY_LIMIT_KB, f"{where}: peak memory < 2 GB",
                f"{ours.maxrss_kb / 1024:.0f} MB peak RSS")
    else:
        verdict(None, "generated election targets")
    return verdicts


if __name__ == "__main__":
    sys.exit(main())
