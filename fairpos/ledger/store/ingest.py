"""A batch of one device's entries stored in one transaction. Each entry is read and checked
outside the lock (:class:`Checked`); then each sale is inserted once — the same id with the
same payload hash a duplicate, with another a conflict (the original stays untouched), one
that does not add up rejected into the quarantine, one naming what the ledger does not know
yet held as pending — and the day pages' sums are added up with it (:class:`BatchRows`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from msgspec import UNSET

from fairpos.domain.sale import Sale
from fairpos.ledger.store.backends import Backend
from fairpos.ledger.store.core import (
    IDS_PER_QUERY,
    BatchResult,
)
from fairpos.ledger.store.quarantine import (
    QuarantineBook,
    Quarantined,
    keep,
)
from fairpos.ledger.store.search_keys import search_keys
from fairpos.ledger.store.shifts import store_shift_entries
from fairpos.sync.sale_entries import (
    Known,
    SaleEntry,
    WireSale,
    read_sale_entry,
    split_id,
)
from fairpos.sync.shift_entries import ShiftEntry, read_shift_entry
from fairpos.sync.wire import WireError, entry_bytes


@dataclass(frozen=True, slots=True)
class Checked:
    """An entry of a batch, read and checked outside the store's lock: the sale, or why not."""

    sale_id: str  # as the entry names itself ("?" when it does not, or not legibly)
    wire: WireSale | None  # its fields, when it has the shape of an entry
    payload: bytes  # canonical JSON, stored as it is hashed
    digest: str
    sale: Sale | None
    reason: str | None
    pending: bool = False  # only what the ledger does not know yet: it waits, not refused


def _checked(device_id: str, sent: Any, known: Known) -> Checked:
    """One entry of ``device_id``'s batch (its JSON bytes as sent, or its JSON) against the
    schema; never raises for the entry's sake: whatever is wrong with it, however unexpected,
    is its reason to be quarantined."""
    raw = sent if isinstance(sent, bytes) else entry_bytes(sent)
    try:
        entry = read_sale_entry(raw, known)
    except Exception as err:  # any entry the checks did not foresee
        entry = SaleEntry(raw.decode("utf-8", "replace").encode(), None, None,
                      f"the ledger could not read this entry ({type(err).__name__})")
    digest = hashlib.sha256(entry.payload).hexdigest()
    sale = entry.sale
    if sale is None or entry.wire is None:
        try:
            named = split_id(entry.named)
            sale_id = f"{named[0]}-{named[1]:06d}"
        except (WireError, ValueError):
            sale_id = "?"
        return Checked(sale_id, None, entry.payload, digest, None, entry.reason,
                       entry.pending and sale_id != "?")
    reason = None
    if sale.id.rpartition("-")[0] != device_id:  # (a bundle names its device itself)
        reason = f"{sale.id} is not device {device_id}'s"
    return Checked(sale.id, entry.wire, entry.payload, digest, None if reason else sale,
                   reason)


def _read_shift(raw: bytes, known: Known) -> ShiftEntry:
    """A shift entry read and checked; never raises for the entry's sake."""
    try:
        return read_shift_entry(raw, known)
    except Exception as err:  # any entry the checks did not foresee
        return ShiftEntry("?", raw.decode("utf-8", "replace").encode(), None, 0, "", "", "",
                          False, "", None, (),
                          f"the ledger could not read this entry ({type(err).__name__})")


LaneRates = dict[tuple[str, str, int], tuple[Decimal, str]]  # (base, quote, version) → value, sale


_SALE_COLUMNS = ("id, device_id, seq, kind, ref_id, business_date, confirmed_at, training, "
                 "currency, total, catalog_version, payload, payload_hash, received_at, igtf, "
                 "igtf_base")


_LINE_COLUMNS = ("sale_id, line_no, kind, code, name, price_class, grams, count, amount, voided, "
                 "tare")


_DAY_LINE_COLUMNS = ("business_date, device_id, kind, code, name, price_class, currency, grams, "
                     "count, amount, lines")


@dataclass
class BatchRows:
    """What a batch writes, gathered before the backend writes it all at once."""

    sales: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[tuple[Any, ...]] = field(default_factory=list)
    tenders: list[tuple[Any, ...]] = field(default_factory=list)
    lane_rates: list[tuple[Any, ...]] = field(default_factory=list)
    # (sale id, key, value, business date): what the search finds a sale by
    found: list[tuple[Any, ...]] = field(default_factory=list)
    quarantine: list[Quarantined] = field(default_factory=list)
    # (business date, kind, code, name, price class, currency) → [grams, count, amount, lines]
    sums: dict[tuple[Any, ...], list[int]] = field(default_factory=dict)
    # (business date, currency, training) → [sales, entries, total]
    days: dict[tuple[Any, ...], list[int]] = field(default_factory=dict)

    def add_up(self, sale: Sale) -> None:
        """A stored sale, into the batch's sums for the pages: the entry into its day's; its
        lines (not a training one's, nor voided lines) into their products'."""
        day = self.days.setdefault((sale.business_date, sale.total.currency,
                                    int(sale.training)), [0, 0, 0])
        day[0] += sale.kind == "sale"
        day[1] += 1
        day[2] += sale.total.minor
        if sale.training:
            return
        for line in sale.lines:
            if line.voided:
                continue
            key = (sale.business_date, line.kind, line.code, line.name_es, line.price_class,
                   sale.total.currency)
            kept = self.sums.setdefault(key, [0, 0, 0, 0])
            kept[0] += line.grams or 0
            kept[1] += line.count or 0
            kept[2] += line.amount
            kept[3] += 1

    def take(self, sale: Sale, device_id: str, payload: str, digest: str, now: str,
             sale_id: str | None = None, seq: int | None = None) -> None:
        """A sale taken in: its row, lines, tenders (the change as what left the drawer or
        the fair's account) and search keys, into the day's sums. ``sale_id`` and ``seq``:
        where the ledger keeps it under its own (an entry taken in from the quarantine)."""
        kept = sale_id or sale.id
        self.sales.append((kept, device_id, sale.seq if seq is None else seq, sale.kind,
                           sale.ref_id, sale.business_date, sale.confirmed_at.isoformat(),
                           int(sale.training), sale.total.currency, sale.total.minor,
                           sale.catalog_version, payload, digest, now, sale.igtf,
                           sale.igtf_base))
        self.lines += [
            (kept, n, line.kind, line.code, line.name_es, line.price_class, line.grams,
             line.count, line.amount, int(line.voided), line.tare)
            for n, line in enumerate(sale.lines, start=1)]
        self.add_up(sale)
        tenders = [(t.method, t.amount.currency, t.amount.minor) for t in sale.tenders]
        if sale.change.minor:  # change goes out of the drawer as cash
            tenders.append(("cash", sale.change.currency, -sale.change.minor))
        tenders += [(t.method, t.amount.currency, -t.amount.minor)  # out of the account
                    for t in sale.change_sent]
        self.tenders += [(kept, n, *t) for n, t in enumerate(tenders, start=1)]
        self.found += [(kept, key, value, sale.business_date) for key, value in search_keys(
            sale.volunteer, [t.reference for t in (*sale.tenders, *sale.change_sent)])]

    def write(self, backend: Backend, conn: Any, device_id: str, now: str) -> None:
        """The sales, lines and tenders as plain inserts (``COPY`` on PostgreSQL): each was
        sorted against what the ledger holds under the device's lock, so a key already there
        cannot happen — if it did, it fails the batch, which the stall sends again."""
        backend.write_rows(conn, "sales", _SALE_COLUMNS, self.sales)
        backend.write_rows(conn, "sale_lines", _LINE_COLUMNS, self.lines)
        backend.write_rows(conn, "sale_tenders", "sale_id, tender_no, method, currency, amount",
                           self.tenders)
        backend.write_rows(conn, "sale_search", "sale_id, key, value, business_date",
                           self.found)
        if self.lane_rates:
            conn.executemany("INSERT INTO lane_rates VALUES (?,?,?,?,?,?,?) "
                             "ON CONFLICT DO NOTHING", self.lane_rates)
        keep(conn, device_id, self.quarantine, now)
        if self.sums:
            backend.write_rows(conn, "day_lines", _DAY_LINE_COLUMNS, [
                (day, device_id, kind, code, name, price_class, currency, *sums)
                for (day, kind, code, name, price_class, currency), sums in self.sums.items()])
        if self.days:
            backend.write_rows(
                conn, "day_sales", "business_date, device_id, currency, training, sales, "
                "entries, total", [(day, device_id, currency, training, *sums)
                                   for (day, currency, training), sums in self.days.items()])


def _sort_one(device_id: str, entry: Checked, now: str, result: BatchResult,
              rates: LaneRates, held: dict[str, str], furthest: int, rows: BatchRows) -> None:
    """One entry of a batch, in its turn: accepted (its rows to write), a duplicate of what
    the ledger holds, or quarantined (rejected, or a conflict) with its reason. ``furthest``
    is the highest seq taken: so far past the device's resume point, at most."""
    sale = entry.sale
    reason = entry.reason
    wire = entry.wire
    if entry.pending:  # (held back, for a publication still to come: nothing is kept)
        result.pending.append({"id": entry.sale_id, "reason": str(reason)})
        return
    if sale is not None and reason is None and sale.seq > furthest:
        reason = (f"seq {sale.seq} is too far past this device's last entry on the ledger "
                  f"(at most {furthest})")
    if sale is not None and wire is not None and reason is None:
        reason = _lane_rates_differ(rates, sale, wire)
    if sale is None or wire is None or reason is not None:
        rows.quarantine.append(Quarantined(entry.sale_id, "rejected", str(reason), entry.payload,
                                       entry.digest))
        result.rejected.append({"id": entry.sale_id, "reason": str(reason)})
        return
    digest = held.get(sale.id)
    if digest == entry.digest:
        result.duplicate.append(sale.id)
        return
    if digest is not None:
        reason = "another sale with this id is already on the ledger"
        rows.quarantine.append(Quarantined(sale.id, "conflict", reason, entry.payload,
                                       entry.digest))
        result.conflict.append({"id": sale.id, "reason": reason})
        return
    held[sale.id] = entry.digest
    rows.take(sale, device_id, entry.payload.decode(), entry.digest, now)
    for rate, item in zip(sale.rates, wire.rates, strict=True):
        key = (rate.base, rate.quote, rate.version)
        if item.published in (None, UNSET) and key not in rates:
            rows.lane_rates.append((device_id, *key, str(rate.value),
                                    str(item.reason or ""), sale.id))
            rates[key] = (rate.value, sale.id)
    result.accepted.append(sale.id)


def _lane_rates_differ(rates: LaneRates, sale: Sale, wire: WireSale) -> str | None:
    """A rate the lane set itself (not published here) is kept the first time a sale of the
    lane uses it; a later sale that gives the same rate version another value is refused
    (None: they agree)."""
    for rate, item in zip(sale.rates, wire.rates, strict=True):
        if item.published not in (None, UNSET):
            continue
        kept = rates.get((rate.base, rate.quote, rate.version))
        if kept is not None and kept[0] != rate.value:
            return (f"the lane's rate {rate.base}→{rate.quote} v{rate.version} is "
                    f"{kept[0]} in {kept[1]}, not {rate.value}")
    return None


class Ingest(QuarantineBook):
    """Sales and shift entries taken in, each once."""

    def ingest(self, device_id: str, sales: Sequence[Any], path: str = "direct"
               ) -> BatchResult:
        """Store a batch of one device's sales (each its JSON bytes as sent, or its parsed
        JSON), all in one transaction (``path``: how it came, "direct" from the lane or
        through its fair's "hub"). Every entry is read and checked first, outside the
        store's lock, against what the ledger knows (its catalogs, rates and vouchers) as last
        read; whatever fails is quarantined with its reason, the rest stored. Under the lock,
        the query that takes it also tells whether anything was published since: then
        nothing is written, and the entries are checked again. The batch is sorted in memory,
        entry by entry in its order, against what the ledger already holds of it (read in one
        query), then written all at once (``COPY`` on PostgreSQL): a batch costs the same few
        round trips however many sales it carries."""
        while True:
            mark, known = self._known_as_of(None)
            checked = [_checked(device_id, data, known) for data in sales]
            result = BatchResult()
            now = self.clock()
            with self.transaction() as conn:
                # one batch of a device at a time, in whichever process it arrives
                # (PostgreSQL locks the device's row; SQLite has one writer anyway): what is
                # read below of this device's sales stays true until the batch commits
                lock = " FOR UPDATE OF d" if self.backend.dialect == "postgresql" else ""
                row = conn.execute("SELECT d.max_contiguous_seq, k.catalogs, k.rate_sets, "
                                   "k.vouchers FROM devices d, known_mark k "
                                   f"WHERE d.device_id = ?{lock}", [device_id]).fetchone()
                if tuple(row[1:]) == mark:
                    current = int(row[0])
                    rates = {(r[0], r[1], r[2]): (Decimal(r[3]), r[4]) for r in conn.execute(
                        "SELECT base, quote, version, value, first_sale FROM lane_rates "
                        "WHERE device_id = ?", [device_id])}
                    held = self._held(conn, sorted({e.sale.id for e in checked
                                                    if e.sale is not None}),
                                      self.backend.dialect)
                    rows = BatchRows()
                    furthest = current + self.seq_ahead
                    for entry in checked:
                        _sort_one(device_id, entry, now, result, rates, held, furthest, rows)
                    rows.write(self.backend, conn, device_id, now)
                    result.max_contiguous_seq = self._advance(conn, device_id, current, now,
                                                              path)
                    return result
            # something was published or added since the entries were checked against what
            # was known: nothing written; read what is known now, and check them again
            self._known_as_of(tuple(row[1:]))

    def ingest_shifts(self, device_id: str, entries: Sequence[bytes], path: str = "direct"
                      ) -> BatchResult:
        """Store a batch of one device's shift entries (openings and closes, each its JSON
        bytes as sent) in one transaction, as :meth:`ingest` stores sales."""
        known = self.known()
        checked = [_read_shift(raw, known) for raw in entries]
        now = self.clock()
        with self.transaction() as conn:
            lock = " FOR UPDATE" if self.backend.dialect == "postgresql" else ""
            current = int(conn.execute("SELECT max_contiguous_seq FROM devices "
                                       f"WHERE device_id = ?{lock}", [device_id]).fetchone()[0])
            outcome = store_shift_entries(conn, device_id, checked, now)
            conn.execute("UPDATE devices SET last_sync_at = ?, last_path = ? "
                         "WHERE device_id = ?", [now, path, device_id])
        return BatchResult(outcome["accepted"], outcome["duplicate"], outcome["rejected"],
                           outcome["conflict"], current, outcome["pending"])

    @staticmethod
    def _held(conn: Any, ids: list[str], dialect: str) -> dict[str, str]:
        """The payload hashes of those of ``ids`` already on the ledger (on PostgreSQL, the
        ids as one array: one parameter, a statement planned once)."""
        if dialect == "postgresql":
            return {row[0]: row[1] for row in conn.execute(
                "SELECT id, payload_hash FROM sales WHERE id = ANY(?)", [ids])}
        held: dict[str, str] = {}
        for start in range(0, len(ids), IDS_PER_QUERY):
            part = ids[start:start + IDS_PER_QUERY]
            held.update((row[0], row[1]) for row in conn.execute(
                f"SELECT id, payload_hash FROM sales WHERE id IN ({','.join('?' * len(part))})",
                part))
        return held

    @staticmethod
    def _advance(conn: Any, device_id: str, current: int, now: str, path: str) -> int:
        """Move the device's contiguous resume point from ``current`` past every seq now
        present (to the first one after it whose next is missing), and note the sync."""
        return int(conn.execute(
            "UPDATE devices SET max_contiguous_seq = CASE WHEN EXISTS "
            "(SELECT 1 FROM sales WHERE device_id = ? AND seq = ?) "
            "THEN (SELECT s.seq FROM sales s WHERE s.device_id = ? AND s.seq > ? AND NOT EXISTS "
            "(SELECT 1 FROM sales n WHERE n.device_id = s.device_id AND n.seq = s.seq + 1) "
            "ORDER BY s.seq LIMIT 1) ELSE ? END, last_sync_at = ?, last_path = ? "
            "WHERE device_id = ? RETURNING max_contiguous_seq",
            [device_id, current + 1, device_id, current, current, now, path, device_id]
        ).fetchone()[0])
