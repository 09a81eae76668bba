"""Results: the public results per area, the administrators' count, confirmation and
publication, follow-up updates, and the privacy notice."""

from __future__ import annotations

import click
from flask import Blueprint, Response, abort, flash, g, redirect, render_template, url_for
from flask_babel import gettext as _

from pb import security
from pb.auth import role_required
from pb.cli import _in_english, pb_cli
from pb.extensions import db
from pb.models import Area, Project, Role, Round
from pb.results.explain import STATUS_LABELS, chain_explanation, rule_explanation, tie_sentence
from pb.results import open_data
from pb.results.forms import ActionForm, ConfirmationForm, FollowUpForm
from pb.services import ServiceError, privacy
from pb.services import results as service
from pb.services.participation import participation

bp = Blueprint("results", __name__)


def _round(round_id: int) -> Round:
    return db.session.get(Round, round_id) or abort(404)


def _titles(round_: Round) -> dict[str, str]:
    from pb.i18n import localized

    return {str(p.id): localized(p, "title") for p in round_.projects}


def _explained(run):
    import json

    return rule_explanation(run.rule, json.loads(run.rule_options)), chain_explanation(run.tie_break)


# Public ------------------------------------------------------------------------------------


@bp.route("/rounds/<id:round_id>/results")
def show_results(round_id: int):
    """Show the round's published results, or say when they are expected."""
    round_ = _round(round_id)
    publication = service.publication_of(round_)
    if publication is None:
        return render_template("results/not_published.html", round=round_)
    return render_template("results/show_results.html", round=round_, publication=publication,
                           pots=service.pot_views(publication.run), participation=participation(round_))


@bp.route("/rounds/<id:round_id>/results.<any(csv, json):fmt>")
def download_results(round_id: int, fmt: str):
    """The published results as open data (CSV or JSON); 404 before publication."""
    round_ = _round(round_id)
    publication = service.publication_of(round_)
    if publication is None:
        abort(404)
    if fmt == "csv":
        body, mimetype = open_data.as_csv(round_, publication.run), "text/csv"
    else:
        body, mimetype = open_data.as_json(round_, publication.run), "application/json"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename=round-{round_.id}-results.{fmt}"
    return response


@bp.route("/rounds/<id:round_id>/results/<id:area_id>")
def show_pot(round_id: int, area_id: int):
    """Show one area's published results: funded and unfunded projects, votes, ties, follow-up."""
    round_ = _round(round_id)
    area = db.session.get(Area, area_id)
    if area is None or area.round_id != round_.id:
        abort(404)
    publication = service.publication_of(round_)
    if publication is None:
        return render_template("results/not_published.html", round=round_)
    pot = next((view for view in service.pot_views(publication.run) if view.area.id == area.id), None)
    if pot is None:
        abort(404)
    rule_text, chain_text = _explained(publication.run)
    titles = _titles(round_)
    return render_template("results/show_pot.html", round=round_, publication=publication, pot=pot,
                           rule_text=rule_text, chain_text=chain_text,
                           ties=[tie_sentence(tie, titles) for tie in pot.ties],
                           follow_ups=service.follow_ups(round_), status_labels=STATUS_LABELS,
                           participation=participation(round_))


@bp.route("/privacy")
def privacy_notice():
    """The privacy notice: what is stored, why, and for how long."""
    import sqlalchemy as sa

    rounds = db.session.scalars(sa.select(Round).order_by(Round.id)).all()
    return render_template("results/privacy.html", rounds=rounds)


# Administration ----------------------------------------------------------------------------


@bp.route("/admin/rounds/<id:round_id>/results")
@role_required(Role.ADMINISTRATOR, Role.AUDITOR)
def manage_results(round_id: int):
    """The count before publication (administrators; auditors after close), logged on every view."""
    round_ = _round(round_id)
    try:
        run = service.view_counts(g.user, round_)
    except ServiceError as error:
        return render_template("results/manage.html", round=round_, refused=error.message, run=None), 403
    confirmation = service.confirmation_of(run) if run else None
    rule_text, chain_text = _explained(run) if run else ([], "")
    titles = _titles(round_)
    return render_template(
        "results/manage.html", round=round_, refused=None, run=run, confirmation=confirmation,
        pots=service.pot_views(run) if run else [], publication=service.publication_of(round_),
        rule_text=rule_text, chain_text=chain_text, tie_sentence=lambda tie: tie_sentence(tie, titles),
        action_form=ActionForm(), confirm_form=ConfirmationForm(body=round_.confirming_body),
        is_admin=g.user.has_role(Role.ADMINISTRATOR), participation=participation(round_) if run else {},
    )


@bp.route("/admin/rounds/<id:round_id>/results/count", methods=["POST"])
@role_required(Role.ADMINISTRATOR)
def count_results(round_id: int):
    """Count every pot with the frozen rule (a preview until published)."""
    round_ = _round(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.run_tally(g.user, round_)
        flash(_("The votes were counted. Check the preview, then record the confirmation."), "success")
    except ServiceError as error:
        flash(str(error), "error")
    return redirect(url_for("results.manage_results", round_id=round_.id))


@bp.route("/admin/rounds/<id:round_id>/results/confirm", methods=["POST"])
@role_required(Role.ADMINISTRATOR)
def confirm_results(round_id: int):
    """Record the named body's confirmation of the latest count."""
    round_ = _round(round_id)
    form = ConfirmationForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return redirect(url_for("results.manage_results", round_id=round_.id))
    try:
        service.confirm_results(g.user, round_, service.latest_run(round_), form.data)
        flash(_("The confirmation was recorded."), "success")
    except ServiceError as error:
        flash(str(error), "error")
    return redirect(url_for("results.manage_results", round_id=round_.id))


@bp.route("/admin/rounds/<id:round_id>/results/publish", methods=["POST"])
@role_required(Role.ADMINISTRATOR)
def publish_results(round_id: int):
    """Publish the confirmed count."""
    round_ = _round(round_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.publish_results(g.user, round_)
        flash(_("The results are published."), "success")
    except ServiceError as error:
        flash(str(error), "error")
        return redirect(url_for("results.manage_results", round_id=round_.id))
    return redirect(url_for("results.show_results", round_id=round_.id))


@bp.route("/admin/rounds/<id:round_id>/follow-up")
@role_required(Role.ADMINISTRATOR)
def list_follow_up(round_id: int):
    """The funded projects of a published round, each with its updates and a form for a new one."""
    round_ = _round(round_id)
    funded = service.funded_project_ids(round_)
    projects = [p for p in round_.projects if p.id in funded]
    forms = {p.id: FollowUpForm(prefix=f"p{p.id}") for p in projects}
    return render_template("results/follow_up.html", round=round_, projects=projects, forms=forms,
                           follow_ups=service.follow_ups(round_), status_labels=STATUS_LABELS,
                           participation=participation(round_))


@bp.route("/admin/projects/<id:project_id>/follow-up", methods=["POST"])
@role_required(Role.ADMINISTRATOR)
def add_follow_up(project_id: int):
    """Add an implementation update to a funded project."""
    project = db.session.get(Project, project_id) or abort(404)
    form = FollowUpForm(prefix=f"p{project.id}")
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
    else:
        try:
            service.add_follow_up(g.user, project, {name: field.data for name, field in form._fields.items()})
            flash(_("The update was added."), "success")
        except ServiceError as error:
            flash(str(error), "error")
    return redirect(url_for("results.list_follow_up", round_id=project.round_id))


# Commands ----------------------------------------------------------------------------------


@pb_cli.command("purge-who-voted")
@_in_english
def purge_who_voted_command() -> None:
    """Delete the who-voted records of rounds whose appeal period has passed (ballots stay)."""
    done = privacy.purge_who_voted(security.now())
    for purge in done:
        click.echo(f"round {purge.round_id}: deleted {purge.deleted} who-voted records")
    if not done:
        click.echo("No round's appeal period has ended since the last purge.")


@bp.app_template_filter("results_time")
def results_time(value) -> str:
    """A UTC datetime as Helsinki time, ``YYYY-MM-DD HH:MM``."""
    from pb.helsinki import helsinki_time

    return helsinki_time(value)
