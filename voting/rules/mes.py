"""The Method of Equal Shares (MES), as equalshares.net and the cities that use it define it.

Every voter starts with an equal share of the money: ``B/n``, or an integer per-voter budget
``b`` during the ``add1`` completion. A project is *affordable* when its supporters together
still hold at least its cost. Its price ``x`` is the smallest payment per supporter that covers
the cost when each supporter pays ``min(x, what they have left)``: poorer supporters pay all
they have. Each step funds the affordable project with the smallest ``rho``, the payment per
unit of utility, and its supporters pay:

- cost utility (a supporter's utility is the project's cost): ``rho = x / cost``; the
  smallest ``rho`` is the highest "effective vote count" ``cost / x`` of equalshares.net;
- cardinality utility (utility 1): ``rho = x``.

Projects with no vote and withdrawn projects are never candidates. Equal ``rho`` is a tie,
decided by the chain (default ``cost,votes,id``: cheapest, then most votes, then id) and
recorded (context ``mes step k``, or ``mes b=315 step k`` under add1). Every decision is exact:
integers and Fractions; the fast engine compares fixed-point bounds first and falls back to
exact values whenever the bounds do not settle a comparison; below ``SMALL_BELOW`` voters
plain runs keep each voter's exact money (``_mes_small``), below ``FIXED_BELOW`` one
fixed-point bound per voter (``_mes_fixed``), and from ``WIDE_FROM`` voters on one
fixed-point bound per voter in arrays (``_mes_wide``).

Completions:

- ``add1``: run MES with the per-voter budget ``b = floor(B/n)``, ``b+1``, ``b+2``, ... and keep
  the last outcome costing at most ``B``; stop at the first outcome costing more than ``B``,
  or at an outcome holding every fundable project. When all fundable projects fit in ``B``
  together, they are all funded at once. This is the procedure equalshares.net calls "Add1",
  not pabutools' ``voter_budget_increment=1`` (which starts at ``B/n`` and stops at the first
  exhaustive outcome). The result is exactly that of the ``+1`` loop, but the loop jumps over
  ranges of ``b`` on which MES provably takes the same steps (see ``_mes_core``), runs at
  nearby budgets share their work (see ``_mes_fast``), and plain runs go in blocks of
  budgets taken from the highest down, each run starting from the rho bounds that the runs
  above it found (valid at every smaller budget: ``_mes_steps.Bounds``).
- ``add1u``: ``add1``, then what is left of ``B`` is filled greedily by votes, skipping the
  projects that no longer fit, ties by the chain.

``compare_greedy`` (Wieliczka's comparison step): greedy by votes within ``B`` gives ``G``;
each voter compares how many of their approved projects ``G`` and the MES outcome fund; if
strictly more voters prefer ``G``, the outcome is ``G``; an exact tie keeps MES.

``details`` of the outcome: ``per_voter_budget`` (``B/n``, or add1's final ``b``; None when
add1 funded everything at once, with ``add1_all_fit``), ``add1_start`` (``floor(B/n)``) and
``add1_steps`` (``b - floor(B/n)``), ``add1u_added`` (the greedy fill), and for the comparison
``voters_preferring_greedy``, ``voters_preferring_mes``, ``comparison_kept`` (``"mes"`` or
``"greedy"``), ``mes_selected`` and ``greedy_selected``. Ties of the greedy fill are recorded as
``mes add1u fill step k``; those of the comparison's greedy (``mes compare-greedy step k``)
only when greedy's outcome is kept.

>>> from voting.model import Ballot, Election, Project
>>> from voting.tiebreak import TieChain
>>> e = Election(300, {"a": Project("a", 200), "b": Project("b", 100), "c": Project("c", 100)},
...              [Ballot("1", ("a",)), Ballot("2", ("a",)), Ballot("3", ("b", "c"))])
>>> mes(e, tie_break=TieChain.parse("cost,votes,id")).selected
['a', 'b']
"""

from __future__ import annotations

from fractions import Fraction
from math import floor

from ..counting import approver_arrays, approvers, distinct_ballot_projects
from ..errors import RuleError
from ..model import Election, VoteType
from ..numbers import Amount, normalize
from ..outcome import Outcome
from ..tiebreak import TieChain, TieRecord
from . import _mes_core as core
from . import _mes_fast as fast
from . import _mes_fixed as fixed
from . import _mes_small as small
from . import _mes_wide as wide
from ._mes_shared import Shared
from ._mes_steps import Bounds

UTILITIES = ("cost", "cardinality")
COMPLETIONS = ("none", "add1", "add1u")
VOTE_TYPES = (VoteType.APPROVAL, VoteType.CHOOSE_1)
#: add1 tries parametric runs (which may certify a range of budgets at once) only up to this
#: many voters.
PARAMETRIC_MAX_VOTERS = 20_000
#: add1 starts with this many plain runs before it tries a parametric one, and waits this
#: many again after the first one that certifies no more than its own budget: a parametric
#: run costs 1.4-2.4x a plain one (Assen, Amsterdam 166, Świecie, Wieliczka, Amsterdam 309),
#: so it pays only where it certifies wide ranges of b.
PLAIN_FIRST = 16
#: add1 runs share work across budgets when ballots approve at most this many fundable
#: projects on average, or when there are at most SHARE_MAX_VOTERS voters (then moving the
#: per-voter classes between histories is cheap whatever the ballots' length: add1 on
#: Amsterdam 166, 426 voters, 11.9 choices on average, 0.89 -> 0.82 s; on Amsterdam 309,
#: 14,411 voters, 10.5 choices, sharing made it slower, 0.218 -> 0.248 s).
SHARE_MAX_MEAN_LENGTH = 6
SHARE_MAX_VOTERS = 1_000
#: After this many runs, add1 stops a run as soon as its outcome is certain to cost at most
#: B; the run kept at the end is then run again in full, a cost that this many runs amortize.
#: Measured in-process (add1, before -> after): Świecie 0.148 -> 0.084 s, Wieliczka 0.373 ->
#: 0.342 s, Warsaw 2026 6.96 -> 5.81 s, Mokotów 17.4 -> 15.6 s; the generated 1,000,000-voter
#: election (7 runs, so never stopped early) 49.6 -> 49.4 s. Stopping from the first run made
#: that election slower (47.7 -> 54.4 s): its kept run stopped 3 steps before its end and had
#: to be run again.
DECIDE_WITHIN_AFTER = 16
#: Below this many voters, plain runs keep one exact integer of money per voter
#: (``_mes_small``) instead of a fixed-point bound per voter (``_mes_fixed``).
#: ``benchmarks/engine_samples.py`` (engines alone on seeded samples of the ballots of
#: Mokotów, Amsterdam 309, Wieliczka and Warsaw 2026, 3 samples per size, runs alternated),
#: time of bounds against exact money, with each file's budget: 1.05-1.14x at 300 voters
#: (Amsterdam 309: 0.93-0.99x), 0.88-1.05x at 426, 0.73-0.99x at 550, 0.63-0.94x at 700,
#: 0.48-0.86x at 1,000 and 1,400. With the budget shrunk with the sample (the same budget per
#: voter, so that only the cheapest projects are funded), 0.82-1.08x at 550, and from 426
#: to 1,000 voters Amsterdam 309 1.03-1.13x and Warsaw 2026 0.97-1.08x, on runs of
#: 0.1-0.45 ms. add1 (``mes`` end to end, file budget, one sample each of 600, 1,000 and
#: 1,400 voters of the same four files) took 0.98-1.01x the time with this threshold
#: against 1,500. (Against budget classes, exact money took 0.36-0.52x the time at 200-400
#: voters.)
SMALL_BELOW = 550
#: Below this many voters (from SMALL_BELOW on), plain runs keep one fixed-point bound of
#: money per voter (``_mes_fixed``) instead of budget classes. Engines alternated in one
#: process, bounds against classes, plain MES: on samples of Warsaw 2026, 0.83x the time at
#: 5,000 voters, 0.89x at 10,000, 1.31x at 20,000, 1.20x at 30,000; Mokotów (11,067 voters)
#: 0.79x, Wieliczka (6,586) 0.93x, Świecie (2,553) 1.06x, Amsterdam 309 (14,411) 1.08x.
#: add1 keeps budget classes wherever its runs share them (see ``_add1``).
FIXED_BELOW = 12_000
#: From this many voters on, plain runs keep one fixed-point bound per voter (``_mes_wide``)
#: instead of budget classes, which then hold one or two voters each. Runs alternated in one
#: process: plain MES on the generated 1,000,000-voter election 4.58-4.67 s per voter against
#: 5.18-5.23 s in classes (add1: 35.8 s against 48.4 s); on Warsaw 2026 (61,668 voters)
#: 0.145 s against 0.046 s.
WIDE_FROM = 250_000
#: The largest block of plain add1 runs made from the top down (see ``_add1``).
BLOCK_MAX = 32
#: After a parametric run that certifies only its own budget, add1 waits this many times
#: longer than the last time before it tries another.
PARAMETRIC_BACKOFF = 4


def mes(
    election: Election,
    *,
    tie_break: TieChain,
    utility: str = "cost",
    completion: str = "none",
    compare_greedy: bool = False,
) -> Outcome:
    """Tally *election* with the Method of Equal Shares (see the module docstring)."""
    if utility not in UTILITIES:
        raise RuleError(f"rule mes: unknown utility {utility!r}; use one of {', '.join(UTILITIES)}")
    if completion not in COMPLETIONS:
        raise RuleError(
            f"rule mes: unknown completion {completion!r}; use one of {', '.join(COMPLETIONS)}"
        )
    vote_type = election.format.vote_type
    if vote_type not in VOTE_TYPES:
        raise RuleError(
            f"rule mes cannot count {VoteType(vote_type).value} ballots; it takes approval and choose-1"
        )
    if isinstance(tie_break, str):
        tie_break = TieChain.parse(tie_break)

    budget = election.budget
    n = len(election.ballots)
    engine = _engine_for(n)
    # (the wide engine reads supporters from arrays of machine integers, and voters' ballots)
    wide_run = engine is wide.run_wide
    sup_all = approver_arrays(election) if wide_run else approvers(election)
    votes = {pid: len(lst) for pid, lst in sup_all.items()}
    costs = {pid: p.cost for pid, p in election.projects.items()}
    fundable = [
        pid for pid, p in election.projects.items() if votes[pid] > 0 and not p.is_withdrawn
    ]
    ranked = tie_break.order(fundable, costs, votes)
    rank_of = {pid: i for i, pid in enumerate(ranked)}
    cardinality = utility == "cardinality"
    details: dict = {}
    ties: list[TieRecord] = []

    def records(run: core.RunResult, prep: core.Prepared, label: str) -> list[TieRecord]:
        out = []
        for step, tied in run.ties:
            rec = tie_break.decide([prep.cands[k] for k in tied], costs, votes, f"{label} step {step}")
            out.append(rec)
        return out

    if n == 0 or not fundable:
        selected: list[str] = []
        if completion != "none":
            details.update(per_voter_budget=None, add1_start=None, add1_steps=0)
    else:
        prep = core.prepare(distinct_ballot_projects(election) if engine in READ_BALLOTS else None,
                            fundable, costs, rank_of, n, sup_all)
        if completion == "none":
            share = Fraction(budget) / n
            run = engine(prep, share.numerator, share.denominator, cardinality=cardinality)
            selected = [prep.cands[k] for k in run.selected]
            ties = records(run, prep, "mes")
            details["per_voter_budget"] = normalize(share)
        else:
            selected, ties, add1_details = _add1(prep, budget, n, cardinality, fundable, ranked,
                                                 records)
            details.update(add1_details)
            if completion == "add1u":
                added, fill_ties = _greedy_fill(
                    selected, ranked, costs, votes, budget, tie_break, "mes add1u fill"
                )
                selected = selected + added
                ties = ties + fill_ties
                details["add1u_added"] = added

    if compare_greedy:
        greedy_sel, greedy_ties = _greedy_fill(
            [], ranked, costs, votes, budget, tie_break, "mes compare-greedy"
        )
        prefer_greedy, prefer_mes = _preferences(election, set(greedy_sel), set(selected))
        kept = "greedy" if prefer_greedy > prefer_mes else "mes"
        details.update(
            voters_preferring_greedy=prefer_greedy,
            voters_preferring_mes=prefer_mes,
            comparison_kept=kept,
            mes_selected=list(selected),
            greedy_selected=list(greedy_sel),
        )
        if kept == "greedy":
            selected = greedy_sel
            ties = greedy_ties

    total = normalize(sum(costs[p] for p in selected))  # (ints stay ints: no Fraction per step)
    return Outcome(
        rule="mes",
        parameters={
            "utility": utility,
            "completion": completion,
            "compare_greedy": compare_greedy,
            "tie_break": str(tie_break),
        },
        budget=budget,
        selected=selected,
        total_cost=total,
        votes=votes,
        ties=ties,
        details=details,
    )


def _add1(prep: core.Prepared, budget: Amount, n: int, cardinality: bool,
          fundable: list[str], ranked: list[str], records):
    """The Add1 completion: the outcome of the ``+1`` loop, computed cell by cell."""
    start = floor(Fraction(budget) / n)
    cost_of = dict(zip(prep.cands, prep.costs))
    if sum(prep.costs) <= budget:
        # Everything fundable fits: no loop (the compute tool and the checker do the same).
        return list(ranked), [], {"per_voter_budget": None, "add1_start": start, "add1_steps": 0,
                                  "add1_all_fit": True}
    m = len(prep.cands)
    # The first cell needs no run to be passed: at b = floor(B/n) the voters hold n*b <= B in
    # all, so the outcome costs at most B, and it cannot hold every fundable project (they
    # cost more than B together). It is run at the end only if it turns out to be the outcome.
    kept_u = start
    kept_run: core.RunResult | None = None
    kept_at = None  # the budget kept_run was computed at (kept_u or below, same steps)
    u = start + 1
    # A plain run stops as soon as it is certain that it costs more than B, and after
    # DECIDE_WITHIN_AFTER runs also as soon as it is certain that it costs at most B: that
    # decides the loop, and only the run kept at the end needs all its steps (rerun if cut).
    over = floor(Fraction(budget) * prep.L)
    # A parametric run costs more than a plain one but may certify a whole range of b.
    # Where ranges are one wide (the order of selection changes with almost every b, as in
    # every large election seen), plain runs do better: start with PLAIN_FIRST of them and
    # try a parametric one now and then, ever more rarely while they certify one budget
    # only; above PARAMETRIC_MAX_VOTERS, never (a parametric run there costs many plain ones).
    parametric = prep.n_active <= PARAMETRIC_MAX_VOTERS
    plain_left = PLAIN_FIRST
    plain_burst = PLAIN_FIRST
    # Sharing work across budgets pays when ballots are short (Warsaw 2026, at most 5 choices:
    # 13.6 s -> 9.3 s) or voters few (SHARE_MAX_VOTERS); with long ballots its finer classes
    # cost more than it saves (Mokotów 2023, up to 15 choices: 25.7 s -> 29.9 s). Either way
    # the outcome is the same.
    approvals = sum(len(s) for s in prep.sup)
    share = approvals <= SHARE_MAX_MEAN_LENGTH * n or n <= SHARE_MAX_VOTERS
    engine = _engine_for(prep.n_active, sharing=share)
    shared = Shared(prep) if share and engine is fast.run_fast else None
    with_shared = {} if shared is None else {"shared": shared}
    # Plain runs go in blocks, each from its highest budget down: the rho bounds a run finds
    # are valid at every smaller budget (``_mes_steps.Bounds``), so the runs below the first
    # one of a block evaluate few projects. Blocks grow from one budget to BLOCK_MAX: the
    # runs of the last block above the first overflow are wasted.
    bounds = Bounds()
    block = 1
    first_top = None  # (b, cost in units of 1/L) of the first block's highest run
    runs = 0
    ended = False
    while not ended:
        if plain_left or not parametric:
            size = min(block, plain_left) if parametric else block
            top = u + size - 1
            done: dict[int, core.RunResult] = {}
            for v in range(top, u - 1, -1):
                runs += 1
                # (the highest run of a block goes to its end: its cost sizes the next block)
                done[v] = engine(prep, v, cardinality=cardinality, decide_over=over,
                                 bounds=bounds, **with_shared,
                                 decide_within=v < top and runs > DECIDE_WITHIN_AFTER)
            plain_left = max(plain_left - size, 0)
            for v in range(u, top + 1):
                run = done[v]
                if sum(cost_of[prep.cands[k]] for k in run.selected) > budget:
                    ended = True  # the outcome for kept_u (cost <= B) stands
                    break
                kept_u, kept_run, kept_at = v, run, (v if run.complete else None)
                if len(run.selected) == m:  # the +1 loop stops at the first exhaustive outcome
                    ended = True
                    break
            u = top + 1
            top_cost = sum(prep.cost_l[k] for k in done[top].selected)
            block = _next_block(block, first_top, top, top_cost, over)
            if first_top is None:
                first_top = (top, top_cost)
            continue
        runs += 1
        run = core.run(prep, u, cardinality=cardinality, track=True)
        if run.u_hi == u:
            plain_left = plain_burst
            plain_burst = min(PARAMETRIC_BACKOFF * plain_burst, 256)
        else:
            plain_burst = 1
        cost = sum(cost_of[prep.cands[k]] for k in run.selected)
        if cost > budget:
            break  # the outcome for kept_u (cost <= B) stands
        if len(run.selected) == m:
            kept_u, kept_run, kept_at = u, run, u
            break
        if run.u_hi is None:  # pragma: no cover - a non-exhaustive run cannot stay forever
            raise AssertionError("MES run valid for every budget but not exhaustive")
        kept_u, kept_run, kept_at = run.u_hi, run, u
        u = run.u_hi + 1
    if kept_at == kept_u:
        final = kept_run  # already run at exactly kept_u: its ties are the ones to record
    else:
        final = engine(prep, kept_u, cardinality=cardinality)
    selected = [prep.cands[k] for k in final.selected]
    return selected, records(final, prep, f"mes b={kept_u}"), {
        "per_voter_budget": kept_u,
        "add1_start": start,
        "add1_steps": kept_u - start,
    }


def _engine_for(n: int, sharing: bool = False):
    """The engine for plain runs on *n* voters: exact money per voter on a small electorate,
    a fixed-point bound per voter on a medium one, budget classes on a large one, and
    fixed-point bounds in arrays on a very large one. Runs that will share budget classes
    across budgets (*sharing*, add1) take classes on a medium electorate too: add1 on Świecie
    0.157 s against 0.355 s with bounds per voter, on Wieliczka 0.529 s against 0.709 s
    (unshared, classes lost: Mokotów 12.6 s against 11.7 s)."""
    if n < SMALL_BELOW:
        return small.run_small
    if n < FIXED_BELOW and not sharing:
        return fixed.run_fixed
    return wide.run_wide if n >= WIDE_FROM else fast.run_fast


#: The engines that read the voters' ballots (``Prepared.ballots``).
READ_BALLOTS = (fixed.run_fixed, wide.run_wide)


def _next_block(block: int, first_top: tuple[int, int] | None, top: int, top_cost: int,
                over: int) -> int:
    """The size of add1's next block of plain runs: twice the last one, at most BLOCK_MAX,
    and at most the number of budgets after which the cost of the blocks' highest runs, on
    its trend since the first block, would pass the limit *over* (the runs of a block above
    its first overflow are wasted). Only speed depends on this, never the outcome."""
    size = min(2 * block, BLOCK_MAX)
    if first_top is not None and top > first_top[0] and top_cost > first_top[1]:
        # budgets to go at the trend's rate: (over - top_cost) / rate, rounded up
        reach = -(-(over - top_cost) * (top - first_top[0]) // (top_cost - first_top[1]))
        size = max(1, min(size, reach))
    return size


def _greedy_fill(already: list[str], ranked: list[str], costs: dict, votes: dict,
                 budget: Amount, chain: TieChain, label: str) -> tuple[list[str], list[TieRecord]]:
    """Greedy by votes over the fundable projects not in *already*, skipping those that no
    longer fit; at each step, the projects that fit with the most votes tie, chain decides."""
    left = budget - sum((costs[p] for p in already), 0)
    rest = [p for p in ranked if p not in set(already)]  # chain order
    added: list[str] = []
    ties: list[TieRecord] = []
    step = 0
    while True:
        fits = [p for p in rest if costs[p] <= left]
        if not fits:
            break
        top = max(votes[p] for p in fits)
        best = [p for p in fits if votes[p] == top]
        step += 1
        chosen = best[0]  # chain order within equal votes
        if len(best) > 1:
            rec = chain.decide(best, costs, votes, f"{label} step {step}")
            assert rec.chosen == chosen
            ties.append(rec)
        added.append(chosen)
        left -= costs[chosen]
        rest.remove(chosen)
    return added, ties


def _preferences(election: Election, greedy: set[str], mes_set: set[str]) -> tuple[int, int]:
    """How many voters fund strictly more of their approved projects under greedy, and under MES."""
    prefer_greedy = prefer_mes = 0
    for ballot in election.ballots:
        g = len(greedy.intersection(ballot.projects))
        m = len(mes_set.intersection(ballot.projects))
        if g > m:
            prefer_greedy += 1
        elif m > g:
            prefer_mes += 1
    return prefer_greedy, prefer_mes
