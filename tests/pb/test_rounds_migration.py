"""Migration 0002 keeps existing rounds, areas and proposals, going up and down."""

from __future__ import annotations

import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from pb import create_app
from pb.extensions import db
from tests.pb.conftest import fresh_database


def _counts() -> list[int]:
    with db.engine.connect() as connection:
        return [connection.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in ("round", "area", "proposal")]


def test_0002_keeps_rows_and_fills_defaults(tmp_path):
    """Rows made under 0001 survive the upgrade to 0002 (with the new defaults) and the downgrade back."""
    overrides, drop = fresh_database(tmp_path, "m0002")
    app = create_app("testing", overrides)
    try:
        with app.app_context():
            upgrade(revision="0001")
            with db.engine.begin() as connection:
                connection.execute(sa.text(
                    "INSERT INTO round (id, name_fi, kind, phase, created_at) VALUES (1, 'K', 'city', 'proposals', '2026-01-01 00:00:00')"))
                connection.execute(sa.text("INSERT INTO area (id, round_id, code, name_fi, budget) VALUES (1, 1, 'a', 'A', 100)"))
                connection.execute(sa.text(
                    "INSERT INTO proposal (id, round_id, area_id, title_fi, description_fi, status, created_at) "
                    "VALUES (1, 1, 1, 'T', 'D', 'submitted', '2026-01-01 00:00:00')"))
            upgrade(revision="0002")
            assert _counts() == [1, 1, 1]
            with db.engine.connect() as connection:
                row = connection.execute(sa.text("SELECT ballot_kind, min_choices, rule, tie_break FROM round")).one()
            assert tuple(row) == ("approval", 1, "greedy", "cost,id")
            downgrade(revision="0001")
            assert _counts() == [1, 1, 1]
            db.engine.dispose()
    finally:
        drop()
