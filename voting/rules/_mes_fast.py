"""The fast MES engine for large elections.

Same decisions as ``_mes_core.run`` (and tested against it); see ``run_fast``. Runs of the
add1 loop can share their work through ``_mes_shared.Shared``.
"""

from __future__ import annotations

from collections import Counter
from fractions import Fraction
from math import gcd
from itertools import compress
from operator import itemgetter, mul, not_

from ..numbers import Ratio
from ._mes_core import Prepared, RunResult
from ._mes_shared import Shared
from ._mes_steps import ZERO_RHO, Bounds, Steps, initial_heap

#: At most this many bits below the money unit are kept by the fixed-point lower bounds of
#: ``run_fast`` (see ``_fixed_bits``), and at least _MIN_BITS (fewer only if _BITS is).
_BITS = 64
_MIN_BITS = 16
#: A pass's pool reaches 1/2**POOL_REACH_SHIFT above the price bound it was built for.
POOL_REACH_SHIFT = 2
ZERO = Fraction(0)


def run_fast(prep: Prepared, u: int, q: int = 1, *, cardinality: bool = False,
             shared: Shared | None = None, decide_over: int | None = None,
             decide_within: bool = True, bounds: Bounds | None = None) -> RunResult:
    """The same run as ``run(..., track=False)``, tuned for large elections.

    Exact values need ever larger integers (the common denominator of the payments grows at
    every step), so most comparisons are made on fixed-point *lower bounds* instead: a class
    value ``v`` is kept as an integer ``a`` with ``a <= v * L * 2**s <= a + err`` (``s`` from
    ``_fixed_bits``; ``err`` grows by one per payment). Every decision whose outcome the
    bounds do not settle is taken on exact values (Fractions rebuilt from the chain of
    payments), and the prices and rho values themselves are always exact. Voters who have
    spent everything are dropped from a project's supporter list once they make up a third
    of it.

    With *decide_over* (an amount in units of ``1/L``), the run stops as soon as it is certain
    whether its outcome costs more than that, which is all the add1 loop needs to know of most
    runs: once the projects funded so far cost more, or (unless *decide_within* is False) once
    they and every candidate not yet found unaffordable cost no more (later steps fund only
    such candidates). The result then holds the steps taken so far, with ``complete`` False.

    With *shared* (a ``Shared`` for the same election and utility), runs at different budgets
    share their work: see ``Shared``. With *bounds* (a ``Bounds`` for the same election and
    utility), the run starts each step from the rho bounds that runs at budgets at least its
    own found at the same funding history, and records its own for runs below it.
    """
    L = prep.L
    cost_l = prep.cost_l
    rank = prep.rank
    sups = list(prep.sup)
    shift = _fixed_bits(u, q, L, prep.n_active)
    start = Fraction(u * L, q)  # the initial per-voter budget in units of 1/L
    # Money as integers over one common denominator money_den[0], so that sums of money need
    # no Fraction arithmetic: pay_num[s] is the price paid at step s times money_den[0].
    money_den = [start.denominator]
    start_num = [start.numerator]
    pay_num = [0]
    money_memo = {0: 0, 1: start_num[0]}
    err = 1
    if shared is None:
        parent = [0, 0]
        paid_at = [0, 0]
        cls = [1] * prep.n_active
    else:
        parent, paid_at, cls = shared.parent, shared.paid_at, shared.cls
        shared.begin()
    node = 0
    # approx[c]: the lower bound of class c's value (a list indexed by class: faster to
    # gather than a dict); class 0: voters with nothing left.
    approx = [0] * len(parent)
    approx[1] = (u * L << shift) // q
    zero: set[int] = set()  # (shared runs) classes whose voters have nothing left
    cls_get = cls.__getitem__
    approx_get = approx.__getitem__

    def money_of(c: int) -> int:
        """Class c's exact money times ``money_den[0]`` (memoized until it widens)."""
        chain = []
        while c not in money_memo:
            chain.append(c)
            c = parent[c]
        value = money_memo[c]
        for c in reversed(chain):
            value -= pay_num[paid_at[c]]
            money_memo[c] = value
        return value

    def exact(c: int) -> Fraction:
        """Class c's exact money, in units of 1/L."""
        return ZERO if c in zero else Fraction(money_of(c), money_den[0])

    def held_by(classes: list[int], weights: list[int]) -> tuple[int, Fraction]:
        """Total weight and exact money of the given classes: integers over one common
        denominator, so only one Fraction is built."""
        total = sum(weights)
        if zero:  # classes with nothing left hold nothing
            alive = list(map(not_, map(zero.__contains__, classes)))
            classes = list(compress(classes, alive))
            weights = list(compress(weights, alive))
        num = sum(map(mul, weights, map(money_of, classes)))
        return total, Fraction(num, money_den[0])

    heap = initial_heap(sups, cost_l, rank, L, cardinality)

    def evaluate(k: int):
        """None when unaffordable, else [rho_low, rho_high, W, classes, weights, poor, exact]:
        bounds on rho (equal when no supporter is poor), the number of rich supporters and
        the poor classes; ``exact`` (filled on demand) is (rho, N), N the part of the cost
        the rich supporters pay, in units of 1/L."""
        if shared is None:
            sp = sups[k]
            # (itemgetter reads every supporter's class in one C call, without the method
            # call per item of map(cls.__getitem__, ...); it returns a bare item for one)
            cnt = Counter(itemgetter(*sp)(cls) if len(sp) > 1 else map(cls_get, sp))
            spent = cnt.pop(0, 0)
            if spent * 3 > len(sp):
                sups[k] = [i for i in sp if cls[i]]
            cl = list(cnt)
            ws = list(cnt.values())
        else:
            cl, ws = shared.counts(node, k)
            if zero and not zero.isdisjoint(cl):  # leave out the classes with nothing left
                alive = list(map(not_, map(zero.__contains__, cl)))
                cl = list(compress(cl, alive))
                ws = list(compress(ws, alive))
        cost = cost_l[k]
        if not cl:
            return None if cost else [ZERO_RHO, ZERO_RHO, 1, [], [], [], (ZERO_RHO, ZERO)]
        cs = cost << shift
        lows = list(map(approx_get, cl))
        n_alive = sum(ws)
        some_poor = min(lows) * n_alive < cs
        if some_poor:  # (otherwise every supporter can pay cost/n_alive: affordable)
            low_total = sum(lows) if n_alive == len(lows) else sum(map(mul, ws, lows))
            if low_total < cs:
                if low_total + n_alive * err < cs:
                    return None
                if held_by(cl, ws)[1] < cost:
                    return None
        if cost == 0:
            return [ZERO_RHO, ZERO_RHO, 1, cl, ws, [], (ZERO_RHO, ZERO)]
        poor: list[int] = []
        W = n_alive
        poor_low = 0  # lower bound of the poor supporters' money, units of 2**-s/L
        poor_w = 0
        if some_poor:
            # Poor/rich passes: classes below the price computed with the poor found so far
            # are certainly poor too (the price only rises); stop when none is left.
            every = range(len(cl))
            poor_set: set[int] = set()
            # pool: the classes not yet poor whose bound is below `reach`; each pass looks
            # only there while the price bound x_hi stays within reach (it only rises), and
            # the pool is rebuilt from every class, with a wider reach, when it does not.
            pool: list[int] = []
            reach = -1
            while True:
                top = cs - poor_low  # N * 2**s lies in [top - err*poor_w, top]
                x_hi = -(-top // W)
                x_lo = (top - err * poor_w) // W
                if x_hi > reach:
                    reach = x_hi + (x_hi >> POOL_REACH_SHIFT)
                    pool = [j for j in every if lows[j] < reach]
                    if poor_set:
                        pool = [j for j in pool if j not in poor_set]
                maybe = [j for j in pool if lows[j] < x_hi]
                if not maybe:
                    break
                new = [j for j in maybe if lows[j] + err < x_lo]
                if len(new) < len(maybe):  # too close to call on the bounds: decide exactly
                    x = (cost - held_by([cl[j] for j in poor], [ws[j] for j in poor])[1]) / W
                    new += [j for j in maybe if lows[j] + err >= x_lo and exact(cl[j]) < x]
                if not new:
                    break
                poor_set.update(new)
                poor += new
                pool = [j for j in pool if j not in poor_set]
                for j in new:
                    W -= ws[j]
                    poor_w += ws[j]
                    poor_low += ws[j] * lows[j]
        den = W * ((L << shift) if cardinality else cs)
        top = cs - poor_low
        if not poor:
            rho = Ratio(top, den)
            return [rho, rho, W, cl, ws, poor, (rho, Fraction(cost))]
        return [Ratio(top - err * poor_w, den), Ratio(top, den), W, cl, ws, poor, None]

    def _exact_rho(ev) -> Ratio:
        return exact_of(ev)[0]

    def _known_rho(ev) -> Ratio:
        return ev[0] if ev[6] is None else ev[6][0]

    def exact_of(ev) -> tuple[Ratio, Fraction]:
        if ev[6] is None:
            _, held = held_by([ev[3][j] for j in ev[5]], [ev[4][j] for j in ev[5]])
            k_cost = ev[7]
            N = k_cost - held
            ev[6] = (Ratio(N.numerator, N.denominator * ev[2] * (L if cardinality else k_cost)), N)
        return ev[6]

    steps = Steps(heap, cost_l, Fraction(u, q), bounds, decide_over, decide_within, evaluate)
    for k, ev in steps.funded(_exact_rho, _known_rho):
        _, N = exact_of(ev)
        W, cl, poor = ev[2], ev[3], ev[5]
        if N == 0:
            continue  # a free project: nobody pays
        x = N / W
        wider = x.denominator // gcd(money_den[0], x.denominator)
        if wider > 1:
            money_den[0] *= wider
            start_num[0] *= wider
            pay_num[:] = [v * wider for v in pay_num]
            money_memo.clear()
            money_memo[0] = 0
            money_memo[1] = start_num[0]
        pay_num.append(x.numerator * (money_den[0] // x.denominator))
        now = len(pay_num) - 1  # this payment's index (paid_at of the classes it makes)
        x_up = -((-x.numerator << shift) // x.denominator)  # ceil(x * 2**s)
        err += 1
        if shared is None:
            trans = {0: 0}
            poor_classes = {cl[j] for j in poor}
            for c in cl:
                if c in poor_classes:
                    trans[c] = 0
                else:
                    nc = trans[c] = len(parent)
                    approx.append(approx[c] - x_up)
                    parent.append(c)
                    paid_at.append(now)
            tget = trans.__getitem__
            for i in sups[k]:
                cls[i] = tget(cls[i])
        else:
            every = shared.counts(node, k)[0]
            node, trans = shared.child(node, k, every, now)
            if len(approx) < len(parent):
                approx.extend([0] * (len(parent) - len(approx)))
            poor_set = {cl[j] for j in poor}
            for c in every:
                nc = trans[c]
                if c in poor_set or c in zero:
                    zero.add(nc)
                    approx[nc] = 0
                else:
                    approx[nc] = approx[c] - x_up
    if shared is not None:
        shared.end()
    return steps.result()


def _fixed_bits(u: int, q: int, L: int, n: int) -> int:
    """How many bits below the money unit the lower bounds keep: as many as let a voter's
    budget (``u/q``, in units of ``1/L``) stay below ``2**30``, which CPython holds in one
    digit (its arithmetic and comparisons then take their fast paths, and a bound boxed from
    an array is a small object), and the bounds of all *n* voters add up below ``2**62``, so
    that CPython sums them in a machine word; at least _MIN_BITS. Runs alternated in one
    process (``benchmarks/compare.py``), up to 2**30 against up to 2**62: plain MES on the
    generated 1,000,000-voter election 4.71 s against 5.13 s, on Mokotów 47.3 ms against
    50.9 ms; add1 on Warsaw 2026 5.64 s against 6.36 s. Fewer bits only make the bounds
    settle fewer comparisons; the exact values decide."""
    whole = (u * L // q).bit_length()
    room = min(30 - whole, 62 - whole - n.bit_length())
    return min(_BITS, max(_MIN_BITS, room))
