"""The X report on screen, and closing the shift: a blind count, then the Z report."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Input, Static

from fairpos.i18n import N_, _, active, format_money
from fairpos.money import Money, MoneyError, parse_amount
from fairpos.printer.layout import text_receipt
from fairpos.reports import Report, method_label
from fairpos.shift import CountKey, beyond_tolerance, reconcile
from fairpos.store import CloseResult, Store
from fairpos.tui.app import TillScreen
from fairpos.tui.messages import Refused
from fairpos.tui.screens.dialogs import TextScreen


class XReportScreen(TextScreen):
    def __init__(self) -> None:
        super().__init__(_("X report"), [_("Adding up the journal…")])

    def on_mount(self) -> None:
        shift = self.till.shift
        settings = self.till.settings
        if shift is None:
            return

        def show(report: Report) -> None:
            self.lines = report.render(active(), width=48)
            self.query_one("#text", Static).update("\n".join(self.lines))

        self.till.journal(lambda store: store.report(settings, shift_id=shift.id), show)


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

        def fields(expected: dict[CountKey, int]) -> None:
            self.expected = expected
            self.keys = list(expected)
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

        self.till.journal(lambda store: store.expected_counts(shift.id), fields)

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

        def close(store: Store) -> CloseResult:
            return store.close_shift(counted, settings, reason)

        self.till.journal(close, self.show_z)

    def show_z(self, result: CloseResult) -> None:
        self.closed = result
        self.till.shift = None
        self.query_one("#counts").display = False
        self.query_one("#reason", Input).display = False
        self.query_one("#comparison", Static).update(
            "\n".join(result.report.render(active(), width=48)))
        if self.till.printer.configured:  # the Z report on paper, in the background
            width = self.till.settings.printer.columns
            self.till.print_page("report", text_receipt(
                "Z", result.report.render(active(), width=width), width))
        self.say(_("Shift closed. F2 or Enter: next volunteer."), error=False)
        self.focus()

    def next_shift(self) -> None:
        from fairpos.tui.screens.open_shift import OpenShiftScreen

        self.till.start_over(OpenShiftScreen())

    def key_enter(self) -> None:
        if self.closed is not None:
            self.next_shift()

    def action_back(self) -> None:
        if self.closed is None:
            self.app.pop_screen()
