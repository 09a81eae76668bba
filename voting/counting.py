"""Counts every rule starts from, computed once over the VOTES rows."""

from __future__ import annotations

from .model import Election
from .numbers import Amount


def vote_counts(election: Election) -> dict[str, int]:
    """Number of ballots that list each project (every project present, 0 when unvoted)."""
    counts = dict.fromkeys(election.projects, 0)
    for ballot in election.ballots:
        for pid in ballot.projects:
            counts[pid] += 1
    return counts


def point_scores(election: Election) -> dict[str, Amount] | None:
    """Sum of points per project, or None when no ballot carries points."""
    if not election.has_points:
        return None
    scores: dict[str, Amount] = dict.fromkeys(election.projects, 0)
    for ballot in election.ballots:
        if ballot.points is None:
            for pid in ballot.projects:  # a ballot without points counts one point each
                scores[pid] += 1
        else:
            for pid, pts in zip(ballot.projects, ballot.points):
                scores[pid] += pts
    return scores


def approvers(election: Election) -> dict[str, list[int]]:
    """For each project, the indices of the ballots that list it."""
    out: dict[str, list[int]] = {pid: [] for pid in election.projects}
    for i, ballot in enumerate(election.ballots):
        for pid in ballot.projects:
            out[pid].append(i)
    return out
