"""The tie chain's order: the column-wise ``TieChain.order`` against the per-id ``sort_key``."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from voting.tiebreak import TIE_KEYS, TieChain

#: Few distinct values, so that most keys tie and later keys decide.
amounts = st.one_of(st.integers(0, 3), st.fractions(0, 3, max_denominator=2))


@st.composite
def chains_and_projects(draw):
    keys = draw(st.lists(st.sampled_from(TIE_KEYS), unique=True, min_size=1, max_size=5))
    chain = TieChain.parse(",".join(keys))
    pids = draw(st.lists(st.text("0129ab", min_size=1, max_size=3), unique=True, max_size=12))
    costs = {p: draw(amounts) for p in pids}
    votes = {p: draw(st.integers(0, 2)) for p in pids if draw(st.booleans())}  # some missing
    lead = draw(st.none() | st.lists(st.integers(-1, 1), min_size=len(pids), max_size=len(pids)))
    return chain, pids, costs, votes, lead


@given(chains_and_projects())
def test_order_is_the_order_of_the_chains_sort_key(case):
    """For any chain, ids, costs (whole or not, mostly tied), votes (some ids without any)
    and leading values, ``order`` lists the ids exactly as sorting them by the leading value
    and then by ``sort_key`` does."""
    chain, pids, costs, votes, lead = case
    key = chain.sort_key(costs, votes)
    if lead is None:
        expected = sorted(pids, key=key)
    else:
        first = dict(zip(pids, lead))
        expected = sorted(pids, key=lambda p: (first[p], key(p)))
    assert chain.order(pids, costs, votes, lead=lead) == expected


def test_order_worked_example():
    """cost,votes,id: cheapest first, then most votes, then id; id-desc reverses the ids, and
    a leading value comes before every key."""
    costs = {"b": 5, "a": 5, "c": Fraction(9, 2), "d": 5}
    votes = {"a": 1, "b": 3, "d": 3}
    assert TieChain.parse("cost,votes,id").order(costs, costs, votes) == ["c", "b", "d", "a"]
    assert TieChain.parse("cost,votes,id-desc").order(costs, costs, votes) == ["c", "d", "b", "a"]
    assert TieChain.parse("id").order(costs, costs, votes, lead=[0, 1, 1, 0]) == ["b", "d", "a", "c"]
