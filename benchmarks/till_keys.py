"""Key to screen at the till, as a person sees it, against a bare Textual app.

The till runs in a real pseudo-terminal with a 10,000-product catalog and a 40-line cart;
pyte renders what it writes. For each of N keys (a PLU and Enter) the clock runs from the write
until the new line and the new total are on the rendered screen; the line is then voided (F8)
to keep the cart at 40 lines. The same is measured, in the same run, for a bare Textual app that
adds a row to a 40-row table and updates a total. Start-up is timed to the first useful screen
(the 40-line cart and its total) the same way, as the median of several starts of each, taken
in turn.

With ``--printer-backlog N`` the lane starts with N receipts waiting for a (fake, network)
printer that takes 0.1 s per receipt, so the queue drains while the keys are measured.

With ``--sync-backlog N`` the lane starts with N sales not yet on the ledger, connected to a
real ledger through a slow link (0.15 s each way, in a process of its own), so they sync while
the keys are measured. The ledger stands for another machine: it runs at a low priority.

In the payment window, each payment entered (``0.01`` and Enter) is kept on disk with the
sale's draft, as a power cut must not lose it: the clock runs from the Enter until the new
amount still due is on the rendered screen; F8 then removes the payment. ``--compare-draft``
measures the same build again with the draft off (``[ui] keep_draft = false``).

With ``--pin CPU`` both programs run on that one core alone (``taskset -c``), as on a small
lane box; each one's peak resident memory is read after its keys (``VmHWM``). ``--term linux``
runs both as on a bare Linux console (16 colours: the till in its high-contrast theme).

    python -m benchmarks.till_keys [--keys N] [--payments N] [--compare-draft]
                                   [--printer-backlog N] [--sync-backlog N] [--pin CPU]
                                   [--term TERM]
"""

from __future__ import annotations

import argparse
import csv
import re
import statistics
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from benchmarks.terminal import Terminal, compile_sources
from fairpos.domain.cart import Cart
from fairpos.domain.catalog import parse_catalog
from fairpos.domain.quantity import Quantity
from fairpos.journal import DB_NAME, Journal
from fairpos.presets import example
from fairpos.printer.layout import text_receipt
from fairpos.printer.render import render
from harness.fake_printer import FakePrinter

ROOT = Path(__file__).resolve().parent.parent
F2, F8 = b"\x1bOQ", b"\x1b[19~"


def big_catalog(path: Path, products: int) -> None:
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["type", "code", "barcode", "name_es", "name_en", "unit", "price",
                         "price_class", "tags"])
        writer.writerow(["class", "G", "", "Feria grande", "Large fair price", "kg", "1.20", "",
                         ""])
        writer.writerow(["class", "M", "", "Mini-feria", "Mini fair price", "kg", "0.80", "",
                         ""])
        for n in range(products):
            if n < 60:
                writer.writerow(["product", 101 + n, "", f"Verdura {n}", f"Vegetable {n}", "kg",
                                 "", "G" if n % 2 else "M", ""])
            else:
                writer.writerow(["product", 101 + n, "", f"Víveres {n}", f"Grocery {n}", "each",
                                 f"{1 + n % 9}.{n % 100:02d}", "", ""])


def prepare_lane(folder: Path, products: int, backlog: int = 0) -> Decimal:
    """A lane with a big catalog, an open shift and a 40-line sale held at quit."""
    (folder / "fairpos.toml").write_text(example("feria"), encoding="utf-8")
    big_catalog(folder / "catalog.csv", products)
    store = Journal.create(folder / DB_NAME)
    draft = parse_catalog((folder / "catalog.csv").read_text(), "csv", "USD")
    store.import_catalog(draft, "USD", "bench", "0")
    store.set_rate("USD", "VES", Decimal("414.04"), date(2026, 1, 1))
    store.open_shift("Bench", {"USD": 2000})
    catalog = store.catalog()
    cart = Cart("USD")
    for n in range(40):
        cart.add(catalog, str(161 + n), Quantity(count=1))
    store.hold(cart, at_quit=True)
    for _ in range(backlog):  # receipts still waiting for the printer
        store.queue_print("receipt", render(text_receipt("backlog", ["Recibo"] * 25, 48)))
    store.close()
    return cart.total.as_decimal()


def sync_backlog(folder: Path, sales: int) -> tuple[Any, Any, dict[str, str]]:
    """Ring up ``sales`` sales and connect the lane to a real ledger behind a slow link."""
    from fairpos.domain.money import Money
    from fairpos.domain.tenders import Tender
    from fairpos.ledger.store import SqliteLedger
    from fairpos.settings import parse_settings
    from harness.fault_proxy import ProxyProcess
    from harness.sync_helpers import LedgerServer

    settings = parse_settings((folder / "fairpos.toml").read_text())
    store = Journal.open(folder / DB_NAME)
    catalog = store.catalog()
    for n in range(sales):
        cart = Cart("USD")
        cart.add(catalog, str(161 + n % 40), Quantity(count=1 + n % 3))
        store.confirm_sale(cart, [Tender("cash", Money(cart.total.minor, "USD"))], "USD",
                           settings)
    device = store.device_id
    store.close()
    ledger = SqliteLedger(folder / "ledger.db")
    ledger.publish((folder / "catalog.csv").read_text(), "catalog.csv", "USD")
    ledger.publish((ROOT / "fixtures" / "feria-rates.csv").read_text(), "rates.csv", "USD")
    enrolment, token = ledger.enrol("Bench", 1)
    ledger.claim(enrolment, device)
    ledger.close()
    server = LedgerServer(folder / "ledger.db", publish=False, elsewhere=True)
    link = ProxyProcess(server.port, latency=0.15)
    return server, link, {"FAIRPOS_LEDGER__URL": link.url, "FAIRPOS_LEDGER__TOKEN": token}


def measure(terminal: Terminal, keys: int, key: bytes, price: Decimal, base: Decimal,
            row_label: Callable[[int], str], remove: bytes = F8) -> list[float]:
    timings = []
    for k in range(1, keys + 1):
        total = f"{base + price:,.2f} USD"
        label = re.compile(rf"^\s*{row_label(k)}\s", re.MULTILINE)
        sent = terminal.send(key)
        seen = terminal.wait_for(lambda text, t=total, r=label: "41 lines" in text
                                 and t in text and bool(r.search(text)))
        timings.append((seen - sent) * 1000)
        terminal.send(remove)
        terminal.wait_for(lambda text: "40 lines" in text and f"{base:,.2f} USD" in text)
    return timings


def measure_payments(terminal: Terminal, payments: int, base: Decimal) -> list[float]:
    """Milliseconds from each payment's Enter to the amount still due on the screen."""
    terminal.send(F2)
    terminal.wait_for(lambda text: f"Still due: {base:,.2f} USD" in text)
    timings = []
    less = f"Still due: {base - Decimal('0.01'):,.2f} USD"
    for _ in range(payments):
        sent = terminal.send(b"0.01\r")
        seen = terminal.wait_for(lambda text: less in text)
        timings.append((seen - sent) * 1000)
        terminal.send(F8)  # the payment removed: what is due comes back
        terminal.wait_for(lambda text: f"Still due: {base:,.2f} USD" in text)
    return timings


def start_up(argv: list[str], env: dict[str, str]) -> float:
    """Milliseconds from launch to the 40-line cart and its total on the rendered screen."""
    terminal = Terminal(argv, env=env)
    try:
        return (terminal.wait_for(lambda t: "40 lines" in t) - terminal.started) * 1000
    finally:
        terminal.close()


def figures(ms: list[float]) -> tuple[float, float]:
    ordered = sorted(ms)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=500)
    parser.add_argument("--products", type=int, default=10_000)
    parser.add_argument("--printer-backlog", type=int, default=0)
    parser.add_argument("--sync-backlog", type=int, default=0)
    parser.add_argument("--starts", type=int, default=11)
    parser.add_argument("--payments", type=int, default=200,
                        help="payments entered and removed in the payment window")
    parser.add_argument("--compare-draft", action="store_true",
                        help="also measure the till without its durable draft cart")
    parser.add_argument("--pin", type=int, default=None, metavar="CPU",
                        help="run both programs on this one core (taskset -c CPU)")
    parser.add_argument("--term", default=None, help="the TERM both programs run with")
    args = parser.parse_args()
    compile_sources()
    printer = FakePrinter(seconds_per_receipt=0.1) if args.printer_backlog else None
    env = {"FAIRPOS_PRINTER__URL": printer.url} if printer else {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = prepare_lane(folder, args.products, args.printer_backlog)
        ledger = link = None
        if args.sync_backlog:
            ledger, link, sync_env = sync_backlog(folder, args.sync_backlog)
            env = {**env, **sync_env}
        store = Journal.open(folder / DB_NAME)
        product = store.catalog().product("305")
        assert product is not None and product.price is not None
        price = Decimal(product.price) / 100
        store.close()

        pinned = ["taskset", "-c", str(args.pin)] if args.pin is not None else []
        till_argv = [*pinned, sys.executable, "-m", "fairpos", "--data-dir", str(folder),
                     "--lang", "en", "till"]
        bare_argv = [*pinned, sys.executable, str(ROOT / "benchmarks" / "bare_table_app.py")]
        if args.term:
            env = {**env, "TERM": args.term, "COLORTERM": "", "FAIRPOS_UI__THEME": "auto"}
        starts: dict[str, list[float]] = {"till": [], "bare": []}
        quiet = {k: v for k, v in env.items() if "PRINTER" not in k}  # no receipts drained yet
        for _ in range(args.starts):  # alternately, so that both see the same machine
            starts["till"].append(start_up(till_argv, quiet))
            starts["bare"].append(start_up(bare_argv, {"TERM": args.term} if args.term else {}))
        till_start = statistics.median(starts["till"])
        bare_start = statistics.median(starts["bare"])

        journal_files = [folder / f"{DB_NAME}{end}" for end in ("", "-wal", "-shm")]
        pristine = {path: path.read_bytes() for path in journal_files if path.exists()}

        rss: dict[str, float] = {}

        def till_keys(extra: dict[str, str]) -> tuple[list[float], list[float]]:
            for path in journal_files:  # each run starts from the same 40-line sale
                path.unlink(missing_ok=True)
                if path in pristine:
                    path.write_bytes(pristine[path])
            till = Terminal(till_argv, env={**env, **extra})
            try:
                till.wait_for(lambda t: "40 lines" in t)
                # the k-th added line is number 40 + k (voided lines keep their numbers); F8
                # names the line, F8 again voids it
                keys = measure(till, args.keys, b"305\r", price, base, lambda k: str(40 + k),
                               remove=F8 + F8)
                paid = measure_payments(till, args.payments, base)
                rss.setdefault("till", till.peak_rss_mb())
                return keys, paid
            finally:
                till.close()

        till_ms, paying_ms = till_keys({})
        undrafted_ms, undrafted_paying_ms = till_keys({"FAIRPOS_UI__KEEP_DRAFT": "false"}) \
            if args.compare_draft else ([], [])

        bare = Terminal(bare_argv, env={"TERM": args.term} if args.term else None)
        try:
            bare.wait_for(lambda t: "40 lines" in t)
            bare_ms = measure(bare, args.keys, b"\r", Decimal("1.20"), Decimal("48.00"),
                              lambda k: "41")
            rss["bare"] = bare.peak_rss_mb()
        finally:
            bare.close()

        if ledger is not None and link is not None:
            from harness.sync_helpers import ledger_sums

            store = Journal.open(folder / DB_NAME)
            device = store.device_id
            store.close()
            synced = ledger_sums(folder / "ledger.db", device)[0]
            link.close()
            ledger.stop()
            print(f"sync backlog {args.sync_backlog:,}: {synced:,} sales on the ledger when the "
                  f"keys had been measured")
        if printer:
            still = len(printer.received)
            printer.close()
            print(f"printer backlog {args.printer_backlog}: {still:,} bytes printed while the "
                  f"keys were measured")
    t_median, t_p99 = figures(till_ms)
    b_median, b_p99 = figures(bare_ms)
    print(f"key to screen, {args.keys} keys, {args.products:,} products, 40-line cart")
    print(f"  bare Textual table app   median {b_median:7.2f} ms   p99 {b_p99:7.2f} ms")
    print(f"  fairpos till             median {t_median:7.2f} ms   p99 {t_p99:7.2f} ms")
    print(f"  ratio till / bare        median {t_median / b_median:5.2f}x   "
          f"p99 {t_p99 / b_p99:5.2f}x")
    if undrafted_ms:
        u_median, u_p99 = figures(undrafted_ms)
        print(f"  till without the draft   median {u_median:7.2f} ms   p99 {u_p99:7.2f} ms")
        print(f"  ratio draft / no draft   median {t_median / u_median:5.2f}x   "
              f"p99 {t_p99 / u_p99:5.2f}x")
    p_median, p_p99 = figures(paying_ms)
    print(f"payment to screen, {args.payments} payments (each kept with the sale's draft)")
    print(f"  fairpos till             median {p_median:7.2f} ms   p99 {p_p99:7.2f} ms")
    print(f"  ratio till / bare        median {p_median / b_median:5.2f}x   "
          f"p99 {p_p99 / b_p99:5.2f}x")
    if undrafted_paying_ms:
        u_median, u_p99 = figures(undrafted_paying_ms)
        print(f"  till without the draft   median {u_median:7.2f} ms   p99 {u_p99:7.2f} ms")
        print(f"  ratio draft / no draft   median {p_median / u_median:5.2f}x   "
              f"p99 {p_p99 / u_p99:5.2f}x")
    where = f" (both on core {args.pin})" if args.pin is not None else ""
    print(f"peak resident memory after the keys{where}")
    print(f"  bare Textual table app   {rss['bare']:7.1f} MB")
    print(f"  fairpos till             {rss['till']:7.1f} MB")
    print(f"  ratio till / bare        {rss['till'] / rss['bare']:5.2f}x")
    print(f"start-up to the first useful screen, median of {args.starts} starts each")
    print(f"  bare Textual table app   {bare_start:7.0f} ms")
    print(f"  fairpos till             {till_start:7.0f} ms")
    print(f"  ratio till / bare        {till_start / bare_start:5.2f}x")


if __name__ == "__main__":
    main()
