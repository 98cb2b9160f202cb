"""What an entry on the wire may be: the one strict schema of a sale, void or refund.

The ledger checks every entry here before it takes the store's lock, ``ledger import`` checks
every entry of a bundle here, and the stall checks its own entries here before it sends them.
An entry is refused as a whole, with a reason, when any of it is outside the schema:

- the keys are exactly the known ones, of the right JSON types (``true`` is not a number);
- integers are bounded (:data:`MAX_MINOR` for money, :data:`MAX_GRAMS`, :data:`MAX_COUNT`,
  :data:`MAX_SEQ`), so nothing the ledger adds up can overflow (see :data:`MAX_MINOR`);
- text is canonical: NFC, no control, surrogate or bidirectional-override characters, each
  field capped in length;
- the id is exactly ``DEVICE-NNNNNN`` in ASCII, and its number is the entry's ``seq``;
- payment methods, currencies, price classes and catalog versions are ones the checker knows
  (:class:`Known`); a sale pays with non-negative tenders, a void or refund gives them back;
- a sale has at least one line; rates are plain decimals (no exponent, no NaN);
- then the arithmetic: each line's amount, the total, and the tenders less the change.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from typing import Any

from fairpos.cart import Line, line_amount
from fairpos.money import Money, MoneyError, Rate, Rates
from fairpos.sale import Sale
from fairpos.sync.wire import WIRE_VERSION, WireError
from fairpos.tenders import Tender

# Money in minor units, any one amount, price, total, tender or change. A sale's lines all
# have its sign and add up to its total, and its tenders are bounded the same way, so a day's
# sum of totals, tenders or line amounts is at most (entries that day) × MAX_MINOR: a 64-bit
# sum (9.2 × 10¹⁸) holds 92 million entries of the largest amount in one day — a network of
# 300 lanes rings up some 10⁵. (10¹¹ minor units is a billion of the currency's units.)
MAX_MINOR = 10**11
MAX_GRAMS = 10**7  # 10 tonnes on one line
MAX_COUNT = 10**6
MAX_SEQ = 10**12 - 1  # the id's number has at most 12 digits
MAX_SMALL = 10**9  # shift numbers, catalog and rate versions
MAX_LINES = 500
MAX_TENDERS = 20
MAX_RATES = 20
MAX_TAGS = 16
TEXT_LIMITS = {"code": 32, "name": 120, "volunteer": 80, "reason": 300, "tag": 32,
               "reference": 64, "price_class": 16}

DEVICE = re.compile(r"[0-9A-Z]{1,16}", re.ASCII)
SALE_ID = re.compile(r"([0-9A-Z]{1,16})-([0-9]{6,12})", re.ASCII)
CURRENCY = re.compile(r"[A-Z]{3}", re.ASCII)
METHOD = re.compile(r"[a-z][a-z0-9_]{0,31}", re.ASCII)
REFERENCE_KEY = re.compile(r"[a-z][a-z0-9_]{0,15}", re.ASCII)
RATE_VALUE = re.compile(r"[0-9]{1,12}(\.[0-9]{1,8})?", re.ASCII)
SCALE_FRAME = re.compile(r"[0-9a-f]{0,512}", re.ASCII)
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,15}([+-][0-9]{2}:[0-9]{2}|Z)?",
                    re.ASCII)
ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# bidirectional overrides and isolates: they turn a name around on a treasurer's page
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

SALE_KEYS = frozenset({"v", "id", "seq", "kind", "ref_id", "reason", "shift", "business_date",
                       "confirmed_at", "volunteer", "training", "currency", "total", "lines",
                       "tenders", "change", "catalog_version", "catalog_published", "rates"})
SALE_OPTIONAL = frozenset({"ref_id", "reason", "catalog_version", "catalog_published"})
LINE_KEYS = frozenset({"kind", "code", "name_es", "name_en", "price_class", "grams", "count",
                       "unit_price", "amount", "voided", "tags", "scale_frame"})
TENDER_KEYS = frozenset({"method", "currency", "amount", "reference", "verified"})
CHANGE_KEYS = frozenset({"currency", "amount"})
RATE_KEYS = frozenset({"base", "quote", "value", "version", "effective", "published",
                       "reason"})
RATE_OPTIONAL = frozenset({"published", "reason"})  # published: the ledger's rates version


@dataclass(frozen=True)
class Known:
    """What the checker knows of the network (an empty set: anything well-formed)."""

    methods: frozenset[str] = frozenset()
    currencies: frozenset[str] = frozenset()
    price_classes: frozenset[str] = frozenset()
    catalog_versions: frozenset[int] = frozenset()
    # published rates: version → (base, quote, effective date) → value
    rate_sets: Mapping[int, Mapping[tuple[str, str, date], Decimal]] = field(
        default_factory=dict)
    # published catalogs: version → (line kind, PLU or class code) → price per kg or per item
    catalog_prices: Mapping[int, Mapping[tuple[str, str], int]] = field(default_factory=dict)


def split_id(sale_id: Any) -> tuple[str, int]:
    """``'K7Q2XM-000123'`` → (``'K7Q2XM'``, 123); WireError for anything else."""
    match = SALE_ID.fullmatch(sale_id) if isinstance(sale_id, str) else None
    if match is None:
        raise WireError(f"{_shown(sale_id)} is not an entry id (DEVICE-000123)")
    return match.group(1), int(match.group(2))


def check_device_id(device_id: Any) -> str:
    if not isinstance(device_id, str) or DEVICE.fullmatch(device_id) is None:
        raise WireError(f"{_shown(device_id)} is not a device id")
    return device_id


def _shown(value: Any, limit: int = 40) -> str:
    """A value as it can be quoted back in a reason: short, and printable."""
    text = repr(value)
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= limit else text[:limit] + "…"


def _object(value: Any, keys: frozenset[str], what: str,
            required: Collection[str] | None = None) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WireError(f"{what} must be a JSON object")
    present = value.keys()
    if present == keys:  # (the usual case, checked at C speed)
        return value
    unknown = present - keys
    if unknown:
        raise WireError(f"{what} has unknown fields: {_shown(sorted(unknown))}")
    missing = (keys if required is None else required) - present
    if missing:
        raise WireError(f"{what} lacks {', '.join(sorted(missing))}")
    return value


def _int(data: Mapping[str, Any], key: str, low: int, high: int,
         optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if type(value) is not int:
        raise WireError(f"{key} must be a whole number")
    if not low <= value <= high:
        raise WireError(f"{key} is out of range ({low} to {high})")
    return value


def _bool(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key)
    if type(value) is not bool:
        raise WireError(f"{key} must be true or false")
    return value


def _text(data: Mapping[str, Any], key: str, limit: int, optional: bool = False,
          empty: bool = True) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    return check_text(value, key, limit, empty)


def check_text(value: Any, what: str, limit: int, empty: bool = True) -> str:
    """Canonical text: a string of at most ``limit`` characters, NFC, nothing invisible."""
    if not isinstance(value, str):
        raise WireError(f"{what} must be text")
    if len(value) > limit:
        raise WireError(f"{what} is longer than {limit} characters")
    if not empty and not value.strip():
        raise WireError(f"{what} is empty")
    if value.isascii():  # most text: only the control characters to look for
        control = ASCII_CONTROL.search(value)
        if control is not None:
            raise WireError(f"{what} holds a control or invalid character "
                            f"(U+{ord(control.group()):04X})")
        return value
    for char in value:
        if char < "\x80" and ASCII_CONTROL.match(char) is None:
            continue
        category = unicodedata.category(char)
        if category in ("Cc", "Cs", "Co", "Cn") or char in BIDI:
            raise WireError(f"{what} holds a control or invalid character "
                            f"(U+{ord(char):04X})")
    if not unicodedata.is_normalized("NFC", value):
        raise WireError(f"{what} is not in canonical (NFC) form")
    return value


def _pattern(data: Mapping[str, Any], key: str, pattern: re.Pattern[str],
             optional: bool = False) -> Any:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str) or pattern.fullmatch(value) is None:
        raise WireError(f"{key} {_shown(value)} is not well-formed")
    return value


def _currency(data: Mapping[str, Any], key: str, known: Known) -> str:
    code: str = _pattern(data, key, CURRENCY)
    if known.currencies and code not in known.currencies:
        raise WireError(f"unknown currency {code}")
    return code


def _date(data: Mapping[str, Any], key: str) -> date:
    text = _pattern(data, key, DATE)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise WireError(f"{key} {text} is not a date") from None


def _list(data: Mapping[str, Any], key: str, low: int, high: int) -> list[Any]:
    value = data.get(key)
    if not isinstance(value, list):
        raise WireError(f"{key} must be a list")
    if not low <= len(value) <= high:
        raise WireError(f"{key} must have {low} to {high} items")
    return value


def _line(item: Any, n: int, known: Known) -> Line:
    data = _object(item, LINE_KEYS, f"line {n}")
    kind = data["kind"]
    if kind not in ("product", "class"):
        raise WireError(f"line {n}: unknown kind {_shown(kind)}")
    price_class = _text(data, "price_class", TEXT_LIMITS["price_class"], optional=True)
    if price_class is not None and known.price_classes and \
            price_class not in known.price_classes:
        raise WireError(f"line {n}: unknown price class {_shown(price_class)}")
    tags = _list(data, "tags", 0, MAX_TAGS)
    for tag in tags:
        check_text(tag, f"line {n} tag", TEXT_LIMITS["tag"], empty=False)
    if len(set(tags)) != len(tags):
        raise WireError(f"line {n}: a tag is given twice")
    return Line(
        kind, _text(data, "code", TEXT_LIMITS["code"], empty=False),
        _text(data, "name_es", TEXT_LIMITS["name"]), _text(data, "name_en", TEXT_LIMITS["name"]),
        _int(data, "unit_price", 0, MAX_MINOR), _int(data, "amount", -MAX_MINOR, MAX_MINOR),
        _int(data, "grams", -MAX_GRAMS, MAX_GRAMS, optional=True),
        _int(data, "count", -MAX_COUNT, MAX_COUNT, optional=True), price_class,
        frozenset(tags), _bool(data, "voided"),
        _pattern(data, "scale_frame", SCALE_FRAME, optional=True))


def _tender(item: Any, n: int, known: Known) -> Tender:
    data = _object(item, TENDER_KEYS, f"tender {n}")
    method = _pattern(data, "method", METHOD)
    if known.methods and method not in known.methods:
        raise WireError(f"tender {n}: unknown payment method {_shown(method)}")
    reference = data["reference"]
    if not isinstance(reference, dict):
        raise WireError(f"tender {n} reference must be a JSON object")
    if len(reference) > 8:
        raise WireError(f"tender {n}: too many reference fields")
    for key, value in reference.items():
        if REFERENCE_KEY.fullmatch(key) is None:
            raise WireError(f"tender {n}: reference field {_shown(key)} is not well-formed")
        check_text(value, f"tender {n} {key}", TEXT_LIMITS["reference"])
    return Tender(method, Money(_int(data, "amount", -MAX_MINOR, MAX_MINOR),
                                _currency(data, "currency", known)),
                  dict(reference), _bool(data, "verified"))


def _rate(item: Any, n: int, known: Known) -> Rate:
    data = _object(item, RATE_KEYS, f"rate {n}", required=RATE_KEYS - RATE_OPTIONAL)
    value = Decimal(_pattern(data, "value", RATE_VALUE))
    if value <= 0:
        raise WireError(f"rate {n} must be more than zero")
    published = _int(data, "published", 1, MAX_SMALL, optional=True)
    reason = _text(data, "reason", TEXT_LIMITS["reason"], optional=True)
    if published is not None and reason is not None:
        raise WireError(f"rate {n} is either published by the ledger or set at the lane")
    return Rate(_currency(data, "base", known), _currency(data, "quote", known), value,
                _int(data, "version", 1, MAX_SMALL), _date(data, "effective"))


def sale_from_wire(data: Any, known: Known | None = None) -> Sale:
    """An entry from its wire form, checked against the whole schema (see the module's
    docstring); WireError says what is wrong, in one line."""
    known = known or Known()
    data = _object(data, SALE_KEYS, "an entry", required=SALE_KEYS - SALE_OPTIONAL)
    if "catalog_published" in data:
        _bool(data, "catalog_published")
    if type(data["v"]) is not int or data["v"] != WIRE_VERSION:
        raise WireError(f"unknown wire version {_shown(data['v'])}")
    sale_id = data["id"]
    seq = _int(data, "seq", 1, MAX_SEQ)
    if split_id(sale_id)[1] != seq:
        raise WireError(f"entry {sale_id} says seq {seq}")
    kind = data["kind"]
    if kind not in ("sale", "void", "refund"):
        raise WireError(f"unknown entry kind {_shown(kind)}")
    ref_id = data.get("ref_id")
    reason = _text(data, "reason", TEXT_LIMITS["reason"], optional=True)
    if kind == "sale" and ref_id is not None:
        raise WireError("a sale refers to no other entry")
    if kind != "sale":
        if ref_id is None or split_id(ref_id)[0] != split_id(sale_id)[0]:
            raise WireError(f"a {kind} refers to an entry of its own device")
        if reason is None or not reason.strip():
            raise WireError(f"a {kind} needs its reason")
    catalog_version = _int(data, "catalog_version", 1, MAX_SMALL, optional=True)
    if catalog_version is not None and known.catalog_versions and \
            catalog_version not in known.catalog_versions:
        raise WireError(f"unknown catalog version {catalog_version}")
    moment = _pattern(data, "confirmed_at", MOMENT)
    try:
        confirmed_at = datetime.fromisoformat(moment)
    except ValueError:
        raise WireError(f"confirmed_at {moment} is not a moment") from None
    change = _object(data["change"], CHANGE_KEYS, "change")
    return Sale(
        sale_id, seq, kind, _int(data, "shift", 1, MAX_SMALL),
        _date(data, "business_date").isoformat(), confirmed_at,
        _text(data, "volunteer", TEXT_LIMITS["volunteer"]), _bool(data, "training"),
        Money(_int(data, "total", -MAX_MINOR, MAX_MINOR), _currency(data, "currency", known)),
        tuple(_line(item, n, known)
              for n, item in enumerate(_list(data, "lines", 1, MAX_LINES), start=1)),
        tuple(_tender(item, n, known)
              for n, item in enumerate(_list(data, "tenders", 0, MAX_TENDERS), start=1)),
        Money(_int(change, "amount", -MAX_MINOR, MAX_MINOR), _currency(change, "currency", known)),
        catalog_version,
        tuple(_rate(item, n, known)
              for n, item in enumerate(_list(data, "rates", 0, MAX_RATES), start=1)),
        ref_id, reason)


def check_sale(sale: Sale) -> str | None:
    """Why the entry does not add up (None: it does).

    Each line's amount is its weight or count times its price, rounded half up, with the
    entry's sign; the total is the sum of the lines that are not voided; tenders and change
    have the entry's sign and are bounded together; the tenders, less the change, pay the
    total to within half a minor unit of the coarsest currency of the sale (the till's rule).
    """
    sign = -1 if sale.kind in ("void", "refund") else 1
    for n, line in enumerate(sale.lines, start=1):
        if (line.grams is None) == (line.count is None):
            return f"line {n} has both or neither of grams and count"
        quantity = line.grams if line.grams is not None else line.count
        assert quantity is not None
        if quantity * sign <= 0:
            return f"line {n} has a quantity of the wrong sign"
        expected = line_amount(line.unit_price, grams=abs(quantity)) \
            if line.grams is not None else line_amount(line.unit_price, count=abs(quantity))
        if line.amount != sign * expected:
            return (f"line {n}: {abs(quantity)} × {line.unit_price} is {expected}, "
                    f"not {abs(line.amount)}")
    total = sum(line.amount for line in sale.lines if not line.voided)
    if total != sale.total.minor:
        return f"the lines add up to {total}, not to the total {sale.total.minor}"
    given = [t.amount.minor for t in sale.tenders] + [sale.change.minor]
    if any(amount * sign < 0 for amount in given):
        return ("a tender or the change has the wrong sign (a sale takes payments, a void or "
                "refund gives them back)")
    if sum(abs(amount) for amount in given) > MAX_MINOR:
        return "the tenders and the change are too large"
    pricing = sale.total.currency
    if sale.change.currency == pricing and all(t.amount.currency == pricing
                                               for t in sale.tenders):
        paid_minor = sum(t.amount.minor for t in sale.tenders) - sale.change.minor
        if paid_minor != sale.total.minor:  # (one currency: to the minor unit)
            return (f"the tenders less the change ({paid_minor}) do not pay the total "
                    f"({sale.total.minor})")
        return None
    rates = Rates(sale.total.currency, {r.quote: r for r in sale.rates
                                        if r.base == sale.total.currency})
    try:
        paid = sum((rates.value_of(t.amount) for t in sale.tenders), Fraction(0))
        change = rates.value_of(sale.change)
        coarsest = max(rates.value_of(Money(1, c)) for c in rates.currencies())
    except MoneyError:
        return "a tender is in a currency the entry has no rate for"
    if abs(paid - change - sale.total.minor) > coarsest / 2:
        return (f"the tenders less the change ({float(paid - change):.2f}) do not pay the "
                f"total ({sale.total.minor})")
    return None


def check_published(sale: Sale, data: Mapping[str, Any], known: Known) -> str | None:
    """Why the entry's prices or rates are not what the ledger published (None: they are,
    or they are the lane's own). A rate marked ``published: N`` must be rates vN's; when the
    catalog is marked published, each line's price must be that catalog version's. (A checker
    that knows no published rates or catalogs — the lane's own — checks neither.)"""
    for n, (rate, item) in enumerate(zip(sale.rates, data["rates"], strict=True), start=1):
        version = item.get("published")
        if version is None or not known.rate_sets:
            continue
        published = known.rate_sets.get(version)
        if published is None:
            return f"rate {n} names rates v{version}, which the ledger has not published"
        value = published.get((rate.base, rate.quote, rate.effective))
        if value != rate.value:
            theirs = "none" if value is None else value
            return (f"rate {n}: {rate.base}→{rate.quote} {rate.value} from {rate.effective} "
                    f"is not rates v{version}'s ({theirs})")
    if data.get("catalog_published") and sale.catalog_version is not None and \
            known.catalog_prices:
        prices = known.catalog_prices.get(sale.catalog_version)
        if prices is None:
            return (f"the entry names catalog v{sale.catalog_version}, which the ledger has "
                    f"not published")
        for n, line in enumerate(sale.lines, start=1):
            price = prices.get((line.kind, line.code))
            if price != line.unit_price:
                listed = "none" if price is None else price
                return (f"line {n}: {line.code} at {line.unit_price} is not catalog "
                        f"v{sale.catalog_version}'s price ({listed})")
    return None


def check_entry(data: Any, known: Known | None = None) -> Sale:
    """The entry, well-formed, adding up, at the published prices and rates it names;
    WireError with the reason otherwise."""
    known = known or Known()
    sale = sale_from_wire(data, known)
    reason = check_sale(sale) or check_published(sale, data, known)
    if reason is not None:
        raise WireError(reason)
    return sale
