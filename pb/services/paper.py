"""Paper ballots, keyed twice: a serial counts once two different moderators have entered
it with the same area and the same choices.

Each paper ballot carries a printed serial and covers one pot. An entry is checked with the
same ``ballot_problems`` as an online ballot. When a second moderator's entry agrees with an
earlier one, a ``paper`` ballot is added (counted, no receipt) and the serial is recorded in
``paper_ballot`` (without the ballot id). Disagreeing entries are listed for resolution: a
further moderator keys the paper again, and the first two entries that agree decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from pb.extensions import db
from pb.models import Area, Round
from pb.models.voting import BallotChannel, PaperBallot, PaperEntry
from pb.services import ServiceError
from pb.services.voting import BallotRejected, add_ballot, check_parts, require_voting_open

_SERIAL = re.compile(r"[A-Z0-9][A-Z0-9-]{0,39}")


class PaperRefused(ServiceError):
    pass


def normalize_serial(text: str) -> str:
    """Upper case without spaces; refuses anything but letters, digits and dashes.

    >>> normalize_serial(" ab-12 3 ")
    'AB-123'
    """
    serial = "".join((text or "").split()).upper()
    if not _SERIAL.fullmatch(serial):
        raise PaperRefused(_l("A serial is 1 to 40 letters, digits or dashes, as printed on the ballot."))
    return serial


@dataclass(frozen=True)
class EntryOutcome:
    """``counted`` when this entry made the serial count, ``mismatch`` when it disagrees with
    an earlier entry, ``pending`` when it waits for a second moderator."""

    status: str
    serial: str


def enter_paper_ballot(round_id: int, serial_text: str, area_id: int, project_ids: list[str], *,
                       moderator_id: int, at: datetime) -> EntryOutcome:
    """Record one moderator's keying of a paper ballot (one transaction)."""
    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise PaperRefused(_l("No such round."))
    require_voting_open(round_, at)
    serial = normalize_serial(serial_text)
    area = db.session.get(Area, area_id) if area_id else None
    if area is None or area.round_id != round_id:
        raise PaperRefused(_l("Choose one of this round's areas."))
    # A paper ballot covers one pot: the citywide pot has papers of its own.
    if area.is_citywide:
        parts = _check_citywide(round_, area, project_ids)
    else:
        parts = check_parts(round_, area, {area.id: project_ids})
    chosen = sorted(p.id for part in parts for p in part.projects)
    choices_text = ",".join(str(pid) for pid in chosen)

    try:
        if db.session.get(PaperBallot, (round_id, serial)) is not None:
            raise PaperRefused(_l("Paper ballot %(serial)s has already been counted.", serial=serial))
        earlier = db.session.scalars(
            sa.select(PaperEntry).where(PaperEntry.round_id == round_id, PaperEntry.serial == serial)
            .order_by(PaperEntry.id)
        ).all()
        if any(entry.moderator_id == moderator_id for entry in earlier):
            raise PaperRefused(_l("You have already entered paper ballot %(serial)s. A different moderator must enter it again.",
                                  serial=serial))
        db.session.add(PaperEntry(round_id=round_id, serial=serial, area_id=area.id, choices=choices_text,
                                  moderator_id=moderator_id, entered_at=at))
        db.session.flush()  # the unique (round, serial, moderator) catches a concurrent double
        agreeing = [e for e in earlier if e.area_id == area.id and e.choices == choices_text]
        if agreeing:
            # The serial's row is the lock: a concurrent second agreement fails here.
            db.session.add(PaperBallot(round_id=round_id, serial=serial))
            db.session.flush()
            add_ballot(round_id, area.id, chosen, channel=BallotChannel.PAPER)
            status = "counted"
        else:
            status = "mismatch" if earlier else "pending"
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise PaperRefused(_l("Paper ballot %(serial)s was entered at the same time by someone else. Check the list and try again.",
                              serial=serial)) from None
    except BaseException:
        db.session.rollback()
        raise
    return EntryOutcome(status, serial)


def _check_citywide(round_: Round, area: Area, project_ids: list[str]):
    """Check a citywide paper ballot on its own (it is not tied to a voter's area)."""
    from pb.services.electorate import pot_projects
    from pb.services.voting import BallotPart, _explain, ballot_format, parse_choices
    from voting.ballots import ballot_problems

    chosen = parse_choices(project_ids)
    projects = pot_projects(area)
    costs = {str(p.id): p.cost for p in projects}
    fmt = ballot_format(round_, area)
    raw = ballot_problems(chosen, None, fmt, costs)
    if raw:
        raise BallotRejected(_explain(raw, chosen, costs, fmt, area))
    ordered = tuple(p for p in projects if str(p.id) in set(chosen))
    return [BallotPart(area, ordered, sum(p.cost for p in ordered))]


@dataclass(frozen=True)
class SerialStatus:
    serial: str
    is_counted: bool
    entries: tuple[PaperEntry, ...]

    @property
    def is_mismatch(self) -> bool:
        return not self.is_counted and len(self.entries) >= 2


def paper_overview(round_id: int) -> list[SerialStatus]:
    """Every serial entered in a round with its entries, counted or not (mismatches first)."""
    counted = set(db.session.scalars(sa.select(PaperBallot.serial).where(PaperBallot.round_id == round_id)))
    entries = db.session.scalars(
        sa.select(PaperEntry).where(PaperEntry.round_id == round_id).order_by(PaperEntry.serial, PaperEntry.id)
    ).all()
    by_serial: dict[str, list[PaperEntry]] = {}
    for entry in entries:
        by_serial.setdefault(entry.serial, []).append(entry)
    found = [SerialStatus(serial, serial in counted, tuple(items)) for serial, items in by_serial.items()]
    return sorted(found, key=lambda s: (not s.is_mismatch, s.is_counted, s.serial))
