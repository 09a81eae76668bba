"""The A/B script ``benchmarks/compare.py``: two versions of ``voting/`` in one process."""

from __future__ import annotations

from benchmarks import compare
from tests.data import pabulib_file


def test_compares_a_commit_with_the_working_tree(capsys):
    """Exporting HEAD and the working tree side by side, both versions count Assen with MES
    and add1 to the same outcome, and the script reports a time for each and exits 0."""
    path = pabulib_file("Netherlands_Assen_2024.pb")
    code = compare.main(["HEAD", "WORKTREE", str(path), "--rule", "mes", "--completion", "add1",
                         "--reps", "1"])
    out = capsys.readouterr().out
    assert code == 0
    assert "Netherlands_Assen_2024.pb: HEAD " in out and ", WORKTREE " in out
    assert "same outcome: yes" in out
