"""Barcodes that carry a weight or a price: a weighing station's labels, read back at a lane.

**EAN-13 and UPC-A variable-measure codes.** GS1 leaves the prefixes 20–29 (UPC-A: number
system 2) to each market for its own use; the market says how it lays out the digits, as a
setting — one symbol per digit, spaces for the eye:

- a digit: itself, always (the prefix: ``2 1``);
- ``P``: the item's code (the PLU), zero-padded;
- ``W``: the weight in grams, or ``A``: the amount in minor units (cents), zero-padded;
- ``C``: a check digit — the last one is the code's own (GS1 modulo 10); one before it is the
  price/weight verifier of the four- or five-digit field that follows it (GS1 General
  Specifications 7.9.3).

So ``2 1 PPPP C WWWWW C`` is prefix 21, a four-digit PLU, the verifier, five digits of grams
and the check digit; ``2 0 PPPPP AAAAA C`` carries the price instead, without a verifier.

**GS1 DataBar Expanded element strings** (what a scanner sends for the produce labels that
carry them): ``(01)`` the GTIN, ``(3102)``/``(3103)`` the net weight in kilograms with two or
three decimals, ``(392n)`` the price with ``n`` decimals — written with parentheses, or as the
scanner sends them, with a GS character (or nothing, after a fixed-length field) between.

Nothing here knows a catalog: a code reads into the item it names and the weight or price it
carries, or is refused with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from fairpos.errors import FairposError
from fairpos.i18n import _


class BarcodeError(FairposError, ValueError):
    """A code that cannot be read as it claims to be; the message says why."""


# products of each digit under GS1's price/weight weighting factors (7.9.3)
_TWO_MINUS = (0, 2, 4, 6, 8, 9, 1, 3, 5, 7)
_THREE = (0, 3, 6, 9, 2, 5, 8, 1, 4, 7)
_FIVE_PLUS = (0, 5, 1, 6, 2, 7, 3, 8, 4, 9)
_FIVE_MINUS = (0, 5, 9, 4, 8, 3, 7, 2, 6, 1)


def check_digit(digits: str) -> int:
    """GS1's modulo-10 check digit of ``digits`` (the code without its last digit)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def verifier_digit(field: str) -> int:
    """The price/weight verifier digit of a four- or five-digit field."""
    values = [int(d) for d in field]
    if len(values) == 4:
        tables: Sequence[Sequence[int]] = (_TWO_MINUS, _TWO_MINUS, _THREE, _FIVE_MINUS)
        return sum(t[v] for t, v in zip(tables, values, strict=True)) * 3 % 10
    if len(values) == 5:
        tables = (_FIVE_PLUS, _TWO_MINUS, _FIVE_MINUS, _FIVE_PLUS, _TWO_MINUS)
        wanted = (10 - sum(t[v] for t, v in zip(tables, values, strict=True)) % 10) % 10
        return _FIVE_MINUS.index(wanted)
    raise BarcodeError(_("a verifier digit is for a field of four or five digits"))


@dataclass(frozen=True)
class Layout:
    """Where a market's variable-measure code keeps its item and its weight or price."""

    pattern: str  # one symbol per digit, no spaces: "21PPPPCWWWWWC"
    item: slice
    measure: slice
    kind: str  # "weight" (grams) or "price" (minor units)
    verifier: int | None  # where the verifier digit is (None: no verifier)

    @property
    def prefix(self) -> str:
        return self.pattern[:self.item.start]

    def __str__(self) -> str:
        return self.pattern


def parse_layout(text: str) -> Layout:
    """A layout as a market writes it in its settings (see the module's docstring)."""
    pattern = "".join(text.split()).upper()
    shown = text.strip()
    if len(pattern) not in (12, 13) or re.fullmatch(r"[0-9PWAC]+", pattern) is None:
        raise BarcodeError(_("“{layout}” is not a barcode layout: 13 symbols (12 for UPC-A) "
                             "of digits, P, W or A, and C").format(layout=shown))
    runs = re.fullmatch(r"([0-9]+)(P+)(C?)(W+|A+)(C)", pattern)
    if runs is None:
        raise BarcodeError(_("“{layout}”: a layout is the prefix digits, the item's P, an "
                             "optional verifier C, the W (grams) or A (price), and the check "
                             "digit C last").format(layout=shown))
    prefix, item, verifier, measure, _check = runs.groups()
    if not prefix.startswith("2") or (len(pattern) == 13 and len(prefix) < 2):
        raise BarcodeError(_("“{layout}”: a market's own codes begin with 2 (GS1 prefixes "
                             "20–29)").format(layout=shown))
    if verifier and len(measure) not in (4, 5):
        raise BarcodeError(_("“{layout}”: a verifier digit is for a weight or price of four "
                             "or five digits").format(layout=shown))
    start = len(prefix)
    measured = start + len(item) + len(verifier)
    return Layout(pattern, slice(start, start + len(item)),
                  slice(measured, measured + len(measure)),
                  "weight" if measure[0] == "W" else "price",
                  start + len(item) if verifier else None)


@dataclass(frozen=True)
class Embedded:
    """What a code carries: the item it names and its weight or its price."""

    code: str  # the code as scanned
    item: str  # the PLU (a layout's digits, leading zeros dropped) or the GTIN
    grams: int | None = None
    price: int | None = None  # in the currency's minor units


def decode(code: str, layouts: Sequence[Layout]) -> Embedded | None:
    """The item and weight or price a scanned code carries under the market's layouts;
    None for a code none of them claims (an ordinary product barcode); BarcodeError for one
    that a layout claims but that does not check."""
    code = code.strip()
    if not code.isascii() or not code.isdigit():
        return None
    for layout in layouts:
        if len(code) != len(layout.pattern) or not code.startswith(layout.prefix):
            continue
        if int(code[-1]) != check_digit(code[:-1]):
            raise BarcodeError(_("{code}: the check digit is wrong (a misread, or a "
                                 "damaged label): scan it again").format(code=code))
        field = code[layout.measure]
        if layout.verifier is not None and int(code[layout.verifier]) != verifier_digit(field):
            raise BarcodeError(_("{code}: the {what} does not match its verifier digit (a "
                                 "misread): scan it again").format(
                code=code, what=_("weight") if layout.kind == "weight" else _("price")))
        item = code[layout.item].lstrip("0") or "0"
        if layout.kind == "weight":
            return Embedded(code, item, grams=int(field))
        return Embedded(code, item, price=int(field))
    return None


def encode(layout: Layout, item: str, *, grams: int | None = None,
           price: int | None = None) -> str:
    """The code of ``item`` (its PLU) with its weight or price, in ``layout``."""
    value = grams if layout.kind == "weight" else price
    if value is None or (grams is not None and price is not None):
        raise BarcodeError(_("layout {layout} carries the {what} only").format(
            layout=layout, what=_("weight") if layout.kind == "weight" else _("price")))
    width = layout.measure.stop - layout.measure.start
    places = layout.item.stop - layout.item.start
    if not item.isdigit() or len(item.lstrip("0") or "0") > places:
        raise BarcodeError(_("PLU {plu} does not fit layout {layout} ({places} digits)")
                           .format(plu=item, layout=layout, places=places))
    if not 0 <= value < 10 ** width:
        raise BarcodeError(_("{value} does not fit layout {layout} ({width} digits)").format(
            value=value, layout=layout, width=width))
    field = f"{value:0{width}d}"
    digits = layout.prefix + item.lstrip("0").rjust(places, "0")
    if layout.verifier is not None:
        digits += str(verifier_digit(field))
    digits += field
    return digits + str(check_digit(digits))


# -- GS1 DataBar Expanded element strings ----------------------------------------------------

GS = "\x1d"  # the separator a scanner sends after a variable-length field
_FIXED = {"01": 14, "3102": 6, "3103": 6}  # the AIs read here whose length is fixed


def read_element_string(text: str, minor_digits: int) -> Embedded:
    """A DataBar Expanded element string — ``(01)…(3103)…(3922)…`` as printed under the
    bars, or as a scanner sends it — into the GTIN and the weight or price it carries (the
    price in minor units of a currency with ``minor_digits`` decimals)."""
    fields = _element_fields(text.strip())
    gtin = fields.get("01")
    if gtin is None:
        raise BarcodeError(_("“{code}” has no GTIN (01)").format(code=text.strip()[:60]))
    if int(gtin[-1]) != check_digit(gtin[:-1]):
        raise BarcodeError(_("{code}: the GTIN's check digit is wrong: scan it again")
                           .format(code=gtin))
    grams = None
    for ai, places in (("3102", 2), ("3103", 3)):
        if ai in fields:
            grams = int(fields[ai]) * 10 ** (3 - places)
    price = None
    for ai, value in fields.items():
        if ai.startswith("392"):
            decimals = int(ai[3])
            if decimals > minor_digits and int(value) % 10 ** (decimals - minor_digits):
                raise BarcodeError(_("{code}: the price has more decimals than the currency")
                                   .format(code=text.strip()[:60]))
            price = int(value) * 10 ** minor_digits // 10 ** decimals
    if grams is None and price is None:
        raise BarcodeError(_("“{code}” carries neither a net weight (3102, 3103) nor a "
                             "price (392n)").format(code=text.strip()[:60]))
    return Embedded(text.strip(), gtin.lstrip("0") or "0", grams=grams, price=price)


def _element_fields(text: str) -> dict[str, str]:
    if text.startswith("("):
        found = re.findall(r"\((\d{2,4})\)([^()]*)", text)
        if "".join(f"({ai}){value}" for ai, value in found) != text:
            raise BarcodeError(_("“{code}” is not a GS1 element string").format(code=text[:60]))
        fields = dict(found)
    else:
        fields = {}
        rest = text.lstrip(GS)
        while rest:
            ai = next((a for a in (rest[:4], rest[:2]) if a in _FIXED or
                       (len(a) == 4 and a[:3] == "392")), None)
            if ai is None:
                raise BarcodeError(_("“{code}” has an application identifier this till does "
                                     "not read").format(code=text[:60]))
            rest = rest[len(ai):]
            length = _FIXED.get(ai)
            if length is None:  # (variable: up to the separator, or the end)
                value, _sep, rest = rest.partition(GS)
            else:
                value, rest = rest[:length], rest[length:].lstrip(GS)
            fields[ai] = value
    for ai, value in fields.items():
        size = _FIXED.get(ai)
        if not value.isdigit() or (size is not None and len(value) != size) or \
                (ai[:3] == "392" and len(ai) == 4 and not 1 <= len(value) <= 15):
            raise BarcodeError(_("“{code}”: ({ai}) is not well-formed").format(
                code=text[:60], ai=ai))
    return fields
