"""Paper ballots: two different moderators must key a serial alike before it counts;
mismatches are listed; in-person voters share the who-voted record with online voters."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from pb.extensions import db
from pb.models import Role
from pb.models.voting import Ballot, BallotChannel, PaperBallot, PaperEntry, VoterRecord
from tests.pb.factories import log_in, make_user
from tests.pb.voting_helpers import attest, cast_via_http, counted, make_voting_round, projects_of, table_counts


@pytest.fixture
def setup(app):
    """A round open for voting (with a citywide pot) and three moderators."""
    with app.app_context():
        round_ = make_voting_round(citywide=50_000)
        moderators = [make_user(roles=(Role.MODERATOR,)).id for _ in range(3)]
        areas = {a.code: a.id for a in round_.areas}
        pots = {a.id: projects_of(a) for a in round_.areas}
        return round_.id, moderators, areas, pots


def browser(app, user_id: int):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    log_in(client, user_id)
    return client


def enter(client, round_id, serial, area, projects):
    return client.post(f"/rounds/{round_id}/paper", data={"serial": serial, "area": str(area),
                                                          "projects": [str(p) for p in projects]},
                       follow_redirects=True)


def test_two_moderators_agreeing_make_one_counted_paper_ballot(app, setup):
    """The first entry waits; a second moderator's identical entry makes one counted paper
    ballot without a receipt; the serial cannot be entered again."""
    round_id, (a, b, c), areas, pots = setup
    area = areas["suur-tapiola"]
    first = enter(browser(app, a), round_id, "p-0001", area, pots[area][:2])
    assert "must enter it too" in first.get_data(as_text=True)
    with app.app_context():
        assert counted(round_id) == []
    second = enter(browser(app, b), round_id, "P-0001 ", area, list(reversed(pots[area][:2])))
    assert "now counts" in second.get_data(as_text=True)
    with app.app_context():
        assert counted(round_id) == [(area, tuple(sorted(pots[area][:2])))]
        ballot = db.session.scalars(sa.select(Ballot)).one()
        assert ballot.channel is BallotChannel.PAPER and ballot.receipt_hash is None
        assert db.session.scalars(sa.select(PaperBallot.serial)).all() == ["P-0001"]
        before = table_counts()
    third = enter(browser(app, c), round_id, "P-0001", area, pots[area][:2])
    assert third.status_code == 409 and "already been counted" in third.get_data(as_text=True)
    with app.app_context():
        assert table_counts() == before


def test_the_same_moderator_cannot_confirm_their_own_entry(app, setup):
    """A moderator entering the same serial twice is refused; nothing counts."""
    round_id, (a, b, c), areas, pots = setup
    area = areas["suur-tapiola"]
    client = browser(app, a)
    enter(client, round_id, "S-7", area, pots[area][:1])
    again = enter(client, round_id, "S-7", area, pots[area][:1])
    assert again.status_code == 409 and "different moderator" in again.get_data(as_text=True)
    with app.app_context():
        assert counted(round_id) == [] and db.session.scalar(sa.select(sa.func.count()).select_from(PaperEntry)) == 1


def test_a_mismatch_is_listed_and_a_third_entry_resolves_it(app, setup):
    """Different choices for one serial are listed as a mismatch; a third moderator agreeing
    with one of them makes it count with that content."""
    round_id, (a, b, c), areas, pots = setup
    area = areas["vanha-espoo"]
    enter(browser(app, a), round_id, "M-1", area, pots[area][:2])
    mismatch = enter(browser(app, b), round_id, "M-1", area, pots[area][1:3])
    assert "does not match" in mismatch.get_data(as_text=True)
    listing = browser(app, a).get(f"/rounds/{round_id}/paper/entries").get_data(as_text=True)
    assert "Mismatch" in listing and "M-1" in listing
    with app.app_context():
        assert counted(round_id) == []
    enter(browser(app, c), round_id, "M-1", area, pots[area][1:3])
    with app.app_context():
        assert counted(round_id) == [(area, tuple(sorted(pots[area][1:3])))]
    assert "Mismatch" not in browser(app, a).get(f"/rounds/{round_id}/paper/entries").get_data(as_text=True)


def test_a_different_area_is_a_mismatch_too(app, setup):
    """Two entries with the same project ids but different areas do not agree."""
    round_id, (a, b, c), areas, pots = setup
    city = areas["koko-kaupunki"]
    local = areas["suur-tapiola"]
    enter(browser(app, a), round_id, "X-1", city, pots[city][:1])
    enter(browser(app, b), round_id, "X-1", local, pots[local][:1])
    with app.app_context():
        assert counted(round_id) == []


@pytest.mark.parametrize("case", ["too many", "other pot", "forged", "bad serial"])
def test_invalid_paper_entries_are_refused_and_stored_nowhere(app, setup, case):
    """Entries breaking the format, naming another pot's or unknown projects, or with a bad
    serial are refused with a message; no entry is stored."""
    round_id, (a, b, c), areas, pots = setup
    area, other = areas["suur-tapiola"], areas["vanha-espoo"]
    serial, projects = {
        "too many": ("T-1", pots[area]),
        "other pot": ("T-2", pots[other][:1]),
        "forged": ("T-3", ["99999"]),
        "bad serial": ("<script>", pots[area][:1]),
    }[case]
    response = enter(browser(app, a), round_id, serial, area, projects)
    assert response.status_code in (400, 409) and 'class="error-summary"' in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(PaperEntry)) == 0


def test_residents_cannot_enter_paper_ballots(app, setup):
    """Paper entry needs the moderator (or administrator) role."""
    round_id, _mods, areas, pots = setup
    with app.app_context():
        resident = make_user().id
    area = areas["suur-tapiola"]
    assert enter(browser(app, resident), round_id, "R-1", area, pots[area][:1]).status_code == 403


def test_in_person_voter_cannot_vote_online_and_vice_versa(app, setup):
    """A person checked in for paper is refused online; an online voter is refused at check-in."""
    round_id, (a, b, c), areas, pots = setup
    desk = browser(app, a)
    attest(desk, round_id, "bertil")
    page = desk.get(f"/rounds/{round_id}/paper/check-in").get_data(as_text=True)
    assert "may vote" in page
    assert desk.post(f"/rounds/{round_id}/paper/check-in", data={}).status_code == 303
    with app.app_context():
        assert db.session.scalars(sa.select(VoterRecord.channel)).all() == [BallotChannel.PAPER]
    online = app.test_client()
    online.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    attest(online, round_id, "bertil")
    area = areas["vanha-espoo"]
    assert cast_via_http(online, round_id, area, {area: pots[area][:1]}).status_code == 409

    voter = app.test_client()
    attest(voter, round_id, "aino")
    area = areas["suur-tapiola"]
    assert cast_via_http(voter, round_id, area, {area: pots[area][:1]}).status_code == 200
    attest(desk, round_id, "aino")
    assert "already voted" in desk.get(f"/rounds/{round_id}/paper/check-in").get_data(as_text=True)
    refused = desk.post(f"/rounds/{round_id}/paper/check-in", data={}, follow_redirects=True)
    assert "already voted" in refused.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VoterRecord)) == 2


def test_check_in_of_a_pupil_the_youth_rules_refuse_names_each_limit(app):
    """At a service point of a youth round (grades 7-9 or turning 13-16), a pupil in grade 6
    who turns 12 is shown both limits with their own numbers, and cannot be checked in."""
    from pb.services.rounds import youth_defaults

    with app.app_context():
        round_id = make_voting_round(eligibility=youth_defaults(2026)["eligibility"]).id
        desk = browser(app, make_user(roles=(Role.MODERATOR,)).id)
    attest(desk, round_id, "pikku")
    page = desk.get(f"/rounds/{round_id}/paper/check-in")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "grades 7–9" in html and "must turn at least 13 during 2026" in html
    assert desk.post(f"/rounds/{round_id}/paper/check-in", data={}).status_code == 403
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VoterRecord)) == 0
