"""Payment: tenders one by one, what is left and the change shown live; Enter confirms."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Footer, Input, OptionList, Static
from textual.widgets.option_list import Option

from fairpos.domain.cart import Cart
from fairpos.domain.change import ChangeWay, ways_to_give
from fairpos.domain.money import Money, MoneyError, parse_amount
from fairpos.domain.reports import tender_label
from fairpos.domain.sale import Sale
from fairpos.domain.tenders import (
    ALLOWED_REFERENCES,
    BIOPAGO,
    CARD,
    CASH,
    ELECTRONIC,
    OTHER,
    PAGO_MOVIL,
    PaymentError,
    ReferenceRefused,
    Settlement,
    Tender,
    change_limit,
    make_change_tender,
    make_tender,
    method_label,
)
from fairpos.i18n import N_, _, active, format_money
from fairpos.lane import Lane
from fairpos.settings import Settings
from fairpos.tui.base import TillScreen, sentence
from fairpos.tui.messages import Refused, SaleConfirmed

WayKey = tuple[str, str | None, str]


def way_key(way: ChangeWay) -> WayKey:
    """A way to give change as the volunteer chose it: its currencies and how the rest goes
    (the amounts follow the payments)."""
    return (way.cash.currency, way.rest.currency if way.rest else None, way.rest_by)


@dataclass(frozen=True)
class Method:
    method: str
    currency: str
    label: str


def payment_methods(settings: Settings) -> list[Method]:
    """Cash in each accepted currency, then the electronic payments, the vouchers and other,
    as far as ``[money] methods`` offers them."""
    currencies = settings.accepted_currencies
    offered = settings.money.methods
    local = currencies[1] if len(currencies) > 1 else currencies[0]
    methods = [Method(CASH, c, f"{method_label(CASH)} {c}") for c in currencies]
    methods += [Method(m, local, f"{method_label(m)} {local}")
                for m in (CARD, PAGO_MOVIL, BIOPAGO) if m in offered]
    methods += [Method(v.code, v.currency, v.name) for v in settings.vouchers]
    if OTHER in offered:
        methods.append(Method(OTHER, currencies[0], f"{method_label(OTHER)} {currencies[0]}"))
    return methods


class PaymentScreen(ModalScreen[Sale | None], TillScreen):
    """Returns the confirmed sale, or None when the volunteer goes back to the cart."""

    BINDINGS = [
        Binding("f2", "confirm", N_("Confirm"), id="pay_confirm"),
        Binding("escape", "back", N_("Back to the sale"), id="pay_back"),
        Binding("up", "method(-1)", N_("Method"), id="method_up", key_display="↑↓"),
        Binding("down", "method(1)", show=False),
        Binding("f5", "change_currency", N_("Other change"), id="change_currency"),
        Binding("f6", "unverified", N_("Unverified"), id="unverified"),
        Binding("f7", "send_change", N_("Send change"), id="send_change"),
        Binding("f8", "remove_tender", N_("Remove payment"), id="remove_tender"),
    ]

    def __init__(self, cart: Cart, tenders: list[Tender] | None = None,
                 sent: list[Tender] | None = None) -> None:
        super().__init__()
        self.cart = cart
        # the payments entered so far: the till's own list, kept if the volunteer goes back
        # (and on disk with the sale's draft)
        self.tenders: list[Tender] = tenders if tenders is not None else []
        self.verified = True
        self.confirming = False
        self.change_chosen = False  # F5 was pressed: the volunteer's choice stands
        self.change_currency = cart.currency
        self.ways: list[ChangeWay] = []  # the ways the change can be given, best first
        self.way: ChangeWay | None = None  # the one shown (F5: the next)
        self.way_chosen: WayKey | None = None  # the one F5 chose, while it is one
        self._shown_ways = 0  # how many ways the footer was drawn for
        self.sent: list[Tender] = sent if sent is not None else []  # change by pago móvil
        self.has_change = False  # paid, with change to give (in cash or by pago móvil)
        self.sending = False  # F7: the entry line takes the change to send by pago móvil

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
        yield Footer(compact=True)

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
        self.change_currency = self.till.lane.change_currency(self.tenders)
        self.show_method()
        self.update_state()
        if self.tenders or self.sent:
            self.say(_("The payments entered before are still here (F8 removes the last)."))

    # -- state ---------------------------------------------------------------------------

    @property
    def method(self) -> Method:
        highlighted = self.query_one("#methods", OptionList).highlighted or 0
        return self.methods[highlighted]

    def settlement(self, sent: list[Tender] | None = None) -> Settlement:
        """Where the payments stand, as the lane reckons the sale it writes."""
        return self.till.lane.settlement(self.cart, self.tenders, self.till.rates,
                                         self.change_currency,
                                         self.sent if sent is None else sent)

    @property
    def local_currency(self) -> str:
        """The currency pago móvil moves in (the first accepted after the pricing one)."""
        currencies = self.till.settings.accepted_currencies
        return currencies[1] if len(currencies) > 1 else currencies[0]

    def show_method(self) -> None:
        method = self.method
        amount = self.query_one("#amount", Input)
        amount.placeholder = _("{method}: amount in {currency} (Enter alone: the exact amount)"
                               ).format(method=method.label, currency=method.currency)
        allowed = ALLOWED_REFERENCES.get(method.method, ())
        if self.sending:
            way = self.chosen_way()
            amount.placeholder = (
                _("Change by pago móvil in {currency} (Enter alone: {amount})").format(
                    currency=self.local_currency, amount=format_money(way.rest, active()))
                if way is not None and way.rest is not None and way.rest_by == PAGO_MOVIL
                else _("Change by pago móvil in {currency} (Enter alone: all the change)")
                .format(currency=self.local_currency))
            allowed = ("ref", "bank", "phone")
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
            table.add_row(tender_label(tender, self.till.settings.method_names),
                          format_money(tender.amount, active()))
        for given in self.sent:
            table.add_row(_("Change by pago móvil"), format_money(-given.amount, active()))
        state = self.settlement()
        way = self.follow_way(state)
        if way is not None and way.cash.currency != self.change_currency:
            self.change_currency = way.cash.currency
            state = self.settlement()
        has_change = state.covered and (state.change.minor > 0 or bool(self.sent))
        if has_change != self.has_change or len(self.ways) != self._shown_ways:
            self.has_change, self._shown_ways = has_change, len(self.ways)
            self.refresh_bindings()
        if state.covered:
            text = _("Paid. Change: [b]{change}[/b] (F5: another way). Enter confirms."
                     ).format(change=self.way_text(way) if way is not None
                              else format_money(state.change, active()))
            if way is not None and not way.whole:
                text += "\n" + _("The drawer's bills and coins cannot make that exactly: F5 "
                                  "shows another way.")
            if self.sent:
                text += "\n" + _("Sent by pago móvil: {sent}").format(sent=" · ".join(
                    format_money(t.amount, active()) for t in self.sent))
            others = self.change_elsewhere(state)
            if others:
                text += "\n" + _("The same change in {others}").format(others=" · ".join(
                    format_money(m, active()) for m in others))
            if state.change.minor == 0 and any(m.minor for m in others):
                text += "\n" + _("[b]Careful:[/b] the change rounds to {zero}, but it is not "
                                  "nothing in another currency (F5).").format(
                    zero=format_money(state.change, active()))
        else:
            due = self.due(state)
            igtf = self.till.settings.igtf
            method = self.method
            if igtf is not None and (state.igtf or (method.method == CASH and
                                                    method.currency != igtf.local)):
                text = _("Still due, IGTF included: [b]{due}[/b]").format(
                    due=format_money(due, active()))
            else:
                text = _("Still due: [b]{due}[/b]").format(due=format_money(due, active()))
        if state.igtf:
            text += "\n" + _("IGTF on {base}: {igtf} (on top of the total)").format(
                base=format_money(Money(state.igtf_base, self.cart.currency), active()),
                igtf=format_money(Money(state.igtf, self.cart.currency), active()))
        if not self.verified:
            text += "  " + _("[next payment: unverified]")
        self.query_one("#due", Static).update(text)

    def due(self, state: Settlement) -> Money:
        """What is still due in the chosen method's currency (foreign cash: its IGTF in)."""
        method = self.method
        return state.due_in(self.till.rates, method.currency, method.method,
                            self.till.settings.igtf)

    def follow_way(self, state: Settlement) -> ChangeWay | None:
        """The ways the change left to give can go (after what was sent by pago móvil), with
        ``[money] denominations``: notes and the rest in another currency; the one shown."""
        owed = -(state.remaining + state.sent)
        if not state.covered or owed <= 0:
            self.ways = []
            return None
        settings = self.till.settings
        preferred = self.till.lane.change_currency(self.tenders)
        currencies = sorted(settings.accepted_currencies, key=lambda c: c != preferred)
        pago_movil = self.local_currency if PAGO_MOVIL in settings.offered_methods else None
        self.ways = ways_to_give(owed, self.till.rates, currencies, settings.denominations,
                                 pago_movil)
        self.way = next((w for w in self.ways if way_key(w) == self.way_chosen),
                        self.ways[0] if self.ways else None)
        return self.way

    def way_text(self, way: ChangeWay) -> str:
        said = format_money(way.cash, active())
        if way.rest is not None:
            rest = format_money(way.rest, active())
            said += " + " + (rest if way.rest_by == CASH else _(
                "{amount} by pago móvil (F7 sends it)").format(amount=rest))
        return said

    def chosen_way(self) -> ChangeWay | None:
        return self.way

    def change_elsewhere(self, state: Settlement) -> list[Money]:
        """The change in every other accepted currency with a rate."""
        owed = -(state.remaining + state.sent)
        if owed <= 0:
            return []
        rates = self.till.rates
        return [rates.express(owed, currency)
                for currency in self.till.settings.accepted_currencies
                if currency != state.change.currency and currency in rates]

    def say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#pay-message", Static)
        message.update(Text(sentence(text)))
        message.set_class(error, "error")

    def on_refused(self, message: Refused) -> None:
        message.prevent_default()  # (said here: not in a notice too)
        self.confirming = False
        self.say(message.text, error=True)

    # -- keys ----------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # (one footer, 80 columns: F6 while payments are still due, F7 once there is change
        # to give — and only where pago móvil is taken)
        if action == "send_change":
            return self.has_change and PAGO_MOVIL in self.till.settings.offered_methods
        if action == "unverified":
            return not self.has_change
        if action == "change_currency":  # once there is change, and more than one way to
            # give it (a lane of one currency and no pieces known has one)
            currencies = [c for c in self.till.settings.accepted_currencies
                          if c in self.till.rates]
            return self.has_change and (len(self.ways) > 1 or len(currencies) > 1)
        return True

    def action_method(self, step: int) -> None:
        options = self.query_one("#methods", OptionList)
        options.highlighted = ((options.highlighted or 0) + step) % len(self.methods)
        self.show_method()
        self.update_state()

    def action_change_currency(self) -> None:
        """F5: the next way to give the change (another currency, or notes and the rest in
        another currency)."""
        if self.ways:
            index = self.ways.index(self.way) if self.way in self.ways else -1
            self.way = self.ways[(index + 1) % len(self.ways)]
            self.way_chosen = way_key(self.way)
            self.change_currency = self.way.cash.currency
        else:
            currencies = [c for c in self.till.settings.accepted_currencies
                          if c in self.till.rates]
            index = currencies.index(self.change_currency) \
                if self.change_currency in currencies else -1
            self.change_currency = currencies[(index + 1) % len(currencies)]
        self.change_chosen = True
        if self.sending:  # (another way: not this transfer)
            self.sending = False
            self.show_method()
        self.update_state()

    def action_unverified(self) -> None:
        if self.method.method not in ELECTRONIC:
            self.say(_("only card, pago móvil and biopago can be left unverified"), error=True)
            return
        self.verified = not self.verified
        self.update_state()

    def action_send_change(self) -> None:
        """F7: the change (or part of it) is sent by pago móvil; F7 again: given in cash."""
        if self.sending:
            self.sending = False
        else:
            try:
                state = self.settlement()
            except PaymentError as err:
                self.say(str(err), error=True)
                return
            if not state.covered or state.change.minor == 0:
                self.say(_("there is no change to send: the payments do not go over the "
                           "total"), error=True)
                return
            self.sending = True
            self.say(_("Tab: the reference once sent, the customer's bank and phone · F7 "
                       "again: the change in cash"))
        self.show_method()
        self.update_state()

    def action_remove_tender(self) -> None:
        if self.sent:  # the change sent goes first: it came after the payments
            self.sent.pop()
            self.way_chosen = None
        elif self.tenders:
            self.tenders.pop()
            self.follow_cash()
        else:
            return
        self.till.payments_changed()
        self.update_state()

    def follow_cash(self) -> None:
        """Unless the volunteer chose it, change goes in the currency of the last cash; the
        ways to give it follow (the one F5 chose, while it is one)."""
        if not self.change_chosen:
            self.change_currency = self.till.lane.change_currency(self.tenders)

    def action_confirm(self) -> None:
        if self.confirming:
            return
        try:
            state = self.settlement()
        except PaymentError as err:
            self.say(str(err), error=True)
            return
        if not state.covered:
            due = self.due(state)
            self.say(_("the payments do not cover the total: {due} still due").format(
                due=format_money(due, active())), error=True)
            return
        self.confirm()

    def action_back(self) -> None:
        """Back to the sale; the payments entered stay with it for the next F2."""
        if self.sent:  # that money left the fair's account: it is not let go of by a key
            self.say(_("Change was sent by pago móvil: confirm the sale, or remove it with F8 "
                       "first."), error=True)
            return
        if not self.confirming:
            self.dismiss(None)

    @on(Input.Submitted)
    def _submit(self, event: Input.Submitted) -> None:
        if self.confirming:
            return  # a second Enter while the sale is being written must not sell twice
        amount_input = self.query_one("#amount", Input)
        text = amount_input.value.strip()
        if self.sending:
            self.send_change(text)
            return
        try:
            state = self.settlement()
            if not text and state.covered:
                self.confirm()
                return
            method = self.method
            amount = (self.due(state) if not text
                      else parse_amount(text, method.currency, allow_zero=False))
            reference = {f: self.query_one(f"#{f}", Input).value.strip()
                         for f in ALLOWED_REFERENCES.get(method.method, ())}
            tender = make_tender(method.method, amount,
                                 {k: v for k, v in reference.items() if v},
                                 verified=self.verified,
                                 vouchers=self.till.settings.voucher_kinds,
                                 accepted=self.till.settings.accepted_currencies,
                                 offered=self.till.settings.offered_methods)
            self.till.lane.settlement(self.cart, [*self.tenders, tender], self.till.rates,
                                      self.change_currency)  # (refused here, not later)
        except ReferenceRefused as err:  # the amount stands; the reference is to fix
            self.say(str(err), error=True)
            self.focus_field(err.field)
            return
        except (MoneyError, PaymentError) as err:
            self.say(str(err), error=True)
            amount_input.value = ""  # a refused amount is not the start of the next one
            amount_input.focus()
            return
        self.tenders.append(tender)
        self.till.payments_changed()  # on disk with the sale: the money is in the drawer
        self.follow_cash()
        self.verified = True
        for field in ["amount", *(f for f, _label in self.reference_fields())]:
            self.query_one(f"#{field}", Input).value = ""
        amount_input.focus()
        self.say(_("Added {tender}.").format(tender=format_money(tender.amount, active())))
        self.update_state()

    def focus_field(self, field: str) -> None:
        """The reference field a refusal named (the reference number when it is not shown)."""
        shown = [f for f, _label in self.reference_fields()
                 if self.query_one(f"#{f}", Input).display]
        self.query_one(f"#{field if field in shown else 'ref'}", Input).focus()

    def send_change(self, text: str) -> None:
        """The change sent by pago móvil, as typed: the amount (all the change when empty),
        the customer's phone and bank, and the transfer's reference."""
        amount_input = self.query_one("#amount", Input)
        settings = self.till.settings
        try:
            state = self.settlement()
            currency = self.local_currency
            way = self.chosen_way()
            rest = way.rest if way is not None and way.rest_by == PAGO_MOVIL else None
            amount = ((rest if rest is not None and rest.currency == currency else
                       self.till.rates.express(-(state.remaining + state.sent), currency))
                      if not text else parse_amount(text, currency, allow_zero=False))
            reference = {f: self.query_one(f"#{f}", Input).value.strip()
                         for f in ("ref", "bank", "phone")}
            given = make_change_tender(amount, {k: v for k, v in reference.items() if v},
                                       accepted=settings.accepted_currencies,
                                       offered=settings.offered_methods)
            self.settlement([*self.sent, given])
        except ReferenceRefused as err:
            self.say(str(err), error=True)
            self.focus_field(err.field)
            return
        except (MoneyError, PaymentError) as err:
            self.say(str(err), error=True)
            amount_input.value = ""
            amount_input.focus()
            return
        self.sent.append(given)
        self.till.payments_changed()  # on disk with the sale: that money has left
        self.sending = False
        self.way_chosen = None  # (what is left to give is in cash now)
        for field in ["amount", *(f for f, _label in self.reference_fields())]:
            self.query_one(f"#{field}", Input).value = ""
        self.show_method()
        self.say(_("Change sent by pago móvil: {amount}.").format(
            amount=format_money(given.amount, active())))
        self.update_state()

    def confirm(self, change_ok: Money | None = None) -> None:
        way = self.chosen_way()
        given: list[Tender] = []  # the rest of the change, in another currency's cash
        if way is not None and way.rest is not None:
            if way.rest_by == PAGO_MOVIL:  # the rest goes first: its transfer is asked for
                if not self.sending:
                    self.sending = True
                    self.show_method()
                    self.update_state()
                self.say(_("Send {amount} by pago móvil: its reference, the customer's bank and "
                           "phone, then Enter (F5: another way to give the change).").format(
                    amount=format_money(way.rest, active())))
                return
            given = [Tender(CASH, way.rest)]
        state = self.settlement([*self.sent, *given])
        settings = self.till.settings
        limit = change_limit(self.change_currency, settings.change_limits, self.cart.currency,
                             self.till.rates)
        if state.change.minor > limit.minor and change_ok != state.change:
            self.till.show("confirm_change", state.change, limit, callback=self.change_answered)
            return
        self.confirming = True
        self.say(_("Saving…"))
        cart, tenders, change = self.cart, list(self.tenders), self.change_currency
        sent = [*self.sent, *given]
        holding, printing = self.till.holding, self.till.can_print
        draft = self.till.draft_version

        def write(lane: Lane) -> SaleConfirmed:
            return SaleConfirmed(lane.sell(cart, tenders, change, held=holding,
                                           print_receipt=printing, change_ok=change_ok,
                                           draft=draft, sent=sent))

        self.till.run_job(write, self)

    def change_answered(self, confirmed: Money | None) -> None:
        if confirmed is None:
            self.say(_("The change was not given: correct the payments, or confirm it."),
                     error=True)
            return
        self.confirm(change_ok=confirmed)

    @on(SaleConfirmed)
    def _confirmed(self, message: SaleConfirmed) -> None:
        self.dismiss(message.sale)
        self.till.print_queue()  # the sale is safe; now the paper
        self.till.sync_now()  # and the ledger
