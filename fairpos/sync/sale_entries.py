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

import json
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, TypeVar, cast

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from fairpos.domain.cart import Line, LineKind
from fairpos.domain.money import Money, Rate
from fairpos.domain.sale import EntryKind, Sale
from fairpos.domain.tenders import Tender
from fairpos.sync.sale_rules import MAX_MINOR, check_sale
from fairpos.sync.wire import (
    MAX_DEPTH,
    WIRE_VERSION,
    WireError,
    entry_bytes,
    named_id,
    too_deep,
)

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
LABEL = re.compile(r"[0-9()\x1d]{8,64}", re.ASCII)  # a label's code: digits (and AIs' marks)
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
MOMENT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]{8,15}([+-][0-9]{2}:[0-9]{2}|Z)?",
                    re.ASCII)
ASCII_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
# bidirectional overrides and isolates: they turn a name around on a treasurer's page
BIDI = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


class NotKnownYet(WireError):
    """What the entry names is not known to this ledger *yet*: a currency, a catalog or a
    rates version that is published elsewhere (at the centre, not yet at this hub) or later.
    The entry is held as pending — not stored, not refused — and sent again by its lane."""

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
    # a hub's: a payment method it does not know may be published at the centre already
    # (a voucher program), so an entry naming one waits for it instead of being refused
    lagging: bool = False
    # rates already read against this: a day's entries carry the same few (see _rate)
    rates_read: dict[tuple[Any, ...], Rate] = field(default_factory=dict, compare=False,
                                                    repr=False)


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


T = TypeVar("T")


# -- the shape of an entry: keys, JSON types, bounds and lengths, checked at C speed ------------
#
# Everything else (patterns, known codes, canonical text, the arithmetic) is checked in
# :func:`_sale_of` and :func:`check_sale`, with reasons in the schema's own words.

Minor = Annotated[int, Meta(ge=-MAX_MINOR, le=MAX_MINOR)]
Price = Annotated[int, Meta(ge=0, le=MAX_MINOR)]
Grams = Annotated[int, Meta(ge=-MAX_GRAMS, le=MAX_GRAMS)]
Count = Annotated[int, Meta(ge=-MAX_COUNT, le=MAX_COUNT)]
Small = Annotated[int, Meta(ge=1, le=MAX_SMALL)]
Seq = Annotated[int, Meta(ge=1, le=MAX_SEQ)]
Code = Annotated[str, Meta(max_length=TEXT_LIMITS["code"])]
Name = Annotated[str, Meta(max_length=TEXT_LIMITS["name"])]
Tag = Annotated[str, Meta(max_length=TEXT_LIMITS["tag"])]
PriceClass = Annotated[str, Meta(max_length=TEXT_LIMITS["price_class"])]
Volunteer = Annotated[str, Meta(max_length=TEXT_LIMITS["volunteer"])]
Reason = Annotated[str, Meta(max_length=TEXT_LIMITS["reason"])]
Reference = Annotated[str, Meta(max_length=TEXT_LIMITS["reference"])]
Short = Annotated[str, Meta(max_length=64)]  # ids, codes and dates (their patterns below)
Frame = Annotated[str, Meta(max_length=512)]


class WireLine(Struct, forbid_unknown_fields=True, gc=False):
    kind: Short
    code: Code
    name_es: Name
    name_en: Name
    price_class: PriceClass | None
    grams: Grams | None
    count: Count | None
    unit_price: Price
    amount: Minor
    voided: bool
    tags: Annotated[list[Tag], Meta(max_length=MAX_TAGS)]
    scale_frame: Frame | None
    label: Annotated[str, Meta(max_length=64)] | UnsetType = UNSET  # the label scanned
    tare: Grams | UnsetType = UNSET  # the container's weight taken off (grams is the net)


class WireTender(Struct, forbid_unknown_fields=True, gc=False):
    method: Short
    currency: Short
    amount: Minor
    reference: Annotated[dict[Short, Reference], Meta(max_length=8)]
    verified: bool


class WireChange(Struct, forbid_unknown_fields=True, gc=False):
    currency: Short
    amount: Minor
    # change not given in the change currency's cash: sent by pago móvil, or the rest of it
    # given in another currency's cash (absent when there is none)
    sent: Annotated[list[WireTender], Meta(max_length=MAX_TENDERS)] | UnsetType = UNSET


class WireIgtf(Struct, forbid_unknown_fields=True, gc=False):
    amount: Minor  # the IGTF paid on top of the total
    base: Minor  # the part of the total it was charged on


class WireRate(Struct, forbid_unknown_fields=True, gc=False):
    base: Short
    quote: Short
    value: Short
    version: Small
    effective: Short
    published: Small | UnsetType | None = UNSET  # the ledger's rates version it comes from
    reason: Reason | UnsetType | None = UNSET  # why the lane set it itself


class WireSale(Struct, forbid_unknown_fields=True, gc=False):
    v: int
    id: Short
    seq: Seq
    kind: Short
    shift: Small
    business_date: Short
    confirmed_at: Short
    volunteer: Volunteer
    training: bool
    currency: Short
    total: Minor
    lines: Annotated[list[WireLine], Meta(min_length=1, max_length=MAX_LINES)]
    tenders: Annotated[list[WireTender], Meta(max_length=MAX_TENDERS)]
    change: WireChange
    rates: Annotated[list[WireRate], Meta(max_length=MAX_RATES)]
    # (absent and null are told apart, so that the entry is written back as it came)
    ref_id: Short | UnsetType | None = UNSET
    reason: Reason | UnsetType | None = UNSET
    catalog_version: Small | UnsetType | None = UNSET
    catalog_published: bool | UnsetType = UNSET
    igtf: WireIgtf | UnsetType = UNSET


_SHAPE = msgspec.json.Decoder(WireSale)
_CANONICAL = msgspec.json.Encoder(order="sorted")  # (the bytes canonical() makes of it)


def _given(value: T | UnsetType) -> T | None:
    return None if isinstance(value, UnsetType) else value

# msgspec's words for what is out of shape, and the schema's ("at `$.lines[0].grams`")
_SAID = [
    (re.compile(r"Expected `str` of length <= (\d+)"), "{at} is longer than {0} characters"),
    (re.compile(r"Expected `(?:array|object)` of length <= (\d+)"),
     "{at} has more than {0} items"),
    (re.compile(r"Expected `(?:array|object)` of length >= (\d+)"),
     "{at} must have at least {0} item(s)"),
    (re.compile(r"Expected `int` ([<>]=) (-?\d+)"), "{at} is out of range ({0} {1})"),
    (re.compile(r"Expected `int(?: \| null)?`, got"), "{at} must be a whole number"),
    (re.compile(r"Expected `bool`, got"), "{at} must be true or false"),
    (re.compile(r"Expected `str(?: \| null)?`, got"), "{at} must be text"),
    (re.compile(r"Expected `array`, got"), "{at} must be a list"),
    (re.compile(r"Expected `object`, got"), "{at} must be a JSON object"),
    (re.compile(r"Object contains unknown field `(.*)`"), "{at} has unknown fields: '{0}'"),
    (re.compile(r"Object missing required field `(.*)`"), "{at} lacks {0}"),
]
_AT = re.compile(r" - at `\$(.*)`$")


def _said(err: msgspec.ValidationError) -> str:
    """msgspec's account of an entry out of shape, in the schema's words; what it quotes of
    the entry (a field's name) shown printable and short: a reason is stored and shown."""
    text = str(err)
    at = _AT.search(text)
    where = f"entry{at.group(1)}" if at and at.group(1) else "the entry"
    where = where.replace("entry.", "").replace("`key` in ", "a key of ")
    for pattern, words in _SAID:
        found = pattern.match(text)
        if found:
            text = words.format(*found.groups(), at=where)
            break
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= 300 else text[:299] + "…"


@dataclass(frozen=True, slots=True)
class SaleEntry:
    """An entry as read off the wire: its canonical bytes (what is stored and hashed), its
    fields when it has the shape of one, and the sale — or the reason it is refused."""

    payload: bytes
    wire: WireSale | None  # None: not even the shape of an entry
    sale: Sale | None
    reason: str | None
    # the reason is only what the ledger does not know yet (a currency, a catalog or rates
    # version published elsewhere or later): the entry waits, it is not refused
    pending: bool = False

    @property
    def named(self) -> Any:
        """The id the entry gives itself, if any."""
        if self.wire is not None:
            return self.wire.id
        if too_deep(self.payload):  # (read without building it)
            return named_id(self.payload)
        try:  # (json reads what msgspec will not: text that is not valid Unicode)
            data = json.loads(self.payload)
        except (ValueError, RecursionError):
            return None
        return data.get("id") if isinstance(data, dict) else None


def read_sale_entry(raw: bytes, known: Known | None = None) -> SaleEntry:
    """One entry's JSON, checked against the whole schema (see the module's docstring);
    never raises for the entry's sake: whatever is wrong with it is its reason."""
    known = known or Known()
    try:
        wire = _SHAPE.decode(raw)
    except msgspec.ValidationError as err:
        data, payload = _as_sent(raw)
        return SaleEntry(payload, None, None, _said(err))
    except (msgspec.DecodeError, RecursionError) as err:
        data, payload = _as_sent(raw)
        return SaleEntry(payload, None, None, _unreadable(raw, data, err))
    payload = _CANONICAL.encode(wire)
    try:
        sale = _sale_of(wire, payload, known)
        reason = check_sale(sale) or check_published(sale, wire, known)
    except NotKnownYet as err:
        return SaleEntry(payload, wire, None, str(err), pending=True)
    except WireError as err:
        return SaleEntry(payload, wire, None, str(err))
    return SaleEntry(payload, wire, None if reason else sale, reason)


def _as_sent(raw: bytes) -> tuple[Any, bytes]:
    """An entry out of shape, as it can be kept in quarantine: its JSON if it is JSON at all,
    and canonical bytes of it (the bytes as sent, made valid UTF-8, when not)."""
    try:
        if too_deep(raw):
            raise ValueError(raw)
        data = json.loads(raw)
    except (ValueError, RecursionError):  # (not JSON, or an integer of thousands of digits)
        return None, raw.decode("utf-8", "replace").encode()
    return data, entry_bytes(data)


def _unreadable(raw: bytes, data: Any, err: Exception) -> str:
    """Why an entry msgspec could not read is refused: it nests too deep, it is not JSON,
    or a text in it is not valid Unicode (a lone surrogate)."""
    if isinstance(err, RecursionError) or too_deep(raw):
        return f"the entry nests deeper than {MAX_DEPTH} levels"
    if data is None:
        return f"the entry is not JSON ({str(err)[:80]})"
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend([*value.keys(), *value.values()])
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, str):
            try:
                check_text(value, "a text", len(value))
            except WireError as bad:
                return str(bad)
    return f"the entry cannot be read ({str(err)[:80]})"


def _sale_of(wire: WireSale, payload: bytes, known: Known) -> Sale:
    """The sale of an entry in shape, once its codes, dates and text are right."""
    if wire.v != WIRE_VERSION:
        raise WireError(f"unknown wire version {_shown(wire.v)}")
    device, number = split_id(wire.id)
    if number != wire.seq:
        raise WireError(f"entry {wire.id} says seq {wire.seq}")
    kind, ref_id, reason = wire.kind, _given(wire.ref_id), _given(wire.reason)
    if kind not in ("sale", "void", "refund"):
        raise WireError(f"unknown entry kind {_shown(kind)}")
    if kind == "sale" and ref_id is not None:
        raise WireError("a sale refers to no other entry")
    if kind != "sale":
        if ref_id is None or split_id(ref_id)[0] != device:
            raise WireError(f"a {kind} refers to an entry of its own device")
        if reason is None or not reason.strip():
            raise WireError(f"a {kind} needs its reason")
    catalog_version = _given(wire.catalog_version)
    if catalog_version is not None and known.catalog_versions and \
            catalog_version not in known.catalog_versions:
        raise NotKnownYet(f"unknown catalog version {catalog_version}")
    plain = _plain(payload)  # (then no text of it needs check_text)
    if not plain:
        check_text(wire.volunteer, "volunteer", TEXT_LIMITS["volunteer"])
        if reason is not None:
            check_text(reason, "reason", TEXT_LIMITS["reason"])
    moment = _matched(wire.confirmed_at, MOMENT, "confirmed_at")
    try:
        confirmed_at = datetime.fromisoformat(moment)
    except ValueError:
        raise WireError(f"confirmed_at {moment} is not a moment") from None
    _day(wire.business_date, "business_date")  # (then it is its ISO form already)
    sent = _given(wire.change.sent)
    return Sale(
        wire.id, wire.seq, cast(EntryKind, kind), wire.shift, wire.business_date,
        confirmed_at, wire.volunteer, wire.training,
        Money(wire.total, _currency(wire.currency, known)),
        tuple([_line(line, n, known, plain) for n, line in enumerate(wire.lines, start=1)]),
        tuple([_tender(tender, n, known, plain)
               for n, tender in enumerate(wire.tenders, start=1)]),
        Money(wire.change.amount, _currency(wire.change.currency, known)),
        catalog_version,
        tuple([_rate(rate, n, known, plain) for n, rate in enumerate(wire.rates, start=1)]),
        ref_id, reason,
        tuple([_tender(tender, n, known, plain, "change sent")
               for n, tender in enumerate(sent, start=1)]) if sent else (),
        *((wire.igtf.amount, wire.igtf.base) if isinstance(wire.igtf, WireIgtf) else (0, 0)))


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _plain(payload: bytes) -> bool:
    """Whether no text in an entry (its canonical JSON) can hold what :func:`check_text`
    refuses, so that its texts need not be checked one by one. In canonical JSON a control
    character is written escaped: with no backslash and no DEL there is none. Of the rest,
    each character that is not ASCII is looked at once, wherever it is; and the whole is in
    NFC exactly when each text is, since what lies between texts is ASCII punctuation, which
    composes with nothing. (The lengths were checked with the shape.)"""
    if b"\\" in payload or b"\x7f" in payload:
        return False
    if payload.isascii():
        return True
    text = payload.decode()
    for char in set(_NON_ASCII.findall(text)):
        if unicodedata.category(char) in ("Cc", "Cs", "Co", "Cn") or char in BIDI:
            return False
    return unicodedata.is_normalized("NFC", text)


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


def _matched(value: str, pattern: re.Pattern[str], what: str) -> str:
    if pattern.fullmatch(value) is None:
        raise WireError(f"{what} {_shown(value)} is not well-formed")
    return value


def _currency(code: str, known: Known) -> str:
    if code in known.currencies:  # (the usual case: a code the network uses)
        return code
    _matched(code, CURRENCY, "currency")
    if known.currencies:
        raise NotKnownYet(f"unknown currency {code}")
    return code


def _day(text: str, what: str) -> date:
    _matched(text, DATE, what)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise WireError(f"{what} {text} is not a date") from None


_NO_TAGS: frozenset[str] = frozenset()


def _line(line: WireLine, n: int, known: Known, plain: bool) -> Line:
    if line.kind not in ("product", "class"):
        raise WireError(f"line {n}: unknown kind {_shown(line.kind)}")
    if line.price_class is not None and known.price_classes and \
            line.price_class not in known.price_classes:
        raise WireError(f"line {n}: unknown price class {_shown(line.price_class)}")
    if not line.code.strip():
        raise WireError(f"line {n}: code is empty")
    tags = line.tags
    _check_tags(tags, n)
    if not plain:
        for what, text in (("code", line.code), ("name_es", line.name_es),
                           ("name_en", line.name_en), ("price_class", line.price_class),
                           *((f"line {n} tag", tag) for tag in line.tags)):
            if text is not None:
                check_text(text, what, len(text))
    if line.scale_frame is not None:
        _matched(line.scale_frame, SCALE_FRAME, "scale_frame")
    label = _given(line.label)
    if label is not None:
        _matched(label, LABEL, "label")
    tare = _given(line.tare)
    if tare is not None:
        _check_tare(tare, line.grams, n)
    return Line(cast(LineKind, line.kind), line.code, line.name_es, line.name_en,
                line.unit_price, line.amount, line.grams, line.count, line.price_class,
                frozenset(tags) if tags else _NO_TAGS, line.voided, line.scale_frame, label,
                tare=tare)


def _check_tags(tags: list[str], n: int) -> None:
    """A line's tags: none empty, none twice."""
    for tag in tags:
        if not tag.strip():
            raise WireError(f"line {n}: a tag is empty")
    if len(set(tags)) != len(tags):
        raise WireError(f"line {n}: a tag is given twice")


def _check_tare(tare: int, grams: int | None, n: int) -> None:
    """A tare is only on a weight, with its sign, and the two within a line's bound."""
    if grams is None or tare == 0 or (tare < 0) != (grams < 0):
        raise WireError(f"line {n}: a tare is only on a weight, with the weight's sign")
    if abs(grams) + abs(tare) > MAX_GRAMS:
        raise WireError(f"line {n}: the weight and its tare are more than {MAX_GRAMS} g")


def _tender(tender: WireTender, n: int, known: Known, plain: bool,
            what: str = "tender") -> Tender:
    method = tender.method
    if method not in known.methods:
        _matched(method, METHOD, "method")
    if known.methods and method not in known.methods:
        refusal = NotKnownYet if known.lagging else WireError
        raise refusal(f"{what} {n}: unknown payment method {_shown(method)}")
    for key, value in tender.reference.items():
        if REFERENCE_KEY.fullmatch(key) is None:
            raise WireError(f"{what} {n}: reference field {_shown(key)} is not well-formed")
        if not plain:
            check_text(value, f"{what} {n} {key}", TEXT_LIMITS["reference"])
    return Tender(method, Money(tender.amount, _currency(tender.currency, known)),
                  dict(tender.reference), tender.verified)


_RATES_KEPT = 1024  # rates read kept per Known, at most


def _rate(rate: WireRate, n: int, known: Known, plain: bool) -> Rate:
    """A rate of the entry, checked. One that passed before is taken as it was read: its
    checks depend only on its own fields and on what ``known`` knows."""
    key = (rate.base, rate.quote, rate.value, rate.version, rate.effective, rate.published,
           rate.reason)
    read = known.rates_read.get(key)
    if read is None:
        read = _read_rate(rate, n, known, plain)
        if len(known.rates_read) < _RATES_KEPT:
            known.rates_read[key] = read
    return read


def _read_rate(rate: WireRate, n: int, known: Known, plain: bool) -> Rate:
    value = Decimal(_matched(rate.value, RATE_VALUE, "value"))
    if value <= 0:
        raise WireError(f"rate {n} must be more than zero")
    reason = _given(rate.reason)
    if _given(rate.published) is not None and reason is not None:
        raise WireError(f"rate {n} is either published by the ledger or set at the lane")
    if reason is not None and not plain:
        check_text(reason, "reason", TEXT_LIMITS["reason"])
    return Rate(_currency(rate.base, known), _currency(rate.quote, known), value,
                rate.version, _day(rate.effective, "effective"))


def check_published(sale: Sale, wire: WireSale, known: Known) -> str | None:
    """Why the entry's prices or rates are not what the ledger published (None: they are,
    or they are the lane's own). A rate marked ``published: N`` must be rates vN's; when the
    catalog is marked published, each line's price must be that catalog version's. (A checker
    that knows no published rates or catalogs — the lane's own — checks neither.)"""
    for n, (rate, item) in enumerate(zip(sale.rates, wire.rates, strict=True), start=1):
        version = _given(item.published)
        if version is None or not known.rate_sets:
            continue
        published = known.rate_sets.get(version)
        if published is None:
            raise NotKnownYet(f"rate {n} names rates v{version}, which the ledger has not "
                              f"published")
        value = published.get((rate.base, rate.quote, rate.effective))
        if value != rate.value:
            theirs = "none" if value is None else value
            return (f"rate {n}: {rate.base}→{rate.quote} {rate.value} from {rate.effective} "
                    f"is not rates v{version}'s ({theirs})")
    if wire.catalog_published is True and sale.catalog_version is not None and \
            known.catalog_prices:
        prices = known.catalog_prices.get(sale.catalog_version)
        if prices is None:
            raise NotKnownYet(f"the entry names catalog v{sale.catalog_version}, which the "
                              f"ledger has not published")
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
    entry = read_sale_entry(entry_bytes(data), known)
    if entry.sale is None:
        raise WireError(entry.reason)
    return entry.sale
