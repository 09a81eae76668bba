"""Factories for tests: ``make_<noun>(**overrides)`` adds and commits one row (inside an app
context) and returns it; ``log_in(client, user)`` logs a test client in without a password."""

from __future__ import annotations

import itertools

from pb.extensions import db
from pb.models import Area, Phase, Proposal, ProposalStatus, Role, RoleAssignment, Round, RoundKind, User
from pb.services.accounts import hash_password

PASSWORD = "correct horse battery"
_serial = itertools.count(1)


def make_user(*, roles: tuple[str | Role, ...] = (Role.RESIDENT,), password: str = PASSWORD, **overrides) -> User:
    """A verified user with the given roles (resident by default) and the test password."""
    values = {
        "email": f"user{next(_serial)}@example.com",
        "password_hash": hash_password(password),
        "is_verified": True,
    }
    values.update(overrides)
    user = User(**values)
    for role in roles:
        user.roles.append(RoleAssignment(role=Role(role)))
    db.session.add(user)
    db.session.commit()
    return user


def make_round(**overrides) -> Round:
    """A city round in the proposal phase."""
    values = {"name_fi": f"Kierros {next(_serial)}", "kind": RoundKind.CITY, "phase": Phase.PROPOSALS}
    values.update(overrides)
    round_ = Round(**values)
    db.session.add(round_)
    db.session.commit()
    return round_


def make_area(**overrides) -> Area:
    """An area with a budget of 100,000 euros, in a new round unless one is given."""
    values = {"code": f"area-{next(_serial)}", "name_fi": "Alue", "budget": 100_000}
    values.update(overrides)
    if "round" not in values and "round_id" not in values:
        values["round"] = make_round()
    area = Area(**values)
    db.session.add(area)
    db.session.commit()
    return area


def make_proposal(**overrides) -> Proposal:
    """A submitted proposal with a Finnish title, in a new area unless one is given."""
    values = {
        "title_fi": f"Ehdotus {next(_serial)}",
        "description_fi": "Kuvaus",
        "cost": 10_000,
        "status": ProposalStatus.SUBMITTED,
    }
    values.update(overrides)
    if "area" not in values:
        values["area"] = make_area(**({"round": values["round"]} if "round" in values else {}))
    values.setdefault("round", values["area"].round)
    proposal = Proposal(**values)
    db.session.add(proposal)
    db.session.commit()
    return proposal


def log_in(client, user: User | int) -> None:
    """Give the client a logged-in session for the user (a row, even detached, or an id), as
    the login page would."""
    from sqlalchemy import inspect

    from pb.auth import _session_fingerprint

    user_id = user if isinstance(user, int) else inspect(user).identity[0]
    with client.application.app_context():
        fingerprint = _session_fingerprint(db.session.get(User, user_id))
    with client.session_transaction() as session:
        session.clear()
        session["user_id"] = user_id
        session["auth"] = fingerprint


def make_project(**overrides) -> "Project":
    """A ballot project costing 10,000 euros with a Finnish title, in a new area unless one is given."""
    from pb.models import Project

    values = {"title_fi": f"Hanke {next(_serial)}", "description_fi": "Kuvaus", "cost": 10_000}
    values.update(overrides)
    if "area" not in values:
        values["area"] = make_area(**({"round": values["round"]} if "round" in values else {}))
    values.setdefault("round", values["area"].round)
    values.setdefault("position", len(values["area"].projects))
    project = Project(**values)
    db.session.add(project)
    db.session.commit()
    return project


def make_audit_entry(**overrides) -> "AuditLog":
    """An audit log entry by the system about a round (a new round unless one is given)."""
    from pb.services import audit_log

    obj = overrides.pop("obj", None) or make_round()
    entry = audit_log.record(overrides.pop("actor", None), overrides.pop("action", "round.update"), obj,
                             overrides.pop("before", {"x": 1}), overrides.pop("after", {"x": 2}))
    db.session.commit()
    return entry


def make_frozen_round(*, areas=(("north", 100_000),), costs=(30_000, 40_000, 50_000), phase=None,
                      **overrides) -> Round:
    """A round whose voting has opened (settings frozen, digest recorded), with one project per
    cost in each (code, budget) area; ``phase`` defaults to voting."""
    from voting import canonical_json

    from pb.models import Project
    from pb.services.rounds import config_digest, frozen_config

    round_ = make_round(**overrides)
    for code, budget in areas:
        area = Area(round=round_, code=code, name_fi=code.title(), budget=budget, is_citywide=code == "citywide")
        db.session.add(area)
        for position, cost in enumerate(costs):
            db.session.add(Project(round=round_, area=area, title_fi=f"{code} {position + 1}", cost=cost,
                                   position=position))
    db.session.flush()
    config = frozen_config(round_)
    round_.frozen_config_json = canonical_json(config)
    round_.config_digest = config_digest(config)
    from pb import security

    round_.frozen_at = security.now()
    round_.phase = phase or Phase.VOTING
    db.session.commit()
    return round_


def make_counted_ballot(area: Area, project_ids, *, is_counted: bool = True, channel: str = "online",
                        band: str | None = None) -> str:
    """One pot's ballot row choosing ``project_ids`` (random id and, unless on paper, a receipt,
    as casting writes it; ``band`` the voter's age band)."""
    from pb.models import BallotChannel
    from pb.receipts import generate_receipt, receipt_hash
    from pb.services.voting import add_ballot

    kind = BallotChannel(channel)
    digest = None if kind is BallotChannel.PAPER else receipt_hash(generate_receipt())
    ballot_id = add_ballot(area.round_id, area.id, list(project_ids), channel=kind, receipt_hash_=digest, band=band)
    if not is_counted:
        from pb.models import Ballot

        db.session.get(Ballot, ballot_id).is_counted = False
    db.session.commit()
    return ballot_id


#: Eligibility accepting the test provider's Espoo residents and voting codes.
OPEN_ELIGIBILITY = {"channels": ["identity", "code"], "municipality": "049"}


def make_voting_round(*, areas=(("suur-tapiola", 100_000), ("vanha-espoo", 80_000)), citywide: int | None = None,
                      costs=(30_000, 40_000, 50_000, 60_000), eligibility=OPEN_ELIGIBILITY, **overrides) -> Round:
    """A round in its voting phase, frozen, with the given areas (code, budget), an optional
    citywide pot of that budget, and one project per cost in each pot."""
    import json
    from datetime import datetime, timezone

    from pb.models import BallotKind, Project

    values = {
        "name_fi": "Äänestyskierros",
        "kind": RoundKind.CITY,
        "phase": Phase.VOTING,
        "ballot_kind": BallotKind.APPROVAL,
        "min_choices": 1,
        "max_choices": 3,
        "eligibility": json.dumps(eligibility),
        "frozen_at": datetime(2026, 2, 1, tzinfo=timezone.utc),
        "config_digest": "0" * 64,
    }
    values.update(overrides)
    round_ = Round(**values)
    db.session.add(round_)
    pots = [Area(code=code, name_fi=code.replace("-", " ").title(), budget=budget, round=round_)
            for code, budget in areas]
    if citywide is not None:
        pots.append(Area(code="koko-kaupunki", name_fi="Koko kaupunki", budget=citywide, is_citywide=True, round=round_))
    db.session.add_all(pots)
    db.session.flush()
    for pot in pots:
        for position, cost in enumerate(costs):
            db.session.add(Project(round=round_, area=pot, title_fi=f"{pot.code} hanke {position + 1}",
                                   description_fi="Kuvaus", cost=cost, position=position))
    db.session.commit()
    return round_


def make_code_batch(round_: Round, count: int = 3, *, label: str = "Koulu 8B", area_id: int | None = None):
    """A batch of voting codes for a round (its eligibility must accept codes); returns the
    stored batch and the codes in clear (as the generation page shows them, once)."""
    from pb.security import now
    from pb.services.codes import create_batch

    return create_batch(round_.id, count, label, area_id=area_id, actor=None, at=now())


#: A production environment that passes every check of ProductionConfig.problems.
PRODUCTION_ENVIRONMENT = {
    "SECRET_KEY": "k" * 40,
    "DATABASE_URL": "postgresql://u@db.example/pb",
    "PUBLIC_URL": "https://pb.example.fi",
    "PB_VOTER_KEY": "v" * 40,
    "PB_VOTING_CODE_KEY": "c" * 40,
    "ACCESSIBILITY_FEEDBACK_EMAIL": "saavutettavuus@espoo.example",
}


def set_production_environment(monkeypatch, **overrides) -> None:
    """Set PRODUCTION_ENVIRONMENT (with *overrides*; None removes a variable) in os.environ."""
    for name, value in {**PRODUCTION_ENVIRONMENT, **overrides}.items():
        if value is None:
            monkeypatch.delenv(name, raising=False)
        else:
            monkeypatch.setenv(name, value)
