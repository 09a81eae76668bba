"""Paper ballots: double-keyed entry by moderators, the list of serials and mismatches,
and the in-person check-in that puts a paper voter in the who-voted record."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pb import identity
from pb.auth import role_required
from pb.eligibility_text import reason_messages
from pb.extensions import db
from pb.models import Phase, Role, Round
from pb.paper.forms import CheckInForm, PaperEntryForm
from pb.phases import phase_required
from pb.security import now
from pb.services import ServiceError
from pb.services import paper as paper_service
from pb.services import electorate
from pb.services import voting as voting_service

bp = Blueprint("paper", __name__)

STAFF = (Role.MODERATOR, Role.ADMINISTRATOR)


def _round(round_id: int) -> Round:
    return db.session.get(Round, round_id) or abort(404)


def _pots(round_: Round):
    return [a for a in round_.areas]


def _entry_page(round_: Round, form: PaperEntryForm, area, picked=(), problems=(), status: int = 200):
    projects = electorate.pot_projects(area) if area is not None else []
    return render_template("paper/enter_ballot.html", round=round_, form=form, areas=_pots(round_), area=area,
                           projects=projects, picked=set(picked), problems=problems), status


@bp.route("/rounds/<id:round_id>/paper", methods=["GET", "POST"])
@role_required(*STAFF)
@phase_required(Phase.VOTING)
def enter_ballot(round_id: int):
    """Key one paper ballot: serial, area (pot) and the ticked projects."""
    round_ = _round(round_id)
    raw_area = request.values.get("area", "")
    area = next((a for a in round_.areas if raw_area.isdigit() and a.id == int(raw_area)), None)
    form = PaperEntryForm()
    if request.method == "GET" or area is None:
        return _entry_page(round_, form, area, status=200 if request.method == "GET" else 400)
    picked = request.form.getlist("projects")
    if not form.validate_on_submit():
        return _entry_page(round_, form, area, picked, status=400)
    try:
        outcome = paper_service.enter_paper_ballot(round_.id, form.serial.data, area.id, picked,
                                                   moderator_id=g.user.id, at=now())
    except voting_service.BallotRejected as error:
        return _entry_page(round_, form, area, picked, problems=error.problems, status=400)
    except ServiceError as error:
        return _entry_page(round_, form, area, picked, problems=[error.message], status=409)
    messages = {
        "counted": (_("Paper ballot %(serial)s matches the earlier entry and now counts.", serial=outcome.serial), "success"),
        "pending": (_("Paper ballot %(serial)s was saved. A different moderator must enter it too.", serial=outcome.serial), "info"),
        "mismatch": (_("Paper ballot %(serial)s does not match the earlier entry. It is listed for resolution.", serial=outcome.serial), "warning"),
    }
    flash(*messages[outcome.status])
    return redirect(url_for("paper.enter_ballot", round_id=round_id, area=area.id), code=303)


@bp.route("/rounds/<id:round_id>/paper/entries")
@role_required(*STAFF)
def list_entries(round_id: int):
    """Every serial entered: counted, waiting for a second entry, or mismatched."""
    round_ = _round(round_id)
    from pb.i18n import localized

    titles = {str(project.id): localized(project, "title") for project in round_.projects}
    return render_template("paper/list_entries.html", round=round_, titles=titles,
                           serials=paper_service.paper_overview(round_.id))


@bp.route("/rounds/<id:round_id>/paper/check-in", methods=["GET", "POST"])
@role_required(*STAFF)
@phase_required(Phase.VOTING)
def check_in(round_id: int):
    """Identify an in-person voter at a service point and record that they vote on paper."""
    round_ = _round(round_id)
    form = CheckInForm()
    claims = identity.attested_claims()
    decision = electorate.check_eligible(round_, claims) if claims is not None else None
    if request.method == "POST" and form.validate_on_submit() and claims is not None:
        if not decision.ok:
            abort(403)
        try:
            voting_service.record_in_person_voter(round_.id, identity.voter_reference(claims), at=now())
        except ServiceError as error:
            identity.clear_attestation()
            flash(error.message, "error")
        else:
            identity.clear_attestation()
            flash(_("Recorded. Hand the voter a paper ballot."), "success")
        return redirect(url_for("paper.check_in", round_id=round_id), code=303)
    already = claims is not None and voting_service.has_voted(round_.id, identity.voter_reference(claims))
    return render_template(
        "paper/check_in.html", round=round_, form=form, claims=claims, already=already,
        reasons=(reason_messages(electorate.eligibility_rules(round_), claims)
                 if decision is not None and not decision.ok else []),
        providers=list(identity.providers().values()),
    )
