"""Small dialogs: the receipt preview, choosing a held sale, asking a reason, cash by bills
and coins."""

from __future__ import annotations

from rich.markup import escape
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from fairpos.domain.money import Money
from fairpos.domain.sale import Sale
from fairpos.domain.shift import pieces_total
from fairpos.i18n import N_, _, active, format_money, lines_text
from fairpos.journal.records import HeldSale
from fairpos.tui.base import TextScreen, TillScreen, sentence
from fairpos.tui.messages import PrintQueued


class ReceiptScreen(TextScreen):
    def __init__(self, sale: Sale, notes: list[str] | None = None) -> None:
        super().__init__(_("Receipt preview"), [])
        self.sale = sale
        self.notes = notes or []  # said above the receipt: a void or refund of this sale

    def on_mount(self) -> None:
        self.show_lines(self.till.lane.receipt_of(self.sale).text())
        if self.notes:
            self.query_one("#text-title", Static).update(
                f"[b]{self.title_text}[/b]\n" + "\n".join(
                    escape(note) for note in self.notes))
            self.query_one("#text-title", Static).add_class("error")

    def action_print_page(self) -> None:
        """F2 on a receipt reprints it, marked REPRINT."""
        if not self.till.can_print:
            self.notify(_("no printer is configured"), severity="error")
            return
        sale = self.sale
        self.till.run_job(lambda lane: PrintQueued(lane.queue_reprint(sale), sale.id), self)


class KeysScreen(TextScreen, inherit_bindings=False):
    """Every key of the screen the volunteer came from, with its name."""

    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="close"),
        Binding("enter", "close", show=False),
    ]

    def __init__(self, lines: list[str]) -> None:
        super().__init__(_("Keys"), lines)

    def action_print_page(self) -> None:
        """Nothing to print here."""


class RecallScreen(ModalScreen[int | None], TillScreen):
    """Pick one of several held sales."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="recall_cancel")]

    def __init__(self, held: list[HeldSale]) -> None:
        super().__init__()
        self.held = held

    def compose(self) -> ComposeResult:
        with Vertical(id="recall"):
            yield Static(_("Which held sale?"))
            yield OptionList(*[
                Option(f"#{h.id}  {h.held_at[11:16]}  {format_money(h.cart.total, active())}  "
                       + lines_text(len(h.cart.active)), id=str(h.id))
                for h in self.held], id="held")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#held", OptionList).focus()

    @on(OptionList.OptionSelected)
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(int(str(event.option.id)))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReasonScreen(ModalScreen[tuple[str, str] | None], TillScreen):
    """Ask for a reason (and optionally line numbers) before a correction; Enter confirms."""

    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="reason_cancel")]

    def __init__(self, question: str, ask_lines: bool = False) -> None:
        super().__init__()
        self.question = question
        self.ask_lines = ask_lines

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-dialog"):
            yield Static(self.question, id="question")
            if self.ask_lines:
                yield Input(id="lines", placeholder=_("Line numbers, e.g. 1,3 (empty: all)"))
            yield Input(id="reason", placeholder=_("Reason (required), then Enter to confirm"))
            yield Static(id="reason-message")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#lines" if self.ask_lines else "#reason", Input).focus()

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        if event.input.id == "lines":
            self.query_one("#reason", Input).focus()
            return
        reason = self.query_one("#reason", Input).value.strip()
        lines = self.query_one("#lines", Input).value.strip() if self.ask_lines else ""
        if not reason:
            message = self.query_one("#reason-message", Static)
            message.update(sentence(_("a reason is required")))
            message.add_class("error")
            return
        self.dismiss((reason, lines))

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmChangeScreen(ModalScreen[Money | None], TillScreen):
    """Large change: named, and given only with its own key (Enter does not give it)."""

    BINDINGS = [
        Binding("f2", "give", N_("Give the change"), id="change_give"),
        Binding("escape", "back", N_("Back to the payments"), id="change_back"),
    ]

    def __init__(self, change: Money, limit: Money) -> None:
        super().__init__()
        self.change = change
        self.limit = limit

    def compose(self) -> ComposeResult:
        with Vertical(id="reason-dialog"):
            yield Static(_("[b]Change: {change}[/b]").format(
                change=format_money(self.change, active())), id="change-amount")
            yield Static(_("That is more than {limit}. Check the payments; if they are right, "
                           "count out {change} and press F2. Escape goes back.").format(
                limit=format_money(self.limit, active()),
                change=format_money(self.change, active())))
        yield Footer()

    def action_give(self) -> None:
        self.dismiss(self.change)

    def action_back(self) -> None:
        self.dismiss(None)


class PiecesScreen(ModalScreen[dict[int, int] | None], TillScreen):
    """Cash counted by bills and coins: how many of each, the total as it is typed; F2 or
    Enter on the last one gives it back, Escape leaves the amount as it was."""

    BINDINGS = [
        Binding("f2", "done", N_("Done"), id="pieces_done"),
        Binding("escape", "cancel", N_("Cancel"), id="pieces_cancel"),
    ]

    def __init__(self, currency: str, denominations: tuple[int, ...],
                 pieces: dict[int, int] | None = None) -> None:
        super().__init__()
        self.currency = currency
        self.denominations = denominations
        self.before = dict(pieces or {})

    def compose(self) -> ComposeResult:
        with Vertical(id="pieces-dialog"):
            yield Static(_("[b]{currency}[/b] by bills and coins: how many of each").format(
                currency=self.currency))
            for n, value in enumerate(self.denominations):
                count = self.before.get(value)
                yield Horizontal(
                    Static(format_money(Money(value, self.currency), active()),
                           classes="piece-label"),
                    Input(str(count) if count else "", id=f"piece-{n}", placeholder="0",
                          restrict=r"[0-9]{0,6}", classes="piece", compact=True),
                    classes="piece-row")
            yield Static(id="pieces-total")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#piece-0", Input).focus()
        self.show_total()

    def pieces(self) -> dict[int, int]:
        found = {}
        for n, value in enumerate(self.denominations):
            text = self.query_one(f"#piece-{n}", Input).value
            if text:
                found[value] = int(text)
        return {value: count for value, count in found.items() if count}

    def show_total(self) -> None:
        self.query_one("#pieces-total", Static).update(_("Total: [b]{total}[/b]").format(
            total=format_money(Money(pieces_total(self.pieces()), self.currency), active())))

    @on(Input.Changed)
    def _changed(self) -> None:
        self.show_total()

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if not self.focus_next_field(event.input):
            self.action_done()

    def action_done(self) -> None:
        self.dismiss(self.pieces())

    def action_cancel(self) -> None:
        self.dismiss(None)
