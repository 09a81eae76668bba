"""The database models. Import them from here: ``from pb.models import User, Round``."""

from pb.models.accounts import LoginAttempt, Role, RoleAssignment, User
from pb.models.audit import AuditLog
from pb.models.exports import AuditBundle, ReceiptCheck
from pb.models.projects import CATEGORIES, Project, Proposal, ProposalStatus
from pb.models.results import Confirmation, FollowUpStatus, FollowUpUpdate, PotResult, Publication, TallyRun
from pb.models.rounds import PHASE_ORDER, Area, BallotKind, Phase, Round, RoundKind
from pb.models.types import UtcDateTime, utcnow
from pb.models.voting import (
    Ballot,
    BallotChannel,
    BallotChoice,
    CodeAttempt,
    CodeBatch,
    PaperBallot,
    PaperEntry,
    VoterRecord,
    VotingCode,
)

__all__ = [
    "AuditBundle",
    "ReceiptCheck",
    "Confirmation",
    "FollowUpStatus",
    "FollowUpUpdate",
    "PotResult",
    "Publication",
    "TallyRun",
    "Ballot",
    "BallotChannel",
    "BallotChoice",
    "CodeAttempt",
    "CodeBatch",
    "PaperBallot",
    "PaperEntry",
    "VoterRecord",
    "VotingCode",
    "Area",
    "AuditLog",
    "BallotKind",
    "CATEGORIES",
    "PHASE_ORDER",
    "Project",
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
