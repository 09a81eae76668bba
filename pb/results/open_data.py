"""The published results as open data: one row per project of every pot, as CSV and JSON.

They hold what the results pages show (no ballot, no voter): the pot, its budget and ballots
counted with their channels, and each project's title in every language, cost, votes, whether
it was funded and in which order. Amounts are whole euros. A title that a spreadsheet would
read as a formula (it starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) gets
a leading ``'`` in the CSV only; the JSON keeps every text as entered.
"""

from __future__ import annotations

import csv
import io
import json

from pb.models import Round, TallyRun
from pb.services import results as service
from pb.services.participation import participation

COLUMNS = (
    "round_id", "area_code", "area_name_fi", "area_name_sv", "area_name_en", "area_budget",
    "ballots_counted", "project_id", "title_fi", "title_sv", "title_en", "cost", "votes",
    "funded", "funded_order",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def rows(round_: Round, views: list[service.PotView]) -> list[dict]:
    """Every project of every pot (``service.pot_views`` of the published run): funded ones in
    order, then the others."""
    out = []
    for pot in views:
        area = pot.area
        for line in pot.funded + pot.unfunded:
            project = line.project
            out.append({
                "round_id": round_.id, "area_code": area.code, "area_name_fi": area.name_fi,
                "area_name_sv": area.name_sv, "area_name_en": area.name_en, "area_budget": pot.budget,
                "ballots_counted": pot.ballot_count, "project_id": project.id, "title_fi": project.title_fi,
                "title_sv": project.title_sv, "title_en": project.title_en, "cost": project.cost,
                "votes": line.votes, "funded": line.is_funded, "funded_order": line.rank,
            })
    return out


def as_json(round_: Round, run: TallyRun) -> str:
    """``{"round": {...}, "pots": [{area, budget, ballots, channels}], "projects": [rows]}``,
    keys sorted, UTF-8 text, one final newline."""
    taking = participation(round_)
    views = service.pot_views(run)
    pots = [
        {"area_code": pot.area.code, "area_budget": pot.budget, "ballots_counted": pot.ballot_count,
         "total_cost": pot.total_cost,
         "channels": dict(taking[pot.area.id].channels) if pot.area.id in taking else {}}
        for pot in views
    ]
    data = {
        "round": {"id": round_.id, "name_fi": round_.name_fi, "name_sv": round_.name_sv,
                  "name_en": round_.name_en, "rule": run.rule, "tie_break": run.tie_break,
                  "config_digest": run.config_digest},
        "pots": pots,
        "projects": rows(round_, views),
    }
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=1) + "\n"


def as_csv(round_: Round, run: TallyRun) -> str:
    """The rows as CSV (comma separated, a header line, ``funded`` as ``yes``/``no``)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in rows(round_, service.pot_views(run)):
        cells = {key: _cell(value) for key, value in row.items()}
        cells["funded"] = "yes" if row["funded"] else "no"
        writer.writerow(cells)
    return buffer.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    text = str(value)
    return "'" + text if isinstance(value, str) and text.startswith(_FORMULA_START) else text
