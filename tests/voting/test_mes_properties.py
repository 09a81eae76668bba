"""Hypothesis properties of MES: a plain reference implementation, the +1 loop, invariances,
the add1/add1u characterisations, the parametric engine's ranges, and pabutools 1.2.3."""

from __future__ import annotations

import random
from dataclasses import replace
from fractions import Fraction
from math import floor
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.oracle import require_pabutools
from tests.voting.engines import ENGINES, forced, mes_module
from tests.voting.strategies import elections
from voting.counting import vote_counts
from voting.model import Ballot, Election, Project
from voting.rules import _mes_core as core
from voting.rules import _mes_fast as fast
from voting.rules import _mes_fixed as fixed_engine
from voting.rules import _mes_small as small_engine
from voting.rules import _mes_wide as wide_engine
from voting.rules._mes_shared import Shared
from voting.rules._mes_steps import Bounds
from voting.rules.mes import mes
from voting.tiebreak import TieChain

CHAINS = ("cost,votes,id", "votes,id", "id-desc", "cost-desc,id")
small = elections(vote_type=None, max_projects=6, max_voters=10, max_cost=60)
small_frac = elections(vote_type=None, max_projects=5, max_voters=8, max_cost=40,
                       with_costs_fractional=True)


# --- a deliberately plain reference: one Fraction per voter, every project every step -------

def reference_mes(election: Election, share, chain: TieChain, cardinality: bool = False):
    """Selected ids in order and the tied sets, by the definition and nothing clever."""
    votes = vote_counts(election)
    costs = {p: pr.cost for p, pr in election.projects.items()}
    key = chain.sort_key(costs, votes)
    ballots = [set(b.projects) for b in election.ballots]
    money = [Fraction(share)] * len(ballots)
    left = [p for p, pr in election.projects.items() if votes[p] and not pr.is_withdrawn]
    selected, ties = [], []
    while True:
        prices = {}
        for p in left:
            backers = sorted(money[i] for i, b in enumerate(ballots) if p in b)
            cost = Fraction(costs[p])
            if sum(backers) < cost:
                continue
            x, paid = Fraction(0), Fraction(0)
            for j, have in enumerate(backers):
                x = (cost - paid) / (len(backers) - j)
                if have >= x:
                    break
                paid += have
            prices[p] = (x if cardinality else (x / cost if cost else Fraction(0)), x)
        left = [p for p in left if p in prices]
        if not prices:
            return selected, ties
        best = min(r for r, _ in prices.values())
        tied = [p for p in prices if prices[p][0] == best]
        chosen = min(tied, key=key)
        if len(tied) > 1:
            ties.append(tuple(sorted(tied)))
        x = prices[chosen][1]
        for i, b in enumerate(ballots):
            if chosen in b:
                money[i] -= min(money[i], x)
        selected.append(chosen)
        left.remove(chosen)


def reference_add1(election: Election, chain: TieChain, cardinality: bool = False):
    """The +1 loop exactly as the cities describe it: (selected, b*) or (all, None)."""
    votes = vote_counts(election)
    fundable = [p for p, pr in election.projects.items() if votes[p] and not pr.is_withdrawn]
    cost = lambda sel: sum(election.projects[p].cost for p in sel)  # noqa: E731
    if cost(fundable) <= election.budget:
        return sorted(fundable), None
    b = floor(Fraction(election.budget) / len(election.ballots))
    kept = None
    while True:
        sel, _ = reference_mes(election, b, chain, cardinality)
        if cost(sel) > election.budget:
            return kept
        kept = (sel, b)
        if len(sel) == len(fundable):
            return kept
        b += 1


def at_per_voter_budget(election: Election, b) -> Election:
    """The same election with B = b·n, so that plain MES gives each voter exactly b."""
    return replace(election, budget=b * len(election.ballots))


def _prepared(election: Election, keep_withdrawn: bool = False) -> core.Prepared | None:
    """What the MES engines need of *election* (projects with votes, withdrawn ones too
    if asked; ranks by the default chain), or None when no project can be funded."""
    votes = vote_counts(election)
    costs = {p: pr.cost for p, pr in election.projects.items()}
    fundable = [p for p, pr in election.projects.items()
                if votes[p] and (keep_withdrawn or not pr.is_withdrawn)]
    if not fundable:
        return None
    chain = TieChain.parse("cost,votes,id")
    rank = {p: i for i, p in enumerate(chain.order(fundable, costs, votes))}
    return core.prepare([b.projects for b in election.ballots], fundable, costs, rank,
                        len(election.ballots))


# --- properties (ENGINES: what makes mes() count any electorate with each engine) -------

@given(small, st.sampled_from(CHAINS), st.booleans(), st.sampled_from(sorted(ENGINES)))
def test_plain_mes_equals_the_reference(election, chain_text, cardinality, engine):
    """Plain MES, counting money per voter or in budget classes, picks the same projects in
    the same order, with the same ties, as the reference."""
    chain = TieChain.parse(chain_text)
    with forced(engine):
        out = mes(election, tie_break=chain, utility="cardinality" if cardinality else "cost")
    if not election.ballots:
        assert out.selected == []
        return
    sel, ties = reference_mes(election, Fraction(election.budget) / len(election.ballots), chain,
                              cardinality)
    assert out.selected == sel
    assert [t.tied for t in out.ties] == ties
    assert all(t.chosen == out.selected[int(t.context.split()[-1]) - 1] for t in out.ties)


@given(small_frac, st.booleans(), st.sampled_from(sorted(ENGINES)))
def test_plain_mes_equals_the_reference_with_decimal_costs(election, cardinality, engine):
    """With decimal costs too, plain MES (either engine) matches the reference exactly."""
    chain = TieChain.parse("cost,votes,id")
    with forced(engine):
        out = mes(election, tie_break=chain, utility="cardinality" if cardinality else "cost")
    if election.ballots:
        share = Fraction(election.budget) / len(election.ballots)
        assert out.selected == reference_mes(election, share, chain, cardinality)[0]


@settings(max_examples=80)
@given(small, st.sampled_from(CHAINS), st.booleans(), st.sampled_from([0, 1, 16]),
       st.sampled_from(sorted(ENGINES)))
def test_add1_equals_the_plus_one_loop(election, chain_text, cardinality, plain_first, engine):
    """add1 (which jumps over ranges of b with parametric runs, tried after 0, 1 or 16 plain
    runs, its plain runs counting money per voter or in classes) gives exactly the outcome
    of the plain +1 loop."""
    if not election.ballots:
        return
    chain = TieChain.parse(chain_text)
    with forced(engine, PLAIN_FIRST=plain_first):
        out = mes(election, tie_break=chain, completion="add1",
                  utility="cardinality" if cardinality else "cost")
    expected = reference_add1(election, chain, cardinality)
    if expected[1] is None:
        assert sorted(out.selected) == expected[0] and out.details["per_voter_budget"] is None
    else:
        assert (out.selected, out.details["per_voter_budget"]) == expected


@settings(max_examples=60)
@given(small, st.booleans(), st.booleans(), st.booleans(), st.sampled_from(["classes", "wide"]))
def test_add1_without_parametric_runs_equals_the_plus_one_loop(election, cardinality, share,
                                                                decide_early, engine):
    """The add1 paths large elections take (only plain runs in classes, sharing work across
    budgets or not, or per voter with fixed-point bounds; no parametric runs; runs stopped
    once their cost against B is certain from the first run on or not) also give exactly the
    outcome of the plain +1 loop."""
    if not election.ballots:
        return
    chain = TieChain.parse("cost,votes,id")
    patches = {**ENGINES[engine],
               "PARAMETRIC_MAX_VOTERS": -1, "SHARE_MAX_MEAN_LENGTH": 10**9 if share else -1,
               "SHARE_MAX_VOTERS": 10**9 if share else -1}
    if decide_early:
        patches["DECIDE_WITHIN_AFTER"] = 0
    with mock.patch.multiple(mes_module, **patches):
        out = mes(election, tie_break=chain, completion="add1",
                  utility="cardinality" if cardinality else "cost")
    expected = reference_add1(election, chain, cardinality)
    if expected[1] is None:
        assert sorted(out.selected) == expected[0]
    else:
        assert (out.selected, out.details["per_voter_budget"]) == expected


@given(small)
def test_add1_is_mes_at_the_last_budget_that_fits(election):
    """add1's outcome is MES at an integer b* ≥ floor(B/n) costing ≤ B, and MES at b*+1 costs
    more than B, or b* already funds every voted project."""
    chain = TieChain.parse("cost,votes,id")
    out = mes(election, tie_break=chain, completion="add1")
    assert out.total_cost <= election.budget
    b = out.details["per_voter_budget"]
    if b is None:  # nothing voted, or everything voted fits at once
        voted = [p for p, v in out.votes.items() if v]
        assert sorted(out.selected) == sorted(voted)
        assert sum(election.projects[p].cost for p in voted) <= election.budget
        return
    assert b >= floor(Fraction(election.budget) / len(election.ballots))
    assert mes(at_per_voter_budget(election, b), tie_break=chain).selected == out.selected
    voted = {p for p, v in out.votes.items() if v}
    if set(out.selected) != voted:
        after = mes(at_per_voter_budget(election, b + 1), tie_break=chain)
        assert after.total_cost > election.budget


@given(small)
def test_add1u_leaves_nothing_that_fits(election):
    """add1u extends add1's outcome, stays within B and leaves no voted project that fits."""
    chain = TieChain.parse("cost,votes,id")
    add1 = mes(election, tie_break=chain, completion="add1")
    out = mes(election, tie_break=chain, completion="add1u")
    assert out.selected[: len(add1.selected)] == add1.selected
    assert out.total_cost <= election.budget
    left = election.budget - out.total_cost
    for pid, project in election.projects.items():
        if pid not in out.selected and out.votes[pid] and not project.is_withdrawn:
            assert project.cost > left


@given(small, st.sampled_from(("none", "add1", "add1u")), st.booleans(), st.booleans())
def test_budget_never_exceeded(election, completion, compare, cardinality):
    """No completion, comparison or utility ever spends more than the budget."""
    out = mes(election, tie_break=TieChain.parse("cost,votes,id"), completion=completion,
              compare_greedy=compare, utility="cardinality" if cardinality else "cost")
    assert out.total_cost == sum((election.projects[p].cost for p in out.selected), 0)
    assert out.total_cost <= election.budget
    assert len(set(out.selected)) == len(out.selected)
    assert all(out.votes[p] > 0 for p in out.selected)


@given(small, st.sampled_from(("none", "add1", "add1u")), st.booleans(), st.randoms())
def test_independent_of_ballot_order_and_voter_ids(election, completion, compare, rnd):
    """Shuffling the ballots and renaming the voters changes nothing in the outcome's JSON."""
    chain = TieChain.parse("cost,votes,id")
    ballots = list(election.ballots)
    rnd.shuffle(ballots)
    renamed = [Ballot(f"v{i}", b.projects) for i, b in enumerate(ballots)]
    other = replace(election, ballots=renamed)
    a = mes(election, tie_break=chain, completion=completion, compare_greedy=compare)
    b = mes(other, tie_break=chain, completion=completion, compare_greedy=compare)
    assert a.to_json() == b.to_json()


@given(small)
def test_comparison_step_follows_the_voter_counts(election):
    """The comparison keeps greedy exactly when strictly more voters fund more of their
    approved projects under greedy than under MES (counted here independently)."""
    chain = TieChain.parse("cost,votes,id")
    plain = mes(election, tie_break=chain)
    out = mes(election, tie_break=chain, compare_greedy=True)
    greedy = out.details["greedy_selected"]
    g = sum(len(set(greedy) & set(b.projects)) > len(set(plain.selected) & set(b.projects))
            for b in election.ballots)
    m = sum(len(set(greedy) & set(b.projects)) < len(set(plain.selected) & set(b.projects))
            for b in election.ballots)
    assert (out.details["voters_preferring_greedy"], out.details["voters_preferring_mes"]) == (g, m)
    assert out.selected == (greedy if g > m else plain.selected)
    assert out.details["comparison_kept"] == ("greedy" if g > m else "mes")


@given(small, st.integers(0, 40), st.booleans())
def test_parametric_range_is_exact(election, u, cardinality):
    """A parametric run at b = u reports a range [u, u_hi] over which plain MES takes the same
    steps (checked at every integer up to u + 25), and the fast engine agrees with both."""
    prep = _prepared(election, keep_withdrawn=True)
    if prep is None:
        return
    tracked = core.run(prep, u, cardinality=cardinality, track=True)
    plain = core.run(prep, u, cardinality=cardinality)
    quick = fast.run_fast(prep, u, cardinality=cardinality)
    assert tracked.selected == plain.selected == quick.selected
    assert tracked.ties == plain.ties == quick.ties
    hi = u + 25 if tracked.u_hi is None else min(tracked.u_hi, u + 25)
    assert hi >= u
    for v in range(u, hi + 1):
        assert fast.run_fast(prep, v, cardinality=cardinality).selected == tracked.selected


@given(small, st.lists(st.integers(0, 60), min_size=1, max_size=12), st.booleans())
def test_runs_sharing_work_across_budgets_agree(election, budgets, cardinality):
    """Runs that share cached class counts across budgets (the add1 loop's fast path), taken
    in any order, fund exactly what an independent run at each budget funds, with the same ties."""
    prep = _prepared(election, keep_withdrawn=True)
    if prep is None:
        return
    shared = Shared(prep)
    for u in budgets:
        alone = core.run(prep, u, cardinality=cardinality)
        together = fast.run_fast(prep, u, cardinality=cardinality, shared=shared)
        assert (together.selected, together.ties) == (alone.selected, alone.ties)


@settings(max_examples=200)
@given(st.one_of(small_frac, elections(vote_type=None, max_projects=8, max_voters=30,
                                       max_cost=300)),
       st.lists(st.integers(0, 60), min_size=1, max_size=6), st.integers(1, 7), st.booleans())
def test_fast_engine_exact_fallbacks_agree(election, budgets, q, cardinality):
    """With no fixed-point bits below the money unit, nearly every comparison of the fast
    engine falls back to its exact sums of money (integers over one growing common
    denominator); alone and sharing work, at budgets u/q, it still funds exactly what the
    exact engine funds, with the same ties."""
    prep = _prepared(election)
    if prep is None:
        return
    shared = Shared(prep)
    with mock.patch.object(fast, "_BITS", 0):
        for u in budgets:
            exact = core.run(prep, u, q, cardinality=cardinality)
            alone = fast.run_fast(prep, u, q, cardinality=cardinality)
            assert (alone.selected, alone.ties) == (exact.selected, exact.ties)
            together = fast.run_fast(prep, u, cardinality=cardinality, shared=shared)
            at_u = core.run(prep, u, cardinality=cardinality)
            assert (together.selected, together.ties) == (at_u.selected, at_u.ties)


def _random_instances(rng: random.Random, count: int, projects: tuple[int, int] = (2, 8),
                      voters: tuple[int, int] = (2, 40)):
    """*count* seeded random instances (2-8 projects and 2-40 voters unless said): each a
    Prepared, whether to use cardinality utility, and a per-voter budget u/q."""
    for _ in range(count):
        m, n = rng.randint(*projects), rng.randint(*voters)
        costs = {str(k): rng.randint(1, 300) for k in range(m)}
        ballots = [[str(k) for k in rng.sample(range(m), rng.randint(1, m))] for _ in range(n)]
        fundable = [p for p in costs if any(p in b for b in ballots)]
        prep = core.prepare(ballots, fundable, costs, {p: i for i, p in enumerate(fundable)}, n)
        cardinality = rng.random() < 0.3
        yield prep, cardinality, rng.randint(1, 60), rng.randint(1, 5)


def test_fast_engine_exact_fallbacks_agree_on_random_instances():
    """On 3,000 seeded random instances (up to 8 projects, 40 voters), with no fixed-point
    bits below the money unit so that the exact sums of money decide, the fast engine (alone
    at u/q, and sharing work across a sequence of integer budgets) funds exactly what the
    exact engine funds, with the same ties."""
    for prep, cardinality, u, q in _random_instances(random.Random(2026), 3000):
        shared = Shared(prep)
        with mock.patch.object(fast, "_BITS", 0):
            alone = fast.run_fast(prep, u, q, cardinality=cardinality)
            together = [fast.run_fast(prep, v, cardinality=cardinality, shared=shared)
                        for v in (u, u + 1, u + 3)]
        exact = core.run(prep, u, q, cardinality=cardinality)
        assert (alone.selected, alone.ties) == (exact.selected, exact.ties)
        for v, run in zip((u, u + 1, u + 3), together):
            at_v = core.run(prep, v, cardinality=cardinality)
            assert (run.selected, run.ties) == (at_v.selected, at_v.ties)


@pytest.mark.parametrize("run", [fast.run_fast, small_engine.run_small, wide_engine.run_wide,
                                    fixed_engine.run_fixed],
                         ids=["classes", "per voter", "wide", "fixed"])
def test_runs_stop_once_their_cost_against_a_limit_is_decided(run):
    """On 1,500 seeded random instances and limits, a run (of either engine) told to decide
    whether it costs more than a limit takes a prefix of the full run's steps, answers exactly
    as the full run does, and is complete (all of the full run's steps) whenever it says so."""
    rng = random.Random(20261129)
    for prep, cardinality, u, q in _random_instances(rng, 1500):
        full = run(prep, u, q, cardinality=cardinality)
        full_cost = sum(prep.cost_l[k] for k in full.selected)
        over = rng.randint(0, sum(prep.cost_l))
        part = run(prep, u, q, cardinality=cardinality, decide_over=over)
        cost = sum(prep.cost_l[k] for k in part.selected)
        assert part.selected == full.selected[:len(part.selected)]
        assert (cost > over) == (full_cost > over)
        if part.complete:
            assert (part.selected, part.ties) == (full.selected, full.ties)


def _money_after(prep: core.Prepared, history: list[int], u: int, cardinality: bool):
    """Every voter's exact money after funding *history* (in that order) from a per-voter
    budget u, and the rho of every other candidate then (None: unaffordable); None if some
    project of the history is unaffordable when its turn comes."""
    money = [Fraction(u * prep.L)] * prep.n_active

    def price(k):
        sup = sorted(money[i] for i in prep.sup[k])
        need, left = Fraction(prep.cost_l[k]), len(sup)
        if sum(sup) < need:
            return None
        for m_i in sup:
            if m_i * left >= need:
                break
            need -= m_i
            left -= 1
        return need / left

    for k in history:
        x = price(k)
        if x is None:
            return None
        for i in prep.sup[k]:
            money[i] -= min(money[i], x)
    rhos = {}
    for k in range(len(prep.cands)):
        if k not in history:
            x = price(k)
            rhos[k] = None if x is None else (x if cardinality else x / prep.cost_l[k])
    return money, rhos


def test_money_at_a_fixed_history_never_falls_as_the_budget_grows():
    """The fact behind ``_mes_steps.Bounds``: on 1,500 seeded random instances and random
    funding histories, raising the per-voter budget leaves every voter at least as much money
    after the same history, every other project at most the same rho, and a project that is
    affordable at the smaller budget affordable at the larger."""
    rng = random.Random(1129)
    checked = 0
    for prep, cardinality, u, _ in _random_instances(rng, 1500):
        m = len(prep.cands)
        history = rng.sample(range(m), rng.randint(0, m - 1))
        low = _money_after(prep, history, u, cardinality)
        high = _money_after(prep, history, u + rng.randint(1, 30), cardinality)
        if low is None:
            continue
        assert high is not None  # the history stays affordable with more money
        checked += 1
        assert all(a <= b for a, b in zip(low[0], high[0]))
        for k, rho in low[1].items():
            if rho is not None:
                assert high[1][k] is not None and high[1][k] <= rho
    assert checked > 500  # most histories are affordable at the smaller budget


@settings(max_examples=150)
@given(st.one_of(small, small_frac), st.lists(st.integers(0, 60), min_size=2, max_size=10),
       st.booleans(), st.booleans(), st.sampled_from([0, 64]))
def test_runs_taking_bounds_from_other_budgets_agree(election, budgets, cardinality, share, bits):
    """Runs that start from the rho bounds of runs at other budgets (``Bounds``: valid only
    at budgets at most the one they were found at, so the budgets here come in any order),
    alone or sharing class counts, with or without fixed-point bits, fund exactly what an
    independent exact run at each budget funds, with the same ties."""
    prep = _prepared(election)
    if prep is None:
        return
    shared = Shared(prep) if share else None
    bounds = Bounds()
    with mock.patch.object(fast, "_BITS", bits):
        for u in budgets:
            run = fast.run_fast(prep, u, cardinality=cardinality, shared=shared, bounds=bounds)
            exact = core.run(prep, u, cardinality=cardinality)
            assert (run.selected, run.ties) == (exact.selected, exact.ties)


@pytest.mark.parametrize("engine", [fast.run_fast, small_engine.run_small, wide_engine.run_wide,
                                    fixed_engine.run_fixed],
                         ids=["classes", "per voter", "wide", "fixed"])
def test_runs_taking_bounds_from_larger_budgets_agree_on_random_instances(engine):
    """On 1,500 seeded random instances, runs (of either engine) from a budget down to a
    smaller one, each taking the rho bounds of the runs above it (the add1 loop's blocks),
    and told to decide their cost against a limit or not, take the same steps as independent
    exact runs."""
    rng = random.Random(29112026)
    for prep, cardinality, u, _ in _random_instances(rng, 1500):
        bounds = Bounds()
        over = rng.choice([None, rng.randint(0, sum(prep.cost_l))])
        for v in range(u + rng.randint(0, 12), u - 1, -1):
            run = engine(prep, v, cardinality=cardinality, bounds=bounds, decide_over=over)
            exact = core.run(prep, v, cardinality=cardinality)
            assert run.selected == exact.selected[:len(run.selected)]
            if run.complete:
                assert (run.selected, run.ties) == (exact.selected, exact.ties)


def test_per_voter_money_engine_agrees_on_random_instances():
    """On 3,000 seeded random instances (up to 8 projects, 40 voters, per-voter budgets u/q),
    the engine that keeps one exact integer of money per voter funds exactly what the exact
    class engine funds, with the same ties."""
    for prep, cardinality, u, q in _random_instances(random.Random(1129), 3000):
        mine = small_engine.run_small(prep, u, q, cardinality=cardinality)
        exact = core.run(prep, u, q, cardinality=cardinality)
        assert (mine.selected, mine.ties, mine.complete) == (exact.selected, exact.ties, True)


@pytest.mark.parametrize("engine", [small_engine.run_small, fixed_engine.run_fixed],
                         ids=["per voter", "fixed"])
def test_per_voter_engines_agree_with_free_projects_decimal_costs_and_ties(engine):
    """On 2,000 seeded random instances whose costs come from a few values (so that ties are
    frequent), some free and some in quarters of the currency, the per-voter engines (exact
    money, and fixed-point bounds with 0 or 64 bits below the money unit) fund exactly what
    the exact class engine funds, with the same ties."""
    rng = random.Random(29)
    tied_runs = 0
    for _ in range(2000):
        m, n = rng.randint(2, 7), rng.randint(1, 30)
        values = [0, 1, Fraction(5, 4), 20, 30, Fraction(121, 4), 60]
        costs = {str(k): rng.choice(values) for k in range(m)}
        ballots = [[str(k) for k in rng.sample(range(m), rng.randint(1, m))] for _ in range(n)]
        fundable = [p for p in costs if any(p in b for b in ballots)]
        prep = core.prepare(ballots, fundable, costs, {p: i for i, p in enumerate(fundable)}, n)
        cardinality = rng.random() < 0.3
        u, q = rng.randint(1, 40), rng.randint(1, 4)
        with mock.patch.object(fast, "_BITS", rng.choice([0, 64])):
            mine = engine(prep, u, q, cardinality=cardinality)
        exact = core.run(prep, u, q, cardinality=cardinality)
        assert (mine.selected, mine.ties) == (exact.selected, exact.ties)
        tied_runs += bool(exact.ties)
    assert tied_runs > 100  # the instances do exercise ties


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_every_engine_counts_repeated_projects_once_and_skips_withdrawn_ones(engine):
    """On 300 seeded random elections whose ballots sometimes list a project twice and
    approve a withdrawn project (cost 999999999), plain MES and add1 with each engine forced
    give the reference's outcome: a repeat counts once, a withdrawn project is never funded.
    No fixed-point bits below the money unit, so that exact money decides (rebuilt from the
    ballots by the wide engine)."""
    rng = random.Random(7)
    chain = TieChain.parse("cost,votes,id")
    for _ in range(300):
        m, n = rng.randint(2, 6), rng.randint(1, 12)
        projects = {str(k): Project(str(k), rng.randint(1, 80)) for k in range(m)}
        projects["w"] = Project("w", 999_999_999)
        ballots = []
        for i in range(n):
            chosen = rng.sample(sorted(projects), rng.randint(1, m))
            if rng.random() < 0.3:
                chosen.append(chosen[0])  # the same project twice in one ballot
            ballots.append(Ballot(str(i), tuple(chosen)))
        e = Election(rng.randint(10, 300), projects, ballots)
        with forced(engine), \
                mock.patch.object(fast, "_BITS", 0):
            plain = mes(e, tie_break=chain)
            add1 = mes(e, tie_break=chain, completion="add1")
        assert plain.selected == reference_mes(e, Fraction(e.budget) / n, chain)[0]
        expected = reference_add1(e, chain)
        if expected[1] is None:
            assert sorted(add1.selected) == expected[0]
        else:
            assert (add1.selected, add1.details["per_voter_budget"]) == expected


@pytest.mark.parametrize("engine", [wide_engine.run_wide, fixed_engine.run_fixed],
                         ids=["wide", "fixed"])
@pytest.mark.parametrize("bits", [0, 64])
def test_per_voter_bound_engines_agree_on_random_instances(bits, engine):
    """On 1,500 seeded random instances, the engines that keep one fixed-point bound per
    voter (what mes uses from SMALL_BELOW to FIXED_BELOW voters, and in arrays from
    WIDE_FROM voters on) fund exactly what the exact class engine funds, with the same ties,
    with no bits below the money unit (so that the bounds often settle nothing and the exact
    money rebuilt from the ballots decides) and with 64."""
    for prep, cardinality, u, q in _random_instances(random.Random(1000 + bits), 1500):
        with mock.patch.object(fast, "_BITS", bits):
            mine = engine(prep, u, q, cardinality=cardinality)
        exact = core.run(prep, u, q, cardinality=cardinality)
        assert (mine.selected, mine.ties, mine.complete) == (exact.selected, exact.ties, True)


class _SpentFactor:
    """Stands for ``_mes_wide.DROP_SPENT`` (a list drops its spent voters when ``spent *
    DROP_SPENT > len``) and counts the evaluations that met spent voters in a list."""

    def __init__(self, factor: int):
        self.factor = factor
        self.met = 0

    def __rmul__(self, spent: int) -> int:
        self.met += 1
        return spent * self.factor


@pytest.mark.parametrize("factor", [0, 10**9], ids=["kept", "dropped at once"])
@pytest.mark.parametrize("bits", [0, 64])
def test_wide_engine_funds_the_same_whether_spent_voters_stay_listed_or_not(bits, factor):
    """On 1,000 seeded random instances of 6-14 projects and 10-60 voters (enough steps for
    spent voters to matter later), the wide engine funds exactly what the exact class engine
    funds, with the same ties, whether its supporter lists keep their spent voters (marked
    SPENT, left out of every sum and pool, and still SPENT after a payment) or drop them as
    soon as one is spent, with 0 and 64 bits below the money unit; and lists do hold spent
    voters when evaluated (in more than 1,000 evaluations), so both ways are exercised."""
    drop = _SpentFactor(factor)
    instances = _random_instances(random.Random(5 + bits), 1000, projects=(6, 14), voters=(10, 60))
    for prep, cardinality, u, q in instances:
        with mock.patch.object(fast, "_BITS", bits), \
                mock.patch.object(wide_engine, "DROP_SPENT", drop):
            mine = wide_engine.run_wide(prep, u, q, cardinality=cardinality)
        exact = core.run(prep, u, q, cardinality=cardinality)
        assert (mine.selected, mine.ties, mine.complete) == (exact.selected, exact.ties, True)
    assert drop.met > 1000


@pytest.mark.parametrize("engine", [wide_engine.run_wide, fixed_engine.run_fixed],
                         ids=["wide", "fixed"])
def test_per_voter_bound_engines_read_ballots_naming_non_candidates_and_huge_budgets(engine):
    """On 1,000 seeded random instances where the ballots also name projects that are not
    candidates (withdrawn ones) and some per-voter budgets are too large for machine words,
    the per-voter fixed-point engines still fund exactly what the exact engine funds."""
    rng = random.Random(4)
    for _ in range(1000):
        m, n = rng.randint(3, 8), rng.randint(2, 30)
        costs = {str(k): rng.randint(1, 300) for k in range(m)}
        ballots = [[str(k) for k in rng.sample(range(m), rng.randint(1, m))] for _ in range(n)]
        voted = [p for p in costs if any(p in b for b in ballots)]
        fundable = [p for p in voted if rng.random() < 0.8]  # the others: withdrawn
        if not fundable:
            continue
        prep = core.prepare(ballots, fundable, costs, {p: i for i, p in enumerate(fundable)}, n,
                            core.supporters(ballots, voted))
        cardinality = rng.random() < 0.3
        u = rng.choice([rng.randint(1, 60), 2**70 + rng.randint(0, 9)])
        with mock.patch.object(fast, "_BITS", rng.choice([0, 64])):
            mine = engine(prep, u, cardinality=cardinality)
        exact = core.run(prep, u, cardinality=cardinality)
        assert (mine.selected, mine.ties) == (exact.selected, exact.ties)


# --- pabutools 1.2.3 as an oracle (small generated instances) -----------------------------

def _pabutools():
    return require_pabutools()  # (on CI a missing oracle is a failure, not a skip)


def _pb_instance(election: Election, budget=None):
    from gmpy2 import mpq
    from pabutools.election import ApprovalBallot, ApprovalProfile, Instance
    from pabutools.election import Project as PBProject

    def q(a):
        a = Fraction(a)
        return mpq(a.numerator, a.denominator)

    projects = {pid: PBProject(pid, q(p.cost)) for pid, p in election.projects.items()}
    inst = Instance(projects.values(), budget_limit=q(election.budget if budget is None else budget))
    profile = ApprovalProfile([ApprovalBallot([projects[p] for p in b.projects])
                               for b in election.ballots])
    return inst, profile


def _pb_mes(election, budget=None, cardinality=False):
    from pabutools.election import Cardinality_Sat, Cost_Sat
    from pabutools.rules import method_of_equal_shares
    from pabutools.tiebreaking import TieBreakingRule

    chain = TieBreakingRule(lambda inst, prof, p: (p.cost, -prof.approval_score(p), p.name))
    inst, profile = _pb_instance(election, budget)
    out = method_of_equal_shares(inst, profile, sat_class=Cardinality_Sat if cardinality else Cost_Sat,
                                 tie_breaking=chain)
    return [p.name for p in out]


@settings(max_examples=60)
@given(elections(vote_type=None, max_projects=6, min_voters=1, max_voters=10, max_cost=60),
       st.booleans())
def test_plain_mes_agrees_with_pabutools(election, cardinality):
    """Plain MES (cost and cardinality utility) equals pabutools' method_of_equal_shares with
    the tie rule (cost, -approval score, name), selection order included."""
    _pabutools()
    out = mes(election, tie_break=TieChain.parse("cost,votes,id"),
              utility="cardinality" if cardinality else "cost")
    assert out.selected == _pb_mes(election, cardinality=cardinality)


@settings(max_examples=25)
@given(elections(vote_type=None, max_projects=5, min_voters=1, max_voters=6, max_cost=30))
def test_add1_agrees_with_the_pabutools_loop(election):
    """add1 equals the pabutools loop: for b = floor(B/n), b+1, ... run MES with budget b·n and
    keep the last outcome costing at most B; stop when one costs more or funds every voted
    project (and skip the loop when all voted projects fit)."""
    _pabutools()
    out = mes(election, tie_break=TieChain.parse("cost,votes,id"), completion="add1")
    votes = vote_counts(election)
    voted = {p for p in election.projects if votes[p]}
    cost = lambda sel: sum(election.projects[p].cost for p in sel)  # noqa: E731
    if cost(voted) <= election.budget:
        assert set(out.selected) == voted
        return
    n = len(election.ballots)
    b = floor(Fraction(election.budget) / n)
    kept = None
    while True:
        sel = _pb_mes(election, budget=b * n)
        if cost(sel) > election.budget:
            break
        kept = sel
        if set(sel) == voted:
            break
        b += 1
    assert out.selected == kept


def test_engine_on_random_larger_profiles():
    """On seeded random profiles of 200 voters the fast engine, the plain engine and the
    reference agree, and add1 equals the +1 loop of the plain engine."""
    rnd = random.Random(20261129)
    chain = TieChain.parse("cost,votes,id")
    for _ in range(6):
        pids = [f"p{i}" for i in range(8)]
        costs = {p: rnd.randint(50, 400) for p in pids}
        weights = [1 / (i + 1) for i in range(8)]
        ballots = [Ballot(str(v), tuple(dict.fromkeys(rnd.choices(pids, weights, k=rnd.randint(1, 4)))))
                   for v in range(200)]
        e = Election(sum(costs.values()) // 2, {p: Project(p, c) for p, c in costs.items()}, ballots)
        out = mes(e, tie_break=chain)
        assert out.selected == reference_mes(e, Fraction(e.budget) / 200, chain)[0]
        add1 = mes(e, tie_break=chain, completion="add1")
        votes = vote_counts(e)
        fundable = [p for p in pids if votes[p]]
        rank = {p: i for i, p in enumerate(chain.order(fundable, costs, votes))}
        prep = core.prepare([b.projects for b in ballots], fundable, costs, rank, 200)
        b, kept = e.budget // 200, None
        while True:
            sel = [prep.cands[k] for k in core.run(prep, b).selected]
            if sum(costs[p] for p in sel) > e.budget:
                break
            kept = (sel, b)
            if len(sel) == len(fundable):
                break
            b += 1
        assert (add1.selected, add1.details["per_voter_budget"]) == kept


@given(st.integers(0, 10**12), st.integers(1, 10**6), st.integers(1, 10**4),
       st.integers(1, 10**7))
def test_fixed_point_bits_keep_bounds_in_one_digit_and_sums_in_a_machine_word(u, q, L, n):
    """The fast engine keeps between _MIN_BITS and _BITS bits below the money unit, and,
    unless that floor forces more, few enough that a voter's starting budget u/q (units of
    1/L) has a bound below 2**30 (one CPython digit) and the bounds of all n voters add up
    below 2**62."""
    bits = fast._fixed_bits(u, q, L, n)
    assert fast._MIN_BITS <= bits <= fast._BITS
    if bits > fast._MIN_BITS:
        first = (u * L << bits) // q
        assert first < 2**30 and first * n < 2**62
