"""Forms of the account pages."""

from __future__ import annotations

from datetime import date

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, InputRequired, Length, NumberRange, Optional

from pb.validators import EmailAddress, PasswordStrength, PlainText, choice

LANGUAGE_CHOICES = [choice("", _l("Browser's language")), choice("fi", "suomi"), choice("sv", "svenska"), choice("en", "English")]


class LoginForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254), PlainText(), EmailAddress()])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000), PlainText()])


class RegisterForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254), PlainText(), EmailAddress()])
    password = PasswordField(_l("Password"), validators=[InputRequired(), PlainText(), PasswordStrength()])
    password_confirm = PasswordField(
        _l("Password again"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class RequestResetForm(FlaskForm):
    email = StringField(_l("Email"), validators=[DataRequired(), Length(max=254), PlainText(), EmailAddress()])


class ResetPasswordForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[InputRequired(), PlainText(), PasswordStrength()])
    password_confirm = PasswordField(
        _l("New password again"),
        validators=[InputRequired(), EqualTo("password", message=_l("The passwords do not match."))],
    )


class ActionForm(FlaskForm):
    """A button only (logout, resend verification): carries the CSRF token."""


class ProfileForm(FlaskForm):
    year_of_birth = IntegerField(
        _l("Year of birth"),
        validators=[Optional(), NumberRange(min=1900, max=date.today().year)],
        description=_l("Used only to check age limits of rounds."),
    )
    home_area = SelectField(_l("Home area"), validators=[Optional()], choices=[])
    school = StringField(
        _l("School"), validators=[Optional(), Length(max=120), PlainText()],
        description=_l("For youth rounds only."),
    )
    grade = IntegerField(
        _l("Grade"), validators=[Optional(), NumberRange(min=1, max=13)],
        description=_l("For youth rounds only."),
    )
    preferred_language = SelectField(_l("Language"), validators=[Optional()], choices=LANGUAGE_CHOICES)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.home_area.choices = [choice("", _l("Not given"))] + [
            choice(code, name) for code, name, *_ in current_app.config["HOME_AREAS"]
        ]
