"""The X report on screen, and closing the shift: a blind count, then the Z report."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Input, Static

from fairpos.i18n import N_, _, active, format_money
from fairpos.lane import CloseResult
from fairpos.money import Money, MoneyError, parse_amount
from fairpos.reports import method_label
from fairpos.shift import CountKey, beyond_tolerance, reconcile
from fairpos.tui.base import TextScreen, TillScreen
from fairpos.tui.messages import CountsExpected, PrintQueued, Refused, ReportReady, ShiftClosed


class XReportScreen(TextScreen):
    def __init__(self) -> None:
        super().__init__(_("X report"), [_("Adding up the journal…")])

    def on_mount(self) -> None:
        shift = self.till.shift
        if shift is not None:
            self.till.run_job(lambda lane: ReportReady(lane.report(shift.id)), self)

    @on(ReportReady)
    def _ready(self, message: ReportReady) -> None:
        self.show_lines(message.report.render(active(), width=48))


class CloseShiftScreen(TillScreen):
    """Count every currency and tender without seeing what is expected; then compare."""

    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="close_back"),
        Binding("f2", "close_shift", N_("Close shift"), id="close_shift"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[CountKey] = []
        self.expected: dict[CountKey, int] = {}
        self.compared = False
        self.closed: CloseResult | None = None

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="close-shift"):
            yield Static(_("[b]Close the shift[/b] — count what is in the drawer and the slips"),
                         id="close-title")
            yield Vertical(id="counts")
            yield Static(id="comparison")
            yield Input(id="reason", placeholder=_("Reason for the difference"))
            yield Static(id="close-message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#reason", Input).display = False
        shift = self.till.shift
        assert shift is not None
        self.till.run_job(lambda lane: CountsExpected(lane.journal.expected_counts(shift.id)),
                          self)

    @on(CountsExpected)
    def _fields(self, message: CountsExpected) -> None:
        self.expected = message.expected
        self.keys = list(message.expected)
        rows, inputs = [], []
        for method, currency in self.keys:
            label = _("{method} in {currency}: counted").format(
                method=method_label(method), currency=currency)
            inputs.append(Input(id=f"count-{method}-{currency}", placeholder="0,00"))
            rows.append(Horizontal(Static(label, classes="count-label"), inputs[-1],
                                   classes="count"))
        self.query_one("#counts", Vertical).mount_all(rows)
        if inputs:  # focus the first count once it is on screen
            self.call_after_refresh(inputs[0].focus)

    def say(self, text: str, error: bool = True) -> None:
        message = self.query_one("#close-message", Static)
        message.update(text)
        message.set_class(error, "error")

    def on_refused(self, message: Refused) -> None:
        self.say(message.text)

    def counted(self) -> dict[CountKey, int] | None:
        counted = {}
        for method, currency in self.keys:
            field = self.query_one(f"#count-{method}-{currency}", Input)
            try:
                counted[(method, currency)] = parse_amount(field.value or "0", currency).minor
            except MoneyError as err:
                self.say(str(err))
                field.focus()
                return None
        return counted

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if self.closed is None and not self.focus_next_field(event.input):
            self.action_close_shift()

    def action_close_shift(self) -> None:
        if self.closed is not None:
            self.next_shift()
            return
        if not self.till.cart.is_empty():
            self.say(_("A sale is in progress: finish or hold it first (Escape goes back)."))
            return
        counted = self.counted()
        if counted is None:
            return
        settings = self.till.settings
        lines = reconcile(self.expected, counted)
        beyond = beyond_tolerance(lines, self.till.rates, settings.tolerance_minor)
        if not self.compared:
            self.compared = True
            rows = [_("Expected / counted / over-short:")]
            for line in lines:
                rows.append(f"  {method_label(line.method)} {line.currency}: "
                            f"{format_money(Money(line.expected, line.currency), active())} / "
                            f"{format_money(Money(line.counted, line.currency), active())} / "
                            f"{format_money(Money(line.difference, line.currency), active())}")
            self.query_one("#comparison", Static).update("\n".join(rows))
            if beyond:
                field = self.query_one("#reason", Input)
                field.display = True
                field.focus()
                self.say(_("The count differs; write the reason, then Enter."), error=False)
            else:
                self.say(_("Enter (or F2) closes the shift."), error=False)
            return
        reason = self.query_one("#reason", Input).value.strip() or None
        if beyond and reason is None:
            self.say(_("a reason is required"))
            return

        self.till.run_job(lambda lane: ShiftClosed(lane.close_shift(counted, reason)), self)

    @on(ShiftClosed)
    def _shift_closed(self, message: ShiftClosed) -> None:
        self.show_z(message.result)

    def show_z(self, result: CloseResult) -> None:
        self.closed = result
        self.till.shift = None
        self.query_one("#counts").display = False
        self.query_one("#reason", Input).display = False
        self.query_one("#comparison", Static).update(
            "\n".join(result.report.render(active(), width=48)))
        if self.till.can_print:  # the Z report on paper, in the background
            report = result.report
            self.till.run_job(lambda lane: PrintQueued(lane.queue_page(
                "report", lane.report_receipt(report, "Z"))), self)
        self.say(_("Shift closed. F2 or Enter: next volunteer."), error=False)
        self.focus()

    @on(PrintQueued)
    def _printing(self, _message: PrintQueued) -> None:
        self.till.print_queue()

    def next_shift(self) -> None:
        self.till.start_over("open_shift")

    def key_enter(self) -> None:
        if self.closed is not None:
            self.next_shift()

    def action_back(self) -> None:
        if self.closed is None:
            self.app.pop_screen()
