"""The till: the Textual app a volunteer uses to ring up sales at a lane.

The journal (SQLite) is only touched from worker threads, one job at a time under a lock; each
job's result comes back to the UI thread as a :class:`~fairpos.tui.messages.JournalReply`.
Ringing up (the cart) is pure domain code and runs on the UI thread, so a key press never waits
on the disk.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from fairpos.cart import Cart
from fairpos.catalog import Catalog
from fairpos.entry import EntryError
from fairpos.i18n import N_, _, active
from fairpos.money import Rates
from fairpos.printer.connection import PrinterError, Target, parse_url
from fairpos.printer.layout import Receipt, sale_receipt, text_receipt
from fairpos.printer.render import RenderError, render
from fairpos.printer.spool import print_pending
from fairpos.sale import Sale
from fairpos.scale.frames import Reading
from fairpos.scale.port import Scale, ScaleError, ScaleWatch
from fairpos.settings import Settings
from fairpos.store import DB_NAME, OutboxSummary, ShiftInfo, Store
from fairpos.tui.messages import (
    CartChanged,
    JournalReply,
    PrinterChanged,
    Refused,
    ScaleCommanded,
    ScaleReading,
    SyncChanged,
)

T = TypeVar("T")
RETRY_PRINTING_SECONDS = 20  # while the printer is failing, try again this often
SYNC_SECONDS = 30  # how often the sync worker looks for entries to send
SYNC_BATCH = 50  # entries per request from the till: short turns on the journal lock

REFUSALS: tuple[type[Exception], ...] = (ValueError,)  # every domain refusal is a ValueError
SCALE_COMMANDS = (N_("Zero"), N_("Tare"), N_("Clear tare"))


class TillScreen(Screen[Any]):
    """Base screen: footer descriptions are translated when they are shown."""

    def binding_description(self, binding: Binding) -> str:
        return _(binding.description) if binding.description else ""

    @property
    def active_bindings(self) -> dict[str, Any]:
        shown = {}
        for key, binding in super().active_bindings.items():
            described = replace(binding.binding, description=self.binding_description(
                binding.binding))
            shown[key] = binding._replace(binding=described)
        return shown

    @property
    def till(self) -> TillApp:
        app = self.app
        assert isinstance(app, TillApp)
        return app

    def on_refused(self, message: Refused) -> None:
        """A refused request: say why, change nothing."""
        self.notify(message.text, severity="error")

    def focus_next_field(self, current: Input) -> bool:
        """Enter in a form moves to the next shown field; False when ``current`` was the last."""
        fields = [field for field in self.query(Input) if field.display]
        index = fields.index(current)
        if index + 1 < len(fields):
            fields[index + 1].focus()
            return True
        return False

    def scale_changed(self) -> None:
        """The scale shows something new (``till.scale_reading``); screens that show it
        redraw it."""


class TillApp(App[None]):
    """One lane's till. ``clock`` is injectable so tests and snapshots are stable."""

    CSS_PATH = "till.tcss"
    TITLE = "fairpos"
    BINDINGS = [
        Binding("ctrl+q", "quit_till", N_("Quit"), id="quit", priority=True),
    ]

    def __init__(self, data_dir: Path, settings: Settings,
                 clock: Callable[[], datetime] | None = None) -> None:
        super().__init__()
        self.data_dir = data_dir
        self.settings = settings
        self._lock = threading.Lock()
        self.store = Store.open(data_dir / DB_NAME, threads=True,
                                **({"clock": clock} if clock else {}))
        self.catalog: Catalog | None = None
        self.rates: Rates = Rates(settings.money.currency, {})
        self.shift: ShiftInfo | None = None
        self.cart = Cart(settings.money.currency)
        self.last_sale: Sale | None = None
        self._printing = threading.Lock()  # one print run at a time
        try:  # a printer setting that cannot work must not stop the selling: no printer then
            self.printer: Target = parse_url(settings.printer.url)
            if self.printer.configured:
                render(text_receipt("check", [""], settings.printer.columns),
                       profile=settings.printer.profile, codepage=settings.printer.codepage)
            self.printer_status = _("not configured") if not self.printer.configured \
                else _("ready")
        except (PrinterError, RenderError) as err:
            self.printer = Target("none")
            self.printer_status = str(err)
        self.printer_failed = False
        self.scale_watch: ScaleWatch | None = None
        self.scale_problem: str | None = None  # a scale setting that cannot work
        self.scale_reading: Reading | None = None  # the newest reading
        self.scale_accepted: Reading | None = None  # that reading, once accepted for pricing
        self.scale_used = False  # the accepted weight is already on the sale
        if settings.scale.url != "none":
            try:
                self.scale_watch = ScaleWatch(
                    Scale(settings.scale),
                    lambda reading, accepted: self.post_message(ScaleReading(reading, accepted)),
                    lambda which, ok: self.post_message(ScaleCommanded(which, ok)))
            except ScaleError as err:
                self.scale_problem = str(err)
        self.sync_status = _("not configured")
        self.sync_summary: OutboxSummary | None = None
        self._syncing = threading.Lock()  # one sync run at a time
        self._sync_again = False  # an entry was written while a run was under way
        self._sync_client: Any = None
        self._sync_backoff: Any = None
        self._sync_next = 0.0  # monotonic time before which the tick does not sync
        self.sync_seconds: float = SYNC_SECONDS
        self.set_keymap(settings.keys)

    # -- the journal, off the UI thread ----------------------------------------------------

    def journal(self, job: Callable[[Store], T], done: Callable[[T], None],
                target: Screen[Any] | None = None) -> None:
        """Run ``job`` against the store in a worker; ``done(result)`` then runs on the UI
        thread. A refusal is shown on ``target`` (the current screen by default)."""
        self._journal_worker(job, done, target or self.screen)

    @work(thread=True, group="journal", exit_on_error=False)
    def _journal_worker(self, job: Callable[[Store], Any], done: Callable[[Any], None],
                        target: Screen[Any]) -> None:
        with self._lock:
            try:
                result = job(self.store)
            except REFUSALS as err:
                target.post_message(Refused(str(err)))
                return
        self.post_message(JournalReply(result, done))

    @on(JournalReply)
    def _reply(self, message: JournalReply) -> None:
        message.done(message.result)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """The one place where an unexpected worker failure is shown. A journal job wrote
        nothing (a full disk, a broken file) and can be tried again; a print run that failed
        leaves its jobs pending, to be tried again."""
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "journal":
            self.screen.post_message(Refused(
                _("The journal could not save that ({error}); nothing was written. "
                  "Try again; if it keeps failing, call for help.").format(
                    error=event.worker.error)))
        elif event.worker.group == "printer":
            self.post_message(PrinterChanged(str(event.worker.error), -1))

    # -- start and quit --------------------------------------------------------------------

    def on_mount(self) -> None:
        currencies = self.settings.accepted_currencies
        currency = self.settings.money.currency

        def load(store: Store) -> tuple[Catalog, Rates, ShiftInfo | None, list[Any]]:
            return (store.catalog(), store.rates(currency, currencies), store.current_shift(),
                    [h for h in store.held() if h.at_quit])

        self.journal(load, self._loaded)
        if self.scale_watch is not None:
            self.scale_watch.start()

    def _loaded(self, loaded: tuple[Catalog, Rates, ShiftInfo | None, list[Any]]) -> None:
        from fairpos.tui.screens.open_shift import OpenShiftScreen
        from fairpos.tui.screens.ringup import RingUpScreen

        self.catalog, self.rates, self.shift, at_quit = loaded
        if self.printer.configured:
            self.start_printing()
            self.set_interval(RETRY_PRINTING_SECONDS, self._retry_printing)
        if self.sync_configured:
            self.sync_status = _("connecting…")
            self.sync_now()
            self.set_interval(self.sync_seconds, self._sync_tick)
        if self.shift is None:
            self.push_screen(OpenShiftScreen())
            return
        self.push_screen(RingUpScreen())
        if at_quit:
            self.recall(at_quit[-1].id)

    def start_over(self, screen: Screen[Any]) -> None:
        """Leave every screen and show ``screen`` (after a shift closes or opens)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.push_screen(screen)

    def refresh_rates(self) -> None:
        currencies = self.settings.accepted_currencies
        currency = self.settings.money.currency

        def set_rates(rates: Rates) -> None:
            self.rates = rates

        self.journal(lambda store: store.rates(currency, currencies), set_rates)

    def recall(self, held_id: int) -> None:
        def recalled(cart: Cart) -> None:
            self.cart = Cart(cart.currency, [*cart.lines, *self.cart.lines])
            self.screen.post_message(CartChanged())

        self.journal(lambda store: store.recall(held_id), recalled)

    def action_quit_till(self) -> None:
        """Quit; a sale in progress is held and comes back on the next start."""
        if self.cart.is_empty() or self.shift is None:
            self.exit()
            return
        cart = self.cart

        def held(_held_id: int) -> None:
            self.cart = Cart(cart.currency)
            self.exit()

        self.journal(lambda store: store.hold(cart, at_quit=True), held)

    # -- receipts, printed off the UI thread and off the journal lock ----------------------

    def receipt(self, sale: Sale, reprint: bool = False) -> bytes:
        printer = self.settings.printer
        layout = sale_receipt(sale, fair=self.settings.fair.name, lane=self.settings.fair.lane,
                              language=active(), width=printer.columns, footer=printer.footer,
                              reprint=reprint)
        return render(layout, profile=printer.profile, codepage=printer.codepage)

    def receipt_renderer(self) -> Callable[[Sale], bytes] | None:
        """What confirm_sale uses to queue the receipt with the sale (None: no printer)."""
        return self.receipt if self.printer.configured else None

    def start_printing(self) -> None:
        """Print what was left from before, except receipts older than the backlog limit."""
        minutes = self.settings.printer.backlog_minutes
        if minutes <= 0:
            self.print_queue()
            return

        def skip_old(store: Store) -> int:
            cutoff = store.clock() - timedelta(minutes=minutes)
            return store.skip_prints(cutoff.isoformat())

        self.journal(skip_old, lambda _skipped: self.print_queue())

    def print_page(self, kind: str, receipt: Receipt) -> None:
        """Queue a report or a test page and print it."""
        printer = self.settings.printer
        payload = render(receipt, profile=printer.profile, codepage=printer.codepage)
        self.journal(lambda store: store.queue_print(kind, payload), lambda _job:
                     self.print_queue())

    def print_queue(self) -> None:
        """Print whatever is waiting, in a worker; the till goes on selling meanwhile."""
        if self.printer.configured:
            self._print_worker()

    @work(thread=True, group="printer", exit_on_error=False)
    def _print_worker(self) -> None:
        with self._printing:
            result = print_pending(self.store, self.printer, guard=self._lock)
        self.post_message(PrinterChanged(result.failed, result.pending))

    @on(PrinterChanged)
    def _printer_changed(self, message: PrinterChanged) -> None:
        self.printer_failed = message.problem is not None
        waiting = (_("{count} waiting").format(count=message.pending)
                   if message.pending > 0 else "")
        self.printer_status = " · ".join(p for p in (message.problem or _("ready"), waiting) if p)
        self.screen.post_message(CartChanged(quiet=True))

    def _retry_printing(self) -> None:
        if self.printer_failed:
            self.print_queue()

    def on_unmount(self) -> None:
        if self.scale_watch is not None:
            self.scale_watch.stop()
        if self._sync_client is not None:
            self._sync_client.close()
        with self._lock:
            self.store.close()

    # -- sync with the ledger, in a thread: the till never waits on the network ------------

    @property
    def sync_configured(self) -> bool:
        return bool(self.settings.ledger.url and self.settings.ledger.token)

    def sync_now(self) -> None:
        """Send what waits (after a sale, and every SYNC_SECONDS while the link is up).

        A run is a daemon thread of its own, not a Textual worker: a link that hangs must never
        hold the till open when the volunteer quits (the entries simply wait in the outbox).
        """
        if not self.sync_configured:
            return
        if not self._syncing.acquire(blocking=False):
            self._sync_again = True  # the run under way goes round once more
            return
        threading.Thread(target=self._sync_run, name="sync", daemon=True).start()

    def _sync_tick(self) -> None:
        if time.monotonic() >= self._sync_next:
            self.sync_now()

    def _sync_run(self) -> None:
        """One sync run, in its thread; ``_syncing`` is held (taken by :meth:`sync_now`)."""
        from fairpos.sync.relay import TILL_TIMEOUT, Backoff, LedgerClient, push

        summary: OutboxSummary | None = None
        try:
            if self._sync_client is None:
                ledger = self.settings.ledger
                self._sync_client = LedgerClient(ledger.url, ledger.token, timeout=TILL_TIMEOUT)
                self._sync_backoff = Backoff(base=self.sync_seconds / 10,
                                             cap=self.sync_seconds * 10)
            while True:
                self._sync_again = False
                report = push(self.store, self._sync_client, guard=self._lock,
                              batch_size=SYNC_BATCH)
                if report.error is not None or not self._sync_again:
                    break
            with self._lock:
                summary = self.store.outbox_summary()
            problem = str(report.error) if report.error else None
        except Exception as err:  # any failure of a run is shown; the entries stay waiting
            problem = str(err) or type(err).__name__
        finally:
            self._syncing.release()
        if problem is None:
            self._sync_backoff.succeeded()
            self._sync_next = 0.0
        else:
            delay = self._sync_backoff.failed() if self._sync_backoff else self.sync_seconds
            self._sync_next = time.monotonic() + delay
        self.post_message(SyncChanged(problem, summary))

    @on(SyncChanged)
    def _sync_changed(self, message: SyncChanged) -> None:
        if message.summary is not None:
            self.sync_summary = message.summary
        state = _("offline ({reason})").format(reason=message.problem) if message.problem \
            else _("online")
        parts = [state]
        summary = self.sync_summary
        if summary is not None and summary.pending:
            parts.append(_("{count} waiting").format(count=summary.pending))
            if summary.oldest is not None:
                parts.append(_("oldest {age}").format(age=age(summary.oldest, self.store.clock())))
        if summary is not None and summary.quarantined:
            parts.append(_("{count} quarantined").format(count=summary.quarantined))
        self.sync_status = " · ".join(parts)
        self.screen.post_message(CartChanged(quiet=True))

    # -- the scale, read in a thread of its own ----------------------------------------------

    @on(ScaleReading)
    def _scale_read(self, message: ScaleReading) -> None:
        if message.accepted is None:
            self.scale_used = False  # the goods came off, or are moving: the next weight is new
        self.scale_reading, self.scale_accepted = message.reading, message.accepted
        screen = self.screen
        if isinstance(screen, TillScreen):
            screen.scale_changed()

    @on(ScaleCommanded)
    def _scale_commanded(self, message: ScaleCommanded) -> None:
        what = _(SCALE_COMMANDS[message.which])
        if message.ok:
            self.notify(_("{what}: sent to the scale.").format(what=what))
        else:
            self.notify(_("{what}: the scale is not connected.").format(what=what),
                        severity="error")

    def scale_command(self, which: int) -> None:
        """Zero (0), tare (1) or clear tare (2), sent by the scale's thread."""
        if self.scale_watch is None:
            self.notify(_("no scale is configured ([scale] url)"), severity="error")
            return
        self.scale_watch.command(which)

    def scale_status(self) -> str:
        """The scale's slot in the side panel and the hardware check."""
        if self.scale_watch is None:
            return self.scale_problem or _("not configured")
        if self.scale_reading is None:
            return _("connecting…")
        if self.scale_reading.state == "disconnected":
            return _("disconnected")
        return _("connected")

    def scale_state(self) -> str:
        """What the scale shows, in words: the weight and whether it can be priced."""
        reading = self.scale_reading
        if reading is None:
            return _("connecting…")
        words = {"stable": _("steady"), "unstable": _("moving"),
                 "overload": _("over capacity"), "under_zero": _("below zero"),
                 "error": _("unreadable"), "disconnected": _("disconnected")}[reading.state]
        if reading.state == "stable" and self.scale_accepted is None and reading.grams:
            words = _("settling")
        if self.scale_accepted is not None and self.scale_used:
            words = _("already on the sale")
        return words

    def scale_weight(self) -> Reading:
        """The weight the scale gives for pricing now, accepted by the stable-weight rule;
        otherwise an :class:`EntryError` that says why not and what to do."""
        if self.scale_watch is None:
            raise EntryError(self.scale_problem or _("no scale is configured: type the weight"))
        accepted = self.scale_accepted
        if accepted is None:
            state = self.scale_reading.state if self.scale_reading else "disconnected"
            if state == "stable":
                raise EntryError(_("nothing on the scale") if not self.scale_reading or
                                 not self.scale_reading.grams
                                 else _("the weight is settling: press again in a moment"))
            raise EntryError({
                "unstable": _("the weight is still moving: wait until it settles"),
                "overload": _("the scale is over capacity: take some off"),
                "under_zero": _("the scale is below zero: zero it (Ctrl+Z) with nothing on it"),
                "error": _("the scale sent something unreadable: try again or type the weight"),
                "disconnected": _("the scale is disconnected: type the weight"),
            }[state])
        if self.scale_used:
            raise EntryError(_("that weight is already on the sale: put the next goods on the "
                               "scale"))
        return accepted

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        from fairpos.tui.screens.hardware import HardwareScreen
        from fairpos.tui.screens.reports import CloseShiftScreen, XReportScreen
        from fairpos.tui.screens.sales import SalesScreen

        if self.shift is not None:
            yield SystemCommand(_("X report"), _("Sales of this shift so far"),
                                lambda: self.push_screen(XReportScreen()))
            yield SystemCommand(_("Close shift"), _("Count the drawer and print the Z report"),
                                lambda: self.push_screen(CloseShiftScreen()))
            yield SystemCommand(_("Sales of this shift"), _("Find, view, void or refund"),
                                lambda: self.push_screen(SalesScreen()))
        yield SystemCommand(_("Hardware check"), _("Printer, scale, ledger, disk"),
                            lambda: self.push_screen(HardwareScreen()))
        yield SystemCommand(_("Quit"), _("A sale in progress is held for the next start"),
                            self.action_quit_till)


def age(then: str, now: datetime) -> str:
    """How long ago ``then`` (ISO) was, in the largest unit that fits: 40 s, 12 min, 3 h, 2 d."""
    try:
        seconds = max(0, int((now - datetime.fromisoformat(then)).total_seconds()))
    except (TypeError, ValueError):
        return "?"
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds // size} {unit}"
    return f"{seconds} s"
