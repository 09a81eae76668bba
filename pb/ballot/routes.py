"""Voting: identify, choose an area, build the ballot (running total), review, cast.

Everything works without JavaScript: the ballot page is a form of checkboxes with an
"update total" button; ``static/ballot.js`` only updates the totals as boxes are ticked.
The confirmation page is the answer to the cast request itself and is not stored: it shows
the choices and the receipt once (``Cache-Control: no-store``).
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, abort, g, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from pb import identity
from pb.ballot.forms import AccountVoteForm, BallotForm, CodeForm
from pb.eligibility import Channel, Claims
from pb.eligibility_text import reason_messages
from pb.extensions import db
from pb.models import Area, Phase, Round
from pb.models.voting import BallotChannel
from pb.phases import phase_required
from pb.security import client_address, now
from pb.services import ServiceError
from pb.services import electorate
from pb.services import voting as voting_service
from pb.services.codes import CodeThrottled, code_is_usable, redeem_code

bp = Blueprint("ballot", __name__)

#: Session key of who is voting in which round (the kind of voter, and for a code its row).
VOTER_KEY = "pb_voter"


@dataclass(frozen=True)
class Voter:
    """Who is about to vote: the who-voted key, the channel and, if fixed, the area."""

    kind: str
    voter_ref: str
    channel: BallotChannel
    area_id: int | None
    band: str | None = None
    code_id: int | None = None


def _round(round_id: int) -> Round:
    return db.session.get(Round, round_id) or abort(404)


def _profile_claims(user) -> Claims:
    return Claims(Channel.SELF_DECLARED, birth_year=user.year_of_birth, home_area=user.home_area,
                  school=user.school, grade=user.grade)


def current_voter(round_: Round) -> Voter | None:
    """The voter this browser identified for ``round_``, if still valid."""
    data = session.get(VOTER_KEY)
    if not isinstance(data, dict) or data.get("round") != round_.id:
        data = {}
    # Without a code or account choice for this round, an attested person votes as themselves.
    kind = data.get("kind") or "identity"
    today = now().date()
    if kind == "identity":
        claims = identity.attested_claims()
        if claims is None or not electorate.check_eligible(round_, claims).ok:
            return None
        area = electorate.assigned_area(round_, claims)
        return Voter(kind, identity.voter_reference(claims), BallotChannel.ONLINE,
                     area.id if area else None, electorate.age_band(claims, today))
    if kind == "account":
        user = g.get("user")
        if user is None or not user.is_verified or not round_.is_self_declared:
            return None
        claims = _profile_claims(user)
        if not electorate.check_eligible(round_, claims).ok:
            return None
        area = electorate.assigned_area(round_, claims)
        return Voter(kind, voting_service.account_reference(user.id), BallotChannel.ONLINE,
                     area.id if area else None, electorate.age_band(claims, today))
    if kind == "code":
        code_id, ref = data.get("code"), data.get("ref")
        if not isinstance(code_id, int) or not isinstance(ref, str) or not code_is_usable(code_id):
            return None
        area_id = data.get("area") if isinstance(data.get("area"), int) else None
        return Voter(kind, ref, BallotChannel.CODE, area_id, None, code_id)
    return None


def _forget_voter() -> None:
    session.pop(VOTER_KEY, None)
    identity.clear_attestation()


def _start_page(round_: Round, *, code_form: CodeForm | None = None, refused: Claims | None = None,
                status: int = 200):
    """The page that says how to identify; with *refused*, also why those claims may not vote."""
    rules = electorate.eligibility_rules(round_)
    channels = electorate.accepted_channels(round_)
    providers = [] if Channel.IDENTITY not in channels else list(identity.providers().values())
    return render_template(
        "ballot/start.html",
        round=round_,
        providers=providers,
        accepts_codes=Channel.CODE in channels,
        code_form=code_form or CodeForm(),
        account_form=AccountVoteForm(),
        reasons=reason_messages(rules, refused) if refused is not None else [],
    ), status


@bp.route("/rounds/<id:round_id>/vote")
@phase_required(Phase.VOTING)
def start(round_id: int):
    """Say how to identify for voting in this round; pick up a finished attestation."""
    round_ = _round(round_id)
    if current_voter(round_) is not None:
        return redirect(url_for("ballot.build_ballot", round_id=round_id), code=303)
    claims = identity.attested_claims()
    if claims is not None:
        decision = electorate.check_eligible(round_, claims)
        if decision.ok:
            session[VOTER_KEY] = {"round": round_.id, "kind": "identity"}
            return redirect(url_for("ballot.build_ballot", round_id=round_id), code=303)
        return _start_page(round_, refused=claims, status=403)
    return _start_page(round_)


@bp.route("/rounds/<id:round_id>/vote/code", methods=["POST"])
@phase_required(Phase.VOTING)
def enter_code(round_id: int):
    """Check a typed voting code; a usable one lets this browser build a ballot."""
    round_ = _round(round_id)
    form = CodeForm()
    if not form.validate_on_submit():
        return _start_page(round_, code_form=form, status=400)
    try:
        redeemed = redeem_code(round_.id, form.code.data, address=client_address(), at=now())
    except CodeThrottled as error:
        form.code.errors = [str(error.message)]
        page, _status = _start_page(round_, code_form=form)
        response = make_response(page, 429)
        response.headers["Retry-After"] = str(error.retry_after)
        return response
    except ServiceError as error:
        form.code.errors = [str(error.message)]
        return _start_page(round_, code_form=form, status=400)
    session[VOTER_KEY] = {"round": round_.id, "kind": "code", "code": redeemed.code_id,
                          "ref": redeemed.voter_ref, "area": redeemed.area_id}
    return redirect(url_for("ballot.build_ballot", round_id=round_id), code=303)


@bp.route("/rounds/<id:round_id>/vote/account", methods=["POST"])
@phase_required(Phase.VOTING)
def use_account(round_id: int):
    """In a self-declared round, vote as the logged-in account holder."""
    round_ = _round(round_id)
    form = AccountVoteForm()
    if not form.validate_on_submit() or not round_.is_self_declared:
        return _start_page(round_, status=400)
    user = g.get("user")
    if user is None:
        return redirect(url_for("account.login", next=url_for("ballot.start", round_id=round_id)), code=303)
    if not user.is_verified:
        return _start_page(round_, status=403)
    claims = _profile_claims(user)
    if not electorate.check_eligible(round_, claims).ok:
        return _start_page(round_, refused=claims, status=403)
    session[VOTER_KEY] = {"round": round_.id, "kind": "account"}
    return redirect(url_for("ballot.build_ballot", round_id=round_id), code=303)


def _area_of(round_: Round, voter: Voter) -> Area | None:
    """The voter's area: assigned, or chosen in the request (``area``), or None."""
    areas = electorate.voting_areas(round_)
    if voter.area_id is not None:
        return next((a for a in areas if a.id == voter.area_id), None)
    if len(areas) == 1:
        return areas[0]
    raw = request.values.get("area", "")
    if raw.isdigit() and len(raw) < 11:
        return next((a for a in areas if a.id == int(raw)), None)
    return None


def _chosen(pots) -> dict[int, list[str]]:
    """Every ``pot-<id>`` list of the form, including pots not on this voter's ballot (the
    service refuses those rather than dropping them silently)."""
    chosen: dict[int, list[str]] = {pot.id: [] for pot in pots}
    for key in request.form:
        if key.startswith("pot-"):
            raw = key[4:]
            pot_id = int(raw) if raw.isdigit() and len(raw) < 11 else -1
            chosen.setdefault(pot_id, []).extend(request.form.getlist(key))
    return chosen


def _ballot_page(round_: Round, area: Area, chosen: dict, *, problems=(), status: int = 200):
    pots = []
    for pot in electorate.ballot_pots(round_, area):
        projects = electorate.pot_projects(pot)
        picked = set(chosen.get(pot.id, ()))
        total = sum(p.cost for p in projects if str(p.id) in picked)
        pots.append({"area": pot, "projects": projects, "picked": picked, "total": total,
                     "format": voting_service.ballot_format(round_, pot)})
    return render_template("ballot/build.html", round=round_, area=area, pots=pots, problems=problems,
                           form=BallotForm(), is_knapsack=getattr(round_.ballot_kind, "value", round_.ballot_kind) == "knapsack"), status


def _already_voted(round_: Round, voter: Voter) -> bool:
    if round_.allow_replace and voter.channel is BallotChannel.ONLINE:
        return False
    return voting_service.has_voted(round_.id, voter.voter_ref)


@bp.route("/rounds/<id:round_id>/vote/ballot", methods=["GET", "POST"])
@phase_required(Phase.VOTING)
def build_ballot(round_id: int):
    """Choose an area if needed, tick projects, update the total, go to review."""
    round_ = _round(round_id)
    voter = current_voter(round_)
    if voter is None:
        return redirect(url_for("ballot.start", round_id=round_id), code=303)
    if _already_voted(round_, voter):
        return render_template("ballot/already_voted.html", round=round_), 409
    area = _area_of(round_, voter)
    if area is None:
        return render_template("ballot/choose_area.html", round=round_,
                               areas=electorate.voting_areas(round_)), 200
    pots = electorate.ballot_pots(round_, area)
    if request.method == "GET":
        return _ballot_page(round_, area, {})
    form = BallotForm()
    if not form.validate_on_submit():
        abort(400)
    chosen = _chosen(pots)
    if "review" not in request.form:
        return _ballot_page(round_, area, chosen)
    try:
        parts = voting_service.check_parts(round_, area, chosen)
    except voting_service.BallotRejected as error:
        return _ballot_page(round_, area, chosen, problems=error.problems, status=400)
    return render_template("ballot/review.html", round=round_, area=area, parts=parts, form=BallotForm(),
                           replacing=voting_service.has_voted(round_.id, voter.voter_ref))


@bp.route("/rounds/<id:round_id>/vote/cast", methods=["POST"])
@phase_required(Phase.VOTING)
def cast(round_id: int):
    """Cast the reviewed ballot and show the choices and the receipt, once."""
    round_ = _round(round_id)
    voter = current_voter(round_)
    if voter is None:
        return redirect(url_for("ballot.start", round_id=round_id), code=303)
    form = BallotForm()
    if not form.validate_on_submit():
        abort(400)
    area = _area_of(round_, voter)
    if area is None:
        return render_template("ballot/choose_area.html", round=round_,
                               areas=electorate.voting_areas(round_)), 400
    chosen = _chosen(electorate.ballot_pots(round_, area))
    try:
        result = voting_service.cast_ballot(
            round_.id, area.id, chosen, voter_ref=voter.voter_ref, channel=voter.channel, at=now(),
            code_id=voter.code_id, band=voter.band,
        )
    except voting_service.BallotRejected as error:
        return _ballot_page(round_, area, chosen, problems=error.problems, status=400)
    except voting_service.AlreadyVoted:
        _forget_voter()
        return render_template("ballot/already_voted.html", round=round_), 409
    except voting_service.VotingClosed as error:
        _forget_voter()
        return render_template("ballot/closed.html", round=round_, message=error.message), 409
    _forget_voter()
    response = make_response(render_template("ballot/confirmation.html", round=round_, result=result))
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


@bp.route("/rounds/<id:round_id>/vote/leave", methods=["POST"])
def leave(round_id: int):
    """Forget who is voting in this browser (a shared computer at a service point)."""
    form = BallotForm()
    if form.validate_on_submit():
        _forget_voter()
    return redirect(url_for("public.show_round", round_id=round_id), code=303)


@bp.app_context_processor
def _voting_helpers() -> dict:
    return {"format_limits": _format_limits}


def _format_limits(fmt) -> list[str]:
    """The ballot format in words (shown above each pot)."""
    from pb.i18n import euros

    lines = []
    if fmt.min_length and fmt.max_length:
        lines.append(_("Choose %(low)d to %(high)d projects.", low=fmt.min_length, high=fmt.max_length)
                     if fmt.min_length != fmt.max_length else _("Choose %(num)d projects.", num=fmt.min_length))
    elif fmt.max_length:
        lines.append(_("Choose at most %(num)d projects.", num=fmt.max_length))
    elif fmt.min_length and fmt.min_length > 1:
        lines.append(_("Choose at least %(num)d projects.", num=fmt.min_length))
    if fmt.max_sum_cost is not None:
        lines.append(_("The projects you choose may cost at most %(budget)s in total.", budget=euros(fmt.max_sum_cost)))
    if fmt.min_sum_cost:
        lines.append(_("Choose projects worth at least %(minimum)s.", minimum=euros(fmt.min_sum_cost)))
    return lines
