"""``fairpos display``: the sale in large type, for a second screen turned to the customer.

It follows the lane's till through the journal the till writes anyway — the sale on screen is
kept on disk after every key (the draft), and each confirmed sale is written before the next
starts — read a few times a second in a worker thread. It writes nothing, and a till without it
is the same till. Between customers it shows the fair's name; after a sale, thanks and the
change.
"""

from __future__ import annotations

from rich.markup import escape
from textual import work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Digits, Static

from fairpos.display.pole import number_part
from fairpos.domain.cart import Cart
from fairpos.domain.money import Money, Rates
from fairpos.domain.sale import Sale
from fairpos.domain.tenders import CASH
from fairpos.errors import FairposError
from fairpos.i18n import N_, _, active, format_grams, format_money
from fairpos.lane import Lane

POLL_SECONDS = 0.25
# (the large digits draw A–F as digits too: the currency's code goes above them, in words)
SHOWN_LINES = 8


class Followed(Message, bubble=False):
    """What the till has on screen now, and its newest sale."""

    def __init__(self, cart: Cart | None, last: Sale | None, rates: Rates) -> None:
        super().__init__()
        self.cart, self.last, self.rates = cart, last, rates


def make_customer_view(lane: Lane) -> CustomerView:
    return CustomerView(lane)


class CustomerView(App[None]):
    CSS = """
    Screen { align: center middle; }
    #view { width: 100%; height: 100%; padding: 1 4; }
    #fair { text-align: center; text-style: bold; height: auto; }
    #lines { height: 1fr; }
    #total, #other { width: 100%; height: auto; text-align: center; }
    #said { text-align: center; text-style: bold; height: auto; }
    """
    BINDINGS = [Binding("ctrl+q", "quit", N_("Quit"), priority=True)]

    def __init__(self, lane: Lane) -> None:
        super().__init__()
        self.animation_level = "none"
        self.lane = lane
        self.settings = lane.settings
        self.seen_sale: str | None = None  # the newest sale when the view started, or shown
        self.started = False
        self.shown: tuple[object, ...] | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="view"):
            yield Static(escape(self.settings.fair.name), id="fair")
            yield Static(id="lines")
            yield Static(id="said")
            yield Digits(id="total")
            yield Static(id="other")

    def on_mount(self) -> None:
        self.set_interval(POLL_SECONDS, self._poll)
        self._poll()

    def on_unmount(self) -> None:
        self.lane.close()

    def _poll(self) -> None:
        if not any(w.is_running for w in self.workers):
            self._read()

    @work(thread=True, exit_on_error=False)
    def _read(self) -> None:
        settings, lane = self.settings, self.lane
        try:
            draft = lane.draft()
            rates = lane.rates(settings.money.currency, settings.accepted_currencies)
            last = lane.last_entry()
        except FairposError:
            return  # (no catalog or rates yet: the till says why; this view waits)
        self.post_message(Followed(draft.cart if draft else None, last, rates))

    def on_followed(self, message: Followed) -> None:
        last_id = message.last.id if message.last else None
        if not self.started:  # a sale from before the view started is not thanked for
            self.started, self.seen_sale = True, last_id
        cart = message.cart
        if cart is not None and not cart.is_empty():
            self.show_cart(cart, message.rates)
        elif message.last is not None and message.last.kind != "sale":
            self.seen_sale = last_id  # a sale was voided or refunded: its thanks go
            self.show_idle()
        elif last_id != self.seen_sale and message.last is not None:
            self.seen_sale = last_id  # thanks, until the next customer's first line
            self.show_thanks(message.last)
        elif self.shown is None or self.shown[0] == "cart":
            self.show_idle()  # nothing yet, or the sale on screen was held or emptied

    def _update(self, key: tuple[object, ...], lines: str, said: str, total: str,
                other: str) -> None:
        if key == self.shown:
            return
        self.shown = key
        self.query_one("#lines", Static).update(lines)
        self.query_one("#said", Static).update(said)
        self.query_one("#total", Digits).update(total)
        self.query_one("#other", Static).update(other)

    def show_cart(self, cart: Cart, rates: Rates) -> None:
        language = active()
        rows = []
        for line in cart.active[-SHOWN_LINES:]:
            quantity = (format_grams(line.grams, language) if line.grams is not None
                        else f"× {line.count}")
            rows.append(f"{escape(line.name(language))}  {quantity}  "
                        f"[b]{format_money(Money(line.amount, cart.currency), language)}[/b]")
        total = cart.total
        others = [format_money(rates.express(total.minor, c), language)
                  for c in self.settings.accepted_currencies[1:] if c in rates]
        self._update(("cart", tuple(cart.active), total), "\n".join(rows),
                     _("TOTAL {currency}").format(currency=total.currency),
                     number_part(format_money(total, language)), " · ".join(others))

    def show_thanks(self, sale: Sale) -> None:
        language = active()
        change = (_("Change: {amount}").format(amount=format_money(sale.change, language))
                  if sale.change.minor else "")
        for sent in sale.change_sent:
            change += "  " + (format_money(sent.amount, language) if sent.method == CASH else
                              _("Sent by pago móvil: {sent}").format(
                                  sent=format_money(sent.amount, language)))
        self._update(("thanks", sale.id), "", _("Thank you!"), "", change.strip())

    def show_idle(self) -> None:
        self._update(("idle",), "", _("Welcome"), "", "")
