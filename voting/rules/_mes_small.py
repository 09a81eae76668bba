"""The MES engine for small elections: one exact integer of money per voter.

On a few hundred or thousand voters, budget classes (``_mes_core``, ``_mes_fast``) hardly
group anybody after a few steps (each payment splits every class it touches), so their
bookkeeping costs more than it saves. Here every voter's money is an exact integer in units
of ``1/(L*scale)``; when a payment needs a finer unit, ``scale`` grows and every voter's
money is multiplied by the same factor. A project is evaluated on the list of its
supporters' money: the sum says whether they can afford it, and only when some supporter
cannot pay an equal share is the list sorted to find who pays less. The projects are picked
as in every engine (``_mes_steps``).

Same decisions as ``_mes_core.run`` (and tested against it). The integers grow with every
step (the unit can become ``W`` times finer at each payment, ``W`` the number of payers), and
every voter's money is rescaled at each widening, so this engine is for small electorates:
``mes`` uses it below ``SMALL_BELOW`` voters.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from fractions import Fraction
from math import gcd
from operator import itemgetter

from ..numbers import Ratio
from ._mes_core import Prepared, RunResult
from ._mes_steps import ZERO_RHO, Bounds, Steps, initial_heap


def _rho(ev) -> Ratio:
    return ev[0]


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
    records its own for the runs below it (``_mes_steps.Bounds``).
    """
    L = prep.L
    cost_l = prep.cost_l
    rank = prep.rank
    sups = list(prep.sup)
    scale = q  # money and costs in units of 1/(L*scale); each voter starts with u*L of them
    money = [u * L] * prep.n_active
    money_get = money.__getitem__

    heap = initial_heap(sups, cost_l, rank, L, cardinality)

    def evaluate(k: int):
        """None when unaffordable, else [rho, rho, need, W] (rho twice: as both bounds of
        rho): the W supporters who pay in full pay need/W each (units of 1/(L*scale)); the
        others pay all they have."""
        cs = cost_l[k] * scale
        if cs == 0:
            return [ZERO_RHO, ZERO_RHO, 0, 1]
        sp = sups[k]
        ms = list(itemgetter(*sp)(money)) if len(sp) > 1 else list(map(money_get, sp))
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
            # A supporter is poor when their money is below need/W, the equal share of what
            # the supporters not yet found poor still have to pay; that share only rises as
            # poor ones are taken out, so all those below it are taken at once (C-level
            # bisect and sum), and again below the new share, until none is left below it.
            j = 0
            while True:
                below = bisect_left(ms, -(-need // W), j)  # money < ceil(need/W): poor
                if below == j:
                    break
                need -= sum(ms[j:below])
                W -= below - j
                j = below
        rho = Ratio(need, W * (L * scale if cardinality else cs))
        return [rho, rho, need, W]

    steps = Steps(heap, cost_l, Fraction(u, q), bounds, decide_over, decide_within, evaluate)
    for k, ev in steps.funded(_rho, _rho):
        need, W = ev[2], ev[3]
        if need == 0:
            continue  # a free project: nobody pays
        g = gcd(need, W)
        wider = W // g
        if wider > 1:  # need/W is not a whole unit: make the unit W/g times finer
            scale *= wider
            money[:] = [m * wider for m in money]
        x = need // g  # the equal share, in the (new) unit
        for i in sups[k]:
            m = money[i]
            money[i] = m - x if m > x else 0
    return steps.result()
