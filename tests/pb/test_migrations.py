"""Migrations build the whole schema: head equals the models, and they go down and up again."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from pb import create_app
from pb.extensions import db
from tests.pb.conftest import fresh_database


def _differences(app) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "render_as_batch": True}
        )
        return compare_metadata(context, db.metadata)


def test_upgrade_of_an_empty_database_to_head_matches_the_models(tmp_path):
    """An empty database migrated to head equals the models, and survives a downgrade to base and an upgrade again."""
    overrides, drop = fresh_database(tmp_path, "migrations")
    app = create_app("testing", overrides)
    try:
        with app.app_context():
            assert sa.inspect(db.engine).get_table_names() == []
            upgrade()
            assert _differences(app) == []
            tables = set(sa.inspect(db.engine).get_table_names())
            assert {table.name for table in db.metadata.sorted_tables} <= tables

            downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}

            upgrade()
            assert _differences(app) == []
            db.engine.dispose()
    finally:
        drop()
