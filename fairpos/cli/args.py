"""Reading the arguments a script types: money, payments, counts and sale lines."""

from __future__ import annotations

import re
from dataclasses import dataclass

from fairpos.cli.base import refuse
from fairpos.domain.cart import Cart
from fairpos.domain.money import Money, check_currency, parse_amount
from fairpos.domain.quantity import parse_quantity
from fairpos.domain.shift import CountKey, pieces_total, read_pieces
from fairpos.domain.tenders import (
    BUILTIN_METHODS,
    CASH,
    PAGO_MOVIL,
    Tender,
    cash_change,
    make_change_tender,
    make_tender,
)
from fairpos.domain.typed import Search, read_typed
from fairpos.i18n import _
from fairpos.lane import Lane


def accepted_currency(text: str, lane: Lane) -> str:
    """A currency this lane accepts, or a refusal that lists them."""
    code = check_currency(text)
    if code not in lane.settings.accepted_currencies:
        refuse(_("{currency} is not accepted here (accepted: {accepted})").format(
            currency=code, accepted=", ".join(lane.settings.accepted_currencies)))
    return code


def parse_money_arg(text: str, lane: Lane) -> Money:
    """``CUR:AMOUNT`` (an amount in an accepted currency)."""
    currency, sep, amount = text.partition(":")
    if not sep:
        refuse(_("“{text}”: write CUR:AMOUNT, e.g. USD:20.00").format(text=text))
    return parse_amount(amount, accepted_currency(currency, lane))


@dataclass(frozen=True)
class PaymentArg:
    method: str
    amount: Money
    reference: dict[str, str]
    verified: bool


def split_payment_arg(text: str, lane: Lane) -> PaymentArg:
    """``METHOD[:CUR]:AMOUNT[,ref=...,bank=...,phone=...,lot=...,unverified]``."""
    spec, *options = text.split(",")
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        refuse(_("“{text}”: write METHOD[:CUR]:AMOUNT, e.g. cash:USD:20 or "
                 "pago_movil:VES:4140.40,ref=123456").format(text=text))
    method = parts[0].lower()
    vouchers = lane.settings.voucher_kinds
    reference: dict[str, str] = {}
    verified = True
    for option in options:
        key, sep, value = option.partition("=")
        if option == "unverified":
            verified = False
        elif not sep or not key:
            refuse(_("“{option}” is not key=value (write decimals with a dot)").format(
                option=option))
        else:
            reference[key.strip()] = value.strip()
    if len(parts) == 3:
        currency = check_currency(parts[1])
    elif method in vouchers:
        currency = vouchers[method].currency
    else:
        currency = lane.settings.money.currency
    return PaymentArg(method, parse_amount(parts[-1], currency), reference, verified)


def parse_change_sent_arg(text: str, lane: Lane) -> Tender:
    """``pago_movil:VES:1242.12,phone=…,bank=…,ref=…``: change sent by pago móvil;
    ``cash:VES:236``: the rest of the change in another currency's cash."""
    arg = split_payment_arg(text, lane)
    if arg.method == CASH and not arg.reference and arg.verified:
        return cash_change(arg.amount, lane.settings.accepted_currencies)
    if arg.method != PAGO_MOVIL:
        refuse(_("“{text}”: change is given otherwise in cash (cash:CUR:AMOUNT) or by pago "
                 "móvil (pago_movil:CUR:AMOUNT,phone=…,bank=…,ref=…)").format(text=text))
    if not arg.verified:
        refuse(_("change sent by pago móvil is not left unverified: it was sent"))
    return make_change_tender(arg.amount, arg.reference,
                              accepted=lane.settings.accepted_currencies,
                              offered=lane.settings.offered_methods)


def parse_tender_arg(text: str, lane: Lane) -> Tender:
    arg = split_payment_arg(text, lane)
    return make_tender(arg.method, arg.amount, arg.reference, verified=arg.verified,
                       vouchers=lane.settings.voucher_kinds,
                       accepted=lane.settings.accepted_currencies,
                       offered=lane.settings.offered_methods)


def parse_cash_arg(text: str, lane: Lane) -> tuple[Money, dict[int, int] | None]:
    """``CUR:AMOUNT``, or ``CUR:3x20+2x5`` — cash by bills and coins (``[money]
    denominations``), with the pieces."""
    currency, sep, amount = text.partition(":")
    if not sep or not re.search(r"[x×*]", amount, re.IGNORECASE):
        return parse_money_arg(text, lane), None
    code = accepted_currency(currency, lane)
    denominations = lane.settings.denominations.get(code)
    if not denominations:
        refuse(_("no bills and coins are set for {currency} ([money] denominations): give "
                 "the amount").format(currency=code))
    pieces = read_pieces(amount, code, denominations)
    return Money(pieces_total(pieces), code), pieces


def parse_count_arg(text: str, lane: Lane) -> tuple[CountKey, int, dict[int, int] | None]:
    """``CUR:AMOUNT`` (or ``CUR:3x20+2x5``) for cash, ``METHOD[:CUR]:AMOUNT`` for any other
    tender; the bills and coins when counted so."""
    known = (*BUILTIN_METHODS, *lane.settings.voucher_kinds)
    head = text.split(":", 1)[0]
    if ":" not in text:
        refuse(_("“{text}”: write CUR:AMOUNT or METHOD:CUR:AMOUNT").format(text=text))
    if head.lower() not in known:
        money, pieces = parse_cash_arg(text, lane)
        return (CASH, money.currency), money.minor, pieces
    arg = split_payment_arg(text, lane)
    return (arg.method, arg.amount.currency), arg.amount.minor, None


def build_cart(lane: Lane, lines: tuple[str, ...], label_again: bool = False) -> Cart:
    """``PLU=QTY`` lines, lines typed as at the till (``3*305``, ``101*1.25``), or a label's
    scanned code (its weight or price in it), rung up on the current catalog. The same label
    twice is refused unless ``label_again`` (as the till asks before adding it again)."""
    cat = lane.catalog()
    cart = Cart(cat.currency)
    labels = lane.settings.barcode_layouts
    for text in lines:
        if not label_again and any(line.label == text.strip() for line in cart.lines):
            refuse(_("label {code} is in this sale twice: if both bags are meant, add "
                     "--label-again").format(code=text.strip()))
        if cart.scan(cat, text, labels) is not None:  # a label, with its weight or price
            continue
        code, sep, qty = text.partition("=")
        if sep:
            if not code.strip():
                refuse(_("“{text}”: write PLU=QUANTITY, e.g. 101=1.250kg").format(text=text))
            cart.add(cat, code, parse_quantity(qty))
            continue
        action = read_typed(text, cat)  # the till's entry line, the same grammar
        if isinstance(action, Search):
            refuse(_("no product matches “{text}”").format(text=action.text))
        cart.add(cat, action.code, action.quantity)
    return cart
