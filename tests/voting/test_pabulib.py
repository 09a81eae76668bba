"""Reading and writing Pabulib files: every real file, every quirk of PABULIB.md A.5, clean errors."""

from __future__ import annotations

import functools
import os
import random
from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.data import all_pabulib_files, pabulib_file
from tests.voting.strategies import elections
from voting.errors import PabulibError
from voting.model import VoteType
from voting.pabulib import dump_pb, parse_pb, read_pb, write_pb

REAL_FILES = all_pabulib_files()
#: Read each real file once for the tests that only look at it (never mutate what it returns).
read_once = functools.lru_cache(maxsize=None)(read_pb)


def pb(meta="budget;100\nvote_type;approval", projects="project_id;cost\na;10\nb;20", votes="voter_id;vote\n1;a\n2;a,b"):
    """A small file from its three section bodies (each header included)."""
    return f"META\nkey;value\n{meta}\nPROJECTS\n{projects}\nVOTES\n{votes}\n"


def raw_meta(path) -> dict[str, str]:
    """META as a naive reader sees it (META never needs quoting in the real files)."""
    meta = {}
    for line in path.read_text(encoding="utf-8-sig").splitlines()[2:]:
        if line.strip().upper() == "PROJECTS":
            return meta
        key, value = line.split(";", 1)
        meta[key.strip()] = value.strip()
    return meta


# --------------------------------------------------------------------------- real files


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.stem)
def test_real_file_loads_with_meta_counts(path):
    """Every shared real file loads, its project and ballot counts equal META's num_projects/num_votes,
    and its ballots are marked as listing each project once, which they do (Częstochowa's file repeats some)."""
    election = read_once(path)
    meta = raw_meta(path)
    assert len(election.projects) == int(meta["num_projects"])
    assert len(election.ballots) == int(meta["num_votes"])
    assert election.meta == meta
    assert not [n for n in election.notices if n.code.endswith("-mismatch")]
    # the ballots are marked as listing each project once, and do
    assert election.distinct_ballots == (election.ballots, len(election.ballots))
    assert all(len(set(b.projects)) == len(b.projects) for b in election.ballots)


@pytest.mark.parametrize("path", REAL_FILES, ids=lambda p: p.stem)
def test_real_file_round_trips(path):
    """Writing a real file's election and reading it back gives the same election."""
    election = read_once(path)
    text = write_pb(election)
    assert "\r" not in text and not text.startswith("\ufeff")
    assert parse_pb(text) == election


def test_toulouse_decimal_costs_and_doubled_quotes():
    """Toulouse: decimal budget and costs are exact ints, and a quoted name keeps its doubled quotes as one."""
    e = read_pb(pabulib_file("France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb"))
    assert e.budget == 400000 and type(e.budget) is int
    assert e.projects["180"].cost == 75000
    assert e.projects["182"].name == "Aménagement de cours \"OASIS\" à l'école élémentaire Victor Hugo"
    assert e.projects["180"].area == "17 - Mirail-Université / Reynerie / Bellefontaine"
    assert e.format.max_length == 3 and e.format.min_length == 1


def test_krakow_ordinal_points_are_read():
    """Kraków: ordinal ballots keep their listed order and their 3,2,1 points column."""
    e = read_pb(pabulib_file("Poland_Krakow_2022_Stare_Miasto.pb"))
    first = e.ballots[0]
    assert (first.voter_id, first.projects, first.points) == ("E1182889", ("11", "13", "36"), (3, 2, 1))
    assert first.extra == {"voting_method": "internet"}
    assert e.format.vote_type is VoteType.ORDINAL
    assert e.projects["36"].name == 'Park Kieszonkowy "Olimpijka" - stwórzmy piękną przestrzeń'


def test_czestochowa_repeated_project_counts_once_with_summed_points():
    """Częstochowa 2020 line 11740 lists 579 four times: one entry with 4 points and one duplicate notice."""
    e = read_pb(pabulib_file("Poland_Czestochowa_2020.pb"))
    ballot = next(b for b in e.ballots if b.voter_id == "13026")
    assert (ballot.projects, ballot.points, ballot.line) == (("579",), (4,), 11740)
    dups = [n for n in e.notices if n.code == "duplicate-in-vote"]
    assert [(n.voter_id, n.line, n.project_id) for n in dups] == [("13026", 11740, "579")]
    assert "4 times" in dups[0].message
    score = sum(p for b in e.ballots if b.points for pid, p in zip(b.projects, b.points) if pid == "579")
    assert score == int(e.projects["579"].extra["score"])  # the file's own score column agrees


def test_czestochowa_empty_trailing_cells_are_missing():
    """A row ending in an empty district cell gives a ballot without a district, not an extra column."""
    e = read_pb(pabulib_file("Poland_Czestochowa_2020.pb"))
    ballot = next(b for b in e.ballots if b.voter_id == "13026")
    assert "district" not in ballot.extra
    assert e.ballots[0].extra == {"district": "Śródmieście"}


def test_warsaw_2017_none_cell_and_knapsack_limit():
    """Warsaw 2017: a literal None cell is missing, categories are a list and max_sum_cost is the budget."""
    e = read_pb(pabulib_file("Poland_Warszawa_2017_Plac_Wojska_Polskiego.pb"))
    assert "beneficiaries" not in e.projects["915"].extra
    assert e.projects["427"].extra["beneficiaries"] == "children,families with children"
    assert e.projects["915"].categories == ("education", "environmental protection")
    assert e.format.max_sum_cost == e.budget == 51195 and e.format.is_knapsack


def test_swiecie_string_ids_and_wieliczka_mixed_endings():
    """Non-numeric ids stay strings; Wieliczka's mixed CRLF/LF lines read like any other file."""
    e = read_pb(pabulib_file("Poland_Swiecie_2023.pb"))
    assert e.ballots[0].voter_id == "v1" and e.ballots[0].projects == ("c1", "c2", "c11", "c21", "c20")
    w = read_pb(pabulib_file("Poland_Wieliczka_2023_Green_Budget.pb"))
    assert w.meta["rule"] == "equalshares/add1-comparison"  # the one LF-only line (12)
    assert w.meta["date_begin"] == "03.04.2023" and w.ballots[-1].voter_id == "6586"
    assert w.projects["83"].extra["longitude"] == "20.0710639357567"  # CR stripped


def test_warsaw_2026_last_row_without_final_newline():
    """The last row of a file without a final newline is read, with its empty trailing cell missing."""
    e = read_once(pabulib_file("Poland_Warszawa_2026.pb"))
    last = e.ballots[-1]
    assert last.voter_id == "318285" and last.projects == ("1992", "322", "1926", "1401", "99")
    assert last.extra == {"age": "75", "sex": "F", "voting_method": "paper", "neighborhood": "-"}
    assert e.meta["min_project_score_threshold"] == "3000"


# --------------------------------------------------------------------------- quirks


def test_line_endings_bom_blank_lines_and_case_do_not_matter():
    """CRLF, mixed endings, a BOM, blank lines, lower-case titles and no final newline give the same election."""
    base = parse_pb(pb())
    text = pb()
    variants = [
        text.replace("\n", "\r\n"),
        text.replace("\n", "\r\n", 5),
        "\ufeff" + text,
        text.rstrip("\n"),
        text.replace("PROJECTS\n", "\nprojects\n\n").replace("VOTES\n", "\n\nvotes\n").replace("META", "meta"),
    ]
    for variant in variants:
        assert parse_pb(variant) == base, repr(variant)


def test_read_pb_strips_a_bom_from_bytes(tmp_path):
    """read_pb decodes UTF-8 with a BOM the same as without one."""
    path = tmp_path / "bom.pb"
    path.write_bytes(b"\xef\xbb\xbf" + pb().encode())
    assert read_pb(path) == parse_pb(pb())


def test_cells_and_list_items_are_trimmed():
    """Spaces around cells, META values and list items are ignored."""
    e = parse_pb(pb(meta="budget; 100 \nvote_type ; approval", projects="project_id; cost\n a ;10\nb; 20",
                    votes="voter_id;vote\n1; a\n2;a, b "))
    assert e.meta == {"budget": "100", "vote_type": "approval"}
    assert [b.projects for b in e.ballots] == [("a",), ("a", "b")]
    assert e.projects["b"].cost == 20


def test_quoted_cells_with_separators_quotes_and_line_breaks():
    """Quoted cells may hold ';', doubled quotes and even a line break; the row keeps its first line number."""
    e = parse_pb(pb(projects='project_id;cost;name\na;10;"x; ""y"""\nb;20;"two\r\nlines"',
                    votes='voter_id;vote\n"1";"a,b"\n2;b'))
    assert e.projects["a"].name == 'x; "y"'
    assert e.projects["b"].name == "two\nlines"
    assert e.ballots[0].projects == ("a", "b")
    assert (e.ballots[0].line, e.ballots[1].line) == (12, 13)


def test_an_unclosed_quote_is_found_in_one_pass(monkeypatch):
    """A quote opened in a cell and never closed, with 20,000 rows after it, is reported at its
    own line after one CSV read of the row (the quote marks after it are counted in one pass),
    not one read per row joined (which made a 140 KB file take seconds); a quoted line break
    still reads."""
    import voting._pabulib_read as reader

    reads = []
    real = reader.csv.reader
    monkeypatch.setattr(reader.csv, "reader", lambda rows, **kw: reads.append(1) or real(rows, **kw))
    votes = "voter_id;vote\n" + "\n".join(f"{i};a" for i in range(20_000))
    with pytest.raises(PabulibError) as info:
        parse_pb(pb(projects='project_id;cost;name\na;10;"open', votes=votes))
    assert info.value.line == 7 and "never closed" in str(info.value)
    assert len(reads) == 1
    reads.clear()
    e = parse_pb(pb(projects='project_id;cost;name\na;10;"two\nlines ""quoted"""\nb;20;"x"'))
    assert e.projects["a"].name == 'two\nlines "quoted"' and e.projects["b"].name == "x"
    assert len(reads) == 3  # the row, the row joined to its closing line, and b's row


def test_decimal_amounts_are_exact():
    """Decimal costs and budgets become exact Fractions, never floats."""
    e = parse_pb(pb(meta="budget;1920218.79\nvote_type;approval", projects="project_id;cost\na;0.1\nb;75000.0"))
    assert e.budget == Fraction(192021879, 100)
    assert e.projects["a"].cost == Fraction(1, 10) and e.projects["b"].cost == 75000


def test_ballot_format_comes_from_meta():
    """min/max_length, min/max_sum_cost and the points limits are read from META."""
    e = parse_pb(pb(meta="budget;100\nvote_type;cumulative\nmin_length;1\nmax_length;2\n"
                         "min_sum_cost;5\nmax_sum_cost;90.5\nmin_points;0\nmax_points;4\nmin_sum_points;1\nmax_sum_points;5",
                    votes="voter_id;vote;points\n1;a,b;3,2"))
    f = e.format
    assert (f.min_length, f.max_length, f.min_sum_cost, f.max_sum_cost) == (1, 2, 5, Fraction(181, 2))
    assert (f.min_points, f.max_points, f.min_sum_points, f.max_sum_points) == (0, 4, 1, 5)
    assert e.ballots[0].points == (3, 2)


def test_ordinal_without_points_has_none_and_approval_points_stay_extra():
    """Ordinal ballots without a points column have points None; an approval file's points column stays text."""
    e = parse_pb(pb(meta="budget;100\nvote_type;ordinal", votes="voter_id;vote\n1;b,a"))
    assert e.ballots[0].points is None and e.ballots[0].projects == ("b", "a")
    e = parse_pb(pb(votes="voter_id;vote;points\n1;a;7"))
    assert e.ballots[0].points is None and e.ballots[0].extra == {"points": "7"}


def test_empty_votes_are_empty_ballots():
    """An empty vote (and empty points for cumulative) is an empty ballot, not an error."""
    e = parse_pb(pb(votes="voter_id;vote\n1;\n2"))
    assert [b.projects for b in e.ballots] == [(), ()]
    e = parse_pb(pb(meta="budget;100\nvote_type;cumulative\nmax_sum_points;3", votes="voter_id;vote;points\n1;;"))
    assert e.ballots[0].projects == () and e.ballots[0].points == ()


def test_count_mismatch_is_a_notice():
    """num_projects or num_votes disagreeing with the rows is a warning with the META line."""
    e = parse_pb(pb(meta="budget;100\nvote_type;approval\nnum_projects;3\nnum_votes;2"))
    assert [(n.code, n.line) for n in e.notices] == [("num-projects-mismatch", 5)]


def test_repeated_project_in_approval_vote():
    """A repeated id in an approval vote counts once, keeps its first position and is reported with voter and line."""
    e = parse_pb(pb(votes="voter_id;vote\n1;b,a,b"))
    assert e.ballots[0].projects == ("b", "a")
    assert e.distinct_ballots == (e.ballots, 1)  # the counts need not look for repeats again
    (notice,) = e.notices
    assert (notice.code, notice.voter_id, notice.line, notice.project_id) == ("duplicate-in-vote", "1", 11, "b")


# --------------------------------------------------------------------------- errors


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (pb(meta="budget;100\nvote_type;approval\nrule: greedy"), 5, "no ';'"),
        (pb(votes="voter_id;vote\n1;a\n2;c"), 12, "unknown project 'c'"),
        (pb(votes="voter_id;vote\n1;a\n1;b"), 12, "votes twice"),
        (pb(votes="voter_id;vote\n1;a;x"), 11, "3 cells but the header has 2"),
        (pb(projects="project_id;cost\na;10;5"), 7, "3 cells"),
        (pb(projects="cost;project_id\n10;a"), 6, "must start with 'project_id'"),
        (pb(votes="vote;voter_id\na;1"), 10, "must start with 'voter_id'"),
        (pb(projects="project_id;cost\na;10\na;20"), 8, "listed twice"),
        (pb(projects="project_id;cost\na;1,5"), 7, "decimal comma"),
        (pb(projects="project_id;cost\na;0"), 7, "must be positive"),
        (pb(projects="project_id;cost\na;ten"), 7, "not a decimal number"),
        (pb(projects="project_id;name\na;x"), 6, "no 'cost' column"),
        (pb(meta="budget;100\nvote_type;approval\nbudget;5"), 5, "appears twice"),
        (pb(meta="budget;100\nvote_type;ranked"), 4, "unknown vote_type"),
        (pb(meta="budget;100\nvote_type;approval\nmax_length;2.5"), 5, "not a whole number"),
        (pb(meta="budget;100\nvote_type;cumulative\nmax_sum_points;5", votes="voter_id;vote\n1;a"), 11, "'points' column"),
        (pb(meta="budget;100\nvote_type;cumulative\nmax_sum_points;5", votes="voter_id;vote;points\n1;a,b;1"), 12, "entries in 'points'"),
        (pb(projects='project_id;cost;name\na;10;"open'), 7, "never closed"),
        (pb(projects='project_id;cost;name\na;10;"x"y'), 7, "quoting"),
        ("key;value\nbudget;1\n", 1, "META section title"),
    ],
)
def test_malformed_input_names_line_and_problem(text, line, words):
    """Each kind of malformed file raises PabulibError with the offending line and a description."""
    with pytest.raises(PabulibError) as info:
        parse_pb(text)
    assert info.value.line == line
    assert words in str(info.value)
    assert str(info.value).startswith(f"line {line}: ")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("META\nkey;value\nvote_type;approval\nPROJECTS\nproject_id;cost\nVOTES\nvoter_id;vote\n", "line 4: META has no budget"),
        ("META\nkey;value\nbudget;5\nPROJECTS\nproject_id;cost\nVOTES\nvoter_id;vote\n", "line 4: META has no vote_type"),
        ("META\nkey;value\nbudget;5\nvote_type;approval\nPROJECTS\nproject_id;cost\n", "no VOTES section"),
        ("", "no META section"),
    ],
)
def test_missing_parts_are_named(text, words):
    """A missing required key or section raises PabulibError naming it."""
    with pytest.raises(PabulibError, match=words):
        parse_pb(text)


def test_read_pb_reports_bad_bytes_and_missing_files(tmp_path):
    """Non-UTF-8 bytes give the line they are on; a missing file is a PabulibError, not an OSError."""
    path = tmp_path / "latin1.pb"
    path.write_bytes(pb().replace("a;10", "\xe9;10").encode("latin-1"))
    with pytest.raises(PabulibError) as info:
        read_pb(path)
    assert info.value.line == 7 and str(path) in str(info.value)
    with pytest.raises(PabulibError, match="cannot read"):
        read_pb(tmp_path / "absent.pb")


# --------------------------------------------------------------------------- properties

VOTE_TYPES = [v.value for v in VoteType]


@given(elections(vote_type=VOTE_TYPES, with_costs_fractional=True, max_voters=8))
def test_generated_elections_round_trip(election):
    """For any valid election, reading back what write_pb wrote gives the same election."""
    assert parse_pb(write_pb(election)) == election


@given(elections(vote_type=None, knapsack=True, max_voters=5))
def test_dump_pb_writes_what_read_pb_reads(tmp_path_factory, election):
    """dump_pb then read_pb gives the same election (UTF-8 file, LF endings)."""
    path = tmp_path_factory.mktemp("pb") / "e.pb"
    dump_pb(election, path)
    assert b"\r" not in path.read_bytes()
    assert read_pb(path) == election


FUZZ_SEED_TEXT = pabulib_file("Netherlands_Amsterdam_643.pb").read_text(encoding="utf-8")
FUZZ_PIECES = [";", '"', ",", "\n", "\r\n", " ", "None", "x", "0", "-1", ".", "1,5", "\ufeff", "VOTES", "META", "é"]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 4), st.integers(0, 10**6), st.sampled_from(FUZZ_PIECES)), min_size=1, max_size=6))
def test_mutated_real_file_raises_only_pabulib_error(mutations):
    """Random edits to a real small file either still parse or raise PabulibError with a line; nothing else escapes."""
    text = FUZZ_SEED_TEXT
    for kind, where, piece in mutations:
        lines = text.split("\n")
        pos = where % (len(text) + 1)
        if kind == 0:  # insert a piece
            text = text[:pos] + piece + text[pos:]
        elif kind == 1:  # delete a span
            text = text[:pos] + text[pos + where % 7 + 1:]
        elif kind == 2:  # duplicate a line
            i = where % len(lines)
            text = "\n".join(lines[: i + 1] + lines[i:])
        elif kind == 3:  # drop a line
            i = where % len(lines)
            text = "\n".join(lines[:i] + lines[i + 1:])
        else:  # swap two lines
            i, j = where % len(lines), (where // 7) % len(lines)
            lines[i], lines[j] = lines[j], lines[i]
            text = "\n".join(lines)
    try:
        election = parse_pb(text)
    except PabulibError as exc:
        assert str(exc)
        return
    counts_right = {"num_projects", "num_votes"} <= election.meta.keys() and not any(
        n.code.endswith("-mismatch") for n in election.notices
    )
    if counts_right:  # otherwise the writer writes the true counts: a deliberate difference
        assert parse_pb(write_pb(election)) == election


def test_fuzz_mutations_of_every_small_file_seeded():
    """Deterministic random line-level edits of every small real file raise nothing but PabulibError."""
    rng = random.Random(20261129)
    for path in REAL_FILES:
        if path.stat().st_size > 60_000:
            continue
        lines = path.read_text(encoding="utf-8").split("\n")
        for _ in range(40):
            mutated = list(lines)
            i = rng.randrange(len(mutated))
            cut = rng.randrange(len(mutated[i]) + 1)
            mutated[i] = mutated[i][:cut] + rng.choice(FUZZ_PIECES) + mutated[i][cut + 1:]
            try:
                parse_pb("\n".join(mutated))
            except PabulibError:
                pass


def test_czestochowa_duplicate_policy_does_not_change_greedy_outcome():
    """Greedy by counted score gives the same projects whether the repeated 579 keeps 1 or 4 points,
    and the same as greedy by the file's own score column."""
    from dataclasses import replace

    from voting.rules import tally

    e = read_pb(pabulib_file("Poland_Czestochowa_2020.pb"))
    summed = tally(e, "greedy").selected
    i = next(k for k, b in enumerate(e.ballots) if b.voter_id == "13026")
    e.ballots[i] = replace(e.ballots[i], points=(1,))  # first or largest entry: 1 point
    assert tally(e, "greedy").selected == summed
    file_score = {pid: int(p.extra["score"]) for pid, p in e.projects.items()}
    left, by_file = e.budget, []
    for pid in sorted(file_score, key=lambda p: (-file_score[p], e.projects[p].cost, p)):
        if e.projects[pid].cost <= left:
            by_file.append(pid)
            left -= e.projects[pid].cost
    assert summed == by_file


# --------------------------------------------------------------------------- pabutools as an oracle


def _pabutools_parse():
    """pabutools' parser; fails (never skips) on CI when the oracle is missing."""
    try:
        from pabutools.election import parse_pabulib
    except ImportError:
        if os.environ.get("CI") == "true":
            raise
        pytest.skip("pabutools 1.2.3 (test extra) is not installed")
    return parse_pabulib


def _exact(value) -> Fraction:
    return Fraction(int(value.numerator), int(value.denominator))


ORACLE_FILES = [p for p in REAL_FILES if p.stat().st_size < 2_000_000]  # pabutools needs ~4-17 s on Warsaw 2026


@pytest.mark.parametrize("path", ORACLE_FILES, ids=lambda p: p.stem)
def test_reader_agrees_with_pabutools(path):
    """Budget, costs and every ballot (set, ranking or points) equal pabutools 1.2.3's reading of the same file,
    except the documented repeated-project policy (pabutools keeps the last points, we sum them)."""
    instance, profile = _pabutools_parse()(str(path))
    e = read_once(path)
    assert _exact(instance.budget_limit) == e.budget
    assert {p.name: _exact(p.cost) for p in instance} == {pid: Fraction(p.cost) for pid, p in e.projects.items()}
    assert len(profile) == len(e.ballots)
    repeated = {n.voter_id for n in e.notices if n.code == "duplicate-in-vote"}
    for theirs, ours in zip(profile, e.ballots):
        assert theirs.meta["voter_id"] == ours.voter_id
        kind = type(theirs).__name__
        if kind == "CumulativeBallot":
            got = {p.name: _exact(v) for p, v in theirs.items()}
            want = dict(zip(ours.projects, ours.points))
            if ours.voter_id in repeated:
                assert got.keys() == want.keys() and got != want
                continue
            assert got == want
        elif kind == "OrdinalBallot":
            assert [p.name for p in theirs] == list(ours.projects)
        else:
            assert {p.name for p in theirs} == set(ours.projects)
