"""In a real browser (headless Chromium through Playwright): the staff pages of a round in its
voting phase (settings, screening, codes, paper entry and its list, audit log) and the voter's
start page fit a 320 px screen, in Finnish and in Swedish. Skipped like tests/pb/test_browser.py
when Playwright or Chromium is missing."""

from __future__ import annotations

import pytest

from tests.pb.test_browser import browser, live_url  # noqa: F401  (fixtures; skips without Chromium)


def _filled_round() -> tuple[int, int, str]:
    """A voting round with long names, a code batch, paper entries (one mismatch) and an
    administrator; returns (round id, area id, the administrator's email)."""
    from pb import security
    from pb.models import Role
    from pb.services.paper import enter_paper_ballot
    from tests.pb.factories import make_code_batch, make_user, make_voting_round

    admin = make_user(roles=(Role.ADMINISTRATOR,), email="administrator.with.a.long.address@example.org")
    moderator = make_user(roles=(Role.MODERATOR,), email="moderator.with.a.long.address@example.org")
    round_ = make_voting_round(name_fi="Espoon osallistuva budjetointi 2026: nuorisovaltuuston kierros",
                               eligibility={"channels": ["identity", "code"]})
    area = round_.areas[0]
    make_code_batch(round_, 2, label="Espoon yhteiskoulu, luokka 8B (Suur-Leppävaara)", area_id=area.id)
    projects = [str(p.id) for p in area.projects]
    for user, chosen in ((admin, projects[:1]), (moderator, projects[:1]), (admin, projects[1:2]),
                         (moderator, projects[2:3])):
        serial = "P-0001" if chosen == projects[:1] else "P-0002"
        enter_paper_ballot(round_.id, serial, area.id, chosen, moderator_id=user.id, at=security.now())
    return round_.id, area.id, admin.email


@pytest.mark.parametrize("lang", ["fi-FI", "sv-SE"])
def test_staff_pages_fit_a_320_px_screen(app, live_url, browser, lang):  # noqa: F811
    """At 320 px no staff page of a voting round, nor the voter's start page, is wider than the screen."""
    from tests.pb.factories import PASSWORD

    with app.app_context():
        round_id, area_id, email = _filled_round()
    page = browser.new_page(viewport={"width": 320, "height": 800}, locale=lang)
    page.goto(live_url + "/account/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit], main form input[type=submit]")
    assert page.locator("nav.site-nav form.inline-form").count() == 1, "not logged in"
    for path in (f"/rounds/{round_id}", f"/rounds/{round_id}/vote", f"/admin/rounds/{round_id}",
                 f"/moderation/rounds/{round_id}", f"/admin/rounds/{round_id}/codes",
                 f"/rounds/{round_id}/paper?area={area_id}", f"/rounds/{round_id}/paper/check-in",
                 f"/rounds/{round_id}/paper/entries", f"/audit/rounds/{round_id}", "/admin/", "/admin/rounds",
                 f"/admin/audit?round={round_id}"):
        response = page.goto(live_url + path)
        assert response.status == 200, path
        scroll_width = page.evaluate("document.documentElement.scrollWidth")
        assert scroll_width <= 320, f"{path} is {scroll_width}px wide at 320px ({lang})"
    page.close()
