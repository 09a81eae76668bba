"""Proposals: submit, edit until the phase ends, follow, list with filters and search."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pb.extensions import db
from pb.models import Phase, Proposal, ProposalStatus
from pb.services import ServiceError, proposals
from tests.pb.factories import log_in, make_area, make_proposal, make_round, make_user


def _values(area, **overrides):
    values = {"title_fi": "Puisto", "description_fi": "Uusi puisto", "area_id": area.id, "cost": "5000", "category": "parks-nature"}
    values.update(overrides)
    return values


def _count():
    return db.session.scalar(sa.select(sa.func.count()).select_from(Proposal))


def test_verified_resident_submits_and_edits_until_the_phase_ends(app, clock):
    """The author can edit while proposals are open, and not once they close by date."""
    with app.app_context():
        round_ = make_round(proposals_close_at=clock.now + timedelta(days=1))
        area = make_area(round=round_)
        user = make_user()
        proposal = proposals.submit_proposal(user, round_, _values(area))
        assert proposal.status is ProposalStatus.SUBMITTED and proposal.cost == 5000
        proposals.update_proposal(user, proposal, _values(area, title_fi="Isompi puisto"))
        assert proposal.title_fi == "Isompi puisto"
        clock.advance(days=1)
        with pytest.raises(ServiceError):
            proposals.update_proposal(user, proposal, _values(area, title_fi="Myöhässä"))
        db.session.rollback()
        assert db.session.get(Proposal, proposal.id).title_fi == "Isompi puisto"


@pytest.mark.parametrize(
    "overrides",
    [
        {"title_fi": None},
        {"description_fi": ""},
        {"title_fi": "x" * 201},
        {"description_fi": "x" * 5001},
        {"cost": "-5"},
        {"cost": "1e9"},
        {"category": "weapons"},
        {"area_id": "999999999"},
        {"area_id": "x"},
        {"title_fi": "bad\x00byte"},
    ],
)
def test_hostile_proposal_input_is_refused(app, overrides):
    """Missing or overlong text, negative costs, forged areas and control characters are refused; nothing is stored."""
    with app.app_context():
        area = make_area()
        with pytest.raises(ServiceError) as error:
            proposals.submit_proposal(make_user(), area.round, _values(area, **overrides))
        assert str(error.value)
        db.session.rollback()
        assert _count() == 0


def test_another_rounds_area_is_refused(app):
    """A proposal cannot be put in an area of another round."""
    with app.app_context():
        area = make_area()
        other = make_area()
        with pytest.raises(ServiceError):
            proposals.submit_proposal(make_user(), area.round, _values(other))
        assert _count() == 0


def test_unverified_and_anonymous_users_cannot_propose(app):
    """Proposing needs a verified email address."""
    with app.app_context():
        area = make_area()
        for user in (None, make_user(is_verified=False)):
            with pytest.raises(ServiceError):
                proposals.submit_proposal(user, area.round, _values(area))
        assert _count() == 0


def test_proposals_are_refused_outside_their_phase_and_before_opening(app, clock):
    """Submission is refused in screening and before proposals open."""
    with app.app_context():
        area = make_area(round=make_round(phase=Phase.SCREENING))
        with pytest.raises(ServiceError):
            proposals.submit_proposal(make_user(), area.round, _values(area))
        early = make_area(round=make_round(proposals_open_at=clock.now + timedelta(hours=1)))
        with pytest.raises(ServiceError):
            proposals.submit_proposal(make_user(), early.round, _values(early))
        assert _count() == 0


def test_only_the_author_edits(app):
    """Someone else's edit is refused."""
    with app.app_context():
        proposal = make_proposal(author=make_user())
        with pytest.raises(ServiceError):
            proposals.update_proposal(make_user(), proposal, _values(proposal.area))


def test_filters_and_search(app):
    """Area, category, status and a case-insensitive search in any language each narrow the list."""
    with app.app_context():
        round_ = make_round()
        a1, a2 = make_area(round=round_), make_area(round=round_)
        p1 = make_proposal(area=a1, title_fi="Koirapuisto", category="parks-nature")
        p2 = make_proposal(area=a2, title_fi="Skeittipaikka", title_sv="Skatepark", category="sports-exercise",
                           status=ProposalStatus.ACCEPTED)
        p3 = make_proposal(area=a2, title_fi="Kirjasto 100%", category="learning")
        make_proposal(title_fi="Koirapuisto muualla")  # another round

        def ids(**kw):
            return [p.id for p in proposals.list_proposals(round_, **kw).items]

        assert ids() == [p1.id, p2.id, p3.id]
        assert ids(area_id=a2.id) == [p2.id, p3.id]
        assert ids(category="learning") == [p3.id]
        assert ids(status="accepted") == [p2.id]
        assert ids(status="bogus") == []
        assert ids(search="KOIRA") == [p1.id]
        assert ids(search="skatepark") == [p2.id]
        assert ids(search="%") == [p3.id]
        assert ids(search="0%") == [p3.id]


def test_list_is_paginated(app):
    """Twenty-five proposals make two pages of 20 and 5."""
    with app.app_context():
        area = make_area()
        for _ in range(25):
            make_proposal(area=area)
        assert len(proposals.list_proposals(area.round, page=1).items) == 20
        assert len(proposals.list_proposals(area.round, page=2).items) == 5


# HTTP -----------------------------------------------------------------------------------


def test_http_submit_edit_and_follow(app, client):
    """A resident submits through the form, sees the proposal, edits it and finds it under My proposals."""
    with app.app_context():
        area = make_area()
        round_id, area_id = area.round_id, area.id
        user = make_user()
    log_in(client, user)
    form = {"title_fi": "Penkit", "description_fi": "Lisää penkkejä", "area_id": str(area_id), "cost": "3000", "category": "other"}
    response = client.post(f"/rounds/{round_id}/proposals/new", data=form)
    assert response.status_code == 302
    with app.app_context():
        proposal_id = db.session.scalars(sa.select(Proposal.id)).one()
    assert "Penkit" in client.get(f"/proposals/{proposal_id}").get_data(as_text=True)
    response = client.post(f"/proposals/{proposal_id}/edit", data={**form, "title_fi": "Penkit ja pöydät"})
    assert response.status_code == 302
    assert "Penkit ja pöydät" in client.get("/proposals/mine").get_data(as_text=True)


def test_http_forged_area_gets_a_message_not_a_500(app, client):
    """A forged area id in the form is a 400 with the form again, and nothing is stored."""
    with app.app_context():
        area = make_area()
        other = make_area()
        round_id, other_id = area.round_id, other.id
        user = make_user()
    log_in(client, user)
    response = client.post(f"/rounds/{round_id}/proposals/new", data={"title_fi": "X", "description_fi": "Y", "area_id": str(other_id)})
    assert response.status_code == 400
    with app.app_context():
        assert _count() == 0


def test_http_submission_outside_the_phase_is_refused_by_the_gate(app, client):
    """The proposal form of a round in voting is a 409 page naming the phase."""
    with app.app_context():
        round_ = make_round(phase=Phase.VOTING)
        round_id = round_.id
        user = make_user()
    log_in(client, user)
    response = client.get(f"/rounds/{round_id}/proposals/new")
    assert response.status_code == 409 and "Voting" in response.get_data(as_text=True)
    assert client.get("/rounds/999999/proposals/new").status_code == 404


def test_http_public_list_filters(app, client):
    """The public list shows only the proposals matching the search, and survives junk parameters."""
    with app.app_context():
        area = make_area()
        make_proposal(area=area, title_fi="Koirapuisto")
        make_proposal(area=area, title_fi="Uimaranta")
        round_id = area.round_id
    page = client.get(f"/rounds/{round_id}/proposals?q=koira").get_data(as_text=True)
    assert "Koirapuisto" in page and "Uimaranta" not in page
    for junk in ("area=abc", "area=99999999999999", "status=nope", "page=-3", "page=zz", "category=%00"):
        assert client.get(f"/rounds/{round_id}/proposals?{junk}").status_code == 200, junk
