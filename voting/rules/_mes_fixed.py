"""The MES engine for medium electorates: a fixed-point bound of money per voter, in a list.

Each voter has one integer lower bound of their money (``approx``: ``a <= money * L * 2**s
<= a + err``, the fixed point of ``_mes_fast`` and ``_mes_wide``, with ``s`` from
``_fixed_bits``, so that a bound fits one CPython digit), and the marker ``SPENT`` (-1, a
lower bound of 0 like any other) once they have nothing left. A payment lowers each payer's
bound by the price rounded up and raises ``err`` by one. Unlike exact money per voter
(``_mes_small``), no payment rescales every voter's money to a finer unit, and the bounds
are small integers, quick to add up and sort; unlike budget classes (``_mes_fast``), no
evaluation counts supporters per class.

A candidate is evaluated on its supporters' bounds, sorted. The poor supporters (who cannot
pay an equal share of what the others leave to pay) are a prefix of them: every supporter
whose bound is certainly below that share is taken at once (a C-level bisect), and again
below the new share (it only rises), until none is. When the bounds do not decide whether
the next supporter is poor, or whether the supporters can afford the project at all, the
evaluation is redone on every supporter's exact money. A voter's exact money is rebuilt
from their ballot: the per-voter budget minus the price of each funded project they approve
(a voter who is not spent has paid each in full: one who cannot pays all they have and is
spent). The rho of a candidate with poor supporters is known within bounds; its exact value,
from the poor supporters' exact money, is computed when the selection needs it, and for
every funded project (its price is paid exactly, and recorded for the exact money).

Same decisions as ``_mes_core.run`` (and tested against it); the selection loop, the ties
and the *decide_over* / *bounds* options are those every engine shares (``_mes_steps``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from fractions import Fraction
from itertools import chain, compress, repeat
from math import gcd
from operator import itemgetter, mul, ne, setitem

from ..numbers import Ratio
from ._mes_core import Prepared, RunResult
from ._mes_fast import _fixed_bits
from ._mes_steps import ZERO_RHO, Bounds, Steps, initial_heap
from ._mes_wide import SPENT  # (the bound of a voter with nothing left)


def run_fixed(prep: Prepared, u: int, q: int = 1, *, cardinality: bool = False,
              decide_over: int | None = None, decide_within: bool = True,
              bounds: Bounds | None = None) -> RunResult:
    """Plain MES with a per-voter budget of ``u/q`` (the same run as ``_mes_core.run``).

    *prep* must carry the ballots (``Prepared.ballots``), each listing a project at most once.
    *decide_over*, *decide_within* and *bounds* work as in ``_mes_fast.run_fast``.
    """
    if prep.ballots is None:
        raise ValueError("run_fixed needs the ballots (Prepared.ballots)")
    L = prep.L
    cost_l = prep.cost_l
    sups = list(prep.sup)
    shift = _fixed_bits(u, q, L, prep.n_active)
    start = Fraction(u * L, q)  # the per-voter budget in units of 1/L
    # Exact money as integers over one common denominator money_den: paid[p] is the price
    # each payer of project p paid, times money_den (0 for projects not funded or free).
    money_den = start.denominator
    start_num = start.numerator
    paid = dict.fromkeys(prep.cands, 0)
    paid_of = paid.__getitem__
    paid_get = paid.get
    err = 1
    approx = [(u * L << shift) // q] * prep.n_active
    approx_get = approx.__getitem__
    ballots = prep.ballots

    def money_of(i: int) -> int:
        """Voter i's exact money times ``money_den`` (voter i is not spent)."""
        try:
            return start_num - sum(map(paid_of, ballots[i]))
        except KeyError:  # the ballot lists a project that is not a candidate (withdrawn)
            return start_num - sum(paid_get(p, 0) for p in ballots[i])

    def held(voters: list[int]) -> int:
        """The exact money of the given voters (none spent), times ``money_den``."""
        if not voters:
            return 0
        theirs = itemgetter(*voters)(ballots) if len(voters) > 1 else [ballots[voters[0]]]
        # (filter(None) drops the prices of 0 in C: most projects on a ballot are not funded,
        # and adding 0 to a sum of large integers still makes a new integer)
        try:
            owed = sum(filter(None, map(paid_of, chain.from_iterable(theirs))))
        except KeyError:  # a ballot lists a project that is not a candidate (withdrawn)
            owed = sum(filter(None, map(paid_get, chain.from_iterable(theirs), repeat(0))))
        return len(voters) * start_num - owed

    def rho_of(need: int, W: int, cost: int) -> Ratio:
        """rho from the part *need* of the cost (units of 1/(L*money_den)) that W pay."""
        return Ratio(need, money_den * W * (L if cardinality else cost))

    def equal_shares(W: int, sp: list[int], lows: list[int], cost: int) -> list:
        """The evaluation when all W supporters pay an equal share (nobody is poor)."""
        rho = Ratio(cost, W * L) if cardinality else Ratio(1, W)
        return [rho, rho, W, sp, lows, -1, None, None]

    heap = initial_heap(sups, cost_l, prep.rank, L, cardinality)

    def exactly(k: int, sp: list[int], lows: list[int]):
        """The evaluation of candidate k on its supporters' exact money (see ``evaluate``)."""
        cost = cost_l[k]
        ms = [money_of(i) if a != SPENT else 0 for i, a in zip(sp, lows)]
        need = cost * money_den
        if sum(ms) < need:
            return None
        ranked = sorted(ms)
        W = len(ranked)
        j = 0
        while ranked[j] * W < need:
            need -= ranked[j]
            W -= 1
            j += 1
        rho = rho_of(need, W, cost)
        return [rho, rho, W, sp, lows, ranked[j - 1] if j else -1, need, ms]

    def evaluate(k: int):
        """None when unaffordable, else [rho_low, rho_high, W, voters, lows, poor_below,
        need, ms] (``Steps`` appends the cost): bounds on rho (the same object when rho is
        exact), the number W of supporters who pay in full, the supporters and their bounds
        as read (a payment starts from them: nobody pays in between); the poor supporters
        are those whose bound (or exact money ``ms``, when the evaluation was exact) is at
        most ``poor_below``; ``need`` (None until known) is the part of the cost the others
        pay, in units of 1/(L*money_den)."""
        cost = cost_l[k]
        sp = sups[k]
        if cost == 0:  # a free project: nobody pays
            return [ZERO_RHO, ZERO_RHO, 1, sp, [], -1, 0, None]
        lows = list(itemgetter(*sp)(approx)) if len(sp) > 1 else list(map(approx_get, sp))
        W = len(lows)
        cs = cost << shift
        total = sum(lows)  # (SPENT, -1, is a lower bound of a spent voter's money, 0)
        if total < cs:
            if total + W * err < cs:
                return None
            return exactly(k, sp, lows)  # the bounds do not say whether they can afford it
        ranked = sorted(lows)
        if ranked[0] * W >= cs:  # every supporter can pay an equal share
            return equal_shares(W, sp, lows, cost)
        if ranked[0] == SPENT:
            spent = bisect_right(ranked, SPENT)
            if spent * 3 > W:  # drop the spent voters from the list for good
                alive = list(map(ne, repeat(SPENT), lows))
                sups[k] = sp = list(compress(sp, alive))
                lows = list(compress(lows, alive))
                del ranked[:spent]
                W -= spent
        top = cs  # cs minus the poor supporters' bounds: the part the others pay, within err*j
        j = 0
        while True:  # certainly poor: (a + err) * W < top - err * j
            below = bisect_left(ranked, -((err * j - top) // W) - err, j)
            if below == j:
                break
            top -= sum(ranked[j:below])
            W -= below - j
            j = below
        if j == len(ranked) or ranked[j] * W < top:  # too close to call on the bounds
            return exactly(k, sp, lows)
        if not j:  # (only when spent voters were dropped: nobody else is poor)
            return equal_shares(W, sp, lows, cost)
        den = W * ((L << shift) if cardinality else cs)
        return [Ratio(top - err * j, den), Ratio(top, den), W, sp, lows, ranked[j - 1], None, None]

    def _exact_rho(ev) -> Ratio:
        if ev[0] is not ev[1]:
            below = ev[5]
            poor = [i for i, a in zip(ev[3], ev[4]) if SPENT < a <= below]
            need = ev[6] = ev[8] * money_den - held(poor)
            ev[0] = ev[1] = rho_of(need, ev[2], ev[8])
        return ev[0]

    def _known_rho(ev) -> Ratio:
        return ev[0]

    steps = Steps(heap, cost_l, Fraction(u, q), bounds, decide_over, decide_within, evaluate)
    for k, ev in steps.funded(_exact_rho, _known_rho):
        _exact_rho(ev)
        need = ev[6]
        if need is None:  # nobody is poor: they all pay an equal share
            need = ev[8] * money_den
        if need == 0:
            continue  # a free project: nobody pays
        W, sp, lows, below, ms = ev[2], ev[3], ev[4], ev[5], ev[7]
        x_up = -((-need << shift) // (W * money_den))  # the price, times L * 2**s, rounded up
        # the poor pay all they have; the others pay the price: their bound falls by x_up
        if ms is None:
            new = [SPENT if a <= below else (a - x_up if a > x_up else 0) for a in lows]
        else:
            new = [SPENT if m <= below else (a - x_up if a > x_up else 0) for a, m in zip(lows, ms)]
        g = gcd(need, W)
        wider = W // g  # the price is need/W: money_den becomes W/g times finer
        if wider > 1:
            money_den *= wider
            start_num *= wider
            paid.update(zip(paid, map(mul, paid.values(), repeat(wider))))
        paid[prep.cands[k]] = need // g
        err += 1
        deque(map(setitem, repeat(approx), sp, new), 0)
    return steps.result()
