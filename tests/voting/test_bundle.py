"""Audit bundle: file set, manifest and digest, deterministic zip, configuration, receipts, oracles."""

from __future__ import annotations

import hashlib
import io
import json
import os
import random
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pb.receipts import generate_receipt, receipt_hash
from tests.data import pabulib_file
from voting.bundle import (
    BundleError, BundleReadError, PotExport, build_bundle, bundle_digest, bundle_zip_bytes, config_election,
    pb_tally_args, published_outcome, read_bundle, recount_call, write_bundle_zip,
)
from voting.export import Demographics
from voting.model import Ballot, BallotFormat, Election, Project
from voting.outcome import canonical_json
from voting.pabulib import parse_pb, read_pb
from voting.rules import tally
from tests.oracle import require_pabutools

PB_TALLY = Path(sys.executable).with_name("pb-tally")
MES_ADD1 = {"utility": "cost", "completion": "add1"}
#: How the round's ballots came in (84 in Assen, 27 in Warszawa; each cast voted in one pot).
CHANNELS = {"assen": {"online": 70, "code": 10, "paper": 4}, "wesola": {"online": 27}}
#: Receipts of the round's counted online and code casts (paper ballots have none).
RECEIPTS = [generate_receipt() for _ in range(80 + 27)]


def round_pots() -> list[PotExport]:
    """Two pots of one round from real files: Assen 2024 with MES add1, Warszawa 2017 with greedy."""
    assen = read_pb(pabulib_file("Netherlands_Assen_2024.pb"))
    wesola = read_pb(pabulib_file("Poland_Warszawa_2017_Plac_Wojska_Polskiego.pb"))
    return [
        PotExport("assen", assen, "mes", MES_ADD1, None, tally(assen, "mes", **MES_ADD1), title="Assen",
                  channels=CHANNELS["assen"]),
        PotExport("wesola", wesola, "greedy", {}, "cost,id", tally(wesola, "greedy").to_dict(), title="Wesoła",
                  channels=CHANNELS["wesola"]),
    ]


def round_files(seed: int = 1) -> dict[str, bytes]:
    """The bundle of :func:`round_pots`, with ids from a seeded random source."""
    return build_bundle(round_pots(), {"name": "Test round 2026", "kind": "city"},
                        [receipt_hash(r) for r in RECEIPTS], rng=random.Random(seed))


def unpack(files: dict[str, bytes], folder: Path) -> Path:
    """Write *files* into *folder* as an unpacked bundle."""
    for path, data in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return folder


@pytest.fixture(scope="module")
def files() -> dict[str, bytes]:
    return round_files()


def test_bundle_holds_exactly_the_documented_files(files):
    """The bundle is ballots/<pot>.{pb,csv,json}, config.json, result.json, receipts.txt and manifest.json."""
    expected = {f"ballots/{p}{s}" for p in ("assen", "wesola") for s in (".pb", ".csv", ".json")}
    assert set(files) == expected | {"config.json", "result.json", "receipts.txt", "manifest.json"}


def test_manifest_maps_every_other_file_to_its_sha256_and_digest_is_its_canonical_hash(files):
    """manifest.json lists every other file's SHA-256 and a format_version; the digest hashes its canonical bytes."""
    manifest = json.loads(files["manifest.json"])
    assert manifest["format_version"] == 2
    assert manifest["files"] == {p: hashlib.sha256(d).hexdigest() for p, d in files.items() if p != "manifest.json"}
    canonical = json.dumps(manifest, sort_keys=True, separators=(",", ":")) + "\n"
    assert files["manifest.json"] == canonical.encode()
    assert bundle_digest(files) == hashlib.sha256(canonical.encode()).hexdigest()


def test_zip_is_deterministic_and_reads_back_as_zip_and_folder(files, tmp_path):
    """The same files give the same zip bytes (sorted entries, fixed times); zip and folder read back equal."""
    a, b = bundle_zip_bytes(files), bundle_zip_bytes(dict(reversed(list(files.items()))))
    assert a == b
    with zipfile.ZipFile(io.BytesIO(a)) as zf:
        names = zf.namelist()
        assert names == sorted(files)
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    write_bundle_zip(files, tmp_path / "b.zip")
    assert read_bundle(tmp_path / "b.zip") == files
    assert read_bundle(unpack(files, tmp_path / "folder")) == files
    changed = dict(files, **{"receipts.txt": files["receipts.txt"] + b"x"})
    assert bundle_zip_bytes(changed) != a


def test_same_seed_same_bundle_new_ids_new_digest():
    """A bundle is reproducible from its random source; fresh ids give a different digest."""
    assert round_files(1) == round_files(1)
    assert bundle_digest(round_files(1)) != bundle_digest(round_files(2))


def test_config_holds_the_frozen_configuration(files):
    """config.json has each pot's budget, projects with costs, ballot format, rule, full parameters and chain."""
    config = json.loads(files["config.json"])
    assert config["round"] == {"name": "Test round 2026", "kind": "city"}
    for pot in round_pots():
        conf = config["pots"][pot.pot]
        base = config_election(conf)
        assert base.budget == pot.election.budget
        assert {p: x.cost for p, x in base.projects.items()} == {p: x.cost for p, x in pot.election.projects.items()}
        assert list(base.projects) == list(pot.election.projects)
        assert base.format == pot.election.format
        assert conf["title"] == pot.title
    assert recount_call(config["pots"]["assen"]) == (
        "mes", "cost,votes,id", {"utility": "cost", "completion": "add1", "compare_greedy": False})
    assert recount_call(config["pots"]["wesola"]) == ("greedy", "cost,id", {"min_score": None})


def test_result_holds_the_published_outcomes(files):
    """result.json holds, per pot, the number of ballots, the ballots per channel (all three named) and the published Outcome.to_dict()."""
    result = json.loads(files["result.json"])
    for pot in round_pots():
        entry = result["pots"][pot.pot]
        assert set(entry) == {"ballots", "channels", "outcome"}
        assert entry["ballots"] == len(pot.election.ballots)
        assert entry["channels"] == {"online": 0, "code": 0, "paper": 0} | dict(pot.channels)
        assert sum(entry["channels"].values()) == entry["ballots"]
        assert entry["outcome"] == json.loads(canonical_json(published_outcome(pot.result)))
        assert entry["outcome"]["selected"] == (
            pot.result.selected if hasattr(pot.result, "selected") else pot.result["selected"])


def test_result_warnings_keep_no_ballot_id_or_line():
    """A warning naming an input ballot id is published with its code (and project) only."""
    e = Election(10, {"a": Project("a", 5), "b": Project("b", 5)},
                 [Ballot("db-ballot-4711", ("a", "b"), line=33), Ballot("db-ballot-4712", ("a",))],
                 format=BallotFormat(max_length=1))
    outcome = tally(e, "greedy")
    assert any(w.voter_id == "db-ballot-4711" for w in outcome.warnings)
    files = build_bundle([PotExport("p", e, "greedy", {}, None, outcome, channels={"paper": 2})], {}, [],
                         rng=random.Random(1))
    assert b"4711" not in b"".join(files.values())
    assert json.loads(files["result.json"])["pots"]["p"]["outcome"]["warnings"] == [{"code": "ballot-limits"}]


def test_pb_tally_with_the_documented_options_reproduces_the_result(files, tmp_path):
    """pb-tally on each ballots/<pot>.pb with pb_tally_args(config) gives the published outcome."""
    folder = unpack(files, tmp_path)
    config = json.loads(files["config.json"])
    result = json.loads(files["result.json"])
    for pot, conf in config["pots"].items():
        run = subprocess.run([str(PB_TALLY), str(folder / f"ballots/{pot}.pb"), *pb_tally_args(conf), "--json"],
                             capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr
        assert published_outcome(json.loads(run.stdout)) == result["pots"][pot]["outcome"]


def _pabutools_winners(path: Path, rule: str) -> list[str]:
    require_pabutools()
    from pabutools import election
    from pabutools.rules import greedy_utilitarian_welfare, method_of_equal_shares
    from pabutools.tiebreaking import TieBreakingRule

    full, profile = election.parse_pabulib(str(path))
    scores = profile.approval_scores()
    # Our rules never fund a project without votes; pabutools' greedy may, so leave them out.
    instance = election.Instance([p for p in full if scores.get(p, 0) > 0], budget_limit=full.budget_limit)
    if rule == "greedy":
        ties = TieBreakingRule(lambda inst, prof, p: (p.cost, p.name))
        out = greedy_utilitarian_welfare(instance, profile, sat_class=election.Cost_Sat, tie_breaking=ties)
    else:
        ties = TieBreakingRule(lambda inst, prof, p: (p.cost, -prof.approval_score(p), p.name))
        out = method_of_equal_shares(instance, profile, sat_class=election.Cost_Sat, tie_breaking=ties)
    return sorted(p.name for p in out)


def test_pabutools_recount_of_the_bundle_gives_the_same_winners(files, tmp_path):
    """pabutools' greedy and plain MES on the bundle's .pb files fund the projects our rules fund."""
    folder = unpack(files, tmp_path)
    result = json.loads(files["result.json"])
    wesola = folder / "ballots/wesola.pb"
    assert _pabutools_winners(wesola, "greedy") == sorted(result["pots"]["wesola"]["outcome"]["selected"])
    assen = folder / "ballots/assen.pb"
    ours = tally(read_pb(assen), "mes", utility="cost", completion="none", tie_break="cost,votes,id")
    assert _pabutools_winners(assen, "mes") == sorted(ours.selected)


def test_counted_receipt_is_listed_and_an_altered_one_is_not(files):
    """A counted ballot's receipt hash is in receipts.txt; an altered receipt's hash is not."""
    listed = files["receipts.txt"].decode().splitlines()
    assert listed == sorted(set(listed)) and len(listed) == len(RECEIPTS)
    assert receipt_hash(RECEIPTS[5]) in listed
    plain = RECEIPTS[5].replace("-", "")
    for k in range(len(plain) - 1):  # every single-character change and swap of neighbours
        altered = plain[:k] + ("2" if plain[k] != "2" else "3") + plain[k + 1:]
        swapped = plain[:k] + plain[k + 1] + plain[k] + plain[k + 2:]
        for typo in (altered, swapped):
            if typo != plain:
                try:
                    digest = receipt_hash(typo)
                except ValueError:
                    continue  # the check character refuses it before any lookup
                assert digest not in listed


def test_receipt_list_links_to_no_ballot(files):
    """receipts.txt holds only sorted hashes: no ballot id, and its order follows no ballot order."""
    listed = files["receipts.txt"].decode().splitlines()
    ids = {b["ballot_id"] for pot in ("assen", "wesola")
           for b in json.loads(files[f"ballots/{pot}.json"])["ballots"]}
    assert not any(i in h for h in listed for i in ids)
    assert listed == sorted(receipt_hash(r) for r in RECEIPTS)


def _pot(**overrides) -> PotExport:
    e = Election(10, {"a": Project("a", 5)}, [Ballot("1", ("a",))])
    values = dict(pot="p", election=e, rule="greedy", parameters={}, tie_break=None, result=tally(e),
                  channels={"paper": 1})
    values.update(overrides)
    return PotExport(**values)


@pytest.mark.parametrize("pots, meta, receipts, message", [
    ([], {}, [], "at least one pot"),
    ([_pot(), _pot()], {}, [], "repeat"),
    ([_pot(pot="../p")], {}, [], "pot name"),
    ([_pot(rule="borda")], {}, [], "unknown rule"),
    ([_pot(parameters={"utility": "cost"})], {}, [], "does not fit"),
    ([_pot(tie_break="votes,luck")], {}, [], "tie chain"),
    ([_pot(result={"selected": 1.5, "rule": "greedy"})], {}, [], "canonical JSON"),
    ([_pot(result={"winners": []})], {}, [], "not an outcome"),
    ([_pot()], {"turnout": 0.5}, [], "round metadata"),
    ([_pot()], {}, ["XYZ"], "64 lower-case hex"),
    ([_pot(channels={"online": 1})], {}, ["a" * 64, "a" * 64], "repeat"),
    ([_pot(channels=None)], {}, [], "no channel counts"),
    ([_pot(channels={"online": 1, "paper": 1})], {}, ["a" * 64], "add up to 2, not to the 1 ballots"),
    ([_pot(channels={"postal": 1})], {}, [], "channels must give exactly online, code, paper"),
    ([_pot(channels={"online": 2, "paper": -1})], {}, ["a" * 64], "channels must give"),
    ([_pot(channels={"online": True})], {}, ["a" * 64], "channels must give"),
    ([_pot()], {}, ["a" * 64], "1 receipts, but the channel counts allow 0 to 0"),
    ([_pot(channels={"online": 1})], {}, [], "0 receipts, but the channel counts allow 1 to 1"),
    ([_pot(demographics=[Demographics(channel="code")])], {}, [], "1 ballots are marked code"),
])
def test_bad_bundle_input_refused(pots, meta, receipts, message):
    """Input a bundle cannot honestly hold is refused with a BundleError naming the problem."""
    with pytest.raises(BundleError, match=message):
        build_bundle(pots, meta, receipts)


def _zip_with(entries: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
    return buf.getvalue()


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../x", "a\\b", "C:/x", "./a"])
def test_unsafe_zip_entry_names_refused(tmp_path, files, name):
    """A zip entry that could escape its folder is refused without reading anything."""
    path = tmp_path / "b.zip"
    path.write_bytes(_zip_with({**files, name: b"x"}))
    with pytest.raises(BundleReadError, match="unsafe entry name"):
        read_bundle(path)


def test_oversized_and_repeated_zip_entries_refused(tmp_path, monkeypatch, files):
    """An entry larger than the limit, or a name given twice, is refused."""
    path = tmp_path / "b.zip"
    path.write_bytes(_zip_with({"manifest.json": b"{}", "big": b"0" * 5000}))
    monkeypatch.setattr("voting._bundle_files.MAX_FILE_BYTES", 4096)
    with pytest.raises(BundleReadError, match="too large"):
        read_bundle(path)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf, pytest.warns(UserWarning):
        zf.writestr("a", b"1")
        zf.writestr("a", b"2")
    path.write_bytes(buf.getvalue())
    with pytest.raises(BundleReadError, match="twice"):
        read_bundle(path)


def test_unreadable_paths_refused(tmp_path):
    """A missing path, a file that is not a zip and a folder holding a symbolic link are refused."""
    with pytest.raises(BundleReadError, match="no such"):
        read_bundle(tmp_path / "nothing.zip")
    (tmp_path / "text.zip").write_text("not a zip")
    with pytest.raises(BundleReadError, match="neither a zip"):
        read_bundle(tmp_path / "text.zip")
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / "manifest.json").write_text("{}")
    os.symlink("/etc/hostname", folder / "link")
    with pytest.raises(BundleReadError, match="not a regular file"):
        read_bundle(folder)


def test_config_with_a_fractional_budget_and_threshold_round_trips():
    """Exact fractional amounts (budget, costs, min_score) survive config.json and reach tally exactly."""
    from fractions import Fraction

    e = Election(Fraction(101, 2), {"a": Project("a", Fraction(51, 4)), "b": Project("b", 3)},
                 [Ballot("1", ("a",)), Ballot("2", ("a", "b"))])
    pot = PotExport("p", e, "greedy", {"min_score": Fraction(3, 2)}, None, tally(e, min_score=Fraction(3, 2)),
                    channels={"paper": 2})
    files = build_bundle([pot], {}, [], rng=random.Random(1))
    conf = json.loads(files["config.json"])["pots"]["p"]
    assert conf["budget"] == "50.5" and conf["parameters"]["min_score"] == "1.5"
    assert config_election(conf).projects["a"].cost == Fraction(51, 4)
    assert recount_call(conf)[2] == {"min_score": Fraction(3, 2)}
    assert pb_tally_args(conf) == ["--rule", "greedy", "--tie-break", "cost,id", "--min-votes", "1.5"]
    assert parse_pb(files["ballots/p.pb"].decode()).budget == Fraction(101, 2)


def test_the_pabutools_recipe_in_the_audit_guide_gives_the_published_winners(tmp_path):
    """The Python block of docs/AUDIT.md, run on a bundle with its pot names, prints the published winners."""
    require_pabutools()
    guide = (Path(__file__).resolve().parents[2] / "docs" / "AUDIT.md").read_text(encoding="utf-8")
    recipe = guide.split("```python\n")[1].split("```")[0]
    assen, wesola = round_pots()
    pots = [PotExport("north", assen.election, assen.rule, assen.parameters, None, assen.result,
                      channels={"paper": 84}),
            PotExport("youth", wesola.election, wesola.rule, wesola.parameters, None, wesola.result,
                      channels={"paper": 27})]
    folder = unpack(build_bundle(pots, {}, [], rng=random.Random(1)), tmp_path)
    (folder / "recipe.py").write_text(recipe, encoding="utf-8")
    run = subprocess.run([sys.executable, "recipe.py"], cwd=folder, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    greedy, plain, add1 = (json.loads(line.replace("'", '"')) for line in run.stdout.splitlines())
    assert greedy == sorted(wesola.result["selected"])
    assert add1 == sorted(assen.result.selected)
    assert plain == sorted(tally(assen.election, "mes", utility="cost").selected)
