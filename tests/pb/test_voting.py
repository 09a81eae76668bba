"""Voting through the pages: identify (test provider, account in a self-declared round),
build, review and cast; one ballot per voter; replacement; bad input changes nothing;
ballots hold nothing that links them to voters."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pb.extensions import db
from pb.models import BallotKind, Phase, Round
from pb.models.voting import Ballot, BallotChannel, VoterRecord
from pb.receipts import RECEIPT_BITS, receipt_hash
from pb.services import voting as voting_service
from tests.pb.factories import log_in, make_user, set_production_environment
from tests.pb.voting_helpers import (
    attest,
    ballot_data,
    cast_via_http,
    counted,
    make_voting_round,
    projects_of,
    receipt_in,
    table_counts,
)


@pytest.fixture
def city(app):
    """A city round open for voting with two areas and a citywide pot."""
    with app.app_context():
        round_ = make_voting_round(citywide=70_000)
        areas = {area.code: area.id for area in round_.areas}
        pots = {area.id: projects_of(area) for area in round_.areas}
        return round_.id, areas, pots


def test_voter_casts_through_the_test_provider_and_sees_a_receipt_once(app, client, city):
    """Aino identifies, ticks two local and one citywide project, casts: two counted ballot rows
    (one per pot) with one receipt hash, one who-voted row with the day only, a receipt shown."""
    round_id, areas, pots = city
    attest(client, round_id, "aino")
    area = areas["suur-tapiola"]
    citywide = areas["koko-kaupunki"]
    chosen = {area: pots[area][:2], citywide: pots[citywide][:1]}
    response = cast_via_http(client, round_id, area, chosen)
    html = response.get_data(as_text=True)
    assert response.status_code == 200, html[:2000]
    assert response.headers["Cache-Control"] == "no-store"
    receipt = receipt_in(html)
    assert receipt is not None and RECEIPT_BITS >= 80
    with app.app_context():
        assert counted(round_id) == sorted([(area, tuple(sorted(pots[area][:2]))), (citywide, (pots[citywide][0],))])
        ballots = db.session.scalars(sa.select(Ballot)).all()
        assert {b.receipt_hash for b in ballots} == {receipt_hash(receipt)}
        assert all(b.channel is BallotChannel.ONLINE and len(b.id) == 32 for b in ballots)
        record = db.session.scalars(sa.select(VoterRecord)).one()
        assert record.voted_on.isoformat() == "2026-03-01" and record.channel is BallotChannel.ONLINE
    # The receipt is not shown again anywhere: the voting page now says "already voted".
    again = client.get(f"/rounds/{round_id}/vote", follow_redirects=True)
    assert receipt not in again.get_data(as_text=True)


def test_the_ballot_page_works_without_javascript_update_total(app, client, city):
    """'Update total' re-renders the ballot with the ticked boxes kept and the server's total."""
    round_id, areas, pots = city
    attest(client, round_id, "aino")
    area = areas["suur-tapiola"]
    page = client.post(f"/rounds/{round_id}/vote/ballot", data=ballot_data(area, {area: pots[area][:2]}, update="1"))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert html.count(" checked") == 2
    assert "70" in html.split("ballot-total-value")[1][:80]  # 30,000 + 40,000 euros
    assert 'src="/static/ballot.js"' in html and "<script>" not in html
    with app.app_context():
        assert table_counts() == (0, 0, 0)


def test_second_ballot_by_the_same_person_is_refused(app, client, city):
    """A second cast by the same attested person gets 'already voted' and changes nothing."""
    round_id, areas, pots = city
    area = areas["vanha-espoo"]
    attest(client, round_id, "bertil")
    assert cast_via_http(client, round_id, area, {area: pots[area][:1]}).status_code == 200
    with app.app_context():
        before = table_counts()
    attest(client, round_id, "bertil")
    start = client.get(f"/rounds/{round_id}/vote/ballot?area={area}")
    assert start.status_code == 409 and "already voted" in start.get_data(as_text=True)
    second = client.post(f"/rounds/{round_id}/vote/cast", data=ballot_data(area, {area: pots[area][1:2]}))
    assert second.status_code == 409
    with app.app_context():
        assert table_counts() == before
        assert counted(round_id) == [(area, (pots[area][0],))]


def test_replacement_keeps_only_the_last_ballot_counted(app, client):
    """In a round that allows replacing, the last ballot counts, the old one is marked not
    counted, the who-voted row stays one, and no two ballots share a replacement key."""
    with app.app_context():
        round_ = make_voting_round(allow_replace=True)
        round_id = round_.id
        area = round_.areas[0].id
        pots = projects_of(round_.areas[0])
    for choice in ([pots[0]], [pots[1], pots[2]], [pots[3]]):
        attest(client, round_id, "aino")
        response = cast_via_http(client, round_id, area, {area: choice})
        assert response.status_code == 200, response.get_data(as_text=True)[:1000]
    with app.app_context():
        assert counted(round_id) == [(area, (pots[3],))]
        ballots = db.session.scalars(sa.select(Ballot)).all()
        assert len(ballots) == 3 and sum(b.is_counted for b in ballots) == 1
        assert [b.replace_ref is None for b in ballots if not b.is_counted] == [True, True]
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VoterRecord)) == 1
        # At close the remaining key goes too.
        assert voting_service.seal_round(round_id) == 1
        db.session.commit()
        assert db.session.scalar(sa.select(sa.func.count()).where(Ballot.replace_ref.is_not(None))) == 0


def test_assigned_area_from_the_home_area_claim(app, client):
    """When eligibility limits home areas, the voter gets their own area and cannot pick another."""
    with app.app_context():
        round_ = make_voting_round(eligibility={"channels": ["identity"], "areas": ["suur-tapiola", "vanha-espoo"]})
        round_id = round_.id
        by_code = {a.code: a for a in round_.areas}
        own, other = by_code["suur-tapiola"].id, by_code["vanha-espoo"].id
        own_projects, other_projects = projects_of(by_code["suur-tapiola"]), projects_of(by_code["vanha-espoo"])
    attest(client, round_id, "aino")  # lives in Suur-Tapiola
    page = client.get(f"/rounds/{round_id}/vote/ballot?area={other}")
    assert f'name="pot-{own}"' in page.get_data(as_text=True)
    # Posting another area's projects under the other area is refused: the voter's area is fixed.
    forged = cast_via_http(client, round_id, other, {other: other_projects[:1]})
    assert forged.status_code == 400
    with app.app_context():
        assert table_counts() == (0, 0, 0)
    assert cast_via_http(client, round_id, own, {own: own_projects[:1]}).status_code == 200


def test_ineligible_person_is_told_why_and_cannot_reach_the_ballot(app, client, city):
    """Helka lives in Helsinki: the page names the municipality and the ballot redirects to start."""
    round_id, areas, pots = city
    attest(client, round_id, "helka")
    page = client.get(f"/rounds/{round_id}/vote")
    assert page.status_code == 403
    assert "municipality" in page.get_data(as_text=True).lower()
    ballot = client.get(f"/rounds/{round_id}/vote/ballot")
    assert ballot.status_code == 303 and ballot.headers["Location"].endswith(f"/rounds/{round_id}/vote")


BAD_BALLOTS = {
    "forged project id": lambda pots, a, c: {a: ["999999"]},
    "non-numeric id": lambda pots, a, c: {a: ["1 OR 1=1"]},
    "another area's project": lambda pots, a, c: {a: [pots[c][0]]},
    "too many": lambda pots, a, c: {a: pots[a][:4]},
    "none": lambda pots, a, c: {},
    "a project twice": lambda pots, a, c: {a: [pots[a][0], pots[a][0]]},
}


@pytest.mark.parametrize("case", sorted(BAD_BALLOTS))
def test_bad_ballots_get_a_clear_message_and_change_nothing(app, client, city, case):
    """Forged ids, another pot's projects, too many or none: 400 with a message, no rows written."""
    round_id, areas, pots = city
    area, other = areas["suur-tapiola"], areas["vanha-espoo"]
    attest(client, round_id, "aino")
    choices = BAD_BALLOTS[case](pots, area, other)
    response = client.post(f"/rounds/{round_id}/vote/cast", data=ballot_data(area, choices))
    html = response.get_data(as_text=True)
    assert response.status_code == 400, html[:1000]
    assert 'class="error-summary"' in html
    with app.app_context():
        assert table_counts() == (0, 0, 0)


def test_another_areas_pot_key_is_refused(app, client, city):
    """Choices posted under another local area's pot name are refused, not silently dropped."""
    round_id, areas, pots = city
    area, other = areas["suur-tapiola"], areas["vanha-espoo"]
    attest(client, round_id, "aino")
    response = client.post(f"/rounds/{round_id}/vote/cast",
                           data=ballot_data(area, {area: pots[area][:1], other: pots[other][:1]}))
    assert response.status_code == 400 and "another area" in response.get_data(as_text=True)
    with app.app_context():
        assert table_counts() == (0, 0, 0)


def test_knapsack_over_budget_and_under_minimum_spend_are_refused(app, client):
    """A knapsack ballot over the budget, or under the minimum share, is refused with the amounts."""
    with app.app_context():
        round_ = make_voting_round(ballot_kind=BallotKind.KNAPSACK, max_choices=None, min_spend_percent=50,
                                   areas=(("suur-tapiola", 100_000),))
        round_id, area = round_.id, round_.areas[0].id
        pots = projects_of(round_.areas[0])  # 30k, 40k, 50k, 60k
    attest(client, round_id, "aino")
    over = client.post(f"/rounds/{round_id}/vote/cast", data=ballot_data(area, {area: pots[1:4]}))
    assert over.status_code == 400 and "more than the budget" in over.get_data(as_text=True)
    under = client.post(f"/rounds/{round_id}/vote/cast", data=ballot_data(area, {area: pots[:1]}))
    assert under.status_code == 400 and "at least" in under.get_data(as_text=True)
    with app.app_context():
        assert table_counts() == (0, 0, 0)
    assert cast_via_http(client, round_id, area, {area: [pots[0], pots[3]]}).status_code == 200


def test_closed_round_refuses_casting(app, client, clock, city):
    """After voting closes (by date) the ballot pages refuse and a cast writes nothing."""
    round_id, areas, pots = city
    area = areas["suur-tapiola"]
    attest(client, round_id, "aino")
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        round_.voting_closes_at = clock.now + timedelta(minutes=5)
        db.session.commit()
    clock.advance(minutes=6)
    response = client.post(f"/rounds/{round_id}/vote/cast", data=ballot_data(area, {area: pots[area][:1]}))
    assert response.status_code == 409
    with app.app_context():
        assert table_counts() == (0, 0, 0)


def test_service_refuses_when_the_round_closes_between_check_and_commit(app, city, clock):
    """The phase is checked again inside the cast's transaction: a round that is no longer in
    voting gets nothing written even if the caller checked earlier."""
    round_id, areas, pots = city
    area = areas["suur-tapiola"]
    with app.app_context():
        db.session.execute(sa.update(Round).where(Round.id == round_id).values(phase=Phase.RESULTS))
        db.session.commit()
        with pytest.raises(voting_service.VotingClosed):
            voting_service.cast_ballot(round_id, area, {area: [str(pots[area][0])]}, voter_ref="x" * 64,
                                       channel=BallotChannel.ONLINE, at=clock.now)
        assert table_counts() == (0, 0, 0)


def test_self_declared_round_lets_an_email_account_vote_once(app, client):
    """In a self-declared round a logged-in account votes (the page says it is self-declared);
    the account cannot vote twice; in a normal round the account button is not offered."""
    with app.app_context():
        round_ = make_voting_round(is_self_declared=True, eligibility={"channels": ["identity"]})
        normal = make_voting_round()
        round_id, area, pots = round_.id, round_.areas[0].id, projects_of(round_.areas[0])
        normal_id = normal.id
        user_id = make_user(year_of_birth=1980, home_area="suur-tapiola").id
    log_in(client, user_id)
    page = client.get(f"/rounds/{round_id}/vote").get_data(as_text=True)
    assert "Nobody checks the details" in page
    assert "Vote with my account" not in client.get(f"/rounds/{normal_id}/vote").get_data(as_text=True)
    assert client.post(f"/rounds/{normal_id}/vote/account", data={}).status_code == 400
    assert client.post(f"/rounds/{round_id}/vote/account", data={}).status_code == 303
    assert cast_via_http(client, round_id, area, {area: pots[:2]}).status_code == 200
    client.post(f"/rounds/{round_id}/vote/account", data={})
    assert client.post(f"/rounds/{round_id}/vote/cast", data=ballot_data(area, {area: pots[2:3]})).status_code == 409
    with app.app_context():
        assert counted(round_id) == [(area, tuple(sorted(pots[:2])))]
        assert db.session.scalar(sa.select(VoterRecord.voter_ref)) == voting_service.account_reference(user_id)


def test_ballot_tables_hold_no_link_to_voters(app):
    """Ballot tables have no timestamp, user, code or voter column, and share no column with
    voter_record except the round; voter_record stores a date, not a time."""
    with app.app_context():
        ballot = {c.name for c in Ballot.__table__.columns}
        choice = {c.name for c in db.metadata.tables["ballot_choice"].columns}
        record = VoterRecord.__table__.columns
        forbidden = ("_at", "time", "user", "voter", "code", "address", "created")
        assert not [name for name in ballot | choice if any(word in name for word in forbidden)]
        assert ballot & {c.name for c in record} == {"round_id", "channel"}
        assert isinstance(record["voted_on"].type, sa.Date) and not isinstance(record["voted_on"].type, sa.DateTime)
        assert not Ballot.__table__.foreign_keys - {fk for fk in Ballot.__table__.foreign_keys
                                                     if fk.column.table.name in ("round", "area")}
        if db.engine.dialect.name == "sqlite":
            sql = db.session.scalar(sa.text("SELECT sql FROM sqlite_master WHERE name = 'ballot'"))
            assert "WITHOUT ROWID" in sql.upper()


def test_ballot_ids_are_random_not_in_casting_order(app, city, clock):
    """Ballot ids are 128-bit random hex: sorting by id does not give the order of casting."""
    round_id, areas, pots = city
    area = areas["suur-tapiola"]
    with app.app_context():
        receipts = []
        for n in range(12):
            result = voting_service.cast_ballot(round_id, area, {area: [str(pots[area][n % 3])]},
                                                voter_ref=f"{n:064x}", channel=BallotChannel.ONLINE, at=clock.now)
            receipts.append(receipt_hash(result.receipt))
        by_id = [b.receipt_hash for b in db.session.scalars(sa.select(Ballot).order_by(Ballot.id))]
        assert sorted(by_id) == sorted(receipts) and by_id != receipts
        assert len({len(b) for b in db.session.scalars(sa.select(Ballot.id))}) == 1


def test_format_helper_is_the_rounds_one(app):
    """Casting uses the same BallotFormat helper that freezes and tallies (one definition)."""
    from pb.services import rounds

    assert voting_service.ballot_format is rounds.ballot_format


def test_voting_pages_outside_the_voting_phase_are_refused(app, client):
    """Before voting opens the ballot pages answer with the phase refusal, not a ballot."""
    with app.app_context():
        round_ = make_voting_round(phase=Phase.SCREENING, frozen_at=None)
        round_id, area = round_.id, round_.areas[0].id
    for response in (client.get(f"/rounds/{round_id}/vote"),
                     client.post(f"/rounds/{round_id}/vote/cast", data=ballot_data(area, {area: ["1"]}))):
        assert response.status_code == 409
    with app.app_context():
        assert table_counts() == (0, 0, 0)


@pytest.mark.parametrize("missing", ["PB_VOTER_KEY", "PB_VOTING_CODE_KEY"])
def test_production_refuses_missing_voting_keys(monkeypatch, missing):
    """Production will not start without each voting key from the environment (or with a short one)."""
    from pb import create_app

    set_production_environment(monkeypatch)
    create_app("production")  # all set: starts
    monkeypatch.setenv(missing, "short")
    with pytest.raises(RuntimeError, match=missing):
        create_app("production")
    monkeypatch.delenv(missing)
    with pytest.raises(RuntimeError, match=missing):
        create_app("production")


def test_production_refuses_the_test_identity_provider(monkeypatch):
    """PB_IDENTITY_TEST_PROVIDER cannot be switched on in production."""
    from pb import create_app

    set_production_environment(monkeypatch)
    app = create_app("production")
    assert "identity_test" not in app.blueprints
    with pytest.raises(RuntimeError, match="PB_IDENTITY_TEST_PROVIDER"):
        create_app("production", {"PB_IDENTITY_TEST_PROVIDER": True})


def test_too_few_choices_are_refused_with_the_minimum(app, client):
    """With at least two choices required, one choice is refused with the number needed."""
    with app.app_context():
        round_ = make_voting_round(min_choices=2, areas=(("suur-tapiola", 100_000),))
        round_id, area, pots = round_.id, round_.areas[0].id, projects_of(round_.areas[0])
    attest(client, round_id, "aino")
    response = client.post(f"/rounds/{round_id}/vote/cast", data=ballot_data(area, {area: pots[:1]}))
    assert response.status_code == 400 and "at least 2 projects" in response.get_data(as_text=True)
    with app.app_context():
        assert table_counts() == (0, 0, 0)
    assert cast_via_http(client, round_id, area, {area: pots[:2]}).status_code == 200


def test_a_pupil_votes_in_the_area_that_lists_their_school(app, client):
    """A pupil whose school login names a school listed by an area gets that area's ballot and
    cannot cast in another, whatever their home area claim; a pupil of an unlisted school
    (the round does not limit home areas) may choose."""
    from pb.models import Area

    youth = {"channels": ["identity"], "min_grade": 6, "max_grade": 9}
    with app.app_context():
        round_ = make_voting_round(eligibility=youth)
        round_id = round_.id
        by_code = {a.code: a for a in round_.areas}
        school_area, other = by_code["vanha-espoo"], by_code["suur-tapiola"]
        school_area.schools = '["espoo-test-school-1"]'
        db.session.commit()
        own, other_id = school_area.id, other.id
        own_projects, other_projects = projects_of(school_area), projects_of(other)
        assert db.session.get(Area, own).school_codes == ["espoo-test-school-1"]
    attest(client, round_id, "eero")  # grade 8 at espoo-test-school-1, home area Suur-Leppävaara
    page = client.get(f"/rounds/{round_id}/vote/ballot?area={other_id}").get_data(as_text=True)
    assert f'name="pot-{own}"' in page and f'name="pot-{other_id}"' not in page
    assert cast_via_http(client, round_id, other_id, {other_id: other_projects[:1]}).status_code == 400
    with app.app_context():
        assert table_counts() == (0, 0, 0)
    assert cast_via_http(client, round_id, own, {own: own_projects[:1]}).status_code == 200

    other_client = app.test_client()
    attest(other_client, round_id, "karkaus")  # grade 7 at espoo-test-school-2: not listed
    page = other_client.get(f"/rounds/{round_id}/vote/ballot?area={other_id}").get_data(as_text=True)
    assert f'name="pot-{other_id}"' in page


def test_a_pupil_too_young_for_a_youth_round_is_told_why_in_each_alternatives_words(app, client):
    """Under the youth defaults (grades 7-9 or turning 13-16), a pupil in grade 6 who turns 12
    gets a 403 page naming both limits (each alternative's own numbers), never a server error."""
    from pb.services.rounds import youth_defaults

    with app.app_context():
        round_id = make_voting_round(eligibility=youth_defaults(2026)["eligibility"]).id
    attest(client, round_id, "pikku")  # grade 6, born 2014
    page = client.get(f"/rounds/{round_id}/vote", headers={"Accept-Language": "en"})
    html = page.get_data(as_text=True)
    assert page.status_code == 403
    assert "grades 7–9" in html and "Voters must turn at least 13 during 2026." in html
    assert "None" not in html
