"""Steps of a whole round through the HTTP interface, for the end-to-end tests: an
administrator sets the round up, residents propose, moderators screen, voters vote (test
identity provider, voting codes, double-keyed paper), the count is confirmed and published;
then the public numbers are compared with ``pb-tally`` on each pot's ``.pb`` file."""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import sqlalchemy as sa

from pb.extensions import db
from pb.models import Project, Proposal, Round
from tests.pb.factories import log_in
from tests.pb.voting_helpers import attest, cast_via_http, receipt_in


def browser(app, user_id: int | None = None, address: str = "127.0.0.1"):
    """A new English-speaking browser, logged in as the user when given."""
    client = app.test_client()
    client.environ_base.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)
    if user_id is not None:
        log_in(client, user_id)
    return client


def ok(response, *codes: int):
    assert response.status_code in (codes or (200, 302, 303)), (response.status_code, response.get_data(as_text=True)[:800])
    return response


def create_round(admin, values: dict) -> int:
    response = ok(admin.post("/admin/rounds/new", data=values), 302)
    return int(re.search(r"/admin/rounds/(\d+)", response.headers["Location"]).group(1))


def add_area(admin, round_id: int, code: str, budget: int, *, citywide: bool = False) -> None:
    data = {"area-code": code, "area-name_fi": code.title(), "area-budget": str(budget)}
    if citywide:
        data["area-is_citywide"] = "y"
    ok(admin.post(f"/admin/rounds/{round_id}/areas", data=data), 302)


def advance(admin, round_id: int, phase: str) -> None:
    ok(admin.post(f"/admin/rounds/{round_id}/phase", data={"phase": phase}), 302)
    with admin.application.app_context():
        assert db.session.get(Round, round_id).phase.value == phase, f"the round did not enter {phase}"


def areas(app, round_id: int) -> dict[str, int]:
    with app.app_context():
        return {a.code: a.id for a in db.session.get(Round, round_id).areas}


def propose(resident, round_id: int, area_id: int, title: str, cost: int) -> int:
    ok(resident.post(f"/rounds/{round_id}/proposals/new", data={
        "title_fi": title, "description_fi": f"{title}: kuvaus", "area_id": str(area_id), "cost": str(cost),
        "category": ""}), 302, 303)
    with resident.application.app_context():
        return db.session.scalar(sa.select(Proposal.id).where(Proposal.round_id == round_id, Proposal.title_fi == title))


def accept(moderator, proposal_id: int, cost: int) -> None:
    ok(moderator.post(f"/moderation/proposals/{proposal_id}/screen",
                      data={"decision": "accept", "reason_fi": "Toteutettavissa", "official_cost": str(cost)}))
    ok(moderator.post(f"/moderation/proposals/{proposal_id}/project"))


def reject(moderator, proposal_id: int) -> None:
    ok(moderator.post(f"/moderation/proposals/{proposal_id}/screen",
                      data={"decision": "reject", "reason_fi": "Ei kaupungin maalla"}))


def merge(moderator, proposal_id: int, target_id: int) -> None:
    ok(moderator.post(f"/moderation/proposals/{proposal_id}/merge",
                      data={"target_id": str(target_id), "reason_fi": "Sama idea"}))


def project_ids(app, round_id: int) -> dict[str, int]:
    """Ballot projects by title."""
    with app.app_context():
        return {p.title_fi: p.id for p in db.session.scalars(sa.select(Project).where(Project.round_id == round_id))}


def vote_with_identity(app, round_id: int, area_id: int, choices: dict[int, list[int]], **claims) -> None:
    voter = browser(app)
    attest(voter, round_id, "custom", **claims)
    response = ok(cast_via_http(voter, round_id, area_id, choices), 200)
    assert receipt_in(response.get_data(as_text=True)), "no receipt shown"


def generate_codes(admin, round_id: int, count: int, label: str, area_id: int = 0) -> list[str]:
    response = ok(admin.post(f"/admin/rounds/{round_id}/codes", data={"label": label, "count": str(count),
                                                                      "area": str(area_id)}), 200)
    page = response.get_data(as_text=True)
    codes = re.findall(r'<p class="code-card-code"><code>([^<]+)</code>', page)
    link = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', page)
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(unquote(link.group(1))).decode())))
    assert len(codes) == count == len(rows)
    return codes


def vote_with_code(app, round_id: int, code: str, area_id: int, choices: dict[int, list[int]], address: str) -> None:
    voter = browser(app, address=address)
    ok(voter.post(f"/rounds/{round_id}/vote/code", data={"code": code}), 303)
    response = ok(cast_via_http(voter, round_id, area_id, choices), 200)
    assert receipt_in(response.get_data(as_text=True))


def paper_ballot(first, second, round_id: int, serial: str, area_id: int, choice: list[int]) -> None:
    """Two different moderators key the same paper ballot; it then counts."""
    data = {"serial": serial, "area": str(area_id), "projects": [str(p) for p in choice]}
    ok(first.post(f"/rounds/{round_id}/paper", data=data), 303)
    page = ok(second.post(f"/rounds/{round_id}/paper", data=data, follow_redirects=True), 200).get_data(as_text=True)
    assert "now counts" in page


def count_confirm_publish(admin, round_id: int, confirmation: dict) -> None:
    ok(admin.post(f"/admin/rounds/{round_id}/results/count"), 302)
    preview = ok(admin.get(f"/admin/rounds/{round_id}/results"), 200).get_data(as_text=True)
    assert "Every view of it is written to the audit log" in preview
    ok(admin.post(f"/admin/rounds/{round_id}/results/confirm", data=confirmation), 302)
    response = ok(admin.post(f"/admin/rounds/{round_id}/results/publish"), 302)
    assert response.headers["Location"].endswith(f"/rounds/{round_id}/results")


# The published numbers against pb-tally -----------------------------------------------------


def public_numbers(client, round_id: int, area_id: int) -> dict:
    """What the public results page of one area shows: funded titles in order, every
    project's votes, ballots counted and budget used. Each project's share of the ballots
    must be its votes over the ballots counted, in tenths of a percent rounded half up, and
    the ballots by channel must add up to the ballots counted."""
    page = html.unescape(ok(client.get(f"/rounds/{round_id}/results/{area_id}"), 200).get_data(as_text=True))
    funded = re.findall(r"<tr><td>(\d+)</td><td[^>]*>([^<]+)</td><td>(\d+)</td><td>([^<]*)</td><td>[^<]+</td></tr>", page)
    unfunded = re.findall(r"<tr><td lang[^>]*>([^<]+)</td><td>(\d+)</td><td>([^<]*)</td><td>[^<]+</td></tr>", page)
    used = re.search(r"Budget used: €([\d,]+) of", page).group(1)
    ballots = int(re.search(r"Ballots counted: (\d+)\.", page).group(1))
    channels = re.search(r"Ballots by channel: online (\d+), with a voting code (\d+), on paper (\d+)\.", page)
    assert sum(map(int, channels.groups())) == ballots, (channels.groups(), ballots)
    rows = [(title, int(votes), shown) for _, title, votes, shown in funded] + [
        (title, int(votes), shown) for title, votes, shown in unfunded]
    for title, votes, shown in rows:
        tenths = (2000 * votes + ballots) // (2 * ballots) if ballots else None
        assert shown == ("" if tenths is None else f"{tenths // 10}.{tenths % 10}%"), (title, votes, ballots, shown)
    return {
        "selected": [title for _, title, _, _ in sorted(funded, key=lambda row: int(row[0]))],
        "votes": {title: votes for title, votes, _ in rows},
        "ballots": ballots,
        "total_cost": int(used.replace(",", "")),
    }


def pb_tally_executable() -> list[str]:
    found = shutil.which("pb-tally", path=str(Path(sys.executable).parent)) or shutil.which("pb-tally")
    assert found, "pb-tally is not installed"
    return [found]


def pb_tally_numbers(app, round_id: int, area_id: int, tmp_path: Path) -> dict:
    """pb-tally's count of the pot's .pb file (written by voting.pabulib.write_pb), by title."""
    from pb.tally import election_for_pot, pb_tally_command
    from voting.pabulib import write_pb

    with app.app_context():
        round_ = db.session.get(Round, round_id)
        election = election_for_pot(round_, area_id)
        path = tmp_path / f"round{round_id}-pot{area_id}.pb"
        path.write_text(write_pb(election), encoding="utf-8")
        args = pb_tally_command(round_)
        titles = {pid: p.name for pid, p in election.projects.items()}
    result = subprocess.run([*pb_tally_executable(), str(path), "--json", *args], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout)
    return {
        "selected": [titles[pid] for pid in outcome["selected"]],
        "votes": {titles[pid]: outcome["votes"].get(pid, 0) for pid in titles},
        "ballots": len(election.ballots),
        "total_cost": int(outcome["total_cost"]),
        "outcome": outcome,
    }


def published_outcome(app, round_id: int, area_id: int) -> dict:
    from pb.services.results import publication_of

    with app.app_context():
        publication = publication_of(db.session.get(Round, round_id))
        return next(pot.outcome for pot in publication.run.pots if pot.area_id == area_id)
