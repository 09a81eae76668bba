"""Proposals: the public list with filters and search, one proposal's page, and the
resident's submit, edit and "my proposals" pages."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pb.auth import role_required
from pb.extensions import db
from pb.i18n import localized
from pb.labels import label
from pb.models import Phase, Proposal, ProposalStatus, Round
from pb.phases import phase_required
from pb.proposals.forms import CATEGORY_LABELS, ProposalFilterForm, ProposalForm
from pb.services import ServiceError, proposals
from pb.validators import choice

bp = Blueprint("proposals", __name__)


def _area_choices(round_: Round) -> list:
    return [choice(str(a.id), localized(a, "name")) for a in round_.areas]


@bp.route("/rounds/<id:round_id>/proposals")
def list_proposals(round_id: int):
    """List a round's proposals, filtered by area, category and status, with search."""
    round_ = db.session.get(Round, round_id) or abort(404)
    form = ProposalFilterForm(request.args)
    form.area.choices = [choice("", _("All"))] + _area_choices(round_)
    form.status.choices = [choice("", _("All"))] + [choice(s.value, label(s)) for s in ProposalStatus]
    valid = form.validate()
    args = request.args
    area_id = args.get("area", type=int) if valid else None
    page = proposals.list_proposals(
        round_,
        area_id=area_id if area_id and 0 < area_id < 2**31 else None,
        category=args.get("category") or None if valid else None,
        status=args.get("status") or None if valid else None,
        search=form.q.data if valid else None,
        page=min(max(args.get("page", 1, type=int), 1), 10**6),
    )
    return render_template("proposals/list.html", round=round_, form=form, page=page, categories=CATEGORY_LABELS)


@bp.route("/proposals/<id:proposal_id>")
def show_proposal(proposal_id: int):
    """Show one proposal, its status and the public reason for the decision."""
    proposal = db.session.get(Proposal, proposal_id) or abort(404)
    return render_template("proposals/show.html", proposal=proposal, categories=CATEGORY_LABELS)


@bp.route("/rounds/<id:round_id>/proposals/new", methods=["GET", "POST"])
@role_required()
@phase_required(Phase.PROPOSALS)
def create_proposal(round_id: int):
    """Submit a proposal to a round in its proposal phase."""
    round_ = g.round
    form = ProposalForm()
    form.area_id.choices = _area_choices(round_)
    status = 200
    if form.validate_on_submit():
        try:
            proposal = proposals.submit_proposal(g.user, round_, form.values())
        except ServiceError as error:
            flash(str(error), "error")
            status = 400
        else:
            flash(_("Thank you! Your proposal was submitted."), "success")
            return redirect(url_for("proposals.show_proposal", proposal_id=proposal.id))
    elif request.method == "POST":
        status = 400
    return render_template("proposals/form.html", form=form, round=round_, proposal=None), status


@bp.route("/proposals/<id:proposal_id>/edit", methods=["GET", "POST"])
@role_required()
def edit_proposal(proposal_id: int):
    """Edit one's own proposal until the proposal phase ends."""
    proposal = db.session.get(Proposal, proposal_id) or abort(404)
    if proposal.author_id != g.user.id:
        abort(403)
    form = ProposalForm(obj=proposal if request.method == "GET" else None)
    form.area_id.choices = _area_choices(proposal.round)
    if request.method == "GET":
        form.area_id.data = str(proposal.area_id)
        form.category.data = proposal.category or ""
    status = 200
    if form.validate_on_submit():
        try:
            proposals.update_proposal(g.user, proposal, form.values())
        except ServiceError as error:
            flash(str(error), "error")
            status = 400
        else:
            flash(_("Your proposal was saved."), "success")
            return redirect(url_for("proposals.show_proposal", proposal_id=proposal.id))
    elif request.method == "POST":
        status = 400
    return render_template("proposals/form.html", form=form, round=proposal.round, proposal=proposal), status


@bp.route("/proposals/mine")
@role_required()
def my_proposals():
    """The logged-in resident's proposals and their status."""
    return render_template("proposals/mine.html", proposals=proposals.proposals_by(g.user))
