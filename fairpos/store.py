"""The stall's journal: one SQLite file per device (sqlite-utils, WAL, ``synchronous=FULL``).

Confirming a sale writes the sale, its lines, its tenders and its outbox row in one transaction.
Confirmed entries are never updated or deleted: triggers refuse it. A void or refund is a new
entry that references the original, and every correction also lands in the audit log.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from fairpos.cart import Cart, Line
from fairpos.catalog import Catalog, CatalogDraft, PriceClass, Product
from fairpos.i18n import _, format_money
from fairpos.money import Money, Rate, Rates
from fairpos.reports import ItemFigure, Report, ReportKind, TenderFigure
from fairpos.sale import EntryKind, Sale
from fairpos.settings import Settings
from fairpos.shift import CountKey, CountLine, beyond_tolerance, reconcile
from fairpos.tenders import CASH, PaymentError, Tender, settle

DB_NAME = "fairpos.db"
_DEVICE_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"  # no 0/O, 1/I: read aloud, typed by hand
APPEND_ONLY = ("sales", "sale_lines", "tenders", "audit_log", "catalog_versions", "products",
               "price_classes", "rates", "shift_counts")

migrations = Migrations("fairpos")


class StoreError(ValueError):
    """A request the journal refuses; the message is for a person."""


def mint_device_id() -> str:
    return "".join(secrets.choice(_DEVICE_ALPHABET) for _ in range(6))


@migrations()
def m001_journal(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE device (
            id TEXT PRIMARY KEY,
            created_at TEXT NOT NULL,
            last_seq INTEGER NOT NULL DEFAULT 0,
            one INTEGER NOT NULL DEFAULT 1 UNIQUE CHECK (one = 1)
        );
        CREATE TABLE settings_kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE catalog_versions (
            version INTEGER PRIMARY KEY,
            currency TEXT NOT NULL,
            imported_at TEXT NOT NULL,
            source TEXT NOT NULL,
            sha256 TEXT NOT NULL
        );
        CREATE TABLE price_classes (
            version INTEGER NOT NULL REFERENCES catalog_versions(version),
            code TEXT NOT NULL,
            name_es TEXT NOT NULL,
            name_en TEXT NOT NULL,
            price_per_kg INTEGER NOT NULL CHECK (price_per_kg > 0),
            PRIMARY KEY (version, code)
        );
        CREATE TABLE products (
            version INTEGER NOT NULL REFERENCES catalog_versions(version),
            plu TEXT NOT NULL,
            barcode TEXT,
            name_es TEXT NOT NULL,
            name_en TEXT NOT NULL,
            unit TEXT NOT NULL CHECK (unit IN ('kg', 'each')),
            price INTEGER CHECK (price > 0),
            price_class TEXT,
            tags TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (version, plu),
            FOREIGN KEY (version, price_class) REFERENCES price_classes(version, code),
            CHECK ((price IS NULL) <> (price_class IS NULL))
        );
        CREATE TABLE rates (
            id INTEGER PRIMARY KEY,
            base TEXT NOT NULL,
            quote TEXT NOT NULL,
            value TEXT NOT NULL,
            version INTEGER NOT NULL,
            effective TEXT NOT NULL,
            entered_at TEXT NOT NULL,
            reason TEXT NOT NULL DEFAULT '',
            UNIQUE (base, quote, version)
        );
        CREATE TABLE shifts (
            id INTEGER PRIMARY KEY,
            volunteer TEXT NOT NULL,
            opened_at TEXT NOT NULL,
            business_date TEXT NOT NULL,
            training INTEGER NOT NULL DEFAULT 0,
            closed_at TEXT,
            close_reason TEXT
        );
        CREATE UNIQUE INDEX shifts_one_open ON shifts ((closed_at IS NULL))
            WHERE closed_at IS NULL;
        CREATE TABLE shift_counts (
            shift_id INTEGER NOT NULL REFERENCES shifts(id),
            stage TEXT NOT NULL CHECK (stage IN ('float', 'close')),
            method TEXT NOT NULL,
            currency TEXT NOT NULL,
            amount INTEGER NOT NULL,
            expected INTEGER,
            PRIMARY KEY (shift_id, stage, method, currency)
        );
        CREATE TABLE sales (
            id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL UNIQUE,
            kind TEXT NOT NULL CHECK (kind IN ('sale', 'void', 'refund')),
            ref_id TEXT REFERENCES sales(id),
            shift_id INTEGER NOT NULL REFERENCES shifts(id),
            business_date TEXT NOT NULL,
            confirmed_at TEXT NOT NULL,
            volunteer TEXT NOT NULL,
            training INTEGER NOT NULL,
            currency TEXT NOT NULL,
            total INTEGER NOT NULL,
            change_currency TEXT NOT NULL,
            change INTEGER NOT NULL,
            catalog_version INTEGER REFERENCES catalog_versions(version),
            rates TEXT NOT NULL,
            reason TEXT,
            CHECK ((kind = 'sale') = (ref_id IS NULL))
        );
        CREATE INDEX sales_shift ON sales (shift_id, kind);
        CREATE INDEX sales_date ON sales (business_date, kind);
        CREATE INDEX sales_ref ON sales (ref_id);
        CREATE UNIQUE INDEX sales_one_void ON sales (ref_id) WHERE kind = 'void';
        CREATE TABLE sale_lines (
            sale_id TEXT NOT NULL REFERENCES sales(id),
            line_no INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('product', 'class')),
            code TEXT NOT NULL,
            name_es TEXT NOT NULL,
            name_en TEXT NOT NULL,
            price_class TEXT,
            grams INTEGER,
            count INTEGER,
            unit_price INTEGER NOT NULL,
            amount INTEGER NOT NULL,
            voided INTEGER NOT NULL DEFAULT 0,
            ref_line INTEGER,
            tags TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (sale_id, line_no),
            CHECK ((grams IS NULL) <> (count IS NULL))
        );
        CREATE TABLE tenders (
            sale_id TEXT NOT NULL REFERENCES sales(id),
            tender_no INTEGER NOT NULL,
            method TEXT NOT NULL,
            currency TEXT NOT NULL,
            amount INTEGER NOT NULL,
            reference TEXT NOT NULL DEFAULT '{}',
            verified INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (sale_id, tender_no)
        );
        CREATE TABLE outbox (
            entry_id TEXT PRIMARY KEY REFERENCES sales(id),
            created_at TEXT NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            acked_at TEXT
        );
        CREATE TABLE held_sales (
            id INTEGER PRIMARY KEY,
            shift_id INTEGER NOT NULL REFERENCES shifts(id),
            held_at TEXT NOT NULL,
            cart TEXT NOT NULL
        );
        CREATE TABLE audit_log (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            shift_id INTEGER,
            action TEXT NOT NULL,
            entry_id TEXT,
            detail TEXT NOT NULL DEFAULT '{}'
        );
        """
    )
    for table in APPEND_ONLY:
        for action in ("UPDATE", "DELETE"):
            db.execute(
                f"CREATE TRIGGER {table}_no_{action.lower()} BEFORE {action} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, 'the journal is append-only: "
                f"{table} cannot be {'updated' if action == 'UPDATE' else 'deleted'}'); END"
            )


@migrations()
def m002_held_at_quit(db: Database) -> None:
    db.execute("ALTER TABLE held_sales ADD COLUMN at_quit INTEGER NOT NULL DEFAULT 0")


@migrations()
def m003_print_jobs(db: Database) -> None:
    db.executescript(
        """
        CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY,
            sale_id TEXT REFERENCES sales(id),
            kind TEXT NOT NULL CHECK (kind IN ('receipt', 'reprint', 'report', 'test')),
            created_at TEXT NOT NULL,
            payload BLOB NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'printed', 'skipped')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            printed_at TEXT
        );
        CREATE INDEX print_jobs_pending ON print_jobs (state, id);
        """
    )


@migrations()
def m004_scale_frame(db: Database) -> None:
    # The scale's frame (hex) a line's weight was read from; NULL: typed by hand, or counted
    db.execute("ALTER TABLE sale_lines ADD COLUMN scale_frame TEXT")


@migrations()
def m005_sync(db: Database) -> None:
    # The outbox keeps the exact payload first sent (a resend is byte-identical), and whether
    # the ledger took it (acked) or set it aside for people to look at (quarantined).
    db.executescript(
        """
        ALTER TABLE outbox ADD COLUMN payload TEXT;
        ALTER TABLE outbox ADD COLUMN state TEXT NOT NULL DEFAULT 'pending'
            CHECK (state IN ('pending', 'acked', 'quarantined'));
        ALTER TABLE outbox ADD COLUMN reason TEXT;
        CREATE INDEX outbox_state ON outbox (state);
        CREATE TABLE sync_state (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        """
    )


@dataclass(frozen=True)
class OutboxSummary:
    """What the sync slot shows: entries waiting, the oldest one's time, quarantined ones."""

    pending: int
    oldest: str | None  # created_at of the oldest entry not yet on the ledger
    quarantined: int
    last_sync: str | None


@dataclass(frozen=True)
class PrintJob:
    id: int
    sale_id: str | None
    kind: str
    created_at: str
    payload: bytes
    state: str
    attempts: int
    last_error: str | None


@dataclass(frozen=True)
class ShiftInfo:
    id: int
    volunteer: str
    opened_at: str
    business_date: str
    training: bool
    closed_at: str | None


@dataclass(frozen=True)
class HeldSale:
    id: int
    held_at: str
    cart: Cart
    at_quit: bool


@dataclass(frozen=True)
class CloseResult:
    shift: ShiftInfo
    counts: list[CountLine]
    report: Report


def _now() -> datetime:
    return datetime.now().astimezone()


class Store:
    """The journal of one device. Open it with :meth:`open` or :meth:`create`."""

    def __init__(self, db: Database, clock: Callable[[], datetime] = _now) -> None:
        self.db = db
        self.clock = clock
        self._catalog: Catalog | None = None

    # -- opening -------------------------------------------------------------------------

    @staticmethod
    def _connect(path: Path, threads: bool) -> Database:
        conn = sqlite3.connect(str(path), timeout=10.0, check_same_thread=not threads)
        db = Database(conn)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        db.execute("PRAGMA busy_timeout=10000")
        return db

    @classmethod
    def create(cls, path: Path, clock: Callable[[], datetime] = _now,
               device_id: str | None = None) -> Store:
        """Create the journal file (and mint the device id); open it if it already exists."""
        path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(cls._connect(path, False), clock)
        migrations.apply(store.db)
        with store.transaction():
            if store.db.execute("SELECT COUNT(*) FROM device").fetchone()[0] == 0:
                store.db.execute("INSERT INTO device (id, created_at) VALUES (?, ?)",
                                 [device_id or mint_device_id(), store.clock().isoformat()])
        return store

    @classmethod
    def open(cls, path: Path, clock: Callable[[], datetime] = _now,
             threads: bool = False) -> Store:
        """Open an existing journal. ``threads``: the caller may use it from several threads,
        one at a time (the till's workers take turns under a lock)."""
        if not path.exists():
            raise StoreError(_("there is no journal at {path}; run “fairpos init” first")
                             .format(path=path))
        store = cls(cls._connect(path, threads), clock)
        migrations.apply(store.db)
        return store

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One write transaction; ``BEGIN IMMEDIATE`` so two writers queue instead of failing."""
        conn = self.db.conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _row(self, sql: str, params: Sequence[Any] = ()) -> dict[str, Any] | None:
        cursor = self.db.execute(sql, list(params))
        row = cursor.fetchone()
        if row is None:
            return None
        return dict(zip([c[0] for c in cursor.description], row, strict=True))

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, list(params))
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _audit(self, action: str, *, shift_id: int | None = None, entry_id: str | None = None,
               **detail: Any) -> None:
        self.db.execute(
            "INSERT INTO audit_log (at, shift_id, action, entry_id, detail) VALUES (?,?,?,?,?)",
            [self.clock().isoformat(), shift_id, action, entry_id,
             json.dumps(detail, ensure_ascii=False, sort_keys=True)])

    @cached_property
    def device_id(self) -> str:
        """Minted once when the journal was created; never changes."""
        return str(self.db.execute("SELECT id FROM device").fetchone()[0])

    # -- catalog and rates -------------------------------------------------------------------

    def import_catalog(self, draft: CatalogDraft, currency: str, source: str, sha256: str
                       ) -> int:
        """Store a checked catalog as a new immutable version; returns the version number."""
        with self.transaction():
            version = int(self.db.execute(
                "SELECT COALESCE(MAX(version), 0) + 1 FROM catalog_versions").fetchone()[0])
            self._insert_catalog(version, draft, currency, source, sha256)
        self._catalog = None
        return version

    def _insert_catalog(self, version: int, draft: CatalogDraft, currency: str, source: str,
                        sha256: str) -> None:
        self.db.execute(
            "INSERT INTO catalog_versions (version, currency, imported_at, source, sha256) "
            "VALUES (?,?,?,?,?)", [version, currency, self.clock().isoformat(), source, sha256])
        self.db.conn.executemany(
            "INSERT INTO price_classes VALUES (?,?,?,?,?)",
            [(version, c.code, c.name_es, c.name_en, c.price_per_kg)
             for c in draft.price_classes])
        self.db.conn.executemany(
            "INSERT INTO products VALUES (?,?,?,?,?,?,?,?,?)",
            [(version, p.plu, p.barcode, p.name_es, p.name_en, p.unit, p.price, p.price_class,
              "|".join(sorted(p.tags))) for p in draft.products])
        self._audit("catalog_import", version=version, source=source,
                    products=len(draft.products), price_classes=len(draft.price_classes))

    def has_catalog(self) -> bool:
        return self.db.execute("SELECT 1 FROM catalog_versions LIMIT 1").fetchone() is not None

    def catalog(self, version: int | None = None) -> Catalog:
        """A catalog version (the newest by default); cached for the till."""
        if version is None and self._catalog is not None:
            return self._catalog
        row = self._row(
            "SELECT version, currency FROM catalog_versions WHERE version = "
            "COALESCE(?, (SELECT MAX(version) FROM catalog_versions))", [version])
        if row is None:
            raise StoreError(_("there is no catalog yet; import one with "
                               "“fairpos catalog import FILE”"))
        classes = [PriceClass(r["code"], r["name_es"], r["name_en"], r["price_per_kg"])
                   for r in self._rows("SELECT * FROM price_classes WHERE version = ?",
                                       [row["version"]])]
        products = [
            Product(r["plu"], r["name_es"], r["name_en"], r["unit"], r["price"],
                    r["price_class"], r["barcode"],
                    frozenset(t for t in r["tags"].split("|") if t))
            for r in self._rows("SELECT * FROM products WHERE version = ? ORDER BY "
                                "CAST(plu AS INTEGER)", [row["version"]])
        ]
        catalog = Catalog.build(row["version"], row["currency"], classes, products)
        if version is None:
            self._catalog = catalog
        return catalog

    def set_rate(self, base: str, quote: str, value: Decimal, effective: date,
                 reason: str = "") -> Rate:
        with self.transaction():
            return self._insert_rate(base, quote, value, effective, reason)

    def _insert_rate(self, base: str, quote: str, value: Decimal, effective: date,
                     reason: str) -> Rate:
        version = int(self.db.execute(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM rates WHERE base = ? AND quote = ?",
            [base, quote]).fetchone()[0])
        self.db.execute(
            "INSERT INTO rates (base, quote, value, version, effective, entered_at, reason) "
            "VALUES (?,?,?,?,?,?,?)",
            [base, quote, str(value), version, effective.isoformat(),
             self.clock().isoformat(), reason])
        self._audit("rate_set", base=base, quote=quote, value=str(value), version=version,
                    effective=effective.isoformat(), reason=reason)
        return Rate(base, quote, value, version, effective)

    def rates(self, currency: str, currencies: Sequence[str], on: date | None = None) -> Rates:
        """The newest rate effective on ``on`` (today) for each other currency that has one."""
        day = (on or self.clock().date()).isoformat()
        found: dict[str, Rate] = {}
        for quote in currencies:
            if quote == currency:
                continue
            row = self._row(
                "SELECT * FROM rates WHERE base = ? AND quote = ? AND effective <= ? "
                "ORDER BY version DESC LIMIT 1", [currency, quote, day])
            if row is not None:
                found[quote] = Rate(currency, quote, Decimal(row["value"]), row["version"],
                                    date.fromisoformat(row["effective"]))
        return Rates(currency, found)

    # -- shifts --------------------------------------------------------------------------

    def current_shift(self) -> ShiftInfo | None:
        row = self._row("SELECT * FROM shifts WHERE closed_at IS NULL")
        return self._shift(row) if row else None

    def latest_shift(self) -> ShiftInfo | None:
        """The open shift, or else the last one closed."""
        row = self._row("SELECT * FROM shifts ORDER BY closed_at IS NULL DESC, id DESC LIMIT 1")
        return self._shift(row) if row else None

    def shift(self, shift_id: int) -> ShiftInfo:
        row = self._row("SELECT * FROM shifts WHERE id = ?", [shift_id])
        if row is None:
            raise StoreError(_("there is no shift #{id}").format(id=shift_id))
        return self._shift(row)

    @staticmethod
    def _shift(row: Mapping[str, Any]) -> ShiftInfo:
        return ShiftInfo(row["id"], row["volunteer"], row["opened_at"], row["business_date"],
                         bool(row["training"]), row["closed_at"])

    def require_shift(self) -> ShiftInfo:
        shift = self.current_shift()
        if shift is None:
            raise StoreError(_("no shift is open; open one with “fairpos shift open”"))
        return shift

    def open_shift(self, volunteer: str, floats: Mapping[str, int], training: bool = False
                   ) -> ShiftInfo:
        volunteer = volunteer.strip()
        if not volunteer:
            raise StoreError(_("the volunteer's name is empty"))
        if any(amount < 0 for amount in floats.values()):
            raise StoreError(_("an opening float cannot be negative"))
        now = self.clock()
        with self.transaction():
            if self.current_shift() is not None:
                raise StoreError(_("a shift is already open; close it first"))
            cursor = self.db.execute(
                "INSERT INTO shifts (volunteer, opened_at, business_date, training) "
                "VALUES (?,?,?,?)", [volunteer, now.isoformat(), now.date().isoformat(),
                                      int(training)])
            shift_id = int(cursor.lastrowid or 0)
            self.db.conn.executemany(
                "INSERT INTO shift_counts (shift_id, stage, method, currency, amount) "
                "VALUES (?, 'float', 'cash', ?, ?)",
                [(shift_id, currency, amount) for currency, amount in sorted(floats.items())])
            self._audit("shift_open", shift_id=shift_id, volunteer=volunteer, training=training,
                        floats=dict(floats))
        return self.shift(shift_id)

    def floats(self, shift_id: int) -> dict[str, int]:
        return {r["currency"]: r["amount"] for r in self._rows(
            "SELECT currency, amount FROM shift_counts WHERE shift_id = ? AND stage = 'float'",
            [shift_id])}

    def expected_counts(self, shift_id: int) -> dict[CountKey, int]:
        """What should be in the drawer and on the slips: float + tenders − change given."""
        expected: dict[CountKey, int] = {("cash", c): a for c, a in self.floats(shift_id).items()}
        for row in self._rows(
                "SELECT t.method, t.currency, SUM(t.amount) AS amount FROM tenders t "
                "JOIN sales s ON s.id = t.sale_id WHERE s.shift_id = ? "
                "GROUP BY t.method, t.currency", [shift_id]):
            key = (row["method"], row["currency"])
            expected[key] = expected.get(key, 0) + row["amount"]
        for row in self._rows(
                "SELECT change_currency, SUM(change) AS amount FROM sales WHERE shift_id = ? "
                "GROUP BY change_currency", [shift_id]):
            key = (CASH, row["change_currency"])
            expected[key] = expected.get(key, 0) - row["amount"]
        return {k: v for k, v in expected.items() if v != 0 or k[0] == CASH}

    def close_shift(self, counted: Mapping[CountKey, int], settings: Settings,
                    reason: str | None = None) -> CloseResult:
        shift = self.require_shift()
        if self.held(shift.id):
            raise StoreError(_("there are held sales; finish them (sell --recall ID) or drop "
                               "them (fairpos held drop ID) before closing"))
        lines = reconcile(self.expected_counts(shift.id), counted)
        rates = self.rates(settings.money.currency, settings.accepted_currencies)
        beyond = beyond_tolerance(lines, rates, settings.tolerance_minor)
        reason = (reason or "").strip() or None
        if beyond and reason is None:
            worst = beyond[0]
            raise StoreError(
                _("the count differs from what is expected ({method} {currency}: "
                  "{difference}); give a reason with --reason").format(
                    method=worst.method, currency=worst.currency,
                    difference=format_money(Money(worst.difference, worst.currency))))
        now = self.clock().isoformat()
        with self.transaction():
            self.db.conn.executemany(
                "INSERT INTO shift_counts (shift_id, stage, method, currency, amount, expected) "
                "VALUES (?, 'close', ?, ?, ?, ?)",
                [(shift.id, c.method, c.currency, c.counted, c.expected) for c in lines])
            cursor = self.db.execute(
                "UPDATE shifts SET closed_at = ?, close_reason = ? WHERE id = ? AND "
                "closed_at IS NULL", [now, reason, shift.id])
            if cursor.rowcount != 1:
                raise StoreError(_("the shift was closed meanwhile"))
            self._audit("shift_close", shift_id=shift.id, reason=reason,
                        differences={f"{c.method}:{c.currency}": c.difference for c in lines
                                     if c.difference})
        closed = self.shift(shift.id)
        return CloseResult(closed, lines, self.report(settings, shift_id=shift.id))

    # -- held sales ----------------------------------------------------------------------

    def hold(self, cart: Cart, at_quit: bool = False) -> int:
        """Keep a sale in progress aside. ``at_quit``: the till was closed with it on screen,
        so the next start brings it back."""
        shift = self.require_shift()
        if cart.is_empty():
            raise StoreError(_("the sale is empty: nothing to hold"))
        with self.transaction():
            cursor = self.db.execute(
                "INSERT INTO held_sales (shift_id, held_at, cart, at_quit) VALUES (?,?,?,?)",
                [shift.id, self.clock().isoformat(), json.dumps(cart.to_dict()), int(at_quit)])
        return int(cursor.lastrowid or 0)

    def held(self, shift_id: int | None = None) -> list[HeldSale]:
        """Held sales, oldest first."""
        rows = self._rows(
            "SELECT * FROM held_sales WHERE (? IS NULL OR shift_id = ?) ORDER BY id",
            [shift_id, shift_id])
        return [HeldSale(r["id"], r["held_at"], Cart.from_dict(json.loads(r["cart"])),
                         bool(r["at_quit"])) for r in rows]

    def recall(self, held_id: int) -> Cart:
        """Take a held sale back into the till (it is no longer held)."""
        with self.transaction():
            row = self._row("SELECT cart FROM held_sales WHERE id = ?", [held_id])
            if row is None:
                raise StoreError(_("there is no held sale #{id}").format(id=held_id))
            self.db.execute("DELETE FROM held_sales WHERE id = ?", [held_id])
        return Cart.from_dict(json.loads(row["cart"]))

    def drop_held(self, held_id: int, reason: str) -> None:
        """Give up a held sale; its lines are kept in the audit log."""
        if not reason.strip():
            raise StoreError(_("a reason is required"))
        with self.transaction():
            row = self._row("SELECT * FROM held_sales WHERE id = ?", [held_id])
            if row is None:
                raise StoreError(_("there is no held sale #{id}").format(id=held_id))
            self.db.execute("DELETE FROM held_sales WHERE id = ?", [held_id])
            self._audit("held_drop", shift_id=row["shift_id"], reason=reason.strip(),
                        cart=json.loads(row["cart"]))

    # -- the journal ---------------------------------------------------------------------

    def confirm_sale(self, cart: Cart, tenders: Sequence[Tender], change_currency: str,
                     settings: Settings, held_id: int | None = None,
                     receipt: Callable[[Sale], bytes] | None = None) -> Sale:
        """Check the payment and write the sale durably; returns the confirmed sale.

        ``held_id``: the held sale this cart was recalled from; it stops being held in the same
        transaction, so a crash can neither lose it nor leave it to be sold twice.
        ``receipt``: renders the sale's receipt; the print job is written in the same
        transaction, so a confirmed sale always has its receipt queued.
        """
        shift = self.require_shift()
        if cart.is_empty():
            raise StoreError(_("the sale is empty"))
        catalog = self.catalog()
        if cart.currency != catalog.currency:
            raise StoreError(_("the sale is in {cart} but the catalog is in {catalog}").format(
                cart=cart.currency, catalog=catalog.currency))
        rates = self.rates(cart.currency, settings.accepted_currencies)
        settlement = settle(cart.total, tenders, rates, change_currency, lines=cart.lines,
                            vouchers=settings.voucher_kinds)
        if not settlement.covered:
            raise PaymentError(_("the payments do not cover the total: {due} still due").format(
                due=format_money(settlement.due_in(rates, change_currency))))
        return self._write_entry(
            kind="sale", shift=shift, total=cart.total, lines=cart.lines, tenders=tenders,
            change=settlement.change, catalog_version=catalog.version, rates=rates.all(),
            held_id=held_id, receipt=receipt)

    def _write_entry(self, *, kind: EntryKind, shift: ShiftInfo, total: Money,
                     lines: Sequence[Line], tenders: Sequence[Tender], change: Money,
                     catalog_version: int | None, rates: Sequence[Rate],
                     ref_id: str | None = None, reason: str | None = None,
                     ref_lines: Sequence[int | None] | None = None,
                     held_id: int | None = None,
                     receipt: Callable[[Sale], bytes] | None = None) -> Sale:
        now = self.clock()
        rates_json = json.dumps({r.quote: {"base": r.base, "value": str(r.value),
                                           "version": r.version,
                                           "effective": r.effective.isoformat()}
                                 for r in rates}, sort_keys=True)
        with self.transaction():
            if self._row("SELECT id FROM shifts WHERE id = ? AND closed_at IS NULL",
                         [shift.id]) is None:
                raise StoreError(_("the shift was closed meanwhile"))
            seq = int(self.db.execute(
                "UPDATE device SET last_seq = last_seq + 1 RETURNING last_seq").fetchone()[0])
            sale_id = f"{self.device_id}-{seq:06d}"
            self.db.execute(
                "INSERT INTO sales (id, seq, kind, ref_id, shift_id, business_date, confirmed_at, "
                "volunteer, training, currency, total, change_currency, change, catalog_version, "
                "rates, reason) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [sale_id, seq, kind, ref_id, shift.id, shift.business_date, now.isoformat(),
                 shift.volunteer, int(shift.training), total.currency, total.minor,
                 change.currency, change.minor, catalog_version, rates_json, reason])
            self.db.conn.executemany(
                "INSERT INTO sale_lines (sale_id, line_no, kind, code, name_es, name_en, "
                "price_class, grams, count, unit_price, amount, voided, ref_line, tags, "
                "scale_frame) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [(sale_id, n, line.kind, line.code, line.name_es, line.name_en,
                  line.price_class, line.grams, line.count, line.unit_price, line.amount,
                  int(line.voided), ref_lines[n - 1] if ref_lines else None,
                  "|".join(sorted(line.tags)), line.scale_frame)
                 for n, line in enumerate(lines, start=1)])
            self.db.conn.executemany(
                "INSERT INTO tenders VALUES (?,?,?,?,?,?,?)",
                [(sale_id, n, t.method, t.amount.currency, t.amount.minor,
                  json.dumps(dict(t.reference), sort_keys=True), int(t.verified))
                 for n, t in enumerate(tenders, start=1)])
            self.db.execute("INSERT INTO outbox (entry_id, created_at) VALUES (?, ?)",
                            [sale_id, now.isoformat()])
            if held_id is not None and self.db.execute(
                    "DELETE FROM held_sales WHERE id = ?", [held_id]).rowcount != 1:
                raise StoreError(_("there is no held sale #{id}").format(id=held_id))
            if kind != "sale":
                self._audit(kind, shift_id=shift.id, entry_id=sale_id, ref_id=ref_id,
                            reason=reason, amount=total.minor)
            sale = Sale(sale_id, seq, kind, shift.id, shift.business_date, now,
                        shift.volunteer, shift.training, total, tuple(lines), tuple(tenders),
                        change, catalog_version, tuple(rates), ref_id, reason)
            if receipt is not None:
                self._queue_print("receipt", receipt(sale), sale_id)
        return sale

    def sale(self, sale_id: str) -> Sale:
        row = self._row("SELECT * FROM sales WHERE id = ?", [sale_id.strip().upper()])
        if row is None:
            raise StoreError(_("there is no sale {id}").format(id=sale_id))
        currency = row["currency"]
        lines = tuple(
            Line(r["kind"], r["code"], r["name_es"], r["name_en"], r["unit_price"], r["amount"],
                 r["grams"], r["count"], r["price_class"],
                 frozenset(t for t in r["tags"].split("|") if t), bool(r["voided"]),
                 r["scale_frame"])
            for r in self._rows("SELECT * FROM sale_lines WHERE sale_id = ? ORDER BY line_no",
                                [row["id"]]))
        tenders = tuple(
            Tender(r["method"], Money(r["amount"], r["currency"]), json.loads(r["reference"]),
                   bool(r["verified"]))
            for r in self._rows("SELECT * FROM tenders WHERE sale_id = ? ORDER BY tender_no",
                                [row["id"]]))
        rates = tuple(
            Rate(v["base"], quote, Decimal(v["value"]), v["version"],
                 date.fromisoformat(v["effective"]))
            for quote, v in sorted(json.loads(row["rates"]).items()))
        return Sale(row["id"], row["seq"], row["kind"], row["shift_id"], row["business_date"],
                    datetime.fromisoformat(row["confirmed_at"]), row["volunteer"],
                    bool(row["training"]), Money(row["total"], currency), lines, tenders,
                    Money(row["change"], row["change_currency"]), row["catalog_version"], rates,
                    row["ref_id"], row["reason"])

    # -- print jobs ------------------------------------------------------------------------

    def _queue_print(self, kind: str, payload: bytes, sale_id: str | None) -> int:
        cursor = self.db.execute(
            "INSERT INTO print_jobs (sale_id, kind, created_at, payload) VALUES (?,?,?,?)",
            [sale_id, kind, self.clock().isoformat(), payload])
        return int(cursor.lastrowid or 0)

    def queue_print(self, kind: str, payload: bytes, sale_id: str | None = None) -> int:
        """Queue a reprint, a report or a test page."""
        with self.transaction():
            return self._queue_print(kind, payload, sale_id)

    def print_jobs(self, *, pending_only: bool = True, sale_id: str | None = None
                   ) -> list[PrintJob]:
        """Print jobs, oldest first."""
        rows = self._rows(
            "SELECT id, sale_id, kind, created_at, payload, state, attempts, last_error "
            "FROM print_jobs WHERE (? = 0 OR state = 'pending') AND (? IS NULL OR sale_id = ?) "
            "ORDER BY id", [int(pending_only), sale_id, sale_id])
        return [PrintJob(**{**r, "payload": bytes(r["payload"])}) for r in rows]

    def print_done(self, job_id: int) -> None:
        with self.transaction():
            self.db.execute("UPDATE print_jobs SET state = 'printed', printed_at = ?, "
                            "attempts = attempts + 1, last_error = NULL WHERE id = ?",
                            [self.clock().isoformat(), job_id])

    def print_failed(self, job_id: int, error: str) -> None:
        """The job stays pending, with the reason, to be printed once the printer is back."""
        with self.transaction():
            self.db.execute("UPDATE print_jobs SET attempts = attempts + 1, last_error = ? "
                            "WHERE id = ?", [error, job_id])

    def skip_prints(self, before: str) -> int:
        """Mark pending receipts created before ``before`` as not printed (reprint by id)."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE print_jobs SET state = 'skipped' WHERE state = 'pending' AND "
                "created_at < ?", [before])
        return int(cursor.rowcount)

    def outbox_pending(self) -> int:
        """Entries not yet acknowledged by the ledger (quarantined ones included)."""
        return int(self.db.execute(
            "SELECT COUNT(*) FROM outbox WHERE acked_at IS NULL").fetchone()[0])

    # -- sync with the ledger ------------------------------------------------------------------

    def outbox_next(self, limit: int) -> list[tuple[str, str | None]]:
        """The oldest entries still to send: (entry id, the payload kept from the first send,
        or None when it has never been sent)."""
        return [(r["entry_id"], r["payload"]) for r in self._rows(
            "SELECT o.entry_id, o.payload FROM outbox o JOIN sales s ON s.id = o.entry_id "
            "WHERE o.state = 'pending' ORDER BY s.seq LIMIT ?", [limit])]

    def keep_payloads(self, payloads: Sequence[tuple[str, str]]) -> None:
        """Keep (entry id, payload) as sent the first time, so that a resend is the same."""
        with self.transaction():
            self.db.conn.executemany(
                "UPDATE outbox SET payload = ? WHERE entry_id = ? AND payload IS NULL",
                [(payload, entry_id) for entry_id, payload in payloads])

    def outbox_settled(self, acked: Sequence[str], quarantined: Sequence[tuple[str, str]],
                       ) -> None:
        """The ledger's full reply, written in one transaction: ``acked`` (stored, or already
        there) and ``quarantined`` (id, reason: rejected or in conflict, for a person)."""
        now = self.clock().isoformat()
        with self.transaction():
            self.db.conn.executemany(
                "UPDATE outbox SET state = 'acked', acked_at = ?, last_error = NULL "
                "WHERE entry_id = ? AND state = 'pending'", [(now, i) for i in acked])
            self.db.conn.executemany(
                "UPDATE outbox SET state = 'quarantined', reason = ? "
                "WHERE entry_id = ? AND state = 'pending'",
                [(reason, i) for i, reason in quarantined])
            self._set_sync("last_sync", now)

    def outbox_resend(self, entry_ids: Sequence[str]) -> int:
        """Entries the ledger says it lacks although they were acknowledged (its copy was lost,
        or restored from an old backup): send them again. Returns how many."""
        with self.transaction():
            return sum(self.db.execute(
                "UPDATE outbox SET state = 'pending', acked_at = NULL "
                "WHERE entry_id = ? AND state = 'acked'", [i]).rowcount for i in entry_ids)

    def outbox_failed(self, entry_ids: Sequence[str], error: str) -> None:
        """A send whose outcome is unknown: the entries stay pending, unchanged."""
        with self.transaction():
            self.db.conn.executemany(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE entry_id = ?",
                [(error, i) for i in entry_ids])

    def outbox_summary(self) -> OutboxSummary:
        row = self._row(
            "SELECT SUM(state = 'pending') AS pending, MIN(CASE WHEN state = 'pending' "
            "THEN created_at END) AS oldest, SUM(state = 'quarantined') AS quarantined "
            "FROM outbox")
        assert row is not None
        return OutboxSummary(int(row["pending"] or 0), row["oldest"],
                             int(row["quarantined"] or 0), self.sync_value("last_sync"))

    def quarantined(self) -> list[tuple[str, str]]:
        """(entry id, the ledger's reason) of every quarantined entry."""
        return [(r["entry_id"], r["reason"] or "") for r in self._rows(
            "SELECT entry_id, reason FROM outbox WHERE state = 'quarantined' "
            "ORDER BY entry_id")]

    def sync_value(self, key: str) -> str | None:
        row = self._row("SELECT value FROM sync_state WHERE key = ?", [key])
        return None if row is None else str(row["value"])

    def _set_sync(self, key: str, value: str) -> None:
        self.db.execute("INSERT INTO sync_state VALUES (?, ?) ON CONFLICT (key) DO UPDATE "
                        "SET value = excluded.value", [key, value])

    def latest_business_date(self) -> str | None:
        """The newest business date with entries."""
        row = self._row("SELECT MAX(business_date) AS day FROM sales")
        return None if row is None else row["day"]

    def entry_ids(self, business_date: str) -> list[str]:
        """Every entry of a business date, in order."""
        return [r["id"] for r in self._rows(
            "SELECT id FROM sales WHERE business_date = ? ORDER BY seq", [business_date])]

    def apply_catalog(self, draft: CatalogDraft, currency: str, version: int, source: str,
                      sha256: str) -> bool:
        """A catalog published by the ledger, stored under the ledger's version number, in
        one transaction; only if it is newer than every version here."""
        with self.transaction():
            newest = int(self.db.execute(
                "SELECT COALESCE(MAX(version), 0) FROM catalog_versions").fetchone()[0])
            if version <= newest:
                return False
            self._insert_catalog(version, draft, currency, source, sha256)
        self._catalog = None
        return True

    def apply_rates(self, rates: Sequence[tuple[str, str, Decimal, date]], version: int
                    ) -> bool:
        """A set of rates published by the ledger, in one transaction, if newer than the
        last set applied."""
        with self.transaction():
            if version <= int(self.sync_value("rates_version") or 0):
                return False
            for base, quote, value, effective in rates:
                self._insert_rate(base, quote, value, effective, f"ledger rates v{version}")
            self._set_sync("rates_version", str(version))
        return True

    def sales(self, shift_id: int) -> list[Sale]:
        return [self.sale(r["id"]) for r in self._rows(
            "SELECT id FROM sales WHERE shift_id = ? ORDER BY seq", [shift_id])]

    def _correctable(self, sale_id: str, shift: ShiftInfo, reason: str) -> Sale:
        if not reason.strip():
            raise StoreError(_("a reason is required"))
        original = self.sale(sale_id)
        if original.kind != "sale":
            raise StoreError(_("{id} is a {kind}, not a sale").format(id=original.id,
                                                                       kind=original.kind))
        if original.training != shift.training:
            raise StoreError(_("training sales can only be corrected in a training shift, "
                               "and real sales only in a real shift"))
        if self._row("SELECT id FROM sales WHERE ref_id = ? AND kind = 'void'", [original.id]):
            raise StoreError(_("{id} is already voided").format(id=original.id))
        return original

    def void_sale(self, sale_id: str, reason: str) -> Sale:
        """A new entry that reverses the whole sale: lines, tenders and change."""
        shift = self.require_shift()
        original = self._correctable(sale_id, shift, reason)
        if self._row("SELECT id FROM sales WHERE ref_id = ? AND kind = 'refund'", [original.id]):
            raise StoreError(_("{id} already has refunds; refund the remaining lines instead")
                             .format(id=original.id))
        lines = [line for line in original.lines if not line.voided]
        return self._write_entry(
            kind="void", shift=shift, total=-original.total,
            lines=[_negated(line) for line in lines],
            tenders=[Tender(t.method, -t.amount, t.reference, t.verified)
                     for t in original.tenders],
            change=-original.change, catalog_version=original.catalog_version,
            rates=original.rates, ref_id=original.id, reason=reason.strip(),
            ref_lines=[n for n, line in enumerate(original.lines, start=1) if not line.voided])

    def refund(self, sale_id: str, line_numbers: Sequence[int], reason: str, currency: str,
               settings: Settings) -> Sale:
        """A new entry that gives back the amount of some lines (all if none), in cash."""
        shift = self.require_shift()
        original = self._correctable(sale_id, shift, reason)
        refunded = {r["ref_line"] for r in self._rows(
            "SELECT l.ref_line FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
            "WHERE s.ref_id = ? AND s.kind = 'refund'", [original.id])}
        numbers = list(line_numbers) or [n for n, line in enumerate(original.lines, start=1)
                                          if not line.voided and n not in refunded]
        if not numbers:
            raise StoreError(_("every line of {id} is already refunded").format(id=original.id))
        if len(set(numbers)) != len(numbers):
            raise StoreError(_("a line number is repeated"))
        for n in numbers:
            if not 1 <= n <= len(original.lines) or original.lines[n - 1].voided:
                raise StoreError(_("{id} has no line {n}").format(id=original.id, n=n))
            if n in refunded:
                raise StoreError(_("line {n} of {id} is already refunded").format(
                    n=n, id=original.id))
        lines = [_negated(original.lines[n - 1]) for n in numbers]
        total = Money(sum(line.amount for line in lines), original.total.currency)
        rates = self.rates(original.total.currency, settings.accepted_currencies)
        try:
            paid_out = rates.express(-total.minor, currency)
        except ValueError as err:
            raise StoreError(str(err)) from None
        return self._write_entry(
            kind="refund", shift=shift, total=total, lines=lines,
            tenders=[Tender(CASH, -paid_out)], change=Money.zero(currency),
            catalog_version=original.catalog_version,
            rates=[r for r in rates.all() if r.quote == currency], ref_id=original.id,
            reason=reason.strip(), ref_lines=numbers)

    # -- reports -------------------------------------------------------------------------

    def report(self, settings: Settings, *, shift_id: int | None = None,
               day: str | None = None, training: bool | None = None) -> Report:
        """X report (open shift), Z report (closed shift) or a business-date report."""
        kind: ReportKind
        params: list[Any]
        shift: ShiftInfo | None = None
        if shift_id is not None:
            shift = self.shift(shift_id)
            where, params = "s.shift_id = ?", [shift_id]
            kind = "X" if shift.closed_at is None else "Z"
            training = shift.training
        elif day is not None:
            where, params = "s.business_date = ? AND s.training = ?", [day, int(bool(training))]
            kind = "day"
        else:
            raise StoreError(_("say which shift or which date"))
        totals = self._row(
            f"SELECT COUNT(*) FILTER (WHERE kind = 'sale') AS sales, "
            f"COALESCE(SUM(total) FILTER (WHERE kind = 'sale'), 0) AS gross, "
            f"COUNT(*) FILTER (WHERE kind = 'void') AS voids, "
            f"COALESCE(-SUM(total) FILTER (WHERE kind = 'void'), 0) AS voided, "
            f"COUNT(*) FILTER (WHERE kind = 'refund') AS refunds, "
            f"COALESCE(-SUM(total) FILTER (WHERE kind = 'refund'), 0) AS refunded "
            f"FROM sales s WHERE {where}", params)
        assert totals is not None
        line_voids = self.db.execute(
            f"SELECT COUNT(*) FROM sale_lines l JOIN sales s ON s.id = l.sale_id "
            f"WHERE {where} AND s.kind = 'sale' AND l.voided = 1", params).fetchone()[0]
        tenders = tuple(
            TenderFigure(r["method"], r["currency"], r["amount"], r["n"], r["unverified"])
            for r in self._rows(
                f"SELECT t.method, t.currency, SUM(t.amount) AS amount, "
                f"COUNT(*) FILTER (WHERE s.kind = 'sale') AS n, "
                f"COUNT(*) FILTER (WHERE t.verified = 0 AND s.kind = 'sale') AS unverified "
                f"FROM tenders t JOIN sales s ON s.id = t.sale_id WHERE {where} "
                f"GROUP BY t.method, t.currency ORDER BY t.method <> 'cash', t.method, "
                f"t.currency", params))
        change = {r["change_currency"]: r["amount"] for r in self._rows(
            f"SELECT change_currency, SUM(change) AS amount FROM sales s WHERE {where} "
            f"GROUP BY change_currency HAVING SUM(change) <> 0", params)}
        items = f"""
            SELECT {{key}} AS code, {{names}},
                   COALESCE(SUM(l.grams), 0) AS grams, COALESCE(SUM(l.count), 0) AS count,
                   SUM(l.amount) AS amount
            FROM sale_lines l JOIN sales s ON s.id = l.sale_id
            WHERE {where} AND l.voided = 0 AND {{filter}}
            GROUP BY {{key}} ORDER BY {{order}}"""
        products = tuple(ItemFigure(**r) for r in self._rows(items.format(
            key="l.code", names="MAX(l.name_es) AS name_es, MAX(l.name_en) AS name_en",
            filter="l.kind = 'product'", order="CAST(l.code AS INTEGER)"), params))
        class_name = ("(SELECT {0} FROM price_classes c WHERE c.code = l.price_class "
                      "ORDER BY c.version DESC LIMIT 1) AS {0}")
        classes = tuple(ItemFigure(**r) for r in self._rows(items.format(
            key="l.price_class", names=f"{class_name.format('name_es')}, "
                                       f"{class_name.format('name_en')}",
            filter="l.price_class IS NOT NULL", order="l.price_class"), params))
        counts: tuple[CountLine, ...] = ()
        close_reason = None
        if shift is not None and shift.closed_at is not None:
            counts = tuple(CountLine(r["method"], r["currency"], r["expected"], r["amount"])
                           for r in self._rows(
                "SELECT * FROM shift_counts WHERE shift_id = ? AND stage = 'close' "
                "ORDER BY method <> 'cash', method, currency", [shift.id]))
            row = self._row("SELECT close_reason FROM shifts WHERE id = ?", [shift.id])
            close_reason = row["close_reason"] if row else None
        return Report(
            kind=kind, currency=settings.money.currency, fair=settings.fair.name,
            lane=settings.fair.lane, business_date=shift.business_date if shift else day,
            shift_id=shift.id if shift else None, volunteer=shift.volunteer if shift else None,
            opened_at=shift.opened_at if shift else None,
            closed_at=shift.closed_at if shift else None, training=bool(training),
            sales_count=totals["sales"], gross=totals["gross"], voids_count=totals["voids"],
            voids_amount=totals["voided"], refunds_count=totals["refunds"],
            refunds_amount=totals["refunded"], line_voids=int(line_voids), tenders=tenders,
            change=change, floats=self.floats(shift.id) if shift else {},
            products=products, price_classes=classes, counts=counts, close_reason=close_reason)


def _negated(line: Line) -> Line:
    return Line(line.kind, line.code, line.name_es, line.name_en, line.unit_price, -line.amount,
                -line.grams if line.grams is not None else None,
                -line.count if line.count is not None else None, line.price_class, line.tags)
