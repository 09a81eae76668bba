"""The MES engine for small elections: one exact integer of money per voter.

On a few hundred or thousand voters, budget classes (``_mes_core``, ``_mes_fast``) hardly
group anybody after a few steps (each payment splits every class it touches), so their
bookkeeping costs more than it saves. Here every voter's money is an exact integer in units
of ``1/(L*scale)``; when a payment needs a finer unit, ``scale`` grows and every voter's
money is multiplied by the same factor. A project is evaluated on the list of its
supporters' money: the sum says whether they can afford it, and only when some supporter
cannot pay an equal share is the list sorted to find who pays less. The lazy heap of rho
lower bounds is the one of ``_mes_fast``: money only falls, so an earlier rho is a lower
bound.

Same decisions as ``_mes_core.run`` (and tested against it). The integers grow with every
step (the unit can become ``W`` times finer at each payment, ``W`` the number of payers), and
every voter's money is rescaled at each widening, so this engine is for small electorates:
``mes`` uses it below ``SMALL_UP_TO`` voters.
"""

from __future__ import annotations

from bisect import bisect_right
from fractions import Fraction
from heapq import heapify, heappop, heappush
from math import gcd

from ..numbers import Ratio
from ._mes_core import Prepared, RunResult
from ._mes_fast import ZERO_RHO, Bounds, _entry, _exact_order, _push_all


def run_small(prep: Prepared, u: int, q: int = 1, *, cardinality: bool = False,
              decide_over: int | None = None, decide_within: bool = True,
              bounds: Bounds | None = None) -> RunResult:
    """Plain MES with a per-voter budget of ``u/q`` (the same run as ``_mes_core.run``).

    With *decide_over* (an amount in units of ``1/L``), the run stops as soon as it is certain
    whether its outcome costs more than that, as ``_mes_fast.run_fast`` does: once the
    projects funded so far cost more, or (unless *decide_within* is False) once they and
    every candidate not yet found unaffordable cost no more. The result then holds the steps
    taken so far, with ``complete`` False. With *bounds*, the run starts each step from the
    rho bounds that runs at budgets at least its own found at the same funding history, and
    records its own for the runs below it (``_mes_fast.Bounds``).
    """
    L = prep.L
    cost_l = prep.cost_l
    rank = prep.rank
    sups = list(prep.sup)
    scale = q  # money and costs in units of 1/(L*scale); each voter starts with u*L of them
    money = [u * L] * prep.n_active
    money_get = money.__getitem__

    heap: list[tuple[int, int, int, Ratio]] = []
    for k, s in enumerate(sups):
        if cost_l[k] == 0:
            lb = ZERO_RHO
        elif cardinality:
            lb = Ratio(cost_l[k], len(s) * L)
        else:
            lb = Ratio(1, len(s))
        heap.append(_entry(lb, rank[k], k))
    heapify(heap)

    def evaluate(k: int):
        """None when unaffordable, else (rho, need, W): the W supporters who pay in full pay
        need/W each (units of 1/(L*scale)); the others pay all they have."""
        cs = cost_l[k] * scale
        if cs == 0:
            return (ZERO_RHO, 0, 1)
        sp = sups[k]
        ms = list(map(money_get, sp))
        if sum(ms) < cs:
            return None
        W = len(ms)
        need = cs
        if min(ms) * W < need:  # somebody cannot pay an equal share
            ms.sort()
            if ms[0] == 0:
                spent = bisect_right(ms, 0)
                if spent * 3 > W:  # drop the voters with nothing left from the list
                    sups[k] = [i for i in sp if money[i]]
            j = 0
            while ms[j] * W < need:
                need -= ms[j]
                W -= 1
                j += 1
        rho = Ratio(need, W * (L * scale if cardinality else cs))
        return (rho, need, W)

    fresh: dict[int, tuple] = {}  # evaluations since the last payment

    def evaluated(k: int):
        ev = fresh.get(k)
        if ev is None:
            ev = evaluate(k)
            if ev is not None:
                fresh[k] = ev
        return ev

    selected: list[int] = []
    ties: list[tuple[int, list[int]]] = []
    spent_l = 0
    left_l = sum(cost_l)  # the cost of the candidates neither funded nor found unaffordable
    budget = Fraction(u, q)
    tnode = 0  # this run's node in ``bounds``' tree of histories
    seeded = -1  # the last step whose heap took the bounds of earlier runs
    snap = None  # the bounds of an earlier run at this step's node: project -> heap entry
    while heap:
        if bounds is not None and seeded != len(selected):
            seeded = len(selected)
            snap = bounds.get(tnode, budget)
        if snap is not None:
            entry = heappop(heap)
            known = snap.get(entry[2])
            if known is None:  # unaffordable there, so here too
                left_l -= cost_l[entry[2]]
                continue
            if known[0] > entry[0]:  # a better bound: back into the heap, no evaluation
                heappush(heap, known)
                continue
            _, rk, k, _ = entry
        else:
            _, rk, k, _ = heappop(heap)
        ev = evaluated(k)
        if ev is None:
            left_l -= cost_l[k]
            continue  # unaffordable now, so for good (money only falls)
        rho = ev[0]
        tied = [k]
        if heap and rho.floor_key() >= heap[0][0]:
            # rho is not below every bound: the least bound (with its rank) is among the
            # entries with the least key, and so is every bound equal to rho when k wins.
            close = [heappop(heap)]
            least = close[0][0]
            while heap and heap[0][0] == least:
                close.append(heappop(heap))
            close.sort(key=_exact_order)
            top_bound, top_rank = close[0][3], close[0][1]
            if rho > top_bound or (rho == top_bound and rk > top_rank):
                close.append(_entry(rho, rk, k))
                _push_all(heap, close)
                continue
            pending = []
            for entry in close:
                if not entry[3] == rho:
                    pending.append(entry)
                    continue
                ev2 = evaluated(entry[2])
                if ev2 is None:
                    left_l -= cost_l[entry[2]]
                    continue
                if ev2[0] == rho:
                    tied.append(entry[2])
                pending.append(_entry(ev2[0], entry[1], entry[2]))
            _push_all(heap, pending)
        if bounds is not None:
            kept = list(heap)
            kept.append(_entry(rho, rk, k))
            tnode = bounds.put(tnode, budget, kept, k)
        if len(tied) > 1:
            ties.append((len(selected) + 1, tied))
        selected.append(k)
        spent_l += cost_l[k]
        left_l -= cost_l[k]
        if decide_over is not None and (spent_l > decide_over
                                        or decide_within and spent_l + left_l <= decide_over):
            return RunResult(selected, ties, None, not heap)
        _, need, W = ev
        if need == 0:
            continue  # a free project: nobody pays
        fresh.clear()
        g = gcd(need, W)
        wider = W // g
        if wider > 1:  # need/W is not a whole unit: make the unit W/g times finer
            scale *= wider
            money[:] = [m * wider for m in money]
        x = need // g  # the equal share, in the (new) unit
        for i in sups[k]:
            m = money[i]
            money[i] = m - x if m > x else 0
    return RunResult(selected, ties, None, True)
