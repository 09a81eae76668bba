"""Voting codes: entropy, alphabet, check character, normalisation, digests and hand-out."""

from __future__ import annotations

import doctest
import importlib
import csv
import hashlib
import io
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from pb import voting_codes as vc

REPO = Path(__file__).resolve().parents[2]
KEY = b"k" * 32
CODE_RE = re.compile(r"^[%s]{4}-[%s]{4}-[%s]{2}$" % ((vc.ALPHABET,) * 3))

data_strings = st.text(alphabet=vc.ALPHABET, min_size=vc.DATA_LENGTH, max_size=vc.DATA_LENGTH)


def _code(data: str) -> str:
    return data + vc.check_character(data)


def _is_prime(n: int) -> bool:
    return n > 1 and all(n % d for d in range(2, int(n**0.5) + 1))


# --- alphabet and entropy ---------------------------------------------------------------


def test_alphabet_has_no_look_alikes():
    """The alphabet holds none of 0/O/Q, 1/I/L, U and no symbol twice."""
    assert not set("0OQ1ILU") & set(vc.ALPHABET)
    assert len(set(vc.ALPHABET)) == len(vc.ALPHABET)
    assert all(ch.isascii() and (ch.isdigit() or ch.isupper()) for ch in vc.ALPHABET)


def test_base_is_prime_and_codes_fit_under_it():
    """The check arithmetic needs a prime base larger than the full code length."""
    assert _is_prime(vc.BASE)
    assert vc.DATA_LENGTH + 1 < vc.BASE


def test_codes_carry_at_least_40_bits():
    """Nine uniform symbols from the alphabet give at least 40 bits of entropy."""
    assert vc.BASE**vc.DATA_LENGTH >= 2**40
    assert vc.CODE_BITS >= 40


def test_generated_codes_have_the_printed_format_and_pass_the_check():
    """A new code is grouped ABCD-EFGH-JK from the alphabet and parses back to itself."""
    for _ in range(200):
        code = vc.generate_code()
        assert CODE_RE.match(code), code
        assert vc.parse_code(code) == code.replace("-", "")


def test_generated_symbols_are_spread_over_the_whole_alphabet():
    """Every symbol turns up in every data position at a plausible rate (no stuck source)."""
    counts = Counter()
    per_position = [Counter() for _ in range(vc.DATA_LENGTH)]
    n = 2000
    for _ in range(n):
        data = vc.generate_code().replace("-", "")[: vc.DATA_LENGTH]
        counts.update(data)
        for position, symbol in enumerate(data):
            per_position[position][symbol] += 1
    expected = n * vc.DATA_LENGTH / vc.BASE  # about 620, sd about 25
    assert set(counts) == set(vc.ALPHABET)
    assert all(expected * 0.7 < counts[s] < expected * 1.3 for s in vc.ALPHABET), counts
    assert all(len(c) >= vc.BASE - 3 for c in per_position)


# --- check character: exhaustive over every error pattern -------------------------------


def _valid_with(fixed: dict[int, str]) -> str:
    """A valid code with the given symbols at the given positions (check position 9 too)."""
    data = ["2"] * vc.DATA_LENGTH
    for position, symbol in fixed.items():
        if position < vc.DATA_LENGTH:
            data[position] = symbol
    want_check = fixed.get(vc.DATA_LENGTH)
    if want_check is None:
        return _code("".join(data))
    free = next(p for p in range(vc.DATA_LENGTH) if p not in fixed)
    for symbol in vc.ALPHABET:  # the check is a bijection of any one data symbol
        data[free] = symbol
        code = _code("".join(data))
        if code[-1] == want_check:
            return code
    raise AssertionError("no data symbol gives the wanted check character")


def test_every_single_substitution_is_caught_exhaustively():
    """For every position and every ordered pair of symbols, changing one into the other fails."""
    length = vc.DATA_LENGTH + 1
    tried = 0
    for position in range(length):
        for a in vc.ALPHABET:
            code = _valid_with({position: a})
            assert vc.checksum_ok(code)
            for b in vc.ALPHABET:
                if b == a:
                    continue
                typo = code[:position] + b + code[position + 1 :]
                assert not vc.checksum_ok(typo), (code, typo)
                tried += 1
    assert tried == length * vc.BASE * (vc.BASE - 1)


def test_every_adjacent_transposition_is_caught_exhaustively():
    """For every adjacent pair of positions and every two different symbols, swapping them fails."""
    length = vc.DATA_LENGTH + 1
    for position in range(length - 1):
        for a in vc.ALPHABET:
            for b in vc.ALPHABET:
                if a == b:
                    continue
                code = _valid_with({position: a, position + 1: b})
                assert code[position : position + 2] == a + b
                swapped = code[:position] + b + a + code[position + 2 :]
                assert not vc.checksum_ok(swapped), (code, swapped)


@given(data_strings)
def test_any_code_rejects_all_its_single_typos_and_transpositions(data):
    """On any code, every one-symbol change and every swap of two different symbols is refused."""
    code = _code(data)
    assert vc.checksum_ok(code)
    for i in range(len(code)):
        for b in vc.ALPHABET:
            if b != code[i]:
                assert not vc.checksum_ok(code[:i] + b + code[i + 1 :])
        for j in range(i + 1, len(code)):
            if code[i] != code[j]:
                swapped = list(code)
                swapped[i], swapped[j] = swapped[j], swapped[i]
                assert not vc.checksum_ok("".join(swapped))


def test_parse_code_reports_a_typo_as_a_check_problem():
    """A code with one symbol changed is refused with the CHECK problem, not as unknown."""
    code = vc.generate_code()
    first = code[0]
    other = vc.ALPHABET[(vc.ALPHABET.index(first) + 1) % vc.BASE]
    with pytest.raises(vc.CodeFormatError) as error:
        vc.parse_code(other + code[1:])
    assert error.value.problem is vc.CodeProblem.CHECK


# --- normalisation and parsing ---------------------------------------------------------


@given(data_strings, st.data())
def test_case_separators_and_width_do_not_matter(data, draw):
    """Any mix of case, spaces, dashes and full-width forms parses to the same code."""
    code = _code(data)
    pieces = []
    for symbol in code:
        style = draw.draw(st.sampled_from(["plain", "lower", "wide"]))
        if style == "lower":
            symbol = symbol.lower()
        elif style == "wide":
            symbol = chr(ord(symbol) - 0x21 + 0xFF01)
        pieces.append(symbol)
        pieces.append(draw.draw(st.sampled_from(["", "", " ", "-", "–", "\u00a0", "_"])))
    typed = "".join(pieces)
    assert vc.parse_code(typed) == code


def test_look_alike_letters_are_folded():
    """U reads as V and Cyrillic or Greek capitals read as the Latin ones they look like."""
    assert vc.normalize("u") == "V"
    assert vc.normalize("АВСЕНКМРТХ") == "ABCEHKMPTX"  # Cyrillic
    assert vc.normalize("ΑΒΕΖΗΚΜΝΡΤΥΧ") == "ABEZHKMNPTYX"  # Greek
    code = None
    while code is None or "V" not in code:
        code = vc.generate_code()
    assert vc.parse_code(code.replace("V", "u")) == code.replace("-", "")


@pytest.mark.parametrize(
    ("typed", "problem"),
    [
        ("", vc.CodeProblem.EMPTY),
        (" - - ", vc.CodeProblem.EMPTY),
        ("ABCD-EFGH", vc.CodeProblem.LENGTH),
        ("ABCD-EFGH-JKM", vc.CodeProblem.LENGTH),
        ("ABCD-EFGH-J0", vc.CodeProblem.CHARACTER),
        ("ABCD-EFGH-JO", vc.CodeProblem.CHARACTER),
        ("1BCD-EFGH-JK", vc.CodeProblem.CHARACTER),
        ("ABCD-EFGH-J!", vc.CodeProblem.CHARACTER),
        ("x" * 1000, vc.CodeProblem.LENGTH),
    ],
)
def test_malformed_input_gets_a_named_problem(typed, problem):
    """Empty, short, long and foreign-character inputs are refused with the matching problem."""
    with pytest.raises(vc.CodeFormatError) as error:
        vc.parse_code(typed)
    assert error.value.problem is problem
    assert not vc.is_valid(typed)


@given(st.text(max_size=60))
def test_arbitrary_text_never_crashes_the_parser(text):
    """Any text either parses to a valid canonical code or raises CodeFormatError."""
    try:
        parsed = vc.parse_code(text)
    except vc.CodeFormatError as error:
        assert str(error)
    else:
        assert vc.checksum_ok(parsed) and len(parsed) == vc.DATA_LENGTH + 1


# --- digests ------------------------------------------------------------------------------


def test_digest_is_keyed_and_ignores_typing_style():
    """The digest depends on the key, not on how the code was typed, and is not a plain hash."""
    code = vc.generate_code()
    digest = vc.code_digest(code, KEY)
    assert digest == vc.code_digest(code.lower().replace("-", " "), KEY)
    assert digest != vc.code_digest(code, b"j" * 32)
    bare = code.replace("-", "").encode()
    assert digest not in {hashlib.sha256(bare).hexdigest(), hashlib.sha256(code.encode()).hexdigest()}
    assert re.fullmatch(r"[0-9a-f]{64}", digest)


def test_different_codes_have_different_digests():
    """A batch's digests are pairwise distinct, as its codes are."""
    batch = vc.generate_batch(300)
    assert len(set(batch.digests(KEY))) == 300


def test_digest_refuses_short_keys_and_malformed_codes():
    """A key under 16 bytes or a mistyped code is refused rather than digested."""
    code = vc.generate_code()
    with pytest.raises(ValueError):
        vc.code_digest(code, b"short")
    with pytest.raises(vc.CodeFormatError):
        vc.code_digest(code[:-1], KEY)


def test_key_from_config_refuses_missing_or_short_values():
    """The configured key must be present and at least 32 characters."""
    with pytest.raises(ValueError, match="not set"):
        vc.key_from_config(None)
    with pytest.raises(ValueError, match="32"):
        vc.key_from_config("too-short")
    assert vc.key_from_config("x" * 40) == b"x" * 40


# --- batches and CSV ------------------------------------------------------------------------


def test_batch_has_the_requested_number_of_distinct_codes():
    """generate_batch returns exactly ``count`` distinct valid codes with its label."""
    batch = vc.generate_batch(250, label="Kilonpuisto 8B")
    assert len(batch.codes) == 250 == len(set(batch.codes))
    assert all(vc.is_valid(code) for code in batch.codes)
    assert batch.label == "Kilonpuisto 8B"


@pytest.mark.parametrize("count", [0, -1, vc.MAX_BATCH + 1, True, 2.0])
def test_batch_size_out_of_range_is_refused(count):
    """Zero, negative, oversized and non-integer batch sizes raise ValueError."""
    with pytest.raises(ValueError):
        vc.generate_batch(count)


def test_csv_lists_every_code_once_in_order():
    """The CSV has the header and one numbered row per code, which read back unchanged."""
    batch = vc.generate_batch(20, label="Olari, 9A")
    rows = list(csv.reader(io.StringIO(vc.render_csv(batch))))
    assert rows[0] == list(vc.CSV_COLUMNS)
    assert [row[1] for row in rows[1:]] == list(batch.codes)
    assert [int(row[0]) for row in rows[1:]] == list(range(1, 21))
    assert {row[2] for row in rows[1:]} == {"Olari, 9A"}


@pytest.mark.parametrize("label", ["=HYPERLINK(\"http://x\")", "+1", "-2", "@SUM(A1)"])
def test_csv_defuses_formula_labels(label):
    """A label a spreadsheet would run as a formula is written with a leading quote."""
    batch = vc.generate_batch(1, label=label)
    row = list(csv.reader(io.StringIO(vc.render_csv(batch))))[1]
    assert row[2] == "'" + label


# --- printable sheet and downloads -------------------------------------------------------


@pytest.fixture
def app():
    """A minimal app with the real templates and languages (not the full create_app)."""
    from pb import i18n

    app = Flask("pb", template_folder=str(REPO / "templates"))
    app.config.update(SECRET_KEY="test", TESTING=True, PB_COMPILE_TRANSLATIONS=False)
    i18n.init_app(app)
    batch_holder = {}

    @app.get("/sheet")
    def sheet():
        """Serve a fresh sheet."""
        batch_holder["batch"] = vc.generate_batch(12, label="Tapiola 7C")
        return vc.sheet_response(batch_holder["batch"], vote_url="https://pb.example/vote", round_name="ManiMiitti")

    @app.get("/csv")
    def download():
        """Serve a fresh CSV."""
        batch_holder["batch"] = vc.generate_batch(5, label="Tapiola 7C")
        return vc.csv_response(batch_holder["batch"])

    app.batch_holder = batch_holder
    return app


class _Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.in_main = 0
        self.text: list[str] = []
        self.inline = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _ in attrs}
        if tag == "script" or "style" in names or tag == "style" or any(n.startswith("on") for n in names):
            self.inline.append((tag, attrs))
        if tag == "main":
            self.in_main += 1

    def handle_endtag(self, tag):
        if tag == "main":
            self.in_main -= 1

    def handle_data(self, data):
        if self.in_main and data.strip():
            self.text.append(data.strip())


def test_sheet_shows_every_code_once_and_is_not_cached(app):
    """The sheet lists each code of the batch, in the base layout, with Cache-Control no-store."""
    response = app.test_client().get("/sheet")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    batch = app.batch_holder["batch"]
    assert all(html.count(code) == 1 for code in batch.codes)
    assert 'class="skip-link"' in html  # extends base.html
    assert "no-store" in response.headers["Cache-Control"]


def test_sheet_has_no_inline_scripts_or_styles(app):
    """Nothing in the sheet needs 'unsafe-inline': no script, style element or attribute."""
    parser = _Text()
    parser.feed(app.test_client().get("/sheet").get_data(as_text=True))
    assert parser.inline == []


def test_every_visible_string_on_the_sheet_is_translatable(app):
    """With gettext marking its output, every text in main is marked or is batch data."""
    marked = lambda s, **kw: "⟦" + (s % kw if kw else s) + "⟧"  # noqa: E731
    app.jinja_env.globals.update(_=marked, gettext=marked)
    app.jinja_env.globals["ngettext"] = lambda s, p, n, **kw: "⟦" + ((s if n == 1 else p) % dict(kw, num=n)) + "⟧"
    parser = _Text()
    parser.feed(app.test_client().get("/sheet").get_data(as_text=True))
    batch = app.batch_holder["batch"]
    data = set(batch.codes) | {batch.label, "ManiMiitti", ":", "·"}
    leftovers = []
    for text in parser.text:
        rest = re.sub(r"⟦[^⟧]*⟧", "", text)
        for item in sorted(data, key=len, reverse=True):
            rest = rest.replace(item, "")
        if rest.strip(" :·"):
            leftovers.append(text)
    assert leftovers == []


def test_csv_download_is_an_attachment_and_not_cached(app):
    """The CSV comes as a named attachment, marked no-store, with the batch's codes."""
    response = app.test_client().get("/csv")
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"] == 'attachment; filename="voting-codes-Tapiola-7C.csv"'
    assert "no-store" in response.headers["Cache-Control"]
    body = response.get_data(as_text=True)
    assert all(code in body for code in app.batch_holder["batch"].codes)


@pytest.mark.parametrize("module", ['pb.voting_codes'])
def test_docstring_examples_run_as_written(module):
    """The module's doctest examples pass (pb/ is not in pytest's doctest paths)."""
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
