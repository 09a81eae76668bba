"""A whole city round through the HTTP interface, from the round's creation to the published
results, whose numbers equal what ``pb-tally`` computes from each pot's ``.pb`` file."""

from __future__ import annotations

import json

from pb.extensions import db
from pb.models import Proposal, ProposalStatus, Role
from tests.pb import e2e_helpers as e2e
from tests.pb.factories import make_user


def test_whole_city_round(app, client, tmp_path):
    """Proposals (accepted, rejected, merged), voting by identity, code and paper, count, confirmation and publication; published numbers equal pb-tally's."""
    with app.app_context():
        admin_id = make_user(roles=(Role.ADMINISTRATOR,)).id
        moderators = [make_user(roles=(Role.MODERATOR,)).id for _ in range(2)]
        residents = [make_user().id for _ in range(3)]
    admin = e2e.browser(app, admin_id)
    first, second = (e2e.browser(app, m) for m in moderators)

    round_id = e2e.create_round(admin, {
        "name_fi": "Omastadi 2026", "name_en": "OmaStadi 2026", "kind": "city", "ballot_kind": "approval",
        "min_choices": "1", "max_choices": "3", "rule": "greedy", "rule_options": "{}", "tie_break": "cost,id",
        "eligibility": json.dumps({"channels": ["identity", "code"], "municipality": "049"}),
        "who_voted_retention_days": "30", "confirming_body": "Kaupunginhallitus",
    })
    e2e.add_area(admin, round_id, "north", 100_000)
    e2e.add_area(admin, round_id, "south", 60_000)
    e2e.add_area(admin, round_id, "citywide", 150_000, citywide=True)
    pots = e2e.areas(app, round_id)

    # Proposals from residents.
    people = [e2e.browser(app, r) for r in residents]
    wanted = {"north": [("Puisto", 40_000), ("Penkit", 20_000), ("Kirjasto", 50_000), ("Uimaranta", 30_000)],
              "south": [("Pyörätie", 30_000), ("Koirapuisto", 25_000), ("Valaistus", 20_000)],
              "citywide": [("Festivaali", 80_000), ("Skeittipuisto", 70_000), ("Puut", 60_000)]}
    proposals = {}
    for i, (code, items) in enumerate(wanted.items()):
        for j, (title, cost) in enumerate(items):
            proposals[title] = e2e.propose(people[(i + j) % 3], round_id, pots[code], title, cost)
    duplicate = e2e.propose(people[0], round_id, pots["north"], "Puisto uudelleen", 45_000)
    refused = e2e.propose(people[1], round_id, pots["south"], "Lentokenttä", 10**9)

    # Screening: accept with the official cost, reject with a reason, merge the duplicate.
    e2e.advance(admin, round_id, "screening")
    for items in wanted.values():
        for title, cost in items:
            e2e.accept(first, proposals[title], cost)
    e2e.reject(second, refused)
    e2e.merge(second, duplicate, proposals["Puisto"])
    with app.app_context():
        statuses = {p.id: p.status for p in db.session.query(Proposal).filter_by(round_id=round_id)}
        assert statuses[refused] is ProposalStatus.REJECTED and statuses[duplicate] is ProposalStatus.MERGED
    e2e.advance(admin, round_id, "voting")
    ids = e2e.project_ids(app, round_id)
    assert "Lentokenttä" not in ids and "Puisto uudelleen" not in ids

    # Voting: identity, codes, paper.
    north, south, city = pots["north"], pots["south"], pots["citywide"]
    identity_votes = [
        (north, {north: ["Puisto", "Penkit"], city: ["Festivaali"]}),
        (north, {north: ["Puisto", "Uimaranta"], city: ["Skeittipuisto", "Puut"]}),
        (north, {north: ["Kirjasto"], city: ["Festivaali"]}),
        (north, {north: ["Penkit", "Uimaranta", "Kirjasto"]}),
        (south, {south: ["Pyörätie", "Valaistus"], city: ["Puut"]}),
        (south, {south: ["Koirapuisto"], city: ["Festivaali", "Puut"]}),
    ]
    for area_id, choice in identity_votes:
        e2e.vote_with_identity(app, round_id, area_id, {pot: [ids[t] for t in titles] for pot, titles in choice.items()},
                               birth_date="1980-05-05", municipality="049")
    codes = e2e.generate_codes(admin, round_id, 3, "Asukaspuisto Kilo")
    code_votes = [(north, {north: ["Puisto"]}), (south, {south: ["Koirapuisto", "Valaistus"], city: ["Skeittipuisto"]}),
                  (north, {north: ["Uimaranta", "Puisto"], city: ["Puut"]})]
    for k, (code, (area_id, choice)) in enumerate(zip(codes, code_votes)):
        e2e.vote_with_code(app, round_id, code, area_id, {pot: [ids[t] for t in titles] for pot, titles in choice.items()},
                           address=f"10.0.0.{k + 1}")
    e2e.paper_ballot(first, second, round_id, "P-0001", north, [ids["Kirjasto"], ids["Penkit"]])
    e2e.paper_ballot(second, first, round_id, "P-0002", south, [ids["Pyörätie"]])

    # Before publication: nothing public.
    assert "not been published" in client.get(f"/rounds/{round_id}/results").get_data(as_text=True)

    e2e.advance(admin, round_id, "results")
    e2e.count_confirm_publish(admin, round_id, {"body": "Kaupunginhallitus", "confirmed_by": "Puheenjohtaja",
                                                "decision_reference": "KH 1.6.2026 § 12"})

    expected_ballots = {north: 7, south: 4, city: 7}
    for code, area_id in pots.items():
        shown = e2e.public_numbers(client, round_id, area_id)
        counted = e2e.pb_tally_numbers(app, round_id, area_id, tmp_path)
        assert shown["ballots"] == counted["ballots"] == expected_ballots[area_id], code
        assert shown["selected"] == counted["selected"], code
        assert shown["votes"] == counted["votes"], code
        assert shown["total_cost"] == counted["total_cost"], code
        published = e2e.published_outcome(app, round_id, area_id)
        assert published == counted["outcome"], code
    assert e2e.public_numbers(client, round_id, north)["votes"]["Puisto"] == 4
