"""Forms of the ballot pages. The project checkboxes are built per pot in the template and
read with ``request.form.getlist``; the forms here carry the CSRF token and the simple fields."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField
from wtforms.validators import DataRequired, Length


class CodeForm(FlaskForm):
    """A voting code typed by the voter."""

    code = StringField(_l("Voting code"), validators=[DataRequired(), Length(max=40)],
                       description=_l("The code on your slip, for example 7KX3-MPW9-2F."))
    submit = SubmitField(_l("Vote with this code"))


class BallotForm(FlaskForm):
    """The CSRF token of the ballot, review and cast forms (choices come as checkbox lists)."""


class AccountVoteForm(FlaskForm):
    submit = SubmitField(_l("Vote with my account"))
