"""Sales of this shift: find by id or time, view, void or refund with a reason, reprint."""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.widgets import DataTable, Footer, Input, Static

from fairpos.domain.sale import Sale, corrections
from fairpos.i18n import N_, _, active, format_money
from fairpos.lane import Lane
from fairpos.tui.base import TillScreen, sentence
from fairpos.tui.messages import EntryRecorded, PrintQueued, Refused, SalesListed


class SalesScreen(TillScreen):
    BINDINGS = [
        Binding("escape", "back", N_("Back"), id="sales_back"),
        Binding("f2", "view", N_("View"), id="sale_view"),
        Binding("f3", "void", N_("Void sale"), id="sale_void"),
        Binding("f4", "refund", N_("Refund"), id="sale_refund"),
        Binding("f5", "reprint", N_("Reprint"), id="sale_reprint"),
        Binding("up", "move(-1)", show=False),
        Binding("down", "move(1)", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[Sale] = []

    def compose(self) -> ComposeResult:
        yield Static(_("[b]Sales of this shift[/b]"), id="sales-title")
        yield Input(id="find", placeholder=_("Find by sale id or time (e.g. 000123 or 10:4)"))
        yield DataTable(id="sales", cursor_type="row", zebra_stripes=True)
        yield Static(id="sales-message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#sales", DataTable)
        table.add_columns(_("Sale"), _("Time"), _("Kind"), _("Total"), _("Payments"))
        self.query_one("#find", Input).focus()
        self.load()

    def load(self) -> None:
        shift = self.till.shift
        if shift is not None:
            self.till.run_job(lambda lane: SalesListed(lane.sales(shift.id)), self)

    @on(SalesListed)
    def _listed(self, message: SalesListed) -> None:
        self.entries = message.entries
        self.show()

    def show(self) -> None:
        text = self.query_one("#find", Input).value.strip().upper()
        table = self.query_one("#sales", DataTable)
        table.clear()
        corrected = corrections(self.entries)
        for sale in reversed(self.entries):
            time = f"{sale.confirmed_at:%H:%M}"
            if text and text not in sale.id and text not in time:
                continue
            payments = ", ".join(format_money(t.amount, active()) for t in sale.tenders)
            table.add_row(sale.id, time, kind_text(sale, corrected.get(sale.id, [])),
                          format_money(sale.total, active()), payments, key=sale.id)

    @on(Input.Changed, "#find")
    def _find(self) -> None:
        self.show()

    @on(Input.Submitted, "#find")
    def _view_found(self) -> None:
        self.action_view()

    def say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#sales-message", Static)
        message.update(Text(sentence(text)))
        message.set_class(error, "error")

    def on_refused(self, message: Refused) -> None:
        message.prevent_default()  # (said here: not in a notice too)
        self.say(message.text, error=True)

    def selected(self) -> Sale | None:
        table = self.query_one("#sales", DataTable)
        if not table.row_count:
            self.say(_("No sale selected."), error=True)
            return None
        key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key.value
        return next(s for s in self.entries if s.id == key)

    def action_move(self, step: int) -> None:
        table = self.query_one("#sales", DataTable)
        if table.row_count:
            table.move_cursor(row=max(0, min(table.row_count - 1, table.cursor_row + step)))

    def action_view(self) -> None:
        sale = self.selected()
        if sale is not None:
            notes = [correction_note(c) for c in corrections(self.entries).get(sale.id, [])]
            self.till.show("receipt", sale, notes)

    def action_reprint(self) -> None:
        sale = self.selected()
        if sale is None:
            return
        if not self.till.can_print:
            self.say(_("No printer is configured; F2 shows the receipt."), error=True)
            return
        self.till.run_job(lambda lane: PrintQueued(lane.queue_reprint(sale), sale.id), self)

    @on(PrintQueued)
    def _queued(self, message: PrintQueued) -> None:
        if message.job_id is None:
            self.say(_("Reprint of {id} printed; not recorded: the journal is read-only.")
                     .format(id=message.sale_id))
            return
        self.say(_("Reprint of {id} sent to the printer.").format(id=message.sale_id))
        self.till.print_queue()

    def action_void(self) -> None:
        sale = self.selected()
        if sale is None:
            return

        def confirmed(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            reason = answer[0]
            self.correct(lambda lane: lane.void(sale.id, reason))

        self.till.show("reason", _("Void the whole sale {id} ({total})? Every payment "
                                   "is given back.").format(
            id=sale.id, total=format_money(sale.total, active())), callback=confirmed)

    def action_refund(self) -> None:
        sale = self.selected()
        if sale is None:
            return
        settings = self.till.settings

        def confirmed(answer: tuple[str, str] | None) -> None:
            if answer is None:
                return
            reason, text = answer
            try:
                numbers = [int(n) for n in text.replace(" ", "").split(",") if n]
            except ValueError:
                self.say(_("“{text}” is not a list of line numbers").format(text=text), True)
                return
            self.correct(lambda lane: lane.refund(sale.id, numbers, reason,
                                                  settings.money.currency))

        self.till.show("reason", _("Refund lines of {id} in cash?").format(id=sale.id), True,
                       callback=confirmed)

    def correct(self, job: Callable[[Lane], Sale]) -> None:
        self.till.run_job(lambda lane: EntryRecorded(job(lane)), self)

    @on(EntryRecorded)
    def _recorded(self, message: EntryRecorded) -> None:
        self.say(_("{id} recorded.").format(id=message.entry.id))
        self.load()
        self.till.show_customer()  # (no longer the thanks and change of what was corrected)
        self.till.sync_now()  # the correction goes to the ledger like a sale

    def action_back(self) -> None:
        self.app.pop_screen()


def kind_text(entry: Sale, corrected_by: list[Sale]) -> str:
    """What an entry is, and for a sale whether it was voided or partly refunded since."""
    if entry.kind == "void":
        return _("void of {id}").format(id=entry.ref_id)
    if entry.kind == "refund":
        return _("refund of {id}").format(id=entry.ref_id)
    if any(c.kind == "void" for c in corrected_by):
        return _("sale · VOIDED")
    if corrected_by:
        return _("sale · refunded in part")
    return _("sale")


def correction_note(correction: Sale) -> str:
    """One line above a sale's receipt: which entry voided or refunded it, when and why."""
    text = _("VOIDED by {id} at {time}: {reason}") if correction.kind == "void" else \
        _("Refund {id} at {time} ({total}): {reason}")
    return text.format(id=correction.id, time=f"{correction.confirmed_at:%H:%M}",
                       total=format_money(correction.total, active()),
                       reason=correction.reason or "")
