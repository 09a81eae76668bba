"""pabutools, the test-only oracle: skipped locally when it is absent, a failure on CI."""

from __future__ import annotations

import importlib
import os

import pytest


def require_pabutools():
    """Import pabutools: skipped locally when absent, but a failure on CI (``CI=true``)."""
    if os.environ.get("CI") == "true":
        return importlib.import_module("pabutools")
    return pytest.importorskip("pabutools")
