"""What the ledger's reads answer with, as typed records: a business date's report and its
tables, each fair's days lane by lane (the verdicts of :mod:`.day_status`), a lane's sync
state and its page, an entry in quarantine.

Amounts are integer minor units of their currency, weights integer grams; a record becomes the
JSON the command line prints with :func:`to_json` (the same names, the same numbers).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import msgspec


def to_json(record: object) -> Any:
    """A record (or a list of them) as plain JSON values, field by field."""
    return msgspec.to_builtins(record)


@dataclass(frozen=True, slots=True)
class TenderTotal:
    """What a payment method took in one currency; ``value``: that in the day's pricing
    currency at the day's rates (None: no rate to value it)."""

    method: str
    currency: str
    amount: int
    value: int | None = None


@dataclass(frozen=True, slots=True)
class IgtfTotal:
    currency: str
    amount: int
    base: int


@dataclass(frozen=True, slots=True)
class LaneTotal:
    """A lane's sales of the day in one currency, with what each method took there."""

    fair: str
    lane: int
    device_id: str
    sales_count: int
    currency: str
    total: int
    tenders: list[TenderTotal] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ProductTotal:
    code: str
    name: str
    grams: int
    count: int
    amount: int


@dataclass(frozen=True, slots=True)
class ClassTotal:
    """A price class's kilos and amount; ``names``: its name in each language, if known."""

    price_class: str
    grams: int
    amount: int
    names: dict[str, str] | None = None


@dataclass(frozen=True, slots=True)
class HourTotal:
    hour: str  # "07", at the fair's time zone
    sales_count: int
    total: int


@dataclass(frozen=True, slots=True)
class DayReport:
    """A business date's figures, of one fair or all (``fair`` None)."""

    business_date: str
    fair: str | None
    sales_count: int
    entries: int
    totals: dict[str, int]
    tenders: list[TenderTotal]
    igtf: list[IgtfTotal]
    lanes: list[LaneTotal]
    products: list[ProductTotal]
    price_classes: list[ClassTotal]
    timezone: str | None
    hours: list[HourTotal]
    vouchers: dict[str, str] = field(default_factory=dict)  # a voucher method's name by code

    @property
    def pricing(self) -> str:
        """The currency the day's products are priced in (the first of its totals)."""
        return next(iter(self.totals), "USD")


@dataclass(frozen=True, slots=True)
class LaneSync:
    """An enrolled lane and how it stands with the ledger: its device once claimed, synced
    up to which number, the numbers missing past it (the first ones, and how many in all),
    its last sync and the path it came by (direct, a hub, a bundle)."""

    enrolment: int
    device_id: str | None
    fair: str
    lane: int
    enrolled_at: str
    claimed_at: str | None
    revoked_at: str | None
    max_contiguous_seq: int
    last_sync_at: str | None
    last_path: str | None
    missing: list[int] = field(default_factory=list)
    missing_count: int = 0


@dataclass(frozen=True, slots=True)
class DayClosed:
    """What a lane's newest day close of a date said (match, pending, mismatch), and when."""

    result: str
    at: str


@dataclass(frozen=True, slots=True)
class LaneDay:
    """A lane's entries of one business date in one currency, and its newest day close."""

    business_date: str
    entries: int
    currency: str
    total: int
    close: DayClosed | None


@dataclass(frozen=True, slots=True)
class LaneEntry:
    """One entry as the ledger holds it: a sale, a void or a refund."""

    seq: int
    id: str
    kind: str
    business_date: str
    confirmed_at: str
    training: bool
    currency: str
    total: int
    received_at: str


@dataclass(frozen=True, slots=True)
class LanePage:
    """One lane's page: the lane, its days (newest first), a page of its entries (newest
    first) and how many it has, its newest shifts with their counts, and how many of its
    entries the quarantine holds."""

    lane: LaneSync
    days: list[LaneDay]
    entries: list[LaneEntry]
    count: int
    shifts: list[dict[str, Any]]
    quarantined: int


@dataclass(frozen=True, slots=True)
class QuarantineEntry:
    """An entry the ledger set aside: of which device and lane, its sale id, the kind of
    refusal (rejected, conflict) and why, when it came; on a page of the quarantine also what
    is kept of its body (``payload``, ``size``: the bytes it came with), its latest review
    and how a person settled it, if one did."""

    id: int
    device_id: str
    fair: str | None
    lane: int | None
    sale_id: str | None
    kind: str
    reason: str
    received_at: str
    payload: str | None = None
    size: int | None = None
    note: str | None = None
    reviewed_at: str | None = None
    resolution: str | None = None  # taken_in, copy or wrong: how a person settled it
    resolved_by: str | None = None
    resolved_at: str | None = None
    resolved_reason: str | None = None
    resolved_sale: str | None = None  # the id it was taken in under


# what a lane-day can be, worst first (a day's summary lists them in this order)
STATES = ("quarantined", "missing", "not_closed", "mismatch", "silent", "matched", "idle")
TROUBLE = frozenset({"quarantined", "missing", "not_closed", "mismatch", "silent"})


@dataclass(frozen=True, slots=True)
class LaneDayStatus:
    """One lane's business date as the ledger holds it, and its verdict (``state``, one of
    :data:`STATES`; ``missing``: how many sales are missing, where that is the state;
    ``quarantined``: its entries still in quarantine; ``last_heard``: its newest sync)."""

    fair: str
    lane: int
    device_id: str | None
    business_date: str
    state: str
    entries: int = 0
    totals: dict[str, int] = field(default_factory=dict)
    missing: int = 0
    quarantined: int = 0
    shift_open: bool = False
    closed_at: str | None = None
    last_heard: str | None = None


@dataclass(frozen=True, slots=True)
class FairDay:
    """A fair's business date: its sales and totals, and each of its lanes' verdicts."""

    fair: str
    business_date: str
    sales: int
    totals: dict[str, int]
    lanes: list[LaneDayStatus]

    def count(self, state: str) -> int:
        return sum(1 for lane in self.lanes if lane.state == state)

    @property
    def states(self) -> dict[str, int]:
        """How many lanes are in each state, worst first, those with none left out."""
        found = {state: self.count(state) for state in STATES}
        return {state: n for state, n in found.items() if n}

    @property
    def troubled(self) -> bool:
        return any(lane.state in TROUBLE for lane in self.lanes)

    @property
    def quarantined(self) -> int:
        return sum(lane.quarantined for lane in self.lanes)


@dataclass(frozen=True, slots=True)
class SaleFound:
    """An entry as a search lists it (``reason``: a void's or refund's, where read)."""

    id: str
    device_id: str
    fair: str | None
    lane: int | None
    kind: str
    business_date: str
    confirmed_at: str
    training: bool
    currency: str
    total: int
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class SaleOpened:
    """One entry opened: its lane, what it names (``ref_id``: the sale a void or refund is
    of), when it was rung and received, the entry as the lane sent it (``entry``: the wire's
    fields), and its family (``related``: the sale and its voids and refunds, itself among
    them)."""

    id: str
    device_id: str
    fair: str | None
    lane: int | None
    kind: str
    ref_id: str | None
    business_date: str
    confirmed_at: str
    received_at: str
    entry: dict[str, Any]
    related: list[SaleFound]
