"""The journal's tables, one migration per change (sqlite-utils ``Migrations``).

Confirmed entries, their lines and tenders, the catalog versions, rates, counts and the audit
log are append-only: triggers refuse any UPDATE or DELETE.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from fairpos.journal.db import append_only

if TYPE_CHECKING:  # sqlite-utils is loaded only when a migration is due
    from sqlite_utils import Database as Migratable

_FIRST_APPEND_ONLY = ("sales", "sale_lines", "tenders", "audit_log", "catalog_versions",
                      "products", "price_classes", "rates", "shift_counts")
APPEND_ONLY = (*_FIRST_APPEND_ONLY, "count_rounds", "labels", "count_pieces")

MIGRATION_SET = "fairpos"
STEPS: list[Callable[[Migratable], None]] = []


def migration(step: Callable[[Migratable], None]) -> Callable[[Migratable], None]:
    STEPS.append(step)
    return step


@migration
def m001_journal(db: Migratable) -> None:
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
    append_only(db.conn, _FIRST_APPEND_ONLY, "the journal")


@migration
def m002_held_at_quit(db: Migratable) -> None:
    db.execute("ALTER TABLE held_sales ADD COLUMN at_quit INTEGER NOT NULL DEFAULT 0")


@migration
def m003_print_jobs(db: Migratable) -> None:
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


@migration
def m004_scale_frame(db: Migratable) -> None:
    # The scale's frame (hex) a line's weight was read from; NULL: typed by hand, or counted
    db.execute("ALTER TABLE sale_lines ADD COLUMN scale_frame TEXT")


@migration
def m005_sync(db: Migratable) -> None:
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



@migration
def m006_count_rounds(db: Migratable) -> None:
    # Each blind count of a shift is kept as it was submitted; a recount is a new round beside
    # it. The shift closes on its newest round.
    db.executescript(
        """
        CREATE TABLE count_rounds (
            shift_id INTEGER NOT NULL REFERENCES shifts(id),
            round INTEGER NOT NULL CHECK (round >= 1),
            method TEXT NOT NULL,
            currency TEXT NOT NULL,
            amount INTEGER NOT NULL,
            expected INTEGER NOT NULL,
            counted_at TEXT NOT NULL,
            PRIMARY KEY (shift_id, round, method, currency)
        );
        """
    )
    append_only(db.conn, ("count_rounds",), "the journal")


@migration
def m007_draft(db: Migratable) -> None:
    # The sale being rung up, rewritten after every change so that a power cut loses nothing
    # on screen. One row; ``version`` only grows, so a late write never brings back a cart
    # that was already sold or held (its version was cleared with it).
    db.executescript(
        """
        CREATE TABLE draft (
            one INTEGER PRIMARY KEY CHECK (one = 1),
            version INTEGER NOT NULL,
            shift_id INTEGER REFERENCES shifts(id),
            cart TEXT,
            holding TEXT NOT NULL DEFAULT '[]',
            saved_at TEXT NOT NULL
        );
        """
    )

@migration
def m008_draft_lines(db: Migratable) -> None:
    # The draft's lines, one row each: a change to the sale on screen rewrites only the lines
    # it changed (``draft.cart`` keeps the currency and how many lines there are).
    db.executescript(
        """
        CREATE TABLE draft_lines (
            number INTEGER PRIMARY KEY,
            line TEXT NOT NULL
        );
        """
    )


@migration
def m009_print_claims(db: Migratable) -> None:
    # A job is claimed by one drainer at a time (an owner and an expiry, set in the transaction
    # that picks it); ``sent_at`` says bytes may have gone out, and a job that may have printed
    # is 'uncertain': shown to the volunteer, never printed again blindly.
    db.executescript(
        """
        CREATE TABLE print_jobs_claimed (
            id INTEGER PRIMARY KEY,
            sale_id TEXT REFERENCES sales(id),
            kind TEXT NOT NULL CHECK (kind IN ('receipt', 'reprint', 'report', 'test')),
            created_at TEXT NOT NULL,
            payload BLOB NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'printed', 'skipped', 'uncertain')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            printed_at TEXT,
            claimed_by TEXT,
            claim_until TEXT,
            sent_at TEXT
        );
        INSERT INTO print_jobs_claimed (id, sale_id, kind, created_at, payload, state, attempts,
                                        last_error, printed_at)
            SELECT id, sale_id, kind, created_at, payload, state, attempts, last_error,
                   printed_at FROM print_jobs;
        DROP TABLE print_jobs;
        ALTER TABLE print_jobs_claimed RENAME TO print_jobs;
        CREATE INDEX print_jobs_pending ON print_jobs (state, id);
        """
    )


@migration
def m010_shift_outbox(db: Migratable) -> None:
    # A shift's opening and its close travel to the ledger as entries of their own, each
    # waiting here like a sale in the outbox (its payload kept as first sent). The shifts
    # already in the journal are queued too.
    db.executescript(
        """
        CREATE TABLE shift_outbox (
            entry_id TEXT PRIMARY KEY,
            shift_id INTEGER NOT NULL REFERENCES shifts(id),
            stage TEXT NOT NULL CHECK (stage IN ('open', 'close')),
            created_at TEXT NOT NULL,
            payload TEXT,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'acked', 'quarantined')),
            reason TEXT,
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            acked_at TEXT,
            UNIQUE (shift_id, stage)
        );
        CREATE INDEX shift_outbox_state ON shift_outbox (state);
        INSERT INTO shift_outbox (entry_id, shift_id, stage, created_at)
            SELECT d.id || '-S' || printf('%06d', s.id) || '-open', s.id, 'open', s.opened_at
            FROM shifts s, device d;
        INSERT INTO shift_outbox (entry_id, shift_id, stage, created_at)
            SELECT d.id || '-S' || printf('%06d', s.id) || '-close', s.id, 'close',
                   s.closed_at
            FROM shifts s, device d WHERE s.closed_at IS NOT NULL;
        """
    )


@migration
def m011_line_label(db: Migratable) -> None:
    # The label a line was scanned from: a weighing station's code with its weight or price
    db.execute("ALTER TABLE sale_lines ADD COLUMN label TEXT")


@migration
def m012_max_per_sale(db: Migratable) -> None:
    # A product's most in one sale (grams, or a count), when the catalog limits it
    db.execute("ALTER TABLE products ADD COLUMN max_per_sale INTEGER")


@migration
def m013_labels(db: Migratable) -> None:
    # A weighing station's labels, each as printed: what was weighed, when, the scale's frame
    # and the code a lane scans. Its print job is written in the same transaction.
    db.executescript(
        """
        CREATE TABLE labels (
            id INTEGER PRIMARY KEY,
            code TEXT NOT NULL,
            plu TEXT NOT NULL,
            name_es TEXT NOT NULL,
            name_en TEXT NOT NULL,
            grams INTEGER NOT NULL CHECK (grams > 0),
            unit_price INTEGER NOT NULL,
            amount INTEGER NOT NULL,
            currency TEXT NOT NULL,
            catalog_version INTEGER NOT NULL,
            scale_frame TEXT,
            weighed_at TEXT NOT NULL,
            business_date TEXT NOT NULL
        );
        CREATE INDEX labels_day ON labels (business_date, plu);
        CREATE TABLE print_jobs_labels (
            id INTEGER PRIMARY KEY,
            sale_id TEXT REFERENCES sales(id),
            kind TEXT NOT NULL
                CHECK (kind IN ('receipt', 'reprint', 'report', 'test', 'label')),
            created_at TEXT NOT NULL,
            payload BLOB NOT NULL,
            state TEXT NOT NULL DEFAULT 'pending'
                CHECK (state IN ('pending', 'printed', 'skipped', 'uncertain')),
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            printed_at TEXT,
            claimed_by TEXT,
            claim_until TEXT,
            sent_at TEXT
        );
        INSERT INTO print_jobs_labels SELECT id, sale_id, kind, created_at, payload, state,
            attempts, last_error, printed_at, claimed_by, claim_until, sent_at FROM print_jobs;
        DROP TABLE print_jobs;
        ALTER TABLE print_jobs_labels RENAME TO print_jobs;
        CREATE INDEX print_jobs_pending ON print_jobs (state, id);
        """
    )
    append_only(db.conn, ("labels",), "the journal")


@migration
def m014_change_sent(db: Migratable) -> None:
    # Change sent by pago móvil from the fair's account: a tender of its own, marked as change
    db.execute("ALTER TABLE tenders ADD COLUMN is_change INTEGER NOT NULL DEFAULT 0")


@migration
def m015_count_pieces(db: Migratable) -> None:
    # The float and each count of cash, bill by bill and coin by coin, where the market counts
    # so (round 0: the opening float; then the count's round)
    db.executescript(
        """
        CREATE TABLE count_pieces (
            shift_id INTEGER NOT NULL REFERENCES shifts(id),
            round INTEGER NOT NULL CHECK (round >= 0),
            currency TEXT NOT NULL,
            denomination INTEGER NOT NULL CHECK (denomination > 0),
            pieces INTEGER NOT NULL CHECK (pieces > 0),
            PRIMARY KEY (shift_id, round, currency, denomination)
        );
        """
    )
    append_only(db.conn, ("count_pieces",), "the journal")


@migration
def m016_igtf(db: Migratable) -> None:
    # The IGTF a sale paid on top of its total, and the part of the total it was charged on
    db.executescript(
        """
        ALTER TABLE sales ADD COLUMN igtf INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE sales ADD COLUMN igtf_base INTEGER NOT NULL DEFAULT 0;
        """
    )


@migration
def m017_tare_and_draft_payments(db: Migratable) -> None:
    # A weighed line's tare (grams is the net weight); the payments entered for the sale on
    # screen, and the change already sent by pago móvil, kept with its draft
    db.executescript(
        """
        ALTER TABLE sale_lines ADD COLUMN tare INTEGER;
        ALTER TABLE draft ADD COLUMN payments TEXT;
        """
    )


@migration
def m018_sent_again_what_was_not_known_yet(db: Migratable) -> None:
    # Entries a ledger refused only for what it did not know yet (a currency, a catalog or
    # rates version it had not published) are no longer refused but held: they go again.
    db.execute(
        "UPDATE outbox SET state = 'pending', reason = NULL WHERE state = 'quarantined' AND "
        "(reason LIKE 'unknown currency %' OR reason LIKE 'unknown catalog version %' "
        "OR reason LIKE '%which the ledger has not published' "
        "OR reason LIKE '%which the ledger has%not published')")


@migration
def m019_held(db: Migratable) -> None:
    # Why the ledger holds an entry back, until it is taken (NULL: it does not)
    db.execute("ALTER TABLE outbox ADD COLUMN held TEXT")


@migration
def m020_shift_entries_held(db: Migratable) -> None:
    # A shift's opening or close is held as a sale is (a float or count in a currency whose
    # rates the ledger had not published yet); one an earlier version refused for it goes again
    db.executescript(
        """
        ALTER TABLE shift_outbox ADD COLUMN held TEXT;
        UPDATE shift_outbox SET state = 'pending', reason = NULL WHERE state = 'quarantined'
            AND reason LIKE 'unknown currency %';
        """
    )


def migrate(conn: sqlite3.Connection) -> None:
    """Bring the journal's tables up to date, each step once, in order (sqlite-utils
    ``Migrations``; it is loaded only when a step is due, so opening a journal stays quick)."""
    try:
        done = {row[0] for row in conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", [MIGRATION_SET])}
    except sqlite3.OperationalError:  # a new file: no migrations table yet
        done = set()
    if all(step.__name__ in done for step in STEPS):
        return
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(MIGRATION_SET)
    for step in STEPS:
        migrations()(step)
    migrations.apply(Database(conn))
