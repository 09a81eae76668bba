"""Forms for proposals."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import Length, NumberRange, Optional

from pb.validators import PlainText, choice

CATEGORY_LABELS = {
    "parks-nature": _l("Parks and nature"),
    "sports-exercise": _l("Sports and exercise"),
    "culture-events": _l("Culture and events"),
    "learning": _l("Learning"),
    "wellbeing": _l("Wellbeing"),
    "streets-traffic": _l("Streets and traffic"),
    "other": _l("Other"),
}


class ProposalForm(FlaskForm):
    title_fi = StringField(_l("Title in Finnish"), validators=[Optional(), Length(max=200), PlainText()])
    title_sv = StringField(_l("Title in Swedish"), validators=[Optional(), Length(max=200), PlainText()])
    title_en = StringField(_l("Title in English"), validators=[Optional(), Length(max=200), PlainText()])
    description_fi = TextAreaField(_l("Description in Finnish"), validators=[Optional(), Length(max=5000), PlainText(multiline=True)])
    description_sv = TextAreaField(_l("Description in Swedish"), validators=[Optional(), Length(max=5000), PlainText(multiline=True)])
    description_en = TextAreaField(_l("Description in English"), validators=[Optional(), Length(max=5000), PlainText(multiline=True)])
    area_id = SelectField(_l("Area"), choices=[])
    cost = IntegerField(_l("Rough cost (euros)"), validators=[Optional(), NumberRange(0, 10**12)])
    category = SelectField(_l("Category"), choices=[choice("", _l("(none)"))] + [choice(k, v) for k, v in CATEGORY_LABELS.items()])
    place = StringField(_l("Place (optional)"), validators=[Optional(), Length(max=200), PlainText()])

    def values(self) -> dict:
        return {name: field.data for name, field in self._fields.items() if name != "csrf_token"}


class ProposalFilterForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    area = SelectField(_l("Area"), choices=[], validators=[Optional()])
    category = SelectField(_l("Category"), choices=[choice("", _l("All"))] + [choice(k, v) for k, v in CATEGORY_LABELS.items()], validators=[Optional()])
    status = SelectField(_l("Status"), choices=[], validators=[Optional()])
    q = StringField(_l("Search"), validators=[Optional(), Length(max=100), PlainText()])
