"""Voter receipts: a code shown once after casting, and the published list that proves inclusion.

A receipt is 17 random symbols and one check character from the voting-code alphabet
(:data:`pb.voting_codes.ALPHABET`, no look-alikes), printed in groups of four:
``7KX3-MPW9-2FRT-HN4C-8E``. The 17 symbols are drawn with :mod:`secrets` and carry
``17 * log2(29)`` ≈ 82.6 bits (:data:`RECEIPT_BITS`); the check character catches every
single-character typo and every transposition, as for voting codes.

What is stored and published is :func:`receipt_hash`, a plain (unkeyed) SHA-256 of the
canonical receipt. Unkeyed is deliberate and safe here: anyone holding a receipt must be
able to compute its hash to look it up in the published list without trusting the server,
and at 82 bits nobody can go the other way. Enumerating 2^82 candidates (about 5 · 10^24)
at 10^10 hashes per second takes some 10^7 years, so the list reveals no receipt.

The published list (:func:`receipt_list`, :func:`render_receipt_list`) holds the hashes of
the *counted* ballots only, sorted by hash and deduplicated: it carries no ballot id, no
position in casting order and nothing of the choices, so finding one's receipt in it proves
that one's ballot is among those counted without saying which exported ballot it is. It
does not prove that the counted ballot still holds the choices the voter made. Paper ballots
have no receipt: the audit bundle gives each pot's counted ballots per channel (online, code,
paper), and ``pb-audit`` checks the number of receipts against the online and code ballots.

>>> receipt = generate_receipt()
>>> len(receipt), parse_receipt(receipt.lower()) == receipt.replace("-", "")
(22, True)
>>> check_receipt(receipt, receipt_list([receipt])) is ReceiptStatus.COUNTED
True
"""

from __future__ import annotations

import bisect
import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum

from pb.voting_codes import (
    BASE,
    CodeFormatError,
    CodeProblem,
    parse_symbols,
    check_character,
    group,
    random_symbols,
)

#: Random symbols in a receipt, and the bits of entropy they carry.
RECEIPT_DATA_LENGTH = 17
RECEIPT_BITS = RECEIPT_DATA_LENGTH * math.log2(BASE)
#: Prefix of the hashed message, so a receipt hash can never equal another kind of hash.
HASH_PREFIX = b"pb-receipt-v1:"
_HEX64 = re.compile(r"[0-9a-f]{64}")

__all__ = [
    "RECEIPT_BITS",
    "ReceiptFormatError",
    "ReceiptStatus",
    "check_receipt",
    "generate_receipt",
    "parse_receipt",
    "parse_receipt_list",
    "receipt_hash",
    "receipt_list",
    "render_receipt_list",
]

#: A typed receipt that is not well formed (``problem`` says how); same class as for codes.
ReceiptFormatError = CodeFormatError


class ReceiptStatus(StrEnum):
    """The answer of the public "check my receipt" page."""

    COUNTED = "counted"
    NOT_COUNTED = "not-counted"
    MALFORMED = "malformed"


def generate_receipt() -> str:
    """A new receipt, grouped for display; show it once and store only its hash."""
    data = random_symbols(RECEIPT_DATA_LENGTH)
    return group(data + check_character(data))


def parse_receipt(text: str) -> str:
    """The canonical (ungrouped) form of a typed receipt, or :class:`ReceiptFormatError`."""
    return parse_symbols(text, RECEIPT_DATA_LENGTH + 1, "receipt")


def receipt_hash(receipt: str) -> str:
    """Hex SHA-256 of ``pb-receipt-v1:`` + the canonical receipt (what the list publishes).

    Anyone can recompute it: ``sha256(b"pb-receipt-v1:" + b"7KX3MPW92FRTHN4C8E")``.
    """
    return hashlib.sha256(HASH_PREFIX + parse_receipt(receipt).encode("ascii")).hexdigest()


def receipt_list(receipts_or_hashes: Iterable[str]) -> list[str]:
    """The published list: the hashes of the counted ballots' receipts, sorted, each once.

    Accepts receipts or their hashes (64 lower-case hex digits), so the round code can pass
    the stored hashes of its counted ballots directly. Sorting by hash is what makes the
    list independent of casting order and of ballot ids.
    """
    hashes = set()
    for item in receipts_or_hashes:
        if isinstance(item, str) and _HEX64.fullmatch(item):
            hashes.add(item)
        else:
            hashes.add(receipt_hash(item))
    return sorted(hashes)


def render_receipt_list(hashes: Iterable[str]) -> str:
    """The list as the audit bundle's text file: one hash per line, sorted, LF line ends."""
    ordered = receipt_list(hashes)
    return "".join(h + "\n" for h in ordered)


def parse_receipt_list(text: str) -> list[str]:
    """Read a published list back, refusing anything but sorted, distinct 64-hex lines."""
    lines = text.splitlines()
    for number, line in enumerate(lines, start=1):
        if not _HEX64.fullmatch(line):
            raise ValueError(f"line {number} of the receipt list is not a SHA-256 hex digest")
    if any(a >= b for a, b in zip(lines, lines[1:])):
        raise ValueError("the receipt list is not sorted with each hash once")
    return lines


def check_receipt(typed: str, published: Sequence[str]) -> ReceiptStatus:
    """Whether a typed receipt's ballot is in the count, given the sorted published list.

    A malformed receipt (typo caught by the check character, wrong length) is MALFORMED,
    so the page can ask the voter to look again rather than say "not counted".
    """
    try:
        digest = receipt_hash(typed)
    except ReceiptFormatError:
        return ReceiptStatus.MALFORMED
    index = bisect.bisect_left(published, digest)
    if index < len(published) and published[index] == digest:
        return ReceiptStatus.COUNTED
    return ReceiptStatus.NOT_COUNTED


def problem_of(typed: str) -> CodeProblem | None:
    """Why a typed receipt is malformed, or None if it is well formed."""
    try:
        parse_receipt(typed)
    except ReceiptFormatError as error:
        return error.problem
    return None
