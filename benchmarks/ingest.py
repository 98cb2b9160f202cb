"""A reconnection wave: every stall of a network comes back online at once and pushes its day.

300 stalls × 1,200 sales (360,000 sales) are pushed to a real ledger (``fairpos ledger serve``
on 127.0.0.1, every one of its processes up) as fast as it takes them: every stall at once,
each sending its batches one after the other as the relay does (a 503 is waited out and sent
again). The bodies are built beforehand (one stall's day rung up on a real journal, then given
each stall's device id), so that the ledger is what is measured.

For each store — SQLite, PostgreSQL with one process, and PostgreSQL with four — sales per
second and p99 batch latency, against the floor of writing the same rows into the same kind of
database straight from Python, batch by batch, no HTTP and no checks: every row the ledger
writes for a batch — its sales, their lines and tenders, and the batch's sums for the day pages
(computed beforehand here). SQLite: ``executemany`` in one transaction per batch; PostgreSQL:
``COPY`` in one transaction per batch, over as many connections as the ledger has processes.
PostgreSQL runs with its durable defaults (``fsync``, ``synchronous_commit``); SQLite as the
ledger opens it (WAL, ``synchronous=FULL``).

    python -m benchmarks.ingest [--stalls 300] [--sales 1200] [--only sqlite,pg1,pg4]
"""

from __future__ import annotations

import argparse
import asyncio
import gzip
import hashlib
import json
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fairpos.journal.db import Database
from fairpos.ledger.store import open_ledger
from fairpos.sync.wire import MAX_BATCH, canonical
from harness.postgres import Postgres
from harness.sync_helpers import LedgerServer, payloads, stall

TEMPLATE = "S0000"  # the device id of the stall rung up; every stall is a copy under its own id


def p99(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


@dataclass
class Stall:
    device: str
    bodies: list[bytes]  # gzip request bodies, as its relay would send them
    rows: list[dict[str, list[tuple[Any, ...]]]]  # each batch's rows, table by table
    token: str = ""  # its bearer token, once enrolled


@dataclass
class Wave:
    seconds: float
    latencies: list[float] = field(default_factory=list)
    retries: int = 0


def template_day(folder: Path, sales: int) -> list[dict[str, Any]]:
    """One stall's day, rung up on a real journal, as the wire carries it."""
    return payloads(stall(folder / "template", TEMPLATE, sales=sales, seed=1))


def rows_of(entry: dict[str, Any], text: str, batch: dict[str, list[tuple[Any, ...]]],
            days: dict[tuple[Any, ...], list[int]], sums: dict[tuple[Any, ...], list[int]]
            ) -> None:
    """The rows the ledger keeps for one entry — its sale, its lines, its tenders — into
    ``batch``, and the entry into its batch's sums for the day pages (``days``, and the
    ``sums`` of its lines that count: not voided, not training)."""
    sale_id = entry["id"]
    device = sale_id.split("-")[0]
    day, currency = entry["business_date"], entry["currency"]
    batch["sales"].append((
        sale_id, device, entry["seq"], entry["kind"], entry.get("ref_id"), day,
        entry["confirmed_at"], int(entry["training"]), currency, entry["total"],
        entry["catalog_version"], text, hashlib.sha256(text.encode()).hexdigest(),
        "2026-01-01T00:00:00+00:00", entry.get("igtf", {}).get("amount", 0),
        entry.get("igtf", {}).get("base", 0)))
    batch["sale_lines"].extend(
        (sale_id, n, line["kind"], line["code"], line["name_es"], line["price_class"],
         line["grams"], line["count"], line["amount"], int(line["voided"]), line.get("tare"))
        for n, line in enumerate(entry["lines"], start=1))
    batch["sale_tenders"].extend((sale_id, n, t["method"], t["currency"], t["amount"])
                                 for n, t in enumerate(entry["tenders"], start=1))
    kept = days.setdefault((day, device, currency, int(entry["training"])), [0, 0, 0])
    kept[0] += entry["kind"] == "sale"
    kept[1] += 1
    kept[2] += entry["total"]
    for line in [] if entry["training"] else entry["lines"]:
        if not line["voided"]:
            summed = sums.setdefault((day, device, line["kind"], line["code"], line["name_es"],
                                      line["price_class"], currency), [0, 0, 0, 0])
            for n, value in enumerate((line["grams"] or 0, line["count"] or 0, line["amount"],
                                       1)):
                summed[n] += value


def build(day: list[dict[str, Any]], stalls: int) -> list[Stall]:
    """Every stall's bodies and rows: the template's, under the stall's device id."""
    batches = [day[i:i + MAX_BATCH] for i in range(0, len(day), MAX_BATCH)]
    bodies = [canonical({"device_id": TEMPLATE, "sales": batch}).decode() for batch in batches]
    texts = [[canonical(entry).decode() for entry in batch] for batch in batches]
    built = []
    for n in range(1, stalls + 1):
        device = f"S{n:04d}"

        def mine(text: str, device: str = device) -> str:
            return text.replace(f'"{TEMPLATE}', f'"{device}')

        rows = []
        for batch_texts in texts:
            batch: dict[str, list[tuple[Any, ...]]] = {table: [] for table in COLUMNS}
            days: dict[tuple[Any, ...], list[int]] = {}
            sums: dict[tuple[Any, ...], list[int]] = {}
            for text in batch_texts:
                own = mine(text)
                rows_of(json.loads(own), own, batch, days, sums)
            batch["day_sales"] = [(*key, *kept) for key, kept in days.items()]
            batch["day_lines"] = [(*key, *summed) for key, summed in sums.items()]
            rows.append(batch)
        built.append(Stall(device, [gzip.compress(mine(b).encode(), 1) for b in bodies], rows))
    return built


def new_ledger(db: str, stalls: list[Stall]) -> None:
    """A ledger with the fair's catalog and rates published and every stall enrolled."""
    from harness.lanes import FIXTURES

    ledger = open_ledger(db)
    try:
        ledger.publish((FIXTURES / "feria-catalog.csv").read_text(), "feria-catalog.csv", "USD")
        ledger.publish((FIXTURES / "feria-rates.csv").read_text(), "feria-rates.csv", "USD")
        for n, one in enumerate(stalls, start=1):
            enrolment, one.token = ledger.enrol("Feria Centro", n)
            ledger.claim(enrolment, one.device)
    finally:
        ledger.close()


def request(one: Stall, body: bytes) -> bytes:
    """One batch as a whole HTTP/1.1 request, made beforehand."""
    return (f"POST /v1/sales/batch HTTP/1.1\r\nHost: ledger\r\n"
            f"Authorization: Bearer {one.token}\r\nContent-Type: application/json\r\n"
            f"Content-Encoding: gzip\r\nContent-Length: {len(body)}\r\n\r\n").encode() + body


async def answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in head[1:] if line)
    return (int(head[0].split()[1]), headers,
            await reader.readexactly(int(headers.get("content-length", "0"))))


async def push_stall(port: int, one: Stall, wave: Wave) -> None:
    """A stall's batches one after the other on one kept-alive connection, as its relay
    sends them: a 503 is waited out, a dropped connection made again, and the batch sent
    again (the ledger answers a batch it already holds with duplicates)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        for body, batch in zip(one.bodies, one.rows, strict=True):
            started = time.perf_counter()
            while True:
                try:
                    writer.write(request(one, body))
                    status, headers, content = await answer(reader)
                except (OSError, asyncio.IncompleteReadError):
                    wave.retries += 1
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                    continue
                if status != 503:
                    break
                wave.retries += 1
                await asyncio.sleep(float(headers.get("retry-after", "1")))
            wave.latencies.append(time.perf_counter() - started)
            assert status == 200, content
            reply = json.loads(content)
            assert len(reply["accepted"]) + len(reply["duplicate"]) == len(batch["sales"]), \
                reply
            if headers.get("connection") == "close":
                writer.close()
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
    finally:
        writer.close()


async def push_wave(port: int, stalls: list[Stall]) -> Wave:
    wave = Wave(0.0)
    started = time.perf_counter()
    await asyncio.gather(*(push_stall(port, one, wave) for one in stalls))
    wave.seconds = time.perf_counter() - started
    return wave


async def every_worker_up(port: int, workers: int) -> None:
    """Wait until every worker process serves: a health request on each of 10 connections
    per worker (the kernel shares them out among the workers' sockets, so that each gets
    some), all answered. The wave then meets a ledger that is running, not one still
    starting its processes."""
    opened = [await asyncio.open_connection("127.0.0.1", port) for _ in range(10 * workers)]
    for _, writer in opened:
        writer.write(b"GET /v1/health HTTP/1.1\r\nHost: ledger\r\n\r\n")
    for reader, writer in opened:
        status, _, _ = await answer(reader)
        assert status == 200, status
        writer.close()


def through_ledger(db: str, stalls: list[Stall], folder: Path, workers: int) -> Wave:
    new_ledger(db, stalls)
    server = LedgerServer(db, publish=False, options=["--workers", str(workers)],
                          log=folder / f"ledger-{workers}.log")
    try:
        asyncio.run(every_worker_up(server.port, workers))
        wave = asyncio.run(push_wave(server.port, stalls))
    finally:
        server.stop()
    ledger = open_ledger(db)
    try:
        stored = ledger.all("SELECT COUNT(*) FROM sales")[0][0]
    finally:
        ledger.close()
    assert stored == sum(len(batch["sales"]) for one in stalls for batch in one.rows), stored
    return wave


# the columns the floor writes, named (the tables may grow columns with defaults)
COLUMNS = {
    "sales": "id, device_id, seq, kind, ref_id, business_date, confirmed_at, training, "
             "currency, total, catalog_version, payload, payload_hash, received_at, igtf, "
             "igtf_base",
    "sale_lines": "sale_id, line_no, kind, code, name, price_class, grams, count, amount, "
                  "voided, tare",
    "sale_tenders": "sale_id, tender_no, method, currency, amount",
    "day_sales": "business_date, device_id, currency, training, sales, entries, total",
    "day_lines": "business_date, device_id, kind, code, name, price_class, currency, grams, "
                 "count, amount, lines",
}


def insert(table: str) -> str:
    return (f"INSERT INTO {table} ({COLUMNS[table]}) "
            f"VALUES ({','.join('?' * (COLUMNS[table].count(',') + 1))})")


def floor_sqlite(path: Path, stalls: list[Stall]) -> Wave:
    open_ledger(path).close()  # the ledger's tables, indexes and triggers
    db = Database(path)
    wave = Wave(0.0)
    try:
        started = time.perf_counter()
        for one in stalls:
            for batch in one.rows:
                batch_started = time.perf_counter()
                with db.transaction() as conn:
                    for table, rows in batch.items():
                        conn.executemany(insert(table), rows)
                wave.latencies.append(time.perf_counter() - batch_started)
        wave.seconds = time.perf_counter() - started
    finally:
        db.close()
    return wave


def floor_postgres(url: str, stalls: list[Stall], connections: int) -> Wave:
    import psycopg

    open_ledger(url).close()
    wave = Wave(0.0)
    lock = threading.Lock()

    def copy(share: list[Stall]) -> None:
        with psycopg.connect(url) as conn:
            for one in share:
                for batch in one.rows:
                    batch_started = time.perf_counter()
                    with conn.transaction(), conn.cursor() as cursor:
                        for table, rows in batch.items():
                            with cursor.copy(f"COPY {table} ({COLUMNS[table]}) FROM STDIN"
                                             .encode()) as out:
                                for row in rows:
                                    out.write_row(row)
                    with lock:
                        wave.latencies.append(time.perf_counter() - batch_started)

    threads = [threading.Thread(target=copy, args=(stalls[n::connections],))
               for n in range(connections)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wave.seconds = time.perf_counter() - started
    return wave


def line(name: str, wave: Wave, sales: int) -> str:
    retried = f", {wave.retries} retried" if wave.retries else ""
    return (f"   {name:<34} {wave.seconds:7.1f} s {sales / wave.seconds:9,.0f} sales/s   "
            f"batch p99 {p99(wave.latencies) * 1000:7.1f} ms{retried}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stalls", type=int, default=300)
    parser.add_argument("--sales", type=int, default=1200, help="sales per stall")
    parser.add_argument("--only", default="sqlite,pg1,pg4",
                        help="which of sqlite, pg1, pg4 to measure")
    args = parser.parse_args()
    chosen = set(args.only.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        stalls = build(template_day(folder, args.sales), args.stalls)
        total = args.stalls * args.sales
        print(f"A reconnection wave: {args.stalls} stalls × {args.sales:,} sales = {total:,} "
              f"sales in batches of {MAX_BATCH}, {sum(len(b) for s in stalls for b in s.bodies):,}"
              f" bytes of gzip JSON (built in {time.perf_counter() - started:.0f} s)")
        if "sqlite" in chosen:
            floor = floor_sqlite(folder / "floor.db", stalls)
            ours = through_ledger(str(folder / "ledger.db"), stalls, folder, 1)
            print("SQLite")
            print(line("rows written straight (floor)", floor, total))
            print(line("fairpos ledger, 1 process", ours, total))
            print(f"   ratio (time)                       {ours.seconds / floor.seconds:7.2f}x")
        for workers in (1, 4):
            if f"pg{workers}" not in chosen:
                continue
            server = Postgres()
            try:
                server.stop()  # the durable defaults, not the tests' fsync=off
                server.start("-c fsync=on", "-c synchronous_commit=on")
                floor = floor_postgres(server.create(), stalls, workers)
                ours = through_ledger(server.create(), stalls, folder, workers)
            finally:
                server.remove()
            print(f"PostgreSQL, {workers} process{'es' if workers > 1 else ''}")
            print(line(f"COPY straight, {workers} connection{'s' if workers > 1 else ''} "
                       "(floor)", floor, total))
            print(line(f"fairpos ledger, {workers} process{'es' if workers > 1 else ''}",
                       ours, total))
            print(f"   ratio (time)                       {ours.seconds / floor.seconds:7.2f}x")


if __name__ == "__main__":
    main()
