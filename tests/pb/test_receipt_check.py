"""The public "check my receipt" page: it answers only whether a receipt's ballot is in the
published count, from the stored bundle's receipt list; limited per address; CSRF-protected."""

from __future__ import annotations

import json
import re

import sqlalchemy as sa

from pb.extensions import db
from pb.models import Ballot, ReceiptCheck, Round
from pb.services import exports
from pb.receipts import generate_receipt, parse_receipt, receipt_hash
from pb.voting_codes import ALPHABET, check_character, group
from tests.pb.test_exports import bundle_files, finish_round

COUNTED = "Counted: the ballot with this receipt is in the published count."
NOT_FOUND = "Not found: no counted ballot has this receipt."
NOT_PUBLISHED = "have not been published yet"


def english_client(app):
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def check(client, round_id: int, receipt: str) -> str:
    response = client.post(f"/audit/rounds/{round_id}/receipt", data={"receipt": receipt})
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def _other_symbol(symbol: str) -> str:
    return next(c for c in ALPHABET if c != symbol)


def test_a_counted_ballots_receipt_is_found_in_any_typing(app, client, clock):
    """Every counted cast's receipt is reported counted, typed grouped, ungrouped or in lower case."""
    with app.app_context():
        finished = finish_round(clock)
    for receipt in finished.receipts:
        assert COUNTED in check(client, finished.round_id, receipt)
    first = finished.receipts[0]
    assert COUNTED in check(client, finished.round_id, first.replace("-", "").lower())
    assert COUNTED in check(client, finished.round_id, " " + first.replace("-", " ") + " ")


def test_wrong_altered_and_replaced_receipts_are_not_found(app, client, clock):
    """A receipt never issued, an altered one (with its check character recomputed) and the receipt of a replaced ballot are all 'not found'; a typo caught by the check character asks to look again."""
    with app.app_context():
        finished = finish_round(clock)
    rid = finished.round_id
    assert NOT_FOUND in check(client, rid, generate_receipt())
    data = parse_receipt(finished.receipts[0])[:-1]
    altered = data[:5] + _other_symbol(data[5]) + data[6:]
    assert NOT_FOUND in check(client, rid, group(altered + check_character(altered)))
    typo = finished.receipts[0][:-1] + _other_symbol(finished.receipts[0][-1])
    page = check(client, rid, typo)
    assert COUNTED not in page and NOT_FOUND not in page and "not a whole receipt code" in page
    assert finished.replaced and all(NOT_FOUND in check(client, rid, r) for r in finished.replaced)


def test_before_publication_the_answer_is_not_yet_published(app, client, clock):
    """Before publication even a counted ballot's receipt gets only 'not published yet'."""
    with app.app_context():
        finished = finish_round(clock, publish=False)
    for receipt in (finished.receipts[0], generate_receipt()):
        page = check(client, finished.round_id, receipt)
        assert NOT_PUBLISHED in page and COUNTED not in page and NOT_FOUND not in page


def test_the_answer_reveals_no_choice(app, client, clock):
    """The page for a counted receipt names no project of the round and looks the same for every counted receipt."""
    with app.app_context():
        finished = finish_round(clock)
        round_ = db.session.get(Round, finished.round_id)
        titles = [p.title_fi for p in round_.projects]
    pages = []
    for receipt in finished.receipts[:3]:
        page = check(client, finished.round_id, receipt)
        assert not any(title in page for title in titles)
        pages.append(re.sub(r'value="[^"]*"', "", page))
    assert len(set(pages)) == 1


def test_receipt_list_is_the_counted_casts_and_links_to_no_ballot(app, clock):
    """receipts.txt is exactly the sorted hashes of the counted casts' receipts (one per cast, whatever the pots), with no line for the paper ballots; no hash appears in any ballot file and none is a ballot id."""
    with app.app_context():
        finished = finish_round(clock, paper=2)
        round_ = db.session.get(Round, finished.round_id)
        files = bundle_files(exports.stored_bundle(round_).data)
        ballot_ids = set(db.session.scalars(sa.select(Ballot.id).where(Ballot.round_id == round_.id)))
    lines = files["receipts.txt"].decode("ascii").splitlines()
    assert lines == sorted(set(lines))
    counted = {receipt_hash(r) for r in finished.receipts}
    assert lines == sorted(counted)  # nothing stands in for the two paper ballots
    assert json.loads(files["result.json"])["pots"]["north"]["channels"]["paper"] == 2
    assert not {receipt_hash(r) for r in finished.replaced} & set(lines)
    for line in lines:
        assert line not in ballot_ids and line[:32] not in ballot_ids
        for name, data in files.items():
            if name != "receipts.txt":
                assert line.encode() not in data and line[:16].encode() not in data, name


def test_receipt_checks_are_limited_per_address(app, client, clock):
    """Past the per-address limit the page answers 429 with Retry-After and checks nothing; the limit lifts after the window."""
    app.config.update(RECEIPT_ADDRESS_MAX_CHECKS=3, RECEIPT_WINDOW=600)
    with app.app_context():
        finished = finish_round(clock)
    for _ in range(3):
        check(client, finished.round_id, generate_receipt())
    response = client.post(f"/audit/rounds/{finished.round_id}/receipt", data={"receipt": finished.receipts[0]})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert COUNTED not in response.get_data(as_text=True)
    other = english_client(app)
    other.environ_base["REMOTE_ADDR"] = "192.0.2.7"
    assert COUNTED in check(other, finished.round_id, finished.receipts[0])  # another address is not limited
    clock.advance(seconds=601)
    assert COUNTED in check(client, finished.round_id, finished.receipts[0])
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReceiptCheck)) == 5


def test_the_form_needs_its_csrf_token(app, clock):
    """With CSRF protection on, a post without the form's token is refused (400) and looks nothing up."""
    app.config["WTF_CSRF_ENABLED"] = True
    client = english_client(app)
    with app.app_context():
        finished = finish_round(clock)
    response = client.post(f"/audit/rounds/{finished.round_id}/receipt", data={"receipt": finished.receipts[0]})
    assert response.status_code == 400
    assert COUNTED not in response.get_data(as_text=True)
    page = client.get(f"/audit/rounds/{finished.round_id}/receipt").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token"[^>]*value="([^"]+)"', page)
    response = client.post(f"/audit/rounds/{finished.round_id}/receipt",
                           data={"receipt": finished.receipts[0], "csrf_token": token.group(1)})
    assert response.status_code == 200 and COUNTED in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReceiptCheck)) == 1


def test_unknown_round_is_404(app, client):
    """The receipt page of an unknown round is a 404."""
    assert client.get("/audit/rounds/999999/receipt").status_code == 404
    assert client.post("/audit/rounds/999999/receipt", data={"receipt": "x"}).status_code == 404
