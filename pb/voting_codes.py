"""Single-use voting codes for schools and service points.

A code is nine random characters and one check character from a 29-character alphabet with
no look-alikes (no 0, O, Q, 1, I, L, and no U beside V), printed in groups of four: ``7KX3-MPW9-2F``.

* **Entropy.** Each random character is drawn with :mod:`secrets` uniformly from 29 symbols,
  so a code carries ``9 * log2(29)`` ≈ 43.7 bits (:data:`CODE_BITS`): at least the 40 bits
  the round design asks for. An online guesser is stopped long before that matters by the
  per-address limit on failed tries (enforced by the view, not here).
* **Check character.** The last character makes ``sum(position * value) ≡ 0 (mod 29)``
  with positions 1..10. Because 29 is prime and every weight is below 29, any single
  changed character shifts the sum by ``weight * difference``, never a multiple of 29, and
  swapping any two different characters shifts it by ``(w_i - w_j) * (a - b)``, again never a
  multiple of 29: every single-character typo and every transposition (adjacent or not) is
  caught, so a mistyped code is reported as mistyped instead of costing a failed try.
* **Storage.** The database keeps only :func:`code_digest`, an HMAC-SHA256 under a server
  key that is *not* stored in the database (see its docstring for why).
* **Hand-out.** :func:`render_csv` and :func:`render_sheet` produce the CSV and the printable
  sheet once, at generation time; nothing can show a code again later.

>>> code = generate_code()
>>> len(code), code[4], code[9]
(12, '-', '-')
>>> parse_code(code.lower().replace("-", " ")) == canonical(code)
True
"""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import math
import secrets
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

#: The symbols: digits 2-9 and the letters that cannot be misread as one another
#: (0, O, Q, 1, I, L and U, which reads as V, are left out). 29 is prime, which the check character relies on.
ALPHABET = "23456789ABCDEFGHJKMNPRSTVWXYZ"
BASE = len(ALPHABET)
_VALUE = {symbol: index for index, symbol in enumerate(ALPHABET)}

#: Random characters in a voting code, and the bits of entropy they carry.
DATA_LENGTH = 9
CODE_BITS = DATA_LENGTH * math.log2(BASE)
#: Characters per printed group.
GROUP = 4
#: The most codes one batch may hold (a school's worth is a few hundred).
MAX_BATCH = 5000

#: Characters typed or pasted in place of an alphabet symbol. Letters outside the alphabet
#: that have one unambiguous reading are mapped to it; the check character still guards
#: against a wrong reading.
_LOOKALIKES = {
    "U": "V",
    # Cyrillic capitals that render like Latin ones (a Cyrillic keyboard layout).
    "А": "A", "В": "B", "С": "C", "Е": "E", "Н": "H", "К": "K", "М": "M", "Р": "P",
    "Т": "T", "Х": "X", "У": "Y", "З": "3",
    # Greek capitals.
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
}
#: Separators people type between groups: spaces, dashes of every kind, dots, underscores.
_SEPARATORS = frozenset(" \t\r\n-_.·‐‑‒–—―−\u00a0\u202f\u2009")
#: Longest input :func:`normalize` looks at; anything longer is not a code.
_MAX_INPUT = 200


class CodeProblem(StrEnum):
    """Why a typed code was refused; the view turns these into translated messages."""

    EMPTY = "empty"
    LENGTH = "length"
    CHARACTER = "character"
    CHECK = "check"


class CodeFormatError(ValueError):
    """A typed code is not well formed; ``problem`` says how (for the message shown)."""

    def __init__(self, problem: CodeProblem, message: str) -> None:
        super().__init__(message)
        self.problem = problem


def check_character(data: str) -> str:
    """The symbol that makes ``data + symbol`` pass :func:`checksum_ok`.

    >>> check_character("222222222")
    '2'
    """
    if len(data) + 1 >= BASE:
        raise ValueError(f"at most {BASE - 2} data characters fit under the check character")
    total = sum((index + 1) * _VALUE[symbol] for index, symbol in enumerate(data))
    weight = len(data) + 1
    # weight * c ≡ -total (mod BASE); BASE is prime, so the inverse exists.
    return ALPHABET[(-total * pow(weight, -1, BASE)) % BASE]


def checksum_ok(text: str) -> bool:
    """Whether a string of alphabet symbols has a weighted sum ≡ 0 (mod 29)."""
    if not text or len(text) >= BASE or any(symbol not in _VALUE for symbol in text):
        return False
    return sum((index + 1) * _VALUE[symbol] for index, symbol in enumerate(text)) % BASE == 0


def random_symbols(length: int) -> str:
    """``length`` symbols drawn uniformly with :mod:`secrets`."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def group(text: str, size: int = GROUP) -> str:
    """``text`` in dash-separated groups of ``size`` for reading aloud and typing.

    >>> group("ABCDEFGHJK")
    'ABCD-EFGH-JK'
    """
    return "-".join(text[i : i + size] for i in range(0, len(text), size))


def normalize(text: str) -> str:
    """Fold typed input to bare alphabet symbols: case, separators, width and look-alikes.

    Characters that are neither symbols nor separators are kept (upper-cased), so the
    parser can say which character is wrong.

    >>> normalize(" 7kx3 – mpw9_2f ")
    '7KX3MPW92F'
    >>> normalize("ＡＢｕ")
    'ABV'
    """
    if not isinstance(text, str):
        raise TypeError("a code is text")
    # NFKC turns full-width and other compatibility forms into plain ASCII letters and digits.
    folded = unicodedata.normalize("NFKC", text[:_MAX_INPUT]).upper()
    out = []
    for char in folded:
        if char in _SEPARATORS or char.isspace():
            continue
        out.append(_LOOKALIKES.get(char, char))
    return "".join(out)


def parse_symbols(text: str, length: int, what: str) -> str:
    """Fold ``text`` with :func:`normalize` and check it is ``length`` symbols passing the check.

    Shared by voting codes and receipts; ``what`` names the thing in error messages.
    """
    if not isinstance(text, str):
        raise CodeFormatError(CodeProblem.EMPTY, f"no {what} given")
    if len(text) > _MAX_INPUT:
        raise CodeFormatError(CodeProblem.LENGTH, f"a {what} has {length} characters")
    bare = normalize(text)
    if not bare:
        raise CodeFormatError(CodeProblem.EMPTY, f"no {what} given")
    bad = sorted({char for char in bare if char not in _VALUE})
    if bad:
        raise CodeFormatError(
            CodeProblem.CHARACTER,
            f"a {what} never contains {', '.join(repr(char) for char in bad)}",
        )
    if len(bare) != length:
        raise CodeFormatError(
            CodeProblem.LENGTH, f"a {what} has {length} characters, this has {len(bare)}"
        )
    if not checksum_ok(bare):
        raise CodeFormatError(CodeProblem.CHECK, f"this {what} has a typo")
    return bare


def parse_code(text: str) -> str:
    """The canonical (ungrouped) form of a typed voting code, or :class:`CodeFormatError`.

    A refusal here is a typing problem, not a failed guess: the view should show the
    message and need not count it against the address's tries.
    """
    return parse_symbols(text, DATA_LENGTH + 1, "voting code")


def is_valid(text: str) -> bool:
    """Whether ``text`` reads as a well-formed voting code (it may still be unknown)."""
    try:
        parse_code(text)
    except CodeFormatError:
        return False
    return True


def canonical(code: str) -> str:
    """The ungrouped form of a code this module printed (no typo folding beyond :func:`normalize`)."""
    return normalize(code)


def generate_code() -> str:
    """One new voting code, grouped for printing."""
    data = random_symbols(DATA_LENGTH)
    return group(data + check_character(data))


def code_digest(code: str, key: bytes) -> str:
    """The value stored and looked up for a code: hex HMAC-SHA256 under a server key.

    The key comes from the server's configuration or environment and is never written to
    the database. That is the point: a code has only about 44 bits, about 1.4 · 10^13
    possibilities. With a plain SHA-256 (or any fast unkeyed hash) in the database, whoever
    obtains a copy of it (a backup, a leaked dump, a curious administrator) could hash every
    possible code offline; one GPU computes on the order of 10^10 SHA-256 per second, so
    the whole space falls in well under an hour, and every unused code would be recovered
    and could be used to vote. A per-code salt or a slow hash only multiplies that work by a modest factor.
    Under HMAC with a key the copy does not contain, the digests are useless for guessing:
    every guess needs the key, and online guesses through the site are rate-limited.
    Losing the key makes the issued codes unusable, so it is backed up with the other
    secrets, not with the database.
    """
    if not isinstance(key, bytes | bytearray) or len(key) < 16:
        raise ValueError("the voting-code key must be at least 16 bytes")
    message = b"pb-voting-code-v1:" + parse_code(code).encode("ascii")
    return hmac.new(bytes(key), message, hashlib.sha256).hexdigest()


def key_from_config(value: str | bytes | None) -> bytes:
    """The code key from a config value (text of at least 32 characters, or bytes).

    Refuses a missing or short key with a clear message instead of weakening silently.
    """
    if value is None or value == "" or value == b"":
        raise ValueError("PB_VOTING_CODE_KEY is not set: generate one with "
                         "`python -c \"import secrets; print(secrets.token_urlsafe(32))\"`")
    raw = value.encode("utf-8") if isinstance(value, str) else bytes(value)
    if len(raw) < 32:
        raise ValueError("PB_VOTING_CODE_KEY must be at least 32 characters long")
    return raw


@dataclass(frozen=True)
class CodeBatch:
    """Codes generated together for one school, class or service point.

    ``label`` is what the printed sheet says the codes are for (e.g. "Kilonpuisto 8B").
    """

    label: str
    codes: tuple[str, ...]
    #: Free-form heading lines for the sheet (round name, where to vote).
    notes: tuple[str, ...] = field(default=())

    def digests(self, key: bytes) -> list[str]:
        """The stored form of every code, in the batch's order."""
        return [code_digest(code, key) for code in self.codes]


def generate_batch(count: int, label: str = "", notes: Sequence[str] = ()) -> CodeBatch:
    """``count`` distinct new codes (1..:data:`MAX_BATCH`) under one label.

    Distinct within the batch; across batches the database's unique constraint on the
    digest catches the (about 1 in 10^10 per pair) collision, and the caller retries.
    """
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_BATCH:
        raise ValueError(f"a batch holds 1 to {MAX_BATCH} codes")
    if not isinstance(label, str) or len(label) > 200:
        raise ValueError("a batch label is text of at most 200 characters")
    seen: set[str] = set()
    codes: list[str] = []
    while len(codes) < count:
        code = generate_code()
        if code not in seen:
            seen.add(code)
            codes.append(code)
    return CodeBatch(label=label, codes=tuple(codes), notes=tuple(notes))


#: Columns of the CSV, stable for spreadsheets and mail merges.
CSV_COLUMNS = ("number", "code", "label")


def _cell(value: str) -> str:
    # A spreadsheet would run a cell starting with these as a formula (CSV injection).
    if value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def render_csv(batch: CodeBatch) -> str:
    """The batch as CSV text (header, then one numbered row per code; CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for number, code in enumerate(batch.codes, start=1):
        writer.writerow((number, code, _cell(batch.label)))
    return buffer.getvalue()


def _no_store(response):
    # Codes are shown at generation time only: nothing may cache the download.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Pragma"] = "no-cache"
    return response


def _filename(batch: CodeBatch, extension: str) -> str:
    safe = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in batch.label)
    safe = "-".join(part for part in safe.split("-") if part)[:60] or "batch"
    return f"voting-codes-{safe}.{extension}"


def csv_response(batch: CodeBatch):
    """A Flask download response of :func:`render_csv`, marked not to be cached."""
    from flask import Response

    response = Response(render_csv(batch), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="{_filename(batch, "csv")}"'
    return _no_store(response)


def render_sheet(batch: CodeBatch, *, vote_url: str = "", round_name: str = "") -> str:
    """The printable HTML sheet (``admin/codes_sheet.html``) of a batch; needs an app context."""
    from flask import render_template

    return render_template(
        "admin/codes_sheet.html",
        batch=batch,
        numbered=list(enumerate(batch.codes, start=1)),
        vote_url=vote_url,
        round_name=round_name,
    )


def sheet_response(batch: CodeBatch, *, vote_url: str = "", round_name: str = ""):
    """A Flask response of :func:`render_sheet`, marked not to be cached."""
    from flask import make_response

    response = make_response(render_sheet(batch, vote_url=vote_url, round_name=round_name))
    return _no_store(response)

