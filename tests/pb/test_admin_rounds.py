"""Administering rounds through HTTP: create, edit, areas, phases, the freeze, the digest page and the audit log page."""

from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa

from pb.extensions import db
from pb.models import Area, AuditLog, Phase, Role, Round, User
from tests.pb.factories import log_in, make_area, make_audit_entry, make_project, make_round, make_user

ROUND_FORM = {
    "name_fi": "Kierros", "kind": "city", "ballot_kind": "approval", "min_choices": "1", "max_choices": "3",
    "min_spend_percent": "0", "rule": "greedy", "rule_options": "{}", "tie_break": "", "who_voted_retention_days": "30",
    "voting_opens_at": "2026-06-01T12:00", "voting_closes_at": "2026-06-15T16:00",
}


def _admin(app, client) -> int:
    """Log the client in as a new administrator; the administrator's id."""
    with app.app_context():
        admin_id = make_user(roles=(Role.ADMINISTRATOR,)).id
    log_in(client, admin_id)
    return admin_id


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


def test_audit_log_times_are_in_helsinki_time(app, client, clock):
    """The audit log page shows each entry's time in Helsinki time, with seconds, and the UTC
    instant in the machine-readable <time datetime>."""
    clock.now = datetime(2026, 6, 1, 9, 0, 5, tzinfo=timezone.utc)  # summer: UTC+3
    with app.app_context():
        make_audit_entry(action="round.update")
        auditor = make_user(roles=(Role.AUDITOR,))
    log_in(client, auditor)
    page = client.get("/admin/audit").get_data(as_text=True)
    assert ">2026-06-01 12:00:05</time>" in page
    assert 'datetime="2026-06-01T09:00:05+00:00"' in page


def test_role_changes_are_audit_logged(app, client):
    """Granting and revoking a role through the admin pages writes who did it and the roles before and after."""
    import json

    admin_id = _admin(app, client)
    with app.app_context():
        user = make_user()
        user_id = user.id
    client.post(f"/admin/users/{user_id}/roles", data={"role": "moderator"})
    client.post(f"/admin/users/{user_id}/roles/revoke", data={"role": "moderator"})
    with app.app_context():
        entries = db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id)).all()
        assert [e.action for e in entries] == ["user.role.grant", "user.role.revoke"]
        assert all(e.actor_id == admin_id and e.object_id == user_id for e in entries)
        assert json.loads(entries[0].after)["roles"] == ["moderator", "resident"]
        assert json.loads(entries[1].after)["roles"] == ["resident"]


def test_youth_round_created_over_http_gets_the_defaults(app, client):
    """A youth round made through the form with empty choice limits gets up to 5 choices and the youth eligibility."""
    _admin(app, client)
    response = client.post("/admin/rounds/new", data={**ROUND_FORM, "kind": "youth", "max_choices": ""})
    assert response.status_code == 302
    with app.app_context():
        round_ = db.session.scalars(sa.select(Round)).one()
        assert round_.max_choices == 5 and len(round_.eligibility_rules()) == 2


def test_unchanged_settings_can_be_saved_after_the_freeze(app, client):
    """Saving the edit form after the freeze with only the name changed succeeds; a frozen change is refused."""
    from pb.services import round_phases

    admin_id = _admin(app, client)
    with app.app_context():
        round_ = make_round(phase=Phase.SCREENING)
        make_project(area=make_area(round=round_, budget=1000), cost=500)
        round_phases.advance_phase(db.session.get(User, admin_id), round_, Phase.VOTING)
        round_id = round_.id
    page = client.get(f"/admin/rounds/{round_id}")
    assert page.status_code == 200
    import re

    html = page.get_data(as_text=True)
    form = {}
    for tag in re.findall(r"<input[^>]*>", html):
        named = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if named and value and 'type="checkbox"' not in tag:
            form.setdefault(named.group(1), value.group(1))
    for name in re.findall(r'<input[^>]*type="checkbox"[^>]*checked[^>]*name="([^"]+)"', html):
        form[name] = "y"
    for name, value in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>.*?<option[^>]*selected[^>]*value="([^"]*)"', html, re.S):
        form[name] = value
    for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\s*([^<]*)</textarea>', html):
        form[name] = value.replace("&#34;", '"').replace("&quot;", '"').strip()
    form = {k: v.replace("&#34;", '"').replace("&quot;", '"') for k, v in form.items() if not k.startswith("area")}
    form.update({"name_fi": "Uusi nimi", "kind": "city", "ballot_kind": "approval", "rule": "greedy"})
    response = client.post(f"/admin/rounds/{round_id}", data=form)
    assert response.status_code == 302
    response = client.post(f"/admin/rounds/{round_id}", data={**form, "max_choices": "2"})
    assert response.status_code == 400
    with app.app_context():
        fresh = db.session.get(Round, round_id)
        assert fresh.name_fi == "Uusi nimi" and fresh.max_choices == 5


def test_overlong_round_name_is_a_form_error(app, client):
    """A 201-character name is refused by the form with a 400 and nothing is created."""
    _admin(app, client)
    response = client.post("/admin/rounds/new", data={**ROUND_FORM, "name_fi": "x" * 201})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Round)) == 0


def test_hostile_area_input_is_refused(app, client):
    """Negative or huge budgets, bad codes, overlong names and a second citywide pot are refused with a 400; nothing is added."""
    _admin(app, client)
    with app.app_context():
        round_ = make_round()
        make_area(round=round_, code="koko", is_citywide=True)
        round_id = round_.id
    good = {"area-code": "ok", "area-name_fi": "Alue", "area-budget": "1000"}
    for bad in (
        {"area-budget": "-1"},
        {"area-budget": "10000000000000"},
        {"area-budget": "12.5"},
        {"area-code": "Iso Alue"},
        {"area-code": "koko"},
        {"area-name_fi": "x" * 201},
        {"area-is_citywide": "y"},
    ):
        response = client.post(f"/admin/rounds/{round_id}/areas", data={**good, **bad})
        assert response.status_code == 400, bad
    with app.app_context():
        assert len(db.session.get(Round, round_id).areas) == 1


def test_audit_log_page_filters_by_round(app, client):
    """?round= shows only that round's entries."""
    _admin(app, client)
    with app.app_context():
        first, second = make_round(), make_round()
        make_audit_entry(obj=first, action="round.first")
        make_audit_entry(obj=second, action="round.second")
        first_id = first.id
    page = client.get(f"/admin/audit?round={first_id}").get_data(as_text=True)
    assert "round.first" in page and "round.second" not in page


def test_admin_lists_an_areas_schools_and_a_budget_edit_keeps_them(app, client):
    """The add-area form takes school codes; the areas table shows them; the row's form saves
    a new budget and keeps the schools it shows; a bad code is a message, not a change."""
    _admin(app, client)
    with app.app_context():
        round_id = make_round(phase=Phase.SCREENING).id
    response = client.post(f"/admin/rounds/{round_id}/areas", data={
        "area-code": "leppavaara", "area-name_fi": "Leppävaara", "area-budget": "10000",
        "area-schools": "00456\r\n00123, 00456"})
    assert response.status_code == 302
    with app.app_context():
        area = db.session.get(Round, round_id).areas[0]
        area_id, prefix = area.id, f"area{area.id}"
        assert area.school_codes == ["00123", "00456"]
    page = client.get(f"/admin/rounds/{round_id}").get_data(as_text=True)
    assert "00123, 00456" in page and f'name="{prefix}-schools"' in page
    row = {f"{prefix}-code": "leppavaara", f"{prefix}-name_fi": "Leppävaara", f"{prefix}-budget": "12000",
           f"{prefix}-schools": "00123, 00456"}
    assert client.post(f"/admin/rounds/{round_id}/areas/{area_id}", data=row).status_code == 302
    bad = client.post(f"/admin/rounds/{round_id}/areas/{area_id}",
                      data={**row, f"{prefix}-budget": "1", f"{prefix}-schools": "koulu/1"}, follow_redirects=True)
    assert "koulu/1 is not a school code" in bad.get_data(as_text=True)
    with app.app_context():
        area = db.session.get(Area, area_id)
        assert (area.budget, area.school_codes) == (12_000, ["00123", "00456"])
