"""Proposals: residents submit them, edit them until the proposal phase ends and follow
their status; everyone can list, filter and search them.

Who may propose: any logged-in account whose email address is verified. Proposing is not
voting: no identity attestation is needed (as the issue says, an email account may propose
and follow), but an unverified address could be anyone's, so it must be verified first.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import format_datetime, lazy_gettext as _l

from pb import security
from pb.extensions import db
from pb.models import CATEGORIES, Phase, Proposal, ProposalStatus, Round, User
from pb.services import ServiceError, transaction
from pb.services.round_phases import require_phase
from pb.services.areas import area_of_round
from pb.services.rounds import NAME_MAX, TEXT_MAX, _text, whole_number

LANGS = ("fi", "sv", "en")
PROPOSAL_FIELDS = (
    "title_fi", "title_sv", "title_en", "description_fi", "description_sv", "description_en",
    "area_id", "cost", "category", "place",
)
SEARCH_MAX = 100


def _clean(round_: Round, values: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(values) - set(PROPOSAL_FIELDS)
    if unknown:
        raise ServiceError(_l("Unknown proposal field: %(name)s.", name=", ".join(sorted(unknown))[:80]))
    clean: dict[str, Any] = {}
    for lang in LANGS:
        clean[f"title_{lang}"] = _text(values.get(f"title_{lang}"), _l("Title"), limit=NAME_MAX)
        clean[f"description_{lang}"] = _text(values.get(f"description_{lang}"), _l("Description"), limit=TEXT_MAX)
    if not any(clean[f"title_{lang}"] for lang in LANGS):
        raise ServiceError(_l("Give the proposal a title."))
    if not any(clean[f"description_{lang}"] for lang in LANGS):
        raise ServiceError(_l("Describe the proposal."))
    clean["area_id"] = area_of_round(round_, values.get("area_id")).id
    clean["cost"] = whole_number(values.get("cost"), _l("Rough cost"), optional=True)
    category = values.get("category") or None
    if category is not None and category not in CATEGORIES:
        raise ServiceError(_l("Choose one of the categories."))
    clean["category"] = category
    clean["place"] = _text(values.get("place"), _l("Place"), limit=NAME_MAX)
    return clean


def _may_propose(user: User | None) -> None:
    if user is None:
        raise ServiceError(_l("Log in to make a proposal."))
    if not user.is_verified:
        raise ServiceError(_l("Verify your email address before making a proposal."))


def _proposals_open(round_: Round, now: datetime) -> None:
    require_phase(round_, Phase.PROPOSALS, now=now)
    if round_.proposals_open_at is not None and now < round_.proposals_open_at:
        raise ServiceError(
            _l("Proposals can be made from %(when)s.", when=format_datetime(round_.proposals_open_at, "short"))
        )


@transaction
def submit_proposal(author: User | None, round_: Round, values: Mapping[str, Any], *, now: datetime | None = None) -> Proposal:
    """A resident submits a proposal to a round in its proposal phase."""
    now = now or security.now()
    _may_propose(author)
    _proposals_open(round_, now)
    proposal = Proposal(round=round_, author=author, status=ProposalStatus.SUBMITTED, created_at=now, **_clean(round_, values))
    db.session.add(proposal)
    db.session.commit()
    return proposal


@transaction
def update_proposal(author: User | None, proposal: Proposal, values: Mapping[str, Any], *, now: datetime | None = None) -> Proposal:
    """The author edits their proposal until the proposal phase ends (and before screening)."""
    now = now or security.now()
    if author is None or proposal.author_id != author.id:
        raise ServiceError(_l("Only the author can edit this proposal."))
    _proposals_open(proposal.round, now)
    if proposal.status is not ProposalStatus.SUBMITTED:
        raise ServiceError(_l("This proposal has been screened and can no longer be edited."))
    for name, value in _clean(proposal.round, values).items():
        setattr(proposal, name, value)
    proposal.updated_at = now
    db.session.commit()
    return proposal


def proposal_of_round(round_: Round, proposal_id: Any) -> Proposal:
    """The round's proposal with this id; forged ids and other rounds' proposals are refused."""
    try:
        proposal_id = int(proposal_id)
    except (TypeError, ValueError):
        raise ServiceError(_l("No such proposal in this round.")) from None
    proposal = db.session.get(Proposal, proposal_id) if 0 < proposal_id < 2**31 else None
    if proposal is None or proposal.round_id != round_.id:
        raise ServiceError(_l("No such proposal in this round."))
    return proposal


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def list_proposals(
    round_: Round,
    *,
    area_id: int | None = None,
    category: str | None = None,
    status: str | None = None,
    search: str | None = None,
    page: int = 1,
    per_page: int = 20,
):
    """The round's proposals filtered by area, category, status and a search in titles and
    descriptions (any language, case-insensitive), oldest first; a Flask-SQLAlchemy page.
    Unknown filter values match nothing rather than failing."""
    query = sa.select(Proposal).where(Proposal.round_id == round_.id)
    if area_id is not None:
        query = query.where(Proposal.area_id == area_id)
    if category:
        query = query.where(Proposal.category == category)
    if status:
        try:
            query = query.where(Proposal.status == ProposalStatus(status))
        except ValueError:
            query = query.where(sa.false())
    if search and search.strip():
        pattern = f"%{_escape_like(search.strip()[:SEARCH_MAX].lower())}%"
        columns = [getattr(Proposal, f"{field}_{lang}") for field in ("title", "description") for lang in LANGS]
        query = query.where(sa.or_(*(sa.func.lower(c).like(pattern, escape="\\") for c in columns)))
    return db.paginate(query.order_by(Proposal.id), page=max(1, page), per_page=per_page, error_out=False)


def proposals_by(author: User) -> list[Proposal]:
    """The author's proposals, newest first, to follow their status."""
    return list(db.session.scalars(sa.select(Proposal).where(Proposal.author_id == author.id).order_by(Proposal.id.desc())))
