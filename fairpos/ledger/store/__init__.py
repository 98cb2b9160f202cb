"""The ledger's storage, by subject: every lane's entries once, the quarantine, what the centre
publishes, the devices and sessions, a fair's hub and its link upstream, the day closes, the
reports the pages read and the bank's statements.

One SQL that both engines take (``ON CONFLICT DO NOTHING``, ``RETURNING``, sums cast to 64-bit
integers) over a :class:`~fairpos.ledger.store.backends.Backend`: :class:`SqliteLedger` in one
SQLite file (WAL, ``synchronous=FULL``), :class:`PostgresLedger` in a PostgreSQL database shared
by any number of ledger processes. :class:`SqlLedger` is built like the lane's journal, one
subject on the one before it:

- ``core``: the connection, the errors and the records every part uses;
- ``publishing``: catalogs, rates and voucher programs, and what entries are checked against;
- ``devices``: enrolments, tokens, admin sessions and the fairs' time zones;
- ``quarantine``: what is kept of a refused entry (bounded), and its review;
- ``ingest``: a batch of sales or shift entries stored in one transaction — each sale once,
  the same id with the same payload hash a duplicate, with another hash a conflict (the
  original stays untouched), what does not add up rejected into the quarantine;
- ``day_closes``: a lane's day close against what the ledger has;
- ``hubs``: a fair's hub, its lanes and what it relays to the centre;
- ``reports``: the home, day, week and lane figures the pages read;
- ``pago_movil``: bank statements, and their lines matched with the tenders.

Stored sales cannot be updated or deleted (triggers).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fairpos.ledger.limits import SEQ_AHEAD
from fairpos.ledger.store.accounts import Accounts
from fairpos.ledger.store.backends import PostgresBackend, SqliteBackend, is_postgresql
from fairpos.ledger.store.core import BatchResult, Device, Hub, LedgerError, Published, utc_now
from fairpos.ledger.store.protocols import Ledger, PageReads, StallApi


class SqlLedger(Accounts):
    """The ledger on a backend (SQLite or PostgreSQL), in one SQL. Safe to share between
    threads; on PostgreSQL, between processes and hosts too."""


class SqliteLedger(SqlLedger):
    """The ledger in one SQLite file (WAL, ``synchronous=FULL``)."""

    def __init__(self, path: Path, clock: Callable[[], str] = utc_now,
                 seq_ahead: int = SEQ_AHEAD, migrate: bool = True) -> None:
        self.path = path
        super().__init__(SqliteBackend(path), clock, seq_ahead, migrate)


class PostgresLedger(SqlLedger):
    """The ledger in a PostgreSQL database (several processes and hosts may share it)."""

    def __init__(self, url: str, clock: Callable[[], str] = utc_now,
                 seq_ahead: int = SEQ_AHEAD, migrate: bool = True,
                 max_connections: int = 8) -> None:
        self.url = url
        super().__init__(PostgresBackend(url, max_size=max_connections), clock, seq_ahead,
                         migrate)


def open_ledger(db: str | Path, clock: Callable[[], str] = utc_now,
                seq_ahead: int = SEQ_AHEAD, migrate: bool = True) -> SqlLedger:
    """The ledger at ``db``: a ``postgresql://`` URL, or a SQLite file's path."""
    if is_postgresql(db):
        return PostgresLedger(str(db), clock, seq_ahead, migrate)
    return SqliteLedger(Path(db), clock, seq_ahead, migrate)


__all__ = ["BatchResult", "Device", "Hub", "Ledger", "LedgerError", "PageReads", "PostgresLedger",
           "Published", "SqlLedger", "SqliteLedger", "StallApi", "open_ledger"]
