"""Exact money and points: integers and fractions parsed from decimal text, never floats."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Union

Amount = Union[int, Fraction]

_DECIMAL = re.compile(r"^[+-]?(\d+)(?:\.(\d*))?$|^[+-]?\.(\d+)$")


#: The most digits an amount may have. Real budgets, costs and points have a dozen or so; a
#: longer number is a broken file (and Python refuses to read integers past 4,300 digits).
MAX_DIGITS = 100


class AmountError(ValueError):
    """A text that is not an exact decimal amount; ``reason`` says why, after the text."""

    def __init__(self, message: str, reason: str = "is not a decimal number"):
        super().__init__(message)
        self.reason = reason


def shown(text: str, limit: int = 40) -> str:
    """*text* quoted for a message, cut short when it is longer than *limit* characters.

    >>> shown("12"), shown("7" * 5000)
    ("'12'", "'77777777777777777777'… (5000 characters)")
    """
    if len(text) <= limit:
        return repr(text)
    return f"{text[: limit // 2]!r}… ({len(text)} characters)"


def normalize(value: Amount) -> Amount:
    """Return an int when *value* is whole, else the Fraction itself.

    >>> normalize(Fraction(10, 2)), normalize(Fraction(1, 3))
    (5, Fraction(1, 3))
    """
    if isinstance(value, Fraction):
        return value.numerator if value.denominator == 1 else value
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"not an exact amount: {value!r}")
    return value


def parse_amount(text: str) -> Amount:
    """Parse decimal text exactly (``"75000.0"`` -> 75000, ``"0.1"`` -> 1/10).

    A decimal comma is not accepted here; callers decide whether to repair it.

    >>> parse_amount("1920218.79")
    Fraction(192021879, 100)
    >>> parse_amount(" 400000.0 ")
    400000
    """
    s = text.strip()
    if not _DECIMAL.match(s):
        raise AmountError(f"not a decimal number: {shown(text)}")
    digits = sum(map(str.isdigit, s)) if len(s) > MAX_DIGITS else 0
    if digits > MAX_DIGITS:
        reason = f"has {digits} digits (at most {MAX_DIGITS} are read)"
        raise AmountError(f"{shown(text)} {reason}", reason)
    return normalize(Fraction(s))


def format_amount(value: Amount) -> str:
    """Write an amount as exact text: whole numbers plainly, terminating decimals as decimals,
    anything else as ``numerator/denominator``.

    >>> format_amount(5), format_amount(Fraction(192021879, 100)), format_amount(Fraction(1, 3))
    ('5', '1920218.79', '1/3')
    """
    value = normalize(value)
    if isinstance(value, int):
        return str(value)
    den = value.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{value.numerator}/{value.denominator}"
    digits = max(twos, fives)
    scaled = value * 10**digits
    assert scaled.denominator == 1
    n = scaled.numerator
    sign = "-" if n < 0 else ""
    n = abs(n)
    whole, frac = divmod(n, 10**digits)
    return f"{sign}{whole}.{frac:0{digits}d}"


def json_amount(value: Amount) -> int | str:
    """The canonical JSON form of an amount: an int when whole, else its exact text."""
    value = normalize(value)
    return value if isinstance(value, int) else format_amount(value)


class Ratio:
    """An exact ratio ``num/den`` (``den > 0``) for the rules' inner loops.

    It is compared by cross-multiplication and never reduced, so a comparison costs two
    integer products (a :class:`~fractions.Fraction` reduces by the gcd at every operation
    and checks types through the ``numbers`` ABCs). It compares only with another Ratio;
    anything else raises, so it cannot be mixed up with a Fraction by accident.

    >>> Ratio(1, 3) < Ratio(2, 5), Ratio(2, 4) == Ratio(1, 2), Ratio(2, 4).as_fraction()
    (True, True, Fraction(1, 2))
    """

    __slots__ = ("num", "den")

    def __init__(self, num: int, den: int):
        self.num = num
        self.den = den

    def __lt__(self, other: "Ratio") -> bool:
        return self.num * other.den < other.num * self.den

    def __le__(self, other: "Ratio") -> bool:
        return self.num * other.den <= other.num * self.den

    def __gt__(self, other: "Ratio") -> bool:
        return self.num * other.den > other.num * self.den

    def __ge__(self, other: "Ratio") -> bool:
        return self.num * other.den >= other.num * self.den

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Ratio):
            raise TypeError(f"a Ratio compares only with a Ratio, not {type(other).__name__}")
        return self.num * other.den == other.num * self.den

    __hash__ = None  # type: ignore[assignment]

    def as_fraction(self) -> Fraction:
        return Fraction(self.num, self.den)

    def floor_key(self) -> int:
        """The ratio rounded down to 64 binary places, as an int: a cheap heap key. It is
        monotone, so every ratio at most ``v`` has a key at most ``v.floor_key()``.

        >>> Ratio(1, 3).floor_key() == (1 << 64) // 3, Ratio(1, 3).floor_key() <= Ratio(2, 5).floor_key()
        (True, True)
        """
        return (self.num << 64) // self.den

    def __repr__(self) -> str:
        return f"Ratio({self.num}, {self.den})"
