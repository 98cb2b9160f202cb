"""``fairpos station``: the weighing station — its screen, a label from the command line, and
its report of the kilos labelled (beside the kilos the lanes sold from labels)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import click

from fairpos import i18n
from fairpos.cli.base import emit_json, main, pass_lane, refuse
from fairpos.domain.money import Money
from fairpos.domain.quantity import parse_quantity
from fairpos.i18n import _, format_grams, format_money, lines_text
from fairpos.lane import Lane, sold_from_labels
from fairpos.printer.connection import PrinterError


@main.group(invoke_without_command=True)
@click.pass_context
def station(ctx: click.Context) -> None:
    """The weighing station: weigh produce and print the label a lane scans (with no
    command, its screen)."""
    if ctx.invoked_subcommand is None:
        run_station(ctx.find_object(Lane))


def run_station(lane: Lane | None) -> None:
    from fairpos.tui.station import make_station

    assert lane is not None
    lane.open()
    make_station(lane).run()


@station.command("label")
@click.argument("plu")
@click.option("--weight", required=True, metavar="QTY",
              help="The weight on the label: 1.250kg, 850g or 1.25 (kilos).")
@click.option("--no-print", is_flag=True, help="Journal the label, queue it, print it later.")
@click.option("--json", "as_json", is_flag=True, help="Print the label as JSON.")
@pass_lane
def label(lane: Lane, plu: str, weight: str, no_print: bool, as_json: bool) -> None:
    """Weigh PLU (a product sold by weight) into a label: journaled, then printed."""
    catalog = lane.catalog()
    product = catalog.product(plu)
    if product is None:
        if catalog.price_class(plu) is not None:
            refuse(_("a label names a product: pick one of the class (its PLU or name)"))
        refuse(_("unknown PLU “{code}”").format(code=plu.strip()))
    grams = parse_quantity(weight + ("kg" if weight.strip().isdigit() else "")).grams
    assert grams is not None  # (a number alone is kilos)
    weighed, job = lane.label(product, grams)
    language = i18n.active()
    if as_json:
        emit_json({"code": weighed.code, "plu": weighed.plu, "grams": weighed.grams,
                   "amount": Money(weighed.amount, weighed.currency).plain(),
                   "currency": weighed.currency, "job": job})
    else:
        click.echo(_("Label {code}: {name}, {weight}, {amount}").format(
            code=weighed.code, name=weighed.name(language),
            weight=format_grams(weighed.grams, language),
            amount=format_money(Money(weighed.amount, weighed.currency), language)))
    if lane.printing and not no_print:
        try:
            lane.print_now(job)
        except PrinterError as err:
            click.echo("fairpos: " + _("the label was not printed: {reason}; it stays queued "
                                       "(fairpos printer retry)").format(reason=err), err=True)


@station.command("report")
@click.option("--day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The first day (YYYY-MM-DD; default: today).")
@click.option("--to", "last", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="The last day (default: the first).")
@click.option("--sold-from", "lanes", multiple=True,
              type=click.Path(file_okay=False, exists=True, path_type=Path),
              help="A lane's data folder: its sales rung up from labels are set beside the "
                   "labels (repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@pass_lane
def report(lane: Lane, day: datetime | None, last: datetime | None, lanes: tuple[Path, ...],
           as_json: bool) -> None:
    """Kilos labelled per product; with --sold-from, the kilos those lanes sold from labels."""
    first = (day.date() if day else lane.now().date()).isoformat()
    until = last.date().isoformat() if last else first
    if until < first:
        refuse(_("--to is before --day"))
    labelled = lane.labelled(first, until)
    sold: dict[str, tuple[int, int]] = {}
    for folder in lanes:
        found = sold_from_labels(folder, first, until)
        if found is None:
            refuse(_("{folder} holds no lane's journal").format(folder=folder))
        for plu, (lines, grams) in found.items():
            had = sold.get(plu, (0, 0))
            sold[plu] = (had[0] + lines, had[1] + grams)
    language = i18n.active()
    rows = [{"plu": row.plu, "name": row.name(language), "labels": row.labels,
             "grams": row.grams, "amount": Money(row.amount, row.currency).plain(),
             "currency": row.currency,
             **({"sold_lines": sold.get(row.plu, (0, 0))[0],
                 "sold_grams": sold.get(row.plu, (0, 0))[1]} if lanes else {})}
            for row in labelled]
    if as_json:
        emit_json({"from": first, "to": until, "products": rows})
        return
    span = first if first == until else f"{first} – {until}"
    click.echo(_("Labels of {span}").format(span=span))
    if not rows:
        click.echo(_("No labels."))
        return
    for row, got in zip(rows, labelled, strict=True):
        line = (f"  {got.plu:>6} {str(row['name'])[:24]:<24} {got.labels:>5} "
                f"{format_grams(got.grams, language):>12} "
                f"{format_money(Money(got.amount, got.currency), language):>14}")
        if lanes:
            lines, grams = sold.get(got.plu, (0, 0))
            line += "  " + _("sold {weight} in {lines}").format(
                weight=format_grams(grams, language), lines=lines_text(lines))
        click.echo(line)
    click.echo(_("{labels} labels, {weight}").format(
        labels=sum(r.labels for r in labelled),
        weight=format_grams(sum(r.grams for r in labelled), language)))
