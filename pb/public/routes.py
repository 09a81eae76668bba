"""Public pages: the rounds and, for each, its areas and proposals."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template

from pb.extensions import db
from pb import security
from pb.eligibility_text import rule_summary
from pb.helsinki import helsinki_time
from pb.i18n import localized
from pb.models import Round
from pb.results.explain import RULE_NAMES, chain_explanation
from pb.services import electorate, results, round_phases

bp = Blueprint("public", __name__)


@bp.route("/")
def index():
    """List the rounds, newest first, each in the phase its dates give now (a round whose
    voting has closed shows its results link even before the phases are next stored)."""
    all_rounds = db.session.scalars(sa.select(Round).order_by(Round.created_at.desc(), Round.id.desc())).all()
    now = security.now()
    phases = {round_.id: round_phases.current_phase(round_, now) for round_ in all_rounds}
    return render_template("public/index.html", rounds=all_rounds, phases=phases)


@bp.route("/rounds/<id:round_id>")
def show_round(round_id: int):
    """Show one round with its areas and their proposals."""
    round_ = db.session.get(Round, round_id) or abort(404)
    now = security.now()
    round_phases.sync_phase(round_, now)
    return render_template(
        "public/show_round.html", round=round_, phase=round_phases.current_phase(round_, now), helsinki_time=helsinki_time, now=now,
        publication=results.publication_of(round_), rule_name=RULE_NAMES.get(round_.rule),
        chain_text=chain_explanation(round_.tie_break), who_can_vote=who_can_vote(round_),
    )


def who_can_vote(round_: Round) -> list[list[str]]:
    """The round's eligibility in sentences: one list per alternative rule (a voter needs to
    meet one), the areas named in the visitor's language."""
    area_names = {area.code: localized(area, "name") for area in round_.areas}
    return [rule_summary(rule, area_names) for rule in electorate.eligibility_rules(round_)]


@bp.route("/accessibility")
def accessibility():
    """Show the accessibility statement (Act 306/2019) with its feedback address."""
    return render_template(
        "public/accessibility.html",
        feedback_email=current_app.config.get("ACCESSIBILITY_FEEDBACK_EMAIL") or "",
        statement_date=current_app.config.get("ACCESSIBILITY_STATEMENT_DATE"),
    )
