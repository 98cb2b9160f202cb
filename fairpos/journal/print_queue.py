"""Print jobs: every receipt is written with its sale, so the sale is safe before any paper
moves; a job that fails stays pending, with its reason, until the printer is back.

Any process may drain the queue (the till's printer worker, ``fairpos printer retry``, a
reprint): a drainer claims one job at a time, with its name and an expiry, in the transaction
that picks it, so no two drainers print the same job. Just before the bytes go out the job is
marked sent; from then on it may have printed, and if the drainer fails or dies the job becomes
'uncertain' — shown to the volunteer, who reprints it (marked REPRINT) if the paper says so —
instead of being printed again blindly. A drainer that dies before sending leaves its job to be
claimed again once the claim expires."""

from __future__ import annotations

import os
import secrets
import sqlite3
from datetime import UTC, datetime, timedelta

from fairpos.journal.base import JournalBase
from fairpos.journal.records import ClaimLost, PrintJob

CLAIM_SECONDS = 120  # how long a claim holds: longer than any one receipt takes to send


def drainer_name() -> str:
    """A name for one drainer, unique across processes and runs."""
    return f"{os.getpid()}-{secrets.token_hex(4)}"


def drainer_gone(owner: str) -> bool:
    """Whether the drainer named ``owner`` (:func:`drainer_name`) is no longer running on
    this machine (killed mid-receipt, say)."""
    pid = owner.partition("-")[0]
    if not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # (alive, another user's)
        return False
    return False


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


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

    def uncertain_prints(self) -> list[PrintJob]:
        """Jobs that may have printed when their drainer failed: the paper says whether."""
        return [_job(r) for r in self.db.all(
            f"{_SELECT_JOB} WHERE state = 'uncertain' ORDER BY id")]

    def settle_dead_drainers(self) -> int:
        """Jobs claimed by a drainer that is no longer running (a ``printer retry`` killed
        mid-receipt): one whose bytes went out may have printed and waits for the volunteer
        ('uncertain'); one that sent nothing is free for the next drainer. At once, not when
        the claim expires."""
        claimed = [(r["id"], r["claimed_by"], r["sent_at"]) for r in self.db.all(
            "SELECT id, claimed_by, sent_at FROM print_jobs WHERE state = 'pending' AND "
            "claimed_by IS NOT NULL")]
        gone = [(job, sent) for job, owner, sent in claimed if drainer_gone(owner)]
        if not gone:
            return 0
        with self.transaction():
            for job, sent in gone:
                self.db.execute(
                    "UPDATE print_jobs SET state = ?, claimed_by = NULL, claim_until = NULL "
                    "WHERE id = ? AND state = 'pending'",
                    ["uncertain" if sent is not None else "pending", job])
        return len(gone)

    def claim_print(self, owner: str, *, job_id: int | None = None, sale_id: str | None = None
                    ) -> PrintJob | None:
        """The oldest pending job no live drainer holds (``job_id``: that one only;
        ``sale_id``: that sale's), now held by ``owner``; None when there is none."""
        now = self.clock()
        self.settle_dead_drainers()
        with self.transaction():
            # a drainer died after its bytes went out: that job may have printed
            self.db.execute(
                "UPDATE print_jobs SET state = 'uncertain', claimed_by = NULL, "
                "claim_until = NULL WHERE state = 'pending' AND claim_until < ? "
                "AND sent_at IS NOT NULL", [_utc(now)])
            row = self.db.one(
                f"{_SELECT_JOB} WHERE state = 'pending' AND (claim_until IS NULL OR "
                "claim_until < ?) AND (? IS NULL OR id = ?) AND (? IS NULL OR sale_id = ?) "
                "ORDER BY id LIMIT 1", [_utc(now), job_id, job_id, sale_id, sale_id])
            if row is None:
                return None
            self.db.execute(
                "UPDATE print_jobs SET claimed_by = ?, claim_until = ?, sent_at = NULL "
                "WHERE id = ?", [owner, _utc(now + timedelta(seconds=CLAIM_SECONDS)),
                                 row["id"]])
        return _job(row)

    def print_sending(self, job_id: int, owner: str) -> None:
        """The bytes of ``job_id`` are about to go out; ClaimLost if another drainer took it."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE print_jobs SET sent_at = ? WHERE id = ? AND claimed_by = ? "
                "AND state = 'pending'", [_utc(self.clock()), job_id, owner])
            if cursor.rowcount != 1:
                raise ClaimLost(job_id)

    def print_done(self, job_id: int, owner: str) -> None:
        with self.transaction():
            self.db.execute("UPDATE print_jobs SET state = 'printed', printed_at = ?, "
                            "attempts = attempts + 1, last_error = NULL, claimed_by = NULL, "
                            "claim_until = NULL WHERE id = ? AND claimed_by = ?",
                            [self.clock().isoformat(), job_id, owner])

    def print_failed(self, job_id: int, owner: str, error: str, *, uncertain: bool = False
                     ) -> None:
        """Nothing went out: the job is pending again, with the reason, to be printed once the
        printer is back. ``uncertain``: bytes went out before it failed, so it may have
        printed; it waits for the volunteer instead."""
        with self.transaction():
            self.db.execute(
                "UPDATE print_jobs SET attempts = attempts + 1, last_error = ?, state = ?, "
                "claimed_by = NULL, claim_until = NULL, sent_at = NULL "
                "WHERE id = ? AND claimed_by = ?",
                [error, "uncertain" if uncertain else "pending", job_id, owner])

    def settle_uncertain(self, sale_id: str) -> int:
        """A reprint of ``sale_id`` was queued: its uncertain receipts need no more thought."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE print_jobs SET state = 'skipped' WHERE state = 'uncertain' AND "
                "sale_id = ?", [sale_id])
        return int(cursor.rowcount)

    def skip_prints(self, before: str) -> int:
        """Mark pending receipts created before ``before`` as not printed (reprint by id)."""
        with self.transaction():
            cursor = self.db.execute(
                "UPDATE print_jobs SET state = 'skipped' WHERE state = 'pending' AND "
                "created_at < ?", [before])
        return int(cursor.rowcount)
