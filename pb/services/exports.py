"""Ballot exports, the audit bundle and the receipt check (issue 5, the app's side).

The core does the work (``voting.export``, ``voting.bundle``, ``voting.audit``); this module
gathers what it needs from the database and decides who may read what:

- **Ballots** of a pot (``.pb``, CSV, JSON) go to auditors and administrators once voting has
  closed, every such read written to the audit log; and to everyone once the results are
  published, when the round's ``public_ballots`` says so.
- **The audit bundle** is built ONCE, in the publication's transaction
  (:func:`build_round_bundle`), checked with ``voting.audit.audit_files`` before it is stored,
  and stored with its digest. Every build draws fresh random ballot ids, so rebuilding would
  give another digest: the stored bytes are what is served from then on, and the stored
  digest is the one on the results page. After publication, the per-pot ballot files are
  served from the stored bundle too, so they are the very bytes the bundle's manifest lists.
- **Receipt check**: answers only whether a receipt's ballot is in the count, from the stored
  bundle's ``receipts.txt``; before publication it says so and looks nothing up. Tries are
  limited per address.

Nothing written here carries a database ballot id, a user, a code or a receipt: the core
gets only the choices (and, when configured, coarse demographics) of the counted ballots.
"""

from __future__ import annotations

import enum
import io
import json
import zipfile
from collections import Counter
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from pb import security
from pb.extensions import db
from pb.models import (
    Area,
    AuditBundle,
    Ballot,
    BallotChoice,
    Publication,
    ReceiptCheck,
    Role,
    Round,
    User,
)
from pb.receipts import ReceiptStatus, check_receipt as lookup_receipt, parse_receipt_list
from pb.services import ServiceError
from pb.services.audit_log import record
from voting import Ballot as CoreBallot
from voting import Election
from voting.audit import audit_files
from voting.bundle import PotExport, build_bundle, bundle_digest, bundle_zip_bytes
from voting.errors import VotingError
from voting.export import CHANNELS, POT_NAME, RESERVED_POTS, Demographics, export_pot

#: The three ballot file formats, with their media types.
FORMATS = {"pb": "text/plain; charset=utf-8", "csv": "text/csv; charset=utf-8",
           "json": "application/json"}


class ExportRefused(ServiceError):
    """The reader may not have these ballots (now)."""


class Access(str, enum.Enum):
    """Why someone may read a round's ballots."""

    PUBLIC = "public"    # published, and the round publishes its ballots
    AUDITOR = "auditor"  # an auditor or administrator, after voting closed (logged)


# Who may read ------------------------------------------------------------------------------


def publication_of(round_: Round) -> Publication | None:
    return db.session.scalar(sa.select(Publication).where(Publication.round_id == round_.id))


def stored_bundle(round_: Round) -> AuditBundle | None:
    return db.session.scalar(sa.select(AuditBundle).where(AuditBundle.round_id == round_.id))


def ballot_access(user: User | None, round_: Round, now: datetime | None = None) -> Access | None:
    """How ``user`` may read the round's ballots now, or None."""
    from pb.services.results import voting_has_closed

    now = now or security.now()
    if publication_of(round_) is not None and round_.public_ballots:
        return Access.PUBLIC
    if user is not None and user.has_role(Role.AUDITOR, Role.ADMINISTRATOR) and voting_has_closed(round_, now):
        return Access.AUDITOR
    return None


def _require_access(user: User | None, round_: Round, now: datetime) -> Access:
    access = ballot_access(user, round_, now)
    if access is None:
        raise ExportRefused(_l("The ballots of this round are not available to you now."))
    return access


# From rows to the core ---------------------------------------------------------------------


def pot_names(round_: Round) -> dict[int, str]:
    """Each area's pot name in exports: its code when that is a valid, unique file name,
    otherwise ``area-<id>`` for every pot (so names never collide)."""
    areas = sorted(round_.areas, key=lambda a: a.id)
    names = {a.id: a.code for a in areas}
    valid = all(POT_NAME.fullmatch(n) and n not in RESERVED_POTS for n in names.values())
    if not valid or len(set(names.values())) != len(names):
        names = {a.id: f"area-{a.id}" for a in areas}
    return names


def demographics_min_group_size() -> int | None:
    """The minimum group size when exports carry demographics (config), else None."""
    size = current_app.config.get("EXPORT_DEMOGRAPHICS_MIN_GROUP_SIZE")
    return int(size) if size else None


@dataclass(frozen=True)
class PotBallots:
    """A pot's counted ballots as the core takes them (no database ids), and their facts:
    demographics per ballot when asked for, and how many came through each channel."""

    area: Area
    election: Election
    demographics: list[Demographics] | None
    channels: dict[str, int]


def pot_ballots(round_: Round, area: Area, *, with_demographics: bool = False) -> PotBallots:
    """The pot's frozen election with its counted ballots, read here with their channel and
    age band; the core voter ids are ``1..n`` in content order, never database ids."""
    from pb.tally import election_for_pot

    rows = db.session.execute(
        sa.select(Ballot.id, Ballot.channel, Ballot.age_band, BallotChoice.project_id)
        .join(BallotChoice, BallotChoice.ballot_id == Ballot.id)
        .where(Ballot.round_id == round_.id, Ballot.area_id == area.id, Ballot.is_counted.is_(True))
    ).all()
    by_ballot: dict[str, tuple[list[int], object, str | None]] = {}
    for ballot_id, channel, band, project_id in rows:
        by_ballot.setdefault(ballot_id, ([], channel, band))[0].append(project_id)
    content = sorted(
        (tuple(str(p) for p in sorted(pids)), getattr(channel, "value", channel), band)
        for pids, channel, band in by_ballot.values()
    )
    base = election_for_pot(round_, area, ballots=[])
    election = replace(base, ballots=[CoreBallot(str(i), choice) for i, (choice, _, _) in enumerate(content, 1)])
    demographics = None
    if with_demographics:
        demographics = [Demographics(age_band=band or None, channel=channel) for _, channel, band in content]
    counted = Counter(channel for _, channel, _ in content)
    return PotBallots(area, election, demographics, {c: counted[c] for c in CHANNELS})


def _rule(round_: Round) -> tuple[str, dict, str]:
    from pb.tally import tally_options

    return tally_options(round_)


# Ballot files ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportFile:
    filename: str
    mimetype: str
    data: bytes


def _bundle_files(bundle: AuditBundle) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def export_ballots(user: User | None, round_: Round, area: Area, fmt: str, *,
                   now: datetime | None = None) -> ExportFile:
    """One pot's anonymised ballots as ``.pb``, CSV or JSON, for a reader allowed them.

    After publication the file comes from the stored bundle (the bytes its manifest lists);
    before, it is exported afresh (new random ballot ids on every read). Auditors' and
    administrators' reads of ballots not public are written to the audit log.
    """
    now = now or security.now()
    if fmt not in FORMATS or area.round_id != round_.id:
        raise ExportRefused(_l("There is no such ballot file."))
    access = _require_access(user, round_, now)
    pot = pot_names(round_)[area.id]
    bundle = stored_bundle(round_)
    if bundle is not None:
        data = _bundle_files(bundle)[f"ballots/{pot}.{fmt}"]
    else:
        rule, options, _chain = _rule(round_)
        size = demographics_min_group_size()
        ballots = pot_ballots(round_, area, with_demographics=size is not None)
        exported = export_pot(ballots.election, pot, demographics=ballots.demographics,
                              min_group_size=size or 10, rule=rule, parameters=options)
        text = {"pb": exported.pb_text, "csv": exported.csv_text, "json": exported.json_text}[fmt]()
        data = text.encode("utf-8")
    if access is Access.AUDITOR:
        record(user, "export.ballots", round_, None,
               {"area_id": area.id, "format": fmt, "published": bundle is not None})
        db.session.commit()
    return ExportFile(f"round-{round_.id}-{pot}.{fmt}", FORMATS[fmt], data)


# The audit bundle --------------------------------------------------------------------------


def _receipt_hashes(round_: Round) -> list[str]:
    """The receipt hashes of the counted casts, each once (one cast's pots share one).

    Only real receipts: a paper ballot has none, and nothing stands in for it. The bundle's
    channel counts say how many ballots of each pot came on paper, so ``pb-audit`` knows how
    many receipts to expect.
    """
    rows = db.session.execute(
        sa.select(Ballot.receipt_hash)
        .where(Ballot.round_id == round_.id, Ballot.is_counted.is_(True), Ballot.receipt_hash.is_not(None))
        .distinct()
    ).scalars().all()
    return sorted(rows)


def round_meta(round_: Round, publication: Publication) -> dict:
    """The bundle's ``config.json`` ``round`` entry: names, the configuration frozen when
    voting opened (whose SHA-256 is the configuration digest on the round page), and when
    the results were published."""
    frozen = json.loads(round_.frozen_config_json) if round_.frozen_config_json else None
    return {
        "id": str(round_.id),
        "name": {"fi": round_.name_fi, "sv": round_.name_sv, "en": round_.name_en},
        "kind": getattr(round_.kind, "value", round_.kind),
        "config_digest": round_.config_digest,
        "frozen_config": frozen,
        "published_at": publication.at.isoformat() if publication.at else None,
    }


def round_bundle_files(round_: Round, publication: Publication) -> dict[str, bytes]:
    """The bundle's files: every pot's counted ballots, the frozen configuration, the outcomes
    the app PUBLISHED (the publication's run, not a recount) and the receipt list."""
    rule, options, chain = _rule(round_)
    names = pot_names(round_)
    size = demographics_min_group_size()
    published = {pot.area_id: pot for pot in publication.run.pots}
    pots = []
    for area in sorted(round_.areas, key=lambda a: a.id):
        result = published.get(area.id)
        if result is None:
            raise ServiceError(_l("The published count has no result for an area of the round."))
        ballots = pot_ballots(round_, area, with_demographics=size is not None)
        if len(ballots.election.ballots) != result.ballot_count:
            raise ServiceError(_l("The ballots have changed since the confirmed count; count again and confirm that count."))
        pots.append(PotExport(
            pot=names[area.id], election=ballots.election, rule=rule, parameters=options, tie_break=chain,
            result=json.loads(result.outcome_json), title=area.name_fi, demographics=ballots.demographics,
            channels=ballots.channels,
        ))
    return build_bundle(pots, round_meta(round_, publication), _receipt_hashes(round_),
                        min_group_size=size or 10)


def build_round_bundle(round_: Round, publication: Publication | None = None, *,
                       actor: User | None = None) -> AuditBundle:
    """Build, check and store the round's audit bundle, in the caller's transaction.

    Called by the publication service before it commits: the bundle digest is set on the
    publication and shown from that moment on. Refuses (ServiceError) when the bundle does
    not recount to the published result, so nothing is published that an auditor could not
    reproduce. Does not commit.
    """
    publication = publication or publication_of(round_)
    if publication is None:
        raise ServiceError(_l("The results of this round have not been published yet."))
    existing = stored_bundle(round_)
    if existing is not None:
        return existing
    try:
        files = round_bundle_files(round_, publication)
        report = audit_files(files)
    except VotingError as error:
        raise ServiceError(_l("The audit bundle could not be built: %(error)s", error=str(error))) from None
    if not report.ok:
        current_app.logger.error("audit bundle of round %s does not recount: %s", round_.id,
                                 "; ".join(d.line() for d in report.diffs))
        raise ServiceError(_l("The audit bundle does not recount to the published result; nothing was published."))
    digest = bundle_digest(files)
    receipts = files["receipts.txt"].count(b"\n")
    bundle = AuditBundle(round_id=round_.id, publication_id=publication.id, digest=digest,
                         data=bundle_zip_bytes(files), receipt_count=receipts, created_at=security.now())
    db.session.add(bundle)
    publication.bundle_digest = digest
    db.session.flush()
    record(actor, "audit.bundle", round_, None, {"digest": digest, "receipts": receipts})
    return bundle


def ensure_round_bundle(actor: User | None, round_: Round) -> AuditBundle:
    """Build and store the bundle of a round published without one (one transaction)."""
    try:
        bundle = build_round_bundle(round_, actor=actor)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return bundle


def bundle_for(user: User | None, round_: Round, *, now: datetime | None = None) -> AuditBundle:
    """The stored bundle for a reader allowed the ballots (logged for auditors when the
    ballots are not public)."""
    now = now or security.now()
    bundle = stored_bundle(round_)
    if bundle is None:
        raise ExportRefused(_l("The audit bundle is made when the results are published."))
    access = _require_access(user, round_, now)
    if access is Access.AUDITOR:
        record(user, "export.bundle", round_, None, {"digest": bundle.digest})
        db.session.commit()
    return bundle


# Receipt check -----------------------------------------------------------------------------


class ReceiptAnswer(str, enum.Enum):
    COUNTED = "counted"
    NOT_COUNTED = "not-counted"
    MALFORMED = "malformed"
    NOT_PUBLISHED = "not-published"


class TooManyChecks(ServiceError):
    def __init__(self, seconds: int) -> None:
        minutes = max(1, -(-seconds // 60))
        super().__init__(_l("Too many receipt checks from this address. Try again in %(minutes)d minutes.",
                            minutes=minutes))
        self.retry_after = seconds


_RECEIPT_LISTS: dict[str, list[str]] = {}


def published_receipts(bundle: AuditBundle) -> list[str]:
    """The sorted receipt hashes of the stored bundle (read once per digest)."""
    found = _RECEIPT_LISTS.get(bundle.digest)
    if found is None:
        with zipfile.ZipFile(io.BytesIO(bundle.data)) as archive:
            found = parse_receipt_list(archive.read("receipts.txt").decode("ascii"))
        if len(_RECEIPT_LISTS) >= 8:
            _RECEIPT_LISTS.clear()
        _RECEIPT_LISTS[bundle.digest] = found
    return found


def receipt_throttle(address: str, at: datetime) -> int:
    """Seconds this address must wait before checking another receipt (0: may check now)."""
    config = current_app.config
    window = timedelta(seconds=config.get("RECEIPT_WINDOW", 15 * 60))
    limit = config.get("RECEIPT_ADDRESS_MAX_CHECKS", 20)
    times = db.session.scalars(
        sa.select(ReceiptCheck.checked_at)
        .where(ReceiptCheck.address == address[:45], ReceiptCheck.checked_at > at - window)
        .order_by(ReceiptCheck.checked_at)
    ).all()
    if len(times) < limit:
        return 0
    seconds = (times[len(times) - limit] + window - at).total_seconds()
    return max(1, int(seconds) + (0 if seconds == int(seconds) else 1))


def check_receipt(round_: Round, typed: str, *, address: str, at: datetime | None = None) -> ReceiptAnswer:
    """Whether the ballot of a typed receipt is in the round's published count; nothing else.

    Every check counts against the address's limit (a guess and a real receipt alike, so
    the limit says nothing about the answer). Raises :class:`TooManyChecks` over the limit.
    """
    at = at or security.now()
    wait = receipt_throttle(address, at)
    if wait:
        raise TooManyChecks(wait)
    db.session.add(ReceiptCheck(address=address[:45], checked_at=at))
    db.session.execute(sa.delete(ReceiptCheck).where(ReceiptCheck.checked_at < at - timedelta(days=1)))
    db.session.commit()
    bundle = stored_bundle(round_)
    if bundle is None:
        return ReceiptAnswer.NOT_PUBLISHED
    status = lookup_receipt(typed, published_receipts(bundle))
    return {
        ReceiptStatus.COUNTED: ReceiptAnswer.COUNTED,
        ReceiptStatus.NOT_COUNTED: ReceiptAnswer.NOT_COUNTED,
        ReceiptStatus.MALFORMED: ReceiptAnswer.MALFORMED,
    }[status]
