"""Forms for paper ballot entry (the project checkboxes are built in the template)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class PaperEntryForm(FlaskForm):
    """One paper ballot: its printed serial (the area and choices come as form lists)."""

    serial = StringField(_l("Serial printed on the ballot"), validators=[DataRequired(), Length(max=40)])
    submit = SubmitField(_l("Save this paper ballot"))


class CheckInForm(FlaskForm):
    submit = SubmitField(_l("Record as voted in person"))
