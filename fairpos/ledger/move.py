"""``fairpos ledger migrate``: a SQLite ledger moved whole into PostgreSQL, and proved so.

Every table is copied in one transaction (PostgreSQL's COPY), the numbering of the keys the
database assigns carried on, and then both sides are counted, summed and hashed table by table:
the move is reported only if every figure is the same.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from fairpos.ledger.store import LedgerError, PostgresLedger, SqliteLedger, SqlLedger

# In an order that keeps every reference whole; the key the database numbers, if any.
TABLES: tuple[tuple[str, str | None], ...] = (
    ("devices", "enrolment"), ("admin_tokens", None), ("admin_sessions", None),
    ("vouchers", None), ("catalogs", None), ("rate_sets", None), ("sales", None),
    ("sale_lines", None), ("sale_tenders", None), ("quarantine", "id"), ("lane_rates", None),
    ("day_closes", "id"), ("hubs", "hub"), ("upstream_acks", None), ("upstream_state", None),
    ("fairs", None), ("quarantine_reviews", "id"), ("shift_entries", None),
    ("shift_counts", None), ("statements", "id"), ("statement_lines", "id"),
    ("day_lines", None), ("day_sales", None), ("sale_search", None),
    ("quarantine_resolutions", "id"), ("accounts", None), ("audit", "id"),
    ("pago_movil_decisions", "id"), ("statement_line_notes", "id"),
)
# What is compared, table by table: rows, a sum where there is money, a hash of every row.
SUMS = {"sales": "total", "sale_lines": "amount", "sale_tenders": "amount",
        "shift_counts": "counted", "statement_lines": "amount", "day_lines": "amount",
        "day_sales": "total"}


@dataclass(frozen=True)
class Figures:
    table: str
    rows: int
    total: int | None
    digest: str


def columns(ledger: SqlLedger, table: str) -> list[str]:
    if isinstance(ledger, SqliteLedger):
        return [r[1] for r in ledger.all(f"PRAGMA table_info({table})")]
    return [r[0] for r in ledger.all(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
        "ORDER BY ordinal_position", [table])]


def rows(ledger: SqlLedger, sql: str) -> Iterator[tuple[Any, ...]]:
    """Every row of ``sql``, streamed (a ledger may hold millions)."""
    if isinstance(ledger, SqliteLedger):
        with ledger.backend.db.lock:  # type: ignore[attr-defined]
            yield from ledger.backend.db.conn.execute(sql)  # type: ignore[attr-defined]
        return
    pool = ledger.backend.pool  # type: ignore[attr-defined]
    with pool.connection() as conn, conn.transaction(), conn.cursor(name="rows") as cursor:
        cursor.itersize = 10_000  # rows fetched at a time (not one round trip per 100)
        cursor.execute(sql.encode())
        yield from cursor


class Tally:
    """Rows counted, and a hash of them that does not depend on their order (each row's
    SHA-256 added up): the engines may sort text differently."""

    def __init__(self) -> None:
        self.rows = 0
        self.hashed = 0

    def add(self, row: tuple[Any, ...]) -> None:
        self.rows += 1
        self.hashed += int.from_bytes(hashlib.sha256(repr(row).encode()).digest())


def figures(ledger: SqlLedger, table: str, names: list[str], tally: Tally | None = None
            ) -> Figures:
    """Rows, the sum of its money column, and the hash of every row (``tally``: the rows
    as they were read already)."""
    if tally is None:
        tally = Tally()
        for row in rows(ledger, f"SELECT {', '.join(names)} FROM {table}"):
            tally.add(tuple(row))
    total = None
    if table in SUMS:
        total = int(ledger.all(f"SELECT CAST(COALESCE(SUM({SUMS[table]}), 0) AS BIGINT) "
                               f"FROM {table}")[0][0])
    return Figures(table, tally.rows, total, f"{tally.hashed % 2**256:064x}")


def move(source: SqliteLedger, target: PostgresLedger) -> list[tuple[Figures, Figures]]:
    """Copy ``source`` into ``target`` (which must hold nothing yet); each table's figures on
    both sides."""
    if target.all("SELECT COUNT(*) FROM devices")[0][0] or \
            target.all("SELECT COUNT(*) FROM sales")[0][0]:
        raise LedgerError("the target already holds a ledger: migrate into an empty database")
    names = {table: columns(source, table) for table, _key in TABLES}
    copied = {table: Tally() for table, _key in TABLES}  # the source, as it is read once
    with target.transaction() as conn:
        for table, key in TABLES:
            listed = ", ".join(names[table])
            with conn.conn.cursor().copy(f"COPY {table} ({listed}) FROM STDIN") as copy:
                for row in rows(source, f"SELECT {listed} FROM {table}"):
                    values = tuple(row)
                    copy.write_row(values)
                    copied[table].add(values)
            if key is not None:
                conn.execute(f"SELECT setval(pg_get_serial_sequence('{table}', '{key}'), "
                             f"COALESCE((SELECT MAX({key}) FROM {table}), 0) + 1, false)")
    return [(figures(source, table, names[table], copied[table]),
             figures(target, table, names[table])) for table, _key in TABLES]
