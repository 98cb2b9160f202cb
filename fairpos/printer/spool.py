"""Print queued jobs: oldest first, one at a time, stopping at the first failure.

Every receipt is a print job in the journal file, written with its sale. A job that fails
before any byte went out stays pending with its reason and prints once the printer is back;
one that failed after (it may have printed) waits for the volunteer. Each job is claimed by one
drainer, so two drainers at once — the till and ``fairpos printer retry`` — never print the same
job twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from fairpos.journal import ClaimLost, Journal, PrintJob, drainer_name
from fairpos.printer.connection import (
    TIMEOUT,
    PrinterError,
    PrintUncertain,
    State,
    Target,
    send,
)


@dataclass(frozen=True)
class SpoolResult:
    printed: int
    failed: str | None  # why the first job that could not print did not
    pending: int
    uncertain: int = 0  # jobs that may have printed, for the volunteer to check
    paper_low: bool = False  # the printer said, at the last job, that little paper is left


def print_job(journal: Journal, target: Target, job: PrintJob, owner: str,
              timeout: float = TIMEOUT) -> State | None:
    """Send one job ``owner`` has claimed; returns the printer's state as it printed, or None
    when another drainer took the job over before anything was sent. Raises PrinterError (the
    job left pending with the reason saved, or uncertain if bytes had gone out). The journal
    is not held while the printer is talked to: a slow printer holds up nothing."""
    try:
        found = send(target, job.payload, timeout,
                     sending=lambda: journal.print_sending(job.id, owner))
    except ClaimLost:
        return None
    except PrintUncertain as err:
        journal.print_failed(job.id, owner, str(err), uncertain=True)
        raise
    except PrinterError as err:
        journal.print_failed(job.id, owner, str(err))
        raise
    journal.print_done(job.id, owner)
    return found


def print_pending(journal: Journal, target: Target, timeout: float = TIMEOUT, *,
                  sale_id: str | None = None, job_id: int | None = None) -> SpoolResult:
    """Print every pending job no other drainer holds (``sale_id``/``job_id``: only those),
    oldest first; stop when the printer fails."""
    owner = drainer_name()
    printed = 0
    failed = None
    paper_low = False
    while (job := journal.claim_print(owner, sale_id=sale_id, job_id=job_id)) is not None:
        try:
            found = print_job(journal, target, job, owner, timeout)
        except PrinterError as err:
            failed = str(err)
            break
        if found is not None:
            printed += 1
            paper_low = found == "paper_low"
    return SpoolResult(printed, failed, len(journal.print_jobs()),
                       len(journal.uncertain_prints()), paper_low)
