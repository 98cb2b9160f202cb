"""``fairpos demo``: a demo lane from the fixtures, with a local ledger, in the till."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import click

from fairpos import i18n
from fairpos.cli.args import build_cart, parse_tender_arg
from fairpos.cli.base import fixtures_dir, main, pass_lane
from fairpos.cli.catalog import import_catalog, print_catalog
from fairpos.cli.till import run_till
from fairpos.domain.money import parse_rate
from fairpos.i18n import _
from fairpos.lane import Lane
from fairpos.presets import example

DEMO_SALES = (
    (("G=2.350kg", "M=1.100kg"), ("cash:USD:5",), "USD"),
    (("101=1.250kg", "305=2", "G=0.800kg"), ("cash:VES:2100",), "VES"),
    (("310", "311=3", "M=3.000kg"), ("cash:USD:5",
                                     "pago_movil:VES:459.58,ref=004512,bank=0102"), "USD"),
    (("120=0.750kg", "G=4.200kg"), ("card:VES:2459.40,ref=778812,lot=12",), "VES"),
)


def _demo_setup(lane: Lane) -> None:
    fixtures = fixtures_dir()
    lane.data_dir.mkdir(parents=True, exist_ok=True)
    lane.settings_path.write_text(example("feria"), encoding="utf-8")
    lane.create_journal()
    import_catalog(lane, fixtures / "feria-catalog.csv")
    rates = _read_rates(fixtures / "feria-rates.csv")
    for base, quote, value, effective in rates:
        lane.set_rate(base, quote, parse_rate(value), date.fromisoformat(effective),
                         _("demo data"))
    today = lane.now().date()
    base, quote, value, effective = rates[-1]
    if date.fromisoformat(effective) < today:  # the day's rate, as the morning's sync brings
        lane.set_rate(base, quote, parse_rate(value), today, _("demo data"))
    shift = lane.open_shift("Demo", {"USD": 2000, "VES": 1000000})
    for lines, pays, change in DEMO_SALES:
        cart = build_cart(lane, lines)
        tenders = [parse_tender_arg(p, lane) for p in pays]
        lane.sell(cart, tenders, change, print_receipt=False)
    # The sample shift is counted and closed: the demo opens where a volunteer's day opens.
    lane.close_shift(lane.expected_counts(shift.id))


def _demo_ledger(lane: Lane) -> subprocess.Popen[bytes] | None:
    """A ledger for the demo lane, in its folder, on a free port of 127.0.0.1: published
    catalog and rates, the lane enrolled and connected. None (and a word why) if it cannot
    start: the till does not need it."""
    import socket

    import httpx

    from fairpos.ledger.store import SqliteLedger
    from fairpos.settings import with_ledger

    db = lane.data_dir / "demo-ledger" / "ledger.db"
    fresh = not db.exists()
    ledger = SqliteLedger(db)
    try:
        if fresh:
            fixtures = fixtures_dir()
            for name in ("feria-catalog.csv", "feria-rates.csv"):
                ledger.publish((fixtures / name).read_text(encoding="utf-8"), name,
                               lane.settings.money.currency)
        token = lane.settings.ledger.token
        if fresh or not token:
            enrolment, token = ledger.enrol(lane.settings.fair.name, lane.settings.fair.lane)
            ledger.claim(enrolment, lane.device_id)
    finally:
        ledger.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "fairpos", "ledger", "serve", "--port", str(port), "--db",
         str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with httpx.Client(timeout=0.5) as http:  # one client: each new one loads the CA bundle
        for _attempt in range(200):
            try:
                if http.get(f"{url}/v1/health").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.05)
        else:
            process.terminate()
            click.echo(_("The demo ledger did not start; the till works without it."),
                       err=True)
            return None
    lane.write_settings(with_ledger(lane.settings_path.read_text(encoding="utf-8"), url, token))
    return process


def _read_rates(path: Path) -> list[tuple[str, str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            base, quote, value, effective = (p.strip() for p in line.split(","))
            rows.append((base, quote, value, effective))
    return rows


@main.command()
@click.option("--print", "print_only", is_flag=True,
              help="Print the demo catalog and the report of the newest shift instead of "
                   "opening the till.")
@click.option("--no-ledger", is_flag=True, help="Do not start the local demo ledger.")
@pass_lane
def demo(lane: Lane, print_only: bool, no_ledger: bool) -> None:
    """Set up a demo lane from the fixtures (once), start a local ledger on 127.0.0.1 with
    the lane connected to it, then open the till on it."""
    if not lane.settings_path.exists():
        _demo_setup(lane)
        click.echo(_("Demo lane created in {dir}.").format(dir=lane.data_dir))
    if not print_only:
        ledger = None if no_ledger else _demo_ledger(lane)
        try:
            run_till(lane)
        finally:
            if ledger is not None:
                ledger.terminate()
                ledger.wait(timeout=10)
        return
    print_catalog(lane.catalog(), i18n.active(), limit=25)
    click.echo()
    latest = lane.latest_shift()
    if latest is not None:
        click.echo("\n".join(lane.report(latest.id).render(i18n.active())))
