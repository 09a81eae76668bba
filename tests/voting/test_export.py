"""Anonymised ballot export: fresh ids, content order, documented fields only, suppression."""

from __future__ import annotations

import csv
import io
import json
import random
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from tests.data import pabulib_file
from tests.oracle import require_pabutools
from tests.voting.strategies import elections
from voting.export import (
    DEMOGRAPHIC_COLUMNS, META_KEYS, Demographics, ExportError, content_key, export_pot, suppress,
)
from voting.model import Ballot, BallotFormat, Election, Project, VoteType
from voting.pabulib import FORMAT_KEYS, parse_pb, read_pb
from voting.rules import tally

PB_TALLY = Path(sys.executable).with_name("pb-tally")
HEX16 = re.compile(r"[0-9a-f]{16}")
#: Every META key, column and JSON key the export may write (the documented ones).
ALLOWED_META = set(META_KEYS) | set(FORMAT_KEYS) | {
    "num_projects", "num_votes", "budget", "vote_type", "rule", "min_project_score_threshold"}
ALLOWED_PROJECT_COLUMNS = {"project_id", "cost", "name", "category", "district"}
ALLOWED_VOTER_COLUMNS = {"voter_id", "vote", "points", *DEMOGRAPHIC_COLUMNS}
ALLOWED_CSV_COLUMNS = {"ballot_id", "vote", "points", *DEMOGRAPHIC_COLUMNS}


def personal_election() -> Election:
    """An election whose input carries personal data everywhere the model has room for it."""
    projects = {
        "1": Project("1", 40, name="Skatepark", extra={"proposer_email": "mia@example.org"}),
        "2": Project("2", 30, name="Benches", extra={"proposer": "Mia Virtanen"}),
        "3": Project("3", 50, name="Library hours"),
    }
    ballots = [
        Ballot(f"user-{k}@example.org", tuple(choice), None, line=100 + k,
               extra={"email": f"user{k}@example.org", "name": f"Voter Name{k}", "account_id": f"acct{k}",
                      "code": f"CODE{k}XYZ", "db_id": str(9000 + k)})
        for k, choice in enumerate([("1",), ("2", "1"), ("3",), ("1", "3"), ("2",), ("1",)])
    ]
    meta = {"description": "Test round", "country": "Finland", "unit": "Espoo", "instance": "2026",
            "comment": "contact admin@example.org", "rule": "greedy", "budget": "100", "vote_type": "approval"}
    return Election(budget=100, projects=projects, ballots=ballots, meta=meta,
                    voter_columns=("voter_id", "vote", "email", "name", "account_id", "code", "db_id"))


PERSONAL = ("example.org", "Mia", "Voter Name", "acct", "CODE", "900", "user-", "admin")


def test_export_holds_only_documented_fields():
    """No input voter id, email, name, account, code, database id or undocumented field reaches any file."""
    x = export_pot(personal_election(), "north", rng=random.Random(3))
    for text in (x.pb_text(), x.csv_text(), x.json_text()):
        for secret in PERSONAL:
            assert secret not in text
    back = parse_pb(x.pb_text())
    assert set(back.meta) <= ALLOWED_META
    assert set(back.project_columns) <= ALLOWED_PROJECT_COLUMNS
    assert set(back.voter_columns) <= ALLOWED_VOTER_COLUMNS
    assert all(not p.extra for p in back.projects.values())
    header = next(csv.reader(io.StringIO(x.csv_text())))
    assert set(header) <= ALLOWED_CSV_COLUMNS
    data = json.loads(x.json_text())
    assert set(data) == {"pot", "columns", "ballots"}
    assert all(set(row) <= ALLOWED_CSV_COLUMNS for row in data["ballots"])


@given(elections(vote_type=["approval", "choose-1", "cumulative", "ordinal", "scoring"], max_voters=15),
       st.integers(0, 2**32))
@settings(max_examples=60)
def test_ballot_ids_are_fresh_unique_hex(election, seed):
    """Every exported ballot id is 16 hex digits, distinct, and none equals an input voter id."""
    x = export_pot(election, "p", rng=random.Random(seed))
    ids = [b.voter_id for b in x.election.ballots]
    assert all(HEX16.fullmatch(i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert not set(ids) & {b.voter_id for b in election.ballots}


def test_input_voter_id_shaped_like_an_export_id_is_never_reused():
    """An input voter id that the random source would draw next is skipped, not reused."""
    rng_ids = random.Random(5)
    first = f"{rng_ids.getrandbits(64):016x}"
    e = Election(10, {"a": Project("a", 5)}, [Ballot(first, ("a",)), Ballot("other", ("a",))])
    x = export_pot(e, "p", rng=random.Random(5))
    assert first not in [b.voter_id for b in x.election.ballots]


@given(elections(vote_type=["approval", "choose-1", "cumulative", "ordinal", "scoring"], max_voters=15),
       st.randoms(use_true_random=False), st.integers(0, 2**32))
@settings(max_examples=60)
def test_export_does_not_depend_on_input_order(election, shuffler, seed):
    """Shuffling the input ballots gives byte-identical files for the same random source."""
    demo = [Demographics(age_band=str(len(b.projects) % 2), channel="online") for b in election.ballots]
    first = export_pot(election, "p", rng=random.Random(seed), demographics=demo, min_group_size=2)
    order = list(range(len(election.ballots)))
    shuffler.shuffle(order)
    shuffled = Election(election.budget, election.projects, [election.ballots[k] for k in order],
                        election.format, election.meta, election.project_columns, election.voter_columns)
    second = export_pot(shuffled, "p", rng=random.Random(seed), demographics=[demo[k] for k in order],
                        min_group_size=2)
    assert (first.pb_text(), first.csv_text(), first.json_text()) == (
        second.pb_text(), second.csv_text(), second.json_text())


@given(elections(vote_type=["approval", "choose-1", "cumulative", "ordinal", "scoring"], max_voters=15),
       st.integers(0, 2**32))
@settings(max_examples=60)
def test_ballots_are_sorted_by_content_then_id_and_keep_their_content(election, seed):
    """Export order is (content key, random id), and the multiset of ballot contents is unchanged."""
    x = export_pot(election, "p", rng=random.Random(seed))
    out = x.election.ballots
    keys = [(content_key(b.projects, b.points), b.voter_id) for b in out]
    assert keys == sorted(keys)

    def content(b: Ballot):
        if election.format.vote_type is VoteType.ORDINAL:
            return (b.projects, b.points)
        return tuple(sorted(zip(b.projects, b.points or [None] * len(b.projects))))

    assert Counter(map(content, out)) == Counter(map(content, election.ballots))


@given(elections(vote_type=["approval", "choose-1", "cumulative", "ordinal", "scoring"], max_voters=12),
       st.integers(0, 2**32))
@settings(max_examples=60)
def test_pb_export_reads_back_and_counts_the_same(election, seed):
    """The .pb reads back to the exported ballots and greedy counts it exactly as the input."""
    x = export_pot(election, "p", rng=random.Random(seed))
    back = parse_pb(x.pb_text())
    assert back.ballots == x.election.ballots
    assert back.budget == election.budget and back.format == election.format
    assert tally(back, "greedy").to_dict() == tally(election, "greedy").to_dict()


def test_ordinal_ranking_kept_and_points_stay_aligned():
    """Ordinal ballots keep the voter's ranking; cumulative points move with their projects."""
    projects = {p: Project(p, 1) for p in "abc"}
    ordinal = Election(3, projects, [Ballot("v", ("c", "a", "b"), (3, 2, 1))],
                       format=BallotFormat(vote_type=VoteType.ORDINAL))
    assert export_pot(ordinal, "p", rng=random.Random(1)).election.ballots[0].projects == ("c", "a", "b")
    cumulative = Election(3, projects, [Ballot("v", ("c", "a"), (4, 1))],
                          format=BallotFormat(vote_type=VoteType.CUMULATIVE, max_sum_points=5))
    b = export_pot(cumulative, "p", rng=random.Random(1)).election.ballots[0]
    assert (b.projects, b.points) == (("a", "c"), (1, 4))


def test_csv_and_json_hold_the_same_ballots_as_the_pb():
    """Each CSV row and JSON ballot is the .pb ballot with the same id, choices, points and demographics."""
    e = read_pb(pabulib_file("Poland_Krakow_2022_Stare_Miasto.pb"))
    demo = [Demographics(age_band=["18-29", "30-64", "65+"][k % 3], channel="paper" if k % 7 else "code")
            for k in range(len(e.ballots))]
    x = export_pot(e, "krakow", demographics=demo, min_group_size=5, rng=random.Random(2))
    pb = parse_pb(x.pb_text())
    rows = list(csv.DictReader(io.StringIO(x.csv_text())))
    data = json.loads(x.json_text())["ballots"]
    assert len(rows) == len(data) == len(pb.ballots) == len(e.ballots)
    for b, row, item in zip(pb.ballots, rows, data):
        assert row["ballot_id"] == item["ballot_id"] == b.voter_id
        assert row["vote"].split(",") == item["vote"] == list(b.projects)
        if b.points is not None:
            assert [int(p) for p in row["points"].split(",")] == item["points"] == list(b.points)
        for col in DEMOGRAPHIC_COLUMNS:
            assert (row[col] or None) == item[col] == b.extra.get(col)


def test_export_readable_by_pabutools_and_pb_tally(tmp_path):
    """pabutools parses the exported .pb with every ballot, and pb-tally counts it as tally counts the input."""
    require_pabutools()  # (skipped locally without pabutools, a failure on CI)
    import pabutools.election as pabutools

    e = read_pb(pabulib_file("Netherlands_Assen_2024.pb"))
    x = export_pot(e, "assen", rule="mes", parameters={"utility": "cost", "completion": "add1"},
                   rng=random.Random(4))
    path = tmp_path / "assen.pb"
    path.write_text(x.pb_text(), encoding="utf-8")
    instance, profile = pabutools.parse_pabulib(str(path))
    assert len(profile) == len(e.ballots)
    assert instance.budget_limit == e.budget
    assert sorted(sorted(p.name for p in ballot) for ballot in profile) == sorted(
        sorted(b.projects) for b in e.ballots)
    run = subprocess.run([str(PB_TALLY), str(path), "--json"], capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    expected = tally(e, "mes", utility="cost", completion="add1")
    assert json.loads(run.stdout)["selected"] == expected.selected
    assert json.loads(run.stdout)["votes"] == expected.to_dict()["votes"]


def test_suppression_blanks_small_groups():
    """A column with a value shared by fewer than k ballots is blanked whole; then rows whose
    remaining combination is shared by fewer than k ballots are blanked."""
    rows = ([("13-15", "east", "code")] * 4 + [("16-18", "east", "code")] * 2
            + [("13-15", "west", "paper")] * 2 + [("13-15", "east", "paper")] * 1)
    out = suppress(rows, 3)
    # 16-18 (2) and west (2) are too rare: the age and area columns go; code (6) and paper (3) stay.
    assert out == [(None, None, "code")] * 6 + [(None, None, "paper")] * 3
    # With k = 4 the paper group (3) is too small too: every column goes.
    assert suppress(rows, 4) == [(None, None, None)] * 9


@given(st.lists(st.tuples(st.sampled_from(["a", "b", "c", None]), st.sampled_from(["x", "y"]),
                          st.sampled_from(["online", "code", "paper"])), max_size=40),
       st.integers(1, 6))
def test_suppression_leaves_no_group_below_the_size(rows, k):
    """After suppression every non-blank value and combination is shared by at least k rows, a
    column is either kept whole or blank in every row, and with no rare value nor rare
    combination nothing changes."""
    out = suppress(rows, k)
    combos = Counter(r for r in out if r != (None, None, None))
    assert all(n >= k for n in combos.values())
    for i in range(3):
        values = Counter(r[i] for r in out if r[i] is not None)
        assert all(n >= k for n in values.values())
        column_kept = any(o[i] is not None for o in out)
        if column_kept:  # whole: every row not blanked as a rare combination keeps its value
            assert all(o[i] == r[i] for r, o in zip(rows, out) if o != (None, None, None))
    before = Counter(rows)
    values_before = [Counter(r[i] for r in rows if r[i] is not None) for i in range(3)]
    if all(n >= k for n in before.values()) and all(n >= k for c in values_before for n in c.values()):
        assert out == list(rows)


def test_demographics_columns_in_all_three_files():
    """With demographics, the .pb, CSV and JSON carry age_band, area and channel, blank where suppressed."""
    e = personal_election()
    demo = ([Demographics("13-15", "east", "online")] * 3 + [Demographics("16-18", "east", "online")] * 2
            + [Demographics("16-18", "west", "paper")])
    x = export_pot(e, "north", demographics=demo, min_group_size=3, rng=random.Random(9))
    assert parse_pb(x.pb_text()).voter_columns == ("voter_id", "vote", "age_band", "area", "channel")
    rows = list(csv.DictReader(io.StringIO(x.csv_text())))
    # west and paper are held by one ballot: the area and channel columns are left out whole.
    assert Counter((r["age_band"], r["area"], r["channel"]) for r in rows) == {
        ("13-15", "", ""): 3, ("16-18", "", ""): 3}
    for text in (x.json_text(), x.pb_text(), x.csv_text()):
        assert "west" not in text and "paper" not in text and "east" not in text


@pytest.mark.parametrize("demo, message", [
    ([Demographics(channel="email")] * 6, "channel"),
    ([Demographics(area="a,b")] * 6, "area"),
    ([Demographics(age_band=" 13")] * 6, "age_band"),
    ([Demographics(area="none")] * 6, "area"),
    ([Demographics()] * 5, "6 ballots"),
    (["13-15"] * 6, "not Demographics"),
])
def test_bad_demographics_refused(demo, message):
    """Demographics of the wrong count, type or text are refused with a message naming the problem."""
    with pytest.raises(ExportError, match=message):
        export_pot(personal_election(), "north", demographics=demo)


@pytest.mark.parametrize("pot", ["", "North", "../x", "a/b", "a.b", "bundle", "x" * 65, "-a"])
def test_bad_pot_names_refused(pot):
    """A pot name that could not be a safe, case-stable file name (or is reserved) is refused."""
    with pytest.raises(ExportError, match="pot name"):
        export_pot(personal_election(), pot)


def test_secrets_ids_differ_between_exports():
    """Without an injected random source, two exports of the same ballots share no ballot id."""
    e = personal_election()
    a = {b.voter_id for b in export_pot(e, "n").election.ballots}
    b = {b.voter_id for b in export_pot(e, "n").election.ballots}
    assert not a & b
