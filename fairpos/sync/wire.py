"""The wire protocol between a stall and the ledger: pure data, shared by both ends.

A sale travels as canonical JSON (sorted keys, no spaces, UTF-8) with integer minor units and
integer grams; its SHA-256 is what the ledger compares when the same id arrives again. The
ledger checks every sale with :func:`check_sale` before it stores it.

    POST /v1/sales/batch      {"device_id": "...", "sales": [sale, ...]}  (gzip accepted)
      → {"accepted": [id], "duplicate": [id], "rejected": [{"id", "reason"}],
         "conflict": [{"id", "reason"}], "max_contiguous_seq": n}
    GET  /v1/devices/{id}/sync-state   → resume point, missing seqs, figures per business date
    POST /v1/devices/{id}/day-close    {"business_date", figures} → match | pending | mismatch
    GET  /v1/catalog, /v1/rates        → the newest published version, ETag / 304
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from fairpos.cart import Line, line_amount
from fairpos.errors import FairposError
from fairpos.money import Money, MoneyError, Rate, Rates, check_currency
from fairpos.sale import Sale
from fairpos.tenders import Tender

WIRE_VERSION = 1
MAX_BATCH = 200  # sales per request
MAX_BODY = 16 * 1024 * 1024  # bytes of JSON a request may decompress to
SALE_ID = re.compile(r"^([0-9A-Z]{1,16})-(\d{6,})$")


class WireError(FairposError, ValueError):
    """A payload that is not a well-formed sale or request; the message says what is wrong."""


class BodyTooLarge(WireError):
    """A request body that decompresses to more than the ledger takes."""


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def token_hash(token: str) -> str:
    """What the ledger keeps of a device's token (the token itself is never stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def payload_hash(data: Any) -> str:
    return hashlib.sha256(canonical(data)).hexdigest()


def encode_body(data: Any) -> bytes:
    """A request body, gzipped (the stall's uplink is the slow part)."""
    return gzip.compress(canonical(data), compresslevel=6)


def decode_body(body: bytes, gzipped: bool, limit: int = MAX_BODY) -> Any:
    """JSON from a request body; a gzip body is inflated at most to ``limit`` bytes."""
    if gzipped:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            body = inflater.decompress(body, limit + 1)
        except zlib.error as err:
            raise WireError(f"the body is not valid gzip ({err})") from None
        if len(body) > limit or inflater.unconsumed_tail:
            raise BodyTooLarge(f"the body is larger than {limit} bytes")
    elif len(body) > limit:
        raise BodyTooLarge(f"the body is larger than {limit} bytes")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise WireError(f"the body is not JSON ({err})") from None


def split_id(sale_id: str) -> tuple[str, int]:
    """``'K7Q2XM-000123'`` → (``'K7Q2XM'``, 123)."""
    match = SALE_ID.match(sale_id) if isinstance(sale_id, str) else None
    if match is None:
        raise WireError(f"{sale_id!r} is not a sale id (DEVICE-000123)")
    return match.group(1), int(match.group(2))


# -- a sale, both ways ---------------------------------------------------------------------


def sale_to_wire(sale: Sale) -> dict[str, Any]:
    return {
        "v": WIRE_VERSION,
        "id": sale.id,
        "seq": sale.seq,
        "kind": sale.kind,
        "ref_id": sale.ref_id,
        "reason": sale.reason,
        "shift": sale.shift_id,
        "business_date": sale.business_date,
        "confirmed_at": sale.confirmed_at.isoformat(),
        "volunteer": sale.volunteer,
        "training": sale.training,
        "currency": sale.total.currency,
        "total": sale.total.minor,
        "lines": [
            {"kind": line.kind, "code": line.code, "name_es": line.name_es,
             "name_en": line.name_en, "price_class": line.price_class, "grams": line.grams,
             "count": line.count, "unit_price": line.unit_price, "amount": line.amount,
             "voided": line.voided, "tags": sorted(line.tags), "scale_frame": line.scale_frame}
            for line in sale.lines
        ],
        "tenders": [
            {"method": t.method, "currency": t.amount.currency, "amount": t.amount.minor,
             "reference": dict(t.reference), "verified": t.verified}
            for t in sale.tenders
        ],
        "change": {"currency": sale.change.currency, "amount": sale.change.minor},
        "catalog_version": sale.catalog_version,
        "rates": [
            {"base": r.base, "quote": r.quote, "value": str(r.value), "version": r.version,
             "effective": r.effective.isoformat()}
            for r in sale.rates
        ],
    }


def _get(data: Mapping[str, Any], key: str, kind: type | tuple[type, ...],
         optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise WireError(f"{key!r} is missing or not a {getattr(kind, '__name__', kind)}")
    return value


def sale_from_wire(data: Any) -> Sale:
    """A sale from its wire form; :class:`WireError` says what is malformed."""
    if not isinstance(data, dict):
        raise WireError("a sale must be a JSON object")
    try:
        currency = check_currency(_get(data, "currency", str))
        lines = []
        for item in _get(data, "lines", list):
            if not isinstance(item, dict):
                raise WireError("a line must be a JSON object")
            kind = _get(item, "kind", str)
            if kind not in ("product", "class"):
                raise WireError(f"unknown line kind {kind!r}")
            lines.append(Line(
                kind, _get(item, "code", str), _get(item, "name_es", str),
                _get(item, "name_en", str), _get(item, "unit_price", int),
                _get(item, "amount", int), _get(item, "grams", int, optional=True),
                _get(item, "count", int, optional=True),
                _get(item, "price_class", str, optional=True),
                frozenset(_get(item, "tags", list)), bool(_get(item, "voided", bool)),
                _get(item, "scale_frame", str, optional=True)))
        tenders = [
            Tender(_get(t, "method", str),
                   Money(_get(t, "amount", int), check_currency(_get(t, "currency", str))),
                   dict(_get(t, "reference", dict)), bool(_get(t, "verified", bool)))
            for t in _get(data, "tenders", list)
        ]
        change = _get(data, "change", dict)
        rates = tuple(
            Rate(check_currency(_get(r, "base", str)), check_currency(_get(r, "quote", str)),
                 Decimal(_get(r, "value", str)), _get(r, "version", int),
                 date.fromisoformat(_get(r, "effective", str)))
            for r in _get(data, "rates", list))
        kind = _get(data, "kind", str)
        if kind not in ("sale", "void", "refund"):
            raise WireError(f"unknown entry kind {kind!r}")
        sale = Sale(
            _get(data, "id", str), _get(data, "seq", int), kind, _get(data, "shift", int),
            date.fromisoformat(_get(data, "business_date", str)).isoformat(),
            datetime.fromisoformat(_get(data, "confirmed_at", str)),
            _get(data, "volunteer", str), bool(_get(data, "training", bool)),
            Money(_get(data, "total", int), currency), tuple(lines), tuple(tenders),
            Money(_get(change, "amount", int), check_currency(_get(change, "currency", str))),
            _get(data, "catalog_version", int, optional=True), rates,
            _get(data, "ref_id", str, optional=True), _get(data, "reason", str, optional=True))
    except (MoneyError, InvalidOperation, TypeError, AttributeError) as err:
        raise WireError(f"malformed sale ({err})") from None
    except ValueError as err:  # dates and times
        raise WireError(str(err)) from None
    if split_id(sale.id)[1] != sale.seq:
        raise WireError(f"sale {sale.id} says seq {sale.seq}")
    return sale


def check_sale(sale: Sale, currencies: Iterable[str] | None = None,
               catalog_versions: Iterable[int] | None = None) -> str | None:
    """Why the ledger must not count this sale (None: it adds up).

    Each line's amount is its weight or count times its price, rounded half up; the total is
    the sum of the lines that are not voided; the tenders, less the change, pay the total to
    within half a minor unit of the coarsest currency of the sale (the till's own rule).
    ``currencies`` and ``catalog_versions``: what the ledger knows (None: not checked).
    """
    sign = -1 if sale.kind in ("void", "refund") else 1
    for n, line in enumerate(sale.lines, start=1):
        if (line.grams is None) == (line.count is None):
            return f"line {n} has both or neither of grams and count"
        quantity = line.grams if line.grams is not None else line.count
        assert quantity is not None
        if quantity * sign <= 0 or line.unit_price < 0:
            return f"line {n} has a quantity or price of the wrong sign"
        expected = line_amount(line.unit_price, grams=abs(line.grams)) \
            if line.grams is not None else line_amount(line.unit_price, count=abs(quantity))
        if line.amount != sign * expected:
            return (f"line {n}: {abs(quantity)} × {line.unit_price} is {expected}, "
                    f"not {abs(line.amount)}")
    total = sum(line.amount for line in sale.lines if not line.voided)
    if total != sale.total.minor:
        return f"the lines add up to {total}, not to the total {sale.total.minor}"
    used = {sale.total.currency, sale.change.currency,
            *(t.amount.currency for t in sale.tenders)}
    if currencies is not None and not used <= set(currencies):
        return f"unknown currency {', '.join(sorted(used - set(currencies)))}"
    if (catalog_versions is not None and sale.catalog_version is not None
            and sale.catalog_version not in set(catalog_versions)):
        return f"unknown catalog version {sale.catalog_version}"
    rates = Rates(sale.total.currency, {r.quote: r for r in sale.rates
                                        if r.base == sale.total.currency})
    try:
        paid = sum((rates.value_of(t.amount) for t in sale.tenders), Fraction(0))
        change = rates.value_of(sale.change)
        coarsest = max(rates.value_of(Money(1, c)) for c in rates.currencies())
    except MoneyError:
        return "a tender is in a currency the sale has no rate for"
    if abs(paid - change - sale.total.minor) > coarsest / 2:
        return (f"the tenders less the change ({float(paid - change):.2f}) do not pay the "
                f"total ({sale.total.minor})")
    return None


# -- figures of a day, computed the same way at both ends ---------------------------------


@dataclass
class DayFigures:
    """A device's entries of one business date: how many, up to which seq, and the money
    (training entries are counted but their money is not)."""

    business_date: str
    count: int = 0
    max_seq: int = 0
    totals: dict[str, int] = field(default_factory=dict)  # pricing currency → minor
    tenders: dict[str, int] = field(default_factory=dict)  # "method:currency" → minor

    def add(self, sale: Mapping[str, Any]) -> None:
        self.count += 1
        self.max_seq = max(self.max_seq, int(sale["seq"]))
        if sale.get("training"):
            return
        self.totals[sale["currency"]] = self.totals.get(sale["currency"], 0) + sale["total"]
        for t in sale["tenders"]:
            key = f"{t['method']}:{t['currency']}"
            self.tenders[key] = self.tenders.get(key, 0) + t["amount"]
        change = sale["change"]
        if change["amount"]:
            key = f"cash:{change['currency']}"
            self.tenders[key] = self.tenders.get(key, 0) - change["amount"]

    def to_json(self) -> dict[str, Any]:
        return {"business_date": self.business_date, "count": self.count,
                "max_seq": self.max_seq, "totals": dict(sorted(self.totals.items())),
                "tenders": dict(sorted((k, v) for k, v in self.tenders.items() if v))}

    @classmethod
    def of(cls, business_date: str, sales: Iterable[Mapping[str, Any]]) -> DayFigures:
        figures = cls(business_date)
        for sale in sales:
            figures.add(sale)
        return figures
