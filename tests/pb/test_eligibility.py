"""Eligibility rules: ages on boundaries and leap days, places, schools, grades, channels."""

from __future__ import annotations

import doctest
import importlib
import calendar
import json
from datetime import date, timedelta

import pytest
from flask import Flask
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from pb.eligibility import (
    ESPOO,
    AgeBasis,
    Channel,
    Claims,
    EligibilityError,
    EligibilityRule,
    LeapDay,
    Reason,
    age_on,
    check_eligibility,
)
from pb.eligibility_text import reason_message, reason_messages, rule_summary

births = st.dates(min_value=date(1900, 1, 1), max_value=date(2030, 12, 31))
refs = st.dates(min_value=date(1990, 1, 1), max_value=date(2060, 12, 31))
leap_days = st.sampled_from(list(LeapDay))
ages = st.integers(min_value=0, max_value=100)


def _oracle_age(birth: date, on: date, leap_day: LeapDay) -> int:
    """Count birthdays passed by walking year by year (independent of age_on's arithmetic)."""
    if on < birth:
        return -1 if (on.year < birth.year or on < birth) else 0
    count = 0
    year = birth.year + 1
    while True:
        try:
            birthday = date(year, birth.month, birth.day)
        except ValueError:  # 29 February in a common year
            birthday = date(year, 2, 28) + (timedelta(days=1) if leap_day is LeapDay.MAR_1 else timedelta(0))
        if birthday > on:
            return count
        count += 1
        year += 1


def _nth_birthday(birth: date, n: int, leap_day: LeapDay) -> date:
    year = birth.year + n
    if (birth.month, birth.day) == (2, 29) and not calendar.isleap(year):
        return date(year, 2, 28) if leap_day is LeapDay.FEB_28 else date(year, 3, 1)
    return date(year, birth.month, birth.day)


def identity(**kwargs) -> Claims:
    return Claims(Channel.IDENTITY, **kwargs)


# --- age arithmetic ------------------------------------------------------------------------


@given(births, refs, leap_days)
def test_age_matches_counting_birthdays(birth, on, leap_day):
    """age_on equals the number of birthdays passed, counted year by year."""
    assume(on >= birth)
    assert age_on(birth, on, leap_day) == _oracle_age(birth, on, leap_day)


@given(births, ages, leap_days)
def test_age_turns_on_the_birthday_and_not_the_day_before(birth, n, leap_day):
    """On the n-th birthday the age is n; on the day before it is n - 1."""
    assume(birth.year + n <= 9998)
    birthday = _nth_birthday(birth, n, leap_day)
    assert age_on(birth, birthday, leap_day) == n
    if n > 0:
        assert age_on(birth, birthday - timedelta(days=1), leap_day) == n - 1


@given(births, refs)
def test_age_never_falls_and_grows_by_at_most_one_a_day(birth, on):
    """From one day to the next the age stays or grows by exactly one."""
    assume(on >= birth)
    step = age_on(birth, on + timedelta(days=1)) - age_on(birth, on)
    assert step in (0, 1)


def test_leap_day_birthdays_follow_the_chosen_convention():
    """Born 29 Feb 2012: 13 on 28 Feb 2025 under FEB_28, only on 1 Mar under MAR_1; exact in leap years."""
    born = date(2012, 2, 29)
    assert age_on(born, date(2025, 2, 27)) == 12
    assert age_on(born, date(2025, 2, 28), LeapDay.FEB_28) == 13
    assert age_on(born, date(2025, 2, 28), LeapDay.MAR_1) == 12
    assert age_on(born, date(2025, 3, 1), LeapDay.MAR_1) == 13
    for leap_day in LeapDay:
        assert age_on(born, date(2024, 2, 28), leap_day) == 11
        assert age_on(born, date(2024, 2, 29), leap_day) == 12


# --- age limits in rules -----------------------------------------------------------------


@given(refs, st.integers(min_value=1, max_value=90), leap_days)
def test_min_age_boundary_on_the_reference_date(ref, n, leap_day):
    """With min age n on date D, whoever turns n on D (or earlier) may vote, a day younger may not."""
    rule = EligibilityRule(min_age=n, reference_date=ref, leap_day=leap_day)
    # The latest birth date that is n years old on ref.
    latest = max(b for b in (ref.replace(year=ref.year - n, day=1) + timedelta(days=k) for k in range(-1, 33))
                 if age_on(b, ref, leap_day) >= n)
    assert check_eligibility(rule, identity(birth_date=latest)).ok
    later = check_eligibility(rule, identity(birth_date=latest + timedelta(days=1)))
    assert later.reasons == (Reason.TOO_YOUNG,)


@given(births, refs, st.integers(0, 60), st.integers(0, 60), leap_days)
def test_age_range_decision_agrees_with_the_age(birth, ref, low, span, leap_day):
    """The decision is ok exactly when the age on the reference date lies in [min, max]."""
    assume(birth <= ref)
    rule = EligibilityRule(min_age=low, max_age=low + span, reference_date=ref, leap_day=leap_day)
    age = age_on(birth, ref, leap_day)
    decision = check_eligibility(rule, identity(birth_date=birth))
    assert decision.ok == (low <= age <= low + span)
    if not decision.ok:
        assert decision.reasons == ((Reason.TOO_YOUNG,) if age < low else (Reason.TOO_OLD,))


@given(refs, st.integers(1, 90), st.integers(1, 366))
def test_turns_n_in_the_voting_year_counts_the_whole_year(ref, n, day_of_year):
    """Under IN_YEAR anyone born in ref.year - n may vote, even on 31 December; a year later may not."""
    year = ref.year - n
    birth = date(year, 1, 1) + timedelta(days=min(day_of_year, 365 + calendar.isleap(year)) - 1)
    rule = EligibilityRule(min_age=n, age_basis=AgeBasis.IN_YEAR, reference_date=ref)
    assert check_eligibility(rule, identity(birth_date=birth)).ok
    younger = birth.replace(year=year + 1) if (birth.month, birth.day) != (2, 29) else date(year + 1, 3, 1)
    assert check_eligibility(rule, identity(birth_date=younger)).reasons == (Reason.TOO_YOUNG,)


@given(st.integers(-2, 2), refs, st.integers(0, 40), st.integers(0, 10), st.sampled_from(list(AgeBasis)),
       st.lists(st.integers(0, 365), min_size=1, max_size=8), st.booleans())
def test_birth_year_alone_decides_only_when_the_whole_year_agrees(delta, ref, low, span, basis, offsets, upper):
    """A year-only decision (ok or not) holds for every birth date in that year; else it asks for the date."""
    # Birth years near the lower or the upper age limit, where the year alone may not decide.
    year = ref.year - (low + span if upper else low) + delta
    rule = EligibilityRule(min_age=low, max_age=low + span, age_basis=basis, reference_date=ref)
    by_year = check_eligibility(rule, Claims(Channel.IDENTITY, birth_year=year))
    last = 365 + calendar.isleap(year) - 1
    dates = [date(year, 1, 1), date(year, 12, 31)] + [date(year, 1, 1) + timedelta(days=min(o, last)) for o in offsets]
    full = {check_eligibility(rule, identity(birth_date=d)).ok for d in dates}
    if by_year.ok:
        assert full == {True}
    elif by_year.reasons == (Reason.BIRTH_DATE_NEEDED,):
        assert basis is AgeBasis.ON_DATE
        youngest = check_eligibility(rule, identity(birth_date=date(year, 12, 31))).ok
        oldest = check_eligibility(rule, identity(birth_date=date(year, 1, 1))).ok
        assert youngest != oldest
    else:
        assert full == {False}


def test_birth_year_at_the_limit_asks_for_the_date():
    """Min 13 on 15 June 2026: born 2012 passes, 2014 is too young, 2013 needs the full date."""
    rule = EligibilityRule(min_age=13, reference_date=date(2026, 6, 15))
    declared = lambda year: Claims(Channel.IDENTITY, birth_year=year)  # noqa: E731
    assert check_eligibility(rule, declared(2012)).ok
    assert check_eligibility(rule, declared(2014)).reasons == (Reason.TOO_YOUNG,)
    assert check_eligibility(rule, declared(2013)).reasons == (Reason.BIRTH_DATE_NEEDED,)


def test_missing_birth_date_is_a_reason():
    """An age-limited rule and claims with no birth date or year give BIRTH_DATE_MISSING."""
    rule = EligibilityRule(min_age=13, reference_date=date(2026, 5, 1))
    assert check_eligibility(rule, identity()).reasons == (Reason.BIRTH_DATE_MISSING,)


# --- places, schools, grades, channels ----------------------------------------------------


def test_home_municipality_and_area():
    """Espoo residents of a listed area pass; other municipalities, areas and missing ones get their reason."""
    rule = EligibilityRule(municipality=ESPOO, areas={"suur-tapiola", "vanha-espoo"})
    assert check_eligibility(rule, identity(home_municipality="049", home_area="suur-tapiola")).ok
    assert check_eligibility(rule, identity(home_municipality="091", home_area="suur-tapiola")).reasons == (
        Reason.WRONG_MUNICIPALITY,
    )
    assert check_eligibility(rule, identity(home_municipality="049", home_area="pohjois-espoo")).reasons == (
        Reason.WRONG_AREA,
    )
    assert check_eligibility(rule, identity()).reasons == (Reason.MUNICIPALITY_MISSING, Reason.AREA_MISSING)


@given(st.integers(0, 13), st.booleans())
def test_youth_grade_range_seven_to_nine(grade, known_school):
    """A ManiMiitti-style rule passes pupils of listed schools in grades 7-9 and only them."""
    rule = EligibilityRule(schools={"espoo-school-1", "espoo-school-2"}, min_grade=7, max_grade=9)
    school = "espoo-school-2" if known_school else "helsinki-school"
    decision = check_eligibility(rule, identity(school=school, grade=grade))
    expected = [] if known_school else [Reason.WRONG_SCHOOL]
    if not 7 <= grade <= 9:
        expected.append(Reason.WRONG_GRADE)
    assert decision.reasons == tuple(expected)
    assert decision.ok == (not expected)


def test_missing_school_and_grade_are_reasons():
    """Claims without a school or grade fail a school-and-grade rule with both reasons."""
    rule = EligibilityRule(schools={"s1"}, min_grade=7, max_grade=9)
    assert check_eligibility(rule, identity()).reasons == (Reason.SCHOOL_MISSING, Reason.GRADE_MISSING)


def test_code_holders_pass_only_where_codes_are_accepted():
    """A voting code is enough in a code round and refused in an identity-only round."""
    code_rule = EligibilityRule(channels={Channel.CODE, Channel.IDENTITY}, min_grade=7, max_grade=9)
    assert check_eligibility(code_rule, Claims(Channel.CODE)).ok
    identity_only = EligibilityRule(min_grade=7, max_grade=9)
    assert check_eligibility(identity_only, Claims(Channel.CODE)).reasons == (Reason.CHANNEL_NOT_ALLOWED,)


def test_self_declared_claims_pass_only_in_self_declared_rounds():
    """A profile's declared details count only where the round accepts self-declaration, and are still checked."""
    declared = Claims(Channel.SELF_DECLARED, birth_year=1990, home_area="suur-tapiola")
    strict = EligibilityRule(areas={"suur-tapiola"})
    assert check_eligibility(strict, declared).reasons == (Reason.CHANNEL_NOT_ALLOWED,)
    loose = EligibilityRule(channels={Channel.SELF_DECLARED}, areas={"suur-tapiola"})
    assert check_eligibility(loose, declared).ok
    assert check_eligibility(loose, Claims(Channel.SELF_DECLARED, home_area="olari")).reasons == (Reason.WRONG_AREA,)


def test_alternatives_pass_if_any_alternative_passes():
    """'Grades 7-9 or aged 13-16': a pupil in grade 8 or a 14-year-old passes; others get both sets of reasons."""
    ref = date(2026, 3, 15)
    by_grade = EligibilityRule(min_grade=7, max_grade=9)
    by_age = EligibilityRule(min_age=13, max_age=16, reference_date=ref)
    rules = (by_grade, by_age)
    assert check_eligibility(rules, identity(grade=8)).ok
    assert check_eligibility(rules, identity(birth_date=date(2012, 1, 1))).ok
    decision = check_eligibility(rules, identity(grade=10, birth_date=date(2000, 1, 1)))
    assert decision.reasons == (Reason.WRONG_GRADE, Reason.TOO_OLD)
    assert not decision


def test_an_unrestricted_rule_accepts_any_identified_voter():
    """A rule with no criteria lets every identified voter through."""
    assert check_eligibility(EligibilityRule(), identity()).ok


# --- validation and serialisation -------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"channels": frozenset()},
        {"channels": {"postal-vote"}},
        {"min_age": 13},  # no reference date
        {"min_age": 16, "max_age": 13, "reference_date": date(2026, 1, 1)},
        {"min_age": -1, "reference_date": date(2026, 1, 1)},
        {"min_age": True, "reference_date": date(2026, 1, 1)},
        {"min_grade": 9, "max_grade": 7},
        {"min_grade": 20},
        {"municipality": "49"},
        {"municipality": "Espoo"},
        {"areas": "suur-tapiola"},
        {"areas": {""}},
        {"age_basis": "by-vibes"},
    ],
)
def test_nonsensical_rules_are_refused(kwargs):
    """Contradictory or malformed settings raise EligibilityError with a message."""
    with pytest.raises(EligibilityError):
        EligibilityRule(**kwargs)


rules = st.builds(
    EligibilityRule,
    channels=st.frozensets(st.sampled_from(list(Channel)), min_size=1),
    min_age=st.none() | st.integers(0, 20),
    max_age=st.none() | st.integers(20, 120),
    age_basis=st.sampled_from(list(AgeBasis)),
    reference_date=refs,
    leap_day=leap_days,
    municipality=st.none() | st.sampled_from(["049", "091"]),
    areas=st.frozensets(st.sampled_from(["suur-tapiola", "olari", "vanha-espoo"])),
    schools=st.frozensets(st.sampled_from(["s1", "s2"])),
    min_grade=st.none() | st.integers(0, 7),
    max_grade=st.none() | st.integers(7, 13),
)


@given(rules)
def test_rules_survive_a_json_round_trip(rule):
    """to_dict is JSON-ready and from_dict(json) gives back an equal rule."""
    assert EligibilityRule.from_dict(json.loads(json.dumps(rule.to_dict()))) == rule


def test_from_dict_refuses_unknown_settings_and_bad_dates():
    """Unknown keys and malformed dates are refused with EligibilityError."""
    with pytest.raises(EligibilityError, match="unknown"):
        EligibilityRule.from_dict({"min_age": 13, "voting_age_vibes": 1})
    with pytest.raises(EligibilityError, match="reference_date"):
        EligibilityRule.from_dict({"min_age": 13, "reference_date": "13/1/2026"})


def test_claims_refuse_a_personal_identity_code_as_subject():
    """A Finnish personal identity code can never become the subject of Claims."""
    with pytest.raises(EligibilityError):
        Claims(Channel.IDENTITY, subject="131052-308T")
    assert Claims(Channel.IDENTITY, subject="5f1c2a9e-0b6d-4c1e-9a1f-2d7e3c4b5a61").subject


def test_claims_refuse_inconsistent_birth_data():
    """A birth year that contradicts the birth date is refused; a date alone fills in the year."""
    with pytest.raises(EligibilityError):
        Claims(Channel.IDENTITY, birth_date=date(2010, 5, 1), birth_year=2011)
    assert Claims(Channel.IDENTITY, birth_date=date(2010, 5, 1)).birth_year == 2010


# --- messages -------------------------------------------------------------------------------


@pytest.fixture
def app():
    """A bare app with Flask-Babel, enough to translate messages."""
    from flask_babel import Babel

    app = Flask(__name__)
    Babel(app)
    return app


@pytest.mark.parametrize("basis", list(AgeBasis))
def test_every_reason_has_a_message_with_the_rule_filled_in(app, basis):
    """Each reason renders to a non-empty sentence; age messages name the limit and the date or year."""
    rule = EligibilityRule(min_age=13, max_age=16, age_basis=basis, reference_date=date(2026, 11, 1),
                           min_grade=7, max_grade=9)
    with app.test_request_context():
        messages = {reason: reason_message(reason, rule) for reason in Reason}
    assert all(isinstance(m, str) and m.strip() for m in messages.values())
    assert len(set(messages.values())) == len(messages)
    assert "13" in messages[Reason.TOO_YOUNG] and "16" in messages[Reason.TOO_OLD]
    assert "2026" in messages[Reason.TOO_YOUNG]
    assert "7" in messages[Reason.WRONG_GRADE] and "9" in messages[Reason.WRONG_GRADE]


def test_summary_says_plainly_when_eligibility_is_self_declared(app):
    """The round page's summary mentions self-declaration only for self-declared rounds."""
    with app.test_request_context():
        declared = rule_summary(EligibilityRule(channels={Channel.SELF_DECLARED}))
        attested = rule_summary(EligibilityRule(min_age=13, reference_date=date(2026, 1, 1), municipality="049"))
    assert any("self-declared" in line for line in declared)
    assert not any("self-declared" in line for line in attested)
    assert any("13" in line for line in attested) and any("049" in line for line in attested)


@pytest.mark.parametrize("module", ['pb.eligibility'])
def test_docstring_examples_run_as_written(module):
    """The module's doctest examples pass (pb/ is not in pytest's doctest paths)."""
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0


@pytest.mark.parametrize("lang, espoo, unknown", [
    ("en", "Home municipality: Espoo (code 049).", "Home municipality: code 999."),
    ("fi", "Kotikunta: Espoo (koodi 049).", "Kotikunta: koodi 999."),
    ("sv", "Hemkommun: Esbo (kod 049).", "Hemkommun: kod 999."),
])
def test_summary_names_capital_region_municipalities_and_areas_in_the_visitors_language(lang, espoo, unknown):
    """A capital-region municipality is named (Swedish name in Swedish) with its code, any
    other by its code alone; areas are named by the names given, unknown codes stay codes."""
    from pb import create_app

    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})
    with app.test_request_context(headers={"Accept-Language": lang}):
        known = rule_summary(EligibilityRule(municipality="049", areas={"z-area", "a-area"}),
                             {"z-area": "Alue Z", "a-area": "Alue A"})
        other = rule_summary(EligibilityRule(municipality="999", areas={"ghost"}), {"a-area": "Alue A"})
    assert espoo in known and unknown in other
    with app.test_request_context(headers={"Accept-Language": lang}):
        refusal = reason_message(Reason.WRONG_MUNICIPALITY, EligibilityRule(municipality="049"))
        elsewhere = reason_message(Reason.WRONG_MUNICIPALITY, EligibilityRule(municipality="999"))
    assert ("Esbo" if lang == "sv" else "Espoo") in refusal and "049" in refusal
    assert "999" in elsewhere and "Espoo" not in elsewhere
    assert any("Alue A, Alue Z." in line for line in known)
    assert any(line.endswith("ghost.") for line in other)


claims_st = st.builds(
    Claims,
    channel=st.sampled_from(list(Channel)),
    birth_date=st.none() | births,
    home_municipality=st.none() | st.sampled_from(["049", "091"]),
    home_area=st.none() | st.sampled_from(["suur-tapiola", "olari"]),
    school=st.none() | st.sampled_from(["s1", "s3"]),
    grade=st.none() | st.integers(0, 13),
)


@pytest.fixture(scope="module")
def pb_app():
    """The pb app with its catalogs, for the sentences (no database is touched)."""
    from pb import create_app

    return create_app("testing", {"SQLALCHEMY_DATABASE_URI": "sqlite://"})


@settings(max_examples=300)
@given(st.lists(rules, min_size=1, max_size=3), claims_st)
def test_every_refusal_explains_itself_in_the_words_of_its_own_alternative(pb_app, alternatives, claims):
    """For any alternative rules and claims, the sentences are built without error; there is
    at least one exactly when the claims meet no alternative, none repeated, and each is the
    message of a reason that some alternative gave, with that alternative's own limits."""
    with pb_app.test_request_context(headers={"Accept-Language": "en"}):
        messages = reason_messages(alternatives, claims)
        ok = check_eligibility(alternatives, claims).ok
        expected = set() if ok else {reason_message(reason, rule) for rule in alternatives
                                     for reason in check_eligibility(rule, claims).reasons}
    assert bool(messages) != ok
    assert len(messages) == len(set(messages)) and set(messages) == expected
    assert all("None" not in m for m in messages)
