"""The participatory budgeting web app: ``create_app()`` wires configuration, extensions,
blueprints, error pages and commands together, and does nothing else."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask
from werkzeug.routing import IntegerConverter

from config import CONFIGS, Config

REPO_ROOT = Path(__file__).resolve().parent.parent


def database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that name no driver.

    >>> database_url("postgresql://u@h:5432/d")
    'postgresql+psycopg://u@h:5432/d'
    >>> database_url("sqlite:///x.db")
    'sqlite:///x.db'
    """
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


class IdConverter(IntegerConverter):
    """``<id:name>``: a database id, 1 to 2**31 - 1; anything larger is a 404, not a
    database overflow error."""

    def __init__(self, url_map, **kwargs) -> None:
        super().__init__(url_map, min=1, max=2**31 - 1)


#: Settings read from environment variables of the same name, with their types.
ENVIRONMENT_SETTINGS: dict[str, type] = {
    "SECRET_KEY": str,
    "PUBLIC_URL": str,
    "MAIL_SERVER": str,
    "MAIL_PORT": int,
    "MAIL_USERNAME": str,
    "MAIL_PASSWORD": str,
    "MAIL_SENDER": str,
    "MAIL_USE_STARTTLS": bool,
    "MAIL_USE_SSL": bool,
    "PROXY_FIX_X_FOR": int,
    "PB_VOTER_KEY": str,
    "PB_VOTING_CODE_KEY": str,
    "ACCESSIBILITY_FEEDBACK_EMAIL": str,
}


def _from_environment(*, testing: bool) -> dict:
    """The settings given in the environment; tests never take a database from it."""
    found = {}
    for name, kind in ENVIRONMENT_SETTINGS.items():
        raw = os.environ.get(name)
        if not raw:
            continue
        if kind is bool:
            found[name] = raw.strip().lower() in ("1", "true", "yes", "on")
        elif kind is int:
            try:
                found[name] = int(raw)
            except ValueError:
                raise RuntimeError(f"{name}={raw!r} is not a whole number") from None
        else:
            found[name] = raw
    if os.environ.get("DATABASE_URL") and not testing:
        found["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    return found


def _config_class(config: str | type[Config] | None) -> type[Config]:
    if isinstance(config, type):
        return config
    name = config or os.environ.get("PB_CONFIG") or "development"
    try:
        return CONFIGS[name]
    except KeyError:
        raise RuntimeError(f"PB_CONFIG={name!r} is not one of {', '.join(CONFIGS)}") from None


def create_app(config: str | type[Config] | None = None, overrides: Mapping | None = None) -> Flask:
    """Build the app from a config class or name (default: ``PB_CONFIG``, else development),
    the environment (``SECRET_KEY``, ``DATABASE_URL``, ``PUBLIC_URL``, ``MAIL_*``) and then
    ``overrides``."""
    app = Flask(
        __name__,
        template_folder=str(REPO_ROOT / "templates"),
        static_folder="static",
        instance_path=os.environ.get("PB_INSTANCE_PATH") or str(REPO_ROOT / "instance"),
    )
    config_class = _config_class(config)
    app.config.from_object(config_class)
    app.config.update(_from_environment(testing=config_class.TESTING))
    if overrides:
        app.config.update(overrides)

    problems = config_class.problems(app.config)
    if problems:
        raise RuntimeError(f"refusing to start with {config_class.NAME} config: " + "; ".join(problems))
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "pb.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.url_map.converters["id"] = IdConverter

    from pb import auth, cli, errors, i18n, identity, mail, security
    from pb.extensions import csrf, db, migrate
    from pb.labels import label

    db.init_app(app)
    migrate.init_app(app, db)
    auth.init_app(app)  # before CSRF, so that error pages know who is logged in
    csrf.init_app(app)
    security.init_app(app)
    mail.init_app(app)
    i18n.init_app(app)
    errors.init_app(app)
    identity.init_app(app)
    app.add_template_global(label)

    from pb.account.routes import bp as account_bp
    from pb.admin.routes import bp as admin_bp
    from pb.audit.routes import bp as audit_bp
    from pb.ballot.routes import bp as ballot_bp
    from pb.codes.routes import bp as codes_bp
    from pb.paper.routes import bp as paper_bp
    from pb.moderation.routes import bp as moderation_bp
    from pb.proposals.routes import bp as proposals_bp
    from pb.public.routes import bp as public_bp
    from pb.results.routes import bp as results_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(account_bp, url_prefix="/account")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(proposals_bp)
    app.register_blueprint(moderation_bp, url_prefix="/moderation")
    app.register_blueprint(results_bp)
    app.register_blueprint(ballot_bp)
    app.register_blueprint(codes_bp)
    app.register_blueprint(paper_bp)
    app.register_blueprint(audit_bp)

    cli.init_app(app)
    return app

