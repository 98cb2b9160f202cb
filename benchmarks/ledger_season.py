"""The treasurer's pages over a season: 1,000,000 sales of 300 lanes at a real ledger.

A season — 26 weeks (``--weeks``) of fair days (Friday to Sunday), 20 fairs of 15 lanes, ~6
lines and one or two tenders a sale, each lane's shift opened and closed every fair day — is
written straight into the ledger's tables (in bulk, for speed), on SQLite and on PostgreSQL.
Then a real ``fairpos ledger serve`` answers, and the time to the first byte of each page is
measured (median of 5, after one warm-up): the home page (each fair's days, lane by lane), a day
page for all fairs and for one fair, a week page, a day's products CSV, a sale's page, and the
search by a payment's reference, by a volunteer over a week and by an amount on a day. The
baseline, measured in the same run on the same database, is one SQL read of every line of that
day (the data a day page has to look at); the goals are absolute: ≤ 300 ms for a day page and a
search, ≤ 50 ms for a sale's page, ≤ 1 s for a week page.

    python -m benchmarks.ledger_season [--sales 1000000] [--only sqlite,pg] [--weeks 26]
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from fairpos.ledger.store import open_ledger
from harness.lanes import FIXTURES
from harness.postgres import Postgres
from harness.sync_helpers import LedgerServer

FAIRS, LANES_PER_FAIR = 20, 15
FIRST_FRIDAY = date(2026, 5, 1)
SALE_COLUMNS = ("id, device_id, seq, kind, ref_id, business_date, confirmed_at, training, "
                "currency, total, catalog_version, payload, payload_hash, received_at")
LINE_COLUMNS = "sale_id, line_no, kind, code, name, price_class, grams, count, amount, voided"
PRODUCTS = [("101", "Tomate", "G", 120), ("102", "Cebolla", "G", 120),
            ("103", "Papa", "G", 120), ("110", "Ají dulce", "M", 80),
            ("111", "Cilantro", "M", 80), ("305", "Arroz blanco tipo I 1 kg", None, 120),
            ("402", "Suavizante de ropa 1 L", None, 230), ("501", "Huevos (cartón)", None, 450)]


def fair_days(weeks: int) -> list[str]:
    return [(FIRST_FRIDAY + timedelta(weeks=w, days=d)).isoformat()
            for w in range(weeks) for d in range(3)]


def build(db: str, sales: int, weeks: int = 26) -> dict[str, Any]:
    """Write the season into the ledger at ``db``; what was written."""
    ledger = open_ledger(db)
    ledger.publish((FIXTURES / "feria-catalog.csv").read_text(), "feria-catalog.csv", "USD")
    ledger.publish((FIXTURES / "feria-rates.csv").read_text(), "feria-rates.csv", "USD")
    devices = [(f"L{f:02d}{n:02d}X", f"Feria {f:02d}", n) for f in range(1, FAIRS + 1)
               for n in range(1, LANES_PER_FAIR + 1)]
    days = fair_days(weeks)
    per_lane_day = max(1, sales // (len(devices) * len(days)))
    rng = random.Random(2026)
    backend = ledger.backend
    with backend.transaction() as conn:
        for device, fair, lane in devices:
            conn.execute("INSERT INTO devices (device_id, fair, lane, token_hash, enrolled_at, "
                         "claimed_at, max_contiguous_seq) VALUES (?,?,?,?,?,?,?)",
                         [device, fair, lane, hashlib.sha256(device.encode()).hexdigest(),
                          "2026-04-30", "2026-04-30", per_lane_day * len(days)])
    written = 0
    for day in days:  # a transaction a day: what a season's syncs add up to
        sale_rows, line_rows, tender_rows, shift_rows, count_rows = [], [], [], [], []
        search_rows: list[tuple[str, str, str, str]] = []
        close_rows, day_rows = [], []
        sums: dict[tuple[Any, ...], list[int]] = {}  # what the ledger adds up as it stores
        for device, _fair, lane in devices:
            seq0 = days.index(day) * per_lane_day
            cash = 0
            for k in range(1, per_lane_day + 1):
                seq = seq0 + k
                sale_id = f"{device}-{seq:06d}"
                total = 0
                for line_no in range(1, rng.choice((2, 4, 5, 6, 7, 9)) + 1):
                    code, name, price_class, price = rng.choice(PRODUCTS)
                    grams = rng.randint(200, 3000) if price_class else None
                    pieces = None if price_class else rng.randint(1, 3)
                    amount = grams * price // 1000 if grams else (pieces or 0) * price
                    total += amount
                    line_rows.append((sale_id, line_no, "product", code, name, price_class,
                                      grams, pieces, amount, 0))
                    kept = sums.setdefault((day, device, "product", code, name, price_class,
                                            "USD"), [0, 0, 0, 0])
                    for i, value in enumerate((grams or 0, pieces or 0, amount, 1)):
                        kept[i] += value
                tenders = [("pago_movil", "VES", total * 414)] if rng.random() < 0.3 \
                    else [("cash", "USD", total)]
                cash += sum(t[2] for t in tenders if t[0] == "cash")
                tender_rows.extend((sale_id, n, *t) for n, t in enumerate(tenders, start=1))
                reference = f"{rng.randrange(10**8):08d}"
                payload = json.dumps({"id": sale_id, "volunteer": f"Voluntaria {lane}",
                                      "currency": "USD", "total": total, "tenders": [
                    {"method": m, "currency": c, "amount": a, "reference": {"ref": reference},
                     "verified": True} for m, c, a in tenders]})
                search_rows.append((sale_id, "volunteer", f"voluntaria {lane}", day))
                if tenders[0][0] == "pago_movil":
                    search_rows.append((sale_id, "ref", reference, day))
                sale_rows.append((sale_id, device, seq, "sale", None, day,
                                  f"{day}T{8 + k * 8 // per_lane_day:02d}:15:00-04:00", 0,
                                  "USD", total, 1, payload, hashlib.sha256(
                                      payload.encode()).hexdigest(), f"{day}T18:00:00+00:00"))
            day_rows.append((day, device, "USD", 0, per_lane_day, per_lane_day,
                             sum(r[9] for r in sale_rows[-per_lane_day:])))
            for result in ("pending", "match"):  # (a lane closes its day more than once)
                close_rows.append((device, day, json.dumps({"count": per_lane_day}), result,
                                   f"{day}T19:00:00+00:00"))
            shift = days.index(day) + 1
            for stage in ("open", "close"):
                shift_rows.append((f"{device}-S{shift:06d}-{stage}", device, shift, stage, day,
                                   "Ana", 0, f"{day}T07:00:00-04:00", None, "{}", "0" * 64,
                                   f"{day}T18:00:00+00:00"))
            count_rows.append((f"{device}-S{shift:06d}-close", "cash", "USD", 2000,
                               2000 + cash, 2000 + cash, 2000 + cash - rng.choice((0, 0, 50))))
        with backend.transaction() as conn:
            backend.write_rows(conn, "sales", SALE_COLUMNS, sale_rows)
            backend.write_rows(conn, "sale_lines", LINE_COLUMNS, line_rows)
            backend.write_rows(conn, "sale_tenders",
                               "sale_id, tender_no, method, currency, amount", tender_rows)
            backend.write_rows(conn, "shift_entries", "id, device_id, shift, stage, "
                               "business_date, volunteer, training, at, reason, payload, "
                               "payload_hash, received_at", shift_rows)
            backend.write_rows(conn, "shift_counts", "entry_id, method, currency, opening, "
                               "expected, first_count, counted", count_rows)
            backend.write_rows(conn, "day_lines", "business_date, device_id, kind, code, name, "
                               "price_class, currency, grams, count, amount, lines",
                               [(*key, *value) for key, value in sums.items()])
            backend.write_rows(conn, "day_sales", "business_date, device_id, currency, "
                               "training, sales, entries, total", day_rows)
            backend.write_rows(conn, "day_closes", "device_id, business_date, figures, result, "
                               "at", close_rows)
            backend.write_rows(conn, "sale_search", "sale_id, key, value, business_date",
                               search_rows)
        written += len(sale_rows)
    if backend.dialect == "postgresql":
        with backend.transaction() as conn:
            conn.execute("ANALYZE")
    found = ledger.all("SELECT s.id, k.value FROM sales s JOIN sale_search k ON "
                       "k.sale_id = s.id AND k.key = 'ref' ORDER BY s.id LIMIT 1")
    sample = found[0] if found else None
    ledger.close()
    return {"sales": written, "lanes": len(devices), "days": len(days),
            "sale": sample[0] if sample else f"{devices[0][0]}-000001",
            "reference": sample[1] if sample else "0"}


def first_byte(port: int, path: str, token: str) -> float:
    """Seconds from sending a request to the first byte of its reply (then read whole)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    try:
        start = time.perf_counter()
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        reply = conn.getresponse()
        reply.read(1)
        took = time.perf_counter() - start
        assert reply.status == 200, (path, reply.status)
        reply.read()
        return took
    finally:
        conn.close()


def median_of(measure: Callable[[], float], runs: int = 5) -> float:
    measure()  # warm-up
    return statistics.median(measure() for _ in range(runs))


def measure(db: str, folder: Path, season: dict[str, Any], weeks: int = 26
            ) -> dict[str, float]:
    server = LedgerServer(db, publish=False)
    try:
        with server.store() as ledger:
            token = ledger.admin_token()
            days = fair_days(weeks)
            day = days[len(days) // 2]

            def baseline() -> float:
                start = time.perf_counter()
                ledger.all("SELECT l.code, l.grams, l.amount, t.method FROM sales s JOIN "
                           "sale_lines l ON l.sale_id = s.id JOIN sale_tenders t ON "
                           "t.sale_id = s.id AND t.tender_no = 1 WHERE s.business_date = ?",
                           [day])
                return time.perf_counter() - start

            base = median_of(baseline)
        pages = {"home page (every fair's days)": "/",
                 "day page, all fairs": f"/day/{day}",
                 "day page, one fair": f"/day/{day}?fair=Feria%2007",
                 "week page, all fairs": f"/week/{day}",
                 "products CSV, all fairs": f"/day/{day}/products.csv",
                 "sale page": f"/sale/{season['sale']}",
                 "search by a payment's reference": f"/search?q={season['reference']}",
                 "search by volunteer over a week":
                     f"/search?q=Voluntaria+3&from={days[-3]}&to={days[-1]}",
                 "search by amount on a day": f"/search?amount=1.20&from={day}&to={day}"}
        found = {"baseline (one read of the day's lines)": base}
        for name, path in pages.items():
            found[name] = median_of(lambda p=path: first_byte(server.port, p, token))
        return found
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sales", type=int, default=1_000_000)
    parser.add_argument("--only", default="sqlite,pg")
    parser.add_argument("--weeks", type=int, default=26, help="of fair days, Friday to Sunday")
    args = parser.parse_args()
    wanted = args.only.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        stores: list[tuple[str, Callable[[], str]]] = []
        postgres = Postgres() if "pg" in wanted else None
        if "sqlite" in wanted:
            stores.append(("SQLite", lambda: str(folder / "ledger.db")))
        if postgres is not None:
            stores.append(("PostgreSQL", postgres.create))
        try:
            for name, make in stores:
                db = make()
                start = time.perf_counter()
                season = build(db, args.sales, args.weeks)
                print(f"{name}: {season['sales']:,} sales of {season['lanes']} lanes over "
                      f"{season['days']} fair days, written in "
                      f"{time.perf_counter() - start:.0f} s")
                figures = measure(db, folder, season, args.weeks)
                base = figures["baseline (one read of the day's lines)"]
                for what, seconds in figures.items():
                    goal = " (goal ≤ 1 s)" if what.startswith("week") else \
                        " (goal ≤ 300 ms)" if what.startswith(("day page", "search")) else \
                        " (goal ≤ 50 ms)" if what.startswith("sale") else ""
                    print(f"  {what:<42} {seconds * 1000:8.1f} ms  "
                          f"{seconds / base:6.1f}× the baseline{goal}")
        finally:
            if postgres is not None:
                postgres.stop()


if __name__ == "__main__":
    main()
