"""`flask pb build-bundle ROUND_ID`: the audit bundle of a published round, from the command line."""

from __future__ import annotations

import re

import sqlalchemy as sa

from pb.extensions import db
from pb.models import AuditBundle, Round
from pb.services import exports
from tests.pb.test_exports import finish_round


def _digest(output: str) -> str:
    found = re.search(r"Bundle digest: ([0-9a-f]{64})", output)
    assert found, output
    return found.group(1)


def test_build_bundle_stores_the_missing_bundle_of_a_published_round(app, runner, clock):
    """A published round whose bundle is missing gets one: stored, its digest printed and set on the publication."""
    with app.app_context():
        finished = finish_round(clock)
        round_ = db.session.get(Round, finished.round_id)
        receipts = exports.stored_bundle(round_).receipt_count
        db.session.execute(sa.delete(AuditBundle).where(AuditBundle.round_id == round_.id))
        exports.publication_of(round_).bundle_digest = None
        db.session.commit()
    result = runner.invoke(args=["pb", "build-bundle", str(finished.round_id)])
    assert result.exit_code == 0, result.output
    assert "built and stored" in result.output
    with app.app_context():
        round_ = db.session.get(Round, finished.round_id)
        stored = exports.stored_bundle(round_)
        assert stored is not None and stored.digest == _digest(result.output)
        assert exports.publication_of(round_).bundle_digest == stored.digest
        # The same published count and counted ballots (the export ids are fresh, so the digest is new).
        assert stored.receipt_count == receipts > 0 and f"{receipts} receipts" in result.output


def test_build_bundle_leaves_a_stored_bundle_as_it_is(app, runner, clock):
    """Run on a round that has its bundle, the command changes nothing and prints the stored digest."""
    with app.app_context():
        finished = finish_round(clock)
        stored = exports.stored_bundle(db.session.get(Round, finished.round_id))
        digest, bundle_id = stored.digest, stored.id
    result = runner.invoke(args=["pb", "build-bundle", str(finished.round_id)])
    assert result.exit_code == 0, result.output
    assert "already stored" in result.output and _digest(result.output) == digest
    with app.app_context():
        assert db.session.scalars(sa.select(AuditBundle.id)).all() == [bundle_id]


def test_build_bundle_refuses_unknown_and_unpublished_rounds(app, runner, clock):
    """An unknown round id and a round not yet published get a clear error, a non-zero exit and no bundle."""
    with app.app_context():
        finished = finish_round(clock, publish=False)
    unknown = runner.invoke(args=["pb", "build-bundle", str(finished.round_id + 1000)])
    assert unknown.exit_code != 0 and "no round with id" in unknown.output
    unpublished = runner.invoke(args=["pb", "build-bundle", str(finished.round_id)])
    assert unpublished.exit_code != 0 and "not been published" in unpublished.output
    assert "Traceback" not in unpublished.output
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditBundle)) == 0
