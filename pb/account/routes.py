"""Account pages: register, verify email, log in and out, reset password, profile."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _

from pb import auth, security
from pb.account.forms import (
    ActionForm,
    LoginForm,
    ProfileForm,
    RegisterForm,
    RequestResetForm,
    ResetPasswordForm,
)
from pb.auth import role_required
from pb.services import accounts
from pb.services.accounts import RESET_PASSWORD, InvalidLogin, LoginThrottled, TokenError

bp = Blueprint("account", __name__)


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Create an account and send the email verification link."""
    form = RegisterForm()
    if form.validate_on_submit():
        accounts.register_user(
            form.email.data, form.password.data, preferred_language=_page_language()
        )
        # The same answer whether or not the address already had an account.
        flash(_("Check your email: we sent you a link to confirm your address."), "success")
        return redirect(url_for("account.login"))
    return render_template("account/register.html", form=form)


@bp.route("/verify/<token>")
def verify_email(token: str):
    """Confirm the email address from the link sent by mail."""
    try:
        accounts.verify_email(token)
    except TokenError as error:
        return render_template("account/token_error.html", message=str(error)), 400
    flash(_("Your email address is confirmed."), "success")
    return redirect(url_for("account.profile" if g.user else "account.login"))


@bp.route("/verify/resend", methods=["POST"])
@role_required()
def resend_verification():
    """Send a new email verification link to the logged-in user."""
    if ActionForm().validate_on_submit() and not g.user.is_verified:
        accounts.send_verification_email(g.user)
        flash(_("We sent you a new confirmation link."), "success")
    return redirect(url_for("account.profile"))


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in with email and password."""
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.email.data, form.password.data, address=security.client_address())
        except LoginThrottled as error:
            form.form_errors.append(str(error))
            status = 429
        except InvalidLogin as error:
            form.form_errors.append(str(error))
        else:
            auth.login_user(user)
            if not user.is_verified:
                flash(_("Please confirm your email address: see the link we sent you."), "warning")
            target = request.args.get("next")
            return redirect(target if security.is_safe_redirect(target) else url_for("public.index"))
    return render_template("account/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    """Log out and end the session."""
    if not ActionForm().validate_on_submit():
        abort(400)
    auth.logout_user()
    flash(_("You have logged out."), "success")
    return redirect(url_for("public.index"))


@bp.route("/reset", methods=["GET", "POST"])
def request_reset():
    """Ask for a password reset link by email."""
    form = RequestResetForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        flash(_("If the address has an account, we sent it a link to choose a new password."), "success")
        return redirect(url_for("account.login"))
    return render_template("account/request_reset.html", form=form)


@bp.route("/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    """Choose a new password from the link sent by mail."""
    try:
        accounts.load_token(token, RESET_PASSWORD)
    except TokenError as error:
        return render_template("account/token_error.html", message=str(error)), 400
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            user = accounts.reset_password(token, form.password.data)
        except TokenError as error:
            return render_template("account/token_error.html", message=str(error)), 400
        auth.login_user(user)
        flash(_("Your password is changed."), "success")
        return redirect(url_for("account.profile"))
    return render_template("account/reset_password.html", form=form)


@bp.route("/profile", methods=["GET", "POST"])
@role_required()
def profile():
    """Show and edit the details that eligibility for rounds needs."""
    form = ProfileForm(obj=g.user)
    if request.method == "GET":
        form.home_area.data = g.user.home_area or ""
        form.preferred_language.data = g.user.preferred_language or ""
    if form.validate_on_submit():
        accounts.update_profile(g.user, **{name: form[name].data for name in accounts.PROFILE_FIELDS})
        flash(_("Your profile is saved."), "success")
        return redirect(url_for("account.profile"))
    return render_template("account/profile.html", form=form)


def _page_language() -> str | None:
    """The language the page was shown in, kept as the new account's preferred language."""
    language = getattr(get_locale(), "language", None)
    return language if language in ("fi", "sv", "en") else None
