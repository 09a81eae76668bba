"""What the eligibility rules say to a visitor, in the visitor's language.

:mod:`pb.eligibility` decides with codes (:class:`~pb.eligibility.Reason`) and stays pure;
this module turns the codes and the rules into sentences with Flask-Babel: why a voter may
not vote (:func:`reason_messages`) and who may (:func:`rule_summary`, on the round's page).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from flask_babel import format_date, get_locale
from flask_babel import gettext as _

from pb.eligibility import AgeBasis, Channel, Claims, EligibilityRule, Reason, check_eligibility

#: Names of the capital region's municipalities by their code in the population register,
#: in Finnish and in Swedish (English uses the Finnish name).
MUNICIPALITIES = {
    "049": ("Espoo", "Esbo"),
    "091": ("Helsinki", "Helsingfors"),
    "092": ("Vantaa", "Vanda"),
    "235": ("Kauniainen", "Grankulla"),
}


def municipality_name(code: str) -> str | None:
    """The municipality's name in the active language, or None when this module does not know it."""
    names = MUNICIPALITIES.get(code)
    if names is None:
        return None
    locale = get_locale()
    return names[1] if locale is not None and locale.language == "sv" else names[0]


def reason_messages(rules: Sequence[EligibilityRule], claims: Claims) -> list[str]:
    """Why *claims* meet none of the alternative *rules*, as sentences (none when one is met):
    each reason in the words of the alternative that gave it (with that alternative's limits),
    each sentence once.

    A youth round's "grades 7-9 *or* turning 13-16" tells a pupil in grade 6 who turns 12 both
    that the grades are 7-9 and that voters must turn at least 13.
    """
    decisions = [(rule, check_eligibility(rule, claims)) for rule in rules]
    if any(decision.ok for _rule, decision in decisions):
        return []
    messages: list[str] = []
    for rule, decision in decisions:
        for reason in decision.reasons:
            text = reason_message(reason, rule)
            if text not in messages:
                messages.append(text)
    return messages


def reason_message(reason: Reason, rule: EligibilityRule) -> str:
    """The reason as a sentence in the active language, with the rule's limits filled in."""
    ref = format_date(rule.reference_date, "long") if rule.reference_date else ""
    year = rule.reference_date.year if rule.reference_date else 0
    low, high = rule.min_age, rule.max_age
    in_year = rule.age_basis is AgeBasis.IN_YEAR
    if reason is Reason.CHANNEL_NOT_ALLOWED:
        return _("This round does not accept this way of voting.")
    if reason is Reason.BIRTH_DATE_MISSING:
        return _("Your date of birth is needed to check the age limit.")
    if reason is Reason.BIRTH_DATE_NEEDED:
        return _("Your year of birth is not enough to check the age limit: please identify yourself.")
    if reason is Reason.TOO_YOUNG:
        if in_year:
            return _("Voters must turn at least %(age)d during %(year)d.", age=low, year=year)
        return _("Voters must be at least %(age)d years old on %(date)s.", age=low, date=ref)
    if reason is Reason.TOO_OLD:
        if in_year:
            return _("Voters must turn at most %(age)d during %(year)d.", age=high, year=year)
        return _("Voters must be at most %(age)d years old on %(date)s.", age=high, date=ref)
    if reason is Reason.MUNICIPALITY_MISSING:
        return _("Your home municipality could not be confirmed.")
    if reason is Reason.WRONG_MUNICIPALITY:
        name = municipality_name(rule.municipality or "")
        if name is not None:
            return _("This round is only for residents of %(name)s (municipality code %(code)s).",
                     name=name, code=rule.municipality)
        return _("This round is only for residents of the municipality with code %(code)s.",
                 code=rule.municipality or "")
    if reason is Reason.AREA_MISSING:
        return _("Your home area is needed for this round.")
    if reason is Reason.WRONG_AREA:
        return _("This round is for residents of certain areas only.")
    if reason is Reason.SCHOOL_MISSING:
        return _("Your school is needed for this round.")
    if reason is Reason.WRONG_SCHOOL:
        return _("This round is for pupils of certain schools only.")
    if reason is Reason.GRADE_MISSING:
        return _("Your grade is needed for this round.")
    if reason is Reason.WRONG_GRADE:
        return _("This round is for pupils in grades %(low)d–%(high)d.",
                 low=rule.min_grade if rule.min_grade is not None else 0,
                 high=rule.max_grade if rule.max_grade is not None else 13)
    raise ValueError(f"unknown reason {reason!r}")


def rule_summary(rule: EligibilityRule, area_names: Mapping[str, str] | None = None) -> list[str]:
    """"Who can vote", one translated sentence per criterion, for the round's page.

    Areas are named by *area_names* (area code -> name in the visitor's language) where it
    knows them, else by their code; a municipality of the capital region by its name and
    code. A self-declared round says so plainly, as the round design requires.
    """
    lines: list[str] = []
    ref = format_date(rule.reference_date, "long") if rule.reference_date else ""
    year = rule.reference_date.year if rule.reference_date else 0
    if rule.has_age_limit:
        low = rule.min_age if rule.min_age is not None else 0
        if rule.age_basis is AgeBasis.IN_YEAR:
            if rule.max_age is None:
                lines.append(_("Age: turning %(age)d or more during %(year)d.", age=low, year=year))
            else:
                lines.append(_("Age: turning %(low)d to %(high)d during %(year)d.",
                               low=low, high=rule.max_age, year=year))
        elif rule.max_age is None:
            lines.append(_("Age: at least %(age)d years on %(date)s.", age=low, date=ref))
        else:
            lines.append(_("Age: %(low)d to %(high)d years on %(date)s.", low=low, high=rule.max_age, date=ref))
    if rule.municipality is not None:
        name = municipality_name(rule.municipality)
        if name is None:
            lines.append(_("Home municipality: code %(code)s.", code=rule.municipality))
        else:
            lines.append(_("Home municipality: %(name)s (code %(code)s).", name=name, code=rule.municipality))
    if rule.areas:
        named = sorted((area_names or {}).get(code, code) for code in rule.areas)
        lines.append(_("Home area: one of %(areas)s.", areas=", ".join(named)))
    if rule.schools:
        lines.append(_("School: one of %(schools)s.", schools=", ".join(sorted(rule.schools))))
    if rule.has_grade_limit:
        lines.append(_("Grade: %(low)d to %(high)d.",
                       low=rule.min_grade if rule.min_grade is not None else 0,
                       high=rule.max_grade if rule.max_grade is not None else 13))
    if Channel.IDENTITY in rule.channels:
        lines.append(_("You can vote after identifying yourself electronically."))
    if Channel.CODE in rule.channels:
        lines.append(_("You can vote with a voting code handed out at your school or a service point."))
    if Channel.SELF_DECLARED in rule.channels:
        lines.append(_("In this round eligibility is self-declared: the details in your profile "
                       "are not verified."))
    return lines
