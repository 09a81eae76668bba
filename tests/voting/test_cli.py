"""The ``pb-tally`` command end to end: META defaults, overrides, output forms and exit codes."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import pytest

import voting.rules
from tests.data import pabulib_file
from voting import cli
from voting.numbers import format_amount
from voting.pabulib import read_pb

SCRIPT = Path(sys.executable).parent / "pb-tally"
JSON_KEYS = {"rule", "parameters", "budget", "selected", "total_cost", "votes", "ties", "warnings"}


def run(*args, env=None):
    """Run the command in a subprocess, as a user would."""
    return subprocess.run(
        [sys.executable, "-m", "voting.cli", *map(str, args)],
        capture_output=True, text=True, encoding="utf-8", env={**os.environ, **(env or {})},
    )


def run_in_process(capsys, *args):
    """Run main() in this process (same code path, much faster) and capture its output."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def official(path) -> set[str]:
    """The projects a real file's ``selected`` column marks as funded."""
    return {pid for pid, p in read_pb(path).projects.items() if p.extra.get("selected") == "1"}


def small_file(tmp_path, meta_rule="greedy", extra_meta="", votes=None):
    """A five-voter approval file: a (4 votes), b (3), c (2, cheap), d (0 votes)."""
    votes = votes or ["1;a,b,c", "2;a,b", "3;a,b,c", "4;a", "5;"]
    text = (
        "META\nkey;value\nbudget;10\nvote_type;approval\n"
        f"rule;{meta_rule}\n{extra_meta}"
        "PROJECTS\nproject_id;cost;name\na;5;Alpha\nb;4;Beta\nc;1;Gamma\nd;1;Delta\n"
        "VOTES\nvoter_id;vote\n" + "\n".join(votes) + "\n"
    )
    path = tmp_path / "small.pb"
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- real files


def test_installed_script_prints_canonical_json():
    """The installed pb-tally script prints canonical JSON with every required key, exit 0, nothing on stderr."""
    proc = subprocess.run([str(SCRIPT), pabulib_file("Netherlands_Amsterdam_643.pb"), "--json"],
                          capture_output=True, text=True, encoding="utf-8")
    assert proc.returncode == 0 and proc.stderr == ""
    data = json.loads(proc.stdout)
    assert JSON_KEYS <= data.keys()
    assert proc.stdout == json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n"
    assert set(data["votes"]) == set(read_pb(pabulib_file("Netherlands_Amsterdam_643.pb")).projects)


def test_warsaw_2026_default_is_greedy_with_meta_threshold():
    """Warsaw 2026 with no options: greedy with min_score 3000 from META, reproducing the city's selection."""
    path = pabulib_file("Poland_Warszawa_2026.pb")
    proc = run(path, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["rule"] == "greedy" and data["parameters"]["min_score"] == 3000
    assert set(data["selected"]) == official(path)


def test_krakow_default_counts_by_score():
    """Kraków (ordinal with points): the JSON carries scores and greedy by score gives the official outcome."""
    path = pabulib_file("Poland_Krakow_2022_Stare_Miasto.pb")
    code_out = run(path, "--json")
    data = json.loads(code_out.stdout)
    assert "score" in data and data["score"]["36"] == 1203
    assert set(data["selected"]) == official(path)


def test_json_output_is_byte_identical_across_runs():
    """The same file gives byte-identical JSON in two processes with different hash seeds."""
    path = pabulib_file("Poland_Swiecie_2023.pb")
    first = run(path, "--json", "--rule", "greedy", env={"PYTHONHASHSEED": "1"})
    second = run(path, "--json", "--rule", "greedy", env={"PYTHONHASHSEED": "2"})
    assert first.returncode == 0 and first.stdout == second.stdout


def test_table_lists_every_project_and_a_summary(capsys):
    """Without --json: one table row per project, funded rows exactly the selected ones, then a summary."""
    path = pabulib_file("France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb")
    code, out, err = run_in_process(capsys, path)
    assert code == 0 and err == ""
    election = read_pb(path)
    rows = [line for line in out.splitlines() if line.split(" ")[0] in election.projects]
    assert len(rows) == len(election.projects)
    assert out.splitlines()[0].split() == ["project", "cost", "votes", "funded", "name"]
    code, js, _ = run_in_process(capsys, path, "--json")
    funded = {r.split()[0] for r in rows if " yes #" in r}
    assert funded == set(json.loads(js)["selected"])
    for label in ("rule:", "budget:", "funded:", "ties:", "warnings:"):
        assert any(line.startswith(label) for line in out.splitlines())


def test_warnings_are_listed_in_the_table_and_json(capsys):
    """Częstochowa's repeated project and votes-column mismatch appear in both output forms."""
    path = pabulib_file("Poland_Czestochowa_2020.pb")
    code, out, _ = run_in_process(capsys, path)
    assert code == 0 and "duplicate-in-vote: line 11740" in out and "votes-mismatch" in out
    code, js, _ = run_in_process(capsys, path, "--json")
    codes = [w["code"] for w in json.loads(js)["warnings"]]
    assert codes.count("duplicate-in-vote") == 1 and "votes-mismatch" in codes


# --------------------------------------------------------------------------- META and overrides


def test_meta_threshold_and_its_override(tmp_path, capsys):
    """greedy-threshold excludes projects below the META threshold; --min-votes replaces it."""
    path = small_file(tmp_path, "greedy-threshold", "min_project_score_threshold;3\n")
    code, js, _ = run_in_process(capsys, path, "--json")
    assert code == 0 and json.loads(js)["selected"] == ["a", "b"]
    code, js, _ = run_in_process(capsys, path, "--json", "--min-votes", "0")
    assert json.loads(js)["selected"] == ["a", "b", "c"]


def test_other_rule_drops_meta_parameters(tmp_path, capsys):
    """--rule picks another rule without carrying META's greedy threshold into it."""
    path = small_file(tmp_path, "greedy-threshold", "min_project_score_threshold;3\n")
    code, js, err = run_in_process(capsys, path, "--json", "--rule", "max-welfare")
    assert code == 0, err
    data = json.loads(js)
    assert data["rule"] == "max-welfare" and "min_score" not in data["parameters"]


def test_unknown_meta_rule_means_greedy(tmp_path, capsys):
    """A META rule the command does not know (greedy-no-skip here) is counted with greedy."""
    path = small_file(tmp_path, "greedy-no-skip")
    code, js, _ = run_in_process(capsys, path, "--json")
    assert code == 0 and json.loads(js)["rule"] == "greedy"


def test_tie_break_option_changes_the_recorded_chain(tmp_path, capsys):
    """--tie-break reaches the rule: a 2-2 tie between b and c is decided by the given chain and recorded."""
    path = small_file(tmp_path, votes=["1;b", "2;b", "3;c", "4;c"])
    code, js, _ = run_in_process(capsys, path, "--json", "--tie-break", "cost-desc")
    data = json.loads(js)
    assert data["selected"][0] == "b" and data["parameters"]["tie_break"].startswith("cost-desc")
    assert data["ties"] and data["ties"][0]["decided_by"] == "cost-desc"
    code, js, _ = run_in_process(capsys, path, "--json", "--tie-break", "cost")
    assert json.loads(js)["selected"][0] == "c"


# --------------------------------------------------------------------------- errors and exit codes


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["--utility", "cardinality"], ["--utility", "greedy"]),
        (["--rule", "max-welfare", "--completion", "add1"], ["--completion", "max-welfare"]),
        (["--rule", "phragmen", "--min-votes", "2"], ["--min-votes", "phragmen"]),
        (["--rule", "max-welfare", "--compare-greedy"], ["--compare-greedy", "max-welfare"]),
        (["--tie-break", "cost,price"], ["price", "greedy"]),
        (["--rule", "phragmen", "--no-compare-greedy"], ["--compare-greedy", "phragmen"]),
        (["--min-votes", "-1"], ["--min-votes", "negative"]),
        (["--min-votes", "7" * 5000], ["--min-votes", "5000 digits"]),
        (["--rule", "lottery"], ["--rule", "lottery"]),
        (["--tie-break", "cost,,id"], ["empty key"]),
        (["--tie-break", ""], ["empty key"]),
    ],
)
def test_option_that_does_not_fit_exits_2_with_one_line(tmp_path, capsys, args, words):
    """An option the rule does not take (or a bad value) exits 2 with one stderr line naming option and rule."""
    code, out, err = run_in_process(capsys, small_file(tmp_path), *args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("pb-tally: error: ")
    for word in words:
        assert word in err


def test_vote_type_the_rule_cannot_count_exits_2_naming_both():
    """phragmen on cumulative ballots exits 2 with one line naming the rule and the vote type."""
    proc = run(pabulib_file("Switzerland_Zurich_D10.pb"), "--rule", "phragmen")
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1 and "phragmen" in proc.stderr and "cumulative" in proc.stderr


def test_malformed_file_exits_2_with_its_line(tmp_path):
    """A file with an unknown project in a vote exits 2 with one line giving the file, line and project."""
    path = small_file(tmp_path, votes=["1;a", "2;zz"])
    proc = run(path)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.count("\n") == 1
    assert str(path) in proc.stderr and "line 15" in proc.stderr and "'zz'" in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("where", "words"),
    [
        ("cost", ["line 11", "cost of project 'a'", "5000 digits"]),
        ("budget", ["line 3", "budget", "5000 digits"]),
        ("points", ["line 15", "points of voter '1'", "5000 digits"]),
        ("max_length", ["line 6", "META max_length", "5000 digits"]),
        ("threshold", ["min_project_score_threshold", "5000 digits"]),
    ],
)
def test_a_number_too_long_to_read_exits_2_naming_it(tmp_path, capsys, where, words):
    """A 5,000-digit number anywhere a file holds one (Python itself refuses to read integers
    past 4,300 digits) is bad input: exit 2 with one short line naming where it is, not an
    internal error, and the number is not echoed whole."""
    huge = "7" * 5000
    meta = {"budget": huge if where == "budget" else "10",
            "max_length": huge if where == "max_length" else "3",
            "threshold": huge if where == "threshold" else "1"}
    text = (
        f"META\nkey;value\nbudget;{meta['budget']}\nvote_type;cumulative\nrule;greedy-threshold\n"
        f"max_length;{meta['max_length']}\nmin_project_score_threshold;{meta['threshold']}\n"
        "max_sum_points;10\n"
        f"PROJECTS\nproject_id;cost\na;{huge if where == 'cost' else 5}\nb;4\n"
        "VOTES\nvoter_id;vote;points\n"
        f"1;a,b;{huge if where == 'points' else 2},1\n2;a;3\n"
    )
    path = tmp_path / "huge.pb"
    path.write_text(text, encoding="utf-8")
    assert text.splitlines()[10].startswith("a;") and text.splitlines()[14].startswith("1;")
    code, out, err = run_in_process(capsys, path, "--json")
    assert code == 2 and out == "" and err.count("\n") == 1, err
    assert "internal error" not in err and len(err) < 300 + len(str(path))
    for word in [str(path), *words]:
        assert word in err


def test_no_compare_greedy_turns_off_the_meta_comparison(capsys):
    """On Wieliczka (META equalshares/add1-comparison, where greedy wins the comparison at
    b = none), --no-compare-greedy drops the comparison step: the outcome is plain MES's."""
    path = pabulib_file("Poland_Wieliczka_2023_Green_Budget.pb")
    code, js, err = run_in_process(capsys, path, "--json", "--completion", "none")
    assert code == 0, err
    compared = json.loads(js)
    assert compared["parameters"]["compare_greedy"] is True and compared["comparison_kept"] == "greedy"
    code, js, err = run_in_process(capsys, path, "--json", "--completion", "none", "--no-compare-greedy")
    assert code == 0, err
    plain = json.loads(js)
    assert plain["parameters"]["compare_greedy"] is False and "comparison_kept" not in plain
    assert plain["selected"] == compared["mes_selected"] != compared["selected"]


def test_missing_file_and_bad_usage_exit_2(tmp_path, capsys):
    """A missing file and an unknown flag each exit 2 with a single line."""
    for args in ([tmp_path / "nope.pb"], [small_file(tmp_path), "--bogus"], []):
        code, out, err = run_in_process(capsys, *args)
        assert code == 2 and out == "" and err.count("\n") == 1


def test_strict_turns_warnings_into_exit_2(tmp_path, capsys):
    """With --strict a ballot breaking the file's limits exits 2; without it the count goes on and warns."""
    path = small_file(tmp_path, extra_meta="max_length;2\n")
    code, js, _ = run_in_process(capsys, path, "--json")
    assert code == 0 and [w["voter_id"] for w in json.loads(js)["warnings"]] == ["1", "3"]
    code, out, err = run_in_process(capsys, path, "--strict")
    assert code == 2 and out == "" and err.count("\n") == 1 and "line 15" in err


def test_internal_error_exits_1_without_traceback(tmp_path, capsys, monkeypatch):
    """A bug inside a rule exits 1 with one line naming the exception, no traceback."""
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(voting.rules, "tally", broken)
    code, out, err = run_in_process(capsys, small_file(tmp_path))
    assert code == 1 and out == ""
    assert err == "pb-tally: error: internal error: ZeroDivisionError: boom\n"


# --------------------------------------------------------------------------- progress


class _Tty(io.StringIO):
    def isatty(self):
        return True


def test_progress_only_on_a_terminal(tmp_path, monkeypatch, capsys):
    """Progress goes to stderr when it is a terminal and is cleared; a pipe gets nothing."""
    path = small_file(tmp_path)
    fake = _Tty()
    monkeypatch.setattr(sys, "stderr", fake)
    assert cli.main([str(path), "--json"]) == 0
    shown = fake.getvalue()
    assert "reading" in shown and "counting 5 ballots with greedy" in shown and shown.endswith("\r\033[K")
    proc = run(path, "--json")
    assert proc.returncode == 0 and proc.stderr == ""


# --------------------------------------------------------------------------- MES files


@pytest.mark.parametrize("name", ["Netherlands_Assen_2024.pb", "Poland_Swiecie_2023.pb"])
def test_equalshares_add1_files_default_to_mes_add1(name):
    """An equalshares/add1 file with no options is counted with MES, cost utility, add1, giving the official outcome."""
    path = pabulib_file(name)
    proc = run(path, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["rule"] == "mes"
    assert (data["parameters"]["utility"], data["parameters"]["completion"]) == ("cost", "add1")
    assert isinstance(data["per_voter_budget"], int)
    assert set(data["selected"]) == official(path)


def test_wieliczka_default_adds_the_comparison_step():
    """Wieliczka (equalshares/add1-comparison): MES add1 compared with greedy, both voter counts in the JSON."""
    path = pabulib_file("Poland_Wieliczka_2023_Green_Budget.pb")
    proc = run(path, "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["parameters"]["compare_greedy"] is True
    assert {"voters_preferring_greedy", "voters_preferring_mes"} <= data.keys()
    assert set(data["selected"]) == official(path)


def test_option_overrides_meta_mes_parameter(capsys):
    """--completion none on an add1 file keeps MES from META but drops the completion."""
    path = pabulib_file("Netherlands_Assen_2024.pb")
    code, js, err = run_in_process(capsys, path, "--json", "--completion", "none")
    assert code == 0, err
    data = json.loads(js)
    assert data["rule"] == "mes" and data["parameters"]["completion"] == "none"
    election = read_pb(path)
    assert data["per_voter_budget"] == format_amount(Fraction(election.budget, len(election.ballots)))


def test_mes_on_cumulative_ballots_exits_2_naming_both(capsys):
    """MES cannot count Zürich's cumulative ballots: exit 2, one line naming mes and cumulative."""
    code, out, err = run_in_process(capsys, pabulib_file("Switzerland_Zurich_D10.pb"), "--rule", "mes")
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "mes" in err and "cumulative" in err
