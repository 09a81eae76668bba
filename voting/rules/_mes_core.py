"""The engine behind the Method of Equal Shares: shared data and the exact parametric run.

The engines: this module's ``run`` (exact, and parametric for ``add1``), ``_mes_small`` (exact
money per voter: small electorates), ``_mes_fixed`` (a fixed-point bound per voter: medium
ones), ``_mes_fast`` (budget classes with fixed-point bounds: large ones) and ``_mes_wide``
(a fixed-point bound per voter, in arrays: very large ones); ``mes`` picks one by the number
of voters. Ideas used by ``run`` and ``_mes_fast``:

- Voters are only tracked through their *budget class*: voters whose remaining budgets are
  equal because they paid for the same projects share a class. A project's supporters are
  counted per class with one C-level pass (``Counter(map(...))``) over its supporter list,
  and the price is then found over the classes, not over the voters.
- Each step evaluates projects lazily: a project's rho never decreases as voters spend money,
  so the value from an earlier step is a lower bound and only the projects at the top of a
  heap are re-evaluated (every engine but ``run`` picks projects with ``_mes_steps``).

``run`` keeps money as exact integers in units of ``1/D`` (``D`` grows when a payment needs a
finer unit and the live classes are rescaled), and can run *parametrically* (for ``add1``):
with the per-voter budget ``u`` left symbolic, every budget and price is an affine function of
``u`` as long as the same voters are "poor" and the same projects win. A run at ``u0`` records
every comparison it relied on as a linear inequality in ``u`` and returns the largest ``u_hi``
such that every integer in ``[u0, u_hi]`` gives exactly the same run, so the ``+1`` loop can
jump from cell to cell. (On small elections cells are wide; on large ones they are often one
budget wide, and ``_mes_fast`` does the work.)
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd, lcm
from typing import Iterable, Sequence

from ..numbers import Amount


@dataclass(slots=True)
class Prepared:
    """An election reduced to what MES needs, computed once and shared by every run.

    ``cands`` are the fundable projects (at least one vote, not withdrawn); ``sup[k]`` lists
    the indices of the ballots that approve ``cands[k]``; ``cost_l[k]`` is the cost times ``L``
    (the common denominator of the costs), an integer; ``rank[k]`` is the position of
    ``cands[k]`` in the tie-break chain's order (lower is preferred). ``ballots`` (when
    known) lists each ballot's project ids, for engines that read a voter's ballot.
    """

    cands: list[str]
    costs: list[Amount]
    cost_l: list[int]
    L: int
    sup: list[Sequence[int]]  # lists, or arrays of machine integers (``approver_arrays``)
    rank: list[int]
    n_voters: int
    n_active: int
    ballots: Sequence[Sequence[str]] | None = None


def supporters(ballot_sets: Iterable[Sequence[str]], pids: Iterable[str]) -> dict[str, list[int]]:
    """For each project id, the indices of the ballots that list it (in ballot order). A ballot
    listing a project not in *pids* raises KeyError: ``mes`` passes the lists that
    ``counting.approvers`` built (and checked) instead, so only direct callers come here."""
    lists: dict[str, list[int]] = {pid: [] for pid in pids}
    add = {pid: lst.append for pid, lst in lists.items()}
    for i, ballot in enumerate(ballot_sets):
        for pid in ballot:
            add[pid](i)
    return lists


def prepare(ballot_sets: Sequence[Sequence[str]] | None, cands: list[str], costs: dict[str, Amount],
            rank_of: dict[str, int], n_voters: int,
            sup_all: dict[str, list[int]] | None = None) -> Prepared:
    """Gather what every run needs; *sup_all* (from ``supporters``) saves a pass when known.
    *ballot_sets*, when given, are kept as ``Prepared.ballots``."""
    if sup_all is None:
        sup_all = supporters(ballot_sets, cands)
    sup = [sup_all[p] for p in cands]
    L = 1
    for pid in cands:
        c = costs[pid]
        if isinstance(c, Fraction):
            L = lcm(L, c.denominator)
    cost_l = [int(costs[p] * L) for p in cands]
    return Prepared(cands, [costs[p] for p in cands], cost_l, L, sup,
                    [rank_of[p] for p in cands], n_voters, n_voters, ballot_sets)


@dataclass(slots=True)
class RunResult:
    """One MES run: the candidates chosen (indices, in order), the ties met, for a parametric
    run the last integer budget ``u_hi`` with the same run (``None``: unbounded), and whether
    the run went to its end (``complete``; see ``_mes_fast.run_fast``'s ``decide_over``)."""

    selected: list[int]
    ties: list[tuple[int, list[int]]] = field(default_factory=list)  # (step, tied indices)
    u_hi: int | None = None
    complete: bool = True


class _Region:
    """The integers ``u >= u0`` on which every recorded inequality ``a*u + b >= 0`` (or ``> 0``)
    holds: an interval ``[u0, hi]`` because each inequality is affine and holds at ``u0``."""

    __slots__ = ("u0", "hi")

    def __init__(self, u0: int):
        self.u0 = u0
        self.hi: int | None = None

    def need(self, a: int, b: int, strict: bool) -> None:
        if a >= 0:
            return  # holds at u0, so for every larger u
        # a*u + b >= 0  <=>  u <= b / (-a)
        if strict:
            bound = -((-b) // (-a)) - 1  # largest u with a*u + b > 0
        else:
            bound = b // (-a)
        if self.hi is None or bound < self.hi:
            self.hi = bound


def run(prep: Prepared, u: int, q: int = 1, *, cardinality: bool = False,
        track: bool = False) -> RunResult:
    """Run MES with a per-voter budget of ``u/q``.

    With ``track`` (only for ``q == 1``), also find the largest ``u_hi`` such that MES at every
    integer budget in ``[u, u_hi]`` takes exactly the same steps.
    """
    L = prep.L
    cost_l = prep.cost_l
    sup = prep.sup
    rank = prep.rank
    region = _Region(u) if track else None
    if track and q != 1:
        raise ValueError("parametric runs need an integer per-voter budget")

    # Money in units of 1/D, D = L*q*scale. A class budget is A*u + B units.
    # Non-parametric runs keep A = 0 and B = the value.
    D = L * q
    if track:
        A: dict[int, int] = {1: L}
        B: dict[int, int] = {1: 0}
    else:
        A = {1: 0}
        B = {1: u * L}
    size: dict[int, int] = {1: prep.n_active}
    next_class = 2
    cls = [1] * prep.n_active
    cls_get = cls.__getitem__

    # rho(u) = (r1*u + r0) / rq, an absolute value (independent of D).
    # Initial lower bound: every payment is at least cost / #supporters.
    lows: dict[int, tuple[int, int, int]] = {}
    heap: list[tuple[Fraction, int, int]] = []
    for k, s in enumerate(sup):
        n_k = len(s)
        if cardinality:
            lb = (0, cost_l[k], n_k * L)
        else:
            lb = (0, 1, n_k) if cost_l[k] else (0, 0, 1)
        lows[k] = lb
        heap.append((Fraction(lb[1], lb[2]), rank[k], k))
    heapq.heapify(heap)

    selected: list[int] = []
    ties: list[tuple[int, list[int]]] = []

    def evaluate(k: int):
        """The exact price of candidate k now: None when unaffordable, else
        (rho triple, N1, N0, W, counts, poor classes)."""
        cnt = Counter(map(cls_get, sup[k]))
        cnt.pop(0, None)
        scale = D // L
        cs = cost_l[k] * scale
        if track:
            vals = {c: A[c] * u + B[c] for c in cnt}
        else:
            vals = {c: B[c] for c in cnt}
        total = 0
        for c, w in cnt.items():
            total += w * vals[c]
        if track:
            sa = sum(w * A[c] for c, w in cnt.items())
            sb = sum(w * B[c] for c, w in cnt.items())
            if total < cs:
                region.need(-sa, cs - sb, True)  # stays unaffordable
                return None
            region.need(sa, sb - cs, False)  # stays affordable
        elif total < cs:
            return None
        n_alive = sum(cnt.values())
        if cs == 0:
            rho = (0, 0, 1)
            return rho, 0, 0, 1, cnt, ()
        poor: list[int] = []
        poor_w = 0
        poor_v = 0
        if min(vals.values()) * n_alive < cs:
            for c in sorted(cnt, key=vals.__getitem__):
                w = cnt[c]
                if vals[c] * (n_alive - poor_w) >= cs - poor_v:
                    break
                poor.append(c)
                poor_w += w
                poor_v += w * vals[c]
        W = n_alive - poor_w
        if track:
            n1 = -sum(cnt[c] * A[c] for c in poor)
            n0 = cs - sum(cnt[c] * B[c] for c in poor)
            poor_set = set(poor)
            for c, w in cnt.items():
                if c in poor_set:
                    region.need(n1 - W * A[c], n0 - W * B[c], False)
                else:
                    region.need(W * A[c] - n1, W * B[c] - n0, False)
        else:
            n1 = 0
            n0 = cs - poor_v
        # x = (n1*u + n0) / W units of 1/D.
        if cardinality:
            rho = (n1, n0, W * D)
        else:
            rho = (n1, n0, W * cs)
        return rho, n1, n0, W, cnt, poor

    step = 0
    while heap:
        _, rk, k = heapq.heappop(heap)
        ev = evaluate(k)
        if ev is None:
            del lows[k]
            continue
        rho = ev[0]
        val = Fraction(rho[0] * u + rho[1], rho[2])
        lows[k] = rho
        if heap and (val, rk) > heap[0][:2]:
            heapq.heappush(heap, (val, rk, k))
            continue
        # k is the best; projects whose lower bound equals val may be tied with it.
        step += 1
        tied = [k]
        pending = []
        while heap and heap[0][0] == val:
            _, rk2, k2 = heapq.heappop(heap)
            ev2 = evaluate(k2)
            if ev2 is None:
                del lows[k2]
                continue
            rho2 = ev2[0]
            val2 = Fraction(rho2[0] * u + rho2[1], rho2[2])
            lows[k2] = rho2
            if val2 == val:
                tied.append(k2)
            pending.append((val2, rk2, k2))
        for entry in pending:
            heapq.heappush(heap, entry)
        if len(tied) > 1:
            ties.append((step, tied))
        del lows[k]
        selected.append(k)
        if track:
            p1, p0, pq = rho
            for _, rk2, k2 in heap:
                r1, r0, rq = lows[k2]
                region.need(r1 * pq - p1 * rq, r0 * pq - p0 * rq, rk2 < rk)
        # Pay.
        _, n1, n0, W, cnt, poor = ev
        if cost_l[k] == 0:
            continue
        g = gcd(W, n1, n0)
        f = W // g
        x1, x0 = n1 // g, n0 // g
        if f != 1:
            D *= f
            A = {c: a * f for c, a in A.items()}
            B = {c: b * f for c, b in B.items()}
        trans = {0: 0}
        for c in poor:
            trans[c] = 0
        poor_set = set(poor)
        for c, w in cnt.items():
            if c not in poor_set:
                nc = next_class
                next_class += 1
                trans[c] = nc
                A[nc] = A[c] - x1
                B[nc] = B[c] - x0
                size[nc] = w
            size[c] -= w
            if size[c] == 0:
                del size[c], A[c], B[c]
        tget = trans.__getitem__
        for i in sup[k]:
            cls[i] = tget(cls[i])
    if track:
        return RunResult(selected, ties, region.hi)
    return RunResult(selected, ties, None)
