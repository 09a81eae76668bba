"""Voting codes through the pages: generated once (sheet and CSV), stored as keyed digests,
single use, used and voided codes refused, failed tries limited per address."""

from __future__ import annotations

import base64
import csv
import io
import re
from urllib.parse import unquote

import pytest
import sqlalchemy as sa

from pb.extensions import db
from pb.models import Role
from pb.models.voting import Ballot, BallotChannel, CodeBatch, VoterRecord, VotingCode
from pb.services import codes as codes_service
from pb.voting_codes import generate_code, parse_code
from tests.pb.factories import log_in, make_user
from tests.pb.voting_helpers import (
    ballot_data,
    cast_via_http,
    make_voting_round,
    projects_of,
    receipt_in,
    table_counts,
)


@pytest.fixture
def setup(app):
    """A round open for voting that accepts codes, and an administrator."""
    with app.app_context():
        round_ = make_voting_round()
        admin = make_user(roles=(Role.ADMINISTRATOR,))
        areas = {a.code: a.id for a in round_.areas}
        pots = {a.id: projects_of(a) for a in round_.areas}
        return round_.id, admin.id, areas, pots


def generate(client, round_id: int, count: int, label: str = "Kilonpuisto 8B", area: int = 0):
    """Generate a batch through the admin page; returns (response, codes from the sheet, CSV rows)."""
    response = client.post(f"/admin/rounds/{round_id}/codes", data={"label": label, "count": str(count), "area": str(area)})
    html = response.get_data(as_text=True)
    codes = re.findall(r'<p class="code-card-code"><code>([^<]+)</code>', html)
    link = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html)
    rows = list(csv.DictReader(io.StringIO(base64.b64decode(unquote(link.group(1))).decode()))) if link else []
    return response, codes, rows


def browser(app, address: str = "127.0.0.1"):
    """A new English-speaking browser from ``address``."""
    client = app.test_client()
    client.environ_base.update(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR=address)
    return client


def enter_code(client, round_id: int, code: str):
    return client.post(f"/rounds/{round_id}/vote/code", data={"code": code})


def test_generated_codes_are_shown_once_and_stored_only_as_digests(app, client, setup):
    """The sheet and its CSV hold the same codes, the answer is not cacheable, the database holds
    only keyed digests, and the batch list never shows a code again."""
    round_id, admin_id, areas, pots = setup
    log_in(client, admin_id)
    response, codes, rows = generate(client, round_id, 5)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert len(set(codes)) == 5 and [row["code"] for row in rows] == codes
    assert {row["label"] for row in rows} == {"Kilonpuisto 8B"}
    with app.app_context():
        digests = set(db.session.scalars(sa.select(VotingCode.digest)))
        assert digests == {codes_service.code_digest(code, codes_service.code_key()) for code in codes}
        dump = "\n".join(str(row) for row in db.session.execute(sa.select(VotingCode.__table__)))
        assert not any(parse_code(code) in dump.replace("-", "") for code in codes)
    listing = client.get(f"/admin/rounds/{round_id}/codes").get_data(as_text=True)
    assert "Kilonpuisto 8B" in listing and not any(code in listing for code in codes)


def test_a_code_votes_once(app, client, setup):
    """A code casts one ballot (channel code, receipt shown); the code is then used and refused."""
    round_id, admin_id, areas, pots = setup
    log_in(client, admin_id)
    _, codes, _ = generate(client, round_id, 2)
    voter = browser(app)
    assert enter_code(voter, round_id, codes[0].lower().replace("-", " ")).status_code == 303
    area = areas["vanha-espoo"]
    response = cast_via_http(voter, round_id, area, {area: pots[area][:2]})
    assert response.status_code == 200 and receipt_in(response.get_data(as_text=True))
    with app.app_context():
        ballot = db.session.scalars(sa.select(Ballot)).one()
        assert ballot.channel is BallotChannel.CODE and ballot.is_counted
        assert db.session.scalars(sa.select(VoterRecord.channel)).one() is BallotChannel.CODE
        assert db.session.scalar(sa.select(sa.func.count()).where(VotingCode.is_used.is_(True))) == 1
        before = table_counts()
    again = enter_code(browser(app), round_id, codes[0])
    assert again.status_code == 400 and "already been used" in again.get_data(as_text=True)
    with app.app_context():
        assert table_counts() == before


def test_a_code_from_a_batch_with_an_area_votes_there(app, client, setup):
    """A batch generated for an area puts its code holders on that area's ballot."""
    round_id, admin_id, areas, pots = setup
    log_in(client, admin_id)
    area = areas["vanha-espoo"]
    _, codes, _ = generate(client, round_id, 1, area=area)
    voter = browser(app)
    enter_code(voter, round_id, codes[0])
    page = voter.get(f"/rounds/{round_id}/vote/ballot").get_data(as_text=True)
    assert f'name="pot-{area}"' in page and f'name="pot-{areas["suur-tapiola"]}"' not in page


def test_voided_codes_are_refused(app, client, setup):
    """Voiding a batch refuses its unused codes with a clear message."""
    round_id, admin_id, areas, pots = setup
    log_in(client, admin_id)
    _, codes, _ = generate(client, round_id, 3)
    with app.app_context():
        batch_id = db.session.scalar(sa.select(CodeBatch.id))
    assert client.post(f"/admin/rounds/{round_id}/codes/{batch_id}/void", data={}).status_code == 303
    refused = enter_code(browser(app), round_id, codes[1])
    assert refused.status_code == 400 and "cancelled" in refused.get_data(as_text=True)


def test_a_code_voided_after_entry_cannot_cast(app, client, setup):
    """A code voided between entering it and casting is refused at casting; nothing is written."""
    round_id, admin_id, areas, pots = setup
    log_in(client, admin_id)
    _, codes, _ = generate(client, round_id, 1)
    voter = browser(app)
    enter_code(voter, round_id, codes[0])
    with app.app_context():
        db.session.execute(sa.update(VotingCode).values(is_voided=True))
        db.session.commit()
    area = areas["suur-tapiola"]
    response = voter.post(f"/rounds/{round_id}/vote/cast", data=ballot_data(area, {area: pots[area][:1]}))
    assert response.status_code == 303  # back to the start: no usable code any more
    with app.app_context():
        assert table_counts() == (0, 0, 0)


def test_failed_tries_are_limited_per_address_and_typos_do_not_count(app, client, setup):
    """Unknown well-formed codes count as failed tries; after the limit even a valid code waits
    (429 with Retry-After); codes with a wrong check character never count."""
    round_id, admin_id, areas, pots = setup
    log_in(client, admin_id)
    _, codes, _ = generate(client, round_id, 1)
    limit = app.config["CODE_ADDRESS_MAX_FAILURES"]
    guesser = browser(app)
    typo = codes[0][:-1] + ("2" if codes[0][-1] != "2" else "3")
    for _ in range(limit + 3):
        assert "typing mistakes" in enter_code(guesser, round_id, typo).get_data(as_text=True)
    for _ in range(limit):
        assert enter_code(guesser, round_id, generate_code()).status_code == 400
    blocked = enter_code(guesser, round_id, codes[0])
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    other = browser(app, "192.0.2.7")
    assert enter_code(other, round_id, codes[0]).status_code == 303


def test_a_code_of_another_round_is_refused(app, client, setup):
    """A code is valid only in the round it was generated for."""
    round_id, admin_id, areas, pots = setup
    with app.app_context():
        other_id = make_voting_round().id
    log_in(client, admin_id)
    _, codes, _ = generate(client, other_id, 1)
    refused = enter_code(browser(app), round_id, codes[0])
    assert refused.status_code == 400 and "not known in this round" in refused.get_data(as_text=True)


def test_generation_is_refused_when_the_round_does_not_accept_codes(app, client):
    """A round whose eligibility takes identity only gets no codes, with a message."""
    with app.app_context():
        round_id = make_voting_round(eligibility={"channels": ["identity"]}).id
        admin_id = make_user(roles=(Role.ADMINISTRATOR,)).id
    log_in(client, admin_id)
    response, codes, _ = generate(client, round_id, 3)
    assert response.status_code == 400 and codes == []
    assert "does not accept voting codes" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(VotingCode)) == 0


def test_only_administrators_generate_codes(app, client, setup):
    """A moderator gets 403 on the code pages."""
    round_id, *_ = setup
    with app.app_context():
        moderator_id = make_user(roles=(Role.MODERATOR,)).id
    log_in(client, moderator_id)
    assert client.post(f"/admin/rounds/{round_id}/codes", data={"label": "x", "count": "1", "area": "0"}).status_code == 403

