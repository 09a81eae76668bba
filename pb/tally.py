"""The one bridge between the database and the tallying core ``voting``.

Rows become ``voting`` values here and ``voting`` outcomes become rows here; nothing else in
``pb`` computes a tally. A pot (an area, or the round's citywide pot) is counted as its own
election, built from the configuration **frozen when voting opened** (budget, projects and
their costs, ballot format, rule, options and tie chain; see
:func:`pb.services.rounds.frozen_config`) and the pot's counted ballots. Project ids are the
database ids as text, costs whole euros.

The ballot format comes from :func:`pb.services.rounds.ballot_format`, the same function
that checks a ballot when it is cast; :func:`ballot_format` here is that function.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pb.models import Area, Round
from pb.services.rounds import ballot_format, frozen_config
from voting import Ballot as CoreBallot
from voting import BallotFormat, Election, Outcome, TieChain, VoteType
from voting import Project as CoreProject
from voting.export import pabulib_rule
from voting.rules import tally as core_tally

__all__ = ["PotTally", "ballot_format", "election_for_pot", "round_config", "tally_pot", "tally_round"]


def round_config(round_: Round) -> dict[str, Any]:
    """The round's frozen configuration (the stored canonical JSON once voting opened; the
    live one, computed the same way, before that)."""
    if round_.frozen_config_json:
        return json.loads(round_.frozen_config_json)
    return frozen_config(round_)


def _pot_config(config: Mapping[str, Any], area_id: int) -> Mapping[str, Any]:
    for pot in config["areas"]:
        if pot["id"] == str(area_id):
            return pot
    raise LookupError(f"area {area_id} is not a pot of round {config['round']}")


def _format(data: Mapping[str, Any]) -> BallotFormat:
    return BallotFormat(
        VoteType(data["vote_type"]),
        min_length=data.get("min_length"),
        max_length=data.get("max_length"),
        min_sum_cost=data.get("min_sum_cost"),
        max_sum_cost=data.get("max_sum_cost"),
    )


def _title(titles: Mapping[str, str | None]) -> str:
    return next((titles[lang] for lang in ("fi", "sv", "en") if titles.get(lang)), "")


def election_for_pot(round_: Round, area: Area | int, ballots: list[tuple[str, ...]] | None = None) -> Election:
    """The pot's election: frozen budget, projects (ballot order), format, and the counted
    ballots (content-sorted, voter ids ``1..n`` in that order, so the order of casting never
    shows). ``ballots`` overrides the stored ones (tests, previews of what-ifs)."""
    from pb.services.voting import counted_ballots

    area_id = area if isinstance(area, int) else area.id
    config = round_config(round_)
    pot = _pot_config(config, area_id)
    projects = {
        p["id"]: CoreProject(p["id"], int(p["cost"]), name=_title(p["title"]),
                             categories=(p["category"],) if p.get("category") else ())
        for p in pot["projects"]
    }
    rows = counted_ballots(round_.id, area_id) if ballots is None else sorted(tuple(sorted(b, key=int)) for b in ballots)
    core_ballots = [CoreBallot(str(i), tuple(choice)) for i, choice in enumerate(rows, 1)]
    meta = {
        "description": _title(pot["name"]),
        "country": "Finland",
        "unit": "Espoo",
        "instance": str(config["round"]),
        "subunit": pot["code"],
        "currency": "EUR",
        "language": "fi",
        **pabulib_rule(config["rule"], config["rule_options"]),
    }
    return Election(
        budget=int(pot["budget"]),
        projects=projects,
        ballots=core_ballots,
        format=_format(pot["ballot_format"]),
        meta=meta,
    )


def tally_options(round_: Round) -> tuple[str, dict[str, Any], str]:
    """The frozen rule, its options and the full tie chain."""
    config = round_config(round_)
    rule = config["rule"]
    return rule, dict(config["rule_options"]), str(TieChain.parse(config["tie_break"]))


@dataclass(frozen=True)
class PotTally:
    """One pot's count: the election counted and what the rule decided."""

    area_id: int
    election: Election
    outcome: Outcome

    @property
    def ballot_count(self) -> int:
        return len(self.election.ballots)


def tally_pot(round_: Round, area: Area | int) -> PotTally:
    """Count one pot with the frozen rule, options and tie chain."""
    area_id = area if isinstance(area, int) else area.id
    election = election_for_pot(round_, area_id)
    rule, options, chain = tally_options(round_)
    return PotTally(area_id, election, core_tally(election, rule, tie_break=chain, **options))


def tally_round(round_: Round) -> list[PotTally]:
    """Count every pot of the round (in the frozen configuration's order)."""
    return [tally_pot(round_, int(pot["id"])) for pot in round_config(round_)["areas"]]


def pb_tally_command(round_: Round) -> list[str]:
    """The ``pb-tally`` options that recount a pot's ``.pb`` file as the app counts it."""
    rule, options, chain = tally_options(round_)
    args = ["--rule", rule, "--tie-break", chain]
    flags = {"utility": "--utility", "completion": "--completion", "min_score": "--min-votes"}
    for name, value in sorted(options.items()):
        if name == "compare_greedy":
            if value:
                args.append("--compare-greedy")
        elif value is not None:
            args += [flags[name], str(value)]
    return args
