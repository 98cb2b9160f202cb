"""A volunteer's shift and its reports: ``shift open|close``, ``report``."""

from __future__ import annotations

from typing import Any

import click

from fairpos import i18n
from fairpos.cli.args import parse_cash_arg, parse_count_arg
from fairpos.cli.base import emit_json, main, pass_lane, refuse
from fairpos.domain.shift import CountKey
from fairpos.i18n import _
from fairpos.journal.records import ClockBehind
from fairpos.lane import Lane
from fairpos.printer.connection import PrinterError


@main.group()
def shift() -> None:
    """Open and close a volunteer's shift at this lane."""


@shift.command("open")
@click.option("--volunteer", required=True, help="Name of the volunteer at the lane.")
@click.option("--float", "floats", multiple=True, metavar="CUR:AMOUNT",
              help="Opening cash counted in the drawer, per currency (repeatable); by bills "
                   "and coins as CUR:3x20+2x5 where [money] denominations lists them.")
@click.option("--training", is_flag=True,
              help="Training shift: its sales are marked and kept out of real totals.")
@click.option("--earlier-date", is_flag=True,
              help="Open it even though the clock's date is before the last shift's (the "
                   "clock was checked and is right).")
@pass_lane
def shift_open(lane: Lane, volunteer: str, floats: tuple[str, ...], training: bool,
               earlier_date: bool) -> None:
    """Open a shift with the float counted per currency, on the clock's date."""
    amounts: dict[str, int] = {}
    pieces: dict[str, dict[int, int]] = {}
    for text in floats:
        money, counted = parse_cash_arg(text, lane)
        if money.currency in amounts:
            refuse(_("{currency} is given twice").format(currency=money.currency))
        amounts[money.currency] = money.minor
        if counted is not None:
            pieces[money.currency] = counted
    try:
        opened = lane.open_shift(volunteer, amounts, training,
                                         earlier_date_ok=earlier_date, pieces=pieces)
    except ClockBehind as err:
        refuse(str(err) + " " + _("with --earlier-date."))
    label = _("Training shift") if training else _("Shift")
    click.echo(_("{label} #{id} open for {volunteer}.").format(label=label, id=opened.id,
                                                               volunteer=opened.volunteer))


@shift.command("close")
@click.option("--count", "counts", multiple=True, metavar="[METHOD:]CUR:AMOUNT",
              help="What was counted: cash per currency (USD:120.50, or by bills and coins "
                   "USD:5x20+3x5+4x0.25), other tenders as METHOD:CUR:AMOUNT (card:VES:3000). "
                   "Repeatable; what is not given counts 0.")
@click.option("--reason", default=None,
              help="Why the count differs from what was expected (needed past the tolerance).")
@click.option("--json", "as_json", is_flag=True, help="Print the Z report as JSON.")
@pass_lane
def shift_close(lane: Lane, counts: tuple[str, ...], reason: str | None, as_json: bool) -> None:
    """Close the open shift with a blind count; prints the Z report."""
    counted: dict[CountKey, int] = {}
    pieces: dict[str, dict[int, int]] = {}
    for text in counts:
        key, amount, by_piece = parse_count_arg(text, lane)
        if key in counted:
            refuse(_("{method} {currency} is counted twice").format(method=key[0],
                                                                     currency=key[1]))
        counted[key] = amount
        if by_piece is not None:
            pieces[key[1]] = by_piece
    result = lane.close_shift(counted, reason, pieces)
    if as_json:
        emit_json(result.report.to_json())
    else:
        click.echo("\n".join(result.report.render(i18n.active())))
    if lane.printing:  # the Z report goes on paper too; the shift is closed anyway
        try:
            lane.print_page("report", lane.report_receipt(result.report, "Z"))
        except PrinterError as err:
            click.echo("fairpos: " + _("the Z report was not printed: {reason}; it stays "
                                       "queued (fairpos printer retry)").format(
                reason=err), err=True)


@main.command()
@click.option("--shift", "shift_id", type=int, default=None,
              help="Report on this shift (X if open, Z if closed).")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Report on every shift of this business date (YYYY-MM-DD).")
@click.option("--training", is_flag=True, help="With --date: the training sales instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--print", "on_paper", is_flag=True, help="Also print it on the receipt printer.")
@pass_lane
def report(lane: Lane, shift_id: int | None, day: Any, training: bool, as_json: bool,
           on_paper: bool) -> None:
    """X report of the open shift (default), Z report of a closed one, or a day report."""
    if shift_id is not None and day is not None:
        refuse(_("give --shift or --date, not both"))
    if on_paper and not lane.printing:
        refuse(_("no printer is configured"))
    if day is not None:
        result = lane.day_report(day.date().isoformat(), training)
    else:
        if shift_id is None:
            latest = lane.latest_shift()
            if latest is None:
                refuse(_("there is no shift yet"))
            shift_id = latest.id
        result = lane.report(shift_id)
    if as_json:
        emit_json(result.to_json())
    else:
        click.echo("\n".join(result.render(i18n.active())))
    if on_paper:
        lane.print_page("report", lane.report_receipt(result))
