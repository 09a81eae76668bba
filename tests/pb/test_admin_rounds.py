"""Administering rounds through HTTP: create, edit, areas, phases, the freeze, the digest page and the audit log page."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from pb.extensions import db
from pb.models import AuditLog, Phase, Role, Round
from tests.pb.factories import log_in, make_area, make_audit_entry, make_project, make_round, make_user

ROUND_FORM = {
    "name_fi": "Kierros", "kind": "city", "ballot_kind": "approval", "min_choices": "1", "max_choices": "3",
    "min_spend_percent": "0", "rule": "greedy", "rule_options": "{}", "tie_break": "", "who_voted_retention_days": "30",
    "voting_opens_at": "2026-06-01T12:00", "voting_closes_at": "2026-06-15T16:00",
}


def _admin(app, client):
    with app.app_context():
        admin = make_user(roles=(Role.ADMINISTRATOR,))
    log_in(client, admin)
    return admin


def test_admin_creates_a_round_with_helsinki_dates_stored_in_utc(app, client):
    """Dates entered in Helsinki time (summer, UTC+3) are stored in UTC."""
    _admin(app, client)
    response = client.post("/admin/rounds/new", data=ROUND_FORM)
    assert response.status_code == 302
    with app.app_context():
        round_ = db.session.scalars(sa.select(Round)).one()
        assert round_.voting_opens_at == datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)
        assert round_.max_choices == 3
        assert db.session.scalars(sa.select(AuditLog.action)).all() == ["round.create"]


def test_bad_rule_options_are_a_message_not_a_500(app, client):
    """Options the rule does not take get a 400 and no round."""
    _admin(app, client)
    for options in ('{"completion":"add1"}', "not json", "[1]"):
        response = client.post("/admin/rounds/new", data={**ROUND_FORM, "rule_options": options})
        assert response.status_code == 400, options
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 0


def test_admin_adds_areas_and_opens_voting_and_the_digest_is_public(app, client):
    """Areas are added, voting opens through the phase form, and the public page shows the digest."""
    _admin(app, client)
    with app.app_context():
        round_ = make_round(phase=Phase.SCREENING)
        round_id = round_.id
    response = client.post(f"/admin/rounds/{round_id}/areas", data={"area-code": "tapiola", "area-name_fi": "Tapiola", "area-budget": "1000"})
    assert response.status_code == 302
    response = client.post(f"/admin/rounds/{round_id}/phase", data={"phase": "voting"}, follow_redirects=True)
    assert db.session is not None and "no projects" in response.get_data(as_text=True)
    with app.app_context():
        area = db.session.scalars(sa.select(Round)).one().areas[0]
        make_project(area=area, cost=500)
    client.post(f"/admin/rounds/{round_id}/phase", data={"phase": "voting"})
    with app.app_context():
        digest = db.session.get(Round, round_id).config_digest
    assert digest and digest in client.get(f"/rounds/{round_id}").get_data(as_text=True)


def test_frozen_budget_edit_over_http_is_refused(app, client):
    """After the freeze a budget change through the admin page is refused and the budget stays."""
    _admin(app, client)
    with app.app_context():
        round_ = make_round(phase=Phase.VOTING, frozen_at=datetime(2026, 1, 1, tzinfo=timezone.utc), config_digest="ab" * 32)
        area = make_area(round=round_, budget=1000)
        round_id, area_id = round_.id, area.id
    response = client.post(
        f"/admin/rounds/{round_id}/areas/{area_id}",
        data={f"area{area_id}-code": area.code, f"area{area_id}-name_fi": "Alue", f"area{area_id}-budget": "5"},
        follow_redirects=True,
    )
    assert response.status_code == 200 and "ab" * 32 in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Round, round_id).areas[0].budget == 1000


def test_area_of_another_round_is_404(app, client):
    """Editing an area through another round's URL is a 404."""
    _admin(app, client)
    with app.app_context():
        area = make_area()
        other = make_round()
        url = f"/admin/rounds/{other.id}/areas/{area.id}"
    assert client.post(url, data={}).status_code == 404


def test_audit_log_page_is_for_auditors_and_administrators(app, client):
    """Auditors read the audit log; residents and moderators get 403."""
    with app.app_context():
        make_audit_entry(action="round.update")
        auditor = make_user(roles=(Role.AUDITOR,))
        moderator = make_user(roles=(Role.MODERATOR,))
    log_in(client, moderator)
    assert client.get("/admin/audit").status_code == 403
    log_in(client, auditor)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "round.update" in page
    assert client.get("/admin/audit?round=abc&page=-1").status_code == 200
