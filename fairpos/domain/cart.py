"""The sale being rung up: lines of products or price classes, by weight or by count.

A line's amount is ``grams × price per kg ÷ 1000`` (or ``count × price``), rounded half up to the
minor unit once per line; the total is the exact sum of the line amounts. Voided lines stay in the
cart, marked, so the journal keeps a trace of every line removed before payment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from fairpos.domain.barcodes import BarcodeError, Embedded, Layout, decode, read_element_string
from fairpos.domain.catalog import Catalog, PriceClass, Product
from fairpos.domain.money import Money, Rates, minor_digits
from fairpos.domain.quantity import Quantity, QuantityError, check_count, check_grams
from fairpos.errors import FairposError
from fairpos.i18n import _, active, format_grams

MAX_LINES = 200  # lines in one sale
MAX_LINES_WITH_VOIDED = 1000  # voided lines are kept for the journal, up to a point

LineKind = Literal["product", "class"]


class CartError(FairposError, ValueError):
    """Something that cannot be rung up; the message is for a person."""


def line_amount(unit_price: int, *, grams: int | None = None, count: int | None = None) -> int:
    """The amount of one line in minor units: weight × price per kg, or count × price."""
    if grams is not None:  # (thousandths of a minor unit, rounded half up in integers)
        whole, rest = divmod(abs(grams * unit_price), 1000)
        return (whole + (2 * rest >= 1000)) * (-1 if grams * unit_price < 0 else 1)
    assert count is not None
    return count * unit_price


@dataclass(frozen=True, slots=True)
class Line:
    kind: LineKind
    code: str  # the PLU, or the price class code for a class line
    name_es: str
    name_en: str
    unit_price: int  # minor units per kg (weighed) or per item (counted)
    amount: int
    grams: int | None = None
    count: int | None = None
    price_class: str | None = None
    tags: frozenset[str] = field(default_factory=frozenset)
    voided: bool = False
    # The scale's frame (hex) the weight was read from; None on a weight typed by hand
    scale_frame: str | None = None
    # The label it was scanned from (a weighing station's code with its weight or price)
    label: str | None = None
    # The product's most in one sale, in grams or a count, as the catalog said (None: any)
    most: int | None = None
    # The container's weight taken off (grams: the net weight); gross = grams + tare
    tare: int | None = None

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_es

    def with_quantity(self, quantity: Quantity, scale_frame: str | None = None,
                      tare: int | None = None) -> Line:
        """This line with another quantity (``scale_frame``: the weight came from the scale;
        ``tare``: the tare taken off it)."""
        if self.grams is not None:
            if quantity.grams is None:
                raise CartError(_("{name} is sold by weight: give a weight such as 1.250kg")
                                .format(name=self.name(active())))
            grams = check_grams(quantity.grams)
            return replace(self, grams=grams, amount=line_amount(self.unit_price, grams=grams),
                           scale_frame=scale_frame, tare=tare)
        if quantity.count is None:
            raise CartError(_("{name} is sold by the piece: give a count such as 3").format(
                name=self.name(active())))
        count = check_count(quantity.count)
        return replace(self, count=count, amount=line_amount(self.unit_price, count=count))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tags"] = sorted(self.tags)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Line:
        return cls(**{**data, "tags": frozenset(data.get("tags", ()))})


def product_line(catalog: Catalog, product: Product, quantity: Quantity) -> Line:
    unit_price = catalog.unit_price(product)
    if product.unit == "kg":
        if quantity.grams is None:
            raise CartError(_("{name} is sold by weight: give a weight such as 1.250kg").format(
                name=product.name(active())))
        grams = check_grams(quantity.grams)
        return Line("product", product.plu, product.name_es, product.name_en, unit_price,
                    line_amount(unit_price, grams=grams), grams=grams,
                    price_class=product.price_class, tags=product.tags,
                    most=product.max_per_sale)
    if quantity.count is None:
        raise CartError(_("{name} is sold by the piece: give a count such as 3").format(
            name=product.name(active())))
    count = check_count(quantity.count)
    return Line("product", product.plu, product.name_es, product.name_en, unit_price,
                line_amount(unit_price, count=count), count=count, tags=product.tags,
                most=product.max_per_sale)


def _quantity(line: Line) -> int:
    return line.grams if line.grams is not None else line.count or 0


def _element_string(code: str) -> bool:
    """Whether a scanned code is a GS1 element string (a DataBar Expanded label): "(01)…",
    or the GTIN's AI and more digits than any PLU or product barcode has."""
    text = code.strip()
    return text.startswith("(01)") or (text.startswith("01") and len(text) > 16)


def label_line(catalog: Catalog, label: Embedded) -> Line:
    """The line a label brings: its product (by PLU) with the label's weight, or the
    quantity its price pays for at the catalog's price — refused when no quantity does (the
    price changed since the label was printed)."""
    product = catalog.product(label.item)
    if product is None:
        raise CartError(_("label {code}: unknown PLU “{plu}”").format(code=label.code,
                                                                      plu=label.item))
    unit_price = catalog.unit_price(product)
    if label.grams is not None:
        if product.unit != "kg":
            raise CartError(_("label {code}: {name} is sold by the piece, not by weight")
                            .format(code=label.code, name=product.name(active())))
        quantity = Quantity(grams=label.grams)
    elif product.unit == "kg":
        grams = -(-(label.price or 0) * 1000 // unit_price) if unit_price else 0
        while grams > 0 and line_amount(unit_price, grams=grams - 1) == label.price:
            grams -= 1  # (the least weight that comes to the price)
        if not grams or line_amount(unit_price, grams=grams) != label.price:
            raise CartError(_("label {code}: its price is not one of {name} at today's price "
                              "per kilo (printed before the price changed?): weigh it again")
                            .format(code=label.code, name=product.name(active())))
        quantity = Quantity(grams=grams)
    else:
        if not unit_price or (label.price or 0) % unit_price or not label.price:
            raise CartError(_("label {code}: its price is not a number of {name} at today's "
                              "price").format(code=label.code, name=product.name(active())))
        quantity = Quantity(count=label.price // unit_price)
    try:
        return replace(product_line(catalog, product, quantity), label=label.code)
    except QuantityError as err:
        raise CartError(str(err)) from None


def class_line(price_class: PriceClass, grams: int) -> Line:
    grams = check_grams(grams)
    return Line("class", price_class.code, price_class.name_es, price_class.name_en,
                price_class.price_per_kg, line_amount(price_class.price_per_kg, grams=grams),
                grams=grams, price_class=price_class.code)


@dataclass
class Cart:
    """The lines of the sale in progress, in pricing-currency minor units."""

    currency: str
    lines: list[Line] = field(default_factory=list)

    @property
    def active(self) -> list[Line]:
        return [line for line in self.lines if not line.voided]

    @property
    def total(self) -> Money:
        return Money(sum(line.amount for line in self.active), self.currency)

    def is_empty(self) -> bool:
        return not self.active

    def _append(self, line: Line) -> Line:
        if len(self.active) >= MAX_LINES or len(self.lines) >= MAX_LINES_WITH_VOIDED:
            raise CartError(_("a sale has at most {most} lines").format(most=MAX_LINES))
        self._within_quota(line)
        self.lines.append(line)
        return line

    def _within_quota(self, line: Line, instead_of: int | None = None) -> None:
        """Refuse a line that would take its product past the catalog's most in one sale
        (``instead_of``: the index of the line it replaces)."""
        if line.most is None or line.kind != "product":
            return
        already = sum(_quantity(other) for i, other in enumerate(self.lines)
                      if i != instead_of and not other.voided and other.kind == "product"
                      and other.code == line.code)
        if already + _quantity(line) > line.most:
            most = format_grams(line.most) if line.grams is not None else str(line.most)
            had = format_grams(already) if line.grams is not None else str(already)
            raise CartError(_("{name}: at most {most} in one sale ({had} already in it)")
                            .format(name=line.name(active()), most=most, had=had)
                            if already else
                            _("{name}: at most {most} in one sale").format(
                                name=line.name(active()), most=most))

    def add(self, catalog: Catalog, code: str, quantity: Quantity | None = None,
            scale_frame: str | None = None, tare: int | None = None) -> Line:
        """Add a PLU, barcode or price-class code. Counted items default to one.
        ``scale_frame`` is the scale's frame a weight was read from (None: typed by hand);
        ``tare``: the container's weight taken off that weight."""
        price_class = catalog.price_class(code)
        if price_class is not None:
            if quantity is None or quantity.grams is None:
                raise CartError(_("{name} is sold by weight: give a weight such as 1.250kg")
                                .format(name=price_class.name(active())))
            line = class_line(price_class, quantity.grams)
            return self._append(replace(line, scale_frame=scale_frame, tare=tare))
        product = catalog.product(code)
        if product is None:
            raise CartError(_("unknown PLU “{code}”").format(code=code.strip()))
        if quantity is None:
            quantity = Quantity(count=1) if product.unit == "each" else Quantity()
        try:
            line = product_line(catalog, product, quantity)
        except QuantityError as err:
            raise CartError(str(err)) from None
        if line.grams is not None:
            line = replace(line, scale_frame=scale_frame, tare=tare)
        return self._append(line)

    def scan(self, catalog: Catalog, code: str, labels: Sequence[Layout]) -> Line | None:
        """Add what a scanned label carries, if ``code`` is a label (a market's own code in
        one of ``labels``, or a GS1 element string); None: it is not one (a PLU, a product's
        barcode, a name). CartError for a label that does not read or does not fit."""
        try:
            embedded = decode(code, labels)
            if embedded is None and _element_string(code):
                embedded = read_element_string(code, minor_digits(self.currency))
        except BarcodeError as err:
            raise CartError(str(err)) from None
        return None if embedded is None else self._append(label_line(catalog, embedded))

    def _index(self, number: int) -> int:
        """A 1-based line number of a line that is not voided, as a list index."""
        if not 1 <= number <= len(self.lines) or self.lines[number - 1].voided:
            raise CartError(_("there is no line {number}").format(number=number))
        return number - 1

    def line(self, number: int) -> Line:
        """Line ``number`` (1-based), if it is there and not voided."""
        return self.lines[self._index(number)]

    def void(self, number: int) -> Line:
        index = self._index(number)
        self.lines[index] = replace(self.lines[index], voided=True)
        return self.lines[index]

    def change_quantity(self, number: int, quantity: Quantity,
                        scale_frame: str | None = None, tare: int | None = None) -> Line:
        index = self._index(number)
        try:
            changed = self.lines[index].with_quantity(quantity, scale_frame, tare)
        except QuantityError as err:
            raise CartError(str(err)) from None
        self._within_quota(changed, instead_of=index)
        self.lines[index] = changed
        return changed

    def repeat_last(self) -> Line:
        if not self.active:
            raise CartError(_("there is no line to repeat"))
        # The same weight again was not read from the scale: it counts as typed by hand.
        return self._append(replace(self.active[-1], scale_frame=None))

    def totals(self, rates: Rates) -> dict[str, Money]:
        """The total in the pricing currency and in each currency ``rates`` has a rate for."""
        total = self.total
        return {code: rates.express(total.minor, code) for code in rates.currencies()}

    def to_dict(self) -> dict[str, Any]:
        return {"currency": self.currency, "lines": [line.to_dict() for line in self.lines]}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Cart:
        return cls(data["currency"], [Line.from_dict(line) for line in data["lines"]])
