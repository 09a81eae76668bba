"""A round's areas: the pots with their own budgets, the citywide pot, and the schools whose
pupils vote in each area.

Areas are part of the configuration frozen when voting opens: every change here refuses once
the round is frozen (:func:`pb.services.rounds.ensure_not_frozen`).
"""

from __future__ import annotations

import json
import re
from typing import Any, Mapping

from flask_babel import lazy_gettext as _l

from pb.extensions import db
from pb.models import Area, Round, User
from pb.services import ServiceError, transaction
from pb.services.audit_log import record, snapshot
from pb.services.rounds import _text, ensure_not_frozen, whole_number

AREA_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,39}")
#: A school's code as a school login attests it: a number, an OID or a short name.
SCHOOL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,39}")
#: At most this many schools per area.
SCHOOLS_MAX = 500
AREA_FIELDS = ("code", "name_fi", "name_sv", "name_en", "budget", "is_citywide", "schools")


def clean_schools(value: Any) -> str | None:
    """School codes (a list, or text separated by commas, spaces or lines) as the stored
    sorted JSON list without repeats; None when there are none."""
    if value is None:
        return None
    if isinstance(value, str):
        codes = [c for c in re.split(r"[\s,;]+", value) if c]
    elif isinstance(value, (list, tuple)) and all(isinstance(c, str) for c in value):
        codes = [c.strip() for c in value if c.strip()]
    else:
        raise ServiceError(_l("List the schools as codes separated by commas or on their own lines."))
    for code in codes:
        if not SCHOOL_CODE.fullmatch(code):
            raise ServiceError(_l("%(code)s is not a school code: use letters, digits, dots, colons, "
                                  "hyphens and underscores, at most 40.", code=code[:50]))
    codes = sorted(set(codes))
    if len(codes) > SCHOOLS_MAX:
        raise ServiceError(_l("An area can list at most %(count)d schools.", count=SCHOOLS_MAX))
    return json.dumps(codes, separators=(",", ":")) if codes else None


def area_of_school(round_: Round, school: str | None) -> Area | None:
    """The area of the round that lists this school, if any."""
    if not school:
        return None
    return next((area for area in round_.areas if not area.is_citywide and school in area.school_codes), None)


def _clean_area(round_: Round, values: Mapping[str, Any], current: Area | None) -> dict[str, Any]:
    unknown = set(values) - set(AREA_FIELDS)
    if unknown:
        raise ServiceError(_l("Unknown area setting: %(name)s.", name=", ".join(sorted(unknown))[:80]))
    clean: dict[str, Any] = {}
    if "code" in values:
        code = _text(values["code"], _l("Code"), required=True, limit=40)
        if not AREA_CODE.fullmatch(code):
            raise ServiceError(_l("The code may hold only lowercase letters a-z, digits and hyphens."))
        clean["code"] = code
    for name, label in (("name_fi", _l("Name (Finnish)")), ("name_sv", _l("Name (Swedish)")), ("name_en", _l("Name (English)"))):
        if name in values:
            clean[name] = _text(values[name], label, required=name == "name_fi")
    if "budget" in values:
        clean["budget"] = whole_number(values["budget"], _l("Budget"))
    if "is_citywide" in values:
        clean["is_citywide"] = bool(values["is_citywide"])
    if "schools" in values:
        clean["schools"] = clean_schools(values["schools"])
    others = [a for a in round_.areas if a is not current]
    if clean.get("schools"):
        for other in others:
            shared = sorted(set(json.loads(clean["schools"])) & set(other.school_codes))
            if shared:
                raise ServiceError(_l("School %(school)s is already in area %(area)s: a school's pupils "
                                      "vote in one area.", school=shared[0], area=other.code))
    if "code" in clean and any(a.code == clean["code"] for a in others):
        raise ServiceError(_l("The round already has an area with this code."))
    citywide = clean.get("is_citywide", current.is_citywide if current is not None else False)
    if citywide and clean.get("schools", current.schools if current is not None else None):
        raise ServiceError(_l("The citywide pot cannot list schools: list them in their own areas."))
    if clean.get("is_citywide") and any(a.is_citywide for a in others):
        raise ServiceError(_l("The round already has a citywide pot."))
    return clean


@transaction
def add_area(actor: User, round_: Round, values: Mapping[str, Any]) -> Area:
    """Add an area (or the citywide pot) with its budget."""
    ensure_not_frozen(round_, _l("the areas and budgets"))
    clean = _clean_area(round_, values, None)
    for name in ("code", "name_fi", "budget"):
        if clean.get(name) is None:
            raise ServiceError(_l("Give the area a code, a Finnish name and a budget."))
    area = Area(round=round_, **clean)
    db.session.add(area)
    db.session.flush()
    record(actor, "area.create", area, None, snapshot(area, AREA_FIELDS))
    db.session.commit()
    return area


@transaction
def update_area(actor: User, area: Area, values: Mapping[str, Any]) -> Area:
    """Change an area's code, names, budget, citywide flag or schools."""
    round_ = area.round
    clean = _clean_area(round_, values, area)
    changed = {name: v for name, v in clean.items() if getattr(area, name) != v}
    if not changed:
        return area
    ensure_not_frozen(round_, _l("the areas and budgets"))
    before = snapshot(area, changed)
    for name, value in changed.items():
        setattr(area, name, value)
    record(actor, "area.update", area, before, snapshot(area, changed))
    db.session.commit()
    return area


@transaction
def delete_area(actor: User, area: Area) -> None:
    """Remove an area that holds no proposals or projects."""
    ensure_not_frozen(area.round, _l("the areas and budgets"))
    if area.proposals or area.projects:
        raise ServiceError(_l("The area has proposals or projects; move or remove them first."))
    record(actor, "area.delete", area, snapshot(area, AREA_FIELDS), None)
    db.session.delete(area)
    db.session.commit()


def area_of_round(round_: Round, area_id: Any) -> Area:
    """The round's area with this id; a forged id or another round's area is refused."""
    try:
        area_id = int(area_id)
    except (TypeError, ValueError):
        raise ServiceError(_l("Choose an area of this round.")) from None
    area = db.session.get(Area, area_id) if 0 < area_id < 2**31 else None
    if area is None or area.round_id != round_.id:
        raise ServiceError(_l("Choose an area of this round."))
    return area
