"""The main screen: an entry line, the cart, the total in every currency, and the lane's state.
Its keys for a line (select, void, quantity, repeat) and for the sale as a whole (pay, hold,
recall, the sales, a receipt, the X report)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Footer, Input, OptionList, Static

from fairpos.domain.sale import Sale
from fairpos.domain.tenders import CASH
from fairpos.errors import FairposError
from fairpos.i18n import (
    N_,
    _,
    active,
    format_money,
)
from fairpos.journal.records import HeldSale
from fairpos.tui.messages import CartChanged, HeldListed, Refused, SaleHeld
from fairpos.tui.screens.ringup.typed_entry import TypedEntry
from fairpos.tui.screens.ringup.view import (
    Panel,
)


class RingUpScreen(TypedEntry):
    """Ring up a sale. Focus stays on the entry line. The footer shows the keys used most;
Ctrl+A (ayuda), or ``?`` on the empty entry line, shows every key with its name."""

    BINDINGS = [
        # (the way out first: at 80 columns the footer has room for what comes first)
        Binding("ctrl+q", "app.quit_till", N_("Quit"), id="ring_up_quit"),
        Binding("ctrl+a", "keys", N_("Keys"), id="keys", priority=True),
        Binding("f1", "weigh", N_("Weigh"), id="weigh"),
        Binding("f2", "pay", N_("Pay"), id="pay"),
        Binding("f3", "price_class(0)", N_("Class 1"), id="class_1"),
        Binding("f4", "price_class(1)", N_("Class 2"), id="class_2"),
        Binding("f5", "repeat", N_("Repeat"), id="repeat", show=False),
        Binding("f6", "hold", N_("Hold"), id="hold"),
        Binding("f7", "recall", N_("Recall"), id="recall", show=False),
        Binding("f8", "void_line", N_("Void line"), id="void_line"),
        Binding("f9", "change_quantity", N_("Quantity"), id="change_quantity", show=False),
        Binding("f10", "sales", N_("Sales"), id="sales", show=False),
        Binding("f11", "receipt", N_("Receipt"), id="receipt", show=False),
        Binding("f12", "x_report", N_("X report"), id="x_report", show=False),
        Binding("escape", "cancel", N_("Cancel"), id="cancel", show=False),
        Binding("ctrl+z", "zero", N_("Zero"), id="zero", show=False),
        Binding("ctrl+t", "tare", N_("Tare"), id="tare", show=False),
        Binding("up", "move(-1)", N_("Select a line"), show=False, key_display="↑↓"),
        Binding("down", "move(1)", show=False),
    ]

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        if self.till.shift is not None and self.till.shift.training:
            yield Static(_("TRAINING — these sales do not count"), id="training")
        with Horizontal(id="main"):
            yield DataTable(id="cart", cursor_type="row", zebra_stripes=True)
            yield OptionList(id="results")  # (a search's results, in the cart's place)
            with Vertical(id="side"):
                yield Static(id="weight")
                yield Panel(id="totals")
                yield Panel(id="devices")
        yield Static(id="message")
        yield Input(id="entry", placeholder=self.hint())
        # compact, and the palette's key is in the keys window: F8 fits at 80 columns
        yield Footer(compact=True, show_command_palette=False)

    def on_unmount(self) -> None:
        self.drawn = False

    def on_mount(self) -> None:
        self.drawn = True
        self.show_results(False)
        self.query_one("#weight", Static).display = self.till.weighing.configured
        self.scale_changed()
        self.refresh_cart()
        self.select(False)
        self.query_one("#entry", Input).focus()

    def on_resize(self) -> None:
        self.refresh_cart()

    @on(CartChanged)
    def _cart_changed(self, message: CartChanged) -> None:
        if message.quiet:
            self.devices_changed()
            return
        self.prompt(None)
        self.refresh_cart()
        self.say(message.said)

    def on_refused(self, message: Refused) -> None:
        message.prevent_default()  # (said here: not in a notice too)
        self.say(message.text, error=True)

    def action_move(self, step: int) -> None:
        results = self.query_one("#results", OptionList)
        if results.display:
            if step < 0:
                results.action_cursor_up()
            else:
                results.action_cursor_down()
            return
        table = self.query_one("#cart", DataTable)
        if table.row_count:
            if not self.selecting:  # the first ↑ (or ↓) selects the last line rung
                self.select(True)
                table.move_cursor(row=table.row_count - 1)
            else:
                table.move_cursor(row=max(0, min(table.row_count - 1,
                                                 table.cursor_row + step)))
            number = self.selected_line()
            if number is not None:
                self.voiding = None
                self.say(_("Line {n} selected: {name} (F8 voids it, F9 changes its quantity)")
                         .format(n=number, name=self.cart.line(number).name(active())))

    def action_cancel(self) -> None:
        self.show_results(False)
        self.prompt(None)
        self.select(False)
        self.say("")

    def action_void_line(self) -> None:
        """F8 names the line it would void; F8 again voids it, anything else keeps it."""
        number = self.selected_line()
        if number is None:
            return
        self.select(True)
        if self.voiding != number:
            self.voiding = number
            line = self.cart.line(number)
            self.say(_("Void line {n}, {name} ({amount})? F8 again voids it; any other key "
                       "keeps it.").format(n=number, name=line.name(active()),
                                           amount=self.money(line.amount)), error=True)
            return
        self.voiding = None
        line = self.cart.void(number)
        self.drop_line(number)
        self.select(False)
        self.till.cart_changed()
        self.say(_("Line {n} voided: {name}").format(n=number, name=line.name(active())))

    def action_change_quantity(self) -> None:
        number = self.selected_line()
        if number is not None:
            line = self.cart.lines[number - 1]
            self.prompt(("quantity", number), _("New quantity for line {n} ({name})").format(
                n=number, name=line.name(active())))
            self.say(_("Type the new weight or count for line {n}.").format(n=number))

    def action_repeat(self) -> None:
        try:
            self.added(self.cart.repeat_last())
        except FairposError as err:
            self.say(str(err), error=True)

    def action_pay(self) -> None:
        if self.cart.is_empty():
            self.say(_("the sale is empty"), error=True)
            return
        self.prompt(None)
        self.till.show("payment", self.cart, self.till.payments, self.till.sent,
                       callback=self.paid)

    def paid(self, sale: Sale | None) -> None:
        if sale is None:
            kept = len(self.till.payments)
            self.say(_("Payment paused; the sale is still here.") if not kept else
                     _("Payment paused: the payment entered is kept; F2 goes on.") if kept == 1
                     else _("Payment paused: the {count} payments entered are kept; F2 goes on.")
                     .format(count=kept))
            return
        self.till.last_sale = sale
        self.till.new_sale()
        self.till.show_customer(sale)  # thanks, and the change
        self.prompt(None)
        self.refresh_cart()
        self.till.refresh_rates()  # a rate entered meanwhile shows from the next sale on
        cash = [sale.change] if sale.change.minor else []
        cash += [given.amount for given in sale.change_sent if given.method == CASH]
        given = [_("Change: {amount}").format(amount=" + ".join(
            format_money(m, active()) for m in cash))] if cash else []
        given += [_("Sent by pago móvil: {sent}").format(sent=format_money(t.amount, active()))
                  for t in sale.change_sent if t.method != CASH]
        self.say(" · ".join([_("Sale {id} confirmed.").format(id=sale.id), *given]))

    def action_hold(self) -> None:
        cart, holding, draft = self.cart, self.till.holding, self.till.draft_version
        if cart.is_empty():
            self.say(_("the sale is empty: nothing to hold"), error=True)
            return
        if self.till.payments or self.till.sent:
            self.say(_("payments were entered: finish paying (F2), or remove them there (F8) "
                       "before holding the sale"), error=True)
            return
        self.till.run_job(lambda lane: SaleHeld(lane.hold(cart, replacing=holding,
                                                          draft=draft)), self)

    @on(SaleHeld)
    def _held(self, message: SaleHeld) -> None:
        self.till.new_sale()
        self.prompt(None)
        self.refresh_cart()
        self.say(_("Sale held as #{id}. F7 brings it back.").format(id=message.held_id))

    def action_recall(self) -> None:
        shift = self.till.shift
        self.till.run_job(lambda lane: HeldListed(lane.held(shift.id if shift else None)),
                          self)

    @on(HeldListed)
    def _held_listed(self, message: HeldListed) -> None:
        held: list[HeldSale] = [h for h in message.held if h.id not in self.till.holding]
        if not held:
            self.say(_("There are no held sales."), error=True)
        elif len(held) == 1:
            self.till.recall(held[0].id)
        else:
            self.till.show("recall", held, callback=self.recall_chosen)

    def recall_chosen(self, held_id: int | None) -> None:
        if held_id is not None:
            self.till.recall(held_id)

    def action_sales(self) -> None:
        self.till.show("sales")

    def action_receipt(self) -> None:
        if self.till.last_sale is None:
            self.say(_("No sale confirmed yet in this session."), error=True)
            return
        self.till.show("receipt", self.till.last_sale)

    def action_x_report(self) -> None:
        self.till.show("x_report")

    def on_screen_resume(self) -> None:
        self.refresh_cart()
        self.entry.focus()
