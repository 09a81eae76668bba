"""The database models. Import them from here: ``from pb.models import User, Round``."""

from pb.models.accounts import LoginAttempt, Role, RoleAssignment, User
from pb.models.rounds import Area, Phase, Proposal, ProposalStatus, Round, RoundKind
from pb.models.types import UtcDateTime, utcnow

__all__ = [
    "Area",
    "LoginAttempt",
    "Phase",
    "Proposal",
    "ProposalStatus",
    "Role",
    "RoleAssignment",
    "Round",
    "RoundKind",
    "User",
    "UtcDateTime",
    "utcnow",
]
