"""Commands under ``flask pb``: the first administrator, the demo data, phases by date and the
audit bundle of a published round."""

from __future__ import annotations

import functools

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from flask_babel import force_locale

from pb.extensions import db
from pb.models import User
from pb.services import ServiceError, demo, roles
from pb.services.accounts import normalize_email
from pb.validators import EmailAddress

pb_cli = AppGroup("pb", help="Participatory budgeting commands.")


def _in_english(command):
    """Run the command with English messages: there is no request to choose a language from."""

    @functools.wraps(command)
    def wrapped(*args, **kwargs):
        with force_locale("en"):
            return command(*args, **kwargs)

    return wrapped


@pb_cli.command("create-admin")
@click.argument("email")
@click.option(
    "--password",
    envvar="PB_ADMIN_PASSWORD",
    help="Password for a new account (default: asked; or from PB_ADMIN_PASSWORD).",
)
@_in_english
def create_admin_command(email: str, password: str | None) -> None:
    """Make EMAIL an administrator, creating the account if it does not exist."""
    if not _is_email(email):
        raise click.ClickException(f"not a valid email address: {email!r}")
    exists = db.session.scalar(sa.select(User.id).where(User.email == normalize_email(email))) is not None
    if not exists and not password:
        password = click.prompt("Password for the new account", hide_input=True, confirmation_prompt=True)
    if not exists and len(password) < current_app.config["PASSWORD_MIN_LENGTH"]:
        raise click.ClickException(f"the password needs at least {current_app.config['PASSWORD_MIN_LENGTH']} characters")
    try:
        user, created = roles.create_admin(email, password)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"{'Created' if created else 'Updated'} administrator {user.email}")


@pb_cli.command("demo")
@click.option("--all-phases", is_flag=True, help="Also a youth round in voting and a round taking proposals.")
@_in_english
def demo_command(all_phases: bool = False) -> None:
    """Load the demo round, proposals and accounts (only into a database without rounds)."""
    if current_app.config.get("NAME") == "production":
        raise click.ClickException("refusing to load demo accounts into a production database")
    try:
        accounts = demo.load_demo(all_phases=all_phases)
    except (sa.exc.OperationalError, sa.exc.ProgrammingError):
        raise click.ClickException("the database has no tables yet: run `flask db upgrade` first") from None
    if accounts is None:
        click.echo("The database already has rounds: demo data not loaded.")
        return
    click.echo("Demo data loaded. Demo accounts (password: %s):" % demo.DEMO_PASSWORD)
    for role, email in accounts.items():
        click.echo(f"  {role.value:14} {email}")


@pb_cli.command("advance-phases")
@_in_english
def advance_phases_command() -> None:
    """Move every round into the phases whose dates have passed (run it every minute)."""
    from pb.services.round_phases import advance_due_rounds

    stuck = advance_due_rounds()
    for round_, problems in stuck:
        click.echo(f"round {round_.id}: voting could not open: " + " ".join(str(p) for p in problems), err=True)
    if stuck:
        raise SystemExit(1)
    click.echo("Phases are up to date.")


@pb_cli.command("build-bundle")
@click.argument("round_id", type=int)
@_in_english
def build_bundle_command(round_id: int) -> None:
    """Build and store the audit bundle of a published round that has none; print its digest."""
    from pb.models import Round
    from pb.services import exports

    round_ = db.session.get(Round, round_id)
    if round_ is None:
        raise click.ClickException(f"no round with id {round_id}")
    existed = exports.stored_bundle(round_) is not None
    try:
        bundle = exports.ensure_round_bundle(None, round_)
    except ServiceError as error:
        raise click.ClickException(str(error)) from None
    state = "already stored" if existed else "built and stored"
    click.echo(f"Round {round_.id}: audit bundle {state}, {bundle.receipt_count} receipts.")
    click.echo(f"Bundle digest: {bundle.digest}")


def init_app(app: Flask) -> None:
    app.cli.add_command(pb_cli)


def _is_email(value: str) -> bool:
    from types import SimpleNamespace

    from wtforms.validators import ValidationError

    try:
        EmailAddress()(None, SimpleNamespace(data=value))
    except ValidationError:
        return False
    return True
