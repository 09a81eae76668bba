"""The threshold script ``benchmarks/engine_samples.py``: two MES engines on samples of ballots."""

from __future__ import annotations

import pytest

from benchmarks import engine_samples
from tests.data import pabulib_file
from voting.rules._mes_core import RunResult


def test_times_two_engines_on_each_sample_and_says_when_a_file_is_too_small(capsys):
    """On Assen (84 ballots), a sample of 40 is timed with both engines and gets one ratio per
    seed; a sample larger than the file is named, not drawn; the script exits 0."""
    path = pabulib_file("Netherlands_Assen_2024.pb")
    code = engine_samples.main([str(path), "--sizes", "40,100", "--seeds", "2", "--reps", "1",
                                "--engines", "small,fixed"])
    out = capsys.readouterr().out
    assert code == 0
    line = next(row for row in out.splitlines() if row.startswith("Netherlands_Assen_2024.pb 40 voters"))
    assert line.count(" ms (") == 2  # one cell per seed
    assert "Netherlands_Assen_2024.pb 100: the file has only 84 ballots" in out
    assert "budget of the file" in out


def test_shrinks_the_budget_with_the_sample_when_asked(capsys):
    """--scaled-budget says so in its header and still times every sample."""
    path = pabulib_file("Netherlands_Assen_2024.pb")
    assert engine_samples.main([str(path), "--sizes", "40", "--seeds", "1", "--reps", "1",
                                "--scaled-budget"]) == 0
    out = capsys.readouterr().out
    assert "budget scaled with the sample" in out
    assert "Netherlands_Assen_2024.pb 40 voters, small / fixed: " in out


def test_refuses_to_time_engines_that_disagree(monkeypatch):
    """An engine whose run differs from the first engine's is an error, not a timing."""
    path = pabulib_file("Netherlands_Assen_2024.pb")
    monkeypatch.setitem(engine_samples.ENGINES, "fixed", lambda prep, u, q=1: RunResult([]))
    with pytest.raises(AssertionError, match="engines small and fixed disagree"):
        engine_samples.main([str(path), "--sizes", "40", "--seeds", "1", "--reps", "1"])


def test_an_unknown_engine_is_a_usage_error(capsys):
    """--engines with a name the script does not know exits with argparse's usage error."""
    with pytest.raises(SystemExit) as exc:
        engine_samples.main(["x.pb", "--engines", "small,nope"])
    assert exc.value.code == 2
    assert "--engines takes two or more of" in capsys.readouterr().err
