"""The wire protocol between a stall and the ledger: pure data, shared by both ends.

A sale travels as canonical JSON (sorted keys, no spaces, UTF-8) with integer minor units and
integer grams; its SHA-256 is what the ledger compares when the same id arrives again. The
ledger checks every sale against :mod:`fairpos.sync.sale_entries` before it stores it.

    POST /v1/sales/batch      {"device_id": "...", "sales": [sale, ...]}  (gzip accepted)
      → {"accepted": [id], "duplicate": [id], "rejected": [{"id", "reason"}],
         "conflict": [{"id", "reason"}], "max_contiguous_seq": n}
    POST /v1/shifts/batch     {"device_id": "...", "shifts": [entry, ...]}: a shift's opening
                              and close (:mod:`fairpos.sync.shift_entries`), the same reply
    GET  /v1/devices/{id}/sync-state   → resume point, missing seqs, figures per business date
    POST /v1/devices/{id}/day-close    {"business_date", figures, "shifts": [id]}
                                       → match | pending | mismatch (and what it lacks)
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
from typing import Any

import msgspec

from fairpos.domain.sale import Sale
from fairpos.errors import FairposError

WIRE_VERSION = 1
MAX_BATCH = 200  # sales per request
MAX_HUB_BATCH = 1000  # sales per request from a fair's hub (fewer trips on a slow uplink)
MAX_BODY = 16 * 1024 * 1024  # bytes of JSON a request may decompress to
MAX_DEPTH = 8  # levels of nesting in a request (a batch of sales with lines needs 5)


class WireError(FairposError, ValueError):
    """A payload that is not a well-formed sale or request; the message says what is wrong."""


class BodyTooLarge(WireError):
    """A request body that decompresses to more than the ledger takes."""


def canonical(data: Any) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_bytes(data: Any) -> bytes:
    """An entry's JSON as bytes, to be read by :func:`read_sale_entry` (canonical, or — for text
    that is not valid Unicode — with the bad characters escaped, so the reading says so)."""
    try:
        return canonical(data)
    except (UnicodeEncodeError, ValueError, RecursionError):  # e.g. a lone surrogate
        return json.dumps(data, sort_keys=True, separators=(",", ":")).encode()


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
    body = inflated(body, gzipped, limit)
    if too_deep(body):
        raise WireError(f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise WireError(f"the body is not JSON ({err})") from None
    except (ValueError, RecursionError) as err:  # e.g. an integer of thousands of digits
        raise WireError(f"the body cannot be read ({str(err)[:80]})") from None


class Batch(msgspec.Struct):
    """A batch as sent: the device it is for (a hub names it; a lane may), and each entry's
    JSON as it came, to be read one by one (a bad entry is refused on its own)."""

    sales: list[msgspec.Raw]
    device_id: Any = None


class ShiftBatch(msgspec.Struct):
    """A batch of shift entries (openings and closes), as :class:`Batch`."""

    shifts: list[msgspec.Raw]
    device_id: Any = None


class _Named(msgspec.Struct):
    id: Any = None


_BATCHES: dict[str, msgspec.json.Decoder[Batch] | msgspec.json.Decoder[ShiftBatch]] = {
    "sales": msgspec.json.Decoder(Batch), "shifts": msgspec.json.Decoder(ShiftBatch)}
_NAMED = msgspec.json.Decoder(_Named)


def decode_batch(body: bytes, gzipped: bool, limit: int = MAX_BODY, what: str = "sales"
                 ) -> tuple[Any, list[bytes]]:
    """A batch's device id and its entries' JSON bytes (``what``: "sales" or "shifts");
    WireError for a body that is not a batch (not JSON, nested too deep, or without its
    list of entries)."""
    body = inflated(body, gzipped, limit)
    try:
        batch = _BATCHES[what].decode(body)
    except msgspec.ValidationError as err:
        raise WireError(f"the body needs a list of {what} ({err})") from None
    except RecursionError:
        raise WireError(f"the body nests deeper than {MAX_DEPTH} levels") from None
    except msgspec.DecodeError:  # (e.g. text that is not valid Unicode: each entry says)
        return _read_slowly(body, what)
    entries = batch.sales if isinstance(batch, Batch) else batch.shifts
    return batch_device(batch.device_id), [bytes(raw) for raw in entries]


_DEVICE_ID = re.compile(r"[0-9A-Z]{1,16}", re.ASCII)  # (as sync.sale_entries.DEVICE)


def batch_device(device_id: Any) -> str | None:
    """The device a batch names (None: it names none); WireError for anything but a device
    id — never text that cannot even be stored or shown (a lone surrogate)."""
    if device_id is None:
        return None
    if not isinstance(device_id, str):
        raise WireError("device_id must be text")
    if _DEVICE_ID.fullmatch(device_id) is None:
        raise WireError("device_id is not a device id")
    return device_id


def _read_slowly(body: bytes, what: str) -> tuple[Any, list[bytes]]:
    data = decode_body(body, gzipped=False)
    sales = data.get(what) if isinstance(data, dict) else None
    if not isinstance(sales, list):
        raise WireError(f"the body needs a list of {what}")
    return batch_device(data.get("device_id")), [entry_bytes(sale) for sale in sales]


def named_id(entry: bytes) -> Any:
    """The id an entry's JSON names, if it is an object that names one."""
    try:
        return _NAMED.decode(entry).id
    except (msgspec.DecodeError, RecursionError):  # (refused with its reason when read)
        return None


def inflated(body: bytes, gzipped: bool, limit: int = MAX_BODY) -> bytes:
    """A request body, inflated if gzipped, at most ``limit`` bytes."""
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
    return body


_NOT_BRACKETS = bytes(b for b in range(256) if b not in b"[]{}")
_INNERMOST = re.compile(rb"\[\]|\{\}")


def too_deep(body: bytes, limit: int = 0) -> bool:
    """Whether the JSON in ``body`` nests deeper than ``limit`` (default MAX_DEPTH), found
    before parsing it: escaped backslashes and quotes taken out, the strings then left out
    (every other piece between quotes), only brackets kept, and innermost pairs taken away one
    level a pass — each step at C speed (``replace``, ``split``, ``translate``, a regex)."""
    unescaped = body.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[::2])
    brackets = outside.translate(None, _NOT_BRACKETS)
    for _level in range(limit or MAX_DEPTH):
        if not brackets:
            return False
        brackets = _INNERMOST.sub(b"", brackets)  # (one level: both kinds in one scan)
    return bool(brackets)


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
             "voided": line.voided, "tags": sorted(line.tags), "scale_frame": line.scale_frame,
             **({"label": line.label} if line.label else {}),
             **({"tare": line.tare} if line.tare else {})}
            for line in sale.lines
        ],
        "tenders": [
            {"method": t.method, "currency": t.amount.currency, "amount": t.amount.minor,
             "reference": dict(t.reference), "verified": t.verified}
            for t in sale.tenders
        ],
        "change": {"currency": sale.change.currency, "amount": sale.change.minor,
                   **({"sent": [
                       {"method": t.method, "currency": t.amount.currency,
                        "amount": t.amount.minor, "reference": dict(t.reference),
                        "verified": t.verified}
                       for t in sale.change_sent]} if sale.change_sent else {})},
        **({"igtf": {"amount": sale.igtf, "base": sale.igtf_base}} if sale.igtf else {}),
        "catalog_version": sale.catalog_version,
        "rates": [
            {"base": r.base, "quote": r.quote, "value": str(r.value), "version": r.version,
             "effective": r.effective.isoformat()}
            for r in sale.rates
        ],
    }


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
        for t in change.get("sent", ()):  # change sent by pago móvil
            key = f"{t['method']}:{t['currency']}"
            self.tenders[key] = self.tenders.get(key, 0) - t["amount"]

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
