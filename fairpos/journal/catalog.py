"""Catalog versions and exchange rates in the journal: each version immutable, the newest used."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from fairpos.domain.catalog import Catalog, CatalogDraft, PriceClass, Product
from fairpos.domain.money import Rate, Rates
from fairpos.i18n import _
from fairpos.journal.base import JournalBase
from fairpos.journal.records import JournalError

_NO_TAGS: frozenset[str] = frozenset()


LEDGER_RATES = "ledger rates v{version}"  # the reason of every rate the ledger published
LEDGER_RATES_PATTERN = re.compile(r"ledger rates v([0-9]+)")


class CatalogBook(JournalBase):
    """The catalog versions and rates this lane prices with."""

    _catalog: Catalog | None = None  # the newest version, kept for the till

    def import_catalog(self, draft: CatalogDraft, currency: str, source: str, sha256: str
                       ) -> int:
        """Store a checked catalog as a new immutable version; returns the version number."""
        with self.transaction():
            version = int(self.db.value(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM catalog_versions"))
            self._insert_catalog(version, draft, currency, source, sha256)
        self._catalog = None
        return version

    def apply_catalog(self, draft: CatalogDraft, currency: str, version: int, source: str,
                      sha256: str) -> bool:
        """A catalog published by the ledger, stored under the ledger's version number, in
        one transaction; only if it is newer than every version here."""
        with self.transaction():
            newest = int(self.db.value(
                "SELECT COALESCE(MAX(version), 0) FROM catalog_versions"))
            if version <= newest:
                return False
            self._insert_catalog(version, draft, currency, source, sha256)
        self._catalog = None
        return True

    def _insert_catalog(self, version: int, draft: CatalogDraft, currency: str, source: str,
                        sha256: str) -> None:
        self.db.execute(
            "INSERT INTO catalog_versions (version, currency, imported_at, source, sha256) "
            "VALUES (?,?,?,?,?)", [version, currency, self.clock().isoformat(), source, sha256])
        self.db.executemany(
            "INSERT INTO price_classes VALUES (?,?,?,?,?)",
            [(version, c.code, c.name_es, c.name_en, c.price_per_kg)
             for c in draft.price_classes])
        self.db.executemany(
            "INSERT INTO products (version, plu, barcode, name_es, name_en, unit, price, "
            "price_class, tags, max_per_sale) VALUES (?,?,?,?,?,?,?,?,?,?)",
            [(version, p.plu, p.barcode, p.name_es, p.name_en, p.unit, p.price, p.price_class,
              "|".join(sorted(p.tags)), p.max_per_sale) for p in draft.products])
        self._audit("catalog_import", version=version, source=source,
                    products=len(draft.products), price_classes=len(draft.price_classes))

    def has_catalog(self) -> bool:
        return self.db.one("SELECT 1 FROM catalog_versions LIMIT 1") is not None

    def catalog(self, version: int | None = None) -> Catalog:
        """A catalog version (the newest by default); the newest is kept once read."""
        if version is None and self._catalog is not None:
            return self._catalog
        row = self.db.one(
            "SELECT version, currency FROM catalog_versions WHERE version = "
            "COALESCE(?, (SELECT MAX(version) FROM catalog_versions))", [version])
        if row is None:
            raise JournalError(_("there is no catalog yet; import one with "
                                 "“fairpos catalog import FILE”"))
        classes = [PriceClass(r["code"], r["name_es"], r["name_en"], r["price_per_kg"])
                   for r in self.db.all("SELECT * FROM price_classes WHERE version = ?",
                                        [row["version"]])]
        products = [  # thousands of rows, read as the till starts: plain tuples
            Product(plu, name_es, name_en, unit, price, price_class, barcode,
                    frozenset(t for t in tags.split("|") if t) if tags else _NO_TAGS, most)
            for plu, name_es, name_en, unit, price, price_class, barcode, tags, most
            in self.db.tuples(
                "SELECT plu, name_es, name_en, unit, price, price_class, barcode, tags, "
                "max_per_sale FROM products WHERE version = ? ORDER BY CAST(plu AS INTEGER)",
                [row["version"]])
        ]
        catalog = Catalog.build(row["version"], row["currency"], classes, products)
        if version is None:
            self._catalog = catalog
        return catalog

    def set_rate(self, base: str, quote: str, value: Decimal, effective: date,
                 reason: str = "") -> Rate:
        with self.transaction():
            return self._insert_rate(base, quote, value, effective, reason)

    def apply_rates(self, rates: Sequence[tuple[str, str, Decimal, date]], version: int
                    ) -> bool:
        """A set of rates published by the ledger, in one transaction, if newer than the
        last set applied."""
        with self.transaction():
            if version <= int(self.sync_value("rates_version") or 0):
                return False
            for base, quote, value, effective in rates:
                self._insert_rate(base, quote, value, effective,
                                  LEDGER_RATES.format(version=version))
            self._set_sync("rates_version", str(version))
        return True

    def _insert_rate(self, base: str, quote: str, value: Decimal, effective: date,
                     reason: str) -> Rate:
        version = int(self.db.value(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM rates WHERE base = ? AND quote = ?",
            [base, quote]))
        self.db.execute(
            "INSERT INTO rates (base, quote, value, version, effective, entered_at, reason) "
            "VALUES (?,?,?,?,?,?,?)",
            [base, quote, str(value), version, effective.isoformat(),
             self.clock().isoformat(), reason])
        self._audit("rate_set", base=base, quote=quote, value=str(value), version=version,
                    effective=effective.isoformat(), reason=reason)
        return Rate(base, quote, value, version, effective)

    def catalog_source(self, version: int) -> str | None:
        """Where a catalog version came from: ``ledger``, or the file it was imported from."""
        value = self.db.value("SELECT source FROM catalog_versions WHERE version = ?",
                              [version])
        return None if value is None else str(value)

    def rate_origin(self, base: str, quote: str, version: int) -> int | str | None:
        """Where a rate came from: the ledger's rates version (an int), or the reason it was
        set here with (a str); None when there is no such rate."""
        reason = self.db.value("SELECT reason FROM rates WHERE base = ? AND quote = ? AND "
                               "version = ?", [base, quote, version])
        if reason is None:
            return None
        match = LEDGER_RATES_PATTERN.fullmatch(str(reason))
        return int(match.group(1)) if match else str(reason)

    def rates(self, currency: str, currencies: Sequence[str], on: date | None = None) -> Rates:
        """The newest rate effective on ``on`` (today) for each other currency that has one."""
        day = (on or self.clock().date()).isoformat()
        found: dict[str, Rate] = {}
        for quote in currencies:
            if quote == currency:
                continue
            row = self.db.one(
                "SELECT * FROM rates WHERE base = ? AND quote = ? AND effective <= ? "
                "ORDER BY version DESC LIMIT 1", [currency, quote, day])
            if row is not None:
                found[quote] = Rate(currency, quote, Decimal(row["value"]), row["version"],
                                    date.fromisoformat(row["effective"]))
        return Rates(currency, found)
