"""The engine behind the Method of Equal Shares: exact, integer-only, and parametric.

How it stays fast:

- Voters are only tracked through their *budget class*: voters whose remaining budgets are
  equal because they paid for the same projects share a class. A project's supporters are
  counted per class with one C-level pass (``Counter(map(...))``) over its supporter list,
  and the price ρ is then found over the (few) classes, not over the voters.
- Money is kept as integers in units of ``1/D``; when a payment needs a finer unit, ``D`` grows
  and the (few) live classes are rescaled. Rational values are compared by cross-multiplying.
- Each step evaluates projects lazily: a project's ρ never decreases as voters spend money, so
  the value from an earlier step is a lower bound and only the projects at the top of a heap
  are re-evaluated.
- *Parametric runs* (for the ``add1`` completion): with the initial per-voter budget ``u`` left
  symbolic, every budget and every price is an affine function of ``u`` as long as the same
  voters are "poor" and the same projects win. A run at ``u0`` records every comparison it
  relied on as a linear inequality in ``u`` and returns the largest ``u_hi`` such that every
  integer in ``[u0, u_hi]`` gives exactly the same run. The ``+1`` loop then jumps from cell to
  cell instead of rerunning MES for every integer.
"""

from __future__ import annotations

import heapq
from collections import Counter
from dataclasses import dataclass, field
from fractions import Fraction
from math import gcd, lcm
from operator import mul
from typing import Sequence

from ..numbers import Amount


@dataclass(slots=True)
class Prepared:
    """An election reduced to what MES needs, computed once and shared by every run.

    ``cands`` are the fundable projects (at least one vote, not withdrawn); ``sup[k]`` lists
    the indices of the voters who approve ``cands[k]``; ``cost_l[k]`` is the cost times ``L``
    (the common denominator of the costs), an integer; ``rank[k]`` is the position of
    ``cands[k]`` in the tie-break chain's order (lower is preferred).
    """

    cands: list[str]
    costs: list[Amount]
    cost_l: list[int]
    L: int
    sup: list[list[int]]
    rank: list[int]
    n_voters: int
    n_active: int


def prepare(ballot_sets: Sequence[Sequence[str]], cands: list[str], costs: dict[str, Amount],
            rank_of: dict[str, int], n_voters: int) -> Prepared:
    """Build the supporter lists; voters approving no candidate are left out of them."""
    index = {pid: k for k, pid in enumerate(cands)}
    sup: list[list[int]] = [[] for _ in cands]
    active = 0
    for ballot in ballot_sets:
        ks = [index[p] for p in ballot if p in index]
        if not ks:
            continue
        for k in ks:
            sup[k].append(active)
        active += 1
    L = 1
    for pid in cands:
        c = costs[pid]
        if isinstance(c, Fraction):
            L = lcm(L, c.denominator)
    cost_l = [int(costs[p] * L) for p in cands]
    return Prepared(cands, [costs[p] for p in cands], cost_l, L, sup,
                    [rank_of[p] for p in cands], n_voters, active)


@dataclass(slots=True)
class RunResult:
    """One MES run: the candidates chosen (indices, in order), the ties met, and for a
    parametric run the last integer budget ``u_hi`` with the same run (``None``: unbounded)."""

    selected: list[int]
    ties: list[tuple[int, list[int]]] = field(default_factory=list)  # (step, tied indices)
    u_hi: int | None = None


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


def run_fast(prep: Prepared, u: int, q: int = 1, *, cardinality: bool = False) -> RunResult:
    """The same run as ``run(..., track=False)``, tuned for speed.

    Class values are never rescaled: a value is stored in the money unit of the step that
    created it and converted on use by a per-step factor (``D_now / D_then``), with C-level
    ``map`` passes over the classes of one project. Voters who have spent everything are
    dropped from a project's supporter list once they make up a third of it.
    """
    L = prep.L
    cost_l = prep.cost_l
    rank = prep.rank
    sups = list(prep.sup)
    D = L * q
    values = [0, u * L]  # class 0: voters with nothing left
    epoch = [0, 0]
    d_at = [D]
    factor = [1]
    cls = [1] * prep.n_active
    cls_get = cls.__getitem__
    val_get = values.__getitem__
    ep_get = epoch.__getitem__

    heap: list[tuple[Fraction, int, int]] = []
    for k, s in enumerate(sups):
        if cost_l[k] == 0:
            lb = Fraction(0)
        elif cardinality:
            lb = Fraction(cost_l[k], len(s) * L)
        else:
            lb = Fraction(1, len(s))
        heap.append((lb, rank[k], k))
    heapq.heapify(heap)

    def evaluate(k: int):
        sp = sups[k]
        cnt = Counter(map(cls_get, sp))
        spent = cnt.pop(0, 0)
        if spent * 3 > len(sp):
            sups[k] = [i for i in sp if cls[i]]
        cs = cost_l[k] * (D // L)
        if not cnt:
            return None if cs else (Fraction(0), 0, 1, [], [], [], ())
        cl = list(cnt)
        ws = list(cnt.values())
        fac_get = factor.__getitem__
        vals = list(map(mul, map(val_get, cl), map(fac_get, map(ep_get, cl))))
        total = sum(map(mul, ws, vals))
        if total < cs:
            return None
        if cs == 0:
            return (Fraction(0), 0, 1, cl, ws, vals, ())
        n_alive = sum(ws)
        poor: list[int] = []
        pv = 0
        if min(vals) * n_alive < cs:
            pw = 0
            for j in sorted(range(len(cl)), key=vals.__getitem__):
                v = vals[j]
                if v * (n_alive - pw) >= cs - pv:
                    break
                poor.append(j)
                pw += ws[j]
                pv += ws[j] * v
            n_alive -= pw
        n0 = cs - pv
        rho = Fraction(n0, n_alive * (D if cardinality else cs))
        return rho, n0, n_alive, cl, ws, vals, poor

    selected: list[int] = []
    ties: list[tuple[int, list[int]]] = []
    step = 0
    while heap:
        _, rk, k = heapq.heappop(heap)
        ev = evaluate(k)
        if ev is None:
            continue
        val = ev[0]
        if heap and (val, rk) > heap[0][:2]:
            heapq.heappush(heap, (val, rk, k))
            continue
        step += 1
        tied = [k]
        pending = []
        while heap and heap[0][0] == val:
            entry = heapq.heappop(heap)
            ev2 = evaluate(entry[2])
            if ev2 is None:
                continue
            if ev2[0] == val:
                tied.append(entry[2])
            pending.append((ev2[0], entry[1], entry[2]))
        for entry in pending:
            heapq.heappush(heap, entry)
        if len(tied) > 1:
            ties.append((step, tied))
        selected.append(k)
        _, n0, W, cl, ws, vals, poor = ev
        if n0 == 0:
            continue  # a free project: nobody pays
        g = gcd(W, n0)
        f = W // g
        x = n0 // g
        D *= f
        d_at.append(D)
        factor[:] = [D // d for d in d_at]
        now = len(d_at) - 1
        trans = {0: 0}
        poor_set = set(poor)
        for j, c in enumerate(cl):
            if j in poor_set:
                trans[c] = 0
            else:
                trans[c] = len(values)
                values.append(vals[j] * f - x)
                epoch.append(now)
        tget = trans.__getitem__
        for i in sups[k]:
            cls[i] = tget(cls[i])
    return RunResult(selected, ties, None)
