"""X/Z and day reports over a season of data (100,000 sales, ~600,000 lines).

The season is written straight into the journal's schema (in bulk, for speed), then reports are
timed against a baseline measured in the same run: plain sqlite3 reading every line and tender of
the same shift (or day) once, the data any report has to look at.

    python benchmarks/season_report.py [--sales N]
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

from fairpos.domain.catalog import parse_catalog
from fairpos.journal import DB_NAME, Journal
from fairpos.presets import example
from fairpos.settings import parse_settings

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SALES_PER_SHIFT = 300


def build_season(path: Path, sales: int) -> int:
    """Write ``sales`` sales of ~6 lines each; returns the number of shifts."""
    store = Journal.create(path)
    text = (FIXTURES / "feria-catalog.csv").read_text()
    store.import_catalog(parse_catalog(text, "csv", "USD"), "USD", "bench", "0")
    catalog = store.catalog()
    store.close()
    products = list(catalog.products.values())
    rng = random.Random(1983)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA synchronous=OFF")
    conn.execute("BEGIN")
    shifts = (sales + SALES_PER_SHIFT - 1) // SALES_PER_SHIFT
    day = date(2026, 1, 2)
    dates = {shift: (day + timedelta(days=shift // 2)).isoformat()
             for shift in range(1, shifts + 1)}  # two shifts a day
    for shift, business_date in dates.items():
        conn.execute("INSERT INTO shifts (id, volunteer, opened_at, business_date, closed_at) "
                     "VALUES (?, 'V', ?, ?, ?)", [shift, business_date, business_date,
                                                  None if shift == shifts else business_date])
        conn.execute("INSERT INTO shift_counts VALUES (?, 'float', 'cash', 'USD', 2000, NULL)",
                     [shift])
    lines, tenders, rows = [], [], []
    for seq in range(1, sales + 1):
        shift = (seq - 1) // SALES_PER_SHIFT + 1
        sale_id = f"SEASON-{seq:06d}"
        total = 0
        for n in range(1, rng.choice((1, 2, 3, 5, 6, 8, 8, 10, 12, 14)) + 1):
            p = rng.choice(products)
            price = catalog.unit_price(p)
            if p.unit == "kg":
                grams, count = rng.randint(200, 5000), None
                amount = (grams * price + 500) // 1000
            else:
                grams, count = None, rng.randint(1, 3)
                amount = count * price
            total += amount
            lines.append((sale_id, n, "product", p.plu, p.name_es, p.name_en, p.price_class,
                          grams, count, price, amount, 0, None, "", None))
        tenders.append((sale_id, 1, "cash", "USD", total, "{}", 1))
        rows.append((sale_id, seq, "sale", None, shift, dates[shift], f"{dates[shift]}T08:00:00",
                     "V", 0, "USD", total, "USD", 0, 1, "{}", None))
    # (columns named: the journal's later columns keep their defaults)
    conn.executemany("INSERT INTO sales (id, seq, kind, ref_id, shift_id, business_date, "
                     "confirmed_at, volunteer, training, currency, total, change_currency, "
                     "change, catalog_version, rates, reason) "
                     "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
    conn.executemany("INSERT INTO sale_lines (sale_id, line_no, kind, code, name_es, name_en, "
                     "price_class, grams, count, unit_price, amount, voided, ref_line, tags, "
                     "scale_frame) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", lines)
    conn.executemany("INSERT INTO tenders (sale_id, tender_no, method, currency, amount, "
                     "reference, verified) VALUES (?,?,?,?,?,?,?)", tenders)
    conn.execute("UPDATE device SET last_seq = ?", [sales])
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    conn.close()
    print(f"season: {sales:,} sales, {len(lines):,} lines, {shifts} shifts")
    return shifts


def timed(fn: Callable[[], object], repeat: int) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append((time.perf_counter() - start) * 1000)
    return statistics.median(runs)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    settings = parse_settings(example("feria"))
    with tempfile.TemporaryDirectory(dir=ROOT) as tmp:
        path = Path(tmp) / DB_NAME
        started = time.perf_counter()
        shifts = build_season(path, args.sales)
        print(f"built in {time.perf_counter() - started:.1f} s")
        store = Journal.open(path)
        last = store.shift(shifts)
        closed = store.shift(shifts - 1)
        plain = sqlite3.connect(path)

        def baseline(where: str, value: object) -> object:
            lines = plain.execute(f"SELECT l.* FROM sale_lines l JOIN sales s "
                                  f"ON s.id = l.sale_id WHERE {where}", [value]).fetchall()
            tenders = plain.execute(f"SELECT t.* FROM tenders t JOIN sales s "
                                    f"ON s.id = t.sale_id WHERE {where}", [value]).fetchall()
            return lines, tenders

        cases = [
            ("X report (open shift)", lambda: store.report(settings, shift_id=last.id),
             lambda: baseline("s.shift_id = ?", last.id)),
            ("Z report (closed shift)", lambda: store.report(settings, shift_id=closed.id),
             lambda: baseline("s.shift_id = ?", closed.id)),
            ("day report", lambda: store.report(settings, day=closed.business_date),
             lambda: baseline("s.business_date = ?", closed.business_date)),
        ]
        for name, ours, base in cases:
            ours_ms = timed(ours, args.repeat)
            base_ms = timed(base, args.repeat)
            print(f"{name:<24} {ours_ms:8.2f} ms   baseline {base_ms:7.3f} ms   "
                  f"ratio {ours_ms / base_ms:6.1f}x")
        scan = timed(lambda: plain.execute("SELECT SUM(amount) FROM sale_lines").fetchone(), 3)
        print(f"{'full scan of all lines':<24} {scan:8.2f} ms   (for scale)")
        plain.close()
        store.close()


if __name__ == "__main__":
    main()
