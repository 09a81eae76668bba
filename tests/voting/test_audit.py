"""pb-audit: MATCH on an honest bundle, every tampering detected, exit codes, no web imports."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from tests.voting.strategies import elections
from tests.voting.test_bundle import round_files, unpack
from voting.audit import audit_files, main
from voting.bundle import PotExport, build_bundle, bundle_digest, make_manifest, write_bundle_zip
from voting.export import ExportedPot
from voting.model import Ballot
from voting.outcome import canonical_json
from voting.pabulib import parse_pb, write_pb
from voting.rules import tally

PB_AUDIT = Path(sys.executable).with_name("pb-audit")
DIFF_LINE = re.compile(r"DIFF \S+ \S+( \d+)?: published .*, recounted .*")


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return round_files()


@pytest.fixture(scope="module")
def small_files() -> dict[str, bytes]:
    """A one-pot bundle (Warszawa 2017, greedy): cheap to recount many times."""
    from tests.voting.test_bundle import round_pots

    return build_bundle(round_pots()[1:], {}, ["%064x" % k for k in range(27)], rng=random.Random(5))


def run(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(PB_AUDIT), *map(str, args)], capture_output=True, text=True, timeout=120, env=env)


def cli(capsys, *args: str) -> tuple[int, list[str], str]:
    """Run pb-audit in this process: exit status, stdout lines, stderr."""
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out.splitlines(), out.err


def audit(files: dict[str, bytes], expect: str | None = None) -> list[str]:
    """The DIFF lines of an in-process audit."""
    return [d.line() for d in audit_files(files, expect).diffs]


def resealed(files: dict[str, bytes]) -> dict[str, bytes]:
    """*files* with the manifest recomputed, as a forger who can write the whole bundle would."""
    out = {p: d for p, d in files.items() if p != "manifest.json"}
    out["manifest.json"] = make_manifest(out)
    return out


def with_ballots(files: dict[str, bytes], pot: str, change) -> dict[str, bytes]:
    """*files* with ``change(ballots)`` applied to ballots/<pot>.pb and its CSV and JSON copies rewritten."""
    election = parse_pb(files[f"ballots/{pot}.pb"].decode())
    change(election.ballots)
    copy = ExportedPot(pot, election)
    return dict(files, **{f"ballots/{pot}.pb": write_pb(election).encode(),
                          f"ballots/{pot}.csv": copy.csv_text().encode(),
                          f"ballots/{pot}.json": copy.json_text().encode()})


def with_json(files: dict[str, bytes], path: str, change) -> dict[str, bytes]:
    data = json.loads(files[path])
    change(data)
    return dict(files, **{path: canonical_json(data).encode()})


# --------------------------------------------------------------------------- an honest bundle


def test_pb_audit_says_match_on_zip_and_folder(files, tmp_path):
    """pb-audit on the bundle zip and on its unpacked folder prints MATCH last and exits 0."""
    write_bundle_zip(files, tmp_path / "b.zip")
    for target in (tmp_path / "b.zip", unpack(files, tmp_path / "folder")):
        done = run(target, "--expect-digest", bundle_digest(files).upper())
        assert done.returncode == 0, done.stdout + done.stderr
        lines = done.stdout.splitlines()
        assert lines[-1] == "MATCH"
        assert lines[0] == f"digest {bundle_digest(files)}"
        assert not any(line.startswith("DIFF") for line in lines)


BLOCKER = '''
import sys

BLOCKED = {"flask", "sqlalchemy", "werkzeug", "jinja2", "flask_sqlalchemy", "wtforms", "pb", "pabutools"}


class _Blocker:
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in BLOCKED:
            raise ImportError(f"blocked for this test: {name}")
        return None


sys.meta_path.insert(0, _Blocker())
'''


def test_pb_audit_works_with_web_and_app_imports_blocked(files, tmp_path):
    """With Flask, SQLAlchemy, werkzeug, jinja2, the app package and pabutools unimportable, pb-audit still says MATCH."""
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "sitecustomize.py").write_text(BLOCKER)
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(blocker), "LANG": "C.UTF-8"}
    probe = subprocess.run([sys.executable, "-c", "import flask"], capture_output=True, text=True, env=env)
    assert probe.returncode != 0 and "blocked for this test" in probe.stderr  # the blocker is in force
    write_bundle_zip(files, tmp_path / "b.zip")
    done = run(tmp_path / "b.zip", env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1] == "MATCH"


@given(elections(vote_type=["approval", "choose-1"], max_projects=5, max_voters=10),
       st.sampled_from(["greedy", "mes", "phragmen", "max-welfare"]), st.integers(0, 2**32))
@settings(max_examples=40)
def test_generated_bundles_match_and_a_changed_vote_does_not(election, rule, seed):
    """Any generated election bundled with any rule audits clean; flipping one choice of one ballot,
    even with the copies and manifest rewritten, is reported."""
    pot = PotExport("p", election, rule, {}, None, tally(election, rule), channels={"online": len(election.ballots)})
    files = build_bundle([pot], {}, ["%064x" % k for k in range(len(election.ballots))],
                         rng=random.Random(seed))
    assert audit(files) == []
    if not election.ballots:
        return
    flip = sorted(election.projects)[0]

    def change(ballots):
        b = ballots[0]
        chosen = [p for p in b.projects if p != flip] if flip in b.projects else [*b.projects, flip]
        ballots[0] = Ballot(b.voter_id, tuple(chosen))

    diffs = audit(resealed(with_ballots(files, "p", change)))
    assert any(f"DIFF p outcome.votes.{flip}:" in d for d in diffs), diffs


# --------------------------------------------------------------------------- tampering


def first_ballot_to_other(ballots):
    b = ballots[0]
    ballots[0] = Ballot(b.voter_id, ("427",) if b.projects != ("427",) else ("915",))


TAMPERED_BALLOTS = {
    "changed vote": first_ballot_to_other,
    "dropped ballot": lambda ballots: ballots.pop(),
    "added ballot": lambda ballots: ballots.append(Ballot("0123456789abcdef", ("427", "915"))),
}


@pytest.mark.parametrize("how", sorted(TAMPERED_BALLOTS))
def test_tampered_ballots_detected(files, capsys, tmp_path, how):
    """A changed, dropped or added ballot is caught by its digest, and by the recount once resealed."""
    tampered = with_ballots(files, "wesola", TAMPERED_BALLOTS[how])
    unsealed = audit(tampered)
    assert any(d.startswith("DIFF ballots/wesola.pb sha256:") for d in unsealed)
    sealed = resealed(tampered)
    diffs = audit(sealed)
    assert any(d.startswith("DIFF wesola outcome.votes.") or d.startswith("DIFF wesola ballots:") for d in diffs)
    write_bundle_zip(sealed, tmp_path / "t.zip")
    code, lines, _ = cli(capsys, tmp_path / "t.zip", "--expect-digest", bundle_digest(files))
    assert code == 1 and lines[-1] == "MISMATCH"
    assert f"DIFF bundle digest: published {bundle_digest(files)}, recounted {bundle_digest(sealed)}" in lines
    assert all(DIFF_LINE.fullmatch(line) for line in lines if line.startswith("DIFF"))


def test_changed_budget_detected(files):
    """A changed budget in config.json is reported against the .pb and the published outcome."""
    tampered = resealed(with_json(files, "config.json", lambda c: c["pots"]["wesola"].update(budget=20000)))
    diffs = audit(tampered)
    assert "DIFF wesola pb.budget: published 20000, recounted 51195" in diffs
    assert "DIFF wesola outcome.budget: published 51195, recounted 20000" in diffs


def test_changed_rule_detected(files):
    """A changed rule in config.json gives a recount that differs from the published outcome."""
    def change(c):
        c["pots"]["assen"].update(rule="greedy", parameters={"min_score": None}, tie_break="cost,id")

    diffs = audit(resealed(with_json(files, "config.json", change)))
    assert 'DIFF assen outcome.rule: published mes, recounted greedy' in diffs


def test_changed_result_detected_by_recount(files):
    """A changed published result is reported by the recount even with a resealed manifest."""
    def change(r):
        r["pots"]["wesola"]["outcome"]["selected"] = ["427"]

    tampered = resealed(with_json(files, "result.json", change))
    diffs = audit(tampered, bundle_digest(files))
    assert any(d.startswith('DIFF wesola outcome.selected: published ["427"], recounted [') for d in diffs)
    assert f"DIFF bundle digest: published {bundle_digest(files)}, recounted {bundle_digest(tampered)}" in diffs


def test_changed_round_metadata_caught_only_by_expect_digest(files):
    """Round metadata changed in config.json (resealed) cannot be recounted; --expect-digest catches it."""
    tampered = resealed(with_json(files, "config.json", lambda c: c["round"].update(name="Another round")))
    assert audit(tampered) == []
    assert audit(tampered, bundle_digest(files)) == [
        f"DIFF bundle digest: published {bundle_digest(files)}, recounted {bundle_digest(tampered)}"]


def test_consistent_forgery_caught_only_by_expect_digest(files, tmp_path):
    """A forger who drops a ballot and a receipt, rewrites the result to match and reseals the
    manifest passes the internal checks; only --expect-digest (the published digest) catches it."""
    forged = with_ballots(files, "wesola", lambda ballots: ballots.pop(0))
    election = parse_pb(forged["ballots/wesola.pb"].decode())
    recount = tally(election, "greedy", tie_break="cost,id")
    forged = with_json(forged, "result.json", lambda r: r["pots"]["wesola"].update(
        ballots=len(election.ballots), channels={"online": len(election.ballots), "code": 0, "paper": 0},
        outcome=json.loads(recount.to_json())))
    receipts = forged["receipts.txt"].split(b"\n", 1)[1]  # and one receipt less, so the counts agree
    forged = resealed(dict(forged, **{"receipts.txt": receipts}))
    write_bundle_zip(forged, tmp_path / "f.zip")
    plain = run(tmp_path / "f.zip")
    assert plain.returncode == 0 and plain.stdout.splitlines()[-1] == "MATCH"
    checked = run(tmp_path / "f.zip", "--expect-digest", bundle_digest(files))
    assert checked.returncode == 1
    assert checked.stdout.splitlines()[-2:] == [
        f"DIFF bundle digest: published {bundle_digest(files)}, recounted {bundle_digest(forged)}", "MISMATCH"]


def test_changed_manifest_detected(files):
    """A manifest digest changed by one character is reported for its file, and changes the bundle digest."""
    manifest = json.loads(files["manifest.json"])
    good = manifest["files"]["config.json"]
    manifest["files"]["config.json"] = ("0" if good[0] != "0" else "1") + good[1:]
    tampered = dict(files, **{"manifest.json": canonical_json(manifest).encode()})
    diffs = audit(tampered, bundle_digest(files))
    assert f"DIFF config.json sha256: published {manifest['files']['config.json']}, recounted {good}" in diffs
    assert any(d.startswith("DIFF bundle digest:") for d in diffs)


def test_extra_file_detected(files):
    """A file the manifest does not list is reported; listed by a resealed manifest, it is still not part of a bundle."""
    extra = dict(files, **{"notes/extra.txt": b"hello"})
    assert "DIFF notes/extra.txt file: published (not in manifest), recounted (present)" in audit(extra)
    assert ("DIFF notes/extra.txt file: published (listed in manifest), recounted (not part of a bundle)"
            in audit(resealed(extra)))


def test_missing_file_detected(files):
    """A missing file is reported, whether or not the manifest was rewritten without it."""
    missing = {p: d for p, d in files.items() if p != "ballots/assen.csv"}
    assert "DIFF ballots/assen.csv file: published (listed in manifest), recounted (missing)" in audit(missing)
    assert ("DIFF ballots/assen.csv file: published (not in manifest), recounted (required by config.json)"
            in audit(resealed(missing)))
    no_ballots = resealed({p: d for p, d in files.items() if p != "ballots/assen.pb"})
    assert "DIFF assen ballots: published ballots/assen.pb, recounted (missing: not recounted)" in audit(no_ballots)


def test_csv_copy_that_disagrees_with_the_pb_detected(files):
    """A CSV copy changed (and resealed) is reported with the first differing line."""
    csv_text = files["ballots/wesola.csv"].decode().split("\n")
    csv_text[3] = csv_text[3].split(",")[0] + ",427"
    diffs = audit(resealed(dict(files, **{"ballots/wesola.csv": "\n".join(csv_text).encode()})))
    assert any(d.startswith("DIFF ballots/wesola.csv line 4: published ") for d in diffs)


def one_pot(files: dict[str, bytes], receipts: int) -> tuple[dict[str, bytes], list[str]]:
    """The Assen pot alone (70 online, 10 code, 4 paper ballots) with its first *receipts* receipts, resealed."""
    one = {p: d for p, d in files.items() if "wesola" not in p}
    one = with_json(one, "config.json", lambda c: c["pots"].pop("wesola"))
    one = with_json(one, "result.json", lambda r: r["pots"].pop("wesola"))
    lines = one["receipts.txt"].decode().splitlines()[:receipts]
    return resealed(dict(one, **{"receipts.txt": "".join(h + "\n" for h in lines).encode()})), lines


def test_removed_receipt_detected_in_a_single_pot_round(files):
    """In a one-pot round the receipts must number exactly its online and code ballots (paper has none)."""
    ok, lines = one_pot(files, 80)
    assert audit(ok) == []
    assert len(lines) == 80 and json.loads(ok["result.json"])["pots"]["assen"]["channels"]["paper"] == 4
    one = ok
    short = resealed(dict(one, **{"receipts.txt": "".join(h + "\n" for h in lines[1:]).encode()}))
    assert audit(short) == ["DIFF bundle receipts: published 79 receipts, recounted 80 from the online and code ballots"]
    extra = resealed(dict(one, **{"receipts.txt": "".join(h + "\n" for h in sorted([*lines, "f" * 64])).encode()}))
    assert audit(extra) == ["DIFF bundle receipts: published 81 receipts, recounted 80 from the online and code ballots"]
    unsorted = resealed(dict(one, **{"receipts.txt": "".join(h + "\n" for h in reversed(lines)).encode()}))
    assert any(d.startswith("DIFF receipts.txt line 2:") for d in audit(unsorted))


def without_receipts(files: dict[str, bytes], drop: int) -> dict[str, bytes]:
    """*files* with the first *drop* receipt lines removed (not resealed)."""
    lines = files["receipts.txt"].decode().splitlines()[drop:]
    return dict(files, **{"receipts.txt": "".join(h + "\n" for h in lines).encode()})


def test_removed_receipts_in_a_two_pot_round_caught_below_the_largest_pot(files):
    """With two pots the receipts may number from the largest pot's online and code ballots (80) to their sum (107);
    dropping receipts below 80 is reported, dropping one is not (a cast may have voted in both pots)."""
    assert audit(resealed(without_receipts(files, 1))) == []
    assert audit(resealed(without_receipts(files, 28))) == [
        "DIFF bundle receipts: published 79 receipts, recounted 80 to 107 from the online and code ballots"]


def test_paper_count_inflated_to_hide_a_removed_receipt_is_caught_where_the_numbers_do_not_add_up(files):
    """A receipt removed and the paper count raised to explain it: reported when the channels no longer add up to
    the pot's ballots; when online is lowered to match, only --expect-digest (or the voter's own check) catches it."""
    one, _ = one_pot(files, 80)
    inflated = with_json(without_receipts(one, 1), "result.json",
                         lambda r: r["pots"]["assen"]["channels"].update(paper=5))
    assert audit(resealed(inflated)) == [
        "DIFF assen channels: published online 70 + code 10 + paper 5 = 85, recounted 84 ballots in ballots/assen.pb"]
    consistent = resealed(with_json(without_receipts(one, 1), "result.json",
                                    lambda r: r["pots"]["assen"]["channels"].update(online=69, paper=5)))
    assert audit(consistent) == []
    assert audit(consistent, bundle_digest(one)) == [
        f"DIFF bundle digest: published {bundle_digest(one)}, recounted {bundle_digest(consistent)}"]


def _demographic_bundle() -> dict[str, bytes]:
    """Assen with each ballot's channel published (28 online, 28 code, 28 paper; groups of at least 5)."""
    from tests.voting.test_bundle import round_pots
    from voting.export import Demographics

    pot = round_pots()[0]
    demo = [Demographics(channel=("online", "code", "paper")[k % 3]) for k in range(len(pot.election.ballots))]
    pot = PotExport(pot.pot, pot.election, pot.rule, pot.parameters, pot.tie_break, pot.result, demographics=demo,
                    channels={"online": 28, "code": 28, "paper": 28})
    return build_bundle([pot], {}, ["%064x" % k for k in range(56)], min_group_size=5, rng=random.Random(3))


def test_channel_counts_below_the_ballots_marked_with_that_channel_are_caught():
    """Where the ballot files publish each ballot's channel, a consistent forgery (a receipt removed, online lowered,
    paper raised) is reported: the .pb marks more online ballots than the counts claim."""
    files = _demographic_bundle()
    assert audit(files) == []
    forged = resealed(with_json(without_receipts(files, 1), "result.json",
                                lambda r: r["pots"]["assen"]["channels"].update(online=27, paper=29)))
    assert audit(forged) == [
        "DIFF assen channels.online: published 27, recounted (28 ballots marked online in ballots/assen.pb)"]


@pytest.mark.parametrize("channels", [
    {"online": 27, "code": 0},
    {"online": 27, "code": 0, "paper": 0, "postal": 0},
    {"online": 28, "code": -1, "paper": 0},
    {"online": "27", "code": 0, "paper": 0},
    {"online": True, "code": 26, "paper": 0},
    [27, 0, 0],
    None,
])
def test_malformed_channel_counts_are_reported(small_files, channels):
    """Channel counts that are not exactly online, code and paper as non-negative whole numbers are reported, and no receipt count is checked against them."""
    tampered = resealed(with_json(small_files, "result.json", lambda r: r["pots"]["wesola"].update(channels=channels)))
    diffs = audit(tampered)
    assert len(diffs) == 1 and diffs[0].startswith("DIFF wesola channels: published ")
    assert diffs[0].endswith(", recounted (the numbers of online, code and paper ballots)")


def test_result_without_channel_counts_is_reported(small_files):
    """A pot of result.json without channels (the format before version 2) is reported as absent."""
    tampered = resealed(with_json(small_files, "result.json", lambda r: r["pots"]["wesola"].pop("channels")))
    assert audit(tampered) == [
        "DIFF wesola channels: published (absent), recounted (the numbers of online, code and paper ballots)"]


# --------------------------------------------------------------------------- hostile or broken input


def test_bad_content_inside_the_bundle_is_a_difference_not_a_traceback(files, capsys, tmp_path):
    """Malformed config JSON, a float, and an unreadable .pb give DIFF lines and exit 1."""
    cases = {
        "config.json": b'{"pots": ',
        "result.json": b'{"pots": {"assen": 1.5}}',
        "ballots/assen.pb": b"META\nkey;value\nbudget;-3\n",
    }
    for path, data in cases.items():
        tampered = resealed(dict(files, **{path: data}))
        write_bundle_zip(tampered, tmp_path / "t.zip")
        code, lines, err = cli(capsys, tmp_path / "t.zip")
        assert code == 1 and lines[-1] == "MISMATCH" and err == "", (path, lines, err)
        assert "Traceback" not in "\n".join(lines)
    unreadable = audit(resealed(dict(files, **{"ballots/assen.pb": b"META\nkey;value\nbudget;-3\n"})))
    assert any(d.startswith("DIFF assen ballots: published ballots/assen.pb, recounted (unreadable:") for d in unreadable)


def _bundle_zip(tmp_path: Path, files: dict[str, bytes], name: str = "b.zip") -> Path:
    path = tmp_path / name
    write_bundle_zip(files, path)
    return path


@pytest.mark.parametrize("case, message", [
    ("missing path", "no such file or folder"),
    ("text file", "neither a zip file nor a folder"),
    ("no manifest", "has no manifest.json"),
    ("manifest not JSON", "manifest.json is malformed"),
    ("manifest with a float", "manifest.json is malformed"),
    ("manifest lists ../x", "manifest.json is malformed"),
    ("format version 1", "unknown format version 1; pb-audit reads version 2"),
    ("format version 3", "unknown format version 3"),
    ("unsafe zip entry", "unsafe entry name '../x'"),
    ("bad expect-digest", "is not 64 hex digits"),
])
def test_unreadable_bundles_exit_2_with_one_line(files, tmp_path, case, message):
    """A path that is not a readable bundle, or a bad manifest or version, exits 2 with one stderr line."""
    args: list = []
    if case == "missing path":
        args = [tmp_path / "nothing.zip"]
    elif case == "text file":
        (tmp_path / "t.txt").write_text("hello")
        args = [tmp_path / "t.txt"]
    elif case == "no manifest":
        args = [_bundle_zip(tmp_path, {p: d for p, d in files.items() if p != "manifest.json"})]
    elif case == "manifest not JSON":
        args = [_bundle_zip(tmp_path, dict(files, **{"manifest.json": b"{nope"}))]
    elif case == "manifest with a float":
        args = [_bundle_zip(tmp_path, dict(files, **{"manifest.json": b'{"format_version": 1.0, "files": {}}'}))]
    elif case == "manifest lists ../x":
        bad = {"format_version": 2, "files": {"../x": "0" * 64}}
        args = [_bundle_zip(tmp_path, dict(files, **{"manifest.json": canonical_json(bad).encode()}))]
    elif case.startswith("format version"):
        manifest = dict(json.loads(files["manifest.json"]), format_version=int(case[-1]))
        args = [_bundle_zip(tmp_path, dict(files, **{"manifest.json": canonical_json(manifest).encode()}))]
    elif case == "unsafe zip entry":
        import zipfile

        path = _bundle_zip(tmp_path, files)
        with zipfile.ZipFile(path, "a") as zf:
            zf.writestr("../x", b"x")
        args = [path]
    elif case == "bad expect-digest":
        args = [_bundle_zip(tmp_path, files), "--expect-digest", "abc"]
    done = run(*args)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and message in done.stderr, done.stderr
    assert done.stderr.startswith("pb-audit: error: ")


def test_no_arguments_is_a_usage_error(capsys):
    """pb-audit without BUNDLE exits 2 with one line."""
    code, lines, err = cli(capsys)
    assert code == 2 and lines == [] and len(err.splitlines()) == 1


def test_pb_meta_that_disagrees_with_config_is_reported(files):
    """A .pb whose META rule or budget was edited (copies and manifest resealed) is reported as pb.* fields."""
    text = files["ballots/wesola.pb"].decode()
    edited = text.replace("\nrule;greedy\n", "\nrule;equalshares/add1\n").replace("\nbudget;51195\n", "\nbudget;60000\n")
    assert edited != text
    diffs = audit(resealed(dict(files, **{"ballots/wesola.pb": edited.encode()})))
    assert "DIFF wesola pb.rule: published greedy, recounted equalshares/add1" in diffs
    assert "DIFF wesola pb.budget: published 51195, recounted 60000" in diffs


def test_bundle_with_demographics_matches_and_detects_edited_demographics():
    """Demographic columns travel in all three ballot files, audit clean, and an edited cell is reported."""
    from tests.voting.test_bundle import round_pots
    from voting.export import Demographics

    pot = round_pots()[0]
    demo = [Demographics(age_band="13-15" if k % 3 else "16-18", channel=("online", "code", "paper")[k % 3])
            for k in range(len(pot.election.ballots))]
    pot = PotExport(pot.pot, pot.election, pot.rule, pot.parameters, pot.tie_break, pot.result, demographics=demo,
                    channels={"online": 28, "code": 28, "paper": 28})
    files = build_bundle([pot], {}, ["%064x" % k for k in range(56)], min_group_size=5, rng=random.Random(3))
    assert b"age_band" in files["ballots/assen.pb"] and b"channel" in files["ballots/assen.json"]
    assert audit(files) == []
    csv_lines = files["ballots/assen.csv"].decode().split("\n")
    csv_lines[1] = csv_lines[1].replace("online", "paper") if "online" in csv_lines[1] else csv_lines[1].replace(
        "paper", "online").replace("code", "online")
    diffs = audit(resealed(dict(files, **{"ballots/assen.csv": "\n".join(csv_lines).encode()})))
    assert any(d.startswith("DIFF ballots/assen.csv line 2:") for d in diffs)


@given(elections(vote_type=["approval", "choose-1", "cumulative", "ordinal", "scoring"], max_projects=5,
                 max_voters=10, with_costs_fractional=True), st.integers(0, 2**32))
@settings(max_examples=40)
def test_generated_greedy_bundles_of_every_vote_type_match(election, seed):
    """Greedy bundles of every vote type, with fractional costs, audit clean (points survive the export)."""
    pot = PotExport("p", election, "greedy", {}, "votes,cost", tally(election, "greedy", tie_break="votes,cost"),
                    channels={"online": len(election.ballots)})
    files = build_bundle([pot], {"seed": seed}, ["%064x" % k for k in range(len(election.ballots))],
                         rng=random.Random(seed))
    assert audit(files) == []


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**6) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3),
    max_leaves=8,
)


@given(st.sampled_from(["config.json", "result.json"]),
       st.sampled_from(["budget", "ballot_format", "projects", "rule", "parameters", "tie_break", "pabulib_meta",
                        "demographics", "ballots", "channels", "outcome", "title", "extra"]), JSON_VALUES)
@settings(max_examples=80)
def test_hostile_json_inside_a_resealed_bundle_gives_differences_not_exceptions(small_files, path, key, value):
    """Any JSON value put in place of a config or result field gives one-line DIFFs (or none), never an exception."""
    def change(data):
        data["pots"]["wesola"][key] = value

    report = audit_files(resealed(with_json(small_files, path, change)))
    assert all("\n" not in d.line() and DIFF_LINE.fullmatch(d.line()) for d in report.diffs)


@given(st.binary(max_size=64), st.integers(0, 3000))
@settings(max_examples=80)
def test_hostile_pb_bytes_inside_a_resealed_bundle_give_differences(small_files, junk, where):
    """Any bytes spliced anywhere into a .pb file (manifest resealed) are reported as DIFF lines, never an exception."""
    data = small_files["ballots/wesola.pb"]
    k = where % (len(data) + 1)
    tampered = resealed(dict(small_files, **{"ballots/wesola.pb": data[:k] + junk + data[k:]}))
    report = audit_files(tampered)
    assert all("\n" not in d.line() for d in report.diffs)
    assert report.ok == (junk == b"")


def test_demographic_group_below_the_size_is_reported():
    """A ballot whose demographics are edited into a group smaller than the round's size is reported."""
    from tests.voting.test_bundle import round_pots
    from voting.export import Demographics

    pot = round_pots()[1]
    demo = [Demographics(channel="online")] * len(pot.election.ballots)
    pot = PotExport(pot.pot, pot.election, pot.rule, pot.parameters, pot.tie_break, pot.result, demographics=demo,
                    channels=pot.channels)
    files = build_bundle([pot], {}, ["%064x" % k for k in range(27)], min_group_size=5, rng=random.Random(3))
    assert audit(files) == []

    def change(ballots):
        b = ballots[0]
        ballots[0] = Ballot(b.voter_id, b.projects, b.points, extra={"channel": "paper"})

    tampered = with_ballots(files, "wesola", change)
    election = parse_pb(tampered["ballots/wesola.pb"].decode())
    copy = ExportedPot("wesola", election, columns=("age_band", "area", "channel"))
    tampered = resealed(dict(tampered, **{"ballots/wesola.csv": copy.csv_text().encode(),
                                          "ballots/wesola.json": copy.json_text().encode()}))
    diffs = audit(tampered)
    assert "DIFF wesola demographics.channel: published (groups of at least 5), recounted ('paper' on 1 ballots)" in diffs


def test_hostile_keys_in_the_result_stay_on_one_line(small_files):
    """Result keys holding spaces or newlines are named on one DIFF line with no inner spaces."""
    tampered = resealed(with_json(small_files, "result.json",
                                  lambda r: r["pots"]["wesola"]["outcome"].update({"a b\nc": 1})))
    diffs = audit(tampered)
    assert diffs == ["DIFF wesola outcome.a_b_c: published 1, recounted (absent)"]


def test_a_bundle_without_config_or_result_is_reported(files):
    """A resealed bundle missing config.json and result.json names both as required files."""
    bare = resealed({p: d for p, d in files.items() if p not in ("config.json", "result.json")})
    diffs = audit(bare)
    assert "DIFF config.json file: published (not in manifest), recounted (required)" in diffs
    assert "DIFF result.json file: published (not in manifest), recounted (required)" in diffs


def test_an_internal_error_is_one_line_and_exit_2(capsys, monkeypatch, tmp_path):
    """A bug inside the audit ends with one stderr line and exit 2, never a traceback or a verdict."""
    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug")

    monkeypatch.setattr("voting.audit.audit_bundle", broken)
    code, lines, err = cli(capsys, tmp_path)
    assert code == 2 and lines == []
    assert err == "pb-audit: error: internal error: RuntimeError: simulated bug\n"
