"""Moderation: screen proposals (accept or reject with a public reason, merge duplicates, set
the official cost), turn accepted ones into ballot projects and edit projects until voting
opens. Each view calls one screening service; the services log and commit."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from pb.auth import role_required
from pb.extensions import db
from pb.models import Project, Proposal, Role, Round
from pb.proposals.forms import CATEGORY_LABELS
from pb.services import ServiceError, screening
from pb.services.proposals import proposal_of_round
from pb.services.round_phases import current_phase

bp = Blueprint("moderation", __name__)
MODERATORS = (Role.MODERATOR, Role.ADMINISTRATOR)


class ActionForm(FlaskForm):
    """Only the CSRF token: the fields are read from the request and checked by the service."""


def _back(round_id: int):
    return redirect(url_for("moderation.show_round", round_id=round_id))


def _run(round_id: int, action, success: str):
    if not ActionForm().validate_on_submit():
        flash(_("The form had expired. Please submit it again."), "error")
        return _back(round_id)
    try:
        action()
    except ServiceError as error:
        flash(str(error), "error")
    else:
        flash(success, "success")
    return _back(round_id)


def _fields(*names: str) -> dict:
    return {name: request.form.get(name) for name in names}


@bp.route("/rounds/<id:round_id>")
@role_required(*MODERATORS)
def show_round(round_id: int):
    """The round's proposals to screen and its ballot projects."""
    round_ = db.session.get(Round, round_id) or abort(404)
    return render_template(
        "moderation/round.html", round=round_, phase=current_phase(round_), form=ActionForm(), categories=CATEGORY_LABELS
    )


def _proposal(proposal_id: int) -> Proposal:
    return db.session.get(Proposal, proposal_id) or abort(404)


@bp.route("/proposals/<id:proposal_id>/screen", methods=["POST"])
@role_required(*MODERATORS)
def screen_proposal(proposal_id: int):
    """Accept or reject a proposal with a public reason."""
    proposal = _proposal(proposal_id)
    values = _fields("reason_fi", "reason_sv", "reason_en", "official_cost")
    return _run(
        proposal.round_id,
        lambda: screening.screen_proposal(g.user, proposal, request.form.get("decision", ""), values),
        _("Decision saved."),
    )


@bp.route("/proposals/<id:proposal_id>/merge", methods=["POST"])
@role_required(*MODERATORS)
def merge_proposal(proposal_id: int):
    """Merge a duplicate proposal into another proposal of the round."""
    proposal = _proposal(proposal_id)
    values = _fields("reason_fi", "reason_sv", "reason_en")

    def merge():
        target = proposal_of_round(proposal.round, request.form.get("target_id"))
        screening.merge_proposal(g.user, proposal, target, values)

    return _run(proposal.round_id, merge, _("Proposals merged."))


@bp.route("/proposals/<id:proposal_id>/cost", methods=["POST"])
@role_required(*MODERATORS)
def set_cost(proposal_id: int):
    """Set a proposal's official cost estimate."""
    proposal = _proposal(proposal_id)
    return _run(
        proposal.round_id,
        lambda: screening.set_official_cost(g.user, proposal, request.form.get("official_cost")),
        _("Official cost saved."),
    )


@bp.route("/proposals/<id:proposal_id>/project", methods=["POST"])
@role_required(*MODERATORS)
def create_project(proposal_id: int):
    """Put an accepted proposal on the ballot."""
    proposal = _proposal(proposal_id)
    return _run(proposal.round_id, lambda: screening.project_from_proposal(g.user, proposal), _("Project added to the ballot."))


@bp.route("/projects/<id:project_id>", methods=["POST"])
@role_required(*MODERATORS)
def update_project(project_id: int):
    """Edit a ballot project (until voting opens) or take it off the ballot."""
    project = db.session.get(Project, project_id) or abort(404)
    if request.form.get("delete"):
        return _run(project.round_id, lambda: screening.delete_project(g.user, project), _("Project removed."))
    names = [n for n in ("title_fi", "title_sv", "title_en", "description_fi", "cost", "area_id", "position") if n in request.form]
    values = _fields(*names)
    return _run(project.round_id, lambda: screening.update_project(g.user, project, values), _("Project saved."))
