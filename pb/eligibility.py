"""Who may vote in a round: eligibility rules as data, and one pure check.

A round carries one :class:`EligibilityRule` (or a few alternatives, e.g. "in grades 7-9 *or*
aged 13-16"). :func:`check_eligibility` decides from :class:`Claims`, the facts an identity
provider attests (Suomi.fi: birth date and home municipality; MPASSid: school and grade) or
the voter declares in their profile. Claims never hold a personal identity code: a provider
adapter derives the birth date and drops the code before building them.

Reasons are **codes** (:class:`Reason`), not sentences: this module stays pure (no Flask, no
database) and testable, logs and tests can match on them, and the page translates them at
render time with :func:`pb.eligibility_text.reason_message`, which fills in the rule's
numbers and dates in the visitor's language.

Ages are whole years. ``AgeBasis.ON_DATE`` counts the age reached on the reference date
(usually the last day of voting); ``AgeBasis.IN_YEAR`` is Helsinki's "turns N in the voting
year": the reference year minus the birth year. Someone born on 29 February has their
birthday in other years on 28 February by default (``LeapDay.FEB_28``, following the
end-of-month rule of the Finnish Act on the Calculation of Time Limits 150/1930 § 4 as we
read it), or on 1 March (``LeapDay.MAR_1``) where a round's rules say so.

>>> rule = EligibilityRule(min_age=13, age_basis=AgeBasis.IN_YEAR, reference_date=date(2026, 11, 1),
...                        municipality="049")
>>> check_eligibility(rule, Claims(Channel.IDENTITY, birth_date=date(2013, 12, 31), home_municipality="049")).ok
True
>>> check_eligibility(rule, Claims(Channel.IDENTITY, birth_date=date(2014, 1, 1), home_municipality="091")).reasons
(<Reason.TOO_YOUNG: 'too-young'>, <Reason.WRONG_MUNICIPALITY: 'wrong-municipality'>)
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

__all__ = [
    "AgeBasis",
    "Channel",
    "Claims",
    "Decision",
    "EligibilityError",
    "EligibilityRule",
    "LeapDay",
    "Reason",
    "age_on",
    "check_eligibility",
]

#: Espoo's municipality code in the population register.
ESPOO = "049"
_MUNICIPALITY = re.compile(r"\d{3}")
#: A Finnish personal identity code (DDMMYY, century sign, individual number, check).
_HETU = re.compile(r"\d{6}[-+A-FU-Y]\d{3}[0-9A-Y]")


class EligibilityError(ValueError):
    """An eligibility rule or claim that does not make sense (shown to the administrator)."""


class Channel(StrEnum):
    """How a voter shows they may vote."""

    #: Attested by an identity provider (Suomi.fi, MPASSid, or the local test provider).
    IDENTITY = "identity"
    #: A single-use voting code: eligibility was judged when the codes were handed out.
    CODE = "code"
    #: The voter's own profile (year of birth, home area, school, grade), unverified.
    SELF_DECLARED = "self-declared"


class AgeBasis(StrEnum):
    ON_DATE = "on-date"
    IN_YEAR = "in-year"


class LeapDay(StrEnum):
    """When someone born on 29 February has their birthday in a common year."""

    FEB_28 = "feb-28"
    MAR_1 = "mar-1"


class Reason(StrEnum):
    """Why a voter is not eligible; :func:`pb.eligibility_text.reason_message` translates each."""

    CHANNEL_NOT_ALLOWED = "channel-not-allowed"
    BIRTH_DATE_MISSING = "birth-date-missing"
    #: Only the birth year is known, and the age limit falls within that year.
    BIRTH_DATE_NEEDED = "birth-date-needed"
    TOO_YOUNG = "too-young"
    TOO_OLD = "too-old"
    MUNICIPALITY_MISSING = "municipality-missing"
    WRONG_MUNICIPALITY = "wrong-municipality"
    AREA_MISSING = "area-missing"
    WRONG_AREA = "wrong-area"
    SCHOOL_MISSING = "school-missing"
    WRONG_SCHOOL = "wrong-school"
    GRADE_MISSING = "grade-missing"
    WRONG_GRADE = "wrong-grade"


@dataclass(frozen=True)
class Claims:
    """What is known about a would-be voter, and through which channel.

    ``birth_year`` alone is what a self-declared profile holds; an identity provider gives
    ``birth_date`` (and ``birth_year`` is then derived). ``subject`` is the provider's stable
    opaque id for the person (OIDC ``sub``), used only to build the keyed who-voted
    reference; a personal identity code is refused there.
    """

    channel: Channel
    birth_date: date | None = None
    birth_year: int | None = None
    home_municipality: str | None = None
    home_area: str | None = None
    school: str | None = None
    grade: int | None = None
    provider: str = ""
    subject: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.channel, Channel):
            object.__setattr__(self, "channel", Channel(self.channel))
        if self.birth_date is not None:
            if not isinstance(self.birth_date, date):
                raise EligibilityError("birth_date must be a date")
            if self.birth_year is None:
                object.__setattr__(self, "birth_year", self.birth_date.year)
            elif self.birth_year != self.birth_date.year:
                raise EligibilityError("birth_year and birth_date disagree")
        if self.birth_year is not None and (
            isinstance(self.birth_year, bool) or not isinstance(self.birth_year, int)
        ):
            raise EligibilityError("birth_year must be an integer")
        if self.grade is not None and (isinstance(self.grade, bool) or not isinstance(self.grade, int)):
            raise EligibilityError("grade must be an integer")
        if _HETU.fullmatch((self.subject or "").rsplit("|", 1)[-1].strip().upper()):
            raise EligibilityError("a personal identity code must not be used as the subject")


@dataclass(frozen=True)
class Decision:
    """The answer: ``ok``, or the reasons (in a stable order) why not."""

    ok: bool
    reasons: tuple[Reason, ...] = ()

    def __bool__(self) -> bool:
        return self.ok


def _frozen_strings(value: Iterable[str] | None, what: str) -> frozenset[str]:
    if value is None:
        return frozenset()
    if isinstance(value, str):
        raise EligibilityError(f"{what} must be a collection of codes, not one string")
    items = frozenset(value)
    if not all(isinstance(item, str) and item.strip() == item and item for item in items):
        raise EligibilityError(f"{what} must be non-empty codes without surrounding spaces")
    return items


def _optional_int(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise EligibilityError(f"{what} must be a whole number")
    return value


@dataclass(frozen=True)
class EligibilityRule:
    """A round's eligibility criteria; every criterion that is set must hold.

    Empty ``areas`` or ``schools`` and ``None`` limits mean "no restriction". Age limits
    need a ``reference_date``. ``channels`` lists the ways a voter may show eligibility;
    a code holder is eligible by holding the code (the criteria were applied when the codes
    were handed out), the other channels are checked against the criteria.
    """

    channels: frozenset[Channel] = frozenset({Channel.IDENTITY})
    min_age: int | None = None
    max_age: int | None = None
    age_basis: AgeBasis = AgeBasis.ON_DATE
    reference_date: date | None = None
    leap_day: LeapDay = LeapDay.FEB_28
    #: Three-digit municipality code from the population register (Espoo: "049").
    municipality: str | None = None
    areas: frozenset[str] = field(default_factory=frozenset)
    schools: frozenset[str] = field(default_factory=frozenset)
    min_grade: int | None = None
    max_grade: int | None = None

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        channels = self.channels
        if isinstance(channels, str):
            channels = (channels,)
        try:
            set_(self, "channels", frozenset(Channel(c) for c in channels))
            set_(self, "age_basis", AgeBasis(self.age_basis))
            set_(self, "leap_day", LeapDay(self.leap_day))
        except ValueError as error:
            raise EligibilityError(str(error)) from None
        if not self.channels:
            raise EligibilityError("a round needs at least one way to vote")
        for name in ("min_age", "max_age", "min_grade", "max_grade"):
            _optional_int(getattr(self, name), name)
        if self.min_age is not None and not 0 <= self.min_age <= 150:
            raise EligibilityError("min_age must be between 0 and 150")
        if self.max_age is not None and not 0 <= self.max_age <= 150:
            raise EligibilityError("max_age must be between 0 and 150")
        if None not in (self.min_age, self.max_age) and self.min_age > self.max_age:
            raise EligibilityError("min_age is above max_age")
        if (self.min_age is not None or self.max_age is not None) and not isinstance(
            self.reference_date, date
        ):
            raise EligibilityError("age limits need a reference date")
        for name in ("min_grade", "max_grade"):
            value = getattr(self, name)
            if value is not None and not 0 <= value <= 13:
                raise EligibilityError(f"{name} must be between 0 and 13")
        if None not in (self.min_grade, self.max_grade) and self.min_grade > self.max_grade:
            raise EligibilityError("min_grade is above max_grade")
        if self.municipality is not None and not (
            isinstance(self.municipality, str) and _MUNICIPALITY.fullmatch(self.municipality)
        ):
            raise EligibilityError("municipality must be a three-digit code such as 049")
        set_(self, "areas", _frozen_strings(self.areas, "areas"))
        set_(self, "schools", _frozen_strings(self.schools, "schools"))

    @property
    def has_age_limit(self) -> bool:
        return self.min_age is not None or self.max_age is not None

    @property
    def has_grade_limit(self) -> bool:
        return self.min_grade is not None or self.max_grade is not None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, stable (sorted sets) for the frozen round configuration."""
        return {
            "channels": sorted(self.channels),
            "min_age": self.min_age,
            "max_age": self.max_age,
            "age_basis": str(self.age_basis),
            "reference_date": self.reference_date.isoformat() if self.reference_date else None,
            "leap_day": str(self.leap_day),
            "municipality": self.municipality,
            "areas": sorted(self.areas),
            "schools": sorted(self.schools),
            "min_grade": self.min_grade,
            "max_grade": self.max_grade,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EligibilityRule:
        """Inverse of :meth:`to_dict`; unknown keys are refused."""
        if not isinstance(data, Mapping):
            raise EligibilityError("an eligibility rule is a mapping")
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise EligibilityError(f"unknown eligibility settings: {', '.join(sorted(map(str, unknown)))}")
        values = dict(data)
        ref = values.get("reference_date")
        if isinstance(ref, str):
            try:
                values["reference_date"] = date.fromisoformat(ref)
            except ValueError:
                raise EligibilityError("reference_date must be a date YYYY-MM-DD") from None
        for name in ("areas", "schools", "channels"):
            if name in values and values[name] is not None and not isinstance(values[name], str):
                values[name] = frozenset(values[name])
        return cls(**values)


def birthday_in(year: int, birth: date, leap_day: LeapDay = LeapDay.FEB_28) -> date:
    """The date of the birthday of someone born on ``birth`` in ``year``."""
    if (birth.month, birth.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28) if leap_day is LeapDay.FEB_28 else date(year, 3, 1)
    return date(year, birth.month, birth.day)


def age_on(birth: date, on: date, leap_day: LeapDay = LeapDay.FEB_28) -> int:
    """Whole years of age on ``on`` (negative before birth).

    >>> age_on(date(2012, 2, 29), date(2025, 2, 28)), age_on(date(2012, 2, 29), date(2025, 2, 28), LeapDay.MAR_1)
    (13, 12)
    """
    years = on.year - birth.year
    if on < birthday_in(on.year, birth, leap_day):
        years -= 1
    return years


def _age_range(rule: EligibilityRule, claims: Claims) -> tuple[int, int] | None:
    """The youngest and oldest age the claims allow, on the rule's basis."""
    ref = rule.reference_date
    assert ref is not None
    if rule.age_basis is AgeBasis.IN_YEAR:
        year = claims.birth_year
        return None if year is None else (ref.year - year, ref.year - year)
    if claims.birth_date is not None:
        age = age_on(claims.birth_date, ref, rule.leap_day)
        return age, age
    if claims.birth_year is not None:
        # Age falls with a later birthday: born 31 December is the youngest that year can be.
        year = claims.birth_year
        youngest = age_on(date(year, 12, 31), ref, rule.leap_day)
        oldest = age_on(date(year, 1, 1), ref, rule.leap_day)
        return youngest, oldest
    return None


def _age_reasons(rule: EligibilityRule, claims: Claims) -> list[Reason]:
    span = _age_range(rule, claims)
    if span is None:
        return [Reason.BIRTH_DATE_MISSING]
    youngest, oldest = span
    low = rule.min_age if rule.min_age is not None else -(10**9)
    high = rule.max_age if rule.max_age is not None else 10**9
    if low <= youngest and oldest <= high:
        return []
    if oldest < low:
        return [Reason.TOO_YOUNG]
    if youngest > high:
        return [Reason.TOO_OLD]
    # Some birthdays in the year are eligible and some are not.
    return [Reason.BIRTH_DATE_NEEDED]


def _check_one(rule: EligibilityRule, claims: Claims) -> Decision:
    if claims.channel not in rule.channels:
        return Decision(False, (Reason.CHANNEL_NOT_ALLOWED,))
    if claims.channel is Channel.CODE:
        return Decision(True)
    reasons: list[Reason] = []
    if rule.has_age_limit:
        reasons += _age_reasons(rule, claims)
    if rule.municipality is not None:
        if not claims.home_municipality:
            reasons.append(Reason.MUNICIPALITY_MISSING)
        elif claims.home_municipality != rule.municipality:
            reasons.append(Reason.WRONG_MUNICIPALITY)
    if rule.areas:
        if not claims.home_area:
            reasons.append(Reason.AREA_MISSING)
        elif claims.home_area not in rule.areas:
            reasons.append(Reason.WRONG_AREA)
    if rule.schools:
        if not claims.school:
            reasons.append(Reason.SCHOOL_MISSING)
        elif claims.school not in rule.schools:
            reasons.append(Reason.WRONG_SCHOOL)
    if rule.has_grade_limit:
        if claims.grade is None:
            reasons.append(Reason.GRADE_MISSING)
        elif (rule.min_grade is not None and claims.grade < rule.min_grade) or (
            rule.max_grade is not None and claims.grade > rule.max_grade
        ):
            reasons.append(Reason.WRONG_GRADE)
    return Decision(not reasons, tuple(reasons))


def check_eligibility(rule: EligibilityRule | Sequence[EligibilityRule], claims: Claims) -> Decision:
    """Whether ``claims`` satisfy ``rule``, or any one of several alternative rules.

    With alternatives the voter is eligible if one of them is met; otherwise the reasons of
    every alternative are returned (each once, in order), so the page can say all that is
    missing.
    """
    if not isinstance(claims, Claims):
        raise TypeError("claims must be a Claims")
    rules = [rule] if isinstance(rule, EligibilityRule) else list(rule)
    if not rules or not all(isinstance(r, EligibilityRule) for r in rules):
        raise TypeError("rule must be an EligibilityRule or a non-empty sequence of them")
    reasons: list[Reason] = []
    for one in rules:
        decision = _check_one(one, claims)
        if decision.ok:
            return decision
        reasons += [r for r in decision.reasons if r not in reasons]
    return Decision(False, tuple(reasons))
