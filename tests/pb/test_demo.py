"""The demo: Espoo's seven areas with screened projects ready for voting, and a round per phase on request."""

from __future__ import annotations

import sqlalchemy as sa

from pb.extensions import db
from pb.models import AuditLog, Phase, ProposalStatus, Role, Round, RoundKind, User
from pb.services import round_phases, rounds
from pb.services.demo import DEMO_ACCOUNTS


def test_demo_all_phases(app, runner):
    """The city round has projects in all seven areas and can open voting; the youth round is frozen; actions are logged."""
    result = runner.invoke(args=["pb", "demo", "--all-phases"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        city, youth, later, published = db.session.scalars(sa.select(Round).order_by(Round.id)).all()
        assert city.phase is Phase.SCREENING and len(city.areas) == 7
        assert all(len(area.projects) >= 2 for area in city.areas)
        assert all(p.cost <= p.area.budget for p in city.projects)
        statuses = {p.status for p in city.proposals}
        assert {ProposalStatus.ACCEPTED, ProposalStatus.REJECTED, ProposalStatus.MERGED} <= statuses
        assert all(p.merged_into is not None for p in city.proposals if p.status is ProposalStatus.MERGED)
        assert youth.kind is RoundKind.YOUTH and youth.phase is Phase.VOTING
        assert youth.config_digest == rounds.config_digest(rounds.frozen_config(youth))
        assert later.phase is Phase.PROPOSALS
        moderator = db.session.scalar(sa.select(User).where(User.email == DEMO_ACCOUNTS[Role.MODERATOR]))
        logged = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.actor_id == moderator.id)).all()
        assert {"proposal.accept", "proposal.reject", "proposal.merge", "project.create"} <= set(logged)
        admin = db.session.scalar(sa.select(User).where(User.email == DEMO_ACCOUNTS[Role.ADMINISTRATOR]))
        round_phases.advance_phase(admin, city, Phase.VOTING)
        assert city.config_digest


def test_demo_published_round_recounts_to_match(app, runner, client, tmp_path):
    """The demo's published round shows 40 ballots per area and a follow-up update on its
    public pages, and pb-audit on its audit bundle (downloaded by the demo auditor; digest from
    the public results page) prints MATCH."""
    from tests.pb.test_audit_bundle import page_digest, pb_audit

    assert runner.invoke(args=["pb", "demo", "--all-phases"]).exit_code == 0
    with app.app_context():
        published = db.session.scalars(sa.select(Round).order_by(Round.id)).all()[-1]
        round_id, area_ids = published.id, [a.id for a in published.areas]
        assert published.phase is Phase.RESULTS
    summary = client.get(f"/rounds/{round_id}/results", headers={"Accept-Language": "en"}).get_data(as_text=True)
    pages = [client.get(f"/rounds/{round_id}/results/{area_id}", headers={"Accept-Language": "en"})
             .get_data(as_text=True) for area_id in area_ids]
    assert all("Ballots counted: 40." in page for page in pages)
    assert sum("Planning has started (demo)." in page for page in pages) == 1
    from tests.pb.factories import log_in

    with app.app_context():
        log_in(client, db.session.scalar(sa.select(User.id).where(User.email == DEMO_ACCOUNTS[Role.AUDITOR])))
    path = tmp_path / "bundle.zip"
    path.write_bytes(client.get(f"/audit/rounds/{round_id}/bundle.zip").data)
    run = pb_audit(path, "--expect-digest", page_digest(summary))
    assert run.returncode == 0 and run.stdout.splitlines()[-1] == "MATCH", run.stdout + run.stderr
