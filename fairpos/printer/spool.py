"""Print queued jobs: oldest first, one at a time, stopping at the first failure.

Every receipt is a print job in the journal file, written with its sale. A job that fails stays
pending with its reason and prints once the printer is back; the sale was safe all along.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairpos.printer.connection import TIMEOUT, PrinterError, Target, send
from fairpos.store import PrintJob, Store


@dataclass(frozen=True)
class SpoolResult:
    printed: int
    failed: str | None  # why the first job that could not print did not
    pending: int


def print_job(store: Store, target: Target, job: PrintJob, timeout: float = TIMEOUT) -> None:
    """Send one job; raises PrinterError (with the job left pending and the reason saved)."""
    try:
        send(target, job.payload, timeout)
    except PrinterError as err:
        store.print_failed(job.id, str(err))
        raise
    store.print_done(job.id)


def print_pending(store: Store, target: Target, timeout: float = TIMEOUT) -> SpoolResult:
    """Print every pending job, oldest first; stop when the printer fails."""
    printed = 0
    failed = None
    for job in store.print_jobs():
        try:
            print_job(store, target, job, timeout)
        except PrinterError as err:
            failed = str(err)
            break
        printed += 1
    return SpoolResult(printed, failed, len(store.print_jobs()))
