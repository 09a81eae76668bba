"""Many simultaneous casts by one voter or one code, against a real HTTP server (werkzeug's,
threaded, on a free localhost port) over the test database (a shared SQLite file, or
PostgreSQL with ``PB_TEST_DATABASE_URL``), leave exactly one counted ballot."""

from __future__ import annotations

import threading
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from werkzeug.serving import make_server

from pb.extensions import db
from pb.models import Round
from pb.models.voting import Ballot, VoterRecord, VotingCode
from tests.pb.factories import make_code_batch
from tests.pb.voting_helpers import attest, ballot_data, make_voting_round, projects_of

#: Simultaneous requests per test (each its own thread, connection and transaction).
CONCURRENT = 16


@contextmanager
def running_server(app):
    """The app served by a threaded werkzeug server on 127.0.0.1 and a free port."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def storm(base: str, path: str, cookie: str, data: dict) -> list[int]:
    """POST the same form from CONCURRENT threads released at once; their status codes."""
    body = urllib.parse.urlencode(data, doseq=True).encode()
    barrier = threading.Barrier(CONCURRENT)
    statuses: list[int] = []
    lock = threading.Lock()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener = urllib.request.build_opener(NoRedirect)

    def one() -> None:
        request = urllib.request.Request(base + path, data=body, method="POST", headers={
            "Cookie": f"session={cookie}", "Host": "localhost", "Accept-Language": "en",
            "Content-Type": "application/x-www-form-urlencoded",
        })
        barrier.wait()
        try:
            with opener.open(request, timeout=60) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=one) for _ in range(CONCURRENT)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return statuses


def session_cookie(client) -> str:
    return client.get_cookie("session").value


def _round(app, **overrides):
    with app.app_context():
        round_ = make_voting_round(areas=(("suur-tapiola", 100_000),), **overrides)
        return round_.id, round_.areas[0].id, projects_of(round_.areas[0])


def _counts(app, round_id: int) -> tuple[int, int, int]:
    with app.app_context():
        db.session.expire_all()
        total = db.session.scalar(sa.select(sa.func.count()).select_from(Ballot).where(Ballot.round_id == round_id))
        counted = db.session.scalar(sa.select(sa.func.count()).select_from(Ballot)
                                    .where(Ballot.round_id == round_id, Ballot.is_counted.is_(True)))
        records = db.session.scalar(sa.select(sa.func.count()).select_from(VoterRecord))
        return total, counted, records


def test_simultaneous_casts_by_one_voter_leave_one_ballot(app, client):
    """CONCURRENT casts with one attested session: one succeeds, the others are told the voter
    has already voted; one ballot, one who-voted row, no server error."""
    round_id, area, projects = _round(app)
    attest(client, round_id, "aino")
    with running_server(app) as base:
        statuses = storm(base, f"/rounds/{round_id}/vote/cast", session_cookie(client),
                         ballot_data(area, {area: projects[:2]}))
    assert sorted(statuses) == [200] + [409] * (CONCURRENT - 1), statuses
    assert _counts(app, round_id) == (1, 1, 1)


def test_simultaneous_casts_with_one_code_leave_one_ballot(app, client):
    """CONCURRENT casts with one voting code: exactly one ballot, the code used once."""
    round_id, area, projects = _round(app)
    with app.app_context():
        _batch, generated = make_code_batch(db.session.get(Round, round_id), 1)
        code = generated.codes[0]
    voter = app.test_client()
    assert voter.post(f"/rounds/{round_id}/vote/code", data={"code": code}).status_code == 303
    with running_server(app) as base:
        statuses = storm(base, f"/rounds/{round_id}/vote/cast", session_cookie(voter),
                         ballot_data(area, {area: projects[:1]}))
    assert statuses.count(200) == 1 and not [s for s in statuses if s >= 500], statuses
    assert set(statuses) <= {200, 303, 409}
    assert _counts(app, round_id) == (1, 1, 1)
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).where(VotingCode.is_used.is_(True))) == 1


def test_simultaneous_replacements_leave_one_counted_ballot(app, client):
    """In a round that allows replacing, CONCURRENT casts by one voter all succeed in turn and
    exactly one of the resulting ballots is counted."""
    round_id, area, projects = _round(app, allow_replace=True)
    attest(client, round_id, "aino")
    with running_server(app) as base:
        statuses = storm(base, f"/rounds/{round_id}/vote/cast", session_cookie(client),
                         ballot_data(area, {area: projects[:1]}))
    assert not [s for s in statuses if s >= 500], statuses
    total, counted, records = _counts(app, round_id)
    assert counted == 1 and records == 1 and total == statuses.count(200) >= 1
