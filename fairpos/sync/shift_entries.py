"""A shift on the wire: its opening and its close travel as entries of their own.

A lane sends two entries per shift, with the same exactly-once rules as its sales (the id is
the key, the payload's SHA-256 is compared when the id comes again, a bad entry is quarantined
with its reason):

- ``DEVICE-S000003-open``: who opened it, when, for which business date, and the float
  counted per currency;
- ``DEVICE-S000003-close``: the same, plus when it closed, every blind count as submitted (the
  first count, then each recount: per method and currency, what was expected and what was
  counted) and the reason given for a difference. The shift closed on its last count.

    POST /v1/shifts/batch   {"device_id": "...", "shifts": [entry, ...]}  (gzip accepted)
      → the same reply as a batch of sales
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec
from msgspec import UNSET, Meta, Struct, UnsetType

from fairpos.sync.sale_entries import (
    CURRENCY,
    DEVICE,
    METHOD,
    MOMENT,
    TEXT_LIMITS,
    Known,
    Minor,
    NotKnownYet,
    Reason,
    Short,
    Small,
    Volunteer,
    _day,
    _said,
    _shown,
    check_text,
)
from fairpos.sync.sale_rules import MAX_MINOR
from fairpos.sync.wire import WIRE_VERSION, WireError, canonical

SHIFT_ID = re.compile(r"([0-9A-Z]{1,16})-S([0-9]{6,12})-(open|close)", re.ASCII)
STAGES = ("open", "close")
MAX_ROUNDS = 20  # counts of one shift (the first, then recounts)
MAX_COUNT_LINES = 60  # methods × currencies counted at a close

Amount = Annotated[int, Meta(ge=0, le=MAX_MINOR)]


def shift_entry_id(device_id: str, shift: int, stage: str) -> str:
    """``('K7Q2XM', 3, 'close')`` → ``'K7Q2XM-S000003-close'``."""
    return f"{device_id}-S{shift:06d}-{stage}"


def split_shift_id(entry_id: Any) -> tuple[str, int, str]:
    """``'K7Q2XM-S000003-close'`` → (``'K7Q2XM'``, 3, ``'close'``); WireError otherwise."""
    match = SHIFT_ID.fullmatch(entry_id) if isinstance(entry_id, str) else None
    if match is None:
        raise WireError(f"{_shown(entry_id)} is not a shift entry id (DEVICE-S000123-close)")
    return match.group(1), int(match.group(2)), match.group(3)


class WireFloat(Struct, forbid_unknown_fields=True):
    currency: Short
    amount: Amount


class WireCountLine(Struct, forbid_unknown_fields=True):
    method: Short
    currency: Short
    expected: Minor
    counted: Amount


class WireCount(Struct, forbid_unknown_fields=True):
    round: Small
    counted_at: Short
    lines: Annotated[list[WireCountLine], Meta(max_length=MAX_COUNT_LINES)]


class WireShift(Struct, forbid_unknown_fields=True):
    v: int
    id: Short
    kind: Short
    shift: Small
    business_date: Short
    volunteer: Volunteer
    training: bool
    opened_at: Short
    floats: Annotated[list[WireFloat], Meta(max_length=MAX_COUNT_LINES)]
    # a close only
    closed_at: Short | UnsetType = UNSET
    counts: Annotated[list[WireCount], Meta(min_length=1, max_length=MAX_ROUNDS)] | \
        UnsetType = UNSET
    reason: Reason | UnsetType | None = UNSET


_SHAPE = msgspec.json.Decoder(WireShift)


@dataclass(frozen=True)
class CountedLine:
    """One method and currency of a shift's close: its float (cash), what was expected at
    the last count, what was counted first and at the last count."""

    method: str
    currency: str
    opening: int
    expected: int
    first_count: int
    counted: int

    @property
    def difference(self) -> int:
        """Positive: over; negative: short."""
        return self.counted - self.expected


@dataclass(frozen=True)
class ShiftEntry:
    """A shift entry as read off the wire: its canonical bytes, and its fields — or the
    reason it is refused."""

    entry_id: str  # as the entry names itself ("?" when it does not, legibly)
    payload: bytes
    device_id: str | None
    shift: int
    stage: str
    business_date: str
    volunteer: str
    training: bool
    at: str  # opened (an opening) or closed (a close)
    reason: str | None  # the volunteer's reason for a difference
    lines: tuple[CountedLine, ...]  # a close's, cash first
    refused: str | None
    pending: bool = False  # refused only for what the ledger does not know yet: it waits


def read_shift_entry(raw: bytes, known: Known | None = None) -> ShiftEntry:
    """One shift entry's JSON, checked; never raises for the entry's sake: whatever is
    wrong with it is its ``refused`` reason."""
    known = known or Known()
    try:  # (every field is typed: nothing deep is ever descended into)
        wire = _SHAPE.decode(raw)
    except msgspec.ValidationError as err:
        return _refused(raw, _said(err))
    except (msgspec.DecodeError, RecursionError) as err:
        return _refused(raw, f"the entry is not JSON ({str(err)[:80]})")
    payload = canonical(msgspec.to_builtins(wire))
    try:
        return _entry_of(wire, payload, known)
    except NotKnownYet as err:  # (held as pending, sent again: never refused for it)
        return _refused(raw, str(err), wire.id, pending=True)
    except WireError as err:
        return _refused(raw, str(err), wire.id)


def _refused(raw: bytes, reason: str, named: Any = None, pending: bool = False
             ) -> ShiftEntry:
    try:
        data = json.loads(raw)
        payload = canonical(data)
    except (ValueError, RecursionError, UnicodeError):
        data, payload = None, raw.decode("utf-8", "replace").encode()
    if named is None and isinstance(data, dict):
        named = data.get("id")
    entry_id = named if isinstance(named, str) and SHIFT_ID.fullmatch(named) else "?"
    return ShiftEntry(entry_id, payload, None, 0, "", "", "", False, "", None, (), reason,
                      pending and entry_id != "?")


def _moment(text: str, what: str) -> str:
    if MOMENT.fullmatch(text) is None:
        raise WireError(f"{what} {_shown(text)} is not well-formed")
    try:
        datetime.fromisoformat(text)
    except ValueError:
        raise WireError(f"{what} {text} is not a moment") from None
    return text


def _code(value: str, pattern: re.Pattern[str], known: frozenset[str], what: str,
          lagging: bool) -> str:
    """A currency or payment method the ledger knows; one it does not know is refused, or
    (``lagging``: it may not have heard of it yet) waits for it."""
    if value in known:
        return value
    if pattern.fullmatch(value) is None:
        raise WireError(f"{what} {_shown(value)} is not well-formed")
    if known:
        raise (NotKnownYet if lagging else WireError)(f"unknown {what} {value}")
    return value


def _entry_of(wire: WireShift, payload: bytes, known: Known) -> ShiftEntry:
    if wire.v != WIRE_VERSION:
        raise WireError(f"unknown wire version {_shown(wire.v)}")
    device, number, stage = split_shift_id(wire.id)
    if DEVICE.fullmatch(device) is None or number != wire.shift:
        raise WireError(f"entry {wire.id} says shift {wire.shift}")
    if wire.kind != f"shift_{stage}":
        raise WireError(f"entry {wire.id} says kind {_shown(wire.kind)}")
    check_text(wire.volunteer, "volunteer", TEXT_LIMITS["volunteer"], empty=False)
    day = _day(wire.business_date, "business_date").isoformat()
    opened_at = _moment(wire.opened_at, "opened_at")
    floats: dict[str, int] = {}
    for item in wire.floats:
        currency = _code(item.currency, CURRENCY, known.currencies, "currency", True)
        if currency in floats:
            raise WireError(f"the float in {currency} is given twice")
        floats[currency] = item.amount
    if stage == "open":
        if not all(isinstance(v, UnsetType) for v in (wire.closed_at, wire.counts,
                                                       wire.reason)):
            raise WireError("a shift's opening has no close, counts or reason")
        return ShiftEntry(wire.id, payload, device, wire.shift, stage, day, wire.volunteer,
                          wire.training, opened_at, None, (), None)
    if isinstance(wire.closed_at, UnsetType) or isinstance(wire.counts, UnsetType):
        raise WireError("a shift's close needs closed_at and its counts")
    closed_at = _moment(wire.closed_at, "closed_at")
    reason = None if isinstance(wire.reason, UnsetType) else wire.reason
    if reason is not None:
        check_text(reason, "reason", TEXT_LIMITS["reason"])
    rounds: list[dict[tuple[str, str], tuple[int, int]]] = []
    for n, count in enumerate(wire.counts, start=1):
        if count.round != n:
            raise WireError(f"count {n} says round {count.round}")
        _moment(count.counted_at, f"count {n} counted_at")
        lines: dict[tuple[str, str], tuple[int, int]] = {}
        for line in count.lines:
            # (a currency not published here yet waits for its rates; a voucher program
            # not heard of yet, at a hub, for the centre's list)
            key = (_code(line.method, METHOD, known.methods, "payment method", known.lagging),
                   _code(line.currency, CURRENCY, known.currencies, "currency", True))
            if key in lines:
                raise WireError(f"count {n}: {key[0]} {key[1]} is counted twice")
            lines[key] = (line.expected, line.counted)
        rounds.append(lines)
    first, last = rounds[0], rounds[-1]
    keys = sorted(set(last) | {("cash", c) for c in floats}, key=lambda k: (k[0] != "cash", k))
    counted = tuple(
        CountedLine(method, currency, floats.get(currency, 0) if method == "cash" else 0,
                    last.get((method, currency), (0, 0))[0],
                    first.get((method, currency), (0, 0))[1],
                    last.get((method, currency), (0, 0))[1])
        for method, currency in keys)
    return ShiftEntry(wire.id, payload, device, wire.shift, stage, day, wire.volunteer,
                      wire.training, closed_at, reason, counted, None)


def shift_wire(device_id: str, shift: int, stage: str, *, business_date: str,
               volunteer: str, training: bool, opened_at: str, floats: dict[str, int],
               closed_at: str | None = None, reason: str | None = None,
               counts: list[tuple[str, list[tuple[str, str, int, int]]]] | None = None
               ) -> dict[str, Any]:
    """A shift entry's payload (``counts``: each round as (counted_at, [(method, currency,
    expected, counted)]), first to last — a close only)."""
    wire: dict[str, Any] = {
        "v": WIRE_VERSION, "id": shift_entry_id(device_id, shift, stage),
        "kind": f"shift_{stage}", "shift": shift, "business_date": business_date,
        "volunteer": volunteer, "training": training, "opened_at": opened_at,
        "floats": [{"currency": c, "amount": a} for c, a in sorted(floats.items())]}
    if stage == "close":
        wire["closed_at"] = closed_at
        wire["reason"] = reason
        wire["counts"] = [
            {"round": n, "counted_at": at, "lines": [
                {"method": m, "currency": c, "expected": e, "counted": k}
                for m, c, e, k in lines]}
            for n, (at, lines) in enumerate(counts or [], start=1)]
    return wire

