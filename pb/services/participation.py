"""Who took part, as the published results show it: each pot's counted ballots by channel and,
where the city publishes demographics, by age band.

Only counts are shown, never a ballot. The channel counts are those the audit bundle's
``result.json`` always publishes. Age bands follow the exports' rule
(``EXPORT_DEMOGRAPHICS_MIN_GROUP_SIZE``, off by default): a pot's age breakdown is shown only
when every age band present in it holds at least that many ballots; otherwise it is left out
whole, as the export leaves out a column with a rare value. The ballots with no age band
(voting codes, paper) are then shown as one number: it is the pot's total minus the bands.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from pb.extensions import db
from pb.models import BallotChannel, Round
from pb.models.voting import Ballot
from pb.services.exports import demographics_min_group_size
from pb.services.electorate import AGE_BANDS


@dataclass(frozen=True)
class Participation:
    """One pot's counted ballots by channel (every channel, 0 when none) and, when published,
    by age band (youngest first, only the bands present) with the number of unknown ages."""

    channels: dict[str, int]
    age_bands: list[tuple[str, int]] | None
    age_unknown: int


def participation(round_: Round) -> dict[int, Participation]:
    """Each pot's participation (area id -> :class:`Participation`), from the counted ballots."""
    rows = db.session.execute(
        sa.select(Ballot.area_id, Ballot.channel, Ballot.age_band, sa.func.count())
        .where(Ballot.round_id == round_.id, Ballot.is_counted)
        .group_by(Ballot.area_id, Ballot.channel, Ballot.age_band)
    ).all()
    size = demographics_min_group_size()
    channels: dict[int, dict[str, int]] = {}
    bands: dict[int, dict[str, int]] = {}
    for area_id, channel, band, count in rows:
        per_channel = channels.setdefault(area_id, {c.value: 0 for c in BallotChannel})
        per_channel[BallotChannel(channel).value] += count
        if band is not None:
            per_band = bands.setdefault(area_id, {})
            per_band[band] = per_band.get(band, 0) + count
    result = {}
    for area_id, per_channel in channels.items():
        per_band = bands.get(area_id, {})
        shown = None
        if size is not None and per_band and min(per_band.values()) >= size:
            order = {band: i for i, band in enumerate(AGE_BANDS)}
            shown = sorted(per_band.items(), key=lambda item: order.get(item[0], len(order)))
        result[area_id] = Participation(per_channel, shown, sum(per_channel.values()) - sum(per_band.values()))
    return result
