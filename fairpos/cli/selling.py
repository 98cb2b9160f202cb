"""Selling from the command line: ``sell`` (with ``--hold`` and ``--recall``), ``held``,
``void``, ``refund``. The same lane service the till uses confirms every entry."""

from __future__ import annotations

import json
from collections.abc import Mapping

import click

from fairpos import i18n
from fairpos.cli.args import (
    accepted_currency,
    build_cart,
    parse_change_sent_arg,
    parse_tender_arg,
)
from fairpos.cli.base import emit_json, main, pass_lane, refuse
from fairpos.domain.money import Money, parse_amount
from fairpos.domain.reports import tender_label
from fairpos.domain.sale import Sale
from fairpos.domain.tenders import CASH, LargeChange
from fairpos.i18n import _, format_grams, format_money, lines_text
from fairpos.lane import Lane
from fairpos.printer.connection import PrinterError


def print_sale(sale: Sale, language: str, names: Mapping[str, str]) -> None:
    title = {"sale": _("Sale {id}"), "void": _("Void {id} of {ref}"),
             "refund": _("Refund {id} of {ref}")}[sale.kind]
    click.echo(title.format(id=sale.id, ref=sale.ref_id))
    if sale.training:
        click.echo(_("*** TRAINING ***"))
    for n, line in enumerate(sale.lines, start=1):
        if line.voided:
            continue
        qty = format_grams(line.grams, language) if line.grams is not None else f"×{line.count}"
        amount = format_money(Money(line.amount, sale.total.currency), language)
        click.echo(f"  {n:>2} {line.name(language)[:28]:<28} {qty:>12} {amount:>16}")
    for total in sale.totals().values():
        click.echo("  " + _("TOTAL {amount}").format(amount=format_money(total, language)))
    if sale.igtf:
        currency = sale.total.currency
        click.echo("  " + _("IGTF on {base}").format(
            base=format_money(Money(sale.igtf_base, currency), language)) + ": "
            + format_money(Money(sale.igtf, currency), language))
    for tender in sale.tenders:
        click.echo(f"  {tender_label(tender, names)}: {format_money(tender.amount, language)}")
    if sale.change.minor:
        click.echo("  " + _("Change {amount}").format(
            amount=format_money(sale.change, language)))
    for given in sale.change_sent:
        if given.method == CASH:
            click.echo("  " + _("Change {amount}").format(
                amount=format_money(given.amount, language)))
            continue
        click.echo("  " + _("Change by pago móvil {amount} (ref {ref})").format(
            amount=format_money(given.amount, language), ref=given.reference.get("ref", "—")))


def show_entry(lane: Lane, sale: Sale, as_json: bool) -> None:
    if as_json:
        emit_json(sale.to_json())
    else:
        print_sale(sale, i18n.active(), lane.settings.method_names)


@main.command()
@click.option("--line", "lines", multiple=True, metavar="PLU=QTY",
              help="A line: PLU, barcode or price class, and a weight (1.250kg, 850g) or a "
                   "count (3). Counted items may leave out =QTY for one. Repeatable.")
@click.option("--pay", "pays", multiple=True, metavar="METHOD[:CUR]:AMOUNT",
              help="A payment: cash, card, pago_movil, biopago, other or a voucher code, e.g. "
                   "cash:USD:20, pago_movil:VES:4140.40,ref=123456,bank=0102,phone=04141234567 "
                   "(add ,unverified for a payment to check later). Repeatable.")
@click.option("--change-currency", default=None, metavar="CUR",
              help="Currency the change is given in (default: [money] change_currency, else "
                   "that of the last cash payment, else the pricing currency).")
@click.option("--change-by", "sent", multiple=True, metavar="pago_movil:CUR:AMOUNT,...",
              help="Change sent by pago móvil from the fair's account instead of cash, e.g. "
                   "pago_movil:VES:1242.12,phone=04141234567,bank=0102,ref=778899, or part of "
                   "it in another currency's cash, e.g. cash:VES:236 (the rest of the change "
                   "is given in cash in the change currency).")
@click.option("--confirm-change", default=None, metavar="AMOUNT",
              help="Change above [money] max_change is given only when this names that very "
                   "amount, e.g. 35.00 (a second confirmation).")
@click.option("--hold", is_flag=True, help="Hold the sale instead of paying it.")
@click.option("--recall", type=int, default=None, metavar="ID",
              help="Finish held sale ID (its lines come first).")
@click.option("--label-again", is_flag=True,
              help="The same label's code may be given more than once (two bags that weigh "
                   "the same); otherwise it is refused as a label scanned twice.")
@click.option("--no-print", is_flag=True, help="No receipt for this sale.")
@click.option("--json", "as_json", is_flag=True, help="Print the confirmed sale as JSON.")
@pass_lane
def sell(lane: Lane, lines: tuple[str, ...], pays: tuple[str, ...], change_currency: str | None,
         sent: tuple[str, ...], confirm_change: str | None, hold: bool, recall: int | None,
         label_again: bool, no_print: bool, as_json: bool) -> None:
    """Ring up and confirm one sale; it is in the journal before this command returns."""
    cart = build_cart(lane, lines, label_again)
    if hold:
        if pays or sent or recall is not None:
            refuse(_("--hold takes lines only"))
        held_id = lane.hold(cart)
        click.echo(json.dumps({"held": held_id}) if as_json else
                   _("Sale held as #{id}.").format(id=held_id))
        return
    if not pays:
        refuse(_("no payment given (--pay METHOD:CUR:AMOUNT)"))
    tenders = [parse_tender_arg(text, lane) for text in pays]
    change_sent = [parse_change_sent_arg(text, lane) for text in sent]
    change = (accepted_currency(change_currency, lane) if change_currency
              else lane.change_currency(tenders))
    change_ok = parse_amount(confirm_change, change) if confirm_change else None
    held: tuple[int, ...] = ()
    if recall is not None:
        recalled = lane.recall(recall, cart)
        cart, held = recalled.cart, recalled.held
    try:
        sale = lane.sell(cart, tenders, change, held=held, print_receipt=not no_print,
                         change_ok=change_ok, sent=change_sent)
    except LargeChange as err:
        refuse(_("{refusal} (--confirm-change {amount})").format(
            refusal=err, amount=err.change.plain()))
    show_entry(lane, sale, as_json)
    if lane.printing and not no_print:
        try:
            lane.print_receipts(sale.id)
        except PrinterError as err:
            click.echo("fairpos: " + _("the receipt of {id} was not printed: {reason}; it stays "
                                       "queued (fairpos printer retry)").format(
                id=sale.id, reason=err), err=True)


@main.group()
def held() -> None:
    """Sales put on hold (sell --hold) and not finished yet."""


@held.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@pass_lane
def held_list(lane: Lane, as_json: bool) -> None:
    """List held sales, oldest first."""
    rows = lane.held()
    if as_json:
        emit_json([{"id": h.id, "held_at": h.held_at, "total": h.cart.total.plain(),
                    "lines": len(h.cart.active)} for h in rows])
        return
    for h in rows:
        click.echo(f"#{h.id}  {h.held_at[:16].replace('T', ' ')}  "
                   f"{format_money(h.cart.total, i18n.active())}  "
                   + lines_text(len(h.cart.active)))


@held.command("drop")
@click.argument("held_id", type=int)
@click.option("--reason", required=True, help="Why the held sale is given up.")
@pass_lane
def held_drop(lane: Lane, held_id: int, reason: str) -> None:
    """Give up a held sale (the customer left); it is kept in the audit log."""
    lane.drop_held(held_id, reason)
    click.echo(_("Held sale #{id} dropped.").format(id=held_id))


@main.command()
@click.argument("sale_id")
@click.option("--reason", required=True, help="Why the sale is voided.")
@click.option("--json", "as_json", is_flag=True, help="Print the void entry as JSON.")
@pass_lane
def void(lane: Lane, sale_id: str, reason: str, as_json: bool) -> None:
    """Void a whole sale: a new entry that gives back every payment."""
    show_entry(lane, lane.void(sale_id, reason), as_json)


@main.command()
@click.argument("sale_id")
@click.option("--line", "line_numbers", multiple=True, type=click.IntRange(min=1), metavar="N",
              help="Line number to refund (repeatable; default: every line not yet refunded).")
@click.option("--reason", required=True, help="Why the money is given back.")
@click.option("--currency", default=None, metavar="CUR",
              help="Currency of the cash given back (default: the pricing currency).")
@click.option("--json", "as_json", is_flag=True, help="Print the refund entry as JSON.")
@pass_lane
def refund(lane: Lane, sale_id: str, line_numbers: tuple[int, ...], reason: str,
           currency: str | None, as_json: bool) -> None:
    """Refund some lines of a sale in cash: a new entry that references it."""
    code = accepted_currency(currency, lane) if currency else lane.settings.money.currency
    refund = lane.refund(sale_id, line_numbers, reason, code)
    show_entry(lane, refund, as_json)
