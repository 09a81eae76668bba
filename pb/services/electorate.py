"""Who may vote in a round, how, and on which ballot papers: the round's eligibility rules
(a self-declared round also accepts accounts), the area a voter is assigned (by school, else
by home area), the pots of a ballot and their projects, and the coarse age band kept for
demographics. Read-only: nothing here writes.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import sqlalchemy as sa

from pb.eligibility import Channel, Claims, EligibilityRule, check_eligibility
from pb.extensions import db
from pb.models import Area, Project, Round
from pb.services.areas import area_of_school


def eligibility_rules(round_: Round) -> list[EligibilityRule]:
    """The round's eligibility rules (alternatives); a self-declared round also accepts
    email accounts."""
    rules = round_.eligibility_rules() or [EligibilityRule()]
    if round_.is_self_declared:
        rules = [replace(rule, channels=rule.channels | {Channel.SELF_DECLARED}) for rule in rules]
    return rules


def accepted_channels(round_: Round) -> frozenset[Channel]:
    """Every way a voter may show they may vote in this round."""
    return frozenset().union(*(rule.channels for rule in eligibility_rules(round_)))


def voting_areas(round_: Round) -> list[Area]:
    """The areas a voter may vote in (the citywide pot is added to every ballot)."""
    return [area for area in round_.areas if not area.is_citywide]


def citywide_area(round_: Round) -> Area | None:
    return next((area for area in round_.areas if area.is_citywide), None)


def ballot_pots(round_: Round, area: Area) -> list[Area]:
    """The pots of a ballot in ``area``: the area, then the citywide pot if the round has one."""
    pots = [area]
    citywide = citywide_area(round_)
    if citywide is not None and citywide.id != area.id:
        pots.append(citywide)
    return pots


def pot_projects(area: Area) -> list[Project]:
    """The projects on the ballot paper of one pot, in ballot order."""
    return list(
        db.session.scalars(
            sa.select(Project).where(Project.area_id == area.id).order_by(Project.position, Project.id)
        )
    )


def assigned_area(round_: Round, claims: Claims | None) -> Area | None:
    """The area a voter is assigned: the area that lists their school (a pupil votes in the
    area of their school), else the area of their home area claim when the round's
    eligibility limits home areas; otherwise (None) the voter chooses."""
    if claims is None:
        return None
    by_school = area_of_school(round_, claims.school)
    if by_school is not None:
        return by_school
    if not claims.home_area:
        return None
    if not any(rule.areas for rule in eligibility_rules(round_)):
        return None
    return next((a for a in voting_areas(round_) if a.code == claims.home_area), None)


#: The coarse age bands of ballots (by the age reached in the voting year), youngest first.
AGE_BANDS = ("under-13", "13-16", "17", "18-29", "30-44", "45-64", "65+")


def age_band(claims: Claims | None, on: date) -> str | None:
    """A coarse age band for demographics (None when the age is not known)."""
    if claims is None or claims.birth_year is None:
        return None
    age = on.year - claims.birth_year  # age reached this year: coarse on purpose
    for upper, band in zip((12, 16, 17, 29, 44, 64), AGE_BANDS):
        if age <= upper:
            return band
    return AGE_BANDS[-1]


def check_eligible(round_: Round, claims: Claims):
    """The eligibility decision for ``claims`` under the round's rule."""
    return check_eligibility(eligibility_rules(round_), claims)
