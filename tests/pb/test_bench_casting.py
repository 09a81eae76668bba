"""The casting benchmark runs end to end (figures are not judged here: speed is measured by
running the benchmark, never in a unit test)."""

from __future__ import annotations

import re

from benchmarks import bench_casting


def test_casting_benchmark_casts_every_ballot_and_prints_its_figures(capsys):
    """On a temporary SQLite database, 20 casts are all stored, and the output names the cast
    rate, the reference and their ratio."""
    assert bench_casting.main(["--ballots", "20"]) == 0
    out = capsys.readouterr().out
    assert "casts: 20 (ballots stored: 20)" in out
    assert re.search(r"cast_ballot: [\d.]+ s, \d+ casts/s", out)
    assert re.search(r"ratio cast / reference: [\d.]+x", out)
