"""The catalog: products, price classes, and the files a treasurer edits to publish them.

A *price class* ("Feria grande", "Mini-feria") is one price per kilo decided by the assembly; a
product in a class takes the class price, so changing one number reprices the whole class. A class
can also be rung up directly by weight. A catalog *version* is immutable once stored.

Catalog files (CSV or JSON) have one row per price class or product:

=============  ==========================================================================
column         meaning
=============  ==========================================================================
type           ``class`` or ``product``
code           a class code (letters, e.g. ``G``) or a product PLU (1-8 digits)
barcode        optional EAN/UPC (8-14 digits), products only
name_es        Spanish name (required)
name_en        English name (optional; the Spanish name is used when empty)
unit           ``kg`` or ``each`` (classes are always ``kg``)
price          price per kg or per item in the pricing currency, e.g. ``1.20``;
               empty for a product in a price class
price_class    the class code of a weighed product sold at the class price
tags           optional, ``|``-separated eligibility tags (e.g. ``snap|fmnp``)
max_per_sale   optional: at most this much in one sale — kilos for a product by weight
               (``2.5``), a count for one by the piece (``3``)
=============  ==========================================================================

JSON files hold ``{"price_classes": [row, ...], "products": [row, ...]}`` with the same keys
(``type`` may be left out there).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Literal

from fairpos.domain.money import MoneyError, parse_amount
from fairpos.errors import FairposError
from fairpos.i18n import _

Unit = Literal["kg", "each"]
UNITS: tuple[Unit, ...] = ("kg", "each")
COLUMNS = ("type", "code", "barcode", "name_es", "name_en", "unit", "price", "price_class",
           "tags", "max_per_sale")
_PLU = re.compile(r"^\d{1,8}$")
_CLASS_CODE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,15}$")
_BARCODE = re.compile(r"^\d{8,14}$")
_TAG = re.compile(r"^[a-z0-9_-]{1,32}$")
MAX_ROWS = 100_000


class CatalogError(FairposError, ValueError):
    """A catalog file that cannot be imported; ``where`` says which line or item."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


def fold(text: str) -> str:
    """Lower case without accents, for searching: ``Piña`` → ``pina``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The folded words of a name: ``Pasta corta (Coop.)`` → ``['pasta', 'corta', 'coop']``."""
    return re.findall(r"\w+", fold(text))


@dataclass(frozen=True)
class PriceClass:
    code: str
    name_es: str
    name_en: str
    price_per_kg: int  # minor units of the pricing currency

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_es


@dataclass(frozen=True)
class Product:
    plu: str
    name_es: str
    name_en: str
    unit: Unit
    price: int | None  # minor units per kg or per item; None when the price class decides
    price_class: str | None = None
    barcode: str | None = None
    tags: frozenset[str] = field(default_factory=frozenset)
    max_per_sale: int | None = None  # grams (by weight) or a count (by the piece) in one sale

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_es


@dataclass(frozen=True)
class Catalog:
    """One immutable catalog version."""

    version: int
    currency: str
    price_classes: Mapping[str, PriceClass]
    products: Mapping[str, Product]
    _barcodes: Mapping[str, str] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, version: int, currency: str, price_classes: Iterable[PriceClass],
              products: Iterable[Product]) -> Catalog:
        by_plu = {p.plu: p for p in products}
        return cls(version, currency, {c.code.upper(): c for c in price_classes}, by_plu,
                   {p.barcode: p.plu for p in by_plu.values() if p.barcode})

    def unit_price(self, product: Product) -> int:
        """Price per kg (weighed) or per item (counted), in pricing-currency minor units."""
        if product.price_class is not None:
            return self.price_classes[product.price_class.upper()].price_per_kg
        assert product.price is not None
        return product.price

    def product(self, code: str) -> Product | None:
        """A product by PLU or barcode."""
        code = code.strip()
        found = self.products.get(code)
        if found is None and code in self._barcodes:
            found = self.products[self._barcodes[code]]
        return found

    def price_class(self, code: str) -> PriceClass | None:
        return self.price_classes.get(code.strip().upper())

    @cached_property
    def _search_words(self) -> list[tuple[Product, tuple[str, ...], tuple[tuple[str, ...],
                                                                        ...]]]:
        return [(p, tuple(words(f"{p.name_es} {p.name_en}")),
                 (tuple(words(p.name_es)), tuple(words(p.name_en))))
                for p in self.products.values()]

    def search(self, text: str, limit: int = 20) -> list[Product]:
        """Products with a word starting with each word of ``text``, accents and case ignored.

        ``pina`` finds "Piña" (not "Espinaca"); ``pasta 500`` finds every 500 g pasta. The
        closest come first: the name itself (``ajo``: Ajo before Ajoporro), then names with
        each word whole, then names that begin so, then the rest, each in catalog order.
        """
        wanted = tuple(words(text))
        if not wanted:
            return []
        found: list[tuple[int, int, Product]] = []
        for n, (product, have, names) in enumerate(self._search_words):
            if all(any(word.startswith(w) for word in have) for w in wanted):
                rank = (0 if wanted in names else
                        1 if all(w in have for w in wanted) else
                        2 if any(_begins(name, wanted) for name in names) else 3)
                found.append((rank, n, product))
        return [product for _rank, _n, product in sorted(found)[:limit]]


def _begins(name: tuple[str, ...], wanted: tuple[str, ...]) -> bool:
    """Whether a name's words begin with the words typed (the last one may be cut short)."""
    head = name[:len(wanted)]
    return len(head) == len(wanted) and head[:-1] == wanted[:-1] and \
        head[-1].startswith(wanted[-1])


@dataclass(frozen=True)
class CatalogDraft:
    """A parsed, checked catalog file, not yet stored (so it has no version)."""

    price_classes: tuple[PriceClass, ...]
    products: tuple[Product, ...]


def _rows_from_csv(text: str) -> Iterator[tuple[str, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text), strict=True)
    try:
        header = [h.strip() for h in (reader.fieldnames or [])]
    except csv.Error as err:
        raise CatalogError(_("line {line}").format(line=1),
                           _("malformed CSV ({error})").format(error=err)) from None
    if not header:
        raise CatalogError(_("line {line}").format(line=1), _("the file is empty"))
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise CatalogError(_("line {line}").format(line=1),
                           _("unknown column “{column}” (columns: {columns})").format(
                               column=unknown[0], columns=", ".join(COLUMNS)))
    for required in ("type", "code", "name_es", "unit", "price"):
        if required not in header:
            raise CatalogError(_("line {line}").format(line=1),
                               _("missing column “{column}”").format(column=required))
    reader.fieldnames = header
    while True:
        starts_at = reader.line_num + 1  # a quoted field may span lines
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as err:
            raise CatalogError(_("line {line}").format(line=starts_at),
                               _("malformed CSV ({error})").format(error=err)) from None
        where = _("line {line}").format(line=reader.line_num)
        if None in row:
            raise CatalogError(where, _("more fields than columns"))
        if not any((value or "").strip() for value in row.values()):
            continue
        yield where, {k: (v or "").strip() for k, v in row.items()}


def _rows_from_json(text: str) -> Iterator[tuple[str, dict[str, str]]]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        raise CatalogError(_("line {line}").format(line=err.lineno),
                           _("not valid JSON ({error})").format(error=err.msg)) from None
    if not isinstance(data, dict) or not set(data) <= {"price_classes", "products"}:
        raise CatalogError(_("line {line}").format(line=1),
                           _("expected an object with “price_classes” and “products” lists"))
    for key, kind in (("price_classes", "class"), ("products", "product")):
        items = data.get(key, [])
        if not isinstance(items, list):
            raise CatalogError(key, _("must be a list"))
        for index, item in enumerate(items):
            where = f"{key}[{index}]"
            if not isinstance(item, dict):
                raise CatalogError(where, _("must be an object"))
            unknown = [k for k in item if k not in COLUMNS]
            if unknown:
                raise CatalogError(where, _("unknown key “{column}”").format(column=unknown[0]))
            row = {k: "" if v is None else str(v).strip() for k, v in item.items()}
            if row.setdefault("type", kind) != kind:
                raise CatalogError(where, _("“type” must be “{kind}” here").format(kind=kind))
            yield where, row


def parse_catalog(text: str, fmt: Literal["csv", "json"], currency: str) -> CatalogDraft:
    """Parse and check a whole catalog file; the first problem raises CatalogError."""
    rows = _rows_from_csv(text) if fmt == "csv" else _rows_from_json(text)
    classes: dict[str, PriceClass] = {}
    products: dict[str, Product] = {}
    barcodes: dict[str, str] = {}
    pending: list[tuple[str, Product]] = []
    for count, (where, row) in enumerate(rows, start=1):
        if count > MAX_ROWS:
            raise CatalogError(where, _("too many rows (at most {most})").format(most=MAX_ROWS))
        kind = row.get("type", "").lower()
        if kind == "class":
            price_class = _price_class(where, row, currency)
            if price_class.code in classes:
                raise CatalogError(where, _("price class {code} appears twice").format(
                    code=price_class.code))
            classes[price_class.code] = price_class
        elif kind == "product":
            product = _product(where, row, currency)
            if product.plu in products:
                raise CatalogError(where, _("PLU {plu} appears twice").format(plu=product.plu))
            if product.barcode:
                if product.barcode in barcodes:
                    raise CatalogError(where, _("barcode {code} is already PLU {plu}").format(
                        code=product.barcode, plu=barcodes[product.barcode]))
                barcodes[product.barcode] = product.plu
            products[product.plu] = product
            pending.append((where, product))
        else:
            raise CatalogError(where, _("“type” must be “class” or “product”, not “{value}”")
                               .format(value=row.get("type", "")))
    for where, product in pending:
        if product.price_class is not None and product.price_class not in classes:
            raise CatalogError(where, _("unknown price class “{code}”").format(
                code=product.price_class))
    if not products and not classes:
        raise CatalogError(_("line {line}").format(line=1), _("the catalog has no rows"))
    return CatalogDraft(tuple(classes.values()), tuple(products.values()))


def _names(where: str, row: dict[str, str]) -> tuple[str, str]:
    name_es = row.get("name_es", "")
    if not name_es:
        raise CatalogError(where, _("the Spanish name (name_es) is empty"))
    if len(name_es) > 80 or len(row.get("name_en", "")) > 80:
        raise CatalogError(where, _("a name is longer than 80 characters"))
    return name_es, row.get("name_en", "") or name_es


def _price(where: str, text: str, currency: str) -> int:
    try:
        return parse_amount(text, currency, allow_zero=False).minor
    except MoneyError as err:
        raise CatalogError(where, _("price: {reason}").format(reason=err)) from None


def _price_class(where: str, row: dict[str, str], currency: str) -> PriceClass:
    code = row.get("code", "")
    if not _CLASS_CODE.match(code):
        raise CatalogError(where, _("a price class code is letters, e.g. G (got “{code}”)")
                           .format(code=code))
    if row.get("unit", "kg").lower() not in ("", "kg"):
        raise CatalogError(where, _("a price class is sold by the kilo (unit kg)"))
    for column in ("barcode", "price_class"):
        if row.get(column):
            raise CatalogError(where, _("a price class has no {column}").format(column=column))
    name_es, name_en = _names(where, row)
    return PriceClass(code.upper(), name_es, name_en, _price(where, row.get("price", ""),
                                                             currency))


def _product(where: str, row: dict[str, str], currency: str) -> Product:
    plu = row.get("code", "")
    if not _PLU.match(plu):
        raise CatalogError(where, _("a PLU is 1 to 8 digits (got “{code}”)").format(code=plu))
    unit = row.get("unit", "").lower()
    if unit not in UNITS:
        raise CatalogError(where, _("unit must be kg or each, not “{unit}”").format(
            unit=row.get("unit", "")))
    barcode = row.get("barcode", "") or None
    if barcode is not None and not _BARCODE.match(barcode):
        raise CatalogError(where, _("a barcode is 8 to 14 digits (got “{code}”)").format(
            code=barcode))
    price_class = row.get("price_class", "").upper() or None
    price_text = row.get("price", "")
    if price_class is not None:
        if unit != "kg":
            raise CatalogError(where, _("only products sold by the kilo can be in a price class"))
        if price_text:
            raise CatalogError(where, _("a product in a price class takes the class price; "
                                        "leave its price empty"))
        price = None
    else:
        if not price_text:
            raise CatalogError(where, _("the price is empty"))
        price = _price(where, price_text, currency)
    tags = frozenset(t.strip().lower() for t in row.get("tags", "").split("|") if t.strip())
    bad = [t for t in tags if not _TAG.match(t)]
    if bad:
        raise CatalogError(where, _("“{tag}” is not a tag (letters, digits, - and _)").format(
            tag=bad[0]))
    name_es, name_en = _names(where, row)
    return Product(plu, name_es, name_en, unit, price, price_class, barcode, tags,
                   _most(where, str(row.get("max_per_sale", "") or "").strip(), unit))


def _most(where: str, text: str, unit: Unit) -> int | None:
    """``max_per_sale``: kilos (three decimals at most) by weight, a count by the piece."""
    if not text:
        return None
    pattern = r"[0-9]{1,4}(\.[0-9]{1,3})?" if unit == "kg" else r"[0-9]{1,6}"
    if re.fullmatch(pattern, text) is None or not Decimal(text):
        raise CatalogError(where, _("max_per_sale is kilos (e.g. 2.5) for a product by "
                                    "weight, a count (e.g. 3) for one by the piece (got "
                                    "“{text}”)").format(text=text))
    return int(Decimal(text) * 1000) if unit == "kg" else int(text)
