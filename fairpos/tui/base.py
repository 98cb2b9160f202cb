"""What every screen of the till shares; screens import this, never the app or each other."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import Any, Protocol, cast

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from fairpos.domain.cart import Cart
from fairpos.domain.catalog import Catalog, Product
from fairpos.domain.money import Money, Rates
from fairpos.domain.sale import Sale
from fairpos.domain.shift import pieces_total
from fairpos.domain.tenders import Tender
from fairpos.i18n import N_, _, active, format_money, typed_amount
from fairpos.journal.records import ShiftInfo
from fairpos.lane import Lane
from fairpos.printer.layout import Receipt, text_receipt
from fairpos.scale.frames import Command
from fairpos.scale.weighing import Weighing
from fairpos.settings import Settings
from fairpos.tui.messages import PrintQueued, Refused


def sentence(text: str) -> str:
    """A message as a sentence on screen: it begins with a capital (refusals are written in
    lower case, to follow a colon on the command line)."""
    return text[:1].upper() + text[1:]


class Till(Protocol):
    """What a screen may use of the till app: its state, and the few things it does for
    screens (run a job on the lane, open a screen by name, print, sync, weigh)."""

    lane: Lane
    settings: Settings
    catalog: Catalog | None
    rates: Rates
    old_rates: dict[str, int]
    shift: ShiftInfo | None
    cart: Cart
    holding: tuple[int, ...]
    payments: list[Tender]
    sent: list[Tender]
    draft_version: int
    last_sale: Sale | None
    weighing: Weighing
    can_print: bool
    printer_status: str
    sync_status: str
    scanner_status: str

    def run_job(self, job: Callable[[Lane], Any], target: Any = None) -> None: ...
    def show(self, name: str, *args: Any, callback: Callable[[Any], None] | None = None
             ) -> None: ...
    def start_over(self, name: str) -> None: ...
    def recall(self, held_id: int) -> None: ...
    def new_sale(self) -> None: ...
    def cart_changed(self) -> None: ...
    def payments_changed(self) -> None: ...
    def refresh_rates(self) -> None: ...
    def print_queue(self) -> None: ...
    def sync_now(self) -> None: ...
    def scale_command(self, command: Command) -> None: ...
    def show_customer(self, sale: Sale | None = None) -> None: ...



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
    def till(self) -> Till:
        return cast(Till, self.app)

    def on_refused(self, message: Refused) -> None:
        """A refused request: say why, change nothing."""
        self.notify(sentence(message.text), severity="error", markup=False)

    def focus_next_field(self, current: Input) -> bool:
        """Enter in a form moves to the next shown field; False when ``current`` was the last."""
        fields = [field for field in self.query(Input) if field.display]
        index = fields.index(current)
        if index + 1 < len(fields):
            self.set_focus(fields[index + 1])  # at once: the next keys typed go there
            return True
        return False

    def scale_changed(self) -> None:
        """The scale shows something new (``till.weighing``); screens that show it redraw it."""

    def devices_changed(self) -> None:
        """The printer, scale or sync slot changed; screens that show them redraw them."""

    def scale_answered(self, said: str, problem: bool) -> None:
        """What the scale answered to zero or tare, in words (``problem``: it did not do it)."""
        self.notify(said, severity="warning" if problem else "information",
                    timeout=10 if problem else 4)


def list_products(results: OptionList, found: Sequence[Product], catalog: Catalog) -> None:
    """The products a name typed finds, to pick with ↑↓ and Enter (hidden when none): the
    whole name (wrapped), its price and unit — two products that differ only by their size
    never look the same."""
    language = active()
    results.clear_options()
    results.add_options([Option(
        f"{p.plu:>5}  {escape(p.name(language))}  [b]"
        + escape(format_money(Money(catalog.unit_price(p), catalog.currency), language))
        + ("/kg" if p.unit == "kg" else " " + _("each")) + "[/b]", id=p.plu) for p in found])
    results.display = bool(found)
    if found:
        results.highlighted = 0


class CountsByPiece(TillScreen):
    """A screen where cash is counted (the float, the close): F3 on a cash field counts it by
    bills and coins (``[money] denominations``); the total fills the field, and the pieces are
    kept with the count unless the amount is changed by hand afterwards."""

    def __init__(self) -> None:
        super().__init__()
        self.cash_fields: dict[str, str] = {}  # input id → the currency it counts in cash
        self.pieces: dict[str, dict[int, int]] = {}

    def say(self, text: str) -> None:
        self.notify(sentence(text), severity="error", markup=False)

    def action_by_pieces(self) -> None:
        field = self.focused
        currency = self.cash_fields.get(field.id or "") if isinstance(field, Input) else None
        if currency is None:
            self.say(_("F3 counts cash by bills and coins: go to a cash field first"))
            return
        denominations = self.till.settings.denominations.get(currency)
        if not denominations:
            self.say(_("no bills and coins are set for {currency} ([money] denominations): "
                       "type the amount").format(currency=currency))
            return
        assert isinstance(field, Input)

        def counted(pieces: dict[int, int] | None) -> None:
            if pieces is None:
                return
            self.pieces[currency] = pieces
            field.value = typed_amount(Money(pieces_total(pieces), currency))
            field.focus()

        self.till.show("pieces", currency, denominations, self.pieces.get(currency),
                       callback=counted)

    def pieces_of(self, amounts: Mapping[str, int]) -> dict[str, dict[int, int]]:
        """The pieces counted for each currency whose amount is still what they add up to."""
        return {currency: pieces for currency, pieces in self.pieces.items()
                if pieces_total(pieces) == amounts.get(currency)}


class TextScreen(ModalScreen[None], TillScreen):
    """A page of text (a receipt, a report) that Escape or Enter closes; F2 prints it."""

    BINDINGS = [
        Binding("escape", "close", N_("Close"), id="close"),
        Binding("enter", "close", show=False),
        Binding("f2", "print_page", N_("Print"), id="print_page"),
    ]

    def __init__(self, title: str, lines: list[str]) -> None:
        super().__init__()
        self.title_text = title
        self.lines = lines

    def compose(self) -> ComposeResult:
        with Vertical(id="text-dialog"):
            yield Static(f"[b]{self.title_text}[/b]", id="text-title")
            with VerticalScroll(id="text-body"):
                yield Static("\n".join(self.lines), id="text", markup=False)
        yield Footer()

    def show_lines(self, lines: list[str]) -> None:
        self.lines = lines
        self.query_one("#text", Static).update("\n".join(lines))

    def action_close(self) -> None:
        self.dismiss(None)

    def page(self) -> Receipt:
        """What F2 prints: these lines."""
        return text_receipt("report", self.lines, self.till.lane.settings.printer.columns)

    def action_print_page(self) -> None:
        if not self.till.can_print:
            self.notify(_("no printer is configured"), severity="error")
            return
        page = self.page()
        kind = "test" if page.title == "test" else "report"
        self.till.run_job(lambda lane: PrintQueued(lane.queue_page(kind, page)), self)

    def on_print_queued(self, message: PrintQueued) -> None:
        if message.job_id is None:
            self.notify(_("Printed; not recorded: the journal is read-only."))
            return
        self.notify(_("Sent to the printer."))
        self.till.print_queue()
