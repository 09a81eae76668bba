"""Rounds: configuration, areas and the rule freeze (phases: :mod:`pb.services.round_phases`).

Configuration that voters and the count depend on (ballot format, budgets, areas, projects
and their costs, the rule, its options, the tie chain, who may vote) is frozen when voting
opens: the canonical JSON of :func:`frozen_config` is stored with its SHA-256 digest, and
every service that would change any of it refuses from then on (:func:`ensure_not_frozen`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from pb import security
from pb.eligibility import EligibilityError, EligibilityRule
from pb.extensions import db
from pb.models import Area, BallotKind, Phase, Round, RoundKind, User
from pb.services import ServiceError, clean_text, transaction
from pb.services.audit_log import record, snapshot
from voting import BallotFormat, Ballot, Election, TieChain, VoteType, canonical_json
from voting import Project as CoreProject
from voting.errors import VotingError
from voting.rules import RULES, rule_options as rule_option_names, tally
from voting.tiebreak import DEFAULT_CHAINS, TieBreakError

NAME_MAX = 200
TEXT_MAX = 5000
#: Whole euros: a budget or cost above this is a typing error, not a plan.
AMOUNT_MAX = 10**12

#: Round settings frozen when voting opens (with areas, budgets and projects).
FROZEN_ROUND_FIELDS = (
    "kind",
    "ballot_kind",
    "min_choices",
    "max_choices",
    "min_spend_percent",
    "rule",
    "rule_options",
    "tie_break",
    "allow_replace",
    "eligibility",
    "is_self_declared",
)
TEXT_FIELDS = ("name_fi", "name_sv", "name_en", "description_fi", "description_sv", "description_en")
DATE_FIELDS = ("proposals_open_at", "proposals_close_at", "voting_opens_at", "voting_closes_at", "results_at")
OTHER_FIELDS = ("public_ballots", "who_voted_retention_days", "confirming_body")
ROUND_FIELDS = ("name_fi", *TEXT_FIELDS[1:], *DATE_FIELDS, *FROZEN_ROUND_FIELDS, *OTHER_FIELDS)


# Validation ------------------------------------------------------------------------------


def _text(value: Any, label, *, required: bool = False, limit: int = NAME_MAX) -> str | None:
    return clean_text(value, label, required=required, limit=limit)


def whole_number(value: Any, label, *, minimum: int = 0, maximum: int = AMOUNT_MAX, optional: bool = False) -> int | None:
    """``value`` as an int within the bounds (bools and floats refused), or a ServiceError."""
    if value is None or value == "":
        if optional:
            return None
        raise ServiceError(_l("%(field)s is required.", field=label))
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ServiceError(_l("%(field)s must be a whole number.", field=label))
    if isinstance(value, str):
        text = value.strip().replace(" ", "").replace("\u00a0", "")
        if not re.fullmatch(r"-?\d{1,15}", text):
            raise ServiceError(_l("%(field)s must be a whole number.", field=label))
        value = int(text)
    if not minimum <= value <= maximum:
        raise ServiceError(
            _l("%(field)s must be between %(low)d and %(high)d.", field=label, low=minimum, high=maximum)
        )
    return value


def _aware(value: Any, label) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ServiceError(_l("%(field)s must be a date and time.", field=label))
    return value


def validate_rule(rule: Any, options: Any, tie_break: Any) -> tuple[str, str, str]:
    """The rule name, canonical options JSON and tie chain text, checked by ``voting`` itself
    (the rule runs once on a one-project election, so an option the rule refuses is found
    now rather than at the count)."""
    if rule not in RULES:
        raise ServiceError(_l("Unknown tally rule %(rule)s.", rule=str(rule)[:40]))
    if isinstance(options, str):
        try:
            options = json.loads(options or "{}")
        except ValueError:
            raise ServiceError(_l("The rule options are not valid JSON.")) from None
    if not isinstance(options, Mapping):
        raise ServiceError(_l("The rule options must be a JSON object."))
    allowed = set(rule_option_names(rule))
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise ServiceError(
            _l(
                "Rule %(rule)s has no option %(option)s (its options: %(allowed)s).",
                rule=rule,
                option=", ".join(map(str, unknown))[:80],
                allowed=", ".join(sorted(allowed)) or "-",
            )
        )
    if any(not isinstance(v, (str, int, bool)) or isinstance(v, float) for v in options.values()):
        raise ServiceError(_l("Rule options must be text, whole numbers or true/false."))
    text = tie_break if isinstance(tie_break, str) and tie_break.strip() else DEFAULT_CHAINS[rule]
    try:
        chain = TieChain.parse(text.strip())
        election = Election(1, {"1": CoreProject("1", 1)}, [Ballot("v", ("1",))])
        tally(election, rule, tie_break=chain, **dict(options))
    except (TieBreakError, VotingError, TypeError, ValueError) as error:
        raise ServiceError(_l("The rule settings are refused: %(error)s", error=str(error)[:200])) from None
    return rule, canonical_json(dict(options)).rstrip("\n"), str(chain)


def validate_eligibility(value: Any) -> str:
    """Canonical JSON of one ``EligibilityRule`` or a list of alternatives."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ServiceError(_l("The eligibility settings are not valid JSON.")) from None
    if isinstance(value, EligibilityRule):
        value = value.to_dict()
    items = value if isinstance(value, list) else [value]
    if not items:
        raise ServiceError(_l("Give at least one eligibility rule."))
    try:
        rules = [item if isinstance(item, EligibilityRule) else EligibilityRule.from_dict(item) for item in items]
    except (EligibilityError, TypeError) as error:
        raise ServiceError(_l("The eligibility settings are refused: %(error)s", error=str(error)[:200])) from None
    data = [r.to_dict() for r in rules]
    return canonical_json(data if isinstance(value, list) else data[0]).rstrip("\n")


def youth_defaults(year: int) -> dict[str, Any]:
    """ManiMiitti: pupils in grades 7-9 or young people turning 13-16 in the year, code or
    school login, an approval ballot of up to 5 projects, results confirmed by a panel."""
    channels = ["code", "identity"]
    return {
        "ballot_kind": BallotKind.APPROVAL,
        "min_choices": 1,
        "max_choices": 5,
        "eligibility": [
            {"channels": channels, "min_grade": 7, "max_grade": 9},
            {
                "channels": channels,
                "min_age": 13,
                "max_age": 16,
                "age_basis": "in-year",
                "reference_date": date(year, 12, 31).isoformat(),
            },
        ],
        "confirming_body": "Nuorten paneeli / Youth panel",
    }


def _clean_round(values: Mapping[str, Any], current: Round | None) -> dict[str, Any]:
    """Checked values for the given round fields (the others are left alone)."""
    unknown = set(values) - set(ROUND_FIELDS)
    if unknown:
        raise ServiceError(_l("Unknown round setting: %(name)s.", name=", ".join(sorted(unknown))[:80]))
    labels = {
        "name_fi": _l("Name (Finnish)"), "name_sv": _l("Name (Swedish)"), "name_en": _l("Name (English)"),
        "description_fi": _l("Description (Finnish)"), "description_sv": _l("Description (Swedish)"),
        "description_en": _l("Description (English)"),
    }
    clean: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        if name in values:
            limit = TEXT_MAX if name.startswith("description") else NAME_MAX
            clean[name] = _text(values[name], labels[name], required=name == "name_fi", limit=limit)
    for name in DATE_FIELDS:
        if name in values:
            clean[name] = _aware(values[name], name.replace("_", " "))
    if "kind" in values:
        try:
            clean["kind"] = RoundKind(values["kind"])
        except ValueError:
            raise ServiceError(_l("Unknown round kind.")) from None
    if "ballot_kind" in values:
        try:
            clean["ballot_kind"] = BallotKind(values["ballot_kind"])
        except ValueError:
            raise ServiceError(_l("Unknown ballot format.")) from None
    if "min_choices" in values:
        clean["min_choices"] = whole_number(values["min_choices"], _l("Minimum choices"), maximum=1000)
    if "max_choices" in values:
        clean["max_choices"] = whole_number(values["max_choices"], _l("Maximum choices"), minimum=1, maximum=1000, optional=True)
    if "min_spend_percent" in values:
        clean["min_spend_percent"] = whole_number(values["min_spend_percent"], _l("Minimum share of the budget"), maximum=100)
    if {"rule", "rule_options", "tie_break"} & set(values):
        rule = values.get("rule", current.rule if current else "greedy")
        options = values.get("rule_options", current.rule_options if current and "rule" not in values else {})
        tie_break = values.get("tie_break", current.tie_break if current and "rule" not in values else None)
        clean["rule"], clean["rule_options"], clean["tie_break"] = validate_rule(rule, options, tie_break)
    if "eligibility" in values:
        clean["eligibility"] = validate_eligibility(values["eligibility"])
    for name in ("allow_replace", "is_self_declared", "public_ballots"):
        if name in values:
            clean[name] = bool(values[name])
    if "who_voted_retention_days" in values:
        clean["who_voted_retention_days"] = whole_number(values["who_voted_retention_days"], _l("Appeal period in days"), maximum=3650)
    if "confirming_body" in values:
        clean["confirming_body"] = _text(values["confirming_body"], _l("Confirming body"))

    merged = {name: getattr(current, name) if current else None for name in ROUND_FIELDS}
    merged.update(clean)
    low, high = merged.get("min_choices") or 0, merged.get("max_choices")
    if high is not None and high < low:
        raise ServiceError(_l("The maximum number of choices is below the minimum."))
    dates = [(name, merged[name]) for name in DATE_FIELDS if merged.get(name) is not None]
    for (first, a), (second, b) in zip(dates, dates[1:]):
        if b < a or (first == "voting_opens_at" and second == "voting_closes_at" and b == a):
            raise ServiceError(_l("The phase dates are not in order: each phase must start after the one before."))
    return clean


# Freeze ----------------------------------------------------------------------------------


def ballot_format(round_: Round, area: Area) -> BallotFormat:
    """The ``voting`` ballot format of one pot: the same check at cast time and at count."""
    if round_.ballot_kind is BallotKind.KNAPSACK:
        minimum = -(-area.budget * round_.min_spend_percent // 100) if round_.min_spend_percent else None
        return BallotFormat(
            VoteType.APPROVAL,
            min_length=round_.min_choices or None,
            max_length=round_.max_choices,
            min_sum_cost=minimum,
            max_sum_cost=area.budget,
        )
    return BallotFormat(VoteType.APPROVAL, min_length=round_.min_choices or None, max_length=round_.max_choices)


def frozen_config(round_: Round) -> dict[str, Any]:
    """The canonical configuration that voting opens under: areas with budgets and their
    projects with costs, the ballot format, rule, options, tie chain and eligibility."""
    areas = []
    for area in sorted(round_.areas, key=lambda a: a.id):
        fmt = ballot_format(round_, area)
        projects = sorted(area.projects, key=lambda p: (p.position, p.id))
        areas.append(
            {
                "id": str(area.id),
                "code": area.code,
                "name": {"fi": area.name_fi, "sv": area.name_sv, "en": area.name_en},
                "budget": area.budget,
                "is_citywide": area.is_citywide,
                # only when set, so that rounds frozen before areas had schools keep their digest
                **({"schools": area.school_codes} if area.schools else {}),
                "ballot_format": {
                    "vote_type": fmt.vote_type.value,
                    "min_length": fmt.min_length,
                    "max_length": fmt.max_length,
                    "min_sum_cost": fmt.min_sum_cost,
                    "max_sum_cost": fmt.max_sum_cost,
                },
                "projects": [
                    {
                        "id": str(p.id),
                        "cost": p.cost,
                        "title": {"fi": p.title_fi, "sv": p.title_sv, "en": p.title_en},
                        "category": p.category,
                    }
                    for p in projects
                ],
            }
        )
    return {
        "round": str(round_.id),
        "kind": RoundKind(round_.kind).value,
        "ballot": {
            "kind": BallotKind(round_.ballot_kind).value,
            "min_choices": round_.min_choices,
            "max_choices": round_.max_choices,
            "min_spend_percent": round_.min_spend_percent,
        },
        "rule": round_.rule,
        "rule_options": json.loads(round_.rule_options or "{}"),
        "tie_break": round_.tie_break,
        "eligibility": json.loads(round_.eligibility or "{}"),
        "allow_replace": round_.allow_replace,
        "is_self_declared": round_.is_self_declared,
        "areas": areas,
    }


def config_digest(config: Mapping[str, Any]) -> str:
    """SHA-256 hex of the canonical JSON (as ``voting.canonical_json`` writes it)."""
    return hashlib.sha256(canonical_json(config).encode("utf-8")).hexdigest()


def ensure_not_frozen(round_: Round, what) -> None:
    """Refuse any change to frozen configuration once voting has opened."""
    if round_.frozen_at is not None:
        raise ServiceError(
            _l(
                "Voting has opened, so %(what)s can no longer be changed: the rules were frozen "
                "with configuration digest %(digest)s.",
                what=what,
                digest=round_.config_digest,
            )
        )


# Rounds and areas ------------------------------------------------------------------------


@transaction
def create_round(actor: User, values: Mapping[str, Any]) -> Round:
    """Create a round; a youth round starts from the youth defaults."""
    values = dict(values)
    kind = values.get("kind", RoundKind.CITY)
    if getattr(kind, "value", kind) == RoundKind.YOUTH.value:
        for name, default in youth_defaults(security.now().year).items():
            values.setdefault(name, default)
    values.setdefault("rule", "greedy")
    clean = _clean_round(values, None)
    if not clean.get("name_fi"):
        raise ServiceError(_l("%(field)s is required.", field=_l("Name (Finnish)")))
    round_ = Round(**clean)
    round_.phase = Phase.PROPOSALS
    db.session.add(round_)
    db.session.flush()
    record(actor, "round.create", round_, None, snapshot(round_, ROUND_FIELDS))
    db.session.commit()
    return round_


def _same_eligibility(stored: str, new: str) -> bool:
    """Whether two eligibility texts mean the same rules (the stored one may be short-hand)."""
    try:
        return validate_eligibility(stored) == new
    except ServiceError:
        return False


@transaction
def update_round(actor: User, round_: Round, values: Mapping[str, Any]) -> Round:
    """Change round settings; frozen settings are refused once voting has opened."""
    clean = _clean_round(values, round_)
    changed = {name: v for name, v in clean.items() if getattr(round_, name) != v}
    if "eligibility" in changed and _same_eligibility(round_.eligibility, changed["eligibility"]):
        del changed["eligibility"]
    frozen_changes = set(changed) & set(FROZEN_ROUND_FIELDS)
    if frozen_changes:
        ensure_not_frozen(round_, _l("the ballot format, rule, tie-break or eligibility"))
    if set(changed) & {"proposals_open_at", "proposals_close_at", "voting_opens_at"}:
        ensure_not_frozen(round_, _l("the dates of the phases before voting"))
    if not changed:
        return round_
    before = snapshot(round_, changed)
    for name, value in changed.items():
        setattr(round_, name, value)
    record(actor, "round.update", round_, before, snapshot(round_, changed))
    db.session.commit()
    return round_
