"""Translated names of the enum values shown on pages: ``{{ label(round.phase) }}``."""

from __future__ import annotations

import enum

from flask_babel import lazy_gettext as _l

from pb.models import Phase, ProposalStatus, Role, RoundKind

LABELS: dict[enum.Enum, object] = {
    Phase.PROPOSALS: _l("Proposals"),
    Phase.SCREENING: _l("Screening"),
    Phase.VOTING: _l("Voting"),
    Phase.RESULTS: _l("Results"),
    Phase.FOLLOW_UP: _l("Follow-up"),
    RoundKind.CITY: _l("City round"),
    RoundKind.YOUTH: _l("Youth round"),
    ProposalStatus.SUBMITTED: _l("Submitted"),
    ProposalStatus.ACCEPTED: _l("Accepted"),
    ProposalStatus.REJECTED: _l("Rejected"),
    ProposalStatus.MERGED: _l("Merged"),
    Role.RESIDENT: _l("Resident"),
    Role.MODERATOR: _l("Moderator"),
    Role.ADMINISTRATOR: _l("Administrator"),
    Role.AUDITOR: _l("Auditor"),
}


def label(value: enum.Enum) -> str:
    """The translated name of an enum value (its raw value when none is defined)."""
    text = LABELS.get(value)
    return str(text) if text is not None else str(getattr(value, "value", value))
