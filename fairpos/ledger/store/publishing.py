"""What the centre publishes — catalogs, rates and voucher programs — and what a lane's
entries are checked against (:class:`~fairpos.sync.sale_entries.Known`), re-read only when a
publication changed it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from contextlib import suppress
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from fairpos.domain.catalog import CatalogError, parse_catalog
from fairpos.domain.money import MoneyError, Rate, check_currency, parse_rate
from fairpos.domain.tenders import BUILTIN_METHODS
from fairpos.i18n import _
from fairpos.ledger.store.core import (
    LedgerCore,
    LedgerError,
    Published,
)
from fairpos.sync.sale_entries import Known
from fairpos.sync.wire import WireError

# what tells whether anything entries are checked against has changed: the view
# ``known_mark`` (counted publications, in the migrations)
KNOWN_MARK = "SELECT catalogs, rate_sets, vouchers FROM known_mark"


class Publishing(LedgerCore):
    """Catalogs, rates and voucher programs, published here or adopted from the centre."""

    def known(self) -> Known:
        """What entries are checked against: the payment methods (built in, and the vouchers
        added here), and — once anything is published — its currencies, catalog versions and
        price classes. Read again only when something was published or added since."""
        return self._known_as_of(tuple(self._all(KNOWN_MARK)[0]))[1]

    def _known_as_of(self, mark: tuple[Any, ...] | None) -> tuple[tuple[Any, ...], Known]:
        """What entries are checked against as of ``mark`` (:data:`KNOWN_MARK`, as just
        read), or as last read when ``mark`` is None; with the mark it was read at. Read by
        one thread at a time: a reconnection wave's first batches wait for one reading
        instead of each making its own."""
        cached = self._known
        if cached is not None and (mark is None or cached[0] == mark):
            return cached
        with self._known_lock:
            cached = self._known
            if cached is not None and (mark is None or cached[0] == mark):
                return cached
            if mark is None:
                mark = tuple(self._all(KNOWN_MARK)[0])
            self._known = (mark, self._read_known())
            return self._known

    def _read_known(self) -> Known:
        methods = frozenset({*BUILTIN_METHODS, *self.vouchers()})
        catalogs = self._all("SELECT version, currency, format, body FROM catalogs")
        currencies = {row["currency"] for row in catalogs}
        rate_sets: dict[int, dict[tuple[str, str, date], Decimal]] = {}
        for row in self._all("SELECT version, body FROM rate_sets"):
            rates = json.loads(row["body"])["rates"]
            rate_sets[row["version"]] = {
                (r["base"], r["quote"], date.fromisoformat(r["effective"])): Decimal(r["value"])
                for r in rates}
            for rate in rates:
                currencies.update((rate["base"], rate["quote"]))
        classes: set[str] = set()
        prices: dict[int, dict[tuple[str, str], int]] = {}
        for row in catalogs:
            try:
                draft = parse_catalog(row["body"], "json" if row["format"] == "json" else "csv",
                                      row["currency"])
            except (CatalogError, MoneyError):
                continue  # (checked when published: not reached)
            per_kg = {c.code: c.price_per_kg for c in draft.price_classes}
            classes.update(per_kg)
            prices[row["version"]] = {
                **{("class", code): price for code, price in per_kg.items()},
                **{("product", p.plu): p.price if p.price is not None
                   else per_kg[str(p.price_class).upper()] for p in draft.products}}
        return Known(methods, frozenset(currencies), frozenset(classes),
                     frozenset(row["version"] for row in catalogs), rate_sets, prices,
                     lagging=self.relays)

    def add_voucher(self, code: str, name: str) -> None:
        """A voucher or market token the lanes take (its code as in their ``[[vouchers]]``):
        from now on a tender of it is a known payment method here."""
        from fairpos.sync.sale_entries import METHOD, check_text

        if METHOD.fullmatch(code) is None or code in BUILTIN_METHODS:
            raise LedgerError(_("“{code}” cannot be a voucher code (lower-case letters, digits "
                                "and _)").format(code=code))
        try:
            check_text(name, "name", 120, empty=False)
        except WireError as err:
            raise LedgerError(str(err)) from None
        with self.transaction() as conn:
            conn.execute("INSERT INTO vouchers VALUES (?,?,?) ON CONFLICT (code) DO UPDATE "
                         "SET name = excluded.name", [code, name.strip(), self.clock()])

    def adopt_vouchers(self, vouchers: Any) -> None:
        """At a hub: the voucher programs the centre takes (code → name), taken here too
        (one that is not well-formed is left out: the centre's own entries say why)."""
        if not isinstance(vouchers, dict):
            return
        known = self.vouchers()
        for code, name in vouchers.items():
            if known.get(code) != name:
                with suppress(LedgerError):
                    self.add_voucher(str(code), str(name))

    def vouchers(self) -> dict[str, str]:
        return {row[0]: row[1] for row in self._all("SELECT code, name FROM vouchers "
                                                     "ORDER BY code")}

    def day_rates(self, business_date: str, currency: str) -> dict[str, Rate]:
        """The rates from ``currency`` in force on a business date, to value its tenders: the
        newest the ledger published effective by then, else the newest a lane set itself."""
        day = date.fromisoformat(business_date)
        found: dict[str, tuple[tuple[date, int], Rate]] = {}
        for version, rates in self.known().rate_sets.items():
            for (base, quote, effective), value in rates.items():
                key = (effective, version)
                if base == currency and effective <= day and (
                        quote not in found or found[quote][0] < key):
                    found[quote] = (key, Rate(base, quote, value, version, effective))
        chosen = {quote: rate for quote, (_key, rate) in found.items()}
        for quote, version, value in self._all(
                "SELECT quote, version, value FROM lane_rates WHERE base = ? ORDER BY version",
                [currency]):
            if quote not in found:
                chosen[quote] = Rate(currency, quote, Decimal(value), int(version), day)
        return chosen

    def publish(self, text: str, name: str, currency: str) -> tuple[str, int]:
        """Publish a catalog (CSV or JSON, as the stalls import) or a rates file (CSV with
        ``base,quote,rate,effective``) as a new immutable version: ("catalog"|"rates", n)."""
        first = text.lstrip("\ufeff").splitlines()[0] if text.strip() else ""
        if first.replace(" ", "").lower().startswith("base,quote"):
            return "rates", self._publish_rates(text)
        fmt: Literal["csv", "json"] = "json" if name.lower().endswith(".json") else "csv"
        try:
            parse_catalog(text, fmt, check_currency(currency))
        except (CatalogError, MoneyError) as err:
            raise LedgerError(f"{name}: {err}") from None
        with self.transaction() as conn:
            version = conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM catalogs"
                                   ).fetchone()[0]
            conn.execute("INSERT INTO catalogs VALUES (?,?,?,?,?,?)",
                         [version, self.clock(), currency, fmt, text,
                          hashlib.sha256(text.encode()).hexdigest()])
        return "catalog", int(version)

    def _publish_rates(self, text: str) -> int:
        rates = []
        for n, row in enumerate(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))), start=2):
            try:
                rates.append({"base": check_currency(row["base"]),
                              "quote": check_currency(row["quote"]),
                              "value": str(parse_rate(row["rate"])),
                              "effective": date.fromisoformat(row["effective"].strip())
                              .isoformat()})
            except (KeyError, AttributeError, ValueError) as err:
                raise LedgerError(_("rates line {n}: {error}").format(n=n, error=err)) from None
        if not rates:
            raise LedgerError(_("the rates file has no rates"))
        with self.transaction() as conn:
            version = conn.execute("SELECT COALESCE(MAX(version), 0) + 1 FROM rate_sets"
                                   ).fetchone()[0]
            conn.execute("INSERT INTO rate_sets VALUES (?,?,?)",
                         [version, self.clock(), json.dumps({"rates": rates})])
        return int(version)

    def _newest(self, table: str) -> dict[str, Any] | None:
        rows = self._all(f"SELECT * FROM {table} ORDER BY version DESC LIMIT 1")
        return dict(rows[0]) if rows else None

    def catalog(self) -> Published | None:
        """The newest catalog: version, published_at, currency, format, body, sha256."""
        row = self._newest("catalogs")
        return None if row is None else Published(row["version"], row)

    def rates(self) -> Published | None:
        """The newest rates: version, published_at and the list of rates."""
        row = self._newest("rate_sets")
        if row is None:
            return None
        rates = json.loads(row.pop("body"))
        return Published(row["version"], {**row, **rates})

    def class_names(self) -> dict[str, dict[str, str]]:
        """Each price class's names in the newest catalog: code → {"es": …, "en": …}. The
        catalog is read again only when a newer one was published."""
        newest = self._all("SELECT MAX(version) FROM catalogs")[0][0]
        if newest is None:
            return {}
        if self._class_names is None or self._class_names[0] != newest:
            row = self._newest("catalogs")
            assert row is not None
            try:
                draft = parse_catalog(row["body"], "json" if row["format"] == "json"
                                      else "csv", row["currency"])
            except (CatalogError, MoneyError):  # (checked when published: not reached)
                return {}
            self._class_names = (row["version"], {
                c.code: {"es": c.name_es, "en": c.name_en or c.name_es}
                for c in draft.price_classes})
        return self._class_names[1]
