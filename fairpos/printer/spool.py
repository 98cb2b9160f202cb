"""Print queued jobs: oldest first, one at a time, stopping at the first failure.

Every receipt is a print job in the journal file, written with its sale. A job that fails stays
pending with its reason and prints once the printer is back; the sale was safe all along.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairpos.journal import Journal, PrintJob
from fairpos.printer.connection import TIMEOUT, PrinterError, Target, send


@dataclass(frozen=True)
class SpoolResult:
    printed: int
    failed: str | None  # why the first job that could not print did not
    pending: int


def print_job(journal: Journal, target: Target, job: PrintJob, timeout: float = TIMEOUT
              ) -> None:
    """Send one job; raises PrinterError (with the job left pending and the reason saved).
    The journal is not held while the printer is talked to: a slow printer holds up nothing."""
    try:
        send(target, job.payload, timeout)
    except PrinterError as err:
        journal.print_failed(job.id, str(err))
        raise
    journal.print_done(job.id)


def print_pending(journal: Journal, target: Target, timeout: float = TIMEOUT) -> SpoolResult:
    """Print every pending job, oldest first; stop when the printer fails."""
    printed = 0
    failed = None
    while jobs := journal.print_jobs():
        try:
            print_job(journal, target, jobs[0], timeout)
        except PrinterError as err:
            failed = str(err)
            break
        printed += 1
    return SpoolResult(printed, failed, len(journal.print_jobs()))
