"""The audit bundle of a published round: built once and stored, its digest on the results
page never changes, and an auditor recounts it with pb-audit (MATCH) and with pabutools
(the same winners)."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pb.extensions import db
from pb.models import AuditLog, Round, User
from pb.services import ServiceError, exports
from tests.pb.test_exports import bundle_files, finish_round
from tests.oracle import require_pabutools

ROOT = Path(__file__).resolve().parents[2]


def page_digest(html: str) -> str:
    """The bundle digest as the results page shows it."""
    found = re.search(r"Audit bundle digest:\s*<code[^>]*>([0-9a-f]{64})</code>", html)
    assert found, "no bundle digest on the page"
    return found.group(1)


def pb_audit(path: Path, *args: str) -> subprocess.CompletedProcess:
    """Run the installed ``pb-audit`` command (``python -m voting.audit`` where it is not installed)."""
    script = Path(sys.executable).with_name("pb-audit")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "voting.audit"]
    return subprocess.run([*command, str(path), *args], capture_output=True, text=True, cwd=ROOT, timeout=120)


def test_downloaded_bundle_recounts_to_match_with_the_digest_on_the_results_page(app, client, clock, tmp_path):
    """pb-audit, run on the downloaded zip with --expect-digest taken from the results page, prints MATCH and exits 0; the download header carries the same digest."""
    with app.app_context():
        finished = finish_round(clock)
    results_page = client.get(f"/rounds/{finished.round_id}/results").get_data(as_text=True)
    digest = page_digest(results_page)
    assert f'href="/audit/rounds/{finished.round_id}"' in results_page
    response = client.get(f"/audit/rounds/{finished.round_id}/bundle.zip")
    assert response.status_code == 200 and response.headers["Content-Type"] == "application/zip"
    assert response.headers["X-Bundle-Digest"] == digest
    assert digest in client.get(f"/audit/rounds/{finished.round_id}").get_data(as_text=True)
    path = tmp_path / "bundle.zip"
    path.write_bytes(response.data)
    run = pb_audit(path, "--expect-digest", digest)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.splitlines()[-1] == "MATCH"
    assert f"digest {digest}" in run.stdout

    # Another digest (one changed hex digit) is a mismatch: the page's value is what binds.
    other = ("0" if digest[0] != "0" else "1") + digest[1:]
    run = pb_audit(path, "--expect-digest", other)
    assert run.returncode == 1 and run.stdout.splitlines()[-1] == "MISMATCH"


def test_bundle_holds_the_published_outcomes_and_the_frozen_configuration(app, clock):
    """result.json carries exactly the outcomes the publication's run stored; config.json the frozen configuration with its digest, and the rule and tie chain counted."""
    with app.app_context():
        finished = finish_round(clock)
        round_ = db.session.get(Round, finished.round_id)
        publication = exports.publication_of(round_)
        files = bundle_files(exports.stored_bundle(round_).data)
        result = json.loads(files["result.json"])
        config = json.loads(files["config.json"])
        names = exports.pot_names(round_)
        for pot in publication.run.pots:
            published = json.loads(pot.outcome_json)
            published["warnings"] = sorted(({"code": w["code"], "project_id": w.get("project_id")}
                                            for w in published["warnings"]),
                                           key=lambda w: (w["code"], w["project_id"] or ""))
            entry = result["pots"][names[pot.area_id]]
            assert entry["ballots"] == pot.ballot_count
            assert entry["outcome"]["selected"] == published["selected"]
            assert entry["outcome"]["votes"] == published["votes"]
            assert entry["outcome"]["ties"] == published["ties"]
        assert config["round"]["frozen_config"] == json.loads(round_.frozen_config_json)
        assert config["round"]["config_digest"] == round_.config_digest
        for pot in config["pots"].values():
            assert (pot["rule"], pot["tie_break"]) == (round_.rule, round_.tie_break)


def test_the_bundle_is_built_once_and_its_digest_never_changes(app, client, clock):
    """Building again returns the stored bundle; every download is the same bytes; the publication carries the stored digest."""
    with app.app_context():
        finished = finish_round(clock)
        round_ = db.session.get(Round, finished.round_id)
        stored = exports.stored_bundle(round_)
        again = exports.build_round_bundle(round_)
        assert again.id == stored.id and again.digest == stored.digest
        assert exports.publication_of(round_).bundle_digest == stored.digest
        fresh = exports.round_bundle_files(round_, exports.publication_of(round_))
        assert exports.bundle_digest(fresh) != stored.digest  # a rebuild draws new ballot ids: hence storing
        digest = stored.digest
        entries = [e.action for e in db.session.query(AuditLog).filter(AuditLog.round_id == round_.id)]
        assert entries.count("audit.bundle") == 1
    first = client.get(f"/audit/rounds/{finished.round_id}/bundle.zip").data
    second = client.get(f"/audit/rounds/{finished.round_id}/bundle.zip").data
    assert first == second
    assert exports.bundle_digest(bundle_files(first)) == digest


def test_a_bundle_that_does_not_recount_is_refused(app, clock, monkeypatch):
    """If the stored outcome differs from what the ballots give, no bundle is stored and the build is refused."""
    with app.test_request_context(headers={"Accept-Language": "en"}):
        finished = finish_round(clock, publish=False)
        from pb.services import results as results_service
        from tests.pb.test_exports import CONFIRM

        round_ = db.session.get(Round, finished.round_id)
        admin = db.session.get(User, finished.admin_id)
        run = results_service.run_tally(admin, round_)
        results_service.confirm_results(admin, round_, run, CONFIRM)
        publication = results_service.publish_results(admin, round_)
        bundle = exports.stored_bundle(round_)
        if bundle is not None:  # the publication built it: remove it to build again from a forged outcome
            db.session.delete(bundle)
            db.session.flush()
        pot = publication.run.pots[0]
        outcome = json.loads(pot.outcome_json)
        outcome["votes"] = {k: v + 1 for k, v in outcome["votes"].items()}
        pot.outcome_json = json.dumps(outcome)
        with pytest.raises(ServiceError, match="does not recount"):
            exports.build_round_bundle(round_, publication)
        db.session.rollback()


def test_channel_counts_explain_the_receipts_and_a_removed_receipt_is_caught(app, clock):
    """result.json gives each pot's ballots per channel as cast (paper included), receipts.txt holds only the online and code casts' receipts, and a receipt removed from the stored bundle (resealed) is reported by pb-audit."""
    from tests.pb.test_exports import DEFAULT_CASTS
    from voting.audit import audit_files
    from voting.bundle import make_manifest

    with app.app_context():
        finished = finish_round(clock, paper=3)
        files = bundle_files(exports.stored_bundle(db.session.get(Round, finished.round_id)).data)
    result = json.loads(files["result.json"])["pots"]
    assert result["north"]["channels"] == {"online": len(DEFAULT_CASTS), "code": 1, "paper": 3}
    assert result["citywide"]["channels"] == {"online": sum(1 for c in DEFAULT_CASTS if c[2]), "code": 0, "paper": 0}
    assert result["north"]["ballots"] == len(DEFAULT_CASTS) + 1 + 3
    lines = files["receipts.txt"].decode().splitlines()
    assert len(lines) == len(finished.receipts) == len(DEFAULT_CASTS) + 1
    forged = dict(files, **{"receipts.txt": "".join(h + "\n" for h in lines[1:]).encode()})
    forged["manifest.json"] = make_manifest({p: d for p, d in forged.items() if p != "manifest.json"})
    diffs = [d.line() for d in audit_files(forged).diffs]
    assert diffs == [f"DIFF bundle receipts: published {len(lines) - 1} receipts, "
                     f"recounted {len(lines)} to {len(lines) + 8} from the online and code ballots"]


def test_an_online_ballot_without_a_receipt_stops_publication(app, clock):
    """A counted online ballot that has no receipt cannot be explained by the channel counts: the bundle is refused, nothing is invented for it."""
    from pb.models import Ballot
    import sqlalchemy as sa

    with app.test_request_context(headers={"Accept-Language": "en"}):
        finished = finish_round(clock, publish=False)
        from tests.pb.test_exports import CONFIRM
        from pb.services import results as results_service

        round_ = db.session.get(Round, finished.round_id)
        admin = db.session.get(User, finished.admin_id)
        db.session.execute(sa.update(Ballot).where(Ballot.round_id == round_.id, Ballot.is_counted.is_(True))
                           .values(receipt_hash=None))
        db.session.commit()
        run = results_service.run_tally(admin, round_)
        results_service.confirm_results(admin, round_, run, CONFIRM)
        with pytest.raises(ServiceError, match="receipts"):
            results_service.publish_results(admin, round_)
        assert exports.stored_bundle(round_) is None


def test_pabutools_on_the_bundle_pb_files_gives_the_published_winners(app, clock, tmp_path):
    """pabutools' greedy (cost, then id, among voted projects) on each exported .pb selects the projects the app published."""
    pabutools = require_pabutools()
    from pabutools.election import Cost_Sat, Instance, parse_pabulib
    from pabutools.rules import greedy_utilitarian_welfare
    from pabutools.tiebreaking import TieBreakingRule

    with app.app_context():
        finished = finish_round(clock)
        round_ = db.session.get(Round, finished.round_id)
        assert (round_.rule, round_.tie_break) == ("greedy", "cost,id")
        files = bundle_files(exports.stored_bundle(round_).data)
    result = json.loads(files["result.json"])
    cost_id = TieBreakingRule(lambda inst, prof, p: (p.cost, p.name))  # "cost,id": ids in string order
    assert pabutools is not None
    for pot, entry in result["pots"].items():
        path = tmp_path / f"{pot}.pb"
        path.write_bytes(files[f"ballots/{pot}.pb"])
        instance, profile = parse_pabulib(str(path))
        scores = profile.approval_scores()
        voted = Instance([p for p in instance if scores.get(p, 0) > 0], budget_limit=instance.budget_limit)
        chosen = greedy_utilitarian_welfare(voted, profile, sat_class=Cost_Sat, tie_breaking=cost_id)
        assert sorted(p.name for p in chosen) == sorted(entry["outcome"]["selected"]), pot
        assert entry["outcome"]["selected"]


def test_bundle_zip_is_a_plain_zip_with_the_documented_files(app, clock):
    """The stored zip holds exactly the documented files for the round's pots."""
    with app.app_context():
        finished = finish_round(clock)
        data = exports.stored_bundle(db.session.get(Round, finished.round_id)).data
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = sorted(archive.namelist())
    pots = sorted(["north", "citywide"])
    assert names == sorted(["config.json", "manifest.json", "receipts.txt", "result.json"]
                           + [f"ballots/{p}.{s}" for p in pots for s in ("pb", "csv", "json")])
