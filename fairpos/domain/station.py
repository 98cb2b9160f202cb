"""A weighing station's label: a product, the weight the scale accepted, what it comes to, and
the code a lane scans to ring it up.

The amount is the lane's own line amount (:func:`fairpos.domain.cart.product_line`), so a label
scanned at a lane brings exactly the amount printed on it: a weight layout carries the grams, a
price layout the amount (the lane finds the least weight that comes to it). The station prints
in the market's first layout (``[barcodes] layouts``).
"""

from __future__ import annotations

from dataclasses import dataclass

from fairpos.domain.barcodes import Layout, encode
from fairpos.domain.cart import CartError, product_line
from fairpos.domain.catalog import Catalog, Product
from fairpos.domain.money import Money, Rates
from fairpos.domain.quantity import Quantity, QuantityError
from fairpos.i18n import _, active, format_grams, format_money


class StationError(CartError):
    """A label that cannot be printed; the message says why."""


@dataclass(frozen=True)
class WeighedLabel:
    """One label, as printed and as journaled."""

    code: str  # the EAN-13 (or UPC-A) a lane scans
    plu: str
    name_es: str
    name_en: str
    grams: int
    unit_price: int  # per kilo, in the pricing currency's minor units
    amount: int  # in the pricing currency's minor units
    currency: str
    catalog_version: int
    scale_frame: str | None = None  # the scale's frame (hex); None: typed by hand

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_es

    def amounts(self, rates: Rates) -> list[Money]:
        """The amount in the pricing currency, then in each currency with a rate."""
        return [rates.express(self.amount, code) for code in rates.currencies()]


def weigh(catalog: Catalog, product: Product, grams: int, layout: Layout,
          scale_frame: str | None = None) -> WeighedLabel:
    """The label of ``grams`` of ``product`` in ``layout``; StationError when it cannot be
    (sold by the piece, a PLU or a figure the layout has no room for, a weight out of range)."""
    if product.unit != "kg":
        raise StationError(_("{name} is sold by the piece: it is rung up at the lane, without "
                             "a label").format(name=product.name(active())))
    try:
        line = product_line(catalog, product, Quantity(grams=grams))
    except QuantityError as err:
        raise StationError(str(err)) from None
    assert line.grams is not None
    if line.amount <= 0:
        raise StationError(_("{weight} of {name} comes to nothing: weigh more").format(
            weight=format_grams(line.grams), name=product.name(active())))
    room = 10 ** (layout.measure.stop - layout.measure.start) - 1  # the field's largest
    if layout.kind == "weight" and line.grams > room:
        raise StationError(_("{weight} is more than a label can carry ({most} at most): "
                             "split it into two bags").format(
            weight=format_grams(line.grams), most=format_grams(room)))
    if layout.kind == "price" and line.amount > room:
        raise StationError(_("{amount} is more than a label can carry ({most} at most): "
                             "split it into two bags").format(
            amount=format_money(Money(line.amount, catalog.currency)),
            most=format_money(Money(room, catalog.currency))))
    if layout.kind == "weight":
        code = encode(layout, product.plu, grams=line.grams)
    else:
        code = encode(layout, product.plu, price=line.amount)
    return WeighedLabel(code, product.plu, product.name_es, product.name_en, line.grams,
                        line.unit_price, line.amount, catalog.currency, catalog.version,
                        scale_frame)
