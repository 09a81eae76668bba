"""How fast the app records ballots: casts per second through the casting service, against a
reference measured in the same run on the same database.

Each cast is what a voter's final "cast" does after the pages: ``pb.services.voting.
cast_ballot`` checks the phase, the area and the ballot, writes the who-voted row, the ballot
row with its choices and the receipt hash, and commits (one transaction per cast). The
reference is the database's own floor for one small transaction: a one-row INSERT and a
COMMIT, as many times. The ratio says how much the app adds to that floor.

Usage::

    .venv/bin/python benchmarks/bench_casting.py                       # SQLite (temporary file)
    .venv/bin/python benchmarks/bench_casting.py --database postgresql://postgres@127.0.0.1:5432/test --reset

``--reset`` (PostgreSQL only) drops and recreates the database's ``public`` schema first: use it
only on a scratch database. One process, one connection: a server runs several workers.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--ballots", type=int, default=2000, help="casts to time (default 2000)")
    parser.add_argument("--reset", action="store_true", help="PostgreSQL: drop and recreate schema public first")
    args = parser.parse_args(argv)

    tmp = None
    url = args.database
    if url is None:
        tmp = tempfile.TemporaryDirectory()
        url = f"sqlite:///{tmp.name}/bench.db"
    if args.reset:
        if not url.startswith("postgresql"):
            parser.error("--reset is for PostgreSQL only")
        import sqlalchemy as sa

        engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;"))
        engine.dispose()

    from flask_migrate import upgrade

    from pb import create_app

    app = create_app("development", {"SQLALCHEMY_DATABASE_URI": url,
                                     "SECRET_KEY": os.environ.get("SECRET_KEY") or "benchmark-only-secret-key"})
    with app.app_context():
        import sqlalchemy as sa

        from pb.extensions import db
        from pb.models import BallotChannel, Phase, Role, RoleAssignment, User
        from pb.security import now
        from pb.services import areas, round_phases, rounds, screening
        from pb.services import voting as voting_service

        upgrade(directory=str(Path(__file__).resolve().parent.parent / "migrations"))
        admin = User(email="bench-admin@example.com", password_hash="x", is_verified=True)
        db.session.add(admin)
        db.session.flush()
        for role in (Role.ADMINISTRATOR, Role.MODERATOR):
            db.session.add(RoleAssignment(user_id=admin.id, role=role))
        db.session.commit()
        round_ = rounds.create_round(admin, {"name_fi": "Benchmark", "ballot_kind": "approval",
                                             "min_choices": 1, "max_choices": 3, "rule": "greedy"})
        area = areas.add_area(admin, round_, {"code": "bench", "name_fi": "Benchmark", "budget": 1_000_000})
        ids = [screening.create_project(admin, round_, {"title_fi": f"Project {i}", "area_id": area.id,
                                                        "cost": 10_000 * (i + 1)}).id for i in range(10)]
        round_phases.advance_phase(admin, round_, Phase.SCREENING)
        round_phases.advance_phase(admin, round_, Phase.VOTING)
        round_id, area_id = round_.id, area.id

        rng = random.Random(7)
        choices = [[str(pid) for pid in sorted(rng.sample(ids, rng.randint(1, 3)))] for _ in range(args.ballots)]
        refs = [hashlib.sha256(f"bench-voter-{i}".encode()).hexdigest() for i in range(args.ballots)]
        at = now()
        start = time.perf_counter()
        for ref, chosen in zip(refs, choices):
            voting_service.cast_ballot(round_id, area_id, {area_id: chosen}, voter_ref=ref,
                                       channel=BallotChannel.ONLINE, at=at)
        cast_s = time.perf_counter() - start

        db.session.execute(sa.text("CREATE TABLE bench_reference (id INTEGER PRIMARY KEY, value VARCHAR(64))"))
        db.session.commit()
        start = time.perf_counter()
        for i, ref in enumerate(refs):
            db.session.execute(sa.text("INSERT INTO bench_reference (id, value) VALUES (:i, :v)"), {"i": i, "v": ref})
            db.session.commit()
        reference_s = time.perf_counter() - start
        counted = db.session.scalar(sa.text("SELECT count(*) FROM ballot WHERE round_id = :r"), {"r": round_id})
        dialect = db.engine.dialect.name
        db.session.remove()
        db.engine.dispose()

    n = args.ballots
    print(f"database: {dialect}")
    print(f"casts: {n} (ballots stored: {counted})")
    print(f"cast_ballot: {cast_s:.2f} s, {n / cast_s:.0f} casts/s, {1000 * cast_s / n:.2f} ms per cast")
    print(f"reference (one-row INSERT + COMMIT): {reference_s:.2f} s, {1000 * reference_s / n:.2f} ms each")
    print(f"ratio cast / reference: {cast_s / reference_s:.1f}x")
    if tmp is not None:
        tmp.cleanup()
    return 0 if counted == n else 1


if __name__ == "__main__":
    sys.exit(main())
