"""Administration of rounds: create and edit, areas and budgets, phases, and the audit log."""

from __future__ import annotations

import json

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pb.admin.round_forms import AreaForm, PhaseForm, RoundForm
from pb.admin.routes import bp
from pb.auth import role_required
from pb.extensions import db
from pb.helsinki import helsinki_time, to_helsinki
from pb.labels import label
from pb.models import PHASE_ORDER, Area, Phase, Role, Round
from pb.services import ServiceError, areas, audit_log, round_phases, rounds


def _round(round_id: int) -> Round:
    return db.session.get(Round, round_id) or abort(404)


@bp.route("/rounds")
@role_required(Role.ADMINISTRATOR)
def list_rounds():
    """List every round with its phase."""
    all_rounds = db.session.scalars(sa.select(Round).order_by(Round.id.desc())).all()
    return render_template("admin/rounds.html", rounds=all_rounds)


@bp.route("/rounds/new", methods=["GET", "POST"])
@role_required(Role.ADMINISTRATOR)
def create_round():
    """Create a round (a youth round starts from the youth defaults)."""
    form = RoundForm()
    if request.method == "GET":
        form.rule.data = "greedy"
    if form.validate_on_submit():
        values = form.values()
        if values["kind"] == "youth":
            # The youth defaults apply unless the form says otherwise.
            for name in ("max_choices", "eligibility", "confirming_body"):
                if not values.get(name):
                    values.pop(name, None)
        try:
            round_ = rounds.create_round(g.user, values)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("Round created."), "success")
            return redirect(url_for("admin.edit_round", round_id=round_.id))
    return render_template("admin/round_form.html", form=form, round=None), 400 if form.errors or request.method == "POST" else 200


@bp.route("/rounds/<id:round_id>", methods=["GET", "POST"])
@role_required(Role.ADMINISTRATOR)
def edit_round(round_id: int):
    """Edit a round's settings, areas and phase."""
    round_ = _round(round_id)
    form = RoundForm(obj=round_ if request.method == "GET" else None)
    if request.method == "GET":
        for name in ("proposals_open_at", "proposals_close_at", "voting_opens_at", "voting_closes_at", "results_at"):
            form[name].data = to_helsinki(getattr(round_, name))
        form.kind.data = round_.kind.value
        form.ballot_kind.data = round_.ballot_kind.value
    status = 200
    if form.validate_on_submit():
        try:
            rounds.update_round(g.user, round_, form.values())
        except ServiceError as error:
            flash(str(error), "error")
            status = 400
        else:
            flash(_("Round saved."), "success")
            return redirect(url_for("admin.edit_round", round_id=round_.id))
    elif request.method == "POST":
        status = 400
    return _edit_page(round_, form=form), status


def _edit_page(round_: Round, **forms):
    forms.setdefault("form", RoundForm(obj=round_))
    forms.setdefault("area_form", AreaForm(prefix="area"))
    phase = round_phases.current_phase(round_)
    following = PHASE_ORDER[phase.index + 1] if phase.index + 1 < len(PHASE_ORDER) else None
    phase_form = PhaseForm(phase=following.value if following else None)
    return render_template(
        "admin/round_form.html", round=round_, phase=phase, next_phase=following, phase_form=phase_form,
        problems=round_phases.transition_problems(round_, following, rounds.security.now()) if following else [],
        **forms,
    )


@bp.route("/rounds/<id:round_id>/areas", methods=["POST"])
@role_required(Role.ADMINISTRATOR)
def add_area(round_id: int):
    """Add an area or the citywide pot to a round."""
    round_ = _round(round_id)
    form = AreaForm(prefix="area")
    if not form.validate_on_submit():
        return _edit_page(round_, area_form=form), 400
    try:
        areas.add_area(g.user, round_, form.values())
    except ServiceError as error:
        flash(str(error), "error")
        return _edit_page(round_, area_form=form), 400
    flash(_("Area added."), "success")
    return redirect(url_for("admin.edit_round", round_id=round_.id))


@bp.route("/rounds/<id:round_id>/areas/<id:area_id>", methods=["POST"])
@role_required(Role.ADMINISTRATOR)
def update_area(round_id: int, area_id: int):
    """Change an area's names or budget, or remove it."""
    round_ = _round(round_id)
    area = db.session.get(Area, area_id)
    if area is None or area.round_id != round_.id:
        abort(404)
    form = AreaForm(prefix=f"area{area.id}")
    try:
        if request.form.get("delete"):
            from flask_wtf.csrf import validate_csrf

            validate_csrf(request.form.get(f"area{area.id}-csrf_token") or request.form.get("csrf_token"))
            areas.delete_area(g.user, area)
            flash(_("Area removed."), "success")
        elif form.validate_on_submit():
            areas.update_area(g.user, area, form.values())
            flash(_("Area saved."), "success")
        else:
            flash(_("Check the area's fields: %(errors)s", errors="; ".join(
                f"{form[name].label.text}: {' '.join(map(str, errs))}" for name, errs in form.errors.items())), "error")
    except ServiceError as error:
        flash(str(error), "error")
    except Exception as error:  # CSRF ValidationError
        from wtforms.validators import ValidationError

        if not isinstance(error, ValidationError):
            raise
        flash(_("The form had expired. Please submit it again."), "error")
    return redirect(url_for("admin.edit_round", round_id=round_.id))


@bp.route("/rounds/<id:round_id>/phase", methods=["POST"])
@role_required(Role.ADMINISTRATOR)
def advance_phase(round_id: int):
    """Move the round to its next phase (opening voting freezes the rules)."""
    round_ = _round(round_id)
    form = PhaseForm()
    if form.validate_on_submit():
        try:
            round_phases.advance_phase(g.user, round_, form.phase.data)
        except ServiceError as error:
            flash(str(error), "error")
        else:
            flash(_("The round is now in the %(phase)s phase.", phase=label(Phase(form.phase.data))), "success")
    else:
        flash(_("The form had expired. Please submit it again."), "error")
    return redirect(url_for("admin.edit_round", round_id=round_.id))


@bp.route("/audit")
@role_required(Role.AUDITOR, Role.ADMINISTRATOR)
def show_audit_log():
    """The audit log, newest first, optionally of one round."""
    round_id = request.args.get("round", type=int)
    page = request.args.get("page", 1, type=int)
    entries = audit_log.entries(round_id=round_id if round_id and 0 < round_id < 2**31 else None, page=max(1, min(page, 10**6)))
    return render_template("admin/audit_log.html", entries=entries, round_id=round_id, loads=json.loads,
                           helsinki_time=helsinki_time)
