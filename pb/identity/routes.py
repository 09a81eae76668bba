"""Where identity providers return to: one callback for every provider."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, redirect, request, session

from pb.identity.base import AttestationError

bp = Blueprint("identity", __name__, url_prefix="/identity")


@bp.get("/<provider>/start")
def start(provider: str):
    """Send the browser to ``provider`` to attest who is voting, then back to ``next``."""
    from pb import identity
    from pb.identity import local_path, problem_message

    next_url = request.args.get("next", "/")
    try:
        return identity.begin_attestation(provider, next_url=next_url)
    except AttestationError as error:
        current_app.logger.warning("attestation with %s could not start: %s", provider[:40], error.problem)
        flash(problem_message(error.problem), "error")
        return redirect(local_path(next_url), code=303)


@bp.get("/<provider>/callback")
def callback(provider: str):
    """Finish the attestation the provider answered, keep the claims and go back."""
    from pb import identity
    from pb.identity import NEXT_KEY, local_path, problem_message

    next_url = local_path(session.get(NEXT_KEY))
    try:
        _claims, next_url = identity.complete_attestation(provider)
    except AttestationError as error:
        # The page names only the kind of failure; details go to the log.
        current_app.logger.warning("attestation with %s failed: %s (%s)", provider[:40], error.problem, error)
        session.pop(NEXT_KEY, None)
        flash(problem_message(error.problem), "error")
    return redirect(next_url, code=303)
