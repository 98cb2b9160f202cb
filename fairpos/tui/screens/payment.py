"""Payment: tenders one by one, what is left and the change shown live; Enter confirms."""

from __future__ import annotations

from dataclasses import dataclass

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from fairpos.cart import Cart
from fairpos.i18n import N_, _, active, format_money
from fairpos.lane import Lane
from fairpos.money import MoneyError, parse_amount
from fairpos.reports import method_label, tender_label
from fairpos.sale import Sale
from fairpos.settings import Settings
from fairpos.tenders import (
    ALLOWED_REFERENCES,
    BIOPAGO,
    CARD,
    CASH,
    ELECTRONIC,
    OTHER,
    PAGO_MOVIL,
    PaymentError,
    Settlement,
    Tender,
    make_tender,
    settle,
)
from fairpos.tui.base import TillScreen
from fairpos.tui.messages import Refused, SaleConfirmed


@dataclass(frozen=True)
class Method:
    method: str
    currency: str
    label: str


def payment_methods(settings: Settings) -> list[Method]:
    """Cash in each accepted currency, then electronic payments, vouchers, other."""
    currencies = settings.accepted_currencies
    local = currencies[1] if len(currencies) > 1 else currencies[0]
    methods = [Method(CASH, c, f"{method_label(CASH)} {c}") for c in currencies]
    methods += [Method(m, local, f"{method_label(m)} {local}") for m in (CARD, PAGO_MOVIL,
                                                                          BIOPAGO)]
    methods += [Method(v.code, v.currency, v.name) for v in settings.vouchers]
    methods.append(Method(OTHER, currencies[0], f"{method_label(OTHER)} {currencies[0]}"))
    return methods


class PaymentScreen(ModalScreen[Sale | None], TillScreen):
    """Returns the confirmed sale, or None when the volunteer goes back to the cart."""

    BINDINGS = [
        Binding("f2", "confirm", N_("Confirm"), id="pay_confirm"),
        Binding("escape", "back", N_("Back to the sale"), id="pay_back"),
        Binding("up", "method(-1)", N_("Method"), id="method_up", key_display="↑↓"),
        Binding("down", "method(1)", show=False),
        Binding("f5", "change_currency", N_("Change currency"), id="change_currency"),
        Binding("f6", "unverified", N_("Unverified"), id="unverified"),
        Binding("f8", "remove_tender", N_("Remove payment"), id="remove_tender"),
    ]

    def __init__(self, cart: Cart) -> None:
        super().__init__()
        self.cart = cart
        self.tenders: list[Tender] = []
        self.verified = True
        self.confirming = False
        self.change_currency = cart.currency

    def compose(self) -> ComposeResult:
        with Vertical(id="payment"):
            yield Static(id="pay-total")
            with Horizontal():
                yield OptionList(id="methods")
                yield DataTable(id="tenders", cursor_type="none")
            yield Input(id="amount")
            with Horizontal(id="references"):
                for field, label in self.reference_fields():
                    yield Input(id=field, placeholder=label)
            yield Static(id="due")
            yield Static(id="pay-message")
        yield Footer()

    @staticmethod
    def reference_fields() -> list[tuple[str, str]]:
        return [("ref", _("Reference")), ("bank", _("Bank")), ("phone", _("Phone")),
                ("lot", _("Lot")), ("note", _("Note"))]

    def on_mount(self) -> None:
        self.methods = payment_methods(self.till.settings)
        options = self.query_one("#methods", OptionList)
        options.add_options([Option(m.label, id=str(i)) for i, m in enumerate(self.methods)])
        options.highlighted = 0
        options.can_focus = False
        table = self.query_one("#tenders", DataTable)
        table.add_columns(_("Payment"), _("Amount"))
        self.show_method()
        self.update_state()

    # -- state ---------------------------------------------------------------------------

    @property
    def method(self) -> Method:
        highlighted = self.query_one("#methods", OptionList).highlighted or 0
        return self.methods[highlighted]

    def settlement(self) -> Settlement:
        return settle(self.cart.total, self.tenders, self.till.rates, self.change_currency,
                      lines=self.cart.lines, vouchers=self.till.settings.voucher_kinds)

    def show_method(self) -> None:
        method = self.method
        amount = self.query_one("#amount", Input)
        amount.placeholder = _("{method}: amount in {currency} (Enter alone: the exact amount)"
                               ).format(method=method.label, currency=method.currency)
        allowed = ALLOWED_REFERENCES.get(method.method, ())
        for field, _label in self.reference_fields():
            self.query_one(f"#{field}", Input).display = field in allowed
        self.query_one("#references").display = bool(allowed)
        amount.focus()

    def update_state(self) -> None:
        total = self.cart.total
        rates = self.till.rates
        totals = [format_money(total, active())]
        for currency in self.till.settings.accepted_currencies[1:]:
            if rates.get(currency) is not None:
                totals.append(format_money(rates.express(total.minor, currency), active()))
        self.query_one("#pay-total", Static).update(
            _("TOTAL {amounts}").format(amounts=" · ".join(totals)))
        table = self.query_one("#tenders", DataTable)
        table.clear()
        for tender in self.tenders:
            table.add_row(tender_label(tender), format_money(tender.amount, active()))
        state = self.settlement()
        if state.covered:
            text = _("Paid. Change: [b]{change}[/b] (F5 changes the currency). Enter confirms."
                     ).format(change=format_money(state.change, active()))
        else:
            due = state.due_in(rates, self.method.currency)
            text = _("Still due: [b]{due}[/b]").format(due=format_money(due, active()))
        if not self.verified:
            text += "  " + _("[next payment: unverified]")
        self.query_one("#due", Static).update(text)

    def say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#pay-message", Static)
        message.update(text)
        message.set_class(error, "error")

    def on_refused(self, message: Refused) -> None:
        self.confirming = False
        self.say(message.text, error=True)

    # -- keys ----------------------------------------------------------------------------

    def action_method(self, step: int) -> None:
        options = self.query_one("#methods", OptionList)
        options.highlighted = ((options.highlighted or 0) + step) % len(self.methods)
        self.show_method()
        self.update_state()

    def action_change_currency(self) -> None:
        currencies = [c for c in self.till.settings.accepted_currencies
                      if c in self.till.rates]
        index = currencies.index(self.change_currency) if self.change_currency in currencies \
            else -1
        self.change_currency = currencies[(index + 1) % len(currencies)]
        self.update_state()

    def action_unverified(self) -> None:
        if self.method.method not in ELECTRONIC:
            self.say(_("only card, pago móvil and biopago can be left unverified"), error=True)
            return
        self.verified = not self.verified
        self.update_state()

    def action_remove_tender(self) -> None:
        if self.tenders:
            self.tenders.pop()
            self.update_state()

    def action_confirm(self) -> None:
        if self.confirming:
            return
        try:
            state = self.settlement()
        except PaymentError as err:
            self.say(str(err), error=True)
            return
        if not state.covered:
            due = state.due_in(self.till.rates, self.method.currency)
            self.say(_("the payments do not cover the total: {due} still due").format(
                due=format_money(due, active())), error=True)
            return
        self.confirm()

    def action_back(self) -> None:
        if not self.confirming:
            self.dismiss(None)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        if self.confirming:
            return  # a second Enter while the sale is being written must not sell twice
        amount_input = self.query_one("#amount", Input)
        text = amount_input.value.strip()
        try:
            state = self.settlement()
            if not text and state.covered:
                self.confirm()
                return
            method = self.method
            amount = (state.due_in(self.till.rates, method.currency) if not text
                      else parse_amount(text, method.currency, allow_zero=False))
            reference = {f: self.query_one(f"#{f}", Input).value.strip()
                         for f in ALLOWED_REFERENCES.get(method.method, ())}
            tender = make_tender(method.method, amount,
                                 {k: v for k, v in reference.items() if v},
                                 verified=self.verified,
                                 vouchers=self.till.settings.voucher_kinds,
                                 accepted=self.till.settings.accepted_currencies)
            settle(self.cart.total, [*self.tenders, tender], self.till.rates,
                   self.change_currency, lines=self.cart.lines,
                   vouchers=self.till.settings.voucher_kinds)
        except (MoneyError, PaymentError) as err:
            self.say(str(err), error=True)
            if "ref" in str(err):
                self.query_one("#ref", Input).focus()
            return
        self.tenders.append(tender)
        self.verified = True
        for field in ["amount", *(f for f, _label in self.reference_fields())]:
            self.query_one(f"#{field}", Input).value = ""
        amount_input.focus()
        self.say(_("Added {tender}.").format(tender=format_money(tender.amount, active())))
        self.update_state()

    def confirm(self) -> None:
        self.confirming = True
        self.say(_("Saving…"))
        cart, tenders, change = self.cart, list(self.tenders), self.change_currency
        holding, printing = self.till.holding, self.till.can_print

        def write(lane: Lane) -> SaleConfirmed:
            return SaleConfirmed(lane.sell(cart, tenders, change, held=holding,
                                           print_receipt=printing))

        self.till.run_job(write, self)

    @on(SaleConfirmed)
    def _confirmed(self, message: SaleConfirmed) -> None:
        self.dismiss(message.sale)
        self.till.print_queue()  # the sale is safe; now the paper
        self.till.sync_now()  # and the ledger
