"""Screening: moderators accept or reject proposals with a public reason, merge duplicates,
set the official cost and turn accepted proposals into ballot projects, which they may edit
until voting opens. Every action goes into the audit log in the same transaction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from pb import security
from pb.extensions import db
from pb.models import CATEGORIES, Phase, Project, Proposal, ProposalStatus, Round, User
from pb.services import ServiceError, transaction
from pb.services.audit_log import record, snapshot
from pb.services.round_phases import require_phase
from pb.services.areas import area_of_round
from pb.services.rounds import (
    NAME_MAX,
    TEXT_MAX,
    _text,
    ensure_not_frozen,
    whole_number,
)

LANGS = ("fi", "sv", "en")
SCREEN_FIELDS = ("status", "reason_fi", "reason_sv", "reason_en", "official_cost", "merged_into_id")
PROJECT_FIELDS = (
    "title_fi", "title_sv", "title_en", "description_fi", "description_sv", "description_en",
    "area_id", "cost", "category", "position",
)
#: Screening happens after proposals close; moderators may start while proposals still come in.
SCREENING_PHASES = (Phase.PROPOSALS, Phase.SCREENING)


def _reasons(values: Mapping[str, Any]) -> dict[str, str | None]:
    reasons = {f"reason_{lang}": _text(values.get(f"reason_{lang}"), _l("Reason"), limit=TEXT_MAX) for lang in LANGS}
    if not any(reasons.values()):
        raise ServiceError(_l("Give the public reason for the decision."))
    return reasons


@transaction
def screen_proposal(
    moderator: User, proposal: Proposal, decision: str, values: Mapping[str, Any], *, now: datetime | None = None
) -> Proposal:
    """Accept or reject a proposal with a public reason (accepting may set the official cost)."""
    require_phase(proposal.round, *SCREENING_PHASES, now=now or security.now())
    if decision not in ("accept", "reject"):
        raise ServiceError(_l("Choose to accept or reject."))
    if proposal.status is ProposalStatus.MERGED:
        raise ServiceError(_l("This proposal was merged into another one."))
    if proposal.project is not None:
        raise ServiceError(_l("This proposal is already on the ballot; edit the project instead."))
    reasons = _reasons(values)
    before = snapshot(proposal, SCREEN_FIELDS)
    proposal.status = ProposalStatus.ACCEPTED if decision == "accept" else ProposalStatus.REJECTED
    for name, value in reasons.items():
        setattr(proposal, name, value)
    if decision == "accept" and values.get("official_cost") not in (None, ""):
        proposal.official_cost = whole_number(values["official_cost"], _l("Official cost"), minimum=1)
    record(moderator, f"proposal.{decision}", proposal, before, snapshot(proposal, SCREEN_FIELDS))
    db.session.commit()
    return proposal


@transaction
def set_official_cost(moderator: User, proposal: Proposal, cost: Any, *, now: datetime | None = None) -> Proposal:
    """Set the moderators' official cost estimate of a proposal."""
    require_phase(proposal.round, *SCREENING_PHASES, now=now or security.now())
    cost = whole_number(cost, _l("Official cost"), minimum=1)
    if proposal.project is not None:
        raise ServiceError(_l("This proposal is already on the ballot; edit the project's cost instead."))
    before = snapshot(proposal, ("official_cost",))
    proposal.official_cost = cost
    record(moderator, "proposal.cost", proposal, before, snapshot(proposal, ("official_cost",)))
    db.session.commit()
    return proposal


@transaction
def merge_proposal(
    moderator: User, proposal: Proposal, target: Proposal, values: Mapping[str, Any], *, now: datetime | None = None
) -> Proposal:
    """Merge a duplicate into ``target`` (of the same round); its page links to the target."""
    require_phase(proposal.round, *SCREENING_PHASES, now=now or security.now())
    if target.round_id != proposal.round_id:
        raise ServiceError(_l("A proposal can only be merged into a proposal of the same round."))
    if target.id == proposal.id:
        raise ServiceError(_l("A proposal cannot be merged into itself."))
    if target.status in (ProposalStatus.MERGED, ProposalStatus.REJECTED):
        raise ServiceError(_l("Merge into a proposal that is neither rejected nor merged itself."))
    if proposal.project is not None:
        raise ServiceError(_l("This proposal is already on the ballot and cannot be merged."))
    reasons = _reasons(values)
    before = snapshot(proposal, SCREEN_FIELDS)
    proposal.status = ProposalStatus.MERGED
    proposal.merged_into = target
    for name, value in reasons.items():
        setattr(proposal, name, value)
    # Earlier duplicates of this one now point at the final target, so links never chain.
    for duplicate in list(proposal.duplicates):
        old = snapshot(duplicate, ("merged_into_id",))
        duplicate.merged_into = target
        db.session.flush()
        record(moderator, "proposal.merge", duplicate, old, snapshot(duplicate, ("merged_into_id",)))
    db.session.flush()
    record(moderator, "proposal.merge", proposal, before, snapshot(proposal, SCREEN_FIELDS))
    db.session.commit()
    return proposal


def _clean_project(round_: Round, values: Mapping[str, Any], *, partial: bool) -> dict[str, Any]:
    unknown = set(values) - set(PROJECT_FIELDS)
    if unknown:
        raise ServiceError(_l("Unknown project field: %(name)s.", name=", ".join(sorted(unknown))[:80]))
    clean: dict[str, Any] = {}
    for lang in LANGS:
        for field, limit in (("title", NAME_MAX), ("description", TEXT_MAX)):
            name = f"{field}_{lang}"
            if name in values or not partial:
                clean[name] = _text(values.get(name), _l("Title") if field == "title" else _l("Description"), limit=limit)
    if "area_id" in values or not partial:
        clean["area_id"] = area_of_round(round_, values.get("area_id")).id
    if "cost" in values or not partial:
        clean["cost"] = whole_number(values.get("cost"), _l("Cost"), minimum=1)
    if "category" in values:
        category = values.get("category") or None
        if category is not None and category not in CATEGORIES:
            raise ServiceError(_l("Choose one of the categories."))
        clean["category"] = category
    if "position" in values:
        clean["position"] = whole_number(values["position"], _l("Position"), maximum=10_000)
    return clean


def _check_titles(project: Project) -> None:
    if not any(getattr(project, f"title_{lang}") for lang in LANGS):
        raise ServiceError(_l("Give the project a title."))


@transaction
def create_project(moderator: User, round_: Round, values: Mapping[str, Any]) -> Project:
    """Put a project on the ballot directly (not from a proposal)."""
    ensure_not_frozen(round_, _l("the project list"))
    clean = _clean_project(round_, values, partial=False)
    if "position" not in clean:
        clean["position"] = _next_position(clean["area_id"])
    project = Project(**clean)
    _check_titles(project)
    project.round = round_
    db.session.add(project)
    db.session.flush()
    record(moderator, "project.create", project, None, snapshot(project, PROJECT_FIELDS))
    db.session.commit()
    return project


def _next_position(area_id: int) -> int:
    highest = db.session.scalar(sa.select(sa.func.max(Project.position)).where(Project.area_id == area_id))
    return 0 if highest is None else highest + 1


@transaction
def project_from_proposal(moderator: User, proposal: Proposal) -> Project:
    """Turn an accepted proposal with an official cost into a ballot project of its area."""
    round_ = proposal.round
    ensure_not_frozen(round_, _l("the project list"))
    if proposal.status is not ProposalStatus.ACCEPTED:
        raise ServiceError(_l("Only accepted proposals can go on the ballot."))
    if proposal.official_cost is None:
        raise ServiceError(_l("Set the official cost first."))
    if proposal.project is not None:
        raise ServiceError(_l("This proposal is already on the ballot."))
    position = _next_position(proposal.area_id)
    project = Project(
        round=round_,
        area_id=proposal.area_id,
        proposal=proposal,
        cost=proposal.official_cost,
        category=proposal.category,
        position=position,
        **{f"{f}_{lang}": getattr(proposal, f"{f}_{lang}") for f in ("title", "description") for lang in LANGS},
    )
    db.session.add(project)
    db.session.flush()
    record(moderator, "project.create", project, None, {**snapshot(project, PROJECT_FIELDS), "proposal_id": proposal.id})
    db.session.commit()
    return project


@transaction
def update_project(moderator: User, project: Project, values: Mapping[str, Any]) -> Project:
    """Edit a ballot project (title, description, area, cost, category, position) until voting opens."""
    ensure_not_frozen(project.round, _l("the projects and their costs"))
    clean = _clean_project(project.round, values, partial=True)
    changed = {name: v for name, v in clean.items() if getattr(project, name) != v}
    if not changed:
        return project
    before = snapshot(project, changed)
    for name, value in changed.items():
        setattr(project, name, value)
    _check_titles(project)
    record(moderator, "project.update", project, before, snapshot(project, changed))
    db.session.commit()
    return project


@transaction
def delete_project(moderator: User, project: Project) -> None:
    """Take a project off the ballot before voting opens."""
    ensure_not_frozen(project.round, _l("the project list"))
    record(moderator, "project.delete", project, snapshot(project, PROJECT_FIELDS), None)
    db.session.delete(project)
    db.session.commit()


def project_of_round(round_: Round, project_id: Any) -> Project:
    """The round's project with this id; forged ids and other rounds' projects are refused."""
    try:
        project_id = int(project_id)
    except (TypeError, ValueError):
        raise ServiceError(_l("No such project in this round.")) from None
    project = db.session.get(Project, project_id) if 0 < project_id < 2**31 else None
    if project is None or project.round_id != round_.id:
        raise ServiceError(_l("No such project in this round."))
    return project
