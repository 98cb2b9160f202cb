"""The till's devices, each off the UI thread: receipts printed by a worker (and retried,
counted, checked when one may not have printed in full), the sync process and what it
hears of the ledger, and the scale read in a thread of its own — each shown in the side
panel's slots. Part of the till app (:class:`~fairpos.tui.app.TillApp` is built on it)."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from textual import on, work

from fairpos.clock import far_from_ledger, skew_words
from fairpos.i18n import _, active
from fairpos.journal.records import OutboxSummary
from fairpos.lane import Lane
from fairpos.scale.frames import Answer, Command
from fairpos.scale.weighing import Weighing
from fairpos.settings import Settings
from fairpos.tui.base import TillScreen
from fairpos.tui.keys_in_order import KeysInOrder
from fairpos.tui.messages import (
    PrinterChanged,
    ScaleCommanded,
    ScaleReading,
    Scanned,
    ScannerChanged,
    SyncChanged,
)

if TYPE_CHECKING:  # pyserial and the sync process are loaded only when configured
    from fairpos.scale.port import ScaleWatch
    from fairpos.scanner.port import ScannerWatch
    from fairpos.sync.worker import SyncProcess


class DeviceSlots(KeysInOrder):
    """The printer, the sync process and the scale, as the till drives and shows them."""

    # (set by the till app as it starts)
    lane: Lane
    settings: Settings
    uncertain_prints: int
    ledger_clock_problem: str | None
    _printing: threading.Lock
    can_print: bool
    printer_status: str
    printer_failed: bool
    _waiting: int
    printer_problem: str | None
    paper_low: bool
    scale_watch: ScaleWatch | None
    scanner_watch: ScannerWatch | None
    scanner_status: str
    weighing: Weighing
    sync: SyncProcess | None
    sync_status: str
    sync_summary: OutboxSummary | None
    sync_seconds: float

    # -- receipts, printed off the UI thread -----------------------------------------------

    def start_printing(self) -> None:
        """Print what was left from before, except receipts older than the backlog limit."""
        minutes = self.settings.printer.backlog_minutes
        self._print_worker(timedelta(minutes=minutes) if minutes > 0 else None)

    def print_queue(self) -> None:
        """Print whatever is waiting, in a worker; the till goes on selling meanwhile."""
        if self.can_print:
            self._print_worker()

    @work(thread=True, group="printer", exit_on_error=False)
    def _print_worker(self, skip_older_than: timedelta | None = None) -> None:
        if self.lane.read_only:  # what waits stays queued, for a writable journal
            self.post_message(PrinterChanged(None, len(self.lane.print_jobs()),
                                             len(self.lane.uncertain_prints())))
            return
        with self._printing:
            if skip_older_than is not None:  # only reprintable by sale id from now on
                self.lane.skip_prints(self.lane.now() - skip_older_than)
            result = self.lane.print_pending()
        self.post_message(PrinterChanged(result.failed, result.pending, result.uncertain,
                                         result.paper_low if result.printed else None,
                                         self._uncertain_sale()))

    def _uncertain_sale(self) -> str | None:
        uncertain = self.lane.uncertain_prints()
        return uncertain[-1].sale_id if uncertain else None

    def _recount_printing(self) -> None:
        """While receipts wait or may not have printed, the side panel follows the queue (a
        retry from the command line, or the paper checked, changes it)."""
        if self.can_print and (self._waiting or self.uncertain_prints) and \
                not any(w.group == "printer" and w.is_running for w in self.workers):
            self._count_worker()

    @work(thread=True, group="printer", exit_on_error=False)
    def _count_worker(self) -> None:
        lane = self.lane
        lane.settle_dead_drainers()  # (a printer retry killed mid-receipt)
        self.post_message(PrinterChanged(None, len(lane.print_jobs()),
                                         len(lane.uncertain_prints()),
                                         uncertain_sale=self._uncertain_sale(), counted=True))

    @on(PrinterChanged)
    def _printer_changed(self, message: PrinterChanged) -> None:
        problem = message.problem
        if message.counted and message.pending > 0:  # (a count alone clears no fault)
            problem = self.printer_problem
        self.printer_problem = problem
        self.printer_failed = problem is not None
        self._waiting = max(message.pending, 0)
        waiting = (_("{count} waiting").format(count=message.pending)
                   if message.pending > 0 else "")
        check = (_("{count} to check").format(count=message.uncertain)
                 if message.uncertain > 0 else "")
        if message.uncertain > self.uncertain_prints:
            self.notify(_("The receipt of {sale} may not have printed in full: look at the "
                          "paper. If it is missing, F10 finds the sale and F5 prints it again."
                          ).format(sale=message.uncertain_sale or "?"),
                        severity="warning", timeout=30)
        self.uncertain_prints = max(message.uncertain, 0)
        if message.paper_low and not self.paper_low:
            self.notify(_("The printer has little paper left: have a roll at hand."),
                        severity="warning", timeout=30)
        if message.paper_low is not None:
            self.paper_low = message.paper_low
        ready = _("little paper left") if self.paper_low else _("ready")
        self.printer_status = " · ".join(p for p in (problem or ready, waiting, check) if p)
        self._devices_changed()

    def _retry_printing(self) -> None:
        if self.printer_failed:
            self.print_queue()

    def _devices_changed(self) -> None:
        if not self.screen_stack:  # quitting: a device's late news has no screen to go to
            return
        screen = self.screen
        if isinstance(screen, TillScreen):
            screen.devices_changed()

    # -- sync with the ledger, in a process of its own: the till never waits on it ---------

    def start_sync(self) -> None:
        from fairpos.sync.worker import SyncProcess

        ledger = self.settings.ledger
        self.sync = SyncProcess(
            self.lane.data_dir, ledger.url, ledger.token, self.sync_seconds, active(),
            lambda status: self.post_message(SyncChanged(status.problem, status.summary,
                                                         status.clock_skew)))
        self.sync.start()

    def sync_now(self) -> None:
        """Send what waits now (after a sale); the sync process also runs on its own."""
        if self.sync is not None:
            self.sync.wake()

    @on(SyncChanged)
    def _sync_changed(self, message: SyncChanged) -> None:
        if message.summary is not None:
            self.sync_summary = message.summary
        if message.clock_skew is not None:
            self._heard_ledger_clock(message.clock_skew)
        # (the problem says it whole: "no connection (nothing answers at …)")
        state = message.problem or _("online")
        parts = [state]
        summary = self.sync_summary
        if summary is not None and summary.pending:
            parts.append(_("{count} waiting").format(count=summary.pending))
            if summary.oldest is not None:
                parts.append(_("oldest {age}").format(age=age(summary.oldest, self.lane.now())))
        if summary is not None and summary.at_hub:  # at the fair's hub, not at the centre
            parts.append(_("{count} at the hub only").format(count=summary.at_hub))
        if summary is not None and summary.quarantined:
            parts.append(_("{count} quarantined").format(count=summary.quarantined))
        self.sync_status = " · ".join(parts)
        self._devices_changed()

    def _heard_ledger_clock(self, skew: timedelta) -> None:
        """Say it once when this clock is far from the ledger's; stop saying it once not."""
        far = skew_words(skew) if far_from_ledger(skew) else None
        if far is not None and self.ledger_clock_problem is None:
            self.notify(_("This till's clock is {far}: check the date and time.").format(
                far=far), severity="warning", timeout=60)
        self.ledger_clock_problem = far

    # -- the scale, read in a thread of its own --------------------------------------------

    @on(ScaleReading)
    def _scale_read(self, message: ScaleReading) -> None:
        self.weighing.read(message.reading, message.accepted)
        screen = self.screen
        if isinstance(screen, TillScreen):
            screen.scale_changed()

    @on(ScaleCommanded)
    def _scale_commanded(self, message: ScaleCommanded) -> None:
        """The scale's answer, said as it is: done only when the scale says so; a tare it
        did not take is taken by the lane (:meth:`Weighing.answered`)."""
        said, problem = self.weighing.answered(message.command, message.answer)
        screen = self.screen
        if isinstance(screen, TillScreen):
            screen.scale_changed()
            screen.scale_answered(said, problem)
        else:
            self.notify(said, severity="warning" if problem else "information")

    # -- the serial barcode scanner, read in a thread of its own ------------------------------

    @on(Scanned)
    def _scanned(self, message: Scanned) -> None:
        """A scan goes to the screen that rings up; elsewhere it is said, not lost silently."""
        scanned = getattr(self.screen, "scanned", None)
        if callable(scanned):
            scanned(message.code)
        else:
            self.notify(_("Scanned {code}: go back to the sale to ring it up.").format(
                code=message.code), severity="warning")

    @on(ScannerChanged)
    def _scanner_changed(self, message: ScannerChanged) -> None:
        was = self.scanner_status
        self.scanner_status = _("ready") if message.ready else _("disconnected")
        if not message.ready:
            self.notify(_("The barcode scanner is disconnected ({reason}); typing works, and "
                          "it is looked for again.").format(reason=message.problem),
                        severity="warning")
        elif was == _("disconnected"):
            self.notify(_("The barcode scanner is back."))

    def scale_command(self, command: Command) -> None:
        """Zero, tare or clear tare, sent by the scale's thread; its answer comes back as
        :class:`ScaleCommanded`. A protocol without the command is answered at once."""
        if self.scale_watch is None:
            self.notify(_("no scale is configured ([scale] url)"), severity="error")
            return
        if not self.scale_watch.scale.takes(command):
            self.post_message(ScaleCommanded(command, Answer("unsupported")))
            return
        self.scale_watch.command(command)


def age(then: str, now: datetime) -> str:
    """How long ago ``then`` (ISO) was, in the largest unit that fits: 40 s, 12 min, 3 h, 2 d."""
    try:
        return age_text(now - datetime.fromisoformat(then))
    except (TypeError, ValueError):
        return "?"


def age_text(span: timedelta) -> str:
    """A span in the largest unit that fits: 40 s, 12 min, 3 h, 2 d."""
    seconds = max(0, int(span.total_seconds()))
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
