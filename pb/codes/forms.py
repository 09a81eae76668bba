"""Forms for voting-code batches."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, SelectField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, NumberRange

from pb.voting_codes import MAX_BATCH


class BatchForm(FlaskForm):
    """A new batch: for whom (label), how many, and optionally the area the codes vote in."""

    label = StringField(_l("For (school, class or place)"), validators=[DataRequired(), Length(max=200)])
    count = IntegerField(_l("Number of codes"), validators=[DataRequired(), NumberRange(min=1, max=MAX_BATCH)])
    area = SelectField(_l("Area"), coerce=int, choices=[],
                       description=_l("The area the codes vote in; 'the voter chooses' leaves it open."))
    submit = SubmitField(_l("Generate codes"))


class VoidForm(FlaskForm):
    submit = SubmitField(_l("Void the unused codes"))
