"""What a volunteer types on the till's entry line, read into one action.

=============  ===========================================================
typed          means
=============  ===========================================================
``101``        add PLU 101 (a counted item adds one; a weighed one asks)
``7591234…``   add the product with that barcode
``3*205``      three of PLU 205 (``205*3`` too)
``101*1.25``   1.250 kg of PLU 101 (``101*1250g``, ``1,25*101`` too)
``101*2``      2 kg of PLU 101 when it is sold by weight
``g*2.35``     2.350 kg at price class G
``pina``       search names, accents and case ignored
=============  ===========================================================

When both sides of ``A*B`` are whole numbers and both are PLUs, the first is the count
(``3*12`` is three of PLU 12), as on most tills.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fairpos.catalog import Catalog
from fairpos.errors import FairposError
from fairpos.i18n import _
from fairpos.quantity import Quantity, QuantityError, check_grams, parse_quantity

_CODE = re.compile(r"^(\d{1,14}|[A-Za-z][A-Za-z0-9_-]{0,15})$")
_WHOLE = re.compile(r"^\d+$")


class EntryError(FairposError, ValueError):
    """Something typed that cannot be read; the message is for the volunteer."""


@dataclass(frozen=True)
class AddLine:
    code: str
    quantity: Quantity | None = None


@dataclass(frozen=True)
class Search:
    text: str


Entry = AddLine | Search


def _known(catalog: Catalog, code: str) -> bool:
    return catalog.product(code) is not None or catalog.price_class(code) is not None


def read_entry(text: str, catalog: Catalog) -> Entry:
    raw = text.strip()
    if not raw:
        raise EntryError(_("type a PLU, a barcode or part of a name"))
    if "*" not in raw:
        if _WHOLE.match(raw):
            return AddLine(raw)
        if catalog.price_class(raw) is not None:
            return AddLine(raw)
        if re.search(r"[^\W\d_]", raw):
            return Search(raw)
        raise EntryError(_("“{text}” is not a PLU").format(text=raw))
    left, _star, right = (part.strip() for part in raw.partition("*"))
    if not left or not right or "*" in right:
        raise EntryError(_("write PLU*QUANTITY, e.g. 205*3 or 101*1.250"))
    try:
        line = _split(left, right, catalog)
        product = catalog.product(line.code)
        if line.quantity and line.quantity.count is not None and product is not None \
                and product.unit == "kg":  # a whole number of a weighed item: kilos
            return AddLine(line.code, Quantity(grams=check_grams(line.quantity.count * 1000)))
        return line
    except QuantityError as err:
        raise EntryError(str(err)) from None


def _split(left: str, right: str, catalog: Catalog) -> AddLine:
    if _WHOLE.match(left) and _WHOLE.match(right):
        if _known(catalog, left) and not _known(catalog, right):
            return AddLine(left, parse_quantity(right))
        return AddLine(right, parse_quantity(left))
    if _CODE.match(left) and not _WHOLE.match(right):
        return AddLine(left, parse_quantity(right))
    if _CODE.match(right):
        return AddLine(right, parse_quantity(left))
    raise EntryError(_("write PLU*QUANTITY, e.g. 205*3 or 101*1.250"))
