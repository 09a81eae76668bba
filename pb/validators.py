"""Form validators shared by the blueprints: text that is safe to store and an email check.

Hostile input (control characters, bytes that were not UTF-8, absurd lengths) must end as a
form error, never as a database error: PostgreSQL refuses NUL characters outright.
"""

from __future__ import annotations

import re

from flask import current_app
from flask_babel import gettext
from wtforms.validators import ValidationError

#: Control characters except tab and newlines, and U+FFFD, which is what bytes that were not
#: valid UTF-8 become when the request is decoded.
_BAD_ONE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\ufffd\u2028\u2029]")
_BAD_MULTILINE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s.]+(\.[^@\s.]+)+")


class PlainText:
    """Refuses control characters and undecodable bytes (tab and newlines allowed when
    ``multiline``)."""

    def __init__(self, multiline: bool = False) -> None:
        self.pattern = _BAD_MULTILINE if multiline else _BAD_ONE_LINE

    def __call__(self, form, field) -> None:
        if isinstance(field.data, str) and self.pattern.search(field.data):
            raise ValidationError(gettext("Remove the control characters or invalid characters from this field."))


class EmailAddress:
    """A plausible address: one @, a dot in the domain, no spaces, at most 254 characters."""

    def __call__(self, form, field) -> None:
        value = (field.data or "").strip()
        if len(value) > 254 or not _EMAIL.fullmatch(value):
            raise ValidationError(gettext("Enter a valid email address."))


class PasswordStrength:
    """At least PASSWORD_MIN_LENGTH characters, and at most 1,000 (hashing cost)."""

    def __call__(self, form, field) -> None:
        value = field.data or ""
        minimum = current_app.config["PASSWORD_MIN_LENGTH"]
        if len(value) < minimum:
            raise ValidationError(gettext("Use at least %(count)d characters.", count=minimum))
        if len(value) > 1000:
            raise ValidationError(gettext("Use at most %(count)d characters.", count=1000))


def choice(value: str, label) -> object:
    """One option of a SelectField (WTForms 3.3 deprecates plain tuples)."""
    try:
        from wtforms.fields.choices import SelectChoice
    except ImportError:  # WTForms before 3.3
        return (value, label)
    return SelectChoice(value, label)
