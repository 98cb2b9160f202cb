"""Whether a sale's entry adds up, by the first of its rules it breaks: its lines, how change
was given, the signs and bounds of its payments, and whether they pay its total — the
arithmetic the ledger, ``ledger import`` and the lane's own pre-send check share
(:mod:`fairpos.sync.sale_entries` reads the entry first)."""

from __future__ import annotations

from fractions import Fraction

from fairpos.domain.cart import line_amount
from fairpos.domain.money import Money, MoneyError, Rates
from fairpos.domain.sale import Sale
from fairpos.domain.tenders import CASH, PAGO_MOVIL, Tender

# Money in minor units, any one amount, price, total, tender or change. A sale's lines all
# have its sign and add up to its total, and its tenders are bounded the same way, so a day's
# sum of totals, tenders or line amounts is at most (entries that day) × MAX_MINOR: a 64-bit
# sum (9.2 × 10¹⁸) holds 92 million entries of the largest amount in one day — a network of
# 300 lanes rings up some 10⁵. (10¹¹ minor units is a billion of the currency's units.)
MAX_MINOR = 10**11


def check_sale(sale: Sale) -> str | None:
    """Why the entry does not add up (None: it does), by the first of its rules it breaks:
    its lines (:func:`_lines_add_up`), how change was given (:func:`_change_given`), the
    signs and bounds of its payments (:func:`_payments_bounded`) and whether they pay its
    total (:func:`_tenders_pay`)."""
    sign = -1 if sale.kind in ("void", "refund") else 1
    for rule in (_lines_add_up, _change_given, _payments_bounded, _tenders_pay):
        reason = rule(sale, sign)
        if reason is not None:
            return reason
    return None


def _lines_add_up(sale: Sale, sign: int) -> str | None:
    """Each line's amount is its weight or count times its price, rounded half up, with the
    entry's sign; the total is the sum of the lines that are not voided."""
    total = 0
    for n, line in enumerate(sale.lines, start=1):
        grams, count = line.grams, line.count
        if (grams is None) == (count is None):
            return f"line {n} has both or neither of grams and count"
        quantity = grams if grams is not None else count
        assert quantity is not None
        if quantity * sign <= 0:
            return f"line {n} has a quantity of the wrong sign"
        expected = line_amount(line.unit_price, grams=abs(quantity)) \
            if grams is not None else line_amount(line.unit_price, count=abs(quantity))
        if line.amount != sign * expected:
            return (f"line {n}: {abs(quantity)} × {line.unit_price} is {expected}, "
                    f"not {abs(line.amount)}")
        if not line.voided:
            total += line.amount
    if total != sale.total.minor:
        return f"the lines add up to {total}, not to the total {sale.total.minor}"
    return None


def _change_given(sale: Sale, sign: int) -> str | None:
    """Change other than the entry's own is cash of another currency (no reference) or sent
    by pago móvil."""
    if any(t.method not in (PAGO_MOVIL, CASH) or (t.method == CASH and t.reference)
           for t in sale.change_sent):
        return ("change is given otherwise in cash of another currency (with no reference) "
                "or sent by pago móvil only")
    return None


def _moved(sale: Sale) -> tuple[Tender, ...]:
    """Every payment of the entry: its tenders, and the change sent otherwise."""
    return (*sale.tenders, *sale.change_sent) if sale.change_sent else tuple(sale.tenders)


def _payments_bounded(sale: Sale, sign: int) -> str | None:
    """Tenders, change and IGTF have the entry's sign (a sale takes payments, a void or refund
    gives them back) and are bounded together; the IGTF is within its base, its base within
    the total."""
    given = [t.amount.minor for t in _moved(sale)]
    given += (sale.change.minor, sale.igtf, sale.igtf_base)
    if (min(given) < 0) if sign > 0 else (max(given) > 0):
        return ("a tender, the change or the IGTF has the wrong sign (a sale takes payments, "
                "a void or refund gives them back)")
    if abs(sale.igtf) > abs(sale.igtf_base) or abs(sale.igtf_base) > abs(sale.total.minor):
        return "the IGTF is more than its base, or its base more than the total"
    if sum(map(abs, given)) > MAX_MINOR:
        return "the tenders and the change are too large"
    return None


def _tenders_pay(sale: Sale, sign: int) -> str | None:
    """The tenders, less the change, pay the total (and its IGTF): to the minor unit in one
    currency, else to within half a minor unit of the coarsest currency of the sale (the
    till's rule), at the entry's own rates."""
    sent, moved = sale.change_sent, _moved(sale)
    due = sale.total.minor + sale.igtf
    pricing = sale.total.currency
    if sale.change.currency == pricing and all(t.amount.currency == pricing for t in moved):
        paid_minor = (sum(t.amount.minor for t in sale.tenders) - sale.change.minor
                      - sum(t.amount.minor for t in sent))
        if paid_minor != due:
            return f"the tenders less the change ({paid_minor}) do not pay the total ({due})"
        return None
    rates = Rates(pricing, {r.quote: r for r in sale.rates if r.base == pricing})
    try:
        paid = sum((rates.value_of(t.amount) for t in sale.tenders), Fraction(0))
        change = rates.value_of(sale.change) + sum(
            (rates.value_of(t.amount) for t in sent), Fraction(0))
        coarsest = max(rates.value_of(Money(1, c)) for c in rates.currencies())
    except MoneyError:
        return "a tender is in a currency the entry has no rate for"
    if abs(paid - change - due) > coarsest / 2:
        return (f"the tenders less the change ({float(paid - change):.2f}) do not pay the "
                f"total ({due})")
    return None
