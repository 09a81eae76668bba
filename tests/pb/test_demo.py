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
        city, youth, later = db.session.scalars(sa.select(Round).order_by(Round.id)).all()
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
