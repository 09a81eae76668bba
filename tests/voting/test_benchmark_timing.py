"""How the benchmark's workers repeat a timed call (``benchmarks/workers.timed``), on a
simulated clock: the number of runs depends only on how long each run takes."""

from __future__ import annotations

from unittest import mock

import pytest

from benchmarks import workers


def _runs(seconds_per_call: float, max_runs: int = 5, cap: float = 20.0) -> int:
    now = [0.0]
    calls = []

    def call():
        calls.append(1)
        now[0] += seconds_per_call
        return len(calls)

    with mock.patch.object(workers.time, "perf_counter", lambda: now[0]), \
            mock.patch.object(workers.gc, "collect", lambda: None):
        result, times = workers.timed("task", call, max_runs, cap)
    assert result == len(calls) == len(times)  # the last result, one time per run
    assert all(t == pytest.approx(seconds_per_call) for t in times)
    return len(times)


@pytest.mark.parametrize("seconds, runs", [
    (0.001, workers.SHORT_MAX_RUNS),  # 50 runs take 0.05 s: stop at the run limit
    (1 / 64, 16),                     # repeats until 0.25 s are spent (16 runs)
    (0.1, 5),                         # five runs take 0.5 s: best of five
    (6.0, 4),                         # the 20 s cap stops the repeats after four
    (30.0, 1),                        # one slow run is enough
])
def test_runs_repeat_by_their_length(capsys, seconds, runs):
    """Short calls repeat until they have taken SHORT_SECONDS (at most SHORT_MAX_RUNS runs);
    others run max-runs times, fewer once the cap is spent."""
    assert _runs(seconds) == runs
    assert capsys.readouterr().out.count('"event": "call"') == runs


@pytest.mark.parametrize("seconds, runs", [
    (0.001, workers.SHORT_MAX_RUNS),  # 50 rounds take 0.05 s of the rule: stop at the limit
    (0.05, 20),                       # repeats until the rule has taken 1 s (20 rounds)
    (0.5, 5),                         # five rounds take 2.5 s: best of five
])
def test_paired_runs_repeat_until_the_rule_has_taken_a_second(capsys, seconds, runs):
    """A rule timed against the parse (``timed_with_parse``) repeats until its own runs have
    taken PAIRED_SHORT_SECONDS (at most SHORT_MAX_RUNS rounds), with one parse beside each of
    its runs: before it in even rounds, after it in odd ones."""
    now = [0.0]
    order = []

    def call():
        order.append("rule")
        now[0] += seconds
        return len(order)

    def parse():
        order.append("parse")
        now[0] += 0.002
        return None

    with mock.patch.object(workers.time, "perf_counter", lambda: now[0]), \
            mock.patch.object(workers.gc, "collect", lambda: None):
        _, times, parse_times = workers.timed_with_parse("paired:mes", call, parse, 5, 20.0)
    assert len(times) == len(parse_times) == runs
    assert all(t == pytest.approx(seconds) for t in times)
    assert all(t == pytest.approx(0.002) for t in parse_times)
    assert order[:4] == ["parse", "rule", "rule", "parse"]
    out = capsys.readouterr().out
    assert out.count('"task": "paired:mes"') == out.count('"task": "parse@mes"') == runs
