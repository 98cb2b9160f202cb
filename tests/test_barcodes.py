"""Barcodes that carry a weight or a price: the market's layouts read and written both ways,
every corrupted check or verifier digit refused, GS1's own examples, DataBar element strings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fairpos.domain.barcodes import (
    GS,
    BarcodeError,
    Embedded,
    check_digit,
    decode,
    encode,
    parse_layout,
    read_element_string,
    verifier_digit,
)

LAYOUTS = ["2 1 PPPP C WWWWW C", "2 0 PPPPP AAAAA C", "2 2 PPPPP WWWWW C",
           "2 PPPPP C AAAA C"]  # (the last: UPC-A, a price of four digits and its verifier)


def test_gs1s_own_examples() -> None:
    assert verifier_digit("2875") == 9  # four-digit price field (GS1 7.9.3)
    assert verifier_digit("14685") == 6  # five-digit price field
    assert check_digit("950110153100") == 0  # a GTIN-13
    assert check_digit("03600024145") == 7  # a UPC-A


@given(layout=st.sampled_from(LAYOUTS), plu=st.integers(1, 9999),
       value=st.integers(0, 9999))
def test_a_label_reads_back_as_it_was_written(layout: str, plu: int, value: int) -> None:
    parsed = parse_layout(layout)
    weighed = parsed.kind == "weight"
    code = encode(parsed, str(plu), **({"grams": value} if weighed else {"price": value}))
    assert len(code) == len(parsed.pattern) and code.startswith(parsed.prefix)
    assert decode(code, [parse_layout(x) for x in LAYOUTS]) == Embedded(
        code, str(plu), grams=value if weighed else None, price=None if weighed else value)


@given(layout=st.sampled_from(LAYOUTS), plu=st.integers(1, 9999), value=st.integers(0, 9999),
       position=st.integers(0, 12), shift=st.integers(1, 9))
def test_every_corrupted_digit_is_refused(layout: str, plu: int, value: int, position: int,
                                          shift: int) -> None:
    """A digit misread anywhere after the prefix is caught: by the verifier digit in the
    weight or price, or by the check digit — never read as another item or amount."""
    parsed = parse_layout(layout)
    code = encode(parsed, str(plu), **({"grams": value} if parsed.kind == "weight"
                                       else {"price": value}))
    at = len(parsed.prefix) + position % (len(code) - len(parsed.prefix))
    spoilt = code[:at] + str((int(code[at]) + shift) % 10) + code[at + 1:]
    with pytest.raises(BarcodeError, match="scan it again"):
        decode(spoilt, [parsed])


def test_codes_no_layout_claims_are_left_to_the_catalog() -> None:
    layouts = [parse_layout(x) for x in LAYOUTS]
    assert decode("7591234000049", layouts) is None  # an ordinary product's EAN-13
    assert decode("101", layouts) is None  # a PLU typed
    assert decode("tomate", layouts) is None


@pytest.mark.parametrize(("layout", "said"), [
    ("2 1 PPPP WWWWW", "is not a barcode layout"),
    ("2 1 PPPP C WWWWW", "a layout is the prefix digits"),
    ("2 1 PPPP X WWWWW C", "is not a barcode layout"),
    ("2 1 WWWWW PPPP C C", "a layout is the prefix digits"),
    ("4 1 PPPP C WWWWW C", "begin with 2"),
    ("2 1 PPP C WWWWWW C", "four or five digits"),
])
def test_a_layout_that_cannot_be_is_refused_with_the_reason(layout: str, said: str) -> None:
    with pytest.raises(BarcodeError, match=said):
        parse_layout(layout)


def test_what_does_not_fit_a_layout_is_refused() -> None:
    layout = parse_layout("2 1 PPPP C WWWWW C")
    with pytest.raises(BarcodeError, match="does not fit"):
        encode(layout, "12345", grams=100)
    with pytest.raises(BarcodeError, match="does not fit"):
        encode(layout, "101", grams=100_000)
    with pytest.raises(BarcodeError, match="carries the weight only"):
        encode(layout, "101", price=250)
    code = encode(layout, "101", grams=1250)
    assert (code[:6], code[6], code[7:12]) == ("210101", str(verifier_digit("01250")), "01250")
    assert code[12] == str(check_digit(code[:12]))


def test_databar_element_strings_as_printed_and_as_scanned() -> None:
    printed = "(01)09501101530003(3103)001250(3922)0399"
    assert read_element_string(printed, 2) == Embedded(printed, "9501101530003", grams=1250,
                                                       price=399)
    scanned = "0109501101530003" + "3102000125" + "39210399" + GS
    found = read_element_string(scanned, 2)
    assert (found.item, found.grams, found.price) == ("9501101530003", 1250, 3990)
    assert read_element_string("(01)09501101530003(3922)1000", 0).price == 10


@pytest.mark.parametrize(("text", "said"), [
    ("(3103)001250", "has no GTIN"),
    ("(01)09501101530004(3103)001250", "check digit is wrong"),
    ("(01)09501101530003", "neither a net weight"),
    ("(01)09501101530003(3103)1250", "is not well-formed"),
    ("(01)09501101530003(3923)1005", "more decimals than the currency"),
    ("0109501101530003" + "17261231", "does not read"),
    ("01)0950", "is not well-formed"),
    ("(01)09501101530003)(3103)001250", "is not a GS1 element string"),
])
def test_a_databar_string_that_cannot_be_read_says_why(text: str, said: str) -> None:
    with pytest.raises(BarcodeError, match=said):
        read_element_string(text, 2)
