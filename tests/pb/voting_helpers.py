"""Helpers for voting tests (and the end-to-end tests): a round open for voting, and the
HTTP steps a voter takes (attest with the test provider, enter a code, cast)."""

from __future__ import annotations

import re

import sqlalchemy as sa

from pb.extensions import db
from pb.models import Area, Project
from pb.models.voting import Ballot, BallotChoice, VoterRecord
from tests.pb.factories import OPEN_ELIGIBILITY, make_voting_round  # noqa: F401 (re-exported)

def projects_of(area: Area) -> list[int]:
    return list(db.session.scalars(sa.select(Project.id).where(Project.area_id == area.id).order_by(Project.position)))


def counted(round_id: int) -> list[tuple[int, tuple[int, ...]]]:
    """The counted ballots of a round as (area id, sorted project ids), sorted."""
    ballots = db.session.scalars(sa.select(Ballot).where(Ballot.round_id == round_id, Ballot.is_counted.is_(True))).all()
    return sorted((b.area_id, tuple(sorted(b.project_ids))) for b in ballots)


def table_counts() -> tuple[int, int, int]:
    """Rows in ballot, ballot_choice and voter_record (to show that nothing changed)."""
    db.session.expire_all()
    return tuple(db.session.scalar(sa.select(sa.func.count()).select_from(model))
                 for model in (Ballot, BallotChoice, VoterRecord))


def hidden_fields(html: str) -> dict[str, str]:
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]*)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and 'type="hidden"' in tag:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def attest(client, round_id: int, person: str = "aino", **custom) -> None:
    """Identify with the local test provider as ``person`` and come back to the round's
    voting page."""
    start = client.get(f"/identity/test/start?next=/rounds/{round_id}/vote")
    assert start.status_code == 303, start.status_code
    page = client.get(start.headers["Location"])
    fields = hidden_fields(page.get_data(as_text=True))
    answer = client.post(start.headers["Location"], data={"person": person, **fields, **custom})
    assert answer.status_code == 303, answer.get_data(as_text=True)[:500]
    back = client.get(answer.headers["Location"])
    assert back.status_code == 303


def ballot_data(area_id: int, choices: dict[int, list[int | str]], **extra) -> dict:
    """Form data of the ballot page: the area and each pot's ticked project ids."""
    data: dict = {"area": str(area_id), **extra}
    for pot_id, ids in choices.items():
        data[f"pot-{pot_id}"] = [str(i) for i in ids]
    return data


def cast_via_http(client, round_id: int, area_id: int, choices: dict[int, list[int | str]]):
    """Review and cast a ballot through the pages; returns the cast response."""
    review = client.post(f"/rounds/{round_id}/vote/ballot", data=ballot_data(area_id, choices, review="1"))
    if review.status_code != 200:
        return review
    return client.post(f"/rounds/{round_id}/vote/cast", data=ballot_data(area_id, choices))


def receipt_in(html: str) -> str | None:
    found = re.search(r'<code id="receipt-code">([^<]+)</code>', html)
    return found.group(1) if found else None
