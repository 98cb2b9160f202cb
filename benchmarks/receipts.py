"""Receipts: layout + ESC/POS rendering per receipt, and 200 receipts through the print queue.

Baselines, measured in the same run: python-escpos writing the same receipt's lines with no
layout, styles or transliteration; and the same 200 payloads written back to back over one
socket to the same fake printer.

    python -m benchmarks.receipts [--runs 300] [--queued 200]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

from escpos.printer import Dummy

from fairpos.domain.cart import Cart
from fairpos.domain.catalog import parse_catalog
from fairpos.domain.quantity import Quantity
from fairpos.domain.tenders import Tender
from fairpos.journal import DB_NAME, Journal
from fairpos.presets import example
from fairpos.printer.connection import parse_url
from fairpos.printer.layout import sale_receipt
from fairpos.printer.render import render
from fairpos.printer.spool import print_pending
from fairpos.settings import parse_settings
from harness.fake_printer import FakePrinter

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = parse_settings(example("feria"))


def figures(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered), ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=300, help="renderings of each receipt")
    parser.add_argument("--queued", type=int, default=200, help="receipts through the queue")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        store = Journal.create(folder / DB_NAME)
        text = (ROOT / "fixtures" / "feria-catalog.csv").read_text()
        store.import_catalog(parse_catalog(text, "csv", "USD"), "USD", "bench", "0")
        store.set_rate("USD", "VES", Decimal("414.04"), date(2026, 1, 1))
        store.open_shift("Bench", {})
        catalog = store.catalog()
        sales = []
        for size in (8, 40):
            cart = Cart("USD")
            for n in range(size):
                cart.add(catalog, str(301 + n), Quantity(count=1 + n % 3))
            sales.append(store.confirm_sale(cart, [Tender("cash", cart.total)], "USD",
                                            SETTINGS))
        print("layout + rendering per receipt (48 columns, TM-T20II, CP858), "
              f"{args.runs} runs each")
        for sale in sales:
            ours, base = [], []
            for _ in range(args.runs):
                start = time.perf_counter()
                layout = sale_receipt(sale, fair="Feria", lane=1, language="es", width=48)
                render(layout, profile="TM-T20II", codepage="CP858")
                ours.append((time.perf_counter() - start) * 1000)
                lines = layout.text()
                start = time.perf_counter()
                printer = Dummy(profile="TM-T20II")
                for line in lines:
                    printer.text(line + "\n")
                printer.cut()
                base.append((time.perf_counter() - start) * 1000)
            (om, op), (bm, bp) = figures(ours), figures(base)
            print(f"  {len(sale.lines):>2} lines: fairpos median {om:6.2f} ms p99 {op:6.2f} ms;"
                  f" bare python-escpos median {bm:6.2f} ms p99 {bp:6.2f} ms;"
                  f" ratio {om / bm:4.2f}x")

        payload = render(sale_receipt(sales[0], fair="Feria", lane=1, language="es", width=48),
                         profile="TM-T20II", codepage="CP858")
        for _ in range(args.queued):
            store.queue_print("receipt", payload, sales[0].id)
        printer = FakePrinter()
        start = time.perf_counter()
        result = print_pending(store, parse_url(printer.url))
        ours_s = time.perf_counter() - start
        assert result.printed == args.queued and result.failed is None
        printer.close()

        raw = FakePrinter()
        start = time.perf_counter()
        with socket.create_connection(("127.0.0.1", raw.port)) as sock:
            for _ in range(args.queued):
                sock.sendall(payload)
        while len(raw.received) < args.queued * len(payload):
            time.sleep(0.001)
        base_s = time.perf_counter() - start
        raw.close()
        store.close()
    print(f"{args.queued} receipts through the queue to a fake network printer")
    print(f"  fairpos queue (connect, DLE EOT status, send, confirm, mark printed): "
          f"{args.queued / ours_s:7.0f} receipts/s")
    print(f"  raw socket, same bytes back to back:                                 "
          f"{args.queued / base_s:7.0f} receipts/s")
    print(f"  ratio queue / raw: {base_s / ours_s:.3f}")


if __name__ == "__main__":
    main()
