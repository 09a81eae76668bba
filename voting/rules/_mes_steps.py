"""The selection loop that every MES engine shares (``_mes_small``, ``_mes_fixed``, ``_mes_fast``,
``_mes_wide``).

The engines differ in how they keep money and evaluate a candidate; they all pick the next
project the same way: a heap of rho *lower bounds* (money only falls, so an earlier rho is a
lower bound), ordered by an integer key (the bound rounded down, ``Ratio.floor_key``) and
then by rank in the tie-break order. A candidate taken from the heap is evaluated; it wins
when its rho is not above any bound left, and the candidates whose bound equals its rho are
evaluated to find the ties.
"""

from __future__ import annotations

import heapq
from fractions import Fraction
from typing import Any, Callable

from ..numbers import Ratio
from ._mes_core import RunResult

#: An entry of the heap: (key, rank, candidate, lower bound of rho).
Entry = tuple[int, int, int, Ratio]
ZERO_RHO = Ratio(0, 1)


def entry(bound: Ratio, rank: int, k: int) -> Entry:
    return (bound.floor_key(), rank, k, bound)


def _exact_order(e: Entry) -> tuple[Ratio, int]:
    """Sort key of heap entries by (exact bound, rank)."""
    return (e[3], e[1])


def initial_heap(sups: list[list[int]], cost_l: list[int], rank: list[int], L: int,
                 cardinality: bool) -> list[Entry]:
    """The heap before any payment: every candidate's rho is at least what it would be if
    every supporter paid an equal share (free projects: 0)."""
    heap: list[Entry] = []
    for k, s in enumerate(sups):
        if cost_l[k] == 0:
            lb = ZERO_RHO
        elif cardinality:
            lb = Ratio(cost_l[k], len(s) * L)
        else:
            lb = Ratio(1, len(s))
        heap.append(entry(lb, rank[k], k))
    heapq.heapify(heap)
    return heap


def push_all(heap: list, entries: list) -> None:
    for e in entries:
        heapq.heappush(heap, e)


class Steps:
    """One run's selection: the heap, what was funded, the ties, and the bookkeeping of the
    ``decide_over`` and ``bounds`` options (see ``_mes_fast.run_fast``).

    An engine's ``evaluate(k)`` gives None when candidate k is unaffordable, else a list whose
    first two items are a lower and an upper bound of rho (equal when exact); the candidate's
    cost (units of 1/L) is appended to it. ``exact_rho(ev)`` gives the exact rho,
    ``known_rho(ev)`` the best lower bound already known (the exact rho if it was computed).
    The engine takes the funded projects from ``funded`` and makes their supporters pay;
    the evaluations kept since the last payment (``fresh``) are then dropped.
    """

    def __init__(self, heap: list[Entry], cost_l: list[int], budget: Fraction, bounds: Bounds | None,
                 decide_over: int | None, decide_within: bool, evaluate: Callable[[int], Any]):
        # A project taken from the heap again before anybody pays (about 1 evaluation in 10)
        # gets the same result, so it is kept.
        fresh: dict[int, list] = {}
        self.fresh = fresh

        def evaluated(k: int):
            ev = fresh.get(k)
            if ev is None:
                ev = evaluate(k)
                if ev is not None:
                    ev.append(cost_l[k])
                    fresh[k] = ev
            return ev

        self.evaluated = evaluated
        self.heap = heap
        self.cost_l = cost_l
        self.budget = budget
        self.bounds = bounds
        self.decide_over = decide_over
        self.decide_within = decide_within
        self.selected: list[int] = []
        self.ties: list[tuple[int, list[int]]] = []
        self.spent_l = 0
        self.left_l = sum(cost_l)  # the cost of the candidates neither funded nor unaffordable
        self.node = 0  # this run's node in ``bounds``' tree of histories
        self.complete = True

    def next(self, exact_rho: Callable[[Any], Ratio], known_rho: Callable[[Any], Ratio]):
        """Fund the next project and return ``(k, ev)``; None when no candidate is left, or
        when the run has decided its cost against ``decide_over`` (``complete`` then says
        whether it had also ended)."""
        heap = self.heap
        cost_l = self.cost_l
        evaluated = self.evaluated
        heappop = heapq.heappop
        bounds = self.bounds
        # the bounds of an earlier run at this step's node: project -> heap entry
        snap = bounds.get(self.node, self.budget) if bounds is not None else None
        while heap:
            if snap is not None:
                e = heappop(heap)
                known = snap.get(e[2])
                if known is None:  # unaffordable there, so here too
                    self.left_l -= cost_l[e[2]]
                    continue
                if known[0] > e[0]:  # a better bound: back into the heap, no evaluation
                    heapq.heappush(heap, known)
                    continue
                _, rk, k, _ = e
            else:
                _, rk, k, _ = heappop(heap)
            ev = evaluated(k)
            if ev is None:
                self.left_l -= cost_l[k]
                continue
            lo = ev[0]
            tied = [k]
            if heap and (lo_key := lo.floor_key()) > heap[0][0]:
                # certainly above the least bound (whose key, its floor, is below lo's):
                # back into the heap with its new bound, the others untouched
                heapq.heappush(heap, (lo_key, rk, k, lo))
                continue
            if heap and ev[1].floor_key() >= heap[0][0]:
                # the upper bound is not below every bound: the least bound (with its rank)
                # is among the entries with the least key (a smaller key means a smaller
                # bound), and so is every bound equal to it; compare exactly among those.
                close = [heappop(heap)]
                least = close[0][0]
                while heap and heap[0][0] == least:
                    close.append(heappop(heap))
                close.sort(key=_exact_order)
                top_bound, top_rank = close[0][3], close[0][1]
                if lo > top_bound:
                    close.append(entry(lo, rk, k))
                    push_all(heap, close)
                    continue
                val = exact_rho(ev)
                if val > top_bound or (val == top_bound and rk > top_rank):
                    close.append(entry(val, rk, k))
                    push_all(heap, close)
                    continue
                # k is the best; projects whose lower bound equals val may be tied with it.
                pending = []
                for e in close:
                    if not e[3] == val:
                        pending.append(e)
                        continue
                    ev2 = evaluated(e[2])
                    if ev2 is None:
                        self.left_l -= cost_l[e[2]]
                        continue
                    if ev2[0] <= val <= ev2[1]:
                        val2 = exact_rho(ev2)
                        if val2 == val:
                            tied.append(e[2])
                    else:
                        val2 = ev2[0] if ev2[0] > val else exact_rho(ev2)
                    pending.append(entry(val2, e[1], e[2]))
                push_all(heap, pending)
            if bounds is not None:
                kept = list(heap)
                kept.append(entry(known_rho(ev), rk, k))
                self.node = bounds.put(self.node, self.budget, kept, k)
            selected = self.selected
            selected.append(k)
            if len(tied) > 1:
                self.ties.append((len(selected), tied))
            self.spent_l += cost_l[k]
            self.left_l -= cost_l[k]
            over = self.decide_over
            if over is not None and (self.spent_l > over
                                     or self.decide_within and self.spent_l + self.left_l <= over):
                self.complete = not heap
                return None
            return k, ev
        return None

    def funded(self, exact_rho: Callable[[Any], Ratio], known_rho: Callable[[Any], Ratio]):
        """Each project funded, as ``(k, ev)`` (see ``next``), until the run ends: the engine
        makes its supporters pay before taking the next one."""
        while (got := self.next(exact_rho, known_rho)) is not None:
            yield got
            self.fresh.clear()  # (money changed: the evaluations kept are stale)

    def result(self) -> RunResult:
        return RunResult(self.selected, self.ties, None, self.complete)


class Bounds:
    """Lower bounds of every candidate's rho at each history node, kept across the runs of
    the add1 loop. At a fixed history (the same projects funded in the same order), every
    voter's money is nondecreasing in the per-voter budget, so every rho is nonincreasing in
    it and a project unaffordable at one budget is unaffordable at every smaller one: the
    bounds a run found are valid for every run at a budget at most its own."""

    def __init__(self) -> None:
        self.children: dict[tuple[int, int], int] = {}
        self.snaps: dict[int, tuple[Fraction, dict]] = {}

    def get(self, node: int, budget: Fraction):
        got = self.snaps.get(node)
        if got is None or got[0] < budget:
            return None
        if type(got[1]) is list:
            got = self.snaps[node] = (got[0], {entry[2]: entry for entry in got[1]})
        return got[1]

    def put(self, node: int, budget: Fraction, entries: list, k: int) -> int:
        self.snaps[node] = (budget, entries)
        key = (node, k)
        child = self.children.get(key)
        if child is None:
            child = self.children[key] = len(self.children) + 1
        return child
