"""Who is logged in (``g.user``), logging in and out, and the one authorization decorator."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import wraps

from flask import Flask, abort, g, redirect, request, session, url_for

from pb.extensions import db
from pb.models import Role, User


def init_app(app: Flask) -> None:
    app.before_request(load_current_user)

    @app.context_processor
    def _user_in_templates() -> dict:
        return {"current_user": g.get("user")}


def _session_fingerprint(user: User) -> str:
    """Changes when the password changes, which ends every other session of the user."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def load_current_user() -> None:
    """Set ``g.user`` from the session (None when anonymous or when the session is stale)."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is None:
        return
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or session.get("auth") != _session_fingerprint(user):
        session.clear()
        return
    g.user = user


def login_user(user: User) -> None:
    """Start a fresh session for the user: nothing from the anonymous session survives
    (which also renews the CSRF token), against session fixation."""
    session.clear()
    session["user_id"] = user.id
    session["auth"] = _session_fingerprint(user)
    session.permanent = True
    g.user = user


def logout_user() -> None:
    session.clear()
    g.user = None


def role_required(*roles: str | Role) -> Callable:
    """Only logged-in users holding any of ``roles`` (any logged-in user when none given).

    Anonymous users are sent to the login page; users without the role get 403.
    """
    wanted = tuple(Role(role) for role in roles)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = g.get("user")
            if user is None:
                return redirect(url_for("account.login", next=request.full_path.rstrip("?")))
            if wanted and not user.has_role(*wanted):
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = wanted  # read by the role-matrix test
        return wrapped

    return decorator
