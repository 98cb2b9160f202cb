"""The ledger's core: the connection to its backend, its errors, and the records every part
of it answers with (a device, a hub, a batch's outcome, a publication).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fairpos.errors import FairposError
from fairpos.i18n import _
from fairpos.ledger.limits import SEQ_AHEAD
from fairpos.ledger.store.backends import Backend
from fairpos.ledger.store.migrations import migrate as apply_migrations
from fairpos.sync.sale_entries import Known
from fairpos.sync.wire import WireError


class LedgerError(FairposError, ValueError):
    """A request the ledger refuses; the message is for a person."""


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class Device:
    enrolment: int
    device_id: str | None
    fair: str
    lane: int
    revoked: bool


@dataclass(frozen=True)
class Hub:
    """A fair site's ledger, relaying its lanes' entries to this one."""

    hub: int
    fair: str


@dataclass
class BatchResult:
    accepted: list[str] = field(default_factory=list)
    duplicate: list[str] = field(default_factory=list)
    rejected: list[dict[str, str]] = field(default_factory=list)
    conflict: list[dict[str, str]] = field(default_factory=list)
    max_contiguous_seq: int = 0
    # entries that name what this ledger does not know yet (a currency, a catalog or rates
    # version): not stored and not refused — the lane sends them again
    pending: list[dict[str, str]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"accepted": self.accepted, "duplicate": self.duplicate,
                "rejected": self.rejected, "conflict": self.conflict,
                "max_contiguous_seq": self.max_contiguous_seq,
                **({"pending": self.pending} if self.pending else {})}


@dataclass(frozen=True)
class Published:
    version: int
    body: dict[str, Any]  # what GET /v1/catalog or /v1/rates answers

    @property
    def etag(self) -> str:
        return f'"{self.version}"'


def bigint_sum(expression: str) -> str:
    """A sum both engines give as a 64-bit integer."""
    return f"CAST(SUM({expression}) AS BIGINT)"


IDS_PER_QUERY = 1_000  # ids named in one query's IN (...), at most


def persons_words(text: str, field: str, most: int) -> str:
    """What a person typed into a form — a name, a reason, a note — its spaces made one:
    refused (one line) when empty, past ``most`` characters, or holding a control or
    invisible character."""
    from fairpos.sync.sale_entries import check_text

    said = " ".join(text.split())
    refusals = {
        "name": (_("the name is empty"), _("the name is longer than {most} characters"),
                 _("the name holds a control or invisible character")),
        "reason": (_("the reason is empty"), _("the reason is longer than {most} characters"),
                   _("the reason holds a control or invisible character")),
        "note": (_("the note is empty"), _("the note is longer than {most} characters"),
                 _("the note holds a control or invisible character"))}[field]
    if not said:
        raise LedgerError(refusals[0])
    if len(said) > most:
        raise LedgerError(refusals[1].format(most=most))
    try:
        check_text(said, field, most)
    except WireError:
        raise LedgerError(refusals[2]) from None
    return said


class LedgerCore:
    """The backend and the clock every part of the ledger works through."""

    def __init__(self, backend: Backend, clock: Callable[[], str] = utc_now,
                 seq_ahead: int = SEQ_AHEAD, migrate: bool = True) -> None:
        self.backend = backend
        self.clock = clock
        self.seq_ahead = seq_ahead
        # a fair's hub: it learns the voucher programs from the centre, so an entry that
        # names one it does not know yet is held, not refused
        self.relays = False
        self._known: tuple[tuple[Any, ...], Known] | None = None
        self._known_lock = threading.Lock()
        self._class_names: tuple[int, dict[str, dict[str, str]]] | None = None
        if not migrate:  # (a replica: read only, its tables the primary's)
            return
        try:
            apply_migrations(backend)
        except BaseException:
            backend.close()
            raise

    def close(self) -> None:
        self.backend.close()

    def backup(self, folder: Path, keep: int) -> tuple[Path, tuple[Path, ...]]:
        """A copy of a ledger on SQLite in ``folder``, taken while it serves (SQLite's online
        backup) and found whole; the copies there beyond ``keep`` removed. A ledger on
        PostgreSQL is copied with PostgreSQL's own tools."""
        from fairpos.journal.backups import copy_whole
        from fairpos.ledger.store.backends import SqliteBackend

        backend = self.backend
        if not isinstance(backend, SqliteBackend):
            raise LedgerError(_("a ledger on PostgreSQL is copied with PostgreSQL's own tools "
                                "(pg_dump, or a base backup): see docs/operations.md"))
        with backend.db.lock:
            return copy_whole(backend.db.conn, folder, "ledger", datetime.now().astimezone(),
                              keep)

    def transaction(self) -> AbstractContextManager[Any]:
        return self.backend.transaction()

    def all(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        """Rows of one read (by position or by column name), on either engine."""
        return self.backend.all(sql, params)

    _all = all
