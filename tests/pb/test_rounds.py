"""Rounds: configuration, validation through voting, phases by hand and by date, the freeze."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from hypothesis import given
from hypothesis import strategies as st

from pb.extensions import db
from pb.models import Area, AuditLog, BallotKind, Phase, Role, Round, RoundKind
from pb.services import ServiceError, round_phases, rounds, screening
from pb.services import areas as area_service
from tests.pb.factories import make_area, make_project, make_proposal, make_round, make_user

UTC = timezone.utc


@pytest.fixture
def admin(app):
    with app.app_context():
        yield make_user(roles=(Role.ADMINISTRATOR,))


def _ready_round(**overrides):
    round_ = make_round(phase=Phase.SCREENING, **overrides)
    area = make_area(round=round_, budget=50_000)
    make_project(area=area, cost=20_000)
    make_project(area=area, cost=30_000)
    return round_


def _actions():
    return [e.action for e in db.session.scalars(sa.select(AuditLog).order_by(AuditLog.id))]


def test_youth_round_gets_the_youth_defaults(app, admin):
    """A youth round starts as an approval ballot of up to 5, grades 7-9 or ages 13-16, with a panel."""
    with app.app_context():
        round_ = rounds.create_round(admin, {"name_fi": "ManiMiitti", "kind": "youth"})
        assert round_.kind is RoundKind.YOUTH and round_.ballot_kind is BallotKind.APPROVAL
        assert round_.max_choices == 5
        rules = round_.eligibility_rules()
        assert [(r.min_grade, r.max_grade) for r in rules] == [(7, 9), (None, None)]
        assert (rules[1].min_age, rules[1].max_age) == (13, 16)
        assert round_.confirming_body
        assert _actions() == ["round.create"]


@pytest.mark.parametrize(
    "values",
    [
        {"name_fi": ""},
        {"name_fi": "x" * 201},
        {"rule": "borda"},
        {"rule": "mes", "rule_options": {"completion": "everything"}},
        {"rule": "greedy", "rule_options": {"utility": "cost"}},
        {"tie_break": "cost,shoe-size"},
        {"min_choices": 3, "max_choices": 2},
        {"min_spend_percent": 101},
        {"min_choices": "-1"},
        {"eligibility": {"min_age": 13}},
        {"eligibility": "not json"},
    ],
)
def test_bad_round_settings_are_refused_with_a_message(app, admin, values):
    """Invalid names, rules, options, chains, limits or eligibility are refused; nothing changes."""
    with app.app_context():
        round_ = make_round()
        before = {c: getattr(round_, c) for c in ("name_fi", "rule", "rule_options", "tie_break", "min_choices")}
        with pytest.raises(ServiceError) as error:
            rounds.update_round(admin, round_, values)
        assert str(error.value)
        db.session.rollback()
        fresh = db.session.get(Round, round_.id)
        assert {c: getattr(fresh, c) for c in before} == before
        assert _actions() == []


def test_rule_options_are_stored_as_canonical_json_and_checked_by_voting(app, admin):
    """MES options are accepted, stored canonically, and the default chain of the rule is used."""
    with app.app_context():
        round_ = make_round()
        rounds.update_round(admin, round_, {"rule": "mes", "rule_options": {"utility": "cost", "completion": "add1"}})
        assert round_.rule_options == '{"completion":"add1","utility":"cost"}'
        assert round_.tie_break == "cost,votes,id"
        entry = db.session.scalars(sa.select(AuditLog)).one()
        assert json.loads(entry.before)["rule"] == "greedy" and json.loads(entry.after)["rule"] == "mes"


def test_dates_must_be_in_phase_order(app, admin):
    """Voting cannot close before it opens."""
    with app.app_context():
        round_ = make_round()
        opens = datetime(2026, 5, 1, 9, tzinfo=UTC)
        with pytest.raises(ServiceError):
            rounds.update_round(admin, round_, {"voting_opens_at": opens, "voting_closes_at": opens - timedelta(hours=1)})


def test_voting_cannot_open_without_projects(app, admin):
    """Screening → voting is refused for a round with no projects, and the phase stays."""
    with app.app_context():
        round_ = make_round(phase=Phase.SCREENING)
        make_area(round=round_)
        with pytest.raises(ServiceError):
            round_phases.advance_phase(admin, round_, Phase.VOTING)
        assert db.session.get(Round, round_.id).phase is Phase.SCREENING


def test_phases_move_forward_one_at_a_time(app, admin):
    """Skipping or going back a phase is refused."""
    with app.app_context():
        round_ = make_round()
        with pytest.raises(ServiceError):
            round_phases.advance_phase(admin, round_, Phase.VOTING)
        round_phases.advance_phase(admin, round_, Phase.SCREENING)
        with pytest.raises(ServiceError):
            round_phases.advance_phase(admin, round_, Phase.PROPOSALS)
        assert round_.phase is Phase.SCREENING


def test_opening_voting_freezes_and_records_the_digest(app, admin):
    """The digest is the SHA-256 of the canonical frozen configuration, recorded in the audit log."""
    with app.app_context():
        round_ = _ready_round()
        expected = rounds.config_digest(rounds.frozen_config(round_))
        round_phases.advance_phase(admin, round_, Phase.VOTING)
        assert round_.frozen_at is not None and round_.config_digest == expected
        import hashlib

        assert hashlib.sha256(round_.frozen_config_json.encode()).hexdigest() == expected
        entry = db.session.scalars(sa.select(AuditLog)).one()
        assert json.loads(entry.after)["config_digest"] == expected


def test_frozen_config_changes_with_every_frozen_setting(app, admin):
    """Budgets, costs, rule, options, chain and ballot format each change the digest."""
    with app.app_context():
        round_ = _ready_round()
        area = round_.areas[0]
        digests = {rounds.config_digest(rounds.frozen_config(round_))}
        for change in (
            lambda: setattr(area, "budget", 60_000),
            lambda: setattr(area.projects[0], "cost", 21_000),
            lambda: setattr(round_, "rule", "mes"),
            lambda: setattr(round_, "rule_options", '{"completion":"add1"}'),
            lambda: setattr(round_, "tie_break", "votes,id"),
            lambda: setattr(round_, "max_choices", 3),
            lambda: setattr(round_, "ballot_kind", BallotKind.KNAPSACK),
        ):
            change()
            digests.add(rounds.config_digest(rounds.frozen_config(round_)))
        assert len(digests) == 8


def _frozen_round(admin):
    round_ = _ready_round()
    round_phases.advance_phase(admin, round_, Phase.VOTING)
    return round_


FREEZE_ATTEMPTS = {
    "ballot format": lambda admin, r: rounds.update_round(admin, r, {"ballot_kind": "knapsack"}),
    "max choices": lambda admin, r: rounds.update_round(admin, r, {"max_choices": 2}),
    "rule": lambda admin, r: rounds.update_round(admin, r, {"rule": "mes"}),
    "options": lambda admin, r: rounds.update_round(admin, r, {"rule": "greedy", "rule_options": {"min_score": 2}}),
    "tie chain": lambda admin, r: rounds.update_round(admin, r, {"tie_break": "votes,id"}),
    "eligibility": lambda admin, r: rounds.update_round(admin, r, {"eligibility": {"channels": ["code"]}}),
    "budget": lambda admin, r: area_service.update_area(admin, r.areas[0], {"budget": 1}),
    "new area": lambda admin, r: area_service.add_area(admin, r, {"code": "x", "name_fi": "X", "budget": 1}),
    "area removal": lambda admin, r: area_service.delete_area(admin, r.areas[0]),
    "schools": lambda admin, r: area_service.update_area(admin, r.areas[0], {"schools": "00123"}),
    "cost": lambda admin, r: screening.update_project(admin, r.projects[0], {"cost": 1}),
    "project title": lambda admin, r: screening.update_project(admin, r.projects[0], {"title_fi": "Uusi"}),
    "new project": lambda admin, r: screening.create_project(
        admin, r, {"title_fi": "Uusi", "area_id": r.areas[0].id, "cost": 5}
    ),
    "project removal": lambda admin, r: screening.delete_project(admin, r.projects[0]),
}


@pytest.mark.parametrize("what", sorted(FREEZE_ATTEMPTS))
def test_frozen_configuration_is_refused_after_voting_opens(app, admin, what):
    """Every attempt to change a frozen setting after voting opens is refused with the digest, and nothing changes."""
    with app.app_context():
        round_ = _frozen_round(admin)
        digest = round_.config_digest
        config = rounds.frozen_config(round_)
        count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog))
        with pytest.raises(ServiceError) as error:
            FREEZE_ATTEMPTS[what](admin, round_)
        assert digest in str(error.value)
        db.session.rollback()
        db.session.expire_all()
        fresh = db.session.get(Round, round_.id)
        assert rounds.frozen_config(fresh) == config
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditLog)) == count


def test_names_and_dates_can_still_change_after_the_freeze(app, admin):
    """The round's name is not part of the frozen configuration."""
    with app.app_context():
        round_ = _frozen_round(admin)
        rounds.update_round(admin, round_, {"name_sv": "Omgång"})
        assert round_.name_sv == "Omgång"


def test_closing_dates_move_the_phase_without_a_write(app, clock):
    """Once proposals close by date the round is in screening, and once voting closes in results."""
    with app.app_context():
        round_ = make_round(proposals_close_at=clock.now + timedelta(days=1))
        assert round_phases.current_phase(round_, clock.now) is Phase.PROPOSALS
        assert round_phases.current_phase(round_, clock.now + timedelta(days=1)) is Phase.SCREENING
        voting = make_round(phase=Phase.VOTING, voting_closes_at=clock.now + timedelta(hours=1))
        assert round_phases.current_phase(voting, clock.now + timedelta(minutes=59)) is Phase.VOTING
        assert round_phases.current_phase(voting, clock.now + timedelta(hours=1)) is Phase.RESULTS


def test_voting_opens_by_date_with_the_freeze(app, clock):
    """sync_phase opens voting when its date passes, freezing the rules, logged as the system."""
    with app.app_context():
        round_ = _ready_round(voting_opens_at=clock.now + timedelta(hours=2))
        assert round_phases.sync_phase(round_, clock.now) == [] and round_.phase is Phase.SCREENING
        assert round_phases.sync_phase(round_, clock.now + timedelta(hours=2)) == []
        assert round_.phase is Phase.VOTING and round_.config_digest
        entry = db.session.scalars(sa.select(AuditLog)).one()
        assert entry.actor_id is None and entry.action == "round.phase.by-date"


def test_voting_does_not_open_by_date_without_projects(app, clock):
    """A round whose voting date passes with no projects stays in screening and says why."""
    with app.app_context():
        round_ = make_round(phase=Phase.SCREENING, voting_opens_at=clock.now)
        make_area(round=round_)
        problems = round_phases.sync_phase(round_, clock.now)
        assert problems and round_.phase is Phase.SCREENING and round_.frozen_at is None


def test_advance_phases_command_reports_stuck_rounds(app, runner, clock):
    """flask pb advance-phases moves due rounds and names those that could not open voting."""
    with app.app_context():
        ready = _ready_round(voting_opens_at=clock.now)
        stuck = make_round(phase=Phase.SCREENING, voting_opens_at=clock.now)
        ready_id, stuck_id = ready.id, stuck.id
    result = runner.invoke(args=["pb", "advance-phases"])
    assert result.exit_code == 1, result.output
    assert f"round {stuck_id}" in result.output
    with app.app_context():
        assert db.session.get(Round, ready_id).phase is Phase.VOTING


def test_only_one_citywide_pot_per_round(app, admin):
    """A second citywide pot is refused."""
    with app.app_context():
        round_ = make_round()
        area_service.add_area(admin, round_, {"code": "koko", "name_fi": "Koko kaupunki", "budget": 1000, "is_citywide": True})
        with pytest.raises(ServiceError):
            area_service.add_area(admin, round_, {"code": "koko2", "name_fi": "Toinen", "budget": 1000, "is_citywide": True})
        assert round_.has_citywide_pot


@given(codes=st.lists(st.from_regex(area_service.SCHOOL_CODE, fullmatch=True), max_size=8),
       separators=st.lists(st.sampled_from([",", " ", "\n", ", ", ";", "\r\n"]), min_size=1))
def test_school_lists_are_stored_sorted_without_repeats_whatever_the_separators(codes, separators):
    """Any mix of separators, order and repeats gives the same stored list: sorted, each code once."""
    text = ""
    for i, code in enumerate(codes):
        text += code + separators[i % len(separators)]
    stored = area_service.clean_schools(text)
    assert stored == (json.dumps(sorted(set(codes)), separators=(",", ":")) if codes else None)
    assert area_service.clean_schools(list(reversed(codes))) == stored


@pytest.mark.parametrize("bad", ["koulu/1", "<script>", "a" * 41, ["ok", 5], 17])
def test_a_bad_school_code_is_a_clear_error(app, bad):
    """A code with other characters, an overlong code or a non-text value is refused with a message."""
    with app.test_request_context(headers={"Accept-Language": "en"}), pytest.raises(ServiceError) as error:
        area_service.clean_schools(bad)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert "school" in str(error.value).lower()


def test_a_school_is_in_one_area_and_never_in_the_citywide_pot(app, admin):
    """A school listed by one area is refused for another of the same round (it may be in an
    area of another round); the citywide pot lists no schools; refusals change nothing."""
    with app.app_context():
        round_ = make_round()
        north = area_service.add_area(admin, round_, {"code": "north", "name_fi": "P", "budget": 10, "schools": "00123, 00456"})
        south = area_service.add_area(admin, round_, {"code": "south", "name_fi": "E", "budget": 10})
        with pytest.raises(ServiceError) as error:
            area_service.update_area(admin, south, {"schools": "00456\n00789"})
        assert "00456" in str(error.value) and "north" in str(error.value)
        with pytest.raises(ServiceError):
            area_service.add_area(admin, round_, {"code": "koko", "name_fi": "K", "budget": 10,
                                                  "is_citywide": True, "schools": "00999"})
        db.session.rollback()
        assert db.session.get(Area, south.id).schools is None
        assert db.session.get(Area, north.id).school_codes == ["00123", "00456"]
        elsewhere = area_service.add_area(admin, make_round(), {"code": "north", "name_fi": "P", "budget": 10,
                                                                "schools": "00456"})
        assert elsewhere.school_codes == ["00456"]
        assert area_service.area_of_school(round_, "00456").id == north.id
        assert area_service.area_of_school(round_, "00789") is None
        config = rounds.frozen_config(db.session.get(Round, round_.id))
        assert [a.get("schools") for a in config["areas"]] == [["00123", "00456"], None]


def test_another_rounds_area_is_refused(app):
    """area_of_round refuses forged ids and areas of other rounds."""
    with app.app_context():
        round_ = make_round()
        other = make_area()
        for forged in (other.id, "abc", None, -1, 10**12):
            with pytest.raises(ServiceError):
                area_service.area_of_round(round_, forged)


def test_audit_log_rows_cannot_be_updated(app, admin):
    """The ORM and the database both refuse to update an audit entry."""
    with app.app_context():
        rounds.create_round(admin, {"name_fi": "K"})
        entry = db.session.scalars(sa.select(AuditLog)).one()
        entry.action = "forged"
        with pytest.raises(RuntimeError):
            db.session.commit()
        db.session.rollback()
        with pytest.raises(sa.exc.DBAPIError):
            with db.engine.begin() as connection:
                connection.execute(sa.update(AuditLog).values(action="forged"))
        assert db.session.scalars(sa.select(AuditLog.action)).one() == "round.create"


def test_earlier_phase_dates_are_frozen_but_closing_can_move(app, admin, clock):
    """After the freeze the opening dates are refused; the closing date may still move (and is logged)."""
    with app.app_context():
        round_ = _frozen_round(admin)
        with pytest.raises(ServiceError):
            rounds.update_round(admin, round_, {"voting_opens_at": clock.now + timedelta(days=1)})
        db.session.rollback()
        rounds.update_round(admin, round_, {"voting_closes_at": clock.now + timedelta(days=3)})
        assert _actions()[-1] == "round.update"


def test_a_concurrent_phase_change_wins_and_nothing_is_written_twice(app, admin, monkeypatch):
    """If another request opens voting between our checks and our write, we refuse and write no second freeze or audit entry."""
    with app.app_context():
        round_ = _ready_round()
        round_id = round_.id
        checks = round_phases.transition_problems

        def concurrent_open(round_arg, to, now):
            problems = checks(round_arg, to, now)
            with db.engine.begin() as connection:  # the other request
                connection.execute(
                    sa.update(Round).where(Round.id == round_id).values(phase=Phase.VOTING, config_digest="other")
                )
            return problems

        monkeypatch.setattr(round_phases, "transition_problems", concurrent_open)
        with pytest.raises(ServiceError):
            round_phases.advance_phase(admin, round_, Phase.VOTING)
        db.session.rollback()
        fresh = db.session.get(Round, round_id)
        assert fresh.phase is Phase.VOTING and fresh.config_digest == "other"
        assert _actions() == []


def test_a_refused_service_call_leaves_nothing_pending(app, admin):
    """A service marked @transaction that changes the session and then refuses leaves the
    session rolled back: the change is gone and the refusal still reaches the caller."""
    from pb.services import transaction

    @transaction
    def rename_then_refuse(round_):
        round_.name_fi = "Changed"
        db.session.flush()
        raise ServiceError("refused")

    with app.app_context():
        round_ = make_round(name_fi="Original")
        round_id = round_.id
        with pytest.raises(ServiceError, match="refused"):
            rename_then_refuse(round_)
        assert not db.session.dirty and not db.session.new
        assert db.session.get(Round, round_id).name_fi == "Original"


def test_services_the_staff_routes_call_are_transactions():
    """Every service a staff or proposal route calls inside ``except ServiceError`` is marked
    @transaction, since those routes no longer roll the session back themselves."""
    from pb.services import proposals

    services = (rounds.create_round, rounds.update_round, area_service.add_area, area_service.update_area,
                area_service.delete_area, round_phases.advance_phase, proposals.submit_proposal,
                proposals.update_proposal, screening.screen_proposal, screening.set_official_cost,
                screening.merge_proposal, screening.create_project, screening.project_from_proposal,
                screening.update_project, screening.delete_project)
    assert [s.__name__ for s in services if not hasattr(s, "__wrapped__")] == []
