"""Ballot exports: who may read a round's ballots and when (logged before publication), and
that the exported files hold nothing personal and nothing of the order of casting."""

from __future__ import annotations

import csv
import io
import itertools
import json
import zipfile
from dataclasses import dataclass, field

import pytest
import sqlalchemy as sa

from pb.extensions import db
from pb.models import AuditLog, Ballot, BallotChannel, Phase, Role, Round, User, VoterRecord, VotingCode
from pb.services import exports
from pb.services import results as results_service
from pb.services.codes import create_batch, redeem_code
from pb.services.voting import account_reference, add_ballot, cast_ballot
from tests.pb.factories import log_in, make_frozen_round, make_user

_serial = itertools.count(1)
CONFIRM = {"body": "City board", "confirmed_by": "Chair", "decision_reference": "KH 1/2026 § 1"}


@dataclass
class Finished:
    """A round built through the services, and what the tests compare exports against."""

    round_id: int
    area_ids: dict[str, int]
    project_ids: dict[str, list[int]]
    admin_id: int
    receipts: list[str] = field(default_factory=list)  # counted casts' receipts
    replaced: list[str] = field(default_factory=list)  # receipts of ballots replaced later
    voters: list[User] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)  # a batch's plain voting codes (one used)
    replace_refs: list[str] = field(default_factory=list)  # as stored while voting was open


#: (voter number, local choices, citywide choices) by project position, in casting order.
DEFAULT_CASTS = [
    (0, [0], [0]), (1, [0, 1], []), (2, [2], [1]), (3, [0], [0, 1]), (4, [1], [0]),
    (5, [0, 1], [2]), (6, [0], []), (7, [2], [1]), (8, [1], [0]), (9, [0, 1], [0]),
]


def cast_all(round_: Round, areas: dict, projects: dict, casts, voters: list[User], clock) -> list[str]:
    """Cast each (voter, local, citywide) through ``cast_ballot``; the receipts in order."""
    receipts = []
    for number, local, city in casts:
        choices = {areas["north"]: [str(projects["north"][i]) for i in local]}
        if city:
            choices[areas["citywide"]] = [str(projects["citywide"][i]) for i in city]
        result = cast_ballot(round_.id, areas["north"], choices, voter_ref=account_reference(voters[number].id),
                             channel=BallotChannel.ONLINE, at=clock.now)
        receipts.append(result.receipt)
    return receipts


def finish_round(clock, *, casts=DEFAULT_CASTS, public_ballots: bool = True, publish: bool = True,
                 paper: int = 1) -> Finished:
    """A round with a local and a citywide pot: voters cast (voter 1 replaces their ballot),
    one more votes with a voting code, ``paper`` paper ballots are keyed, voting closes; the count is run, confirmed and
    (``publish``) published, which stores the audit bundle."""
    admin = make_user(roles=(Role.ADMINISTRATOR,), email=f"admin{next(_serial)}.secret@example.org")
    round_ = make_frozen_round(areas=(("north", 100_000), ("citywide", 60_000)), costs=(30_000, 40_000, 50_000),
                               allow_replace=True, public_ballots=public_ballots, confirming_body="City board",
                               max_choices=3, eligibility=json.dumps({"channels": ["identity", "code"]}))
    areas = {a.code: a.id for a in round_.areas}
    projects = {a.code: [p.id for p in sorted(a.projects, key=lambda p: p.position)] for a in round_.areas}
    voters = [make_user(email=f"voter{next(_serial)}.secret@example.org") for i in range(max(c[0] for c in casts) + 1)]
    # Voter 1 first casts something else, then replaces it: only the second ballot counts.
    first = cast_all(round_, areas, projects, [(1, [2], [2])], voters, clock)
    receipts = cast_all(round_, areas, projects, casts, voters, clock)
    _batch, generated = create_batch(round_.id, 2, "Koulu 8B", area_id=areas["north"], actor=admin, at=clock.now)
    redeemed = redeem_code(round_.id, generated.codes[0], address="198.51.100.1", at=clock.now)
    receipts.append(cast_ballot(round_.id, areas["north"], {areas["north"]: [str(projects["north"][1])]},
                                voter_ref=redeemed.voter_ref, channel=BallotChannel.CODE, at=clock.now,
                                code_id=redeemed.code_id).receipt)
    for _ in range(paper):
        add_ballot(round_.id, areas["north"], [projects["north"][0]], channel=BallotChannel.PAPER)
    db.session.commit()
    replace_refs = list(db.session.scalars(sa.select(Ballot.replace_ref).where(
        Ballot.round_id == round_.id, Ballot.replace_ref.is_not(None))))
    round_.phase = Phase.RESULTS
    db.session.commit()
    finished = Finished(round_.id, areas, projects, admin.id, receipts, first, voters, list(generated.codes), replace_refs)
    if publish:
        publish_round(round_, admin)
    return finished


def publish_round(round_: Round, admin: User) -> None:
    """Count, confirm and publish through the results service (which stores the bundle)."""
    run = results_service.run_tally(admin, round_)
    results_service.confirm_results(admin, round_, run, CONFIRM)
    results_service.publish_results(admin, round_)


def bundle_files(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def secrets_of_database(finished: Finished) -> dict[str, list[str]]:
    """Every value in the database that must never appear in an export, by kind."""
    ballots = db.session.scalars(sa.select(Ballot).where(Ballot.round_id == finished.round_id)).all()
    records = db.session.scalars(sa.select(VoterRecord).where(VoterRecord.round_id == finished.round_id)).all()
    users = db.session.scalars(sa.select(User)).all()
    return {
        "ballot id": [b.id for b in ballots],
        "receipt": [r for r in finished.receipts + finished.replaced if r]
        + [r.replace("-", "") for r in finished.receipts + finished.replaced if r],
        "voter reference": [r.voter_ref for r in records],
        "replace reference": finished.replace_refs + [b.replace_ref for b in ballots if b.replace_ref],
        "email": [u.email for u in users],
        "password hash": [u.password_hash for u in users],
        "voting code": finished.codes + [c.replace("-", "") for c in finished.codes],
        "code digest": list(db.session.scalars(sa.select(VotingCode.digest))),
    }


def test_public_gets_nothing_before_publication_and_auditors_after_close_are_logged(app, client, clock):
    """Before publication the public gets 404 for every ballot file; an auditor gets them only after voting closes, and each read is in the audit log."""
    with app.app_context():
        auditor = make_user(roles=(Role.AUDITOR,))
        round_ = make_frozen_round(public_ballots=True)
        area = round_.areas[0]
        add_ballot(round_.id, area.id, [area.projects[0].id], channel=BallotChannel.ONLINE)
        db.session.commit()
        round_id, area_id, auditor_id = round_.id, area.id, auditor.id
    urls = [f"/audit/rounds/{round_id}/ballots/{area_id}.{fmt}" for fmt in ("pb", "csv", "json")]
    for url in urls + [f"/audit/rounds/{round_id}/bundle.zip"]:
        assert client.get(url).status_code == 404, url
    log_in(client, auditor_id)
    for url in urls:  # voting still open: not even auditors
        assert client.get(url).status_code == 404, url
    with app.app_context():
        db.session.get(Round, round_id).phase = Phase.RESULTS
        db.session.commit()
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "attachment" in response.headers["Content-Disposition"]
    with app.app_context():
        logged = db.session.scalars(sa.select(AuditLog).where(AuditLog.action == "export.ballots")).all()
        assert [(e.actor_id, e.round_id, json.loads(e.after)["format"]) for e in logged] == [
            (auditor_id, round_id, fmt) for fmt in ("pb", "csv", "json")]
    anonymous = app.test_client()
    for url in urls:  # closed but unpublished: still nothing for the public
        assert anonymous.get(url).status_code == 404, url


def test_residents_and_moderators_are_not_auditors(app, client, clock):
    """After close, a resident or a moderator gets 404 for unpublished ballots, like the public."""
    with app.app_context():
        round_ = make_frozen_round(phase=Phase.RESULTS)
        ids = [make_user(roles=(role,)).id for role in (Role.RESIDENT, Role.MODERATOR)]
        round_id, area_id = round_.id, round_.areas[0].id
    for user_id in ids:
        log_in(client, user_id)
        assert client.get(f"/audit/rounds/{round_id}/ballots/{area_id}.pb").status_code == 404


def test_published_ballots_are_public_only_when_the_round_says_so(app, client, clock):
    """After publication anyone reads the ballots of a public_ballots round (the very bytes of the bundle); otherwise only auditors, logged."""
    with app.app_context():
        public = finish_round(clock, public_ballots=True)
        private = finish_round(clock, public_ballots=False, casts=DEFAULT_CASTS[:4])
        auditor_id = make_user(roles=(Role.AUDITOR,)).id
        public_bundle = bundle_files(exports.stored_bundle(db.session.get(Round, public.round_id)).data)
    for fmt in ("pb", "csv", "json"):
        response = client.get(f"/audit/rounds/{public.round_id}/ballots/{public.area_ids['north']}.{fmt}")
        assert response.status_code == 200
        assert response.data == public_bundle[f"ballots/north.{fmt}"]
        assert client.get(f"/audit/rounds/{private.round_id}/ballots/{private.area_ids['north']}.{fmt}").status_code == 404
    assert client.get(f"/audit/rounds/{public.round_id}/bundle.zip").status_code == 200
    assert client.get(f"/audit/rounds/{private.round_id}/bundle.zip").status_code == 404
    log_in(client, auditor_id)
    assert client.get(f"/audit/rounds/{private.round_id}/ballots/{private.area_ids['north']}.csv").status_code == 200
    assert client.get(f"/audit/rounds/{private.round_id}/bundle.zip").status_code == 200
    with app.app_context():
        actions = db.session.scalars(sa.select(AuditLog.action).where(
            AuditLog.round_id == private.round_id, AuditLog.actor_id == auditor_id)).all()
        assert sorted(actions) == ["export.ballots", "export.bundle"]


def test_unknown_rounds_areas_and_formats_are_404(app, client, clock):
    """Another round's area, an unknown area or round, or another format is a plain 404."""
    with app.app_context():
        finished = finish_round(clock, casts=DEFAULT_CASTS[:3])
        other = make_frozen_round(phase=Phase.RESULTS)
        other_area = other.areas[0].id
    rid = finished.round_id
    for url in (f"/audit/rounds/{rid}/ballots/{other_area}.pb", f"/audit/rounds/{rid}/ballots/999999.pb",
                f"/audit/rounds/999999/ballots/{finished.area_ids['north']}.pb",
                f"/audit/rounds/{rid}/ballots/{finished.area_ids['north']}.xml", "/audit/rounds/999999/bundle.zip"):
        assert client.get(url).status_code == 404, url


def _all_export_bytes(app, client, finished: Finished) -> dict[str, bytes]:
    """Every file anyone can download about the round: the bundle's and the per-pot files."""
    with app.app_context():
        bundle = exports.stored_bundle(db.session.get(Round, finished.round_id))
        files = {f"bundle:{k}": v for k, v in bundle_files(bundle.data).items()}
    files["bundle.zip"] = client.get(f"/audit/rounds/{finished.round_id}/bundle.zip").data
    for code, area_id in finished.area_ids.items():
        for fmt in ("pb", "csv", "json"):
            files[f"{code}.{fmt}"] = client.get(f"/audit/rounds/{finished.round_id}/ballots/{area_id}.{fmt}").data
    return files


def test_exports_hold_no_personal_data_or_database_ids(app, client, clock):
    """No byte sequence of any exported file (bundle, zip, .pb, CSV, JSON) equals an email, password hash, ballot id, receipt, voting code or its digest, voter or replacement reference of the database; ballot ids are fresh 16-hex ids."""
    with app.app_context():
        finished = finish_round(clock)
        forbidden = secrets_of_database(finished)
        db_ballot_ids = set(forbidden["ballot id"])
    assert all(forbidden.values())
    files = _all_export_bytes(app, client, finished)
    for name, data in files.items():
        for kind, values in forbidden.items():
            for value in values:
                assert value.encode() not in data, (name, kind)
                assert value.lower().encode() not in data.lower(), (name, kind)
    for code in finished.area_ids:
        rows = list(csv.DictReader(io.StringIO(files[f"{code}.csv"].decode())))
        assert rows and set(rows[0]) == {"ballot_id", "vote"}
        for row in rows:
            assert len(row["ballot_id"]) == 16 and row["ballot_id"] not in db_ballot_ids
            assert all(c in "0123456789abcdef" for c in row["ballot_id"])
        data = json.loads(files[f"{code}.json"])
        assert all(set(b) == {"ballot_id", "vote"} for b in data["ballots"])


def _export_rows(files: dict[str, bytes], code: str) -> list[tuple[str, str]]:
    return [(row["ballot_id"], row["vote"]) for row in csv.DictReader(io.StringIO(files[f"{code}.csv"].decode()))]


def test_ballot_order_says_nothing_about_casting_order(app, client, clock):
    """Two rounds with the same ballots cast in opposite orders export the same votes in the same order (by content, then by fresh random id), so the order of casting does not show."""
    casts = DEFAULT_CASTS
    with app.app_context():
        forward = finish_round(clock, casts=casts, paper=0)
        backward = finish_round(clock, casts=list(reversed(casts)), paper=0)
    rows_f = _export_rows(_all_export_bytes(app, client, forward), "north")
    rows_b = _export_rows(_all_export_bytes(app, client, backward), "north")
    positions = {}
    for finished, rows in ((forward, rows_f), (backward, rows_b)):
        ids = finished.project_ids["north"]
        rank = {str(pid): i for i, pid in enumerate(ids)}
        positions[finished.round_id] = [tuple(rank[p] for p in vote.split(",")) for _, vote in rows]
    assert positions[forward.round_id] == positions[backward.round_id]
    cast_contents = [tuple(sorted(local)) for _, local, _ in casts]
    assert positions[forward.round_id] != cast_contents  # casting order would differ from content order here
    for rows in (rows_f, rows_b):
        keys = [(tuple(sorted(vote.split(","))), vote, bid) for bid, vote in rows]
        assert keys == sorted(keys)
        assert len({bid for bid, _ in rows}) == len(rows)


def test_pre_publication_exports_are_fresh_and_never_stored(app, client, clock):
    """An auditor's export before publication gets new random ballot ids on each read, with the same votes in the same order."""
    with app.app_context():
        finished = finish_round(clock, publish=False)
        auditor_id = make_user(roles=(Role.AUDITOR,)).id
    log_in(client, auditor_id)
    url = f"/audit/rounds/{finished.round_id}/ballots/{finished.area_ids['north']}.csv"
    one, two = (list(csv.DictReader(io.StringIO(client.get(url).get_data(as_text=True)))) for _ in range(2))
    assert [r["vote"] for r in one] == [r["vote"] for r in two]
    assert {r["ballot_id"] for r in one}.isdisjoint({r["ballot_id"] for r in two})
    with app.app_context():
        assert exports.stored_bundle(db.session.get(Round, finished.round_id)) is None


@pytest.mark.parametrize("code,expected", [("north", "north"), ("North Side", "area-"), ("bundle", "area-")])
def test_pot_names_are_safe_file_names(app, code, expected):
    """An area code that is a valid lower-case file name names its pot; otherwise every pot is named area-<id>."""
    with app.app_context():
        round_ = make_frozen_round(areas=((code, 100_000), ("south", 50_000)))
        names = exports.pot_names(round_)
        assert names[round_.areas[0].id].startswith(expected)
        assert len(set(names.values())) == 2


def test_demographics_when_configured_are_suppressed_in_small_groups(app, client, clock):
    """With a minimum group size configured, the files carry the demographic columns, and a column with a value used by fewer ballots than that (one code, one paper ballot) is left empty in every row; the bundle still recounts."""
    app.config["EXPORT_DEMOGRAPHICS_MIN_GROUP_SIZE"] = 2
    with app.app_context():
        finished = finish_round(clock, paper=1)
        bundle = exports.stored_bundle(db.session.get(Round, finished.round_id))
        files = bundle_files(bundle.data)
    rows = list(csv.DictReader(io.StringIO(files["ballots/north.csv"].decode())))
    assert list(rows[0]) == ["ballot_id", "vote", "age_band", "area", "channel"]
    channels = sorted(row["channel"] for row in rows)
    assert channels == [""] * len(rows)
    assert json.loads(files["config.json"])["pots"]["north"]["demographics"] == {
        "columns": ["age_band", "area", "channel"], "min_group_size": 2}
    from voting.audit import audit_files

    assert audit_files(files, expect_digest=bundle.digest).ok
