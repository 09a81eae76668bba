"""Voting-code batches: generate (codes shown once, as a printable sheet with a CSV
download inside the same response), list, void."""

from __future__ import annotations

import base64

from flask import Blueprint, abort, flash, g, make_response, redirect, render_template, url_for
from flask_babel import gettext as _

from pb.auth import role_required
from pb.codes.forms import BatchForm, VoidForm
from pb.extensions import db
from pb.i18n import localized
from pb.models import Role, Round
from pb.models.voting import CodeBatch
from pb.security import now
from pb.services import ServiceError
from pb.services import codes as codes_service
from pb.services.electorate import voting_areas
from pb.voting_codes import render_csv

bp = Blueprint("codes", __name__)


def _round(round_id: int) -> Round:
    return db.session.get(Round, round_id) or abort(404)


def _form(round_: Round) -> BatchForm:
    form = BatchForm()
    form.area.choices = [(0, _("The voter chooses"))] + [(a.id, localized(a, "name")) for a in voting_areas(round_)]
    return form


def _list_page(round_: Round, form: BatchForm, status: int = 200):
    return render_template("codes/list_batches.html", round=round_, form=form, void_form=VoidForm(),
                           batches=codes_service.batch_counts(round_.id)), status


@bp.route("/admin/rounds/<id:round_id>/codes")
@role_required(Role.ADMINISTRATOR)
def list_batches(round_id: int):
    """List a round's code batches (used and voided counts) and offer a new batch."""
    round_ = _round(round_id)
    return _list_page(round_, _form(round_))


@bp.route("/admin/rounds/<id:round_id>/codes", methods=["POST"])
@role_required(Role.ADMINISTRATOR)
def generate_batch(round_id: int):
    """Generate a batch and answer with its printable sheet and CSV, this once only."""
    round_ = _round(round_id)
    form = _form(round_)
    if not form.validate_on_submit():
        return _list_page(round_, form, 400)
    try:
        batch, generated = codes_service.create_batch(
            round_.id, form.count.data, form.label.data, area_id=form.area.data or None,
            actor=g.user, at=now(),
        )
    except ServiceError as error:
        form.label.errors = [str(error.message)]
        return _list_page(round_, form, 400)
    csv_text = render_csv(generated)
    csv_href = "data:text/csv;charset=utf-8;base64," + base64.b64encode(csv_text.encode("utf-8")).decode("ascii")
    response = make_response(render_template(
        "codes/generated.html", round=round_, batch=generated, stored=batch,
        numbered=list(enumerate(generated.codes, start=1)), csv_href=csv_href,
        csv_name=f"voting-codes-{batch.id}.csv",
        vote_url=url_for("ballot.start", round_id=round_.id, _external=True),
        round_name=localized(round_, "name"),
    ))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.route("/admin/rounds/<id:round_id>/codes/<id:batch_id>/void", methods=["POST"])
@role_required(Role.ADMINISTRATOR)
def void_batch(round_id: int, batch_id: int):
    """Void every unused code of a batch (a lost or stolen sheet)."""
    batch = db.session.get(CodeBatch, batch_id)
    if batch is None or batch.round_id != round_id:
        abort(404)
    if VoidForm().validate_on_submit():
        count = codes_service.void_batch(batch_id, actor=g.user)
        flash(_("%(num)d unused codes were voided.", num=count), "success")
    return redirect(url_for("codes.list_batches", round_id=round_id), code=303)
