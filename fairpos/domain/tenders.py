"""How a customer pays: tenders, split payments, change in the currency they ask for.

Each tender is an exact amount in its own currency. To compare it with the total (in the pricing
currency) it is valued exactly, as a fraction, at the sale's rate. The sale is *covered* when
nothing is left to pay, or when what is left rounds to zero in some accepted currency: the screen
shows "0.00 still due" in that currency, and the customer paid what it showed, rounded half up.
Change is the overpayment expressed in the chosen currency and rounded half up, the one rounding
rule; all or part of it may be sent by pago móvil from the fair's account instead (a change
tender of its own), and the rest is given in cash.

Vouchers and market tokens are configured per market: they may give no change, and may be limited
to products carrying an eligibility tag (``snap``, ``fmnp``...).

No change is ever given out of an electronic payment: a card, pago móvil or biopago payment can
never be more than what is still due when it is entered. Cash change above the market's limit
(``[money] max_change``) is given only once the volunteer has confirmed that very amount.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from fairpos.domain.cart import Line
from fairpos.domain.money import Money, MoneyError, Rates, round_half_up
from fairpos.errors import FairposError
from fairpos.i18n import _, format_money

CASH = "cash"
CARD = "card"
PAGO_MOVIL = "pago_movil"
BIOPAGO = "biopago"
OTHER = "other"
BUILTIN_METHODS = (CASH, CARD, PAGO_MOVIL, BIOPAGO, OTHER)
ELECTRONIC = frozenset({CARD, PAGO_MOVIL, BIOPAGO})
# What each method must carry as reference, and what it may carry.
REQUIRED_REFERENCES: Mapping[str, tuple[str, ...]] = {CARD: ("ref",), PAGO_MOVIL: ("ref",)}
ALLOWED_REFERENCES: Mapping[str, tuple[str, ...]] = {
    CARD: ("ref", "lot"),
    PAGO_MOVIL: ("ref", "bank", "phone"),
    BIOPAGO: ("ref", "bank"),
    OTHER: ("ref", "note"),
}
_REFERENCE_VALUE = re.compile(r"^[\w .+/-]{1,40}$")


class PaymentError(FairposError, ValueError):
    """A payment that cannot be accepted; the message is for a person."""


class ReferenceRefused(PaymentError):
    """The payment's reference (``ref``, bank, phone…) is missing or cannot be used; the
    amount itself was fine. ``field``: which one."""

    def __init__(self, message: str, field: str = "ref") -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class VoucherKind:
    """A voucher or market token accepted at this market (configured in settings)."""

    code: str
    name: str
    currency: str
    gives_change: bool = False
    eligible: str | None = None  # only products with this tag can be paid with it


@dataclass(frozen=True)
class Igtf:
    """Venezuela's IGTF as a market charges it: ``rate`` (0.03) on the part of a sale paid in
    cash in any currency but ``local``."""

    rate: Fraction
    local: str


@dataclass(frozen=True, slots=True)
class Tender:
    method: str
    amount: Money
    reference: Mapping[str, str] = field(default_factory=dict)
    verified: bool = True


def method_label(method: str, names: Mapping[str, str] | None = None) -> str:
    """A payment method as people call it: a built-in method in the volunteer's language,
    a voucher by the name the market gave it (``names``: code → name)."""
    labels = {CASH: _("Cash"), CARD: _("Debit card"), PAGO_MOVIL: _("Pago móvil"),
              BIOPAGO: _("Biopago"), OTHER: _("Other")}
    return labels.get(method) or (names or {}).get(method, method)


def make_tender(method: str, amount: Money, reference: Mapping[str, str] | None = None,
                *, verified: bool = True, vouchers: Mapping[str, VoucherKind] | None = None,
                accepted: Sequence[str] = (), offered: Sequence[str] = ()) -> Tender:
    """Check one tender as it is entered and return it (``offered``: the methods taken at
    this lane, vouchers included; empty: every built-in method and voucher)."""
    vouchers = vouchers or {}
    reference = dict(reference or {})
    known_methods = list(offered) or [*BUILTIN_METHODS, *vouchers]
    if method not in known_methods or (method not in BUILTIN_METHODS and method not in vouchers):
        raise PaymentError(_("“{method}” is not a payment method taken here (taken: {known})"
                             ).format(method=method, known=", ".join(known_methods)))
    if amount.minor <= 0:
        raise PaymentError(_("a payment must be more than zero"))
    if method in vouchers:
        if amount.currency != vouchers[method].currency:
            raise PaymentError(_("{name} is in {currency}").format(
                name=vouchers[method].name, currency=vouchers[method].currency))
    elif accepted and amount.currency not in accepted:
        raise PaymentError(_("{currency} is not accepted here (accepted: {accepted})").format(
            currency=amount.currency, accepted=", ".join(accepted)))
    allowed = ALLOWED_REFERENCES.get(method, ())
    label = method_label(method, {code: kind.name for code, kind in vouchers.items()})
    for key, value in reference.items():
        if key not in allowed:
            raise ReferenceRefused(_("{method} takes no “{key}”").format(method=label,
                                                                         key=key), key)
        if not _REFERENCE_VALUE.match(value):
            raise ReferenceRefused(_("“{value}” is not a valid {key}").format(value=value,
                                                                              key=key), key)
    for key in REQUIRED_REFERENCES.get(method, ()):
        if not reference.get(key):
            raise ReferenceRefused(_("{method} needs its reference number").format(
                method=label))
    if not verified and method not in ELECTRONIC:
        raise PaymentError(_("only card, pago móvil and biopago can be left unverified"))
    return Tender(method, amount, reference, verified)


def make_change_tender(amount: Money, reference: Mapping[str, str] | None = None, *,
                       accepted: Sequence[str] = (), offered: Sequence[str] = ()) -> Tender:
    """Change sent by pago móvil from the fair's account, instead of cash: the amount, the
    customer's phone and bank, and the reference of the transfer once it is sent."""
    reference = dict(reference or {})
    if offered and PAGO_MOVIL not in offered:
        raise PaymentError(_("pago móvil is not taken here: the change is given in cash"))
    tender = make_tender(PAGO_MOVIL, amount, reference, accepted=accepted, offered=offered)
    for key, what in (("phone", _("phone")), ("bank", _("bank"))):
        if not reference.get(key):
            raise ReferenceRefused(_("change by pago móvil needs the customer's {what}")
                                   .format(what=what), key)
    return tender


def cash_change(amount: Money, accepted: Sequence[str] = ()) -> Tender:
    """Part of the change given in cash of another currency than the change's (the rest
    after whole notes: 46 USD, and 165,50 VES)."""
    if amount.minor <= 0:
        raise PaymentError(_("change given must be more than zero"))
    if accepted and amount.currency not in accepted:
        raise PaymentError(_("{currency} is not accepted here (accepted: {accepted})").format(
            currency=amount.currency, accepted=", ".join(accepted)))
    return Tender(CASH, amount)


@dataclass(frozen=True)
class Settlement:
    """Where a payment stands: what is left to pay, or the change to give."""

    total: Money
    paid: Fraction  # value of the tenders, in pricing-currency minor units
    remaining: Fraction  # > 0: still due; < 0: overpaid
    covered: bool
    change: Money  # given in cash
    sent: Fraction = Fraction(0)  # the value of the change sent by pago móvil
    igtf: int = 0  # the IGTF charged, in pricing-currency minor units
    igtf_base: int = 0  # the part of the sale it is charged on
    foreign_due: Fraction | None = None  # what foreign cash must still bring, its IGTF in

    def due_in(self, rates: Rates, currency: str, method: str | None = None,
               igtf: Igtf | None = None) -> Money:
        """What is still due, in ``currency`` (zero once covered); paid in cash in a currency
        that carries the IGTF (``method``, ``igtf``), the IGTF it adds is in it."""
        if self.covered:
            return Money.zero(currency)
        if igtf is not None and method == CASH and currency != igtf.local and \
                self.foreign_due is not None:
            return rates.express(self.foreign_due, currency)
        return rates.express(self.remaining, currency)


def settle(total: Money, tenders: Sequence[Tender], rates: Rates, change_currency: str,
           *, lines: Sequence[Line] = (), vouchers: Mapping[str, VoucherKind] | None = None,
           sent: Sequence[Tender] = (), igtf: Igtf | None = None) -> Settlement:
    """Value the tenders against the total and work out the change: what ``sent`` (change
    sent by pago móvil) does not cover is given in cash, in ``change_currency``.

    With ``igtf``, cash in a currency other than its local one pays after every other
    tender; the part of the goods it pays (at most what it can pay with its own tax) is the
    IGTF's base (rounded to the minor unit), and the tax — that base times the rate,
    rounded once — is due on top of the total.

    Raises PaymentError when vouchers exceed what they may pay for, or when the change sent
    is more than the change.
    """
    vouchers = vouchers or {}
    try:
        values = [rates.value_of(t.amount) for t in tenders]
        sent_value = sum((rates.value_of(t.amount) for t in sent), Fraction(0))
    except MoneyError as err:
        raise PaymentError(str(err)) from None
    if change_currency not in rates:
        raise PaymentError(_("change cannot be given in {currency}: there is no rate for it")
                           .format(currency=change_currency))
    paid = sum(values, Fraction(0))
    tax = base = 0
    foreign_due = None
    if igtf is not None:
        foreign = sum((v for t, v in zip(tenders, values, strict=True)
                       if t.method == CASH and t.amount.currency != igtf.local), Fraction(0))
        goods = max(Fraction(total.minor) - (paid - foreign), Fraction(0))  # left for it
        base = round_half_up(min(goods, foreign / (1 + igtf.rate)))
        tax = round_half_up(base * igtf.rate)  # (the base as printed, times the rate)
        foreign_due = goods + round_half_up(round_half_up(goods) * igtf.rate) - foreign
    _check_electronic(Money(total.minor + tax, total.currency), tenders, values, rates)
    remaining = total.minor + tax - paid
    no_change_value = sum((v for t, v in zip(tenders, values, strict=True)
                           if t.method in vouchers and not vouchers[t.method].gives_change),
                          Fraction(0))
    if no_change_value > total.minor:
        raise PaymentError(_("vouchers give no change: they are worth more than the total"))
    _check_eligibility(tenders, values, lines, vouchers, total.currency)
    covered = remaining <= 0 or any(
        rates.express(remaining, currency).minor == 0 for currency in rates.currencies())
    change = Money.zero(change_currency)
    if sent:
        if not covered or remaining >= 0:
            raise PaymentError(_("there is no change to send: the payments do not go over "
                                 "the total"))
        over = sent_value + remaining  # > 0: more was sent than the change
        if over > 0 and any(rates.express(over, t.amount.currency).minor for t in sent):
            raise PaymentError(_("the change sent by pago móvil is more than the change "
                                 "({change})").format(change=format_money(rates.express(
                                     -remaining, sent[-1].amount.currency))))
    if remaining + sent_value < 0:
        change = rates.express(-(remaining + sent_value), change_currency)
    return Settlement(total, paid, remaining, covered, change, sent_value, tax, base,
                      foreign_due)


def _check_electronic(total: Money, tenders: Sequence[Tender], values: Sequence[Fraction],
                      rates: Rates) -> None:
    """An electronic payment is at most what is due when it comes (as shown, rounded half up
    in its own currency): no change comes out of it."""
    remaining = Fraction(total.minor)
    for tender, value in zip(tenders, values, strict=True):
        if tender.method in ELECTRONIC:
            due = rates.express(max(remaining, Fraction(0)), tender.amount.currency)
            if tender.amount.minor > due.minor:
                raise PaymentError(
                    _("{method} cannot be more than what is due ({due}): no change is given "
                      "from it").format(method=method_name(tender.method),
                                        due=format_money(due)))
        remaining -= value


def method_name(method: str) -> str:
    """A payment method in words, for a refusal."""
    return {CARD: _("a card payment"), PAGO_MOVIL: _("a pago móvil"),
            BIOPAGO: _("a biopago")}.get(method, method)


def default_change_currency(tenders: Sequence[Tender], configured: str, pricing: str) -> str:
    """The currency change is given in unless the volunteer chooses: ``configured`` if set,
    else that of the last cash payment, else the pricing currency."""
    if configured:
        return configured
    cash = [t.amount.currency for t in tenders if t.method == CASH]
    return cash[-1] if cash else pricing


def change_limit(currency: str, limits: Mapping[str, int], pricing: str, rates: Rates) -> Money:
    """The largest change given without confirming the amount: the limit set for
    ``currency``, else the pricing currency's at the rate."""
    if currency in limits:
        return Money(limits[currency], currency)
    return rates.express(limits[pricing], currency)


def check_change(settlement: Settlement, limit: Money, confirmed: Money | None) -> None:
    """Change above ``limit`` is refused unless ``confirmed`` is that very amount."""
    change = settlement.change
    if change.minor > limit.minor and confirmed != change:
        raise LargeChange(change, limit)


class LargeChange(PaymentError):
    """Change above the limit that nobody confirmed; ``change`` is the amount to confirm."""

    def __init__(self, change: Money, limit: Money) -> None:
        super().__init__(_("the change is {change}, more than {limit}: confirm that amount "
                           "to give it").format(change=format_money(change),
                                                limit=format_money(limit)))
        self.change = change
        self.limit = limit


def _check_eligibility(tenders: Sequence[Tender], values: Sequence[Fraction],
                       lines: Sequence[Line], vouchers: Mapping[str, VoucherKind],
                       currency: str) -> None:
    by_tag: dict[str, Fraction] = {}
    for tender, value in zip(tenders, values, strict=True):
        kind = vouchers.get(tender.method)
        if kind is not None and kind.eligible:
            by_tag[kind.eligible] = by_tag.get(kind.eligible, Fraction(0)) + value
    for tag, value in by_tag.items():
        eligible = sum(line.amount for line in lines if not line.voided and tag in line.tags)
        if value > eligible:
            names = ", ".join(v.name for v in vouchers.values() if v.eligible == tag)
            raise PaymentError(
                _("{names} can only pay for the products it is for, worth {amount} here")
                .format(names=names, amount=format_money(Money(eligible, currency))))
