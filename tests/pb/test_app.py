"""The app factory, configurations, database settings and security headers."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from config import DEV_SECRET_KEY
from pb import create_app, database_url
from pb.extensions import db
from tests.pb.factories import set_production_environment

GOOD_KEY = "k" * 40


def test_index_answers_200_on_an_empty_migrated_database(client):
    """`/` lists no rounds and answers 200 on a database just migrated to head."""
    response = client.get("/")
    assert response.status_code == 200
    assert b"<main" in response.data


def test_postgresql_urls_use_psycopg_3():
    """postgresql:// and postgres:// URLs get the psycopg 3 driver; other URLs are kept."""
    assert database_url("postgresql://u:p@db:5432/pb") == "postgresql+psycopg://u:p@db:5432/pb"
    assert database_url("postgres://u@db/pb") == "postgresql+psycopg://u@db/pb"
    assert database_url("postgresql+psycopg://u@db/pb") == "postgresql+psycopg://u@db/pb"
    assert database_url("sqlite:///x.sqlite3") == "sqlite:///x.sqlite3"


def test_create_app_reads_the_environment(monkeypatch, tmp_path):
    """With no argument the factory reads PB_CONFIG, SECRET_KEY and DATABASE_URL."""
    set_production_environment(monkeypatch, PB_CONFIG="production", SECRET_KEY=GOOD_KEY,
                               MAIL_PORT="587", MAIL_USE_STARTTLS="true")
    app = create_app()
    assert app.config["NAME"] == "production"
    assert app.config["SECRET_KEY"] == GOOD_KEY
    assert app.config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/pb"
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["PUBLIC_URL"] == "https://pb.example.fi"
    assert (app.config["MAIL_PORT"], app.config["MAIL_USE_STARTTLS"]) == (587, True)


def test_a_malformed_number_in_the_environment_is_refused_clearly(monkeypatch):
    """A non-numeric MAIL_PORT stops the start with a message naming it."""
    monkeypatch.setenv("MAIL_PORT", "smtp")
    with pytest.raises(RuntimeError, match="MAIL_PORT"):
        create_app("testing")


def test_development_defaults_to_sqlite_in_the_instance_folder(monkeypatch, tmp_path):
    """Without DATABASE_URL, development uses a SQLite file inside the instance folder."""
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("PB_CONFIG", raising=False)
    monkeypatch.setenv("PB_INSTANCE_PATH", str(tmp_path))
    app = create_app()
    assert app.config["NAME"] == "development"
    assert app.config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'pb.sqlite3'}"


@pytest.mark.parametrize(
    "key, url, public_url, problem",
    [
        (DEV_SECRET_KEY, "postgresql://u@db/pb", "https://pb.example.fi", "SECRET_KEY"),
        ("short", "postgresql://u@db/pb", "https://pb.example.fi", "SECRET_KEY"),
        (GOOD_KEY, None, "https://pb.example.fi", "DATABASE_URL"),
        (GOOD_KEY, "postgresql://u@db/pb", None, "PUBLIC_URL"),
        (GOOD_KEY, "postgresql://u@db/pb", "http://pb.example.fi", "PUBLIC_URL"),
    ],
)
def test_production_refuses_unsafe_settings(monkeypatch, key, url, public_url, problem):
    """Production refuses a development or short secret key, no database URL and no https PUBLIC_URL."""
    monkeypatch.setenv("SECRET_KEY", key)
    if public_url:
        monkeypatch.setenv("PUBLIC_URL", public_url)
    else:
        monkeypatch.delenv("PUBLIC_URL", raising=False)
    if url:
        monkeypatch.setenv("DATABASE_URL", url)
    else:
        monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match=problem):
        create_app("production")


def test_production_refuses_the_placeholder_accessibility_address(monkeypatch):
    """The accessibility statement publishes the feedback address: production will not start
    with the development placeholder or without an address, and takes it from the environment."""
    from config import PLACEHOLDER_FEEDBACK_EMAIL

    for value in (PLACEHOLDER_FEEDBACK_EMAIL, None, "not-an-address"):
        set_production_environment(monkeypatch, ACCESSIBILITY_FEEDBACK_EMAIL=value)
        with pytest.raises(RuntimeError, match="ACCESSIBILITY_FEEDBACK_EMAIL"):
            create_app("production")
    set_production_environment(monkeypatch, ACCESSIBILITY_FEEDBACK_EMAIL="palaute@espoo.example")
    assert create_app("production").config["ACCESSIBILITY_FEEDBACK_EMAIL"] == "palaute@espoo.example"


def test_an_unknown_config_name_is_refused(monkeypatch):
    """PB_CONFIG must name a known configuration."""
    monkeypatch.setenv("PB_CONFIG", "staging")
    with pytest.raises(RuntimeError, match="staging"):
        create_app()


def test_testing_ignores_database_url_from_the_environment(monkeypatch):
    """A stray DATABASE_URL never points the tests at a real database."""
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@production.example/pb")
    app = create_app("testing")
    assert "production.example" not in app.config["SQLALCHEMY_DATABASE_URI"]


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    """Every SQLite connection has foreign keys on and the WAL journal."""
    app = create_app("testing", {"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    with app.app_context():
        with db.engine.connect() as connection:
            assert connection.execute(sa.text("PRAGMA foreign_keys")).scalar() == 1
            assert connection.execute(sa.text("PRAGMA journal_mode")).scalar() == "wal"
        db.engine.dispose()


def test_security_headers_on_every_response(client):
    """Pages and error pages carry a CSP without inline scripts or framing, nosniff and a referrer policy, and no HSTS in development."""
    for path in ("/", "/no-such-page"):
        response = client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert "unsafe-inline" not in csp
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"]
        assert "Strict-Transport-Security" not in response.headers


def test_production_sends_hsts_and_secure_cookies(monkeypatch, tmp_path):
    """Production responses carry HSTS, and its session cookie is Secure and HttpOnly."""
    set_production_environment(monkeypatch, DATABASE_URL=f"sqlite:///{tmp_path / 'p.sqlite3'}")
    app = create_app("production")
    client = app.test_client()
    response = client.get("/no-such-page", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_HTTPONLY"]


def test_request_size_is_limited(app, client):
    """A request body over MAX_CONTENT_LENGTH gets 413, not a 500."""
    too_big = "x" * (app.config["MAX_CONTENT_LENGTH"] + 1)
    response = client.post("/account/login", data={"email": too_big, "password": "x"})
    assert response.status_code == 413


@pytest.mark.parametrize("path", ["/rounds/99999999999999999999999", "/rounds/0", "/rounds/-1", "/rounds/1"])
def test_out_of_range_ids_are_404_not_database_errors(client, path):
    """Ids outside the database's integer range (or missing rows) answer 404."""
    assert client.get(path).status_code == 404


def test_doctest_examples_of_the_foundation_hold():
    """The examples in the docstrings of pb, pb.security and pb.models.types are correct."""
    import doctest

    import pb
    import pb.models.types
    import pb.security

    for module in (pb, pb.security, pb.models.types):
        result = doctest.testmod(module)
        assert result.failed == 0, module.__name__
    assert doctest.testmod(pb).attempted > 0 and doctest.testmod(pb.security).attempted > 0
