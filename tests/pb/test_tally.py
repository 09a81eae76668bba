"""The bridge ``pb.tally``: rows to ``voting`` values and back, from the frozen configuration."""

from __future__ import annotations

import random

import pytest

from pb.extensions import db
from pb.models import BallotKind, Phase
from pb.services import rounds as round_services
from pb.tally import ballot_format, election_for_pot, pb_tally_command, round_config, tally_pot, tally_round
from tests.pb.factories import make_counted_ballot, make_frozen_round
from voting import Ballot, Election
from voting import Project as CoreProject
from voting.pabulib import parse_pb, write_pb
from voting.rules import tally


def _ids(area):
    return [p.id for p in sorted(area.projects, key=lambda p: p.position)]


def test_election_has_the_frozen_pot_and_only_counted_ballots(app):
    """A pot's election has its budget, costs (ids as text) and format, and only counted ballots."""
    with app.app_context():
        round_ = make_frozen_round(areas=(("north", 90_000), ("south", 50_000)), max_choices=2)
        north, south = round_.areas
        a, b, c = _ids(north)
        make_counted_ballot(north, [a, b])
        make_counted_ballot(north, [c])
        make_counted_ballot(north, [b], is_counted=False)
        make_counted_ballot(south, [_ids(south)[0]])
        election = election_for_pot(round_, north)
        assert election.budget == 90_000
        assert {pid: p.cost for pid, p in election.projects.items()} == {str(a): 30_000, str(b): 40_000, str(c): 50_000}
        assert list(election.projects) == [str(a), str(b), str(c)]
        assert sorted(ballot.projects for ballot in election.ballots) == sorted([tuple(sorted((str(a), str(b)), key=int)), (str(c),)])
        assert election.format == ballot_format(round_, north)
        assert election.format.max_length == 2


def test_the_format_helper_is_the_one_used_at_cast_time(app):
    """pb.tally.ballot_format is the rounds service's function: one check at cast and at count."""
    assert ballot_format is round_services.ballot_format
    with app.app_context():
        round_ = make_frozen_round(ballot_kind=BallotKind.KNAPSACK, min_choices=0, max_choices=None,
                                   min_spend_percent=25, areas=(("north", 99_999),))
        fmt = election_for_pot(round_, round_.areas[0]).format
        assert fmt.max_sum_cost == 99_999 and fmt.min_sum_cost == 25_000  # 24,999.75 rounded up


def test_changes_after_the_freeze_do_not_reach_the_count(app):
    """The election comes from the frozen configuration, not from rows edited afterwards."""
    with app.app_context():
        round_ = make_frozen_round()
        area = round_.areas[0]
        first = area.projects[0]
        frozen = election_for_pot(round_, area)
        first.cost = 1  # a change that bypasses the services' refusal
        area.budget = 5
        db.session.commit()
        assert election_for_pot(round_, area).budget == frozen.budget == 100_000
        assert election_for_pot(round_, area).projects[str(first.id)].cost == 30_000


@pytest.mark.parametrize("rule, options, chain", [
    ("greedy", "{}", "cost,id"),
    ("mes", '{"completion":"add1","utility":"cost"}', "votes,cost,id"),
    ("phragmen", "{}", "id-desc"),
])
def test_tally_equals_the_core_on_the_same_ballots_in_any_order(app, rule, options, chain):
    """tally_pot gives what voting.rules.tally gives on an independently built election, whatever the insertion order."""
    rng = random.Random(rule)
    with app.app_context():
        round_ = make_frozen_round(rule=rule, rule_options=options, tie_break=chain, max_choices=3,
                                   costs=(20_000, 30_000, 30_000, 45_000, 60_000))
        area = round_.areas[0]
        ids = _ids(area)
        chosen = [tuple(rng.sample(ids, rng.randint(1, 3))) for _ in range(25)]
        for choice in chosen:
            make_counted_ballot(area, choice)
        result = tally_pot(round_, area)
        costs = {str(p.id): p.cost for p in area.projects}
        shuffled = chosen[:]
        rng.shuffle(shuffled)
        independent = Election(
            100_000, {pid: CoreProject(pid, cost) for pid, cost in costs.items()},
            [Ballot(f"v{i}", tuple(str(p) for p in choice)) for i, choice in enumerate(shuffled)],
        )
        import json

        expected = tally(independent, rule, tie_break=chain, **json.loads(options))
        assert result.outcome.selected == expected.selected
        assert result.outcome.votes == expected.votes
        assert [t.chosen for t in result.outcome.ties] == [t.chosen for t in expected.ties]
        assert result.ballot_count == 25


def test_voter_ids_follow_content_not_casting_order(app):
    """The election's ballots are sorted by content: casting order cannot be read from them."""
    with app.app_context():
        round_ = make_frozen_round()
        area = round_.areas[0]
        a, b, c = _ids(area)
        for choice in ([c], [a, b], [b], [a]):
            make_counted_ballot(area, choice)
        ballots = election_for_pot(round_, area).ballots
        assert [b_.projects for b_ in ballots] == sorted(b_.projects for b_ in ballots)
        assert [b_.voter_id for b_ in ballots] == ["1", "2", "3", "4"]


def test_pb_file_round_trip_counts_the_same(app):
    """The pot's .pb text read back gives the same election counts and, with pb_tally_command's options, the same outcome."""
    with app.app_context():
        round_ = make_frozen_round(rule="mes", rule_options='{"completion":"add1","utility":"cost"}', tie_break="cost,id")
        area = round_.areas[0]
        a, b, c = _ids(area)
        for choice in ([a], [a, b], [c], [b, c], [c]):
            make_counted_ballot(area, choice)
        election = election_for_pot(round_, area)
        again = parse_pb(write_pb(election))
        assert again.budget == election.budget and again.ballots == election.ballots
        assert again.meta["rule"] == "equalshares/add1"
        assert pb_tally_command(round_) == ["--rule", "mes", "--tie-break", "cost,id", "--completion", "add1",
                                            "--utility", "cost"]
        assert tally(again, "mes", tie_break="cost,id", completion="add1", utility="cost").to_json() \
            == tally_pot(round_, area).outcome.to_json()


def test_every_pot_is_counted_from_the_stored_configuration(app):
    """tally_round counts every pot of the frozen configuration, each with its own budget."""
    with app.app_context():
        round_ = make_frozen_round(areas=(("north", 70_000), ("citywide", 200_000)), phase=Phase.RESULTS)
        for area in round_.areas:
            make_counted_ballot(area, _ids(area)[:2])
        pots = tally_round(round_)
        assert [p.area_id for p in pots] == [a.id for a in round_.areas]
        assert [p.outcome.budget for p in pots] == [70_000, 200_000]
        assert round_config(round_)["areas"][1]["is_citywide"] is True
