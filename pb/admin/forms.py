"""Forms of the administration pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from pb.labels import LABELS
from pb.models import Role
from pb.validators import PlainText, choice

ROLE_LABELS = {role: LABELS[role] for role in Role}


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField(_l("Email contains"), validators=[Optional(), Length(max=254), PlainText()])


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"), validators=[DataRequired()], choices=[choice(role.value, label) for role, label in ROLE_LABELS.items()]
    )
