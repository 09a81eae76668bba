"""A whole youth round (ManiMiitti) through the HTTP interface: pupils propose and vote with
the school login or class codes, youth workers screen and key paper ballots, the youth panel
confirms, and the published numbers equal what ``pb-tally`` computes from each pot's ``.pb``."""

from __future__ import annotations

from pb.extensions import db
from pb.models import Proposal, ProposalStatus, Role, Round
from tests.pb import e2e_helpers as e2e
from tests.pb.factories import make_user
from tests.pb.voting_helpers import attest, cast_via_http, receipt_in

PANEL = "Nuorten paneeli / Youth panel"


def test_whole_youth_round(app, client, tmp_path):
    """Youth defaults (grades 7-9, up to 5 choices, panel confirmation), codes per class, paper, and the panel's confirmation before publication; published numbers equal pb-tally's."""
    with app.app_context():
        admin_id = make_user(roles=(Role.ADMINISTRATOR,)).id
        youth_workers = [make_user(roles=(Role.MODERATOR,)).id for _ in range(2)]
        pupils = [make_user(year_of_birth=2012, grade=8).id for _ in range(2)]
    admin = e2e.browser(app, admin_id)
    first, second = (e2e.browser(app, m) for m in youth_workers)

    round_id = e2e.create_round(admin, {
        "name_fi": "ManiMiitti 2026", "kind": "youth", "ballot_kind": "approval", "min_choices": "1",
        "rule": "greedy", "rule_options": "{}", "tie_break": "", "who_voted_retention_days": "60",
    })
    with app.app_context():
        round_ = db.session.get(Round, round_id)
        assert (round_.max_choices, round_.confirming_body) == (5, PANEL)
    e2e.add_area(admin, round_id, "espoonlahti", 10_000)
    e2e.add_area(admin, round_id, "leppavaara", 10_000)
    pots = e2e.areas(app, round_id)
    lahti, leppa = pots["espoonlahti"], pots["leppavaara"]

    wanted = {lahti: [("Biljardipöytä", 3_000), ("Kuntosalilaitteet", 6_000), ("Pelikonsoli", 2_500), ("Sohvat", 4_000)],
              leppa: [("Koripallokori", 1_500), ("Graffitiseinä", 5_000), ("Bänditila", 7_000)]}
    proposals = {}
    for i, (area_id, items) in enumerate(wanted.items()):
        for title, cost in items:
            proposals[title] = e2e.propose(e2e.browser(app, pupils[i]), round_id, area_id, title, cost)
    same = e2e.propose(e2e.browser(app, pupils[1]), round_id, lahti, "Biljardi", 3_500)
    no = e2e.propose(e2e.browser(app, pupils[0]), round_id, leppa, "Uima-allas", 900_000)

    e2e.advance(admin, round_id, "screening")
    for items in wanted.values():
        for title, cost in items:
            e2e.accept(first, proposals[title], cost)
    e2e.merge(second, same, proposals["Biljardipöytä"])
    e2e.reject(second, no)
    with app.app_context():
        statuses = {p.id: p.status for p in db.session.query(Proposal).filter_by(round_id=round_id)}
        assert (statuses[same], statuses[no]) == (ProposalStatus.MERGED, ProposalStatus.REJECTED)
    e2e.advance(admin, round_id, "voting")
    ids = e2e.project_ids(app, round_id)

    def choose(area_id, titles):
        return {area_id: [ids[t] for t in titles]}

    # School login (test provider): pupils in grades 7-9; a pupil in grade 6 is refused.
    for area_id, titles, grade in [(lahti, ["Biljardipöytä", "Pelikonsoli"], 7), (lahti, ["Kuntosalilaitteet"], 8),
                                   (lahti, ["Biljardipöytä", "Sohvat", "Pelikonsoli"], 9),
                                   (leppa, ["Graffitiseinä", "Koripallokori"], 8), (leppa, ["Bänditila"], 9)]:
        e2e.vote_with_identity(app, round_id, area_id, choose(area_id, titles), birth_date="2012-03-03",
                               municipality="049", school="espoo-test-school-1", grade=str(grade))
    too_young = e2e.browser(app)
    attest(too_young, round_id, "pikku")
    refused = cast_via_http(too_young, round_id, lahti, choose(lahti, ["Sohvat"]))
    assert refused.status_code in (303, 403) and receipt_in(refused.get_data(as_text=True)) is None  # counted below: 6

    # Codes per school class, each batch voting in its school's area.
    class_8b = e2e.generate_codes(admin, round_id, 2, "Espoonlahden koulu 8B", area_id=lahti)
    class_9a = e2e.generate_codes(admin, round_id, 2, "Leppävaaran koulu 9A", area_id=leppa)
    for k, (code, area_id, titles) in enumerate([
        (class_8b[0], lahti, ["Sohvat", "Biljardipöytä"]), (class_8b[1], lahti, ["Kuntosalilaitteet", "Pelikonsoli"]),
        (class_9a[0], leppa, ["Koripallokori"]), (class_9a[1], leppa, ["Graffitiseinä", "Bänditila", "Koripallokori"]),
    ]):
        e2e.vote_with_code(app, round_id, code, area_id, choose(area_id, titles), address=f"10.1.0.{k + 1}")

    # Paper ballots keyed twice by youth workers.
    e2e.paper_ballot(first, second, round_id, "ML-001", lahti, [ids["Sohvat"], ids["Pelikonsoli"]])
    e2e.paper_ballot(second, first, round_id, "ML-002", leppa, [ids["Graffitiseinä"]])

    e2e.advance(admin, round_id, "results")
    # The panel must confirm: another body is refused and nothing is published.
    e2e.ok(admin.post(f"/admin/rounds/{round_id}/results/count"), 302)
    wrong = admin.post(f"/admin/rounds/{round_id}/results/confirm", follow_redirects=True,
                       data={"body": "Mayor", "confirmed_by": "Mayor", "decision_reference": "1/2026"})
    assert PANEL in wrong.get_data(as_text=True)
    admin.post(f"/admin/rounds/{round_id}/results/publish")
    assert "not been published" in client.get(f"/rounds/{round_id}/results").get_data(as_text=True)
    e2e.count_confirm_publish(admin, round_id, {"body": PANEL, "confirmed_by": "Paneelin puheenjohtaja",
                                                "decision_reference": "NP 3/2026"})
    assert PANEL in client.get(f"/rounds/{round_id}/results").get_data(as_text=True)

    for area_id, ballots in ((lahti, 6), (leppa, 5)):
        shown = e2e.public_numbers(client, round_id, area_id)
        counted = e2e.pb_tally_numbers(app, round_id, area_id, tmp_path)
        assert shown["ballots"] == counted["ballots"] == ballots
        assert (shown["selected"], shown["votes"], shown["total_cost"]) == \
            (counted["selected"], counted["votes"], counted["total_cost"])
        assert e2e.published_outcome(app, round_id, area_id) == counted["outcome"]
    assert e2e.public_numbers(client, round_id, lahti)["votes"]["Pelikonsoli"] == 4
