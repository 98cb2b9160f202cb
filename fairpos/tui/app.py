"""The till: the Textual app a volunteer uses to ring up sales at a lane.

Ringing up (the cart) is pure domain code on the UI thread, so a key press never waits on the
disk. Everything else goes through the lane service (:class:`~fairpos.lane.Lane`) in worker
threads — the journal serialises its own writes — and comes back as a typed message
(:mod:`fairpos.tui.messages`) to the screen that asked. The printer drains in a worker, the
scale is read in a thread of its own, and sync runs in a child process.
"""

from __future__ import annotations

import gc
import os
import select
import sys
import threading
import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from textual import events, on, work
from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.message import Message
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.widgets import Input
from textual.worker import Worker, WorkerState

from fairpos.domain.cart import Cart
from fairpos.domain.catalog import Catalog
from fairpos.domain.money import Rates
from fairpos.domain.reports import tender_label
from fairpos.domain.sale import Sale
from fairpos.domain.tenders import Tender
from fairpos.errors import FairposError
from fairpos.i18n import N_, _, active, format_money, lines_text
from fairpos.journal.records import ClockBehind, DiskError, OutboxSummary, ShiftInfo
from fairpos.lane import Lane, recalled_into
from fairpos.printer.connection import PrinterError
from fairpos.printer.layout import text_receipt
from fairpos.printer.render import RenderError
from fairpos.scale.weighing import Weighing
from fairpos.settings import Settings
from fairpos.tui.base import Till
from fairpos.tui.devices import DeviceSlots, age_text
from fairpos.tui.messages import (
    CartChanged,
    Loaded,
    PrinterChanged,
    RatesLoaded,
    Refused,
    SaleHeld,
    SaleRecalled,
    ScaleCommanded,
    ScaleReading,
    Scanned,
    ScannerChanged,
    TerminalGone,
)
from fairpos.tui.palette import Commands
from fairpos.tui.screens import screen_class
from fairpos.tui.themes import use_theme

if TYPE_CHECKING:  # pyserial and the sync process are loaded only when configured
    from fairpos.display.port import PoleDisplay
    from fairpos.scale.port import ScaleWatch
    from fairpos.scanner.port import ScannerWatch
    from fairpos.sync.worker import SyncProcess

RETRY_PRINTING_SECONDS = 20  # while the printer is failing, try again this often
RECOUNT_PRINTING_SECONDS = 3  # while receipts wait, the side panel counts them this often
SYNC_SECONDS = 30  # how often the sync process looks for entries to send
SYNC_START_SECONDS = 1.0  # the sync process starts this long after the till
TERMINAL_SECONDS = 1.0  # how often the till looks whether its terminal is still there
TERMINAL_GRACE_SECONDS = 10.0  # once it is gone, the time the till has to quit by itself

Job = Callable[[Lane], Message | None]


def printer_ready(lane: Lane) -> tuple[bool, str]:
    """Whether ``lane`` can print, and the printer's slot in words. A printer setting that
    cannot work (a profile or code page the printer lacks) must not stop the selling: no
    printer then, and the slot says why."""
    if not lane.printer.configured:
        return False, _("not configured")
    try:
        lane.render(text_receipt("check", [""], lane.settings.printer.columns))
    except (PrinterError, RenderError) as err:
        return False, str(err)
    return True, _("ready")


def watch_scale(app: App[Any], settings: Settings) -> tuple[ScaleWatch | None, Weighing]:
    """The scale's watching thread (not started) posting its readings to ``app``, and the
    weighing rules fed by them; a scale setting that cannot work leaves the weight typed."""
    if settings.scale.url == "none":
        return None, Weighing(configured=False)
    from fairpos.scale.port import Scale, ScaleError, ScaleWatch

    try:
        watch = ScaleWatch(
            Scale(settings.scale),
            lambda reading, accepted: app.post_message(ScaleReading(reading, accepted)),
            lambda command, answer: app.post_message(ScaleCommanded(command, answer)),
            scanned=lambda code: app.post_message(Scanned(code)))  # (a scanner-scale's)
    except ScaleError as err:
        return None, Weighing(configured=False, problem=str(err))
    return watch, Weighing(configured=True)


def watch_scanner(app: App[Any], settings: Settings) -> ScannerWatch | None:
    """The serial scanner's watching thread (not started) posting its codes to ``app``; None
    when there is none (a keyboard-wedge scanner types into the entry line as it is)."""
    if settings.scanner.url == "none":
        return None
    from fairpos.scanner.port import ScannerWatch

    return ScannerWatch(settings.scanner, lambda code: app.post_message(Scanned(code)),
                        lambda ready, why: app.post_message(ScannerChanged(ready, why)))


def make_till(lane: Lane, cursor_blink: bool = True) -> TillApp:
    """The till for ``lane``: what ``fairpos till`` runs, and what the tests drive
    (``cursor_blink=False`` for pictures of the screen that do not depend on the moment)."""
    return TillApp(lane, cursor_blink)


class TillApp(DeviceSlots):
    """One lane's till."""

    CSS_PATH = "till.tcss"
    TITLE = "fairpos"
    BINDINGS = [
        Binding("ctrl+q", "quit_till", N_("Quit"), id="quit", priority=True),
        # named here so that the footer says it in the lane's language
        Binding("ctrl+p", "command_palette", N_("More"), show=False, priority=True,
                id="palette"),
    ]

    def __init__(self, lane: Lane, cursor_blink: bool = True) -> None:
        super().__init__()
        use_theme(self, lane.settings.ui.theme)
        # No animated scrolling: a till draws each change once, at once, on any terminal.
        self.animation_level = "none"
        self.lane = lane
        self.cursor_blink = cursor_blink
        self.settings = lane.settings
        self.catalog: Catalog | None = None
        self.rates: Rates = Rates(self.settings.money.currency, {})
        self.old_rates: dict[str, int] = {}  # currency → days, past [money] rate_max_age_days
        self.uncertain_prints = 0  # receipts that may have printed, for the volunteer to check
        self.journal_problem: str | None = None  # why the last write failed (a full disk…)
        if lane.read_only:
            self.journal_problem = _("read-only: sales cannot be saved; reports and reprints "
                                     "work")
        self.clock_problem: str | None = None  # the clock is behind the journal
        self.ledger_clock_problem: str | None = None  # … or far from the ledger's
        self.shift: ShiftInfo | None = None
        self.cart = Cart(self.settings.money.currency)
        self.holding: tuple[int, ...] = ()  # the held sales the cart on screen came from
        self.draft_version = 0  # of the cart on screen, as kept on disk
        self.payments: list[Tender] = []  # entered for the cart on screen, not confirmed yet
        self.sent: list[Tender] = []  # change already sent by pago móvil for it
        self.last_sale: Sale | None = None
        self._printing = threading.Lock()  # one print run at a time
        self.can_print, self.printer_status = printer_ready(lane)
        self.printer_failed = False
        self._waiting = 0  # receipts waiting, as last counted
        self.printer_problem: str | None = None  # why the last print run stopped
        self.paper_low = False  # the printer said so at the last receipt
        self.scale_watch, self.weighing = watch_scale(self, self.settings)
        self.scanner_watch = watch_scanner(self, self.settings)
        self.scanner_status = _("not configured") if self.scanner_watch is None else "…"
        self.pole: PoleDisplay | None = None  # the customer's pole display, when set up
        if self.settings.display.url != "none":
            from fairpos.display.port import PoleDisplay

            self.pole = PoleDisplay(self.settings.display)
        self.sync: SyncProcess | None = None  # when the lane is connected to a ledger
        self.sync_status = _("not configured")
        self.sync_summary: OutboxSummary | None = None
        self.sync_seconds: float = SYNC_SECONDS
        self.set_keymap(self.settings.keys)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        if isinstance(event.widget, Input):
            event.widget.cursor_blink = self.cursor_blink

    # -- screens, by name ------------------------------------------------------------------

    def show(self, name: str, *args: Any, callback: Callable[[Any], None] | None = None
             ) -> None:
        """Open the screen called ``name`` (see :data:`fairpos.tui.screens.SCREENS`)."""
        self.push_screen(screen_class(name)(*args), callback)

    def start_over(self, name: str) -> None:
        """Leave every screen and show ``name`` (after a shift closes or opens)."""
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self.show(name)

    # -- the lane, off the UI thread -------------------------------------------------------

    def run_job(self, job: Job, target: MessagePump | None = None) -> None:
        """Run ``job`` against the lane in a worker; its message goes to ``target`` (the
        current screen by default); a refusal is shown there as :class:`Refused`."""
        self._job_worker(job, target or self.screen)

    @work(thread=True, group="journal", exit_on_error=False)
    def _job_worker(self, job: Job, target: MessagePump) -> None:
        try:
            message = job(self.lane)
        except DiskError as err:  # the side panel keeps saying it until a write works again
            self.call_from_thread(self._journal_trouble, str(err))
            target.post_message(Refused(str(err)))
            return
        except FairposError as err:
            target.post_message(Refused(str(err), isinstance(err, ClockBehind)))
            return
        if self.journal_problem is not None and not self.lane.read_only:
            self.call_from_thread(self._journal_trouble, None)
        if message is not None:
            target.post_message(message)

    def _journal_trouble(self, problem: str | None) -> None:
        self.journal_problem = problem
        self._devices_changed()

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
        elif event.worker.group == "draft":
            if isinstance(event.worker.error, DiskError):
                self._journal_trouble(str(event.worker.error))
            self.screen.post_message(Refused(
                _("The sale on screen could not be kept on disk ({error}); it is still here. "
                  "If it keeps failing, call for help.").format(error=event.worker.error)))

    # -- start and quit --------------------------------------------------------------------

    def on_mount(self) -> None:
        settings = self.settings

        def load(lane: Lane) -> Loaded:
            at_quit = [h for h in lane.held() if h.at_quit]
            return Loaded(lane.catalog(),
                          lane.rates(settings.money.currency, settings.accepted_currencies),
                          lane.current_shift(), at_quit[-1] if at_quit else None,
                          lane.draft(), lane.clock_behind())

        self.run_job(load, self)
        fd = terminal_input()
        if not self.is_headless and fd is not None:
            threading.Thread(target=self._watch_terminal, args=(fd,), name="terminal",
                             daemon=True).start()
        if self.scale_watch is not None:
            self.scale_watch.start()
        if self.scanner_watch is not None:
            self.scanner_watch.start()
        if self.pole is not None:
            self.pole.start()
            self.show_customer()

    @on(Loaded)
    def _loaded(self, loaded: Loaded) -> None:
        self.catalog, self.rates, self.shift = loaded.catalog, loaded.rates, loaded.shift
        old_rates = self.watch_rate_ages(say=False)  # (said below, with what else is said)
        if loaded.clock_behind is not None:
            self.clock_problem = _("behind by {age}").format(age=age_text(loaded.clock_behind))
            self.notify(_("This till's clock is {age} behind the last entry of its journal: "
                          "check the date and time before selling.").format(
                age=age_text(loaded.clock_behind)), severity="warning", timeout=60)
        # The catalog (thousands of products) and the app live as long as the till: keep them
        # out of the garbage collector's full passes, which would otherwise stall a key now
        # and then to look at every one of them.
        gc.freeze()
        draft = loaded.draft
        if draft is not None:
            self.draft_version = draft.version
        if self.shift is None:
            self.show("open_shift")
        elif draft is not None and draft.cart is not None and draft.shift_id == self.shift.id \
                and not draft.cart.is_empty():
            # the power went with a sale on screen: it is back, as it was, with its payments
            self.cart, self.holding = draft.cart, draft.holding
            self.payments, self.sent = list(draft.payments), list(draft.sent)
            self.show("ring_up")
            said = _("The sale that was on screen when the till stopped is back ({lines})."
                     ).format(lines=lines_text(len(draft.cart.active)))
            if self.payments or self.sent:
                said += " " + payments_back(self.payments, self.sent, self.settings)
            self.screen.post_message(CartChanged(said=" ".join([said, *old_rates])))
            old_rates = []
            if self.sent:  # that money has left the fair's account: the sale is finished first
                self.call_after_refresh(self.screen.run_action, "pay")
        else:
            self.show("ring_up")
            if loaded.held_at_quit is not None:
                self.post_message(SaleRecalled(loaded.held_at_quit))
        if old_rates:
            self.call_after_refresh(
                lambda: self.screen.post_message(Refused(" ".join(old_rates))))
        if self.can_print:
            self.start_printing()
            self.set_interval(RETRY_PRINTING_SECONDS, self._retry_printing)
            self.set_interval(RECOUNT_PRINTING_SECONDS, self._recount_printing)
        if self.lane.connected:  # a moment after the till is up: the first screen comes first
            self.sync_status = _("connecting…")
            self.set_timer(SYNC_START_SECONDS, self.start_sync)

    def _watch_terminal(self, fd: int) -> None:
        """(A thread of its own.) The terminal may go away with no hangup signal (a pty
        closed under a till started without a controlling terminal): its input then only
        says "end of file", which would keep a core busy, and the screen's writes fail. The
        screen is sent to nowhere and the till quits as Ctrl+Q does; if it cannot within
        :data:`TERMINAL_GRACE_SECONDS`, the process ends — the sale on screen is on disk."""
        while not hung_up(fd):
            time.sleep(TERMINAL_SECONDS)
        nowhere = os.open(os.devnull, os.O_RDWR)
        for standard in (1, 2):
            os.dup2(nowhere, standard)
        self.post_message(TerminalGone())
        time.sleep(TERMINAL_GRACE_SECONDS)
        os._exit(0)

    @on(TerminalGone)
    def _terminal_gone(self) -> None:
        self.action_quit_till()

    def refresh_rates(self) -> None:
        settings = self.settings
        self.run_job(lambda lane: RatesLoaded(lane.rates(
            settings.money.currency, settings.accepted_currencies)), self)

    @on(RatesLoaded)
    def _rates_loaded(self, message: RatesLoaded) -> None:
        self.rates = message.rates
        self.watch_rate_ages()

    def watch_rate_ages(self, say: bool = True) -> list[str]:
        """Rates in force for longer than ``[money] rate_max_age_days``: the side panel marks
        them, and the volunteer is told once how to bring a new one (``say``: on the screen
        now, else the words are returned)."""
        days = self.settings.money.rate_max_age_days
        old = self.rates.older_than(days, self.lane.now().date())
        said = [_("The {currency} rate is {age} days old (more than {days}): sync with the "
                  "ledger, or ask the coordinator for the day's rate.").format(
                    currency=currency, age=age, days=days)
                for currency, age in old.items() if self.old_rates.get(currency) is None]
        self.old_rates = old
        if said and say:  # on the screen's own message line, once it is up (a notice in the
            # corner would cover the payment window's)
            self.call_after_refresh(lambda: self.screen.post_message(Refused(" ".join(said))))
        return said

    def recall(self, held_id: int) -> None:
        """Bring a held sale back onto the screen (it stays held until sold or held again)."""
        self.run_job(lambda lane: SaleRecalled(lane.held_sale(held_id)), self)

    @on(SaleRecalled)
    def _recalled(self, message: SaleRecalled) -> None:
        try:
            recalled = recalled_into(message.held, self.cart, self.holding)
        except FairposError as err:
            self.screen.post_message(Refused(str(err)))
            return
        self.cart, self.holding = recalled.cart, recalled.held
        self.cart_changed()
        self.screen.post_message(CartChanged(said=_("Held sale recalled.")))

    def show_customer(self, sale: Sale | None = None) -> None:
        """The pole display: the sale on screen, thanks after ``sale`` was paid, or the fair's
        name between customers (written by the display's own thread: this never waits)."""
        if self.pole is None:
            return
        from fairpos.display.pole import idle_lines, sale_lines, thanks_lines

        language = active()
        if sale is not None:
            self.pole.show(thanks_lines(sale.change, language))
        elif self.cart.is_empty():
            self.pole.show(idle_lines(self.settings.fair.name))
        else:
            self.pole.show(sale_lines(self.cart, self.rates, self.settings.accepted_currencies,
                                      language))

    def cart_changed(self) -> None:
        """The sale on screen changed: keep it on disk, off the UI thread (a power cut loses
        nothing); each change has a newer version, so only the newest is ever kept."""
        self.show_customer()
        self.keep_draft()

    def payments_changed(self) -> None:
        """A payment was entered or removed, or change sent by pago móvil: kept on disk with
        the sale, as the cart is (the money is in the drawer, or has left the account)."""
        self.keep_draft()

    def keep_draft(self) -> None:
        self.draft_version += 1
        if self.settings.ui.keep_draft and not self.lane.read_only:
            self._save_draft(Cart(self.cart.currency, list(self.cart.lines)), self.holding,
                             self.draft_version, tuple(self.payments), tuple(self.sent))

    @work(thread=True, group="draft", exclusive=True, exit_on_error=False)
    def _save_draft(self, cart: Cart, holding: tuple[int, ...], version: int,
                    payments: tuple[Tender, ...], sent: tuple[Tender, ...]) -> None:
        self.lane.save_draft(cart, holding, version, payments, sent)

    def new_sale(self) -> None:
        """The sale on screen was sold or held: start the next one."""
        self.cart = Cart(self.settings.money.currency)
        self.holding = ()
        self.payments = []
        self.sent = []
        self.show_customer()

    def action_quit_till(self) -> None:
        """Quit; a sale in progress is held and comes back on the next start (one with
        payments entered comes back from its draft, payments and all)."""
        if self.cart.is_empty() or self.shift is None or self.lane.read_only or \
                ((self.payments or self.sent) and self.settings.ui.keep_draft):
            self.exit()  # (a read-only journal cannot hold the cart: it was never saved)
            return
        cart, holding, draft = self.cart, self.holding, self.draft_version
        self.run_job(lambda lane: SaleHeld(lane.hold(cart, at_quit=True, replacing=holding,
                                                     draft=draft), at_quit=True), self)

    @on(SaleHeld)
    def _held_at_quit(self, message: SaleHeld) -> None:
        if message.at_quit:
            self.new_sale()
            self.exit()

    def on_unmount(self) -> None:
        if self.scale_watch is not None:
            self.scale_watch.stop()
        if self.scanner_watch is not None:
            self.scanner_watch.stop()
        if self.pole is not None:
            self.pole.stop()
        if self.sync is not None:
            self.sync.stop()
        self.lane.close()

    def action_command_palette(self) -> None:
        if self.use_command_palette and not isinstance(self.screen, Commands):
            self.push_screen(Commands())

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        if self.shift is not None:
            yield SystemCommand(_("X report"), _("Sales of this shift so far"),
                                lambda: self.show("x_report"))
            yield SystemCommand(_("Close shift"), _("Count the drawer and print the Z report"),
                                lambda: self.show("close_shift"))
            yield SystemCommand(_("Sales of this shift"), _("Find, view, void or refund"),
                                lambda: self.show("sales"))
        yield SystemCommand(_("Hardware check"), _("Printer, scale, ledger, disk"),
                            lambda: self.show("hardware"))
        yield SystemCommand(_("Quit"), _("A sale in progress is held for the next start"),
                            self.action_quit_till)


_THE_TILL_IS_WHAT_SCREENS_USE: type[Till] = TillApp  # mypy checks that it is


def payments_back(payments: list[Tender], sent: list[Tender], settings: Settings) -> str:
    """The payments a sale brought back from its draft had, named, for the volunteer."""
    said = [f"{tender_label(t, settings.method_names)} {format_money(t.amount, active())}"
            for t in payments]
    said += [_("change sent by pago móvil {amount}").format(
        amount=format_money(t.amount, active())) for t in sent]
    return _("Its payments are back too: {payments}. F2 goes on.").format(
        payments="; ".join(said))


def terminal_input() -> int | None:
    """The file the till reads its keys from, when it is a terminal it can watch."""
    stdin = sys.__stdin__
    if stdin is None or not hasattr(select, "poll"):
        return None
    try:
        fd = stdin.fileno()
    except (OSError, ValueError):
        return None
    return fd if os.isatty(fd) else None


def hung_up(fd: int) -> bool:
    """Whether the other end of terminal ``fd`` has closed."""
    poller = select.poll()
    poller.register(fd, select.POLLIN)
    return any(event & (select.POLLHUP | select.POLLERR | select.POLLNVAL)
               for _fd, event in poller.poll(0))
