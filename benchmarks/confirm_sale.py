"""Confirming an 8-line sale durably with the lane service, against plain sqlite3 writing the
same rows.

Both write to a file with WAL, synchronous=FULL and foreign keys on, one transaction per sale,
into the same schema. The figure that counts is the ratio of fairpos to the baseline.

    python benchmarks/confirm_sale.py [--sales N]
"""

from __future__ import annotations

import argparse
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from fairpos.domain.cart import Cart
from fairpos.domain.catalog import Catalog, parse_catalog
from fairpos.domain.money import Money
from fairpos.domain.quantity import Quantity
from fairpos.domain.tenders import Tender
from fairpos.journal import DB_NAME, Journal
from fairpos.lane import Lane
from fairpos.presets import example
from fairpos.settings import parse_settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
LINES = [("101", 1250), ("G", 2350), ("M", 800), ("120", 640)] + [
    (plu, None) for plu in ("305", "310", "311", "330")]


def build_cart(catalog: Catalog) -> Cart:
    cart = Cart(catalog.currency)
    for code, grams in LINES:
        quantity = Quantity(grams=grams) if grams else Quantity(count=2)
        cart.add(catalog, code, quantity)
    return cart


def fresh_store(folder: Path) -> tuple[Journal, Catalog]:
    store = Journal.create(folder / DB_NAME)
    text = (FIXTURES / "feria-catalog.csv").read_text()
    store.import_catalog(parse_catalog(text, "csv", "USD"), "USD", "bench", "0")
    store.open_shift("Bench", {"USD": 2000})
    return store, store.catalog()


def bench_fairpos(folder: Path, sales: int) -> list[float]:
    """The lane service's sale, as the till and ``fairpos sell`` confirm it."""
    settings = parse_settings(example("feria"))
    store, catalog = fresh_store(folder)
    lane = Lane(folder, settings, store)
    timings = []
    for _ in range(sales):
        cart = build_cart(catalog)  # ring-up happens before the volunteer presses Enter
        # the card first (it gives no change), the rest in cash, with change
        tenders = [Tender("card", Money(500, "USD"), {"ref": "1"}),
                   Tender("cash", Money(2000, "USD"))]
        start = time.perf_counter()
        lane.sell(cart, tenders, "USD")
        timings.append(time.perf_counter() - start)
    lane.close()
    return timings


def bench_baseline(folder: Path, template: Path, sales: int) -> list[float]:
    """Plain sqlite3: the same rows into the same schema, no checks, no reads."""
    path = folder / "baseline.db"
    shutil.copyfile(template, path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    store = Journal.open(template)
    cart = build_cart(store.catalog())
    store.close()
    lines = [(n, line.kind, line.code, line.name_es, line.name_en, line.price_class, line.grams,
              line.count, line.unit_price, line.amount)
             for n, line in enumerate(cart.lines, start=1)]
    timings = []
    for seq in range(1, sales + 1):
        sale_id = f"BENCH0-{seq:06d}"
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("UPDATE device SET last_seq = last_seq + 1")
        conn.execute(
            "INSERT INTO sales (id, seq, kind, shift_id, business_date, confirmed_at, volunteer, "
            "training, currency, total, change_currency, change, catalog_version, rates) "
            "VALUES (?, ?, 'sale', 1, '2026-11-23', '2026-11-23T10:00:00', 'Bench', 0, 'USD', "
            "?, 'USD', 0, 1, '{}')", [sale_id, seq, cart.total.minor])
        # (columns named: the journal's later columns keep their defaults)
        conn.executemany("INSERT INTO sale_lines (sale_id, line_no, kind, code, name_es, "
                         "name_en, price_class, grams, count, unit_price, amount) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                         [(sale_id, *line) for line in lines])
        conn.executemany("INSERT INTO tenders (sale_id, tender_no, method, currency, amount) "
                         "VALUES (?,?,?,?,?)",
                         [(sale_id, 1, "card", "USD", 500), (sale_id, 2, "cash", "USD", 2000)])
        conn.execute("INSERT INTO outbox (entry_id, created_at) VALUES (?, '2026-11-23')",
                     [sale_id])
        conn.execute("COMMIT")
        timings.append(time.perf_counter() - start)
    conn.close()
    return timings


def describe(name: str, timings: list[float]) -> tuple[float, float]:
    ms = sorted(t * 1000 for t in timings)
    median = statistics.median(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    print(f"{name:<28} median {median:7.3f} ms   p99 {p99:7.3f} ms   ({len(ms)} sales)")
    return median, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=ROOT) as tmp:
        folder = Path(tmp)
        for name in ("template", "ours1", "ours2", "base1", "base2"):
            (folder / name).mkdir()
        store, _catalog = fresh_store(folder / "template")
        store.close()
        template = folder / "template" / DB_NAME
        # Two rounds of each, interleaved, so that disk noise hits both alike.
        half = args.sales // 2
        base = bench_baseline(folder / "base1", template, half)
        ours = bench_fairpos(folder / "ours1", half)
        base += bench_baseline(folder / "base2", template, half)
        ours += bench_fairpos(folder / "ours2", half)
    base_median, base_p99 = describe("plain sqlite3 (baseline)", base)
    median, p99 = describe("fairpos Lane.sell", ours)
    print(f"ratio fairpos / baseline: median {median / base_median:.2f}x, "
          f"p99 {p99 / base_p99:.2f}x")


if __name__ == "__main__":
    main()
