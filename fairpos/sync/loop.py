"""One sync loop and one backoff policy, for ``fairpos sync`` and for the till's sync process.

``fairpos sync`` pushes until the outcome is known (:func:`push_until_settled`); the till's sync
process pushes all day (:func:`keep_syncing`): after each run it says how things stand, then
waits a period — or a growing, jittered pause while the link is down — unless a new sale
wakes it first. Both close days with the ledger the same way (:func:`close_days`): ``fairpos
sync`` every day due each time it runs, the till's process the days before the open shift's,
once every ``close_every`` seconds — so that entries a ledger lost after acknowledging them (a
backup restored, a failover) come back even from a lane whose volunteers never run
``fairpos sync``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from fairpos.journal import Journal, OutboxSummary
from fairpos.sync.relay import LedgerClient, PushReport, day_figures, push
from fairpos.sync.wire import MAX_BATCH


class Backoff:
    """Exponential backoff with full jitter: wait a random time up to base·2ⁿ, capped."""

    def __init__(self, base: float = 1.0, cap: float = 60.0,
                 rng: random.Random | None = None) -> None:
        self.base, self.cap = base, cap
        self.failures = 0
        self.rng = rng or random.Random()

    def failed(self) -> float:
        """Note a failure; the seconds to wait before the next try."""
        delay = self.rng.uniform(0, min(self.cap, self.base * 2 ** self.failures))
        self.failures += 1
        return delay

    def succeeded(self) -> None:
        self.failures = 0


@dataclass(frozen=True)
class SyncStatus:
    """How a sync run ended: ``problem`` (None: everything sent) and what waits now."""

    problem: str | None
    summary: OutboxSummary | None
    clock_skew: timedelta | None = None  # this clock less the ledger's (its last reply's Date)

    def to_json(self) -> dict[str, Any]:
        summary = self.summary
        skew = self.clock_skew
        return {"problem": self.problem, "summary": None if summary is None else {
            "pending": summary.pending, "oldest": summary.oldest,
            "quarantined": summary.quarantined, "last_sync": summary.last_sync,
            "at_hub": summary.at_hub, "hub_contact": summary.hub_contact,
            "shifts_pending": summary.shifts_pending},
            "clock_skew": None if skew is None else int(skew.total_seconds())}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SyncStatus:
        summary = data.get("summary")
        skew = data.get("clock_skew")
        at_hub = None if summary is None else summary.get("at_hub")
        return cls(data.get("problem"), None if summary is None else OutboxSummary(
            int(summary["pending"]), summary["oldest"], int(summary["quarantined"]),
            summary["last_sync"], None if at_hub is None else int(at_hub),
            summary.get("hub_contact"), int(summary.get("shifts_pending") or 0)),
            None if skew is None else timedelta(seconds=int(skew)))


def push_until_settled(journal: Journal, client: LedgerClient, *, tries: int,
                       backoff: Backoff, pushed: Callable[[PushReport, bool], None],
                       sleep: Callable[[float], None] = time.sleep) -> PushReport:
    """Push; while the outcome is unknown (a timeout, a reset, a 5xx) or the ledger cannot be
    reached, push again after a growing pause, ``tries`` times at most. ``pushed(report,
    again)`` hears of each push."""
    for attempt in range(tries):
        report = push(journal, client)
        again = (report.error is not None and report.error.transient and attempt + 1 < tries)
        pushed(report, again)
        if not again:
            return report
        sleep(backoff.failed())
    raise AssertionError("tries is at least 1")


def close_days(journal: Journal, client: LedgerClient, days: list[str],
               resent: Callable[[str, PushReport], None] = lambda *_: None
               ) -> dict[str, dict[str, Any]]:
    """Close each of ``days`` with the ledger (its reply, by day). A day the ledger lacks
    entries of — entries it had acknowledged, lost with a backup restored or a failover — is
    sent again (``resent(day, report)`` hears of it) and closed again; a day that matches is
    noted. SyncError as the client raises it."""
    results: dict[str, dict[str, Any]] = {}
    for closing in days:
        result = client.day_close(journal.device_id, day_figures(journal, closing))
        if result.get("result") == "pending" and journal.outbox_resend(result["missing"]):
            resent(closing, push(journal, client))
            result = client.day_close(journal.device_id, day_figures(journal, closing))
        if result.get("result") == "match":
            journal.day_matched(closing)
        results[closing] = result
    return results


def days_before_the_shift(journal: Journal, keep_days: int) -> list[str]:
    """The days due a close (:meth:`Journal.days_to_close`) but the open shift's, still
    selling."""
    shift = journal.current_shift()
    return [day for day in journal.days_to_close(keep_days)
            if shift is None or day != shift.business_date]


def keep_syncing(journal: Journal, client: LedgerClient, *, period: float,
                 wait: Callable[[float], bool], tell: Callable[[SyncStatus], None],
                 batch_size: int = MAX_BATCH, keep_days: int | None = None,
                 close_every: float = 3600.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
    """Push, tell, wait; again and again until ``wait(seconds)`` says stop (returns False).
    Any failure of a run is told and tried again later: the entries stay in the outbox.
    With ``keep_days``, a run that sent everything also closes the days before the open
    shift's (:func:`days_before_the_shift`), at most once every ``close_every`` seconds, and
    lets go of the payloads kept long enough."""
    backoff = Backoff(base=period / 10, cap=period * 10)
    closed_at: float | None = None
    while True:
        try:
            report = push(journal, client, batch_size=batch_size)
            problem = None if report.error is None else str(report.error)
            if problem is None and keep_days is not None and (
                    closed_at is None or monotonic() - closed_at >= close_every):
                close_days(journal, client, days_before_the_shift(journal, keep_days))
                journal.prune_payloads(keep_days)
                closed_at = monotonic()
        except Exception as err:  # a run that failed in any way is reported, never fatal
            problem = str(err) or type(err).__name__
        try:
            summary: OutboxSummary | None = journal.outbox_summary()
        except Exception:
            summary = None
        tell(SyncStatus(problem, summary, client.clock_skew))
        if problem is None:
            backoff.succeeded()
            delay = period
        else:
            delay = backoff.failed()
        if not wait(delay):
            return
