"""The phase gate: ``@phase_required(Phase.PROPOSALS)`` on a view whose URL has ``round_id``.

The gate loads the round (404 when unknown), applies dates that have passed (opening voting
by date freezes the rules, see :func:`pb.services.round_phases.sync_phase`) and refuses with a page
naming the current phase when the view belongs to another phase. The round is handed to the
view as ``g.round``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from flask import abort, g, render_template

from pb import security
from pb.extensions import db
from pb.models import Phase, Round


def phase_required(*phases: Phase | str) -> Callable:
    """Only while the round named by the view's ``round_id`` is in one of ``phases``."""
    wanted = tuple(Phase(p) for p in phases)

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(*args, **kwargs):
            from pb.services.round_phases import current_phase, sync_phase

            round_ = db.session.get(Round, kwargs.get("round_id")) if isinstance(kwargs.get("round_id"), int) else None
            if round_ is None:
                abort(404)
            now = security.now()
            sync_phase(round_, now)
            phase = current_phase(round_, now)
            if phase not in wanted:
                return render_template("public/phase_refused.html", round=round_, phase=phase, wanted=wanted), 409
            g.round = round_
            return view(*args, **kwargs)

        wrapped.required_phases = wanted
        return wrapped

    return decorator
