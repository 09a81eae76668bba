"""Casting ballots: one ballot per voter per round, checked by the same code that tallies.

Who voted (``voter_record``) and what was voted (``ballot``, ``ballot_choice``) are written
in one transaction and share no column. The who-voted row goes in **first**: its primary key
(round, voter reference) is the database's guarantee of one ballot per voter whatever the
concurrency (a second insert waits for the first transaction and then fails), and on SQLite
the first write takes the database's write lock, so everything read after it is current.

Voter references are keyed HMACs under ``PB_VOTER_KEY`` (not in the database): of the
identity provider's subject (``pb.identity.voter_reference``), of an account id (rounds with
self-declared eligibility), or of a voting code's digest. Replacing a ballot finds the old
one through ``replace_ref``, a further HMAC of round and voter reference, so a database copy
cannot link the two; :func:`seal_round` clears it when voting closes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l

from pb.extensions import db
from pb.models import Area, Phase, Project, Round
from pb.models.voting import Ballot, BallotChannel, BallotChoice, VoterRecord, VotingCode
from pb.receipts import generate_receipt, receipt_hash
from pb.services import ServiceError
from pb.services.electorate import ballot_pots, pot_projects
from pb.services.round_phases import current_phase
from pb.services.rounds import ballot_format
from voting.ballots import ballot_problems
from voting.model import BallotFormat

#: Longest project id text accepted from a form (anything longer is not a project here).
_MAX_ID_TEXT = 12


class BallotRejected(ServiceError):
    """The ballot breaks the round's format; ``problems`` lists every reason (translated)."""

    def __init__(self, problems: Sequence) -> None:
        super().__init__(problems[0] if problems else _l("The ballot is not valid."))
        self.problems = list(problems)


class AlreadyVoted(ServiceError):
    def __init__(self) -> None:
        super().__init__(_l("You have already voted in this round. Only one ballot per person counts."))


class VotingClosed(ServiceError):
    def __init__(self) -> None:
        super().__init__(_l("Voting is not open in this round."))


# Keys and references ------------------------------------------------------------------------


def _voter_key() -> bytes:
    raw = current_app.config.get("PB_VOTER_KEY")
    if not raw or len(raw) < 32:
        raise RuntimeError("PB_VOTER_KEY must be set to at least 32 characters")
    return raw.encode("utf-8") if isinstance(raw, str) else bytes(raw)


def _keyed(label: str, text: str) -> str:
    return hmac.new(_voter_key(), f"{label}:{text}".encode(), hashlib.sha256).hexdigest()


def account_reference(user_id: int) -> str:
    """Who-voted key of an email account (self-declared rounds only)."""
    return _keyed("pb-account-v1", str(int(user_id)))


def code_reference(code_digest: str) -> str:
    """Who-voted key of a voting code (from its stored digest)."""
    return _keyed("pb-code-voter-v1", code_digest)


def replace_reference(round_id: int, voter_ref: str) -> str:
    """The key that finds a voter's ballot again for replacement; derived under the server
    key, so the database alone cannot link ballot and voter record."""
    return _keyed("pb-replace-v1", f"{int(round_id)}\x00{voter_ref}")


# Checking a ballot --------------------------------------------------------------------------


@dataclass(frozen=True)
class BallotPart:
    """One pot's choices, as checked: the pot, its chosen projects (ballot order), the total."""

    area: Area
    projects: tuple[Project, ...]
    total: int
    problems: tuple = field(default=())


def parse_choices(values: Sequence[str]) -> list[str]:
    """Project ids from form values, as text (kept as typed so forged values are reported)."""
    return [str(value).strip()[:_MAX_ID_TEXT + 1] for value in values]


def _explain(raw: list[str], chosen: list[str], costs: Mapping[str, int], fmt: BallotFormat, area: Area) -> list:
    """Translated sentences for what ``ballot_problems`` found (it decides; this explains)."""
    from pb.i18n import euros, localized

    messages: list = []
    name = localized(area, "name")
    if len(set(chosen)) != len(chosen):
        messages.append(_l("A project is chosen more than once."))
    if any(pid not in costs for pid in chosen):
        messages.append(_l("The ballot names a project that is not on the ballot paper of %(area)s.", area=name))
    count = len(chosen)
    if fmt.min_length is not None and count < fmt.min_length:
        messages.append(_l("Choose at least %(num)d projects in %(area)s (you chose %(count)d).",
                           num=fmt.min_length, area=name, count=count))
    if fmt.max_length is not None and count > fmt.max_length:
        messages.append(_l("Choose at most %(num)d projects in %(area)s (you chose %(count)d).",
                           num=fmt.max_length, area=name, count=count))
    total = sum(costs[pid] for pid in set(chosen) if pid in costs)
    if fmt.max_sum_cost is not None and total > fmt.max_sum_cost:
        messages.append(_l("The projects you chose in %(area)s cost %(total)s, more than the budget of %(budget)s.",
                           area=name, total=euros(total), budget=euros(fmt.max_sum_cost)))
    if fmt.min_sum_cost is not None and total < fmt.min_sum_cost:
        messages.append(_l("Choose projects worth at least %(minimum)s in %(area)s (now %(total)s).",
                           area=name, total=euros(total), minimum=euros(fmt.min_sum_cost)))
    if not messages:  # a check this module does not know how to word: show it as is
        messages.extend(raw)
    return messages


def check_parts(round_: Round, area: Area, choices: Mapping[int, Sequence[str]]) -> list[BallotPart]:
    """Check every pot of a ballot in ``area`` with ``voting.ballots.ballot_problems``.

    ``choices`` maps a pot's area id to the chosen project ids (text, from the form). A pot
    with no choices is left out (the voter abstains there); a ballot with no choice at all is
    refused. Raises :class:`BallotRejected` with every problem; returns the parts otherwise.
    """
    if area.round_id != round_.id or area.is_citywide:
        raise BallotRejected([_l("Choose one of this round's areas.")])
    pots = ballot_pots(round_, area)
    pot_ids = {pot.id for pot in pots}
    stray = [key for key, values in choices.items() if values and key not in pot_ids]
    problems: list = []
    if stray:
        problems.append(_l("The ballot names projects of another area."))
    parts: list[BallotPart] = []
    for pot in pots:
        chosen = parse_choices(choices.get(pot.id, ()))
        if not chosen:
            continue
        projects = pot_projects(pot)
        by_id = {str(p.id): p for p in projects}
        costs = {pid: p.cost for pid, p in by_id.items()}
        fmt = ballot_format(round_, pot)
        raw = ballot_problems(chosen, None, fmt, costs)
        if raw:
            problems.extend(_explain(raw, chosen, costs, fmt, pot))
            continue
        ordered = tuple(p for p in projects if str(p.id) in set(chosen))
        parts.append(BallotPart(pot, ordered, sum(p.cost for p in ordered)))
    if not problems and not parts:
        problems.append(_l("Choose at least one project."))
    if problems:
        raise BallotRejected(problems)
    return parts


# Casting ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CastResult:
    """What the confirmation page shows once: the receipt and the choices per pot."""

    receipt: str | None
    parts: tuple[BallotPart, ...]
    is_replacement: bool


def require_voting_open(round_: Round, at: datetime) -> None:
    """Refuse unless the round is in its voting phase now and its settings are frozen."""
    if current_phase(round_, at) is not Phase.VOTING or round_.frozen_at is None:
        raise VotingClosed()


def _lock_round(round_id: int) -> Round:
    """Re-read the round inside the transaction; on PostgreSQL a shared row lock makes a
    concurrent close wait for this ballot (counted iff committed before the close)."""
    query = sa.select(Round).where(Round.id == round_id).execution_options(populate_existing=True)
    if db.session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(read=True)
    return db.session.scalars(query).one()


def _insert_voter_record(round_id: int, voter_ref: str, channel: BallotChannel, today: date) -> None:
    db.session.execute(
        sa.insert(VoterRecord).values(round_id=round_id, voter_ref=voter_ref, voted_on=today, channel=channel)
    )


def _claim_voter_record(round_id: int, voter_ref: str, channel: BallotChannel, today: date, *,
                        may_replace: bool) -> bool:
    """Write the who-voted row first. Returns True when it already existed and the voter
    is replacing; raises :class:`AlreadyVoted` when they may not."""
    if may_replace:
        # Updating the existing row locks it: two replacements by one voter run one by one.
        updated = db.session.execute(
            sa.update(VoterRecord)
            .where(VoterRecord.round_id == round_id, VoterRecord.voter_ref == voter_ref,
                   VoterRecord.channel == channel)
            .values(voted_on=today)
        ).rowcount
        if updated:
            return True
    try:
        _insert_voter_record(round_id, voter_ref, channel, today)
    except sa.exc.IntegrityError:
        # The caller rolls the whole transaction back (nothing else was written yet).
        raise AlreadyVoted() from None
    return False


def cast_ballot(
    round_id: int,
    area_id: int,
    choices: Mapping[int, Sequence[str]],
    *,
    voter_ref: str,
    channel: BallotChannel,
    at: datetime,
    code_id: int | None = None,
    band: str | None = None,
) -> CastResult:
    """Cast (or, where the round allows, replace) one voter's ballot in one transaction.

    Checks the phase, the area and every pot with ``ballot_problems``; writes the who-voted
    row first, then the ballot rows with fresh random ids and one receipt hash; marks a code
    used. Nothing is written when anything is refused.
    """
    round_ = db.session.get(Round, round_id)
    area = db.session.get(Area, area_id)
    if round_ is None:
        raise VotingClosed()
    require_voting_open(round_, at)
    if area is None or area.round_id != round_.id:
        raise BallotRejected([_l("Choose one of this round's areas.")])
    parts = check_parts(round_, area, choices)
    may_replace = bool(round_.allow_replace) and channel is BallotChannel.ONLINE
    today = at.date()

    for attempt in range(3):
        try:
            return _write_ballot(round_id, parts, voter_ref=voter_ref, channel=channel, at=at,
                                 code_id=code_id, band=band, may_replace=may_replace, today=today)
        except AlreadyVoted:
            db.session.rollback()
            if not may_replace or attempt == 2:
                raise
            # A first cast of the same voter committed meanwhile: go again, now as a replacement.
        except BaseException:
            db.session.rollback()
            raise
    raise AlreadyVoted()  # pragma: no cover


def _write_ballot(round_id: int, parts: list[BallotPart], *, voter_ref: str, channel: BallotChannel,
                  at: datetime, code_id: int | None, band: str | None, may_replace: bool,
                  today: date) -> CastResult:
    is_replacement = _claim_voter_record(round_id, voter_ref, channel, today, may_replace=may_replace)
    round_ = _lock_round(round_id)
    require_voting_open(round_, at)
    if code_id is not None:
        used = db.session.execute(
            sa.update(VotingCode)
            .where(VotingCode.id == code_id, VotingCode.is_used.is_(False), VotingCode.is_voided.is_(False))
            .values(is_used=True)
        ).rowcount
        if used != 1:
            raise AlreadyVoted()
    ref = replace_reference(round_id, voter_ref) if may_replace else None
    if is_replacement:
        db.session.execute(
            sa.update(Ballot)
            .where(Ballot.round_id == round_id, Ballot.replace_ref == ref)
            .values(is_counted=False, replace_ref=None)
        )
    receipt = generate_receipt() if channel is not BallotChannel.PAPER else None
    digest = receipt_hash(receipt) if receipt else None
    for part in parts:
        add_ballot(round_id, part.area.id, [p.id for p in part.projects], channel=channel,
                   receipt_hash_=digest, replace_ref=ref, band=band)
    db.session.commit()
    return CastResult(receipt, tuple(parts), is_replacement)


def add_ballot(round_id: int, area_id: int, project_ids: Sequence[int], *, channel: BallotChannel,
               receipt_hash_: str | None = None, replace_ref: str | None = None,
               band: str | None = None) -> str:
    """Add one pot's ballot row and its choices (random id, no time); the caller commits."""
    ballot_id = secrets.token_hex(16)
    db.session.execute(
        sa.insert(Ballot).values(id=ballot_id, round_id=round_id, area_id=area_id, channel=channel,
                                 is_counted=True, receipt_hash=receipt_hash_, replace_ref=replace_ref,
                                 age_band=band)
    )
    if project_ids:
        db.session.execute(
            sa.insert(BallotChoice), [{"ballot_id": ballot_id, "project_id": pid} for pid in project_ids]
        )
    return ballot_id


def record_in_person_voter(round_id: int, voter_ref: str, *, at: datetime) -> None:
    """Mark a voter who gets a paper ballot at a service point as having voted (refused
    with :class:`AlreadyVoted` if they voted through any channel)."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise VotingClosed()
    require_voting_open(round_, at)
    try:
        _claim_voter_record(round_id, voter_ref, BallotChannel.PAPER, at.date(), may_replace=False)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def has_voted(round_id: int, voter_ref: str) -> bool:
    return db.session.get(VoterRecord, (round_id, voter_ref)) is not None


def seal_round(round_id: int) -> int:
    """Clear every ballot's replacement key (call when voting closes, in the closing
    transaction; the caller commits). Returns the number of ballots changed."""
    return db.session.execute(
        sa.update(Ballot).where(Ballot.round_id == round_id, Ballot.replace_ref.is_not(None)).values(replace_ref=None)
    ).rowcount


# For the results side ---------------------------------------------------------------------


def counted_ballots(round_id: int, area_id: int) -> list[tuple[str, ...]]:
    """The counted ballots of one pot as tuples of project ids (text, ascending by id),
    sorted, so the order of casting does not show."""
    rows = db.session.execute(
        sa.select(BallotChoice.ballot_id, BallotChoice.project_id)
        .join(Ballot, Ballot.id == BallotChoice.ballot_id)
        .where(Ballot.round_id == round_id, Ballot.area_id == area_id, Ballot.is_counted.is_(True))
    ).all()
    by_ballot: dict[str, list[int]] = {}
    for ballot_id, project_id in rows:
        by_ballot.setdefault(ballot_id, []).append(project_id)
    return sorted(tuple(str(pid) for pid in sorted(pids)) for pids in by_ballot.values())
