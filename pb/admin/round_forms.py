"""Forms for administering rounds: settings, areas and phases."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from pb.labels import LABELS
from pb.models import BallotKind, Phase, RoundKind
from pb.validators import PlainText, choice
from voting.rules import RULES

DATE_FORMAT = "%Y-%m-%dT%H:%M"


def _date(label):
    return DateTimeLocalField(label, format=DATE_FORMAT, validators=[Optional()], description=_l("Helsinki time."))


class RoundForm(FlaskForm):
    name_fi = StringField(_l("Name (Finnish)"), validators=[DataRequired(), Length(max=200), PlainText()])
    name_sv = StringField(_l("Name (Swedish)"), validators=[Optional(), Length(max=200), PlainText()])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200), PlainText()])
    description_fi = TextAreaField(_l("Description (Finnish)"), validators=[Optional(), Length(max=5000), PlainText(multiline=True)])
    description_sv = TextAreaField(_l("Description (Swedish)"), validators=[Optional(), Length(max=5000), PlainText(multiline=True)])
    description_en = TextAreaField(_l("Description (English)"), validators=[Optional(), Length(max=5000), PlainText(multiline=True)])
    kind = SelectField(_l("Kind"), choices=[choice(k.value, LABELS[k]) for k in RoundKind])
    proposals_open_at = _date(_l("Proposals open"))
    proposals_close_at = _date(_l("Proposals close"))
    voting_opens_at = _date(_l("Voting opens"))
    voting_closes_at = _date(_l("Voting closes"))
    results_at = _date(_l("Results expected"))
    ballot_kind = SelectField(
        _l("Ballot format"),
        choices=[choice(BallotKind.APPROVAL.value, _l("Approval (choose projects)")),
                 choice(BallotKind.KNAPSACK.value, _l("Knapsack (projects within the budget)"))],
    )
    min_choices = IntegerField(_l("Minimum choices"), validators=[Optional(), NumberRange(0, 1000)], default=1)
    max_choices = IntegerField(_l("Maximum choices"), validators=[Optional(), NumberRange(1, 1000)])
    min_spend_percent = IntegerField(_l("Minimum share of the budget to spend (%)"), validators=[Optional(), NumberRange(0, 100)], default=0)
    rule = SelectField(_l("Tally rule"), choices=[choice(name, name) for name in RULES])
    rule_options = StringField(_l("Rule options (JSON)"), validators=[Optional(), Length(max=500), PlainText()], default="{}")
    tie_break = StringField(_l("Tie-break chain"), validators=[Optional(), Length(max=100), PlainText()],
                            description=_l("Keys: votes, cost, cost-desc, id, id-desc. Empty: the rule's default."))
    eligibility = TextAreaField(_l("Eligibility (JSON)"), validators=[Optional(), Length(max=4000), PlainText(multiline=True)])
    allow_replace = BooleanField(_l("Voters may replace their ballot until voting closes"))
    is_self_declared = BooleanField(_l("Email accounts may vote on their own declaration"))
    public_ballots = BooleanField(_l("Ballots are public after publication"))
    who_voted_retention_days = IntegerField(_l("Appeal period in days"), validators=[Optional(), NumberRange(0, 3650)], default=30)
    confirming_body = StringField(_l("Confirming body"), validators=[Optional(), Length(max=200), PlainText()])

    def values(self) -> dict:
        from pb.helsinki import from_helsinki

        data = {name: field.data for name, field in self._fields.items() if name not in ("csrf_token",)}
        for name in ("proposals_open_at", "proposals_close_at", "voting_opens_at", "voting_closes_at", "results_at"):
            data[name] = from_helsinki(data[name])
        for name, default in (("min_choices", 1), ("min_spend_percent", 0), ("who_voted_retention_days", 30)):
            if data[name] is None:
                data[name] = default
        if not (data.get("eligibility") or "").strip():
            data.pop("eligibility")
        data["rule_options"] = data.get("rule_options") or "{}"
        return data


class AreaForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40), PlainText()])
    name_fi = StringField(_l("Name (Finnish)"), validators=[DataRequired(), Length(max=200), PlainText()])
    name_sv = StringField(_l("Name (Swedish)"), validators=[Optional(), Length(max=200), PlainText()])
    name_en = StringField(_l("Name (English)"), validators=[Optional(), Length(max=200), PlainText()])
    budget = IntegerField(_l("Budget (euros)"), validators=[DataRequired(), NumberRange(0, 10**12)])
    is_citywide = BooleanField(_l("Citywide pot"))
    schools = TextAreaField(
        _l("Schools in this area"), validators=[Optional(), Length(max=20000), PlainText(multiline=True)],
        description=_l("Codes of the schools whose pupils vote in this area, as the school login gives "
                       "them, separated by commas or on their own lines. Leave empty if pupils choose."),
    )

    def values(self) -> dict:
        names = ("code", "name_fi", "name_sv", "name_en", "budget", "is_citywide", "schools")
        return {name: self._fields[name].data for name in names}


class PhaseForm(FlaskForm):
    phase = SelectField(_l("Next phase"), choices=[choice(p.value, LABELS[p]) for p in Phase])
