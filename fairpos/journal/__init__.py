"""The stall's journal: one SQLite file per device (WAL, ``synchronous=FULL``), split by market
concept — catalog and rates, shifts, held sales, sales and corrections, the print queue, the
outbox, reports, a weighing station's labels — over one
:class:`~fairpos.journal.db.Database` that owns the single writer.

Confirming a sale writes the sale, its lines, its tenders, its outbox row and its receipt in one
transaction. Confirmed entries are never updated or deleted: triggers refuse it.
"""

from __future__ import annotations

from fairpos.journal.base import DB_NAME, mint_device_id
from fairpos.journal.labels import LabelBook
from fairpos.journal.migrations import APPEND_ONLY
from fairpos.journal.outbox import Outbox
from fairpos.journal.print_queue import drainer_name
from fairpos.journal.records import (
    ClaimLost,
    ClockBehind,
    ClosedShift,
    CountRound,
    DiskError,
    Draft,
    HeldSale,
    JournalError,
    Labelled,
    OutboxSummary,
    PrintJob,
    ShiftInfo,
)
from fairpos.journal.reports import Reports


class Journal(Outbox, Reports, LabelBook):
    """The journal of one device: every part of it, on one file."""


__all__ = ["APPEND_ONLY", "DB_NAME", "ClaimLost", "ClockBehind", "ClosedShift", "CountRound",
           "DiskError", "Draft", "HeldSale", "Journal", "JournalError", "Labelled",
           "OutboxSummary",
           "PrintJob", "ShiftInfo", "drainer_name", "mint_device_id"]
