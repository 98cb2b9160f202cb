"""A bank statement of a million lines: imported while a lane syncs, then reconciled.

A real ledger (``fairpos ledger serve`` on 127.0.0.1, SQLite) holds a lane's day with pago
móvil tenders. A statement of ``--lines`` payments on that day (the tenders' own among them)
is imported with ``fairpos ledger statement import`` — another process, as a treasurer runs
it — while the lane rings up and syncs a sale after another. Each figure against a baseline
measured in the same run:

1. the import: seconds and peak memory of the importing process, per line against a statement
   of 10 % of its size imported the same way just before (1.0: it grows with its lines, no
   worse);
2. the lane's syncs during the import: the slowest, against the slowest of as many syncs with
   no import;
3. ``/pago-movil`` for the day and for the default seven days: seconds and bytes, against the
   same pages before the statement was imported.

    python -m benchmarks.statement [--lines 1000000] [--tenders 20]
"""

from __future__ import annotations

import argparse
import itertools
import resource
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, timedelta
from pathlib import Path

from harness import web
from harness.lanes import ROOT, LaneDir
from harness.sync_helpers import LedgerServer, connect, open_lane, payloads


def statement(day: date, lines: int, tenders: int) -> str:
    """Bank 0102's CSV of ``lines`` lines: the ``tenders`` lanes' payments, then others
    that day."""
    when = day.strftime("%d/%m/%Y")
    return "Fecha;Referencia;Descripción;Monto;Teléfono\n" + "".join(
        f"{when};{4500000 + n};PAGO MOVIL;1.000,00;04141234567\n" for n in range(tenders)
    ) + "".join(f"{when};{90000000 + n};PAGO MOVIL;{7 + n // 100 % 5000},{n % 100:02d};"
                "04140000000\n" for n in range(lines - tenders))


def imported(file: Path, db: Path) -> tuple[float, int]:
    """Seconds to import ``file`` with the command line, and the peak memory (KiB) of the
    command lines run so far (the largest is the last)."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "fairpos", "ledger", "statement", "import",
                    str(file), "--bank", "0102", "--db", str(db)], cwd=ROOT, check=True,
                   stdout=subprocess.DEVNULL)
    return time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def sale_and_sync(lane: LaneDir, n: int) -> float:
    lane.sell("--line", "G=5kg", "--pay", f"cash:USD:{10 + n % 5}")
    started = time.perf_counter()
    lane.run("sync")
    return time.perf_counter() - started


def page(server: LedgerServer, token: str, query: str) -> tuple[float, int]:
    started = time.perf_counter()
    reply = web.get(f"{server.url}/pago-movil?{query}", timeout=600,
                    headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text[:200]
    return time.perf_counter() - started, len(reply.content)


def run(lines: int, tenders: int, folder: Path) -> dict[str, float]:
    server = LedgerServer(folder / "ledger.db")
    try:
        lane = open_lane(folder / "lane", "STMT01")
        connect(lane, server)
        for n in range(tenders):
            lane.sell("--line", "G=5kg", "--pay", f"pago_movil:VES:1000,ref={4500000 + n},"
                      "bank=0102,phone=04141234567", "--pay", "cash:USD:4")
        lane.run("sync")
        day = date.fromisoformat(str(payloads(lane)[0]["business_date"]))
        with server.store() as ledger:
            token = ledger.admin_token()
        one_day = f"from={day}&to={day}"
        week = f"from={day - timedelta(days=6)}&to={day}"
        before = {"day": page(server, token, one_day), "week": page(server, token, week)}
        quiet = [sale_and_sync(lane, n) for n in range(5)]

        small, big = folder / "small.csv", folder / "big.csv"
        small.write_text(statement(day - timedelta(days=20), max(lines // 10, 1), 0))
        big.write_text(statement(day, lines, tenders))
        small_seconds, _memory = imported(small, server.db)
        busy: list[float] = []
        done = threading.Event()

        def lane_syncs() -> None:  # (one at least, however quick the import)
            for n in itertools.count():
                busy.append(sale_and_sync(lane, n))
                if done.is_set():
                    return

        syncing = threading.Thread(target=lane_syncs)
        syncing.start()
        try:
            big_seconds, memory = imported(big, server.db)
        finally:
            done.set()
            syncing.join()
        after = {"day": page(server, token, one_day), "week": page(server, token, week)}
        with server.store() as ledger:
            found = ledger.pago_movil(day, day)
        assert len(found["matched"]) == tenders, "every tender matched its line"
        return {"lines": lines, "big_seconds": big_seconds, "small_seconds": small_seconds,
                "memory_mib": memory / 1024, "quiet_sync": max(quiet),
                "busy_sync": max(busy), "syncs": len(busy),
                **{f"{k}_before": v[0] for k, v in before.items()},
                **{f"{k}_after": v[0] for k, v in after.items()},
                **{f"{k}_bytes": v[1] for k, v in after.items()}}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--tenders", type=int, default=20, help="pago móvil sales of the day")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        f = run(args.lines, args.tenders, Path(tmp))
    per_line = (f["big_seconds"] / args.lines) / (f["small_seconds"] / max(args.lines // 10, 1))
    print(f"A statement of {args.lines:,} lines, {args.tenders} of them a lane's tenders")
    print(f"1. import             {f['big_seconds']:8.1f} s   {args.lines / f['big_seconds']:9,.0f}"
          f" lines/s   peak {f['memory_mib']:6.0f} MiB   per line vs 10 %: {per_line:5.2f}x")
    print(f"2. a lane's sync      slowest {f['busy_sync']:6.2f} s during the import "
          f"({f['syncs']:.0f} syncs), {f['quiet_sync']:6.2f} s without: "
          f"{f['busy_sync'] / f['quiet_sync']:5.2f}x")
    for span in ("day", "week"):
        print(f"3. /pago-movil, {span:4}  {f[span + '_after']:6.2f} s  "
              f"{f[span + '_bytes'] / 1024:8.0f} KiB   before the statement "
              f"{f[span + '_before']:6.2f} s: {f[span + '_after'] / f[span + '_before']:6.2f}x")


if __name__ == "__main__":
    main()
