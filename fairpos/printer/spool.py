"""Print queued jobs: oldest first, one at a time, stopping at the first failure.

Every receipt is a print job in the journal file, written with its sale. A job that fails stays
pending with its reason and prints once the printer is back; the sale was safe all along.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

from fairpos.printer.connection import TIMEOUT, PrinterError, Target, send
from fairpos.store import PrintJob, Store


@dataclass(frozen=True)
class SpoolResult:
    printed: int
    failed: str | None  # why the first job that could not print did not
    pending: int


def print_job(store: Store, target: Target, job: PrintJob, timeout: float = TIMEOUT,
              guard: AbstractContextManager[object] | None = None) -> None:
    """Send one job; raises PrinterError (with the job left pending and the reason saved).

    ``guard`` is held around each use of the store but never while the printer is talked to,
    so a slow printer never holds up the journal (the till passes its journal lock).
    """
    guard = guard or nullcontext()
    try:
        send(target, job.payload, timeout)
    except PrinterError as err:
        with guard:
            store.print_failed(job.id, str(err))
        raise
    with guard:
        store.print_done(job.id)


def print_pending(store: Store, target: Target, timeout: float = TIMEOUT,
                  guard: AbstractContextManager[object] | None = None) -> SpoolResult:
    """Print every pending job, oldest first; stop when the printer fails."""
    guard = guard or nullcontext()
    printed = 0
    failed = None
    while True:
        with guard:
            jobs = store.print_jobs()
        if not jobs:
            break
        try:
            print_job(store, target, jobs[0], timeout, guard)
        except PrinterError as err:
            failed = str(err)
            break
        printed += 1
    with guard:
        return SpoolResult(printed, failed, len(store.print_jobs()))
