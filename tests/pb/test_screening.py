"""Screening: decisions with public reasons, merges, official costs, ballot projects, the audit log, and the HTTP pages."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from pb.extensions import db
from pb.models import AuditLog, Phase, Project, Proposal, ProposalStatus, Role
from pb.services import ServiceError, screening
from tests.pb.factories import log_in, make_area, make_project, make_proposal, make_round, make_user


@pytest.fixture
def moderator(app):
    with app.app_context():
        yield make_user(roles=(Role.MODERATOR,))


def _entries():
    return db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()


def test_accept_with_reason_and_cost_then_project(app, moderator):
    """Accepting records the reason and cost; the project takes the proposal's texts and official cost; both are logged."""
    with app.app_context():
        proposal = make_proposal(round=make_round(phase=Phase.SCREENING), category="learning")
        screening.screen_proposal(moderator, proposal, "accept", {"reason_fi": "Hyvä idea", "official_cost": "12000"})
        project = screening.project_from_proposal(moderator, proposal)
        assert (project.cost, project.title_fi, project.area_id, project.category) == (12000, proposal.title_fi, proposal.area_id, "learning")
        entries = _entries()
        assert [e.action for e in entries] == ["proposal.accept", "project.create"]
        assert entries[0].actor_id == moderator.id and entries[0].actor_email == moderator.email
        assert json.loads(entries[0].before)["status"] == "submitted"
        assert json.loads(entries[0].after)["status"] == "accepted"


def test_reject_needs_a_public_reason(app, moderator):
    """A decision without a reason is refused and nothing is logged."""
    with app.app_context():
        proposal = make_proposal(round=make_round(phase=Phase.SCREENING))
        with pytest.raises(ServiceError):
            screening.screen_proposal(moderator, proposal, "reject", {"reason_fi": "  "})
        db.session.rollback()
        assert db.session.get(Proposal, proposal.id).status is ProposalStatus.SUBMITTED and _entries() == []


def test_screening_is_refused_in_voting(app, moderator):
    """Screening actions are refused outside the proposal and screening phases."""
    with app.app_context():
        proposal = make_proposal(round=make_round(phase=Phase.VOTING))
        with pytest.raises(ServiceError):
            screening.screen_proposal(moderator, proposal, "accept", {"reason_fi": "x"})
        with pytest.raises(ServiceError):
            screening.set_official_cost(moderator, proposal, 5)


def test_merge_links_to_the_target_and_never_chains(app, moderator):
    """A merged proposal links to its target; merging the target on re-points earlier duplicates."""
    with app.app_context():
        round_ = make_round(phase=Phase.SCREENING)
        a, b, c = (make_proposal(round=round_, area=make_area(round=round_)) for _ in range(3))
        screening.merge_proposal(moderator, a, b, {"reason_fi": "Sama idea"})
        screening.merge_proposal(moderator, b, c, {"reason_fi": "Sama idea"})
        assert a.merged_into_id == c.id and b.merged_into_id == c.id
        assert a.status is ProposalStatus.MERGED


@pytest.mark.parametrize("case", ["itself", "other round", "merged target"])
def test_bad_merges_are_refused(app, moderator, case):
    """Merging into itself, into another round's proposal or into a merged one is refused."""
    with app.app_context():
        round_ = make_round(phase=Phase.SCREENING)
        proposal = make_proposal(round=round_, area=make_area(round=round_))
        if case == "itself":
            target = proposal
        elif case == "other round":
            target = make_proposal()
        else:
            target = make_proposal(round=round_, area=proposal.area, status=ProposalStatus.MERGED)
        with pytest.raises(ServiceError):
            screening.merge_proposal(moderator, proposal, target, {"reason_fi": "x"})
        db.session.rollback()
        assert db.session.get(Proposal, proposal.id).status is ProposalStatus.SUBMITTED


@pytest.mark.parametrize("cost", ["0", "-1", "abc", "1.5", None, 10**13])
def test_bad_official_costs_are_refused(app, moderator, cost):
    """Official costs must be positive whole euros."""
    with app.app_context():
        proposal = make_proposal(round=make_round(phase=Phase.SCREENING))
        with pytest.raises(ServiceError):
            screening.set_official_cost(moderator, proposal, cost)


def test_project_needs_acceptance_and_cost(app, moderator):
    """Only accepted proposals with an official cost become projects, once."""
    with app.app_context():
        proposal = make_proposal(round=make_round(phase=Phase.SCREENING))
        with pytest.raises(ServiceError):
            screening.project_from_proposal(moderator, proposal)
        screening.screen_proposal(moderator, proposal, "accept", {"reason_en": "ok"})
        with pytest.raises(ServiceError):
            screening.project_from_proposal(moderator, proposal)
        screening.set_official_cost(moderator, proposal, 100)
        screening.project_from_proposal(moderator, proposal)
        with pytest.raises(ServiceError):
            screening.project_from_proposal(moderator, proposal)
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Project)) == 1


def test_project_edit_refuses_another_rounds_area(app, moderator):
    """Moving a project to another round's area is refused."""
    with app.app_context():
        project = make_project()
        other = make_area()
        with pytest.raises(ServiceError):
            screening.update_project(moderator, project, {"area_id": other.id})
        db.session.rollback()
        assert db.session.get(Project, project.id).area_id != other.id


# HTTP -----------------------------------------------------------------------------------


def test_http_moderator_screens_and_the_reason_is_public(app, client, moderator):
    """A rejection through the moderation page shows its reason on the public proposal page, and is logged."""
    with app.app_context():
        proposal = make_proposal(round=make_round(phase=Phase.SCREENING))
        proposal_id = proposal.id
    log_in(client, moderator)
    response = client.post(f"/moderation/proposals/{proposal_id}/screen", data={"decision": "reject", "reason_fi": "Ei kaupungin maalla"})
    assert response.status_code == 302
    page = client.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    assert "Ei kaupungin maalla" in page and "Rejected" in page
    with app.app_context():
        assert [e.action for e in _entries()] == ["proposal.reject"]


def test_http_merge_page_links_to_the_target(app, client, moderator):
    """The merged proposal's page links to the proposal it was merged into."""
    with app.app_context():
        round_ = make_round(phase=Phase.SCREENING)
        area = make_area(round=round_)
        a, b = make_proposal(round=round_, area=area), make_proposal(round=round_, area=area)
        a_id, b_id = a.id, b.id
    log_in(client, moderator)
    client.post(f"/moderation/proposals/{a_id}/merge", data={"target_id": str(b_id), "reason_fi": "Sama"})
    assert f'href="/proposals/{b_id}"' in client.get(f"/proposals/{a_id}").get_data(as_text=True)


def test_http_forged_merge_target_is_a_message(app, client, moderator):
    """A forged or foreign merge target is refused with a message, not a 500."""
    with app.app_context():
        proposal = make_proposal(round=make_round(phase=Phase.SCREENING))
        foreign = make_proposal()
        proposal_id, foreign_id = proposal.id, foreign.id
    log_in(client, moderator)
    for target in ("abc", "99999999999", str(foreign_id), ""):
        response = client.post(f"/moderation/proposals/{proposal_id}/merge", data={"target_id": target, "reason_fi": "x"}, follow_redirects=True)
        assert response.status_code == 200
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).status is ProposalStatus.SUBMITTED


def test_http_residents_cannot_moderate(app, client):
    """A resident gets 403 from the moderation pages."""
    with app.app_context():
        proposal = make_proposal()
        user = make_user()
        proposal_id, round_id = proposal.id, proposal.round_id
    log_in(client, user)
    assert client.get(f"/moderation/rounds/{round_id}").status_code == 403
    assert client.post(f"/moderation/proposals/{proposal_id}/screen", data={"decision": "accept"}).status_code == 403


def test_http_project_edit_until_the_freeze(app, client, moderator):
    """A moderator edits a project's title and cost before voting; after the freeze the same post changes nothing."""
    from datetime import datetime, timezone

    with app.app_context():
        project = make_project(round=make_round(phase=Phase.SCREENING))
        project_id, round_id = project.id, project.round_id
    log_in(client, moderator)
    assert 'name="title_sv"' in client.get(f"/moderation/rounds/{round_id}").get_data(as_text=True)
    client.post(f"/moderation/projects/{project_id}", data={"title_fi": "Uusi", "title_sv": "Ny", "title_en": "", "cost": "4500"})
    with app.app_context():
        fresh = db.session.get(Project, project_id)
        assert (fresh.title_fi, fresh.title_sv, fresh.cost) == ("Uusi", "Ny", 4500)
        fresh.round.frozen_at = datetime(2026, 3, 1, tzinfo=timezone.utc)
        fresh.round.config_digest = "cd" * 32
        db.session.commit()
    response = client.post(f"/moderation/projects/{project_id}", data={"title_fi": "Myöhässä", "cost": "1"}, follow_redirects=True)
    assert "cd" * 32 in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Project, project_id).cost == 4500


def test_http_screening_in_voting_is_refused_with_a_message(app, client, moderator):
    """Accepting a proposal while voting is open shows a message and changes nothing."""
    with app.app_context():
        proposal = make_proposal(round=make_round(phase=Phase.VOTING))
        proposal_id = proposal.id
    log_in(client, moderator)
    response = client.post(f"/moderation/proposals/{proposal_id}/screen", data={"decision": "accept", "reason_fi": "x"}, follow_redirects=True)
    assert response.status_code == 200 and "Voting" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Proposal, proposal_id).status is ProposalStatus.SUBMITTED
