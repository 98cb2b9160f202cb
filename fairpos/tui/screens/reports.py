"""The X report on screen, and closing the shift: a blind count, then the Z report."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Footer, Input, Static

from fairpos.domain.money import Money, MoneyError, parse_amount
from fairpos.domain.reports import Report
from fairpos.domain.shift import CountKey, beyond_tolerance
from fairpos.domain.tenders import CASH, method_label
from fairpos.i18n import N_, _, active, format_money, lines_text, typed_amount
from fairpos.journal.records import CountRound, HeldSale
from fairpos.lane import CloseResult, Lane
from fairpos.printer.layout import Receipt
from fairpos.tui.base import CountsByPiece, TextScreen, sentence
from fairpos.tui.messages import (
    BackedUp,
    CountsExpected,
    CountSubmitted,
    HeldDropped,
    PrintQueued,
    Refused,
    ReportReady,
    ShiftClosed,
    SticksFound,
)


class XReportScreen(TextScreen):
    def __init__(self) -> None:
        super().__init__(_("X report"), [_("Adding up the journal…")])
        self.report: Report | None = None

    def on_mount(self) -> None:
        shift = self.till.shift
        if shift is not None:
            self.till.run_job(lambda lane: ReportReady(lane.report(shift.id)), self)

    @on(ReportReady)
    def _ready(self, message: ReportReady) -> None:
        self.report = message.report
        self.show_lines(message.report.render(active(), width=48))

    def page(self) -> Receipt:
        """F2 prints the report laid out for the printer's own columns (32 on 58 mm
        paper), not the screen's 48."""
        if self.report is None:
            return super().page()
        return self.till.lane.report_receipt(self.report, "X")


class CloseShiftScreen(CountsByPiece):
    """A blind count: every currency and tender counted without seeing what is expected; the
    count is kept in the journal as submitted, and only then compared. A recount (F4) is a new
    count beside the first; the shift closes (F2) on the newest."""

    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="close_back"),
        Binding("f2", "close_shift", N_("Close shift"), id="close_shift"),
        Binding("f4", "recount", N_("Count again"), id="recount"),
        Binding("f3", "by_pieces", N_("Bills and coins"), id="count_pieces"),
        Binding("f7", "recall_held", N_("Recall"), id="close_recall"),
        Binding("f8", "drop_held", N_("Drop held sale"), id="close_drop"),
        Binding("f5", "copy_to_stick", N_("Copy to stick"), id="copy_to_stick"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.keys: list[CountKey] = []
        self.rounds: list[CountRound] = []
        self.counting = True  # the fields are open for a (new) count
        self.closed: CloseResult | None = None
        self.held: list[HeldSale] = []  # sales on hold: sold or dropped before any count
        self.sticks: list[Path] = []  # removable drives found once the shift is closed

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="close-shift"):
            yield Static(_("[b]Close the shift[/b] — count what is in the drawer and the slips"),
                         id="close-title")
            yield Static(id="held")
            yield Vertical(id="counts")
            yield Static(id="comparison")
            yield Input(id="reason", placeholder=_("Reason for the difference"))
        # (below the scrolled count and Z report: what to do next is always in sight)
        yield Static(id="close-message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#reason", Input).display = False
        shift = self.till.shift
        assert shift is not None

        self.load()

    def load(self) -> None:
        shift = self.till.shift
        assert shift is not None

        def expected(lane: Lane) -> CountsExpected:
            return CountsExpected(lane.expected_counts(shift.id), lane.count_rounds(shift.id),
                                  lane.held(shift.id))

        self.till.run_job(expected, self)

    def binding_description(self, binding: Binding) -> str:
        if binding.action == "close_shift" and self.closed is not None:
            return _("Next volunteer")  # (F2 after the Z report)
        return super().binding_description(binding)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("recall_held", "drop_held"):
            return bool(self.held)
        if action == "close_shift":
            return not self.held
        if action == "recount":
            return bool(self.rounds) and self.closed is None and not self.counting
        if action == "copy_to_stick":
            return self.closed is not None and bool(self.sticks)
        if action == "by_pieces":
            return bool(self.till.settings.denominations) and self.counting and not self.held
        return True

    @on(CountsExpected)
    def _loaded(self, message: CountsExpected) -> None:
        self.held = [h for h in message.held if h.id not in self.till.holding]
        self.refresh_bindings()
        if self.held:
            self.show_held()
            return
        self.query_one("#held", Static).display = False
        if not self.keys:
            self._fields(message)

    def show_held(self) -> None:
        """Sales on hold are named before any count is asked: each is sold or dropped."""
        names = [_("#{id}  {time}  {total}  {lines}").format(
            id=h.id, time=h.held_at[11:16], total=format_money(h.cart.total, active()),
            lines=lines_text(len(h.cart.active))) for h in self.held]
        self.query_one("#held", Static).update("\n".join([
            _("[b]Sales on hold[/b] — sell or drop each one before the drawer is counted:"),
            *(f"  {name}" for name in names), "",
            _("F7 brings a held sale back to sell it; F8 drops one (a reason is asked, and "
              "kept).")]))

    def action_recall_held(self) -> None:
        if not self.held:
            return
        if len(self.held) == 1:
            self.recall_chosen(self.held[0].id)
        else:
            self.till.show("recall", self.held, callback=self.recall_chosen)

    def recall_chosen(self, held_id: int | None) -> None:
        if held_id is None:
            return
        if not self.till.cart.is_empty():
            self.say(_("A sale is in progress: finish or hold it first (Escape goes back)."))
            return
        self.app.pop_screen()  # back to the sale, where the held one comes
        self.till.recall(held_id)

    def action_drop_held(self) -> None:
        if not self.held:
            return
        if len(self.held) == 1:
            self.drop_chosen(self.held[0].id)
        else:
            self.till.show("recall", self.held, callback=self.drop_chosen)

    def drop_chosen(self, held_id: int | None) -> None:
        if held_id is None:
            return
        held = next(h for h in self.held if h.id == held_id)
        question = _("Drop held sale #{id} ({total}, {lines})? Its lines are kept in the "
                     "journal's audit log.").format(
            id=held.id, total=format_money(held.cart.total, active()),
            lines=lines_text(len(held.cart.active)))

        def answered(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            reason = answer[0]

            def drop(lane: Lane) -> HeldDropped:
                lane.drop_held(held_id, reason)
                return HeldDropped(held_id)

            self.till.run_job(drop, self)

        self.till.show("reason", question, callback=answered)

    @on(HeldDropped)
    def _dropped(self, message: HeldDropped) -> None:
        self.say(_("Held sale #{id} dropped; its lines are kept in the audit log.").format(
            id=message.held_id), error=False)
        self.load()

    def _fields(self, message: CountsExpected) -> None:
        keys = list(message.expected)
        for counted in message.rounds:  # a count kept before (the till was closed meanwhile)
            keys += [(c.method, c.currency) for c in counted.lines
                     if (c.method, c.currency) not in keys]
        self.keys = keys
        rows, inputs = [], []
        for method, currency in self.keys:
            label = _("{method} in {currency}: counted").format(
                method=method_label(method, self.till.settings.method_names), currency=currency)
            inputs.append(Input(id=f"count-{method}-{currency}",
                                placeholder=typed_amount(Money(0, currency))))
            if method == CASH:
                self.cash_fields[f"count-{method}-{currency}"] = currency
            rows.append(Horizontal(Static(label, classes="count-label"), inputs[-1],
                                   classes="count"))
        self.query_one("#counts", Vertical).mount_all(rows)
        if message.rounds:
            self.call_after_refresh(self.show_rounds, message.rounds)
        elif inputs:  # focus the first count once it is on screen
            self.call_after_refresh(inputs[0].focus)

    def say(self, text: str, error: bool = True) -> None:
        message = self.query_one("#close-message", Static)
        message.update(Text(sentence(text)))
        message.set_class(error, "error")

    def on_refused(self, message: Refused) -> None:
        message.prevent_default()  # (said here: not in a notice too)
        self.say(message.text)

    def fields(self) -> list[Input]:
        return [self.query_one(f"#count-{method}-{currency}", Input)
                for method, currency in self.keys]

    def counted(self) -> dict[CountKey, int] | None:
        counted = {}
        for (method, currency), field in zip(self.keys, self.fields(), strict=True):
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
        elif self.counting:
            self.submit_count()
        else:
            self.close_it()

    def submit_count(self) -> None:
        """Keep the count as typed, before anything expected is shown."""
        if self.held or not self.keys:
            return  # (no count before the held sales are sold or dropped)
        if not self.till.cart.is_empty():
            self.say(_("A sale is in progress: finish or hold it first (Escape goes back)."))
            return
        counted = self.counted()
        if counted is None:
            return
        pieces = self.pieces_of({currency: amount for (method, currency), amount
                                 in counted.items() if method == CASH})
        self.till.run_job(lambda lane: CountSubmitted(lane.submit_count(counted, pieces)),
                          self)

    @on(CountSubmitted)
    def _submitted(self, message: CountSubmitted) -> None:
        self.show_rounds([*self.rounds, message.counted])

    def show_rounds(self, rounds: list[CountRound]) -> None:
        """The counts kept so far, read-only, the newest compared with what was expected."""
        self.rounds = rounds
        self.counting = False
        newest = rounds[-1]
        by_key = {(c.method, c.currency): c for c in newest.lines}
        names = self.till.settings.method_names
        for key, field in zip(self.keys, self.fields(), strict=True):
            line = by_key.get(key)
            field.value = format_money(Money(line.counted if line else 0, key[1]), active())
            field.disabled = True
        rows = []
        for number, counted in enumerate(rounds[:-1], start=1):
            rows.append(_("Count {n} (kept; counted again after it):").format(n=number))
            rows += [f"  {method_label(c.method, names)} {c.currency}: "
                     f"{format_money(Money(c.counted, c.currency), active())}"
                     for c in counted.lines]
        rows.append(_("Expected / counted / over-short:"))
        for line in newest.lines:
            rows.append(f"  {method_label(line.method, names)} {line.currency}: "
                        f"{format_money(Money(line.expected, line.currency), active())} / "
                        f"{format_money(Money(line.counted, line.currency), active())} / "
                        f"{format_money(Money(line.difference, line.currency), active())}")
        self.query_one("#comparison", Static).update("\n".join(rows))
        settings = self.till.settings
        beyond = beyond_tolerance(newest.lines, self.till.rates, settings.tolerance_minor)
        reason = self.query_one("#reason", Input)
        reason.display = bool(beyond)
        if beyond:
            reason.focus()
            self.say(_("The count is kept. It differs: write the reason, then Enter (F4 counts "
                       "again; both counts are kept)."), error=False)
        else:
            self.focus()
            self.say(_("The count is kept. Enter (or F2) closes the shift; F4 counts again."),
                     error=False)
        self.refresh_bindings()

    def action_recount(self) -> None:
        """A new count, beside the one kept: the fields open again, empty."""
        if not self.rounds or self.closed is not None:
            return
        self.counting = True
        self.pieces = {}  # (a recount counts its bills and coins again too)
        self.refresh_bindings()
        self.query_one("#reason", Input).display = False
        self.query_one("#comparison", Static).update("")
        fields = self.fields()
        for field in fields:
            field.disabled = False
            field.value = ""
        if fields:
            fields[0].focus()
        self.say(_("Count again; the first count stays on record."), error=False)
        self.refresh_bindings()

    def close_it(self) -> None:
        newest = self.rounds[-1]
        beyond = beyond_tolerance(newest.lines, self.till.rates,
                                  self.till.settings.tolerance_minor)
        reason = self.query_one("#reason", Input).value.strip() or None
        if beyond and reason is None:
            self.say(_("a reason is required"))
            self.query_one("#reason", Input).focus()
            return
        self.till.run_job(lambda lane: ShiftClosed(lane.close_shift(None, reason)), self)

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
        self.refresh_bindings()
        self.till.run_job(lambda lane: SticksFound(lane.sticks()), self)

    @on(SticksFound)
    def _sticks_found(self, message: SticksFound) -> None:
        self.sticks = message.sticks
        if self.sticks:
            self.say(_("Shift closed. F5: copy the journal to the stick at {stick}. F2 or "
                       "Enter: next volunteer.").format(stick=self.sticks[0]), error=False)
        self.refresh_bindings()

    def action_copy_to_stick(self) -> None:
        if self.closed is None or not self.sticks:
            return
        stick = self.sticks[0]
        self.say(_("Copying the journal to the stick at {stick}…").format(stick=stick),
                 error=False)
        self.till.run_job(lambda lane: BackedUp(lane.backup_to_stick(stick).path), self)

    @on(BackedUp)
    def _backed_up(self, message: BackedUp) -> None:
        self.say(_("Journal copied and checked: {path}. The stick can be removed. F2 or "
                   "Enter: next volunteer.").format(path=message.path), error=False)

    @on(PrintQueued)
    def _printing(self, _message: PrintQueued) -> None:
        self.till.print_queue()

    def next_shift(self) -> None:
        self.till.start_over("open_shift")

    def key_enter(self) -> None:
        if self.closed is not None:
            self.next_shift()
        elif not self.counting and not self.query_one("#reason", Input).display:
            self.close_it()

    def action_back(self) -> None:
        """Back to the sale; once the shift is closed, on to the next volunteer."""
        if self.closed is None:
            self.app.pop_screen()
        else:
            self.next_shift()
