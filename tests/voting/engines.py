"""How the tests make ``mes`` count any electorate with a given engine.

``mes`` picks its engine by the number of voters (``voting.rules.mes._engine_for``), so on a
given input only one engine runs. Patching the thresholds in ``ENGINES`` into the module
(``forced``) makes it take the named engine whatever the size: exact money per voter
(``_mes_small``), a fixed-point bound per voter (``_mes_fixed``; with no class sharing, which
would make add1 take budget classes instead), budget classes (``_mes_fast``), fixed-point
bounds per voter in arrays (``_mes_wide``). ``ENGINE_RUNS`` names the function each one runs.
"""

from __future__ import annotations

import importlib
from unittest import mock

from voting.rules import _mes_fast, _mes_fixed, _mes_small, _mes_wide

mes_module = importlib.import_module("voting.rules.mes")  # (the package re-exports the function)

ENGINES = {"per voter": {"SMALL_BELOW": 10**9},
           "fixed": {"SMALL_BELOW": 0, "FIXED_BELOW": 10**9, "SHARE_MAX_VOTERS": 0,
                     "SHARE_MAX_MEAN_LENGTH": 0},
           "classes": {"SMALL_BELOW": 0, "FIXED_BELOW": 0, "WIDE_FROM": 10**9},
           "wide": {"SMALL_BELOW": 0, "FIXED_BELOW": 0, "WIDE_FROM": 0}}

ENGINE_RUNS = {"per voter": _mes_small.run_small, "fixed": _mes_fixed.run_fixed,
               "classes": _mes_fast.run_fast, "wide": _mes_wide.run_wide}


def forced(engine: str, **more):
    """A context in which ``mes`` counts with *engine* (a key of ``ENGINES``); *more* patches
    further names of the module."""
    return mock.patch.multiple(mes_module, **ENGINES[engine], **more)
