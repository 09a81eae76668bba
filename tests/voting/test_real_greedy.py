"""Greedy on the real Pabulib files reproduces the cities' published outcomes."""

from __future__ import annotations

import functools

import pytest

from tests.data import all_pabulib_files, pabulib_file
from voting.model import Election
from voting.numbers import parse_amount
from voting.pabulib import read_pb
from voting.rules import tally

read_once = functools.lru_cache(maxsize=None)(read_pb)

#: Files whose META rule is greedy or greedy-threshold and which carry the official `selected`.
OFFICIAL = [
    "Poland_Warszawa_2017_Plac_Wojska_Polskiego.pb",
    "Poland_Krakow_2022_Stare_Miasto.pb",  # ordinal with points: greedy by score
    "Poland_Warszawa_2023_Mokotow.pb",
    "Poland_Warszawa_2026.pb",  # greedy-threshold, min_project_score_threshold 3000
]
#: Greedy files without a `selected` column (no official outcome to compare with).
UNOFFICIAL = [
    "France_Toulouse_2022_17_-_Mirail-Universite_Reynerie_Bellefontaine.pb",
    "Netherlands_Amsterdam_166.pb",
    "Netherlands_Amsterdam_309.pb",
    "Netherlands_Amsterdam_643.pb",
    "Poland_Czestochowa_2020.pb",  # cumulative: greedy by score
]


def is_greedy(e: Election) -> bool:
    return e.meta.get("rule") in ("greedy", "greedy-threshold")


def city_greedy(e: Election):
    """Greedy with the options the file's META names (the threshold for greedy-threshold)."""
    min_score = None
    if e.meta["rule"] == "greedy-threshold":
        min_score = parse_amount(e.meta["min_project_score_threshold"])
    return tally(e, "greedy", min_score=min_score)


def test_file_lists_cover_every_greedy_file():
    """Every greedy or greedy-threshold file is in one of the lists, by whether it has `selected`."""
    with_selected, without = set(), set()
    for path in all_pabulib_files():
        e = read_once(path)
        if is_greedy(e):
            (with_selected if "selected" in e.project_columns else without).add(path.name)
    assert with_selected == set(OFFICIAL)
    assert without == set(UNOFFICIAL)


@pytest.mark.parametrize("name", OFFICIAL)
def test_reproduces_official_selected(name):
    """Our greedy funds exactly the projects the city marked as selected."""
    e = read_once(pabulib_file(name))
    official = {pid for pid, p in e.projects.items() if p.extra.get("selected", "0") not in ("", "0")}
    out = city_greedy(e)
    assert set(out.selected) == official
    assert out.total_cost <= e.budget


@pytest.mark.parametrize("name", OFFICIAL + UNOFFICIAL)
def test_matches_greedy_over_the_files_own_columns(name):
    """Counting the VOTES rows gives the same greedy as the file's PROJECTS votes/score column
    (the Pabulib checker's method), in the same order."""
    e = read_once(pabulib_file(name))
    column = "score" if "score" in e.project_columns else "votes"
    stated = {pid: parse_amount(p.extra[column]) for pid, p in e.projects.items()}
    out = city_greedy(e)
    threshold = out.parameters["min_score"]
    left, expected = e.budget, []
    for pid in sorted(e.projects, key=lambda pid: (-stated[pid], e.projects[pid].cost, pid)):
        if stated[pid] > 0 and (threshold is None or stated[pid] >= threshold) and e.projects[pid].cost <= left:
            expected.append(pid)
            left -= e.projects[pid].cost
    assert out.selected == expected


def test_warsaw_2026_needs_its_threshold():
    """Without the 3000-vote threshold greedy would fund one more project than Warsaw did."""
    e = read_once(pabulib_file("Poland_Warszawa_2026.pb"))
    official = {pid for pid, p in e.projects.items() if p.extra.get("selected", "0") not in ("", "0")}
    plain = tally(e, "greedy")
    extra = set(plain.selected) - official
    assert len(extra) == 1 and set(plain.selected) - extra == official
    (pid,) = extra
    assert plain.votes[pid] < 3000
