"""Results: the count after voting closes, its confirmation by the named body, publication,
and follow-up updates on funded projects.

No vote count is public before publication. Before it, counts are seen only through
:func:`view_counts`, by administrators (the preview, also shown to the confirming body) and
auditors, and only once voting has closed; every such view is written to the audit log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from pb import security
from pb.extensions import db
from pb.models import (
    Area,
    Confirmation,
    FollowUpStatus,
    FollowUpUpdate,
    Phase,
    Project,
    Publication,
    PotResult,
    Role,
    Round,
    RoundKind,
    TallyRun,
    User,
)
from pb.services import ServiceError, clean_text
from pb.services.audit_log import record
from pb.services.round_phases import TRANSITION_CHECKS, current_phase
from voting import canonical_json

TEXT_MAX = 200
NOTE_MAX = 5000


# Queries -----------------------------------------------------------------------------------


def latest_run(round_: Round) -> TallyRun | None:
    return db.session.scalar(
        sa.select(TallyRun).where(TallyRun.round_id == round_.id).order_by(TallyRun.id.desc()).limit(1)
    )


def publication_of(round_: Round) -> Publication | None:
    return db.session.scalar(sa.select(Publication).where(Publication.round_id == round_.id))


def is_published(round_: Round) -> bool:
    return publication_of(round_) is not None


def confirmation_of(run: TallyRun) -> Confirmation | None:
    return db.session.scalar(
        sa.select(Confirmation).where(Confirmation.run_id == run.id).order_by(Confirmation.id.desc()).limit(1)
    )


def voting_has_closed(round_: Round, now: datetime | None = None) -> bool:
    return current_phase(round_, now or security.now()).index >= Phase.RESULTS.index


# Checks ------------------------------------------------------------------------------------


def _require_counting(round_: Round, now: datetime) -> None:
    """Counting, confirming and publishing happen in the results phase, before publication."""
    if current_phase(round_, now) is not Phase.RESULTS:
        raise ServiceError(_l("Results can be counted, confirmed and published only after voting has closed, in the results phase."))
    if round_.frozen_at is None:
        raise ServiceError(_l("The round's settings were never frozen: voting never opened."))
    if is_published(round_):
        raise ServiceError(_l("The results of this round have already been published."))


def _text(value: Any, label, *, required: bool = True, limit: int = TEXT_MAX) -> str | None:
    return clean_text(value, label, required=required, limit=limit)


# Use cases ---------------------------------------------------------------------------------


def _count(round_: Round) -> list[tuple[int, int, str]]:
    """(area id, ballots, outcome JSON) for every pot, through the one bridge."""
    from pb.tally import tally_round

    return [(pot.area_id, pot.ballot_count, pot.outcome.to_json()) for pot in tally_round(round_)]


def run_tally(actor: User, round_: Round, *, now: datetime | None = None) -> TallyRun:
    """Count every pot with the frozen rule (a preview until published)."""
    from pb.tally import tally_options

    from pb.services.privacy import rewrite_ballot_storage
    from pb.services.voting import seal_round

    now = now or security.now()
    _require_counting(round_, now)
    # Voting is over: the keys that found a ballot to replace go, then (PostgreSQL) the
    # storage order; in a short transaction of their own, since CLUSTER locks the tables.
    sealed = seal_round(round_.id)
    if rewrite_ballot_storage(round_.id) or sealed:
        db.session.commit()
    rule, options, chain = tally_options(round_)
    run = TallyRun(round_id=round_.id, created_at=now, created_by_id=actor.id if actor else None, rule=rule,
                   rule_options=canonical_json(options).rstrip("\n"), tie_break=chain,
                   config_digest=round_.config_digest, is_preview=True)
    for area_id, ballots, outcome in _count(round_):
        run.pots.append(PotResult(area_id=area_id, ballot_count=ballots, outcome_json=outcome))
    db.session.add(run)
    db.session.flush()
    record(actor, "results.tally", run, None,
           {"round_id": round_.id, "rule": rule, "tie_break": chain, "config_digest": round_.config_digest})
    db.session.commit()
    return run


def view_counts(actor: User, round_: Round, *, purpose: str = "preview", now: datetime | None = None) -> TallyRun | None:
    """The latest count for someone allowed to see it before publication (administrators;
    auditors once voting has closed), with the access written to the audit log."""
    now = now or security.now()
    if actor is None or not actor.has_role(Role.ADMINISTRATOR, Role.AUDITOR):
        raise ServiceError(_l("Only administrators and auditors may see the count before publication."))
    if not voting_has_closed(round_, now):
        raise ServiceError(_l("No count can be seen while voting is open."))
    run = latest_run(round_)
    record(actor, f"results.{purpose}.view", round_, None, {"run_id": run.id if run else None})
    db.session.commit()
    return run


def confirm_results(actor: User, round_: Round, run: TallyRun, values: Mapping[str, Any], *,
                    now: datetime | None = None) -> Confirmation:
    """Record the named body's confirmation of the latest count (who, body, decision)."""
    now = now or security.now()
    _require_counting(round_, now)
    current = latest_run(round_)
    if run is None or current is None or run.id != current.id or run.round_id != round_.id:
        raise ServiceError(_l("Confirm the latest count of this round."))
    body = _text(values.get("body") or round_.confirming_body, _l("Confirming body"))
    if round_.kind is RoundKind.YOUTH and round_.confirming_body and body != round_.confirming_body:
        raise ServiceError(_l("In a youth round the results are confirmed by %(body)s.", body=round_.confirming_body))
    confirmation = Confirmation(
        round_id=round_.id, run_id=run.id, body=body,
        confirmed_by=_text(values.get("confirmed_by"), _l("Confirmed by")),
        decision_reference=_text(values.get("decision_reference"), _l("Decision reference")),
        recorded_by_id=actor.id if actor else None, at=now,
    )
    db.session.add(confirmation)
    db.session.flush()
    record(actor, "results.confirm", confirmation, None,
           {"run_id": run.id, "body": confirmation.body, "confirmed_by": confirmation.confirmed_by,
            "decision_reference": confirmation.decision_reference})
    db.session.commit()
    return confirmation


def publish_results(actor: User, round_: Round, *, now: datetime | None = None) -> Publication:
    """Publish the latest count once its confirmation is recorded and a recount agrees."""
    now = now or security.now()
    _require_counting(round_, now)
    run = latest_run(round_)
    if run is None:
        raise ServiceError(_l("Run the count first."))
    confirmation = confirmation_of(run)
    if confirmation is None:
        raise ServiceError(_l("The results must be confirmed by %(body)s before they are published.",
                              body=round_.confirming_body or _l("the confirming body")))
    recount = {area_id: (ballots, outcome) for area_id, ballots, outcome in _count(round_)}
    stored = {pot.area_id: (pot.ballot_count, pot.outcome_json) for pot in run.pots}
    if recount != stored:
        raise ServiceError(_l("The ballots have changed since the confirmed count; count again and confirm that count."))
    publication = Publication(round_id=round_.id, run_id=run.id, confirmation_id=confirmation.id, at=now,
                              published_by_id=actor.id if actor else None)
    run.is_preview = False
    db.session.add(publication)
    db.session.flush()
    record(actor, "results.publish", publication, None, {"run_id": run.id, "confirmation_id": confirmation.id})
    from pb.services.exports import build_round_bundle

    try:
        build_round_bundle(round_, publication, actor=actor)  # stored once; sets publication.bundle_digest
        db.session.commit()
    except ServiceError:
        db.session.rollback()
        raise
    except sa.exc.IntegrityError:
        db.session.rollback()
        raise ServiceError(_l("The results of this round have already been published.")) from None
    return publication


def _published_before_follow_up(round_: Round):
    if not is_published(round_):
        return _l("The results have not been published yet.")
    return None


TRANSITION_CHECKS[Phase.FOLLOW_UP].append(_published_before_follow_up)


# What the public sees ----------------------------------------------------------------------


@dataclass(frozen=True)
class ProjectLine:
    project: Project
    votes: int
    is_funded: bool
    #: 1-based order of selection (None when not funded).
    rank: int | None


@dataclass(frozen=True)
class PotView:
    area: Area
    ballot_count: int
    budget: int
    total_cost: int
    funded: list[ProjectLine]
    unfunded: list[ProjectLine]
    ties: list[dict]
    outcome: dict


def pot_views(run: TallyRun) -> list[PotView]:
    """Each pot of a run as the results page shows it: funded projects in order of
    selection, then the others by votes."""
    views = []
    for pot in run.pots:
        outcome = pot.outcome
        projects = {str(p.id): p for p in pot.area.projects}
        order = {pid: i for i, pid in enumerate(outcome["selected"], 1)}
        votes = outcome.get("votes", {})
        lines = [ProjectLine(p, int(votes.get(pid, 0)), pid in order, order.get(pid)) for pid, p in projects.items()]
        funded = sorted((line for line in lines if line.is_funded), key=lambda line: line.rank)
        unfunded = sorted((line for line in lines if not line.is_funded), key=lambda line: (-line.votes, line.project.id))
        views.append(PotView(pot.area, pot.ballot_count, int(outcome["budget"]), int(outcome["total_cost"]),
                             funded, unfunded, list(outcome.get("ties", [])), outcome))
    return views


def published_run(round_: Round) -> TallyRun | None:
    publication = publication_of(round_)
    return publication.run if publication else None


def funded_project_ids(round_: Round) -> set[int]:
    run = published_run(round_)
    if run is None:
        return set()
    return {int(pid) for pot in run.pots for pid in pot.outcome["selected"]}


# Follow-up ---------------------------------------------------------------------------------


def add_follow_up(actor: User, project: Project, values: Mapping[str, Any], *, now: datetime | None = None) -> FollowUpUpdate:
    """Add an implementation update (planned, in progress, done, with a note) to a funded project."""
    now = now or security.now()
    if project.id not in funded_project_ids(project.round):
        raise ServiceError(_l("Only projects funded in the published results get follow-up updates."))
    try:
        status = FollowUpStatus(values.get("status"))
    except ValueError:
        raise ServiceError(_l("Choose a status: planned, in progress or done.")) from None
    notes = {f"note_{lang}": _text(values.get(f"note_{lang}"), _l("Note"), required=False, limit=NOTE_MAX)
             for lang in ("fi", "sv", "en")}
    if not any(notes.values()):
        raise ServiceError(_l("Write the note in at least one language."))
    update = FollowUpUpdate(project_id=project.id, status=status, at=now, author_id=actor.id if actor else None, **notes)
    db.session.add(update)
    db.session.flush()
    record(actor, "project.follow-up", project, None, {"update_id": update.id, "status": status.value, **notes})
    db.session.commit()
    return update


def follow_ups(round_: Round) -> dict[int, list[FollowUpUpdate]]:
    """Every follow-up update of the round's projects, newest first, by project id."""
    rows = db.session.scalars(
        sa.select(FollowUpUpdate).join(Project, Project.id == FollowUpUpdate.project_id)
        .where(Project.round_id == round_.id).order_by(FollowUpUpdate.at.desc(), FollowUpUpdate.id.desc())
    )
    found: dict[int, list[FollowUpUpdate]] = {}
    for update in rows:
        found.setdefault(update.project_id, []).append(update)
    return found
