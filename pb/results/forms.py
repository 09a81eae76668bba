"""Forms of the results pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from pb.validators import PlainText, choice


class ActionForm(FlaskForm):
    """A button that changes something (count, publish): only the CSRF token."""


class ConfirmationForm(FlaskForm):
    body = StringField(_l("Confirming body"), validators=[DataRequired(), Length(max=200), PlainText()])
    confirmed_by = StringField(_l("Confirmed by (name and role)"), validators=[DataRequired(), Length(max=200), PlainText()])
    decision_reference = StringField(_l("Decision reference"), validators=[DataRequired(), Length(max=200), PlainText()])


class FollowUpForm(FlaskForm):
    """One form per funded project on a page (``prefix=f"p{project.id}"``); the page's
    CSRF token is checked by CSRFProtect for every POST."""

    class Meta:
        csrf = False

    status = SelectField(_l("Status"), validators=[DataRequired()], choices=[
        choice("planned", _l("Planned")), choice("in-progress", _l("In progress")), choice("done", _l("Done"))])
    note_fi = TextAreaField(_l("Note (Finnish)"), validators=[Optional(), Length(max=5000)])
    note_sv = TextAreaField(_l("Note (Swedish)"), validators=[Optional(), Length(max=5000)])
    note_en = TextAreaField(_l("Note (English)"), validators=[Optional(), Length(max=5000)])
