"""The MES engine for very large electorates: fixed-point lower bounds kept per voter.

On hundreds of thousands of voters, the budget classes of ``_mes_fast`` hold one or two
voters each after a few steps, and creating a class per payer at every payment costs more
than it saves. Here each voter has one fixed-point lower bound of their money (``approx``,
as in ``_mes_fast``: ``a <= money * L * 2**s <= a + err``), updated in place when they pay,
and the marker ``SPENT`` once they have nothing left. A voter's exact money, needed only when
the bounds do not settle a comparison, is rebuilt from their ballot: the per-voter budget
minus the price of every funded project they approve (a voter who is not spent has paid the
full price of each of them: a voter who cannot pay it in full pays all they have and is
spent).

Same decisions as ``_mes_core.run`` (and tested against it); the selection loop, the ties
and the *decide_over* / *bounds* options are those every engine shares (``_mes_steps``).
"""

from __future__ import annotations

from array import array
from collections import deque
from fractions import Fraction
from itertools import chain, compress, repeat
from math import gcd
from operator import itemgetter, ne, setitem

from ..numbers import Ratio
from ._mes_core import Prepared, RunResult
from ._mes_fast import POOL_REACH_SHIFT, ZERO, _fixed_bits
from ._mes_steps import ZERO_RHO, Bounds, Steps, initial_heap

#: The lower bound of a voter who has nothing left (every real bound is at least 0).
SPENT = -1
#: A supporter list drops its spent voters once more than 1/DROP_SPENT of it is spent (as
#: the small and fixed-point engines do); until then they stay in it, marked SPENT, and
#: are left out of every sum and pool. Dropping them as soon as one was spent rebuilt the
#: lists at 330 of 341 evaluations of plain MES on the generated 1,000,000-voter election,
#: removing 929,139 of 8,720,538 entries: engine alone, runs alternated, same steps, 3.366 s
#: against 3.117 s with 1/3 (1/2: 0.95x, 1/4: 0.95x, 1/8: 0.97x; never dropping: 1.01x).
DROP_SPENT = 3


def run_wide(prep: Prepared, u: int, q: int = 1, *, cardinality: bool = False,
             decide_over: int | None = None, decide_within: bool = True,
             bounds: Bounds | None = None) -> RunResult:
    """Plain MES with a per-voter budget of ``u/q`` (the same run as ``_mes_core.run``).

    *prep* must carry the ballots (``Prepared.ballots``), each listing a project at most once.
    *decide_over*, *decide_within* and *bounds* work as in ``_mes_fast.run_fast``.
    """
    if prep.ballots is None:
        raise ValueError("run_wide needs the ballots (Prepared.ballots)")
    L = prep.L
    cost_l = prep.cost_l
    rank = prep.rank
    sups = list(prep.sup)
    shift = _fixed_bits(u, q, L, prep.n_active)
    start = Fraction(u * L, q)  # the initial per-voter budget in units of 1/L
    # Exact money as integers over one common denominator money_den: paid[p] is the price
    # each payer of project p paid, times money_den (0 for projects not funded or free).
    money_den = start.denominator
    start_num = start.numerator
    paid = dict.fromkeys(prep.cands, 0)
    paid_of = paid.__getitem__
    err = 1
    first = (u * L << shift) // q
    # (an array of machine words: compact, and faster to gather from than a list; every
    # bound stays between SPENT and the first one, which fits unless the budget is huge)
    approx = (array('q', [first]) if first < 1 << 62 else [first]) * prep.n_active
    approx_get = approx.__getitem__
    ballots = prep.ballots

    def money_of(i: int) -> int:
        """Voter i's exact money times ``money_den`` (voter i is not spent)."""
        try:
            return start_num - sum(map(paid_of, ballots[i]))
        except KeyError:  # the ballot lists a project that is not a candidate (withdrawn)
            return start_num - sum(paid.get(p, 0) for p in ballots[i])

    def held(voters: list[int]) -> Fraction:
        """The exact money of the given voters (none spent), in units of 1/L: every price
        paid is subtracted once per ballot of the voters that lists its project."""
        try:
            theirs = itemgetter(*voters)(ballots) if len(voters) > 1 else [ballots[i] for i in voters]
            owed = sum(map(paid_of, chain.from_iterable(theirs)))
        except KeyError:  # some ballot lists a project that is not a candidate (withdrawn)
            return Fraction(sum(map(money_of, voters)), money_den)
        return Fraction(len(voters) * start_num - owed, money_den)

    heap = initial_heap(sups, cost_l, rank, L, cardinality)

    def evaluate(k: int):
        """None when unaffordable, else [rho_low, rho_high, W, voters, poor, exact, lows]:
        bounds on rho (equal when no supporter is poor), the number of supporters who pay in
        full, the supporters (spent ones too, until ``DROP_SPENT`` drops them) and the
        positions of the poor ones among them; ``exact`` (filled on demand) is (rho, N), N
        the part of the cost the others pay, in units of 1/L; ``lows`` the voters' bounds as
        read (a payment starts from them)."""
        sp = sups[k]
        # (a tuple, read in one C call; itemgetter returns a bare item for one voter)
        lows = itemgetter(*sp)(approx) if len(sp) > 1 else list(map(approx_get, sp))
        least = min(lows) if lows else 0
        spent = 0
        if least == SPENT:
            spent = lows.count(SPENT)
            if spent * DROP_SPENT > len(lows):  # drop the spent voters from the list for good
                # (operator.ne over repeat(SPENT): SPENT.__ne__ is a method-wrapper that packs
                # a tuple per call, 37 against 20 ns per voter on 300,000)
                alive = list(map(ne, repeat(SPENT), lows))
                sups[k] = sp = list(compress(sp, alive))
                lows = list(compress(lows, alive))
                least = min(lows) if lows else 0
                spent = 0
        cost = cost_l[k]
        n_alive = len(lows) - spent  # (spent voters still listed pay nothing: left out)
        if not n_alive:
            return None if cost else [ZERO_RHO, ZERO_RHO, 1, [], [], (ZERO_RHO, ZERO), ()]
        cs = cost << shift
        some_poor = least * n_alive < cs
        if some_poor:  # (otherwise every supporter can pay cost/n_alive: affordable)
            low_total = sum(lows) + spent  # (a spent voter's bound, -1, counts as 0)
            if low_total < cs:
                if low_total + n_alive * err < cs:
                    return None
                alive_sp = list(compress(sp, map(ne, repeat(SPENT), lows))) if spent else sp
                if held(alive_sp) < cost:
                    return None
        if cost == 0:
            return [ZERO_RHO, ZERO_RHO, 1, sp, [], (ZERO_RHO, ZERO), lows]
        poor: list[int] = []
        W = n_alive
        poor_low = 0  # lower bound of the poor supporters' money, units of 2**-s/L
        if some_poor:
            # Poor/rich passes as in ``_mes_fast``: supporters below the price computed with
            # the poor found so far are certainly poor too (the price only rises).
            poor_set: set[int] = set()
            pool: list[int] = []
            reach = -1
            every = range(len(lows))
            while True:
                top = cs - poor_low  # N * 2**s lies in [top - err*len(poor), top]
                x_hi = -(-top // W)
                x_lo = (top - err * len(poor)) // W
                if x_hi > reach:
                    reach = x_hi + (x_hi >> POOL_REACH_SHIFT)
                    # (a list comprehension: compress over map(reach.__gt__, lows) took 62 ns
                    # per voter on 300,000, this one 30)
                    if spent:
                        pool = [j for j in every if SPENT < lows[j] < reach]
                    else:
                        pool = [j for j in every if lows[j] < reach]
                    if poor_set:
                        pool = [j for j in pool if j not in poor_set]
                maybe = [j for j in pool if lows[j] < x_hi]
                if not maybe:
                    break
                new = [j for j in maybe if lows[j] + err < x_lo]
                if len(new) < len(maybe):  # too close to call on the bounds: decide exactly
                    x = (cost - held([sp[j] for j in poor])) / W
                    new += [j for j in maybe if lows[j] + err >= x_lo
                            and Fraction(money_of(sp[j]), money_den) < x]
                if not new:
                    break
                poor_set.update(new)
                poor += new
                pool = [j for j in pool if j not in poor_set]
                W -= len(new)
                poor_low += sum(map(lows.__getitem__, new))
        den = W * ((L << shift) if cardinality else cs)
        top = cs - poor_low
        if not poor:
            rho = Ratio(top, den)
            return [rho, rho, W, sp, poor, (rho, Fraction(cost)), lows]
        return [Ratio(top - err * len(poor), den), Ratio(top, den), W, sp, poor, None, lows]

    def _exact_rho(ev) -> Ratio:
        return exact_of(ev)[0]

    def _known_rho(ev) -> Ratio:
        return ev[0] if ev[5] is None else ev[5][0]

    def exact_of(ev) -> tuple[Ratio, Fraction]:
        if ev[5] is None:
            N = ev[7] - held([ev[3][j] for j in ev[4]])
            ev[5] = (Ratio(N.numerator, N.denominator * ev[2] * (L if cardinality else ev[7])), N)
        return ev[5]

    steps = Steps(heap, cost_l, Fraction(u, q), bounds, decide_over, decide_within, evaluate)
    for k, ev in steps.funded(_exact_rho, _known_rho):
        _, N = exact_of(ev)
        W, sp, poor = ev[2], ev[3], ev[4]
        if N == 0:
            continue  # a free project: nobody pays
        x = N / W
        wider = x.denominator // gcd(money_den, x.denominator)
        if wider > 1:
            money_den *= wider
            start_num *= wider
            for j in paid:
                paid[j] *= wider
        paid[prep.cands[k]] = x.numerator * (money_den // x.denominator)
        x_up = -((-x.numerator << shift) // x.denominator)  # ceil(x * 2**s)
        err += 1
        # every supporter with something left pays x (lower bounds stay >= 0), computed from
        # the bounds the evaluation read (nobody paid since; spent voters stay SPENT) ...
        new = [a - x_up if a > x_up else 0 if a >= 0 else SPENT for a in ev[6]]
        for j in poor:  # ... except the poor, who pay all they have
            new[j] = SPENT
        # (operator.setitem, a C function, calls the array's slot directly; the bound method
        # approx.__setitem__ is a method-wrapper that packs a tuple per call: 80 against
        # 106 ns per voter, measured on 300,000 voters)
        deque(map(setitem, repeat(approx), sp, new), 0)
    return steps.result()
