"""The test provider's form: pick a test person, or type the claims to attest."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp, ValidationError


class TestPersonForm(FlaskForm):
    """Who the test provider should say the voter is."""

    __test__ = False  # not a pytest test class

    person = RadioField(_l("Test person"), validators=[DataRequired()])
    birth_date = DateField(_l("Date of birth"), validators=[Optional()])
    municipality = StringField(
        _l("Home municipality code"),
        validators=[Optional(), Regexp(r"^\d{3}$", message=_l("Three digits, e.g. 049 for Espoo."))],
    )
    area = StringField(_l("Home area"), validators=[Optional(), Length(max=40)])
    school = StringField(_l("School"), validators=[Optional(), Length(max=100)])
    grade = IntegerField(_l("Grade"), validators=[Optional(), NumberRange(min=0, max=13)])
    submit = SubmitField(_l("Identify as this person"))

    def __init__(self, people: Sequence, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.person.choices = [(p.key, p.description) for p in people] + [
            ("custom", _l("Someone else: use the details below"))
        ]

    def validate_birth_date(self, field) -> None:
        if self.person.data == "custom" and field.data is None and self.grade.data is None:
            raise ValidationError(_l("Give at least a date of birth or a grade."))
