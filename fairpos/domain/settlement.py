"""How a sale's payments settle its cart under the lane's settings — its voucher programs and
the IGTF: the one reckoning the payment screen shows while the volunteer takes payments and
the journal checks again as it writes the sale."""

from __future__ import annotations

from collections.abc import Sequence

from fairpos.domain.cart import Cart
from fairpos.domain.money import Rates
from fairpos.domain.tenders import Settlement, Tender, settle
from fairpos.settings import Settings


def settlement(cart: Cart, tenders: Sequence[Tender], rates: Rates, change_currency: str,
               settings: Settings, sent: Sequence[Tender] = ()) -> Settlement:
    """``tenders`` (and the change ``sent`` by pago móvil) against ``cart`` at ``rates``:
    what is still due, or the change to give in ``change_currency``, and the IGTF."""
    return settle(cart.total, tenders, rates, change_currency, lines=cart.lines,
                  vouchers=settings.voucher_kinds, sent=sent, igtf=settings.igtf)
