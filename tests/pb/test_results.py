"""Results: count after close, preview logged, confirmation before publication, public pages,
follow-up updates, privacy notice and the who-voted purge."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from pb.extensions import db
from pb.models import AuditLog, Ballot, Phase, Project, Role, Round, RoundKind, VoterRecord
from pb.services import ServiceError
from pb.services import privacy
from pb.services import results as service
from tests.pb.factories import log_in, make_counted_ballot, make_frozen_round, make_user


def _closed_round(**overrides) -> tuple[Round, list[int]]:
    """A round in its results phase with ballots 3x[a], 2x[a,b], 1x[c] in one 100,000 pot."""
    round_ = make_frozen_round(phase=Phase.RESULTS, confirming_body="City board", **overrides)
    area = round_.areas[0]
    ids = [p.id for p in area.projects]
    for choice in [[ids[0]]] * 3 + [[ids[0], ids[1]]] * 2 + [[ids[2]]]:
        make_counted_ballot(area, choice)
    return round_, ids


def _voter_records(round_: Round, n: int) -> None:
    from datetime import date

    for i in range(n):
        db.session.add(VoterRecord(round_id=round_.id, voter_ref=f"{i:064x}", voted_on=date(2026, 3, 1), channel="online"))
    db.session.commit()


def english(app):
    """An app context whose messages are in English (outside a request they are Finnish)."""
    return app.test_request_context(headers={"Accept-Language": "en"})


CONFIRM = {"body": "City board", "confirmed_by": "Chair Maija Meikäläinen", "decision_reference": "KH 12.5.2026 § 7"}


def test_count_confirm_publish_in_order(app):
    """Publishing needs a count and its confirmation; the published votes are the counted ones."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        round_, (a, b, c) = _closed_round()
        with pytest.raises(ServiceError, match="Run the count first"):
            service.publish_results(admin, round_)
        run = service.run_tally(admin, round_)
        with pytest.raises(ServiceError, match="confirmed by City board"):
            service.publish_results(admin, round_)
        service.confirm_results(admin, round_, run, CONFIRM)
        publication = service.publish_results(admin, round_)
        outcome = publication.run.pots[0].outcome
        assert outcome["votes"] == {str(a): 5, str(b): 2, str(c): 1}
        assert outcome["selected"] == [str(a), str(b)]  # 30,000 + 40,000; c (50,000) no longer fits
        assert not publication.run.is_preview
        with pytest.raises(ServiceError, match="already been published"):
            service.run_tally(admin, round_)
        actions = db.session.scalars(sa.select(AuditLog.action).where(AuditLog.round_id == round_.id)).all()
        assert {"results.tally", "results.confirm", "results.publish"} <= set(actions)


def test_nothing_is_counted_while_voting_is_open(app):
    """Counting and viewing counts are refused during voting, even for administrators."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        round_ = make_frozen_round()
        make_counted_ballot(round_.areas[0], [round_.areas[0].projects[0].id])
        with pytest.raises(ServiceError, match="after voting has closed"):
            service.run_tally(admin, round_)
        with pytest.raises(ServiceError, match="while voting is open"):
            service.view_counts(admin, round_)


def test_a_changed_count_needs_a_new_confirmation(app):
    """A ballot counted after the confirmed count blocks publication until counted and confirmed again."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        round_, ids = _closed_round()
        run = service.run_tally(admin, round_)
        service.confirm_results(admin, round_, run, CONFIRM)
        make_counted_ballot(round_.areas[0], [ids[2]])  # e.g. a late-keyed paper ballot
        with pytest.raises(ServiceError, match="changed since the confirmed count"):
            service.publish_results(admin, round_)
        stale = run
        newer = service.run_tally(admin, round_)
        with pytest.raises(ServiceError, match="latest count"):
            service.confirm_results(admin, round_, stale, CONFIRM)
        service.confirm_results(admin, round_, newer, CONFIRM)
        assert service.publish_results(admin, round_).run_id == newer.id


def test_youth_rounds_are_confirmed_by_their_panel(app):
    """A youth round's results are confirmed only by its named panel, and not published before."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        round_, _ = _closed_round(kind=RoundKind.YOUTH)
        round_.confirming_body = "Nuorten paneeli"
        db.session.commit()
        run = service.run_tally(admin, round_)
        with pytest.raises(ServiceError, match="Nuorten paneeli"):
            service.confirm_results(admin, round_, run, CONFIRM)
        with pytest.raises(ServiceError, match="Nuorten paneeli"):
            service.publish_results(admin, round_)
        service.confirm_results(admin, round_, run, {**CONFIRM, "body": "Nuorten paneeli"})
        assert service.publish_results(admin, round_).confirmation.body == "Nuorten paneeli"


def test_confirmation_fields_are_required(app):
    """Who confirmed and the decision reference are required; blank ones are refused."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        round_, _ = _closed_round()
        run = service.run_tally(admin, round_)
        for missing in ("confirmed_by", "decision_reference"):
            with pytest.raises(ServiceError, match="required"):
                service.confirm_results(admin, round_, run, {**CONFIRM, missing: "  "})
        assert service.confirmation_of(run) is None


def test_preview_views_are_logged_and_limited_to_administrators_and_auditors(app, client):
    """Every view of the pre-publication count is in the audit log; residents and moderators get 403."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        auditor = make_user(roles=(Role.AUDITOR,))
        moderator = make_user(roles=(Role.MODERATOR,))
        round_, _ = _closed_round()
        service.run_tally(admin, round_)
        round_id, ids = round_.id, (admin.id, auditor.id, moderator.id)
    for user_id in ids[:2]:
        log_in(client, user_id)
        page = client.get(f"/admin/rounds/{round_id}/results")
        assert page.status_code == 200 and "Ballots counted: 6" in page.get_data(as_text=True)
    log_in(client, ids[2])
    assert client.get(f"/admin/rounds/{round_id}/results").status_code == 403
    with english(app):
        viewers = db.session.scalars(sa.select(AuditLog.actor_id).where(AuditLog.action == "results.preview.view")).all()
        assert sorted(viewers) == sorted(ids[:2])


def test_publication_through_the_pages(app, client):
    """An administrator counts, records the confirmation and publishes through the pages; the public page then shows votes, cost and budget used."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        round_, (a, b, c) = _closed_round()
        round_id, area_id, admin_id = round_.id, round_.areas[0].id, admin.id
        digest = round_.config_digest
    assert "not been published" in client.get(f"/rounds/{round_id}/results").get_data(as_text=True)
    log_in(client, admin_id)
    assert client.post(f"/admin/rounds/{round_id}/results/count").status_code == 302
    client.post(f"/admin/rounds/{round_id}/results/publish")
    assert "not been published" in client.get(f"/rounds/{round_id}/results").get_data(as_text=True)
    client.post(f"/admin/rounds/{round_id}/results/confirm", data=CONFIRM)
    assert client.post(f"/admin/rounds/{round_id}/results/publish").status_code == 302
    page = client.get(f"/rounds/{round_id}/results/{area_id}").get_data(as_text=True)
    assert "Budget used: €70,000 of €100,000." in page and "Ballots counted: 6." in page
    assert digest in page and "KH 12.5.2026 § 7" in page
    assert "in order of their votes" in page
    assert "There were no ties." in page
    # a's 5, b's 2 and c's 1 of the 6 ballots
    assert "<td>5</td><td>83.3%</td>" in page and "<td>2</td><td>33.3%</td>" in page
    assert "<td>1</td><td>16.7%</td>" in page and "Share of ballots" in page


def test_ties_are_shown_in_words(app, client):
    """A tie decided by the chain appears on the public page with the tied projects and the deciding key."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        round_ = make_frozen_round(phase=Phase.RESULTS, costs=(60_000, 60_000), tie_break="cost,id")
        area = round_.areas[0]
        first, second = area.projects
        make_counted_ballot(area, [first.id, second.id])
        run = service.run_tally(admin, round_)
        service.confirm_results(admin, round_, run, CONFIRM)
        service.publish_results(admin, round_)
        round_id, area_id = round_.id, area.id
        assert run.pots[0].outcome["ties"][0]["decided_by"] == "id"
    page = client.get(f"/rounds/{round_id}/results/{area_id}").get_data(as_text=True)
    assert "Step 1: " in page and "were tied; the lower project number decided" in page


def test_follow_up_only_for_funded_projects_and_shown_publicly(app, client):
    """Funded projects take implementation updates shown on the results page; unfunded ones are refused."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        round_, (a, b, c) = _closed_round()
        run = service.run_tally(admin, round_)
        service.confirm_results(admin, round_, run, CONFIRM)
        service.publish_results(admin, round_)
        with pytest.raises(ServiceError, match="Only projects funded"):
            service.add_follow_up(admin, db.session.get(Project, c), {"status": "planned", "note_en": "x"})
        with pytest.raises(ServiceError, match="Choose a status"):
            service.add_follow_up(admin, db.session.get(Project, a), {"status": "lost", "note_en": "x"})
        round_id, area_id, admin_id = round_.id, round_.areas[0].id, admin.id
    log_in(client, admin_id)
    assert client.get(f"/admin/rounds/{round_id}/follow-up").status_code == 200
    client.post(f"/admin/projects/{a}/follow-up", data={f"p{a}-status": "in-progress", f"p{a}-note_en": "Benches ordered."})
    page = client.get(f"/rounds/{round_id}/results/{area_id}").get_data(as_text=True)
    assert "In progress" in page and "Benches ordered." in page


def test_who_voted_records_are_purged_after_the_appeal_period_and_ballots_kept(app, runner, clock):
    """`flask pb purge-who-voted` deletes a round's who-voted rows only after its appeal period; ballots stay."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        round_, _ = _closed_round(who_voted_retention_days=14)
        other, _ = _closed_round()
        _voter_records(round_, 6)
        _voter_records(other, 2)
        run = service.run_tally(admin, round_)
        service.confirm_results(admin, round_, run, CONFIRM)
        service.publish_results(admin, round_)
        round_id, other_id = round_.id, other.id
    clock.advance(days=13, hours=23)
    assert "No round" in runner.invoke(args=["pb", "purge-who-voted"]).output
    clock.advance(hours=1)
    result = runner.invoke(args=["pb", "purge-who-voted"])
    assert f"round {round_id}: deleted 6" in result.output
    with english(app):
        remaining = db.session.scalars(sa.select(VoterRecord.round_id)).all()
        assert remaining == [other_id, other_id]  # unpublished round: kept
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.round_id == round_id)) == 6
        assert privacy.purge_who_voted(clock.now + timedelta(days=400)) == []


def test_privacy_notice_in_three_languages(app, client):
    """The privacy notice says what is stored and for how long, in Finnish, Swedish and English."""
    with english(app):
        make_frozen_round(who_voted_retention_days=30)
    pages = {}
    for lang in ("fi", "sv", "en"):
        client.environ_base["HTTP_ACCEPT_LANGUAGE"] = lang
        response = client.get("/privacy")
        assert response.status_code == 200
        pages[lang] = response.get_data(as_text=True)
    assert "30 days after the results are published" in pages["en"]
    assert pages["fi"] != pages["en"] and pages["sv"] != pages["en"] and pages["fi"] != pages["sv"]
    assert "Who voted" in pages["en"]
    assert 'href="/privacy"' in client.get("/").get_data(as_text=True)  # the footer links to it


def test_bad_requests_to_the_results_pages_get_clear_answers(app, client):
    """Unknown ids are 404, a count during voting is refused with a message, incomplete confirmations and follow-ups change nothing."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        voting = make_frozen_round()
        make_counted_ballot(voting.areas[0], [voting.areas[0].projects[0].id])
        closed, (a, _, _) = _closed_round()
        ids = admin.id, voting.id, closed.id
    admin_id, voting_id, closed_id = ids
    log_in(client, admin_id)
    for url in ("/rounds/999999/results", "/admin/rounds/999999/results", f"/rounds/{closed_id}/results/999999"):
        assert client.get(url).status_code == 404, url
    assert client.post(f"/admin/projects/999999/follow-up", data={}).status_code == 404
    refused = client.get(f"/admin/rounds/{voting_id}/results")
    assert refused.status_code == 403 and "while voting is open" in refused.get_data(as_text=True)
    page = client.post(f"/admin/rounds/{voting_id}/results/count", follow_redirects=True).get_data(as_text=True)
    assert "only after voting has closed" in page
    client.post(f"/admin/rounds/{closed_id}/results/count")
    page = client.post(f"/admin/rounds/{closed_id}/results/confirm", data={"body": "City board"},
                       follow_redirects=True).get_data(as_text=True)
    assert "This field is required." in page
    page = client.post(f"/admin/projects/{a}/follow-up", data={f"p{a}-status": "done", f"p{a}-note_fi": "Valmis"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Only projects funded in the published results" in page
    assert client.get(f"/admin/rounds/{closed_id}/results/publish").status_code == 405
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(service.Confirmation)) == 0
        assert db.session.scalar(sa.select(sa.func.count()).select_from(service.FollowUpUpdate)) == 0
        viewed = db.session.scalars(sa.select(AuditLog.round_id).where(AuditLog.action == "results.preview.view")).all()
        assert voting_id not in viewed


def test_counting_clears_the_replacement_keys(app):
    """After the count no ballot keeps the keyed reference that found it for replacement."""
    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        round_, _ = _closed_round()
        for ballot in db.session.scalars(sa.select(Ballot).where(Ballot.round_id == round_.id)):
            ballot.replace_ref = "ab" * 32
        db.session.commit()
        service.run_tally(admin, round_)
        db.session.expire_all()
        refs = db.session.scalars(sa.select(Ballot.replace_ref).where(Ballot.round_id == round_.id)).all()
        assert len(refs) == 6 and set(refs) == {None}


@pytest.mark.parametrize("size, shown", [(None, False), (10, True), (11, False)])
def test_participation_by_channel_always_and_by_age_only_when_every_group_is_large_enough(app, client, size, shown):
    """The published page counts each pot's ballots by channel (summing to the ballots counted);
    the age groups appear only when demographics are published and every group present holds at
    least the minimum size (12 and 10 ballots: shown for 10, left out whole for 11), with the
    ballots of unknown age (codes, paper) as one number. Uncounted ballots count nowhere."""
    app.config["EXPORT_DEMOGRAPHICS_MIN_GROUP_SIZE"] = size
    with english(app):
        round_ = make_frozen_round(phase=Phase.RESULTS, confirming_body="City board")
        area = round_.areas[0]
        first = area.projects[0].id
        for band, channel, count in (("18-29", "online", 12), ("30-44", "online", 10),
                                     (None, "code", 2), (None, "paper", 1)):
            for _ in range(count):
                make_counted_ballot(area, [first], channel=channel, band=band)
        make_counted_ballot(area, [first], band="65+", is_counted=False)
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        run = service.run_tally(admin, round_)
        service.confirm_results(admin, round_, run, CONFIRM)
        service.publish_results(admin, round_)
        round_id, area_id = round_.id, area.id
    for path in (f"/rounds/{round_id}/results", f"/rounds/{round_id}/results/{area_id}"):
        page = client.get(path, headers={"Accept-Language": "en"}).get_data(as_text=True)
        assert "Ballots counted: 25." in page
        assert "Ballots by channel: online 22, with a voting code 2, on paper 1." in page
        assert ("Ballots by age group" in page) is shown
        if shown:
            assert "<td>18–29</td><td>12</td>" in page and "<td>30–44</td><td>10</td>" in page
            assert "<td>not known (voting codes, paper ballots)</td><td>3</td>" in page
        assert "65+" not in page


def test_published_results_download_as_open_data_and_not_before(app, client):
    """Before publication the CSV and JSON are 404; after, they hold every project of the pot
    with the page's numbers (votes 5, 2, 1 of 6 ballots; a and b funded in that order), titles
    in every language, and a title that a spreadsheet would run as a formula is defused in the
    CSV only."""
    import csv
    import io
    import json

    from pb.results.open_data import COLUMNS

    with english(app):
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        round_, (a, b, c) = _closed_round()
        db.session.get(Project, c).title_fi = '=HYPERLINK("http://x")'
        db.session.commit()
        round_id = round_.id
        for fmt in ("csv", "json"):
            assert client.get(f"/rounds/{round_id}/results.{fmt}").status_code == 404
        run = service.run_tally(admin, round_)
        service.confirm_results(admin, round_, run, CONFIRM)
        service.publish_results(admin, round_)
    data = json.loads(client.get(f"/rounds/{round_id}/results.json").get_data(as_text=True))
    by_id = {row["project_id"]: row for row in data["projects"]}
    assert {pid: (row["votes"], row["funded"], row["funded_order"]) for pid, row in by_id.items()} == {
        a: (5, True, 1), b: (2, True, 2), c: (1, False, None)}
    assert data["pots"][0]["ballots_counted"] == 6 and data["pots"][0]["total_cost"] == 70_000
    assert data["pots"][0]["channels"] == {"online": 6, "code": 0, "paper": 0}
    assert by_id[c]["title_fi"] == '=HYPERLINK("http://x")'
    response = client.get(f"/rounds/{round_id}/results.csv")
    assert response.mimetype == "text/csv" and "attachment" in response.headers["Content-Disposition"]
    table = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert tuple(table[0]) == COLUMNS and len(table) == 3
    rows = {int(row["project_id"]): row for row in table}
    assert (rows[a]["funded"], rows[a]["votes"], rows[c]["funded"]) == ("yes", "5", "no")
    assert rows[c]["title_fi"] == "'=HYPERLINK(\"http://x\")"
    assert f'/rounds/{round_id}/results.csv' in client.get(f"/rounds/{round_id}/results").get_data(as_text=True)
