"""The core stays pure: importing it loads no web, database or third-party module."""

import subprocess
import sys

FORBIDDEN = ("flask", "sqlalchemy", "werkzeug", "jinja2", "wtforms", "psycopg", "pabutools", "numpy")


def test_importing_voting_loads_no_web_or_database_module():
    """Importing voting and every submodule of it pulls in none of the app's or oracle's libraries."""
    code = (
        "import sys, pkgutil, importlib, voting\n"
        "for m in pkgutil.walk_packages(voting.__path__, 'voting.'):\n"
        "    importlib.import_module(m.name)\n"
        f"bad = [m for m in sys.modules if m.split('.')[0] in {FORBIDDEN!r}]\n"
        "print(','.join(sorted(bad)))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"voting loaded: {out.stdout.strip()}"
