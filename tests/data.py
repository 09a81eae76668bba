"""Where the shared real Pabulib files are: ``../shared/pabulib`` beside the repository."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PABULIB_DIR = Path(os.environ.get("PB_PABULIB_DIR", REPO.parent / "shared" / "pabulib"))


def pabulib_file(name: str) -> Path:
    """Path of one real file; fails loudly (never skips) when the shared data is missing."""
    path = PABULIB_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"shared Pabulib file missing: {path}")
    return path


def all_pabulib_files() -> list[Path]:
    files = sorted(PABULIB_DIR.glob("*.pb"))
    if not files:
        raise FileNotFoundError(f"no .pb files in {PABULIB_DIR}")
    return files
