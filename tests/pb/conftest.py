"""App fixtures: one schema per test session (migrated to head once), emptied after each test.

``PB_TEST_DATABASE_URL`` selects the database (default: a SQLite file in a temporary folder).
On PostgreSQL each session works in its own fresh schema, dropped at the end, so runs start
from an empty schema and concurrent runs do not meet.
"""

from __future__ import annotations

import os
import secrets
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from pb import create_app, database_url

TEST_DATABASE_URL = os.environ.get("PB_TEST_DATABASE_URL", "")


class FakeClock:
    """A clock that only moves when told: ``clock.advance(seconds=30)``."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


def is_postgresql() -> bool:
    return TEST_DATABASE_URL.startswith(("postgresql", "postgres:"))


def fresh_database(tmp_dir, name: str) -> tuple[dict, object]:
    """Config overrides for a new empty database, and a function that removes it."""
    if is_postgresql():
        url = database_url(TEST_DATABASE_URL)
        schema = f"pb_test_{name}_{os.getpid()}_{secrets.token_hex(3)}"
        admin_engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
        try:
            with admin_engine.connect() as connection:
                connection.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        except sa.exc.OperationalError as error:
            raise RuntimeError(f"cannot connect to PostgreSQL at {TEST_DATABASE_URL}: {error}") from None

        def drop() -> None:
            with admin_engine.connect() as connection:
                connection.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            admin_engine.dispose()

        overrides = {
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": {"connect_args": {"options": f"-csearch_path={schema}"}},
        }
        return overrides, drop
    path = tmp_dir / f"{name}.sqlite3"
    return {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"}, lambda: None


def migrate_to_head(overrides: dict) -> None:
    from flask_migrate import upgrade

    app = create_app("testing", overrides)
    with app.app_context():
        upgrade()
        from pb.extensions import db

        db.engine.dispose()


@pytest.fixture(scope="session")
def database(tmp_path_factory):
    """Overrides naming the session's database, migrated to the head revision."""
    overrides, drop = fresh_database(tmp_path_factory.mktemp("db"), "session")
    try:
        migrate_to_head(overrides)
        yield overrides
    finally:
        drop()


def empty_tables() -> None:
    from pb.extensions import db

    db.session.remove()
    tables = [table for table in reversed(db.metadata.sorted_tables)]
    # DELETE of a few rows is much faster than TRUNCATE on PostgreSQL; ids are not reset.
    with db.engine.begin() as connection:
        for table in tables:
            connection.execute(table.delete())


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(database, clock):
    """A test app on the session database, with a fake clock; emptied afterwards."""
    app = create_app("testing", {**database, "CLOCK": clock})
    yield app
    with app.app_context():
        empty_tables()
        from pb.extensions import db

        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client whose browser asks for English pages (assertions read English)."""
    client = app.test_client()
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def runner(app):
    return app.test_cli_runner()
