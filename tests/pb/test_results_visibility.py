"""No vote count on any public surface before publication: every public GET endpoint of the
app is crawled and its pages must not change when the ballots change; after publication the
results page shows the counts."""

from __future__ import annotations

import re

from pb.extensions import db
from pb.models import Phase, Role, Round, User
from pb.services import results as service
from tests.pb.factories import log_in, make_counted_ballot, make_frozen_round, make_proposal, make_user

#: Values that differ between two requests for reasons other than data (CSRF tokens).
_VOLATILE = [re.compile(r'(name="csrf_token"[^>]*value=")[^"]*"'), re.compile(r'(value=")[^"]{40,}(?=")')]


def _normalise(body: bytes) -> str:
    text = body.decode("utf-8", "replace")
    for pattern in _VOLATILE:
        text = pattern.sub(r"\1…", text)
    return text


def _urls(app, values: dict[str, int]) -> list[str]:
    """Every GET endpoint's URL, with the round's ids filled in (1 for other ids)."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        args = {name: values.get(name, 1) for name in rule.arguments}
        try:
            urls.append(rule.build(args)[1])
        except Exception:  # noqa: BLE001 - an argument of a kind we cannot fill: not a round page
            continue
    return sorted(set(urls))


def _crawl(client, urls: list[str]) -> dict[str, tuple[int, str]]:
    return {url: (response.status_code, _normalise(response.data)) for url in urls
            for response in [client.get(url)]}


def _setup(app):
    with app.app_context():
        round_ = make_frozen_round(areas=(("north", 100_000), ("citywide", 300_000)))
        north, citywide = round_.areas
        proposal = make_proposal(round=round_, area=north)
        a, b, c = north.projects
        for choice in ([a.id], [a.id, b.id], [c.id]):
            make_counted_ballot(north, choice)
        make_counted_ballot(citywide, [citywide.projects[0].id])
        resident = make_user(roles=(Role.RESIDENT,))
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        values = {"round_id": round_.id, "area_id": north.id, "project_id": a.id, "proposal_id": proposal.id}
        return values, resident.id, admin.id, (north.id, [a.id, b.id, c.id])


def _more_ballots(app, area_id: int, projects: list[int]) -> None:
    """Change the count a lot: 7 more ballots, all for the least popular project."""
    from pb.models import Area

    with app.app_context():
        area = db.session.get(Area, area_id)
        for _ in range(7):
            make_counted_ballot(area, [projects[2]])


def _set_phase(app, round_id: int, phase: Phase) -> None:
    with app.app_context():
        db.session.get(Round, round_id).phase = phase
        db.session.commit()


def test_no_public_page_depends_on_the_ballots_before_publication(app, client):
    """While voting and after close (counted and confirmed, not published), every public GET page is the same whatever the ballots."""
    values, resident_id, admin_id, (area_id, projects) = _setup(app)
    urls = _urls(app, values)
    assert f"/rounds/{values['round_id']}/results" in urls and len(urls) > 10
    before = {"anonymous": _crawl(client, urls)}
    log_in(client, resident_id)
    before["resident"] = _crawl(client, urls)

    _more_ballots(app, area_id, projects)
    with client.session_transaction() as session:
        session.clear()
    assert _crawl(client, urls) == before["anonymous"]
    log_in(client, resident_id)
    assert _crawl(client, urls) == before["resident"]

    # Voting closed, the count run and confirmed, not yet published.
    _set_phase(app, values["round_id"], Phase.RESULTS)
    with app.app_context():
        round_ = db.session.get(Round, values["round_id"])
        user = db.session.get(User, admin_id)
        run = service.run_tally(user, round_)
        service.confirm_results(user, round_, run, {"body": "Board", "confirmed_by": "Chair", "decision_reference": "§ 1"})
    with client.session_transaction() as session:
        session.clear()
    closed = _crawl(client, urls)
    _more_ballots(app, area_id, projects)
    assert _crawl(client, urls) == closed
    page = closed[f"/rounds/{values['round_id']}/results"][1]
    assert "not been published" in page and "Votes" not in page


def test_counts_appear_after_publication(app, client):
    """After publication the public results page shows each project's votes and the ballots counted."""
    values, _, admin_id, (area_id, projects) = _setup(app)
    _set_phase(app, values["round_id"], Phase.RESULTS)
    with app.app_context():
        round_ = db.session.get(Round, values["round_id"])
        user = db.session.get(User, admin_id)
        run = service.run_tally(user, round_)
        service.confirm_results(user, round_, run, {"body": "Board", "confirmed_by": "Chair", "decision_reference": "§ 1"})
        service.publish_results(user, round_)
        titles = {p.id: p.title_fi for p in round_.projects}
    page = client.get(f"/rounds/{values['round_id']}/results/{area_id}").get_data(as_text=True)
    rows = dict(re.findall(r"<td[^>]*>([^<]+)</td><td>(\d+)</td>", page))
    assert rows[titles[projects[0]]] == "2" and rows[titles[projects[1]]] == "1" and rows[titles[projects[2]]] == "1"
    assert "Ballots counted: 3." in page
