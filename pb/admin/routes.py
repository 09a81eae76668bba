"""Administration: users and their roles."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _

from pb.admin.forms import ROLE_LABELS, RoleForm, UserSearchForm
from pb.auth import role_required
from pb.extensions import db
from pb.models import Role, User
from pb.services import ServiceError, roles

bp = Blueprint("admin", __name__)


@bp.route("/")
@role_required(Role.ADMINISTRATOR)
def index():
    """List users, optionally those whose email contains the search text."""
    form = UserSearchForm(request.args)
    query = form.q.data if form.validate() and form.q.data else ""
    return render_template("admin/index.html", form=form, users=roles.find_users(query), role_labels=ROLE_LABELS)


@bp.route("/users/<id:user_id>")
@role_required(Role.ADMINISTRATOR)
def show_user(user_id: int):
    """Show one user and the roles they hold."""
    user = db.session.get(User, user_id) or abort(404)
    return render_template("admin/show_user.html", user=user, form=RoleForm(), role_labels=ROLE_LABELS)


@bp.route("/users/<id:user_id>/roles", methods=["POST"])
@role_required(Role.ADMINISTRATOR)
def grant_role(user_id: int):
    """Give a role to a user."""
    user = db.session.get(User, user_id) or abort(404)
    form = RoleForm()
    if not form.validate_on_submit():
        return render_template("admin/show_user.html", user=user, form=form, role_labels=ROLE_LABELS), 400
    role = Role(form.role.data)
    if roles.grant_role(user, role, by=g.user):
        flash(_("Role %(role)s given to %(email)s.", role=ROLE_LABELS[role], email=user.email), "success")
    return redirect(url_for("admin.show_user", user_id=user.id))


@bp.route("/users/<id:user_id>/roles/revoke", methods=["POST"])
@role_required(Role.ADMINISTRATOR)
def revoke_role(user_id: int):
    """Take a role away from a user."""
    user = db.session.get(User, user_id) or abort(404)
    form = RoleForm()
    if not form.validate_on_submit():
        return render_template("admin/show_user.html", user=user, form=form, role_labels=ROLE_LABELS), 400
    role = Role(form.role.data)
    try:
        if roles.revoke_role(user, role, by=g.user):
            flash(_("Role %(role)s removed from %(email)s.", role=ROLE_LABELS[role], email=user.email), "success")
    except ServiceError as error:
        flash(str(error), "error")
    return redirect(url_for("admin.show_user", user_id=user.id))
from pb.admin import rounds as _rounds  # noqa: E402,F401  (registers the round views on bp)
