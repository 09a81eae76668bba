"""The phases of a round, by hand and by date.

Phases move forward only. Closing steps that need no check (proposals close, voting closes)
follow the dates by themselves (:func:`current_phase`); opening voting needs its checks and
the freeze of the rules (:func:`pb.services.rounds.frozen_config`), so it happens through
:func:`sync_phase` (called by the phase gate on each request to the round and by
``flask pb advance-phases``) or by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from pb import security
from pb.extensions import db
from pb.models import PHASE_ORDER, Phase, Round, User
from pb.services import ServiceError, transaction
from pb.services.audit_log import record
from pb.services.rounds import config_digest, frozen_config, validate_eligibility, validate_rule
from voting import canonical_json


def current_phase(round_: Round, now: datetime | None = None) -> Phase:
    """The phase the round is in at ``now``: the stored phase, moved on by the closing dates
    that have passed (proposals close, voting closes). Voting opens only through
    :func:`sync_phase` or by hand, because opening freezes the rules."""
    now = now or security.now()
    phase = Phase(round_.phase)
    if phase is Phase.PROPOSALS and round_.proposals_close_at and now >= round_.proposals_close_at:
        phase = Phase.SCREENING
    if phase is Phase.VOTING and round_.voting_closes_at and now >= round_.voting_closes_at:
        phase = Phase.RESULTS
    return phase


def require_phase(round_: Round, *phases: Phase, now: datetime | None = None) -> Phase:
    """The current phase, or a ServiceError naming it when the action needs another."""
    phase = current_phase(round_, now)
    if phase not in phases:
        from pb.labels import label

        raise ServiceError(
            _l(
                "This cannot be done in the %(phase)s phase of the round (only in: %(allowed)s).",
                phase=label(phase),
                allowed=", ".join(label(p) for p in phases),
            )
        )
    return phase


#: Extra checks other parts register for entering a phase: ``check(round) -> message | None``.
TRANSITION_CHECKS: dict[Phase, list[Callable[[Round], Any]]] = {phase: [] for phase in Phase}


def transition_problems(round_: Round, to: Phase, now: datetime) -> list:
    """Why the round cannot enter phase ``to`` now (empty when it can)."""
    problems = []
    if to is Phase.VOTING:
        if not round_.areas:
            problems.append(_l("The round has no areas."))
        if not round_.projects:
            problems.append(_l("The round has no projects on the ballot."))
        for area in round_.areas:
            for project in area.projects:
                if project.cost > area.budget:
                    problems.append(
                        _l("Project %(id)s costs more than the budget of its area.", id=project.id)
                    )
        if round_.voting_closes_at is not None and round_.voting_closes_at <= now:
            problems.append(_l("The voting closing date has already passed."))
        try:
            validate_rule(round_.rule, round_.rule_options, round_.tie_break)
            validate_eligibility(round_.eligibility)
        except ServiceError as error:
            problems.append(error.message)
    for check in TRANSITION_CHECKS[to]:
        problem = check(round_)
        if problem:
            problems.append(problem)
    return problems


def _enter(round_: Round, frm: Phase, to: Phase, now: datetime, actor: User | None, how: str) -> bool:
    """Move the round from phase ``frm`` (as the caller checked it) to ``to`` with an audit
    entry. A concurrent mover that got there first wins; False then, and nothing is written."""
    before = {"phase": frm.value}
    values: dict[str, Any] = {"phase": to}
    if to is Phase.VOTING:
        config = frozen_config(round_)
        values.update(
            frozen_at=now,
            frozen_config_json=canonical_json(config),
            config_digest=config_digest(config),
        )
    result = db.session.execute(
        sa.update(Round)
        .where(Round.id == round_.id, Round.phase == frm)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        db.session.rollback()
        return False
    after = {"phase": to.value}
    if to is Phase.VOTING:
        after["config_digest"] = values["config_digest"]
    record(actor, f"round.phase.{how}", round_, before, after)
    db.session.commit()
    db.session.refresh(round_)
    return True


@transaction
def advance_phase(actor: User, round_: Round, to: Phase | str, *, now: datetime | None = None) -> Round:
    """Move the round forward to the next phase by hand, after that transition's checks."""
    now = now or security.now()
    try:
        to = Phase(to)
    except ValueError:
        raise ServiceError(_l("Unknown phase.")) from None
    sync_phase(round_, now)
    phase = Phase(round_.phase)
    if to.index <= phase.index:
        raise ServiceError(_l("Phases only move forward."))
    if to.index != phase.index + 1:
        raise ServiceError(_l("Move the round one phase at a time."))
    problems = transition_problems(round_, to, now)
    if problems:
        raise ServiceError(" ".join(str(p) for p in problems))
    if not _enter(round_, phase, to, now, actor, "advance"):
        raise ServiceError(_l("The round was changed at the same time; reload the page and try again."))
    return round_


def due_phase(round_: Round, now: datetime) -> Phase:
    """The phase the dates call for (the stored phase when no date has passed)."""
    phase = Phase(round_.phase)
    steps = {
        Phase.PROPOSALS: (round_.proposals_close_at, Phase.SCREENING),
        Phase.SCREENING: (round_.voting_opens_at, Phase.VOTING),
        Phase.VOTING: (round_.voting_closes_at, Phase.RESULTS),
    }
    while phase in steps:
        at, following = steps[phase]
        if at is None or now < at:
            break
        phase = following
    return phase


def sync_phase(round_: Round, now: datetime | None = None) -> list:
    """Store the phases whose dates have passed (opening voting only when its checks pass;
    it freezes the rules). Returns the problems that kept voting from opening."""
    now = now or security.now()
    target = due_phase(round_, now)
    while Phase(round_.phase).index < target.index:
        stored = Phase(round_.phase)
        following = PHASE_ORDER[stored.index + 1]
        problems = transition_problems(round_, following, now) if following is Phase.VOTING else []
        if problems:
            db.session.rollback()
            return problems
        if not _enter(round_, stored, following, now, None, "by-date"):
            db.session.refresh(round_)
    return []


def advance_due_rounds(now: datetime | None = None) -> list[tuple[Round, list]]:
    """Apply the passed dates of every round; the rounds that could not open voting, with why."""
    now = now or security.now()
    stuck = []
    for round_ in db.session.scalars(sa.select(Round).where(Round.phase != Phase.FOLLOW_UP).order_by(Round.id)):
        problems = sync_phase(round_, now)
        if problems:
            stuck.append((round_, problems))
    return stuck
