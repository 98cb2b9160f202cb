"""What a volunteer types on the till's entry line (and ``fairpos sell --line``), read into one
action. One grammar for both.

=============  ===========================================================
typed          means
=============  ===========================================================
``101``        add PLU 101 (a counted item adds one; a weighed one asks)
``7591234…``   add the product with that barcode
``3*205``      three of PLU 205 (``205*3`` too), when 205 is sold by the piece
``101*1.25``   1.250 kg of PLU 101 (``101*1,25``, ``101*500g``, ``0.5kg*101`` too)
``g*2.35``     2.350 kg at price class G
``pina``       search names, accents and case ignored
=============  ===========================================================

A weight is always written with a decimal or a unit; a plain whole number is a count. ``A*B``
is read both ways — A of B, and B of A — and accepted only when exactly one way names a known
product (or class) with a quantity it can be sold by: ``8*3`` is three of PLU 8 when PLU 3 is
weighed (eight is no weight). A count of 100 or more is not taken that way, for the other way
may be a weight without its unit: ``101*500`` (500 g meant, or 101 packs of PLU 500?) is
refused with both readings named, never guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fairpos.domain.catalog import Catalog
from fairpos.domain.quantity import Quantity, QuantityError, parse_quantity
from fairpos.errors import FairposError
from fairpos.i18n import _, active

_CODE = re.compile(r"^(\d{1,14}|[A-Za-z][A-Za-z0-9_-]{0,15})$")
# The largest count taken when the other way of reading ``A*B`` names a weighed product
# (a larger one may be the grams of a weight typed without its unit)
MOST_COUNT_BESIDE_A_WEIGHT = 99
_WHOLE = re.compile(r"^\d+$")


class TypedError(FairposError, ValueError):
    """Something typed that cannot be read; the message is for the volunteer."""


@dataclass(frozen=True)
class AddLine:
    code: str
    quantity: Quantity | None = None


@dataclass(frozen=True)
class Search:
    text: str


Typed = AddLine | Search


def _known(catalog: Catalog, code: str) -> bool:
    return catalog.product(code) is not None or catalog.price_class(code) is not None


@dataclass(frozen=True)
class Reading:
    """One way to read ``A*B``: ``code`` with ``quantity``; ``fits`` when the product (or
    class) is sold that way (a count of a counted product, a weight of a weighed one)."""

    code: str
    quantity: Quantity
    name: str
    fits: bool

    def words(self) -> str:
        """The reading as the volunteer would say it."""
        if not self.fits and self.quantity.count is not None:
            return _("{name} by weight ({count} without a decimal or a unit is not a weight)"
                     ).format(name=self.name, count=self.quantity.count)
        if not self.fits:
            return _("{name}, which is sold by the piece").format(name=self.name)
        if self.quantity.count is not None:
            return _("{count} × {name}").format(count=self.quantity.count, name=self.name)
        assert self.quantity.grams is not None
        return _("{kilos} kg of {name}").format(kilos=f"{self.quantity.grams / 1000:.3f}",
                                                name=self.name)


def _reading(code: str, quantity: str, catalog: Catalog) -> Reading | None:
    """``code`` with ``quantity``, if ``code`` is known and ``quantity`` reads as one."""
    if not _CODE.match(code) or not _known(catalog, code):
        return None
    try:
        parsed = parse_quantity(quantity)
    except QuantityError:
        return None
    product = catalog.product(code)
    if product is None:  # a price class: a weight, always
        price_class = catalog.price_class(code)
        assert price_class is not None
        return Reading(price_class.code, parsed, price_class.name(active()),
                       parsed.grams is not None)
    weighed = product.unit == "kg"
    return Reading(product.plu, parsed, product.name(active()),
                   weighed == (parsed.grams is not None))


def read_typed(text: str, catalog: Catalog) -> Typed:
    raw = text.strip()
    if not raw:
        raise TypedError(_("type a PLU, a barcode or part of a name"))
    if "*" not in raw:
        if _WHOLE.match(raw):
            return AddLine(raw)
        if catalog.price_class(raw) is not None:
            return AddLine(raw)
        if re.search(r"[^\W\d_]", raw):
            return Search(raw)
        raise TypedError(_("“{text}” is not a PLU").format(text=raw))
    left, _star, right = (part.strip() for part in raw.partition("*"))
    if not left or not right or "*" in right:
        raise TypedError(_("write PLU*QUANTITY, e.g. 205*3 or 101*1.250"))
    readings = sorted({r for r in (_reading(left, right, catalog),
                                    _reading(right, left, catalog)) if r is not None},
                      key=lambda r: (not r.fits, r.code))  # the same both ways is one
    fitting = [r for r in readings if r.fits]
    if len(readings) == 2 and len(fitting) == 1 and fitting[0].quantity.count is not None \
            and fitting[0].quantity.count <= MOST_COUNT_BESIDE_A_WEIGHT:
        readings = fitting  # the other way names no product sold like that
    if len(readings) == 2:
        raise TypedError(_("“{text}” reads two ways: {first}, or {second}; write a weight "
                           "with a decimal or a unit (1.25, 500g)").format(
            text=raw, first=readings[0].words(), second=readings[1].words()))
    if not readings:
        for side in (left, right):
            try:  # the quantity side may be what is wrong (too heavy, zero…)
                parse_quantity(side)
            except QuantityError as err:
                if _known(catalog, left if side == right else right):
                    raise TypedError(str(err)) from None
        raise TypedError(_("no product matches “{text}” (write PLU*QUANTITY, e.g. 205*3 or "
                           "101*1.250)").format(text=raw))
    found = readings[0]
    if not found.fits:
        if found.quantity.count is not None:
            raise TypedError(_("{name} is sold by weight: write the weight with a decimal or "
                               "a unit, e.g. {code}*1.250 or {code}*500g").format(
                name=found.name, code=found.code))
        raise TypedError(_("{name} is sold by the piece: write a whole count, e.g. 3*{code}")
                         .format(name=found.name, code=found.code))
    return AddLine(found.code, found.quantity)


def typed_text(code: str, quantity: Quantity) -> str:
    """How a line is typed: what :func:`read_typed` reads back to the same line."""
    if quantity.count is not None:
        return f"{quantity.count}*{code}"
    return f"{code}*{quantity.grams}g"


def count_example(catalog: Catalog) -> str | None:
    """``N*PLU`` for a product of ``catalog`` sold by the piece that reads only one way (for
    the hint on the entry line: an example that would be refused teaches nothing)."""
    counted = [p.plu for p in catalog.products.values() if p.unit == "each"][:50]
    for count in (3, 2, 4, 5, 6, 7, 8, 9):
        for plu in counted:
            try:
                entry = read_typed(f"{count}*{plu}", catalog)
            except TypedError:
                continue
            if isinstance(entry, AddLine) and entry.code == plu:
                return f"{count}*{plu}"
    return None
