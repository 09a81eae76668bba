"""Receipts: entropy, format, typo detection, published hash list and the check page's answer."""

from __future__ import annotations

import doctest
import importlib
import hashlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pb import receipts as rc
from pb import voting_codes as vc

RECEIPT_RE = re.compile(r"^(?:[%s]{4}-){4}[%s]{2}$" % (vc.ALPHABET, vc.ALPHABET))
data_strings = st.text(alphabet=vc.ALPHABET, min_size=rc.RECEIPT_DATA_LENGTH, max_size=rc.RECEIPT_DATA_LENGTH)


def test_receipts_carry_at_least_80_bits():
    """Seventeen uniform symbols from the 29-symbol alphabet give at least 80 bits."""
    assert vc.BASE**rc.RECEIPT_DATA_LENGTH >= 2**80
    assert rc.RECEIPT_BITS >= 80


def test_generated_receipts_are_grouped_distinct_and_valid():
    """New receipts read XXXX-XXXX-XXXX-XXXX-XX, never repeat, and parse back to themselves."""
    made = [rc.generate_receipt() for _ in range(500)]
    assert len(set(made)) == 500
    for receipt in made:
        assert RECEIPT_RE.match(receipt), receipt
        assert rc.parse_receipt(receipt) == receipt.replace("-", "")


@given(data_strings)
def test_every_single_typo_and_swap_in_a_receipt_is_caught(data):
    """Changing one symbol or swapping two different symbols of a receipt makes it malformed."""
    receipt = data + vc.check_character(data)
    assert rc.problem_of(receipt) is None
    for i in range(len(receipt)):
        for b in vc.ALPHABET:
            if b != receipt[i]:
                assert rc.problem_of(receipt[:i] + b + receipt[i + 1 :]) is vc.CodeProblem.CHECK
        if i + 1 < len(receipt) and receipt[i] != receipt[i + 1]:
            swapped = receipt[:i] + receipt[i + 1] + receipt[i] + receipt[i + 2 :]
            assert rc.problem_of(swapped) is vc.CodeProblem.CHECK


def test_a_voting_code_is_not_a_receipt():
    """A (valid) voting code is refused as a receipt because of its length."""
    assert rc.problem_of(vc.generate_code()) is vc.CodeProblem.LENGTH


def test_receipt_hash_follows_the_documented_recipe():
    """The hash is SHA-256 of 'pb-receipt-v1:' plus the canonical receipt, so anyone can recompute it."""
    receipt = rc.generate_receipt()
    bare = receipt.replace("-", "")
    assert rc.receipt_hash(receipt) == hashlib.sha256(b"pb-receipt-v1:" + bare.encode()).hexdigest()
    assert rc.receipt_hash(receipt.lower().replace("-", " ")) == rc.receipt_hash(receipt)


def test_receipt_hash_refuses_malformed_receipts():
    """A receipt with a typo is refused instead of hashed."""
    receipt = rc.generate_receipt()
    altered = ("2" if receipt[0] != "2" else "3") + receipt[1:]
    with pytest.raises(rc.ReceiptFormatError):
        rc.receipt_hash(altered)


@given(st.lists(data_strings, min_size=1, max_size=30, unique=True), st.randoms(use_true_random=False))
def test_published_list_does_not_depend_on_casting_order(datas, rnd):
    """Any order of the same receipts (or their hashes) gives the same sorted list of hashes."""
    receipts = [vc.group(d + vc.check_character(d)) for d in datas]
    shuffled = receipts[:]
    rnd.shuffle(shuffled)
    listed = rc.receipt_list(receipts)
    assert listed == rc.receipt_list(shuffled)
    assert listed == rc.receipt_list(rc.receipt_hash(r) for r in shuffled)
    assert listed == sorted(listed) and len(listed) == len(set(listed)) == len(receipts)


def test_published_list_holds_only_hashes():
    """The rendered list has one 64-hex hash per line and no receipt in any form."""
    receipts = [rc.generate_receipt() for _ in range(50)]
    text = rc.render_receipt_list(receipts)
    lines = text.splitlines()
    assert all(re.fullmatch(r"[0-9a-f]{64}", line) for line in lines)
    for receipt in receipts:
        assert receipt not in text and receipt.replace("-", "") not in text.upper()
    assert rc.parse_receipt_list(text) == lines


@pytest.mark.parametrize(
    "text",
    ["not a hash\n", "b" * 64 + "\n" + "a" * 64 + "\n", "a" * 64 + "\n" + "a" * 64 + "\n", "A" * 64 + "\n"],
)
def test_parse_receipt_list_refuses_bad_lists(text):
    """Non-hex lines, unsorted and repeated hashes are refused with ValueError."""
    with pytest.raises(ValueError):
        rc.parse_receipt_list(text)


def test_check_page_answers_counted_not_counted_and_malformed():
    """A counted receipt is found; an uncounted (e.g. replaced) one is not; an altered one is malformed."""
    counted = [rc.generate_receipt() for _ in range(40)]
    replaced = rc.generate_receipt()
    published = rc.receipt_list(counted)
    for receipt in counted:
        assert rc.check_receipt(receipt, published) is rc.ReceiptStatus.COUNTED
        assert rc.check_receipt(receipt.lower(), published) is rc.ReceiptStatus.COUNTED
    assert rc.check_receipt(replaced, published) is rc.ReceiptStatus.NOT_COUNTED
    altered = counted[0][:-1] + ("2" if counted[0][-1] != "2" else "3")
    assert rc.check_receipt(altered, published) is rc.ReceiptStatus.MALFORMED
    assert rc.check_receipt("", published) is rc.ReceiptStatus.MALFORMED
    assert rc.check_receipt(counted[0], []) is rc.ReceiptStatus.NOT_COUNTED


@pytest.mark.parametrize("module", ['pb.receipts'])
def test_docstring_examples_run_as_written(module):
    """The module's doctest examples pass (pb/ is not in pytest's doctest paths)."""
    result = doctest.testmod(importlib.import_module(module))
    assert result.attempted > 0 and result.failed == 0
