"""Audit pages: a round's bundle digest and downloads, per-pot ballot files, and the public
"check my receipt" form. Who may read ballots is decided by ``pb.services.exports``; the
views are public endpoints that refuse (404) whoever may not."""

from __future__ import annotations

from flask import Blueprint, abort, g, make_response, render_template
from flask_babel import gettext as _

from pb import security
from pb.audit.forms import ReceiptForm
from pb.extensions import db
from pb.models import Area, Round
from pb.services import exports as service

bp = Blueprint("audit", __name__, url_prefix="/audit")


def _round(round_id: int) -> Round:
    return db.session.get(Round, round_id) or abort(404)


@bp.route("/rounds/<id:round_id>")
def show_round(round_id: int):
    """Show the round's bundle digest, what the viewer may download, and the receipt check."""
    round_ = _round(round_id)
    user = g.get("user")
    bundle = service.stored_bundle(round_)
    access = service.ballot_access(user, round_)
    names = service.pot_names(round_)
    pots = [(area, names[area.id]) for area in sorted(round_.areas, key=lambda a: a.id)]
    return render_template("audit/show_round.html", round=round_, bundle=bundle, access=access, pots=pots,
                           formats=list(service.FORMATS), form=ReceiptForm())


@bp.route("/rounds/<id:round_id>/bundle.zip")
def download_bundle(round_id: int):
    """Download the audit bundle stored at publication, its digest in a header."""
    round_ = _round(round_id)
    try:
        bundle = service.bundle_for(g.get("user"), round_)
    except service.ExportRefused:
        abort(404)
    response = make_response(bundle.data)
    response.headers["Content-Type"] = "application/zip"
    response.headers["Content-Disposition"] = f'attachment; filename="round-{round_.id}-bundle.zip"'
    response.headers["X-Bundle-Digest"] = bundle.digest
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/rounds/<id:round_id>/ballots/<id:area_id>.<any(pb, csv, json):fmt>")
def export_ballots(round_id: int, area_id: int, fmt: str):
    """Download one pot's anonymised ballots as .pb, CSV or JSON."""
    round_ = _round(round_id)
    area = db.session.get(Area, area_id)
    if area is None or area.round_id != round_.id:
        abort(404)
    try:
        exported = service.export_ballots(g.get("user"), round_, area, fmt)
    except service.ExportRefused:
        abort(404)
    response = make_response(exported.data)
    response.headers["Content-Type"] = exported.mimetype
    response.headers["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/rounds/<id:round_id>/receipt", methods=["GET", "POST"])
def check_receipt(round_id: int):
    """Check a receipt: say only whether its ballot is in the published count."""
    round_ = _round(round_id)
    form = ReceiptForm()
    answer = None
    status = 200
    if form.validate_on_submit():
        try:
            answer = service.check_receipt(round_, form.receipt.data, address=security.client_address())
        except service.TooManyChecks as error:
            form.receipt.errors = [str(error.message)]
            response = make_response(render_template("audit/check_receipt.html", round=round_, form=form,
                                                      answer=None), 429)
            response.headers["Retry-After"] = str(error.retry_after)
            return response
        if answer is service.ReceiptAnswer.MALFORMED:
            form.receipt.errors = [_("That is not a whole receipt code: check it against the one you were shown.")]
    elif form.is_submitted():
        status = 400
    response = make_response(render_template("audit/check_receipt.html", round=round_, form=form, answer=answer),
                             status)
    response.headers["Cache-Control"] = "no-store"  # the page repeats the typed receipt
    return response
