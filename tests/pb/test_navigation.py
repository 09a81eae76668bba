"""Ways through the app: the public round page leads voters to the ballot and, once published,
to the results and the audit page; every staff page of a round links to the others a role may
open, and none of those links is a dead end."""

from __future__ import annotations

import re

import pytest

from pb.models import Phase, Role
from pb import security
from pb.services.paper import enter_paper_ballot
from tests.pb.factories import log_in, make_frozen_round, make_user
from tests.pb.test_exports import finish_round

#: Every staff page of a round (path templates), and the roles that may open it in the voting phase.
STAFF_PAGES = {
    "/admin/rounds/{id}": {"administrator"},
    "/moderation/rounds/{id}": {"administrator", "moderator"},
    "/admin/rounds/{id}/codes": {"administrator"},
    "/rounds/{id}/paper": {"administrator", "moderator"},
    "/rounds/{id}/paper/check-in": {"administrator", "moderator"},
    "/rounds/{id}/paper/entries": {"administrator", "moderator"},
}


def _tool_links(html: str) -> list[str]:
    """The hrefs of the round tools navigation on a page."""
    found = re.search(r'<nav class="round-tools".*?</nav>', html, re.S)
    assert found, "no round tools on the page"
    return re.findall(r'href="([^"]+)"', found.group(0))


def _round(app, phase: Phase) -> int:
    with app.app_context():
        return make_frozen_round(phase=phase).id


def test_public_round_page_in_the_voting_phase_links_to_the_ballot(app, client):
    """While voting is open the round page has a Vote link to the ballot; in screening it has none."""
    voting, screening = _round(app, Phase.VOTING), _round(app, Phase.SCREENING)
    page = client.get(f"/rounds/{voting}").get_data(as_text=True)
    assert f'href="/rounds/{voting}/vote"' in page
    assert client.get(f"/rounds/{voting}/vote").status_code == 200
    assert f'href="/rounds/{screening}/vote"' not in client.get(f"/rounds/{screening}").get_data(as_text=True)


def test_public_round_page_links_to_results_and_audit_only_once_published(app, client, clock):
    """After publication the round page links to the results and the audit page; after close but before publication it says the results are coming and links to neither."""
    with app.app_context():
        published = finish_round(clock).round_id
        closed = finish_round(clock, publish=False).round_id
    page = client.get(f"/rounds/{published}").get_data(as_text=True)
    assert f'href="/rounds/{published}/results"' in page and f'href="/audit/rounds/{published}"' in page
    assert f'href="/rounds/{published}/vote"' not in page
    assert client.get(f"/rounds/{published}/results").status_code == 200
    page = client.get(f"/rounds/{closed}").get_data(as_text=True)
    assert f'href="/rounds/{closed}/results"' not in page and f'href="/audit/rounds/{closed}"' not in page
    assert "Voting has closed" in page


def test_the_round_page_names_the_rule_and_tie_chain_in_words(app, client):
    """The rules section explains the tally rule and the tie chain in words, next to their technical names."""
    round_id = _round(app, Phase.VOTING)
    page = client.get(f"/rounds/{round_id}", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "most votes first, as long as the budget lasts" in page and "<code>greedy</code>" in page
    assert "the lower cost, then the lower project number" in page


@pytest.mark.parametrize("path", sorted(STAFF_PAGES))
def test_every_admin_round_page_links_to_codes_paper_and_results(app, client, path):
    """For an administrator every staff page of a round links to the voting codes and paper entry (voting phase), and to the count and paper list once voting has closed."""
    admin = _admin(app)
    log_in(client, admin)
    voting = _round(app, Phase.VOTING)
    links = _tool_links(client.get(path.format(id=voting)).get_data(as_text=True))
    for wanted in (f"/admin/rounds/{voting}/codes", f"/rounds/{voting}/paper", f"/rounds/{voting}/paper/check-in",
                   f"/rounds/{voting}", f"/admin/rounds/{voting}"):
        assert wanted in links, wanted
    closed = _round(app, Phase.RESULTS)
    if path in ("/rounds/{id}/paper", "/rounds/{id}/paper/check-in"):
        return  # paper entry is a voting-phase page
    links = _tool_links(client.get(path.format(id=closed)).get_data(as_text=True))
    for wanted in (f"/admin/rounds/{closed}/results", f"/rounds/{closed}/paper/entries",
                   f"/admin/rounds/{closed}/codes", f"/admin/rounds/{closed}/follow-up"):
        assert wanted in links, wanted


@pytest.mark.parametrize("role", ["administrator", "moderator", "auditor"])
@pytest.mark.parametrize("phase", [Phase.VOTING, Phase.RESULTS])
def test_every_round_tool_link_opens_for_the_role_that_sees_it(app, client, role, phase):
    """Each link in the round tools, as a given role sees them on the public round page, answers 200 for that role: no link leads to a refusal."""
    with app.app_context():
        user = make_user(roles=(Role(role),))
    log_in(client, user)
    round_id = _round(app, phase)
    links = _tool_links(client.get(f"/rounds/{round_id}").get_data(as_text=True))
    assert len(links) >= 3
    for link in links:
        assert client.get(link).status_code == 200, (role, link)
    assert (f"/admin/rounds/{round_id}/codes" in links) == (role == "administrator")
    assert (f"/rounds/{round_id}/paper" in links) == (role != "auditor" and phase is Phase.VOTING)


def test_residents_and_visitors_see_no_round_tools(app, client):
    """The round tools are not shown to visitors or residents."""
    round_id = _round(app, Phase.VOTING)
    assert 'class="round-tools"' not in client.get(f"/rounds/{round_id}").get_data(as_text=True)
    with app.app_context():
        resident = make_user()
    log_in(client, resident)
    assert 'class="round-tools"' not in client.get(f"/rounds/{round_id}").get_data(as_text=True)


def test_phase_change_message_names_the_phase_in_the_readers_language(app, client):
    """After moving a round to the next phase the message names the phase in Finnish, not its internal value."""
    admin = _admin(app)
    log_in(client, admin)
    round_id = _round(app, Phase.VOTING)
    token = re.search(r'name="csrf_token" value="([^"]+)"',
                      client.get(f"/admin/rounds/{round_id}").get_data(as_text=True)).group(1)
    response = client.post(f"/admin/rounds/{round_id}/phase", data={"csrf_token": token, "phase": "results"},
                           headers={"Accept-Language": "fi"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "Kierros on nyt vaiheessa Tulokset." in page and "vaiheessa results" not in page


def test_paper_entries_list_names_the_projects(app, client):
    """The list of keyed paper ballots shows the chosen projects' titles, so a mismatch can be resolved."""
    admin = _admin(app)
    with app.app_context():
        round_ = make_frozen_round()
        area = round_.areas[0]
        project = area.projects[1]
        enter_paper_ballot(round_.id, "P-77", area.id, [str(project.id)], moderator_id=admin, at=security.now())
        round_id, title = round_.id, project.title_fi
    log_in(client, admin)
    page = client.get(f"/rounds/{round_id}/paper/entries").get_data(as_text=True)
    assert "P-77" in page and title in page


def test_logged_in_users_have_a_link_to_their_proposals(app, client):
    """The main menu of a logged-in user links to their proposals; a visitor's does not."""
    assert 'href="/proposals/mine"' not in client.get("/").get_data(as_text=True)
    with app.app_context():
        resident = make_user()
    log_in(client, resident)
    assert 'href="/proposals/mine"' in client.get("/").get_data(as_text=True)


def _admin(app) -> int:
    with app.app_context():
        user = make_user(roles=(Role.ADMINISTRATOR,))
        return user.id


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_round_tools_name_every_page_differently(app, client, lang):
    """In each language the round tools give each page its own name (no two links read the same)."""
    admin = _admin(app)
    log_in(client, admin)
    round_id = _round(app, Phase.RESULTS)
    html = client.get(f"/rounds/{round_id}", headers={"Accept-Language": lang}).get_data(as_text=True)
    nav = re.search(r'<nav class="round-tools".*?</nav>', html, re.S).group(0)
    names = [re.sub(r"\s+", " ", text).strip() for text in re.findall(r"<a [^>]*>(.*?)</a>", nav, re.S)]
    assert len(names) >= 8 and len(set(names)) == len(names), names


def test_round_page_says_when_voting_was_closed_before_the_planned_time(app, client, clock):
    """A round closed by hand before its planned closing time says so next to the schedule; one closed on time does not."""
    from datetime import timedelta

    with app.app_context():
        early = make_frozen_round(phase=Phase.RESULTS, voting_closes_at=clock.now + timedelta(days=3)).id
        on_time = make_frozen_round(phase=Phase.RESULTS, voting_closes_at=clock.now - timedelta(days=1)).id
    english = {"Accept-Language": "en"}
    assert "Voting was closed before the planned time." in client.get(f"/rounds/{early}", headers=english).get_data(as_text=True)
    assert "Voting was closed before the planned time." not in client.get(f"/rounds/{on_time}", headers=english).get_data(as_text=True)


def test_a_voter_can_stop_without_voting_and_the_next_person_cannot_vote_in_their_name(app, client):
    """The area, ballot and review pages offer 'Stop without voting'; after it the browser is no longer identified and nothing was cast."""
    from tests.pb.factories import make_voting_round
    from tests.pb.voting_helpers import attest, ballot_data, hidden_fields, table_counts

    with app.app_context():
        round_ = make_voting_round()
        round_id, area_id = round_.id, round_.areas[0].id
        project = round_.areas[0].projects[0].id
    attest(client, round_id)
    for page in (client.get(f"/rounds/{round_id}/vote/ballot"),
                 client.get(f"/rounds/{round_id}/vote/ballot?area={area_id}"),
                 client.post(f"/rounds/{round_id}/vote/ballot",
                             data=ballot_data(area_id, {area_id: [project]}, review="1",
                                              **hidden_fields(client.get(f"/rounds/{round_id}/vote/ballot?area={area_id}").get_data(as_text=True))))):
        assert page.status_code == 200
        assert f'action="/rounds/{round_id}/vote/leave"' in page.get_data(as_text=True)
    token = hidden_fields(client.get(f"/rounds/{round_id}/vote/ballot?area={area_id}").get_data(as_text=True))["csrf_token"]
    left = client.post(f"/rounds/{round_id}/vote/leave", data={"csrf_token": token})
    assert left.status_code == 303 and left.headers["Location"].endswith(f"/rounds/{round_id}")
    after = client.get(f"/rounds/{round_id}/vote/ballot?area={area_id}")
    assert after.status_code == 303 and after.headers["Location"].endswith(f"/rounds/{round_id}/vote")
    with app.app_context():
        assert table_counts() == (0, 0, 0)


def test_home_page_links_each_round_to_its_next_step(app, client):
    """The list of rounds links a round in voting to its ballot and a closed round to its results; a round in screening gets neither."""
    voting, closed, screening = _round(app, Phase.VOTING), _round(app, Phase.RESULTS), _round(app, Phase.SCREENING)
    page = client.get("/").get_data(as_text=True)
    assert f'href="/rounds/{voting}/vote"' in page and f'href="/rounds/{closed}/results"' in page
    assert f'href="/rounds/{screening}/vote"' not in page and f'href="/rounds/{screening}/results"' not in page
    assert client.get(f"/rounds/{closed}/results").status_code == 200


def test_home_page_shows_the_phase_the_dates_give(app, client, clock):
    """A round stored in voting whose voting has closed is listed with its results link, not a
    Vote link, before any scheduled job stores the new phase (and the listing stores nothing)."""
    from datetime import timedelta

    from pb.extensions import db
    from pb.models import Round

    with app.app_context():
        round_ = make_frozen_round(phase=Phase.VOTING)
        round_.voting_closes_at = clock.now + timedelta(hours=1)
        db.session.commit()
        round_id = round_.id
    assert f'href="/rounds/{round_id}/vote"' in client.get("/").get_data(as_text=True)
    clock.advance(hours=2)
    page = client.get("/").get_data(as_text=True)
    assert f'href="/rounds/{round_id}/results"' in page and f'href="/rounds/{round_id}/vote"' not in page
    with app.app_context():
        assert db.session.get(Round, round_id).phase == Phase.VOTING
