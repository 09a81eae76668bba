"""Privacy: who-voted records are deleted once a round's appeal period has passed.

The appeal period (``Round.who_voted_retention_days``) runs from the publication of the
results. After it, the ``voter_record`` rows of the round are deleted; the ballots stay (they
are the result, and hold nothing about who cast them). ``flask pb purge-who-voted`` runs
:func:`purge_who_voted` (daily, from cron or a systemd timer).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from pb import security
from pb.extensions import db
from pb.models import Publication, Round, VoterRecord
from pb.services.audit_log import record


@dataclass(frozen=True)
class Purge:
    round_id: int
    deleted: int


def purge_due(publication: Publication, round_: Round, now: datetime) -> bool:
    """True when the round's appeal period after publication has passed."""
    return now >= publication.at + timedelta(days=round_.who_voted_retention_days)


def purge_who_voted(now: datetime | None = None) -> list[Purge]:
    """Delete the who-voted records of every round whose appeal period has passed (one
    transaction per round, each with its audit entry); returns what was deleted."""
    now = now or security.now()
    done = []
    publications = db.session.scalars(
        sa.select(Publication).where(Publication.who_voted_purged_at.is_(None)).order_by(Publication.round_id)
    ).all()
    for publication in publications:
        round_ = db.session.get(Round, publication.round_id)
        if not purge_due(publication, round_, now):
            continue
        deleted = db.session.execute(
            sa.delete(VoterRecord).where(VoterRecord.round_id == round_.id).execution_options(synchronize_session=False)
        ).rowcount
        publication.who_voted_purged_at = now
        record(None, "round.who-voted.purge", round_, None,
               {"deleted": deleted, "retention_days": round_.who_voted_retention_days})
        db.session.commit()
        done.append(Purge(round_.id, deleted))
    return done


def rewrite_ballot_storage(round_id: int) -> bool:
    """On PostgreSQL, erase what the storage itself remembers of the casting order of a
    round's ballots (the caller commits; call it once voting has closed).

    PostgreSQL appends rows to the heap in insertion order and stamps each row with the id of
    the transaction that wrote it (``xmin``). A ballot and its who-voted record are written in
    one transaction, so during voting a reader of the database (``SELECT`` without ``ORDER
    BY``, ``pg_dump``, or ``xmin``) can pair them exactly. Rewriting the round's rows in one
    transaction gives them all the same ``xmin``; ``CLUSTER`` then rewrites the three tables
    in primary key (random) order, dropping the old row versions. SQLite needs none of this:
    the tables are ``WITHOUT ROWID`` and stored in key order. Returns whether it ran.
    """
    if db.session.get_bind().dialect.name != "postgresql":
        return False
    from pb.models import Ballot, BallotChoice

    round_ballots = sa.select(Ballot.id).where(Ballot.round_id == round_id).scalar_subquery()
    for statement in (
        sa.update(VoterRecord).where(VoterRecord.round_id == round_id).values(round_id=VoterRecord.round_id),
        sa.update(Ballot).where(Ballot.round_id == round_id).values(round_id=Ballot.round_id),
        sa.update(BallotChoice).where(BallotChoice.ballot_id.in_(round_ballots)).values(project_id=BallotChoice.project_id),
    ):
        db.session.execute(statement.execution_options(synchronize_session=False))
    for table in ("voter_record", "ballot", "ballot_choice"):
        db.session.execute(sa.text(f"CLUSTER {table} USING pk_{table}"))
    return True
