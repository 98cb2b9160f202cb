"""The lane's devices: ``printer status|test|retry``, ``reprint``, ``scale read|zero|tare|
clear-tare``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from fairpos import i18n
from fairpos.cli.base import main, pass_lane, refuse
from fairpos.i18n import _, format_grams
from fairpos.lane import Lane
from fairpos.printer.connection import STATE_WORDS, connect, label_state, state
from fairpos.printer.layout import test_page
from fairpos.scale.frames import Command

if TYPE_CHECKING:  # pyserial is imported only by the commands that use the scale
    from fairpos.scale.port import Scale


def require_printer(lane: Lane) -> None:
    if not lane.printing:
        refuse(_("no printer is configured"))


@main.group()
def printer() -> None:
    """The receipt printer: its state, a test page, the queue of receipts."""


@printer.command("status")
@pass_lane
def printer_status(lane: Lane) -> None:
    """Ask the printer how it is, and count the receipts waiting."""
    if not lane.printing:
        click.echo(_("No printer is configured ([printer] url)."))
    else:
        link = connect(lane.printer)
        try:
            found = state(link) if lane.printer.language == "escpos" else \
                label_state(link, lane.printer.language)
        finally:
            link.close()
        click.echo(_("Printer {url}: {state}").format(url=lane.settings.printer.url,
                                                       state=_(STATE_WORDS[found])))
    lane.settle_dead_drainers()  # (a retry killed mid-receipt: to check now)
    click.echo(_("Receipts waiting: {count}").format(count=len(lane.print_jobs())))
    say_uncertain(lane)


def say_uncertain(lane: Lane) -> None:
    """Receipts whose line broke after they were sent: only the paper says if they printed."""
    uncertain = lane.uncertain_prints()
    if uncertain:
        click.echo(_("Receipts that may have printed: {ids}. Look at the paper; if one is "
                     "missing: fairpos reprint ID").format(
            ids=", ".join(j.sale_id or f"#{j.id}" for j in uncertain)))


@printer.command("test")
@pass_lane
def printer_test(lane: Lane) -> None:
    """Print a self-test page with the market's accented words."""
    require_printer(lane)
    settings = lane.settings.printer
    lane.print_page("test", test_page(lane.settings.fair.name, settings.codepage,
                                      settings.profile, settings.columns))
    click.echo(_("Test page printed."))


@printer.command("retry")
@pass_lane
def printer_retry(lane: Lane) -> None:
    """Print every receipt still waiting, oldest first."""
    require_printer(lane)
    result = lane.print_pending()
    click.echo(_("Printed {printed}; {pending} still waiting.").format(
        printed=result.printed, pending=result.pending))
    say_uncertain(lane)
    if result.failed:
        refuse(result.failed)


@main.command()
@click.argument("sale_id")
@pass_lane
def reprint(lane: Lane, sale_id: str) -> None:
    """Print a sale's receipt again, marked REPRINT."""
    require_printer(lane)
    sale = lane.sale(sale_id)
    job = lane.queue_reprint(sale)
    if job is None:
        click.echo(_("Receipt of {id} printed again; not recorded: the journal is read-only.")
                   .format(id=sale.id))
        return
    lane.print_now(job)
    click.echo(_("Receipt of {id} printed again.").format(id=sale.id))


RECONNECT_SECONDS = 0.5  # while the scale is gone, how often ``scale read`` looks for it


@main.group()
def scale() -> None:
    """The weighing scale on its serial line."""


@scale.command("read")
@click.option("--watch", is_flag=True, help="Keep reading until Ctrl+C.")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many readings (with --watch: unlimited).")
@pass_lane
def scale_read(lane: Lane, watch: bool, count: int) -> None:
    """Print readings: weight, state, and when a weight is stable enough to price. While the
    scale is gone it says so once, and looks for it again twice a second."""
    import time

    from fairpos.scale.frames import StableWeight
    from fairpos.scale.weighing import STATE_WORDS

    device = open_scale(lane)
    rule = StableWeight(lane.settings.scale.stable_readings)
    done = 0
    gone = False
    try:
        while watch or done < count:
            reading = device.read()
            done += 1
            if reading.state == "disconnected":
                if not gone:
                    click.echo(_("the scale is not connected ({url}); looking for it…").format(
                        url=lane.settings.scale.url))
                gone = True
                if watch or done < count:
                    time.sleep(RECONNECT_SECONDS)
                continue
            gone = False
            accepted = rule.feed(reading)
            weight = format_grams(reading.grams, i18n.active()) if reading.grams is not None \
                else "-"
            mark = "  " + _("accepted") if accepted is not None else ""
            words = _(STATE_WORDS[reading.state])
            click.echo(f"{words:<14} {weight:>12}{mark}")
    except KeyboardInterrupt:
        pass
    finally:
        device.close()


def open_scale(lane: Lane) -> Scale:
    from fairpos.scale.port import Scale

    settings = lane.settings.scale
    if settings.url in ("", "none"):
        refuse(_("no scale is configured ([scale] url)"))
    return Scale(settings)


def scale_command(lane: Lane, command: Command) -> None:
    """Send ``command`` and say what the scale answered; a refusal exits non-zero."""
    from fairpos.scale.weighing import Weighing, why_not

    device = open_scale(lane)
    try:
        answer = device.command(command)
    finally:
        device.close()
    if not answer.done:
        refuse(_("The scale did not do it: {why}.").format(why=why_not(answer)))
    said, _problem = Weighing(configured=True).answered(command, answer)
    click.echo(said)


@scale.command("zero")
@pass_lane
def scale_zero(lane: Lane) -> None:
    """Set the scale to zero (nothing on it); says whether the scale did it."""
    scale_command(lane, "zero")


@scale.command("tare")
@pass_lane
def scale_tare(lane: Lane) -> None:
    """Take what is on the scale (a crate, a bag) as the tare; says whether the scale did it
    (the till takes the tare itself when the scale does not)."""
    scale_command(lane, "tare")


@scale.command("clear-tare")
@pass_lane
def scale_clear_tare(lane: Lane) -> None:
    """Clear the tare; says whether the scale did it."""
    scale_command(lane, "clear_tare")
