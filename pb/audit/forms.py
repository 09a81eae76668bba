"""Forms of the audit pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class ReceiptForm(FlaskForm):
    """A receipt code typed by a voter (dashes, spaces and lower case are fine)."""

    receipt = StringField(_l("Receipt code"), validators=[DataRequired(), Length(max=60)],
                          description=_l("The code you were shown after voting, for example 7KX3-MPW9-2FRT-HN4C-8E."))
    submit = SubmitField(_l("Check"))
