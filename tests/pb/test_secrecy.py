"""Ballot secrecy against a database reader: a full copy of the database, every table with
every column and rows ordered by primary key, pairs ballots with voters no better than chance."""

from __future__ import annotations

import itertools
import random
from datetime import timedelta

import sqlalchemy as sa

from pb.extensions import db
from pb.models import Ballot, BallotChannel, VoterRecord
from pb.services.voting import account_reference, cast_ballot
from tests.pb.conftest import is_postgresql
from tests.pb.factories import make_frozen_round

#: Voters per round and rounds (independent trials).
N = 10
TRIALS = 12
#: Limit on the correct pairs one matching finds over all trials (of N * TRIALS = 120).
LIMIT = 30


def _cast_round(rng: random.Random, clock) -> tuple[int, dict[str, str]]:
    """A round where N voters cast, in a known order, ballots of distinct content; returns the
    round id and the true pairing: ballot content key -> voter reference."""
    round_ = make_frozen_round(costs=(10_000, 11_000, 12_000, 13_000, 14_000), max_choices=5)
    area = round_.areas[0]
    ids = [p.id for p in area.projects]
    subsets = [c for k in range(1, 4) for c in itertools.combinations(ids, k)]
    contents = rng.sample(subsets, N)
    truth = {}
    for i, content in enumerate(contents):
        clock.advance(minutes=rng.randint(1, 30))  # a real, increasing casting time
        ref = account_reference(rng.randrange(10**9))
        cast_ballot(round_.id, area.id, {area.id: [str(p) for p in content]}, voter_ref=ref,
                    channel=BallotChannel.ONLINE, at=clock.now)
        truth[",".join(map(str, sorted(content)))] = ref
    return round_.id, truth


def _database_copy() -> dict[str, list[dict]]:
    """Every table, every column, rows ordered by primary key."""
    copy = {}
    with db.engine.connect() as connection:
        for table in db.metadata.sorted_tables:
            order = list(table.primary_key.columns) or list(table.columns)
            copy[table.name] = [dict(row._mapping) for row in connection.execute(sa.select(table).order_by(*order))]
    return copy


def _physical_order(table: str) -> list[dict]:
    """Rows in the order SQLite returns them with no ORDER BY (a scan of its storage)."""
    with db.engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(sa.text(f"SELECT * FROM {table} NOT INDEXED"))]


def _matchings(ballots: list[dict], records: list[dict], copy: dict) -> dict[str, list[tuple[dict, dict]]]:
    """The natural ways a reader of the copy might pair ballot rows with who-voted rows."""
    found = {
        "primary key order": list(zip(ballots, records)),
        "reverse primary key order": list(zip(ballots, reversed(records))),
        "receipt hash order": list(zip(sorted(ballots, key=lambda b: b["receipt_hash"] or ""), records)),
    }
    shared = sorted((set(ballots[0]) & set(records[0])) - {"round_id"})
    for column in shared:  # e.g. channel: equal values first, then the key order
        found[f"shared column {column}"] = list(zip(sorted(ballots, key=lambda b: str(b[column])),
                                                    sorted(records, key=lambda r: str(r[column]))))
    choice_order = list(dict.fromkeys(row["ballot_id"] for row in copy["ballot_choice"]))
    by_id = {b["id"]: b for b in ballots}
    found["ballot_choice order"] = list(zip([by_id[i] for i in choice_order if i in by_id], records))
    return found


def test_database_copy_matches_ballots_to_voters_no_better_than_chance(app, clock):
    """Over 12 rounds of 10 voters, no natural matching of a database copy gets more than 30 of 120 pairs right.

    Without a leak each matching pairs the rows by an independent uniformly random
    permutation, so its correct pairs in one round are the fixed points of a random
    permutation (mean 1, variance 1: a 1/N success rate), and its total over 12 rounds is
    close to Poisson(12): P(total >= 30) is about 1e-5 per matching, under 1e-4 for the
    union over all matchings. A matching that follows casting order scores 120.
    """
    rng = random.Random(20260301)
    totals: dict[str, int] = {}
    best_per_round = []
    with app.app_context():
        rounds = [_cast_round(rng, clock) for _ in range(TRIALS)]
        copy = _database_copy()
        choices: dict[str, list[int]] = {}
        for row in copy["ballot_choice"]:
            choices.setdefault(row["ballot_id"], []).append(row["project_id"])
        for round_id, truth in rounds:
            ballots = [b for b in copy["ballot"] if b["round_id"] == round_id]
            records = [r for r in copy["voter_record"] if r["round_id"] == round_id]
            assert len(ballots) == len(records) == N

            def correct(pairs) -> int:
                return sum(truth[",".join(map(str, sorted(choices[b["id"]])))] == r["voter_ref"] for b, r in pairs)

            scores = {name: correct(pairs) for name, pairs in _matchings(ballots, records, copy).items()}
            for name, score in scores.items():
                totals[name] = totals.get(name, 0) + score
            best_per_round.append(max(scores.values()))
    assert all(total <= LIMIT for total in totals.values()), totals
    assert sum(best_per_round) <= len(totals) * LIMIT


def test_no_column_of_the_ballot_tables_follows_casting_time(app, clock):
    """Ballot rows hold no time and no increasing number: sorting by any column of ballot or voter_record does not give casting order."""
    rng = random.Random(7)
    with app.app_context():
        round_id, truth = _cast_round(rng, clock)
        order = list(truth.values())  # voter references in casting order
        copy = _database_copy()
        for table in ("ballot", "voter_record"):
            columns = copy[table][0].keys()
            assert not any("_at" in name or name in ("created", "timestamp") for name in columns), columns
        records = [r for r in copy["voter_record"] if r["round_id"] == round_id]
        assert {r["voted_on"] for r in records} <= {(clock.now - timedelta(days=d)).date() for d in range(3)}
        for column in records[0]:
            by_column = [r["voter_ref"] for r in sorted(records, key=lambda r: (str(r[column]), r["voter_ref"]))]
            assert by_column != order or column == "voter_ref" and sorted(order) == order


def test_physical_row_order_on_sqlite_is_key_order(app, clock):
    """On SQLite the ballot tables are WITHOUT ROWID, so the stored order is the random key's order, not the casting order."""
    if is_postgresql():
        import pytest

        pytest.skip("PostgreSQL keeps rows in insertion order on disk: see docs/THREAT_MODEL.md")
    with app.app_context():
        _cast_round(random.Random(3), clock)
        for table, key in (("ballot", ("id",)), ("voter_record", ("round_id", "voter_ref")),
                           ("ballot_choice", ("ballot_id", "project_id"))):
            rows = _physical_order(table)
            # SQLite may answer from a covering index instead (ballot_choice: by project, then
            # ballot id): also an order of keys, not of insertion.
            orders = [sorted(rows, key=lambda r: tuple(r[k] for k in key)),
                      sorted(rows, key=lambda r: (r.get("project_id"), r.get("ballot_id")))]
            assert rows in orders, table
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)) == N
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VoterRecord)) == N


def test_postgresql_storage_order_is_erased_when_counting(app, clock):
    """On PostgreSQL, once the count has run, neither heap order nor the writing transaction (xmin) pairs ballots with voters better than chance (same bound as above).

    Before the count both pair every ballot with its voter (the rows of one cast are
    appended together by one transaction): ``pb.services.privacy.rewrite_ballot_storage``
    gives the round's rows one transaction id and rewrites the tables in key order.
    """
    import pytest

    if not is_postgresql():
        pytest.skip("SQLite stores these tables in key order (see the test above)")
    from pb.models import Phase, Role, Round
    from pb.services.results import run_tally
    from tests.pb.factories import make_user

    rng = random.Random(11)
    with app.app_context():
        rounds = [_cast_round(rng, clock) for _ in range(TRIALS)]
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        orders = {"heap": "", "xmin": " ORDER BY xmin::text::bigint, ctid"}
        before = _storage_scores(rounds, orders)
        assert before["heap"] == before["xmin"] == N * TRIALS  # the leak the rewrite removes
        for round_id, _ in rounds:
            round_ = db.session.get(Round, round_id)
            round_.phase = Phase.RESULTS
            db.session.commit()
            run_tally(admin, round_)
        after = _storage_scores(rounds, orders)
    assert all(score <= LIMIT for score in after.values()), after


def _storage_scores(rounds, orders: dict[str, str]) -> dict[str, int]:
    """Correct pairs when ballot and voter_record rows are paired in each storage order."""
    scores = {}
    with db.engine.connect() as connection:
        choices: dict[str, list[int]] = {}
        for row in connection.execute(sa.text("SELECT ballot_id, project_id FROM ballot_choice")):
            choices.setdefault(row.ballot_id, []).append(row.project_id)
        for name, order in orders.items():
            ballots = [dict(r._mapping) for r in connection.execute(sa.text(f"SELECT id, round_id FROM ballot{order}"))]
            records = [dict(r._mapping) for r in
                       connection.execute(sa.text(f"SELECT round_id, voter_ref FROM voter_record{order}"))]
            total = 0
            for round_id, truth in rounds:
                pairs = zip([b for b in ballots if b["round_id"] == round_id],
                            [r for r in records if r["round_id"] == round_id])
                total += sum(truth[",".join(map(str, sorted(choices[b["id"]])))] == r["voter_ref"] for b, r in pairs)
            scores[name] = total
    return scores
