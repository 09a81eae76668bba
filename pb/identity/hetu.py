"""Finnish personal identity codes (henkilötunnus): read the birth date, keep nothing else.

Suomi.fi attests a person by their identity code. Eligibility needs only the birth date,
so an adapter calls :func:`birth_date_from_hetu` and drops the code at once: it is never
stored, logged or put into :class:`~pb.eligibility.Claims`.

>>> birth_date_from_hetu("010594Y9032")
datetime.date(1994, 5, 1)
"""

from __future__ import annotations

import re
from datetime import date

#: Century signs: '+' 1800s; '-' and U-Y 1900s; A-F 2000s (the extra signs are from 2023).
_CENTURY = {"+": 1800, **{sign: 1900 for sign in "-UVWXY"}, **{sign: 2000 for sign in "ABCDEF"}}
_CHECK = "0123456789ABCDEFHJKLMNPRSTUVWXY"
_FORMAT = re.compile(r"(\d{2})(\d{2})(\d{2})([-+A-FU-Y])(\d{3})([0-9A-Y])")


class HetuError(ValueError):
    """Not a valid personal identity code (the message never repeats the code)."""


def check_character(ddmmyy: str, individual: str) -> str:
    """The check character for a date part and individual number."""
    return _CHECK[int(ddmmyy + individual) % 31]


def birth_date_from_hetu(text: str) -> date:
    """The birth date encoded in a personal identity code, after checking its format and check character."""
    if not isinstance(text, str):
        raise HetuError("a personal identity code is text")
    match = _FORMAT.fullmatch(text.strip().upper())
    if not match:
        raise HetuError("not a personal identity code")
    day, month, year2, sign, individual, check = match.groups()
    if check_character(day + month + year2, individual) != check:
        raise HetuError("the personal identity code's check character does not match")
    try:
        return date(_CENTURY[sign] + int(year2), int(month), int(day))
    except ValueError:
        raise HetuError("the personal identity code holds an impossible date") from None
