"""The benchmark's synthetic election generator (``benchmarks/generate.py``), at small sizes."""

from __future__ import annotations

import statistics

import pytest

from benchmarks import generate
from voting.pabulib import read_pb

VOTERS = 3_000


@pytest.fixture(scope="module")
def synthetic() -> generate.Synthetic:
    return generate.generate(voters=VOTERS, projects=200, seed=7)


def test_same_seed_gives_the_same_file():
    """Two runs with one seed write byte-identical text; another seed writes different text."""
    a = generate.generate(voters=500, projects=40, seed=11).to_pb()
    b = generate.generate(voters=500, projects=40, seed=11).to_pb()
    c = generate.generate(voters=500, projects=40, seed=12).to_pb()
    assert a == b
    assert a != c


def test_costs_are_integers_in_range(synthetic):
    """Every cost is an integer euro amount between 10,000 and 1,000,000."""
    assert len(synthetic.costs) == 200
    for cost in synthetic.costs:
        assert isinstance(cost, int)
        assert generate.MIN_COST <= cost <= generate.MAX_COST


def test_costs_spread_over_the_log_range(synthetic):
    """Costs are log-uniform: about as many below the geometric midpoint 100,000 as above it."""
    below = sum(cost < 100_000 for cost in synthetic.costs)
    assert 60 <= below <= 140


def test_budget_is_a_quarter_of_the_total(synthetic):
    """The budget is 25% of the total cost, rounded down to a whole euro."""
    total = sum(synthetic.costs)
    assert synthetic.budget == total * 25 // 100
    assert 4 * synthetic.budget <= total < 4 * (synthetic.budget + 1)


def test_ballots_list_3_to_15_distinct_projects(synthetic):
    """Every ballot lists between 3 and 15 projects, each at most once."""
    assert len(synthetic.ballots) == VOTERS
    lengths = {len(b) for b in synthetic.ballots}
    assert min(lengths) == 3 and max(lengths) == 15
    for ballot in synthetic.ballots:
        assert len(set(ballot)) == len(ballot)


def test_at_least_90_percent_of_ballots_are_distinct(synthetic):
    """At least 90% of ballots approve a set of projects that no other ballot approves first."""
    distinct = {frozenset(b) for b in synthetic.ballots}
    assert len(distinct) / VOTERS >= 0.9
    assert synthetic.distinct_share == len(distinct) / VOTERS


def test_popularity_is_skewed(synthetic):
    """Zipf-like popularity: the most approved project has many times the median's votes."""
    votes = synthetic.votes()
    assert max(votes) >= 5 * statistics.median(votes)
    assert sum(votes) == sum(len(b) for b in synthetic.ballots)


def test_too_few_distinct_ballots_is_refused(tmp_path, monkeypatch):
    """write_election refuses to write an election below the required distinct share."""
    monkeypatch.setattr(generate, "MIN_DISTINCT_SHARE", 1.01)
    path = tmp_path / "s.pb"
    with pytest.raises(RuntimeError, match="distinct"):
        generate.write_election(path, voters=200, projects=30, seed=1)
    assert not path.exists()


def test_written_file_reads_back_as_the_same_election(tmp_path, synthetic):
    """read_pb of the written file gives the generated budget, projects, costs, votes and ballots."""
    path = synthetic.write(tmp_path / "synthetic.pb")
    election = read_pb(path)
    assert election.budget == synthetic.budget
    assert list(election.projects) == synthetic.ids
    assert [p.cost for p in election.projects.values()] == synthetic.costs
    assert election.format.vote_type == "approval"
    assert [b.projects for b in election.ballots] == [
        tuple(synthetic.ids[i] for i in ballot) for ballot in synthetic.ballots
    ]
    assert [b.voter_id for b in election.ballots] == [str(v) for v in range(1, VOTERS + 1)]
    # The PROJECTS votes column agrees with the ballots, so the reader has nothing to warn about.
    assert election.notices == []
