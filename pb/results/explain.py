"""The rule and its tie decisions in plain language (Finnish, Swedish, English)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

#: What each tie-break key prefers.
TIE_KEYS = {
    "votes": _l("more votes"),
    "cost": _l("the lower cost"),
    "cost-desc": _l("the higher cost"),
    "id": _l("the lower project number"),
    "id-desc": _l("the higher project number"),
}


#: Each rule's name in words, for the round page before the count.
RULE_NAMES = {
    "greedy": _l("most votes first, as long as the budget lasts"),
    "mes": _l("the method of equal shares"),
    "phragmen": _l("Phragmén's method"),
    "max-welfare": _l("the combination that gives the voters the most of what they chose"),
}


def rule_explanation(rule: str, options: Mapping[str, Any]) -> list:
    """Sentences that explain how ``rule`` with ``options`` chose the funded projects."""
    if rule == "greedy":
        text = [_l("Projects were funded in order of their votes, most votes first. A project that no "
                   "longer fitted in the remaining budget was skipped, and the next one was considered.")]
        if options.get("min_score") is not None:
            text.append(_l("A project needed at least %(votes)s votes to be funded.", votes=options["min_score"]))
        return text
    if rule == "mes":
        text = [_l("The budget was shared equally among the voters (the method of equal shares). A project "
                   "was funded when the voters who chose it could pay its cost from their shares, with the "
                   "cost spread among them as evenly as possible; projects that asked least of each of their "
                   "voters came first.")]
        completion = options.get("completion", "none")
        if completion in ("add1", "add1u"):
            text.append(_l("Because equal shares rarely spends the whole budget, every voter's share was raised "
                           "step by step, and the count repeated, as long as the funded projects still fitted in "
                           "the real budget."))
        if options.get("compare_greedy"):
            text.append(_l("Finally, the result was compared with funding projects in order of votes; that "
                           "result would have been kept if more voters had preferred it."))
        return text
    if rule == "phragmen":
        return [_l("Funding was spread over the voters as evenly as possible (Phragmén's method): at each step "
                   "the project was funded whose cost, shared among its voters, kept the largest load on any "
                   "single voter smallest, as long as it fitted in the budget.")]
    if rule == "max-welfare":
        return [_l("The projects were chosen that together, within the budget, gave the voters the most of "
                   "what they had chosen.")]
    return [_l("Projects were funded with the rule %(rule)s.", rule=rule)]


def tie_sentence(tie: Mapping[str, Any], titles: Mapping[str, str]) -> str:
    """One tie decision: who was tied, which rule of the chain decided, who was chosen."""
    names = ", ".join(titles.get(pid, pid) for pid in tie.get("tied", []))
    context = tie.get("context", "")
    step = re.fullmatch(r"[a-z-]+ step (\d+)", context)
    if step:  # the rules name the step as "<rule> step <n>"
        context = str(_l("Step %(step)s", step=step.group(1)))
    return str(_l("%(context)s: %(projects)s were tied; %(key)s decided, and %(chosen)s was chosen.",
                  context=context, projects=names,
                  key=TIE_KEYS.get(tie.get("decided_by", ""), tie.get("decided_by", "")),
                  chosen=titles.get(tie.get("chosen", ""), tie.get("chosen", ""))))


def chain_explanation(chain: str) -> str:
    """The tie chain in words: 'the lower cost, then the lower project number'."""
    return str(_l(", then ")).join(str(TIE_KEYS.get(key, key)) for key in chain.split(",") if key)


#: Follow-up statuses as the pages show them.
STATUS_LABELS = {
    "planned": _l("Planned"),
    "in-progress": _l("In progress"),
    "done": _l("Done"),
}
