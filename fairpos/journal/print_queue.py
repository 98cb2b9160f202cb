"""Print jobs: every receipt is written with its sale, so the sale is safe before any paper
moves; a job that fails stays pending, with its reason, until the printer is back."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from fairpos.journal.base import JournalBase


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


_SELECT_JOB = ("SELECT id, sale_id, kind, created_at, payload, state, attempts, last_error "
               "FROM print_jobs")


def _job(row: sqlite3.Row) -> PrintJob:
    return PrintJob(**{**dict(row), "payload": bytes(row["payload"])})


class PrintQueue(JournalBase):
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
        return [_job(r) for r in self.db.all(
            f"{_SELECT_JOB} WHERE (? = 0 OR state = 'pending') AND (? IS NULL OR sale_id = ?) "
            "ORDER BY id", [int(pending_only), sale_id, sale_id])]

    def print_job(self, job_id: int) -> PrintJob:
        row = self.db.one(f"{_SELECT_JOB} WHERE id = ?", [job_id])
        assert row is not None, job_id
        return _job(row)

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
