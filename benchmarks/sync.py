"""Sync speed, each figure against a baseline measured in the same run.

1. One stall pushing its outbox to a real ledger (uvicorn, SQLite, loopback): sales per second,
   against raw httpx POSTs of the same gzip bodies to a bare Starlette endpoint that stores
   them (``harness/naive_ledger.py``: no validation, no uniqueness).
2. 30 stalls pushing at once to one ledger: sales per second and p99 batch latency, against
   one stall alone.
3. Bytes on the wire per sale (gzip), and the time to sync a 300-sale day through a proxy set
   to 800 ms ± 400 ms latency and 4 KB/s, against the same bytes POSTed raw through the same
   proxy to the bare endpoint.
4. With ``--against COMMIT``: figure 1 for this tree and for COMMIT, in turns (what a change
   to the ledger cost).

    python -m benchmarks.sync [--sales N] [--stalls N] [--per-stall N] [--day N]
                              [--latency S]
                              [--against COMMIT [--rounds N]]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from fairpos.journal import DB_NAME, Journal
from fairpos.sync.relay import LedgerClient, next_payloads, push
from fairpos.sync.wire import MAX_BATCH, encode_body
from harness.fault_proxy import FaultProxy
from harness.sync_helpers import LedgerServer, NaiveLedger, stall


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


def enrolled(server: LedgerServer, device: str, lane_no: int) -> str:
    token = server.enrol("Bench", lane_no)
    with server.store() as ledger:
        found = ledger.device_for_token(token)
        assert found is not None
        ledger.claim(found.enrolment, device)
    return token


def bodies(path: Path, batch: int = MAX_BATCH) -> tuple[list[bytes], int]:
    """The gzip bodies a sync would send, and how many sales they hold (the outbox is left
    as it was: payloads are kept, nothing is acknowledged)."""
    store = Journal.open(path / DB_NAME)
    try:
        sales = next_payloads(store, 1_000_000)
        device = store.device_id
    finally:
        store.close()
    return [encode_body({"device_id": device, "sales": sales[i:i + batch]})
            for i in range(0, len(sales), batch)], len(sales)


class Timed:
    """A ledger client that notes how long each batch took."""

    def __init__(self, client: LedgerClient) -> None:
        self.client = client
        self.latencies: list[float] = []
        self.inner_push = client.push
        client.push = self.push  # type: ignore[method-assign]

    def push(self, device_id: str, sales: list[dict[str, object]]) -> dict[str, object]:
        started = time.perf_counter()
        try:
            return self.inner_push(device_id, sales)
        finally:
            self.latencies.append(time.perf_counter() - started)


def push_all(path: Path, url: str, token: str, latencies: list[float] | None = None,
             timeout: float = 30.0) -> int:
    store = Journal.open(path / DB_NAME)
    try:
        with LedgerClient(url, token, timeout=httpx.Timeout(timeout)) as client:
            timed = Timed(client)
            report = push(store, client)
            assert report.ok, report.error
            if latencies is not None:
                latencies.extend(timed.latencies)
            return report.sent
    finally:
        store.close()


def raw_post(url: str, payloads: list[bytes], timeout: float = 30.0) -> None:
    with httpx.Client(base_url=url, timeout=timeout) as client:
        for body in payloads:
            response = client.post("/v1/sales/batch", content=body, headers={
                "Content-Encoding": "gzip", "Content-Type": "application/json"})
            response.raise_for_status()


def one_stall(tmp: Path, sales: int) -> None:
    lane = stall(tmp / "one", "BENCH1", sales=sales)
    raw, count = bodies(lane.path)
    server = LedgerServer(tmp / "ledger1.db")
    naive = NaiveLedger(tmp / "naive1.db")
    try:
        token = enrolled(server, "BENCH1", 1)
        started = time.perf_counter()
        sent = push_all(lane.path, server.url, token)
        ours = time.perf_counter() - started
        started = time.perf_counter()
        raw_post(naive.url, raw)
        bare = time.perf_counter() - started
    finally:
        server.stop()
        naive.stop()
    assert sent == count
    print(f"1. one stall, {count:,} sales in batches of {MAX_BATCH}, loopback")
    print(f"   raw POSTs to a bare endpoint   {count / bare:9,.0f} sales/s")
    print(f"   fairpos relay → ledger         {count / ours:9,.0f} sales/s")
    print(f"   ratio (time)                   {ours / bare:9.2f}x")


def many_stalls(tmp: Path, stalls: int, per_stall: int) -> None:
    lanes = [stall(tmp / f"many{n}", f"MANY{n:02d}", sales=per_stall, seed=n)
             for n in range(stalls + 1)]
    server = LedgerServer(tmp / "ledger30.db")
    try:
        tokens = [enrolled(server, f"MANY{n:02d}", n + 1) for n in range(stalls + 1)]
        alone: list[float] = []
        started = time.perf_counter()
        push_all(lanes[-1].path, server.url, tokens[-1], alone)
        alone_rate = per_stall / (time.perf_counter() - started)
        latencies: list[float] = []
        threads = [threading.Thread(target=push_all, args=(lanes[n].path, server.url,
                                                           tokens[n], latencies))
                   for n in range(stalls)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        together = time.perf_counter() - started
    finally:
        server.stop()
    rate = stalls * per_stall / together
    print(f"2. {stalls} stalls × {per_stall:,} sales pushing at once (batches of {MAX_BATCH})")
    print(f"   one stall alone                {alone_rate:9,.0f} sales/s   batch p99 "
          f"{p99(alone) * 1000:7.1f} ms")
    print(f"   {stalls} stalls at once             {rate:9,.0f} sales/s   batch p99 "
          f"{p99(latencies) * 1000:7.1f} ms (median {statistics.median(latencies) * 1000:.1f})")
    print(f"   ratio (throughput)             {rate / alone_rate:9.2f}x")


def slow_link(tmp: Path, sales: int = 300, latency: float = 0.8) -> None:
    lane = stall(tmp / "day", "SLOW01", sales=sales, seed=7)
    raw, count = bodies(lane.path)
    wire = sum(len(b) for b in raw)
    server = LedgerServer(tmp / "ledger-slow.db")
    naive = NaiveLedger(tmp / "naive-slow.db")
    link = FaultProxy(server.port, latency=latency, jitter=latency / 2, bandwidth=4096,
                      seed=1)
    naive_link = FaultProxy(naive.port, latency=latency, jitter=latency / 2, bandwidth=4096,
                            seed=1)
    try:
        token = enrolled(server, "SLOW01", 1)
        started = time.perf_counter()
        push_all(lane.path, link.url, token, timeout=60)
        ours = time.perf_counter() - started
        up = link.bytes_up
        started = time.perf_counter()
        raw_post(naive_link.url, raw, timeout=60)
        bare = time.perf_counter() - started
    finally:
        link.close()
        naive_link.close()
        server.stop()
        naive.stop()
    print(f"3. a {sales}-sale day: {wire:,} bytes of gzip JSON, {wire / count:.0f} bytes per sale "
          f"({up:,} bytes up with the HTTP headers)")
    print(f"   through {latency * 1000:.0f} ± {latency * 500:.0f} ms latency and 4 KB/s:")
    print(f"   raw POSTs to a bare endpoint   {bare:9.1f} s")
    print(f"   fairpos sync                   {ours:9.1f} s")
    print(f"   ratio                          {ours / bare:9.2f}x")


RELAY_ONLY = ("import sys, tempfile; from pathlib import Path; from benchmarks.sync import "
              "one_stall\nwith tempfile.TemporaryDirectory() as t: one_stall(Path(t), "
              "int(sys.argv[1]))")


def against(commit: str, sales: int, rounds: int) -> None:
    """Figure 1 for this tree and for ``commit`` (checked out beside it), in turns, so that
    both meet the same machine: what a change to the ledger cost in sync throughput."""
    import re
    import subprocess
    import sys

    root = Path(__file__).resolve().parent.parent
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp) / "base"
        subprocess.run(["git", "-C", str(root), "worktree", "add", "--detach", "-q", str(base),
                        commit], check=True)
        try:
            rates: dict[str, list[float]] = {"base": [], "this": []}
            for _ in range(rounds):
                for name, tree in (("base", base), ("this", root)):
                    out = subprocess.run([sys.executable, "-c", RELAY_ONLY, str(sales)],
                                         cwd=tree, capture_output=True, text=True,
                                         check=True).stdout
                    found = re.search(r"relay → ledger\s+([\d,]+) sales/s", out)
                    assert found is not None, out
                    rates[name].append(float(found.group(1).replace(",", "")))
        finally:
            subprocess.run(["git", "-C", str(root), "worktree", "remove", "--force", str(base)],
                           check=True)
    mine, theirs = statistics.median(rates["this"]), statistics.median(rates["base"])
    print(f"4. figure 1 against {commit}, median of {rounds} turns each")
    print(f"   {commit:<30} {theirs:9,.0f} sales/s")
    print(f"   {'this tree':<30} {mine:9,.0f} sales/s")
    print(f"   ratio (throughput)             {mine / theirs:9.2f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sales", type=int, default=5000)
    parser.add_argument("--stalls", type=int, default=30)
    parser.add_argument("--per-stall", type=int, default=400)
    parser.add_argument("--day", type=int, default=300, help="sales of the day on the slow link")
    parser.add_argument("--latency", type=float, default=0.8, help="the slow link's, in s")
    parser.add_argument("--against", metavar="COMMIT",
                        help="also measure figure 1 at COMMIT, in turns with this tree")
    parser.add_argument("--rounds", type=int, default=5, help="turns each, with --against")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one_stall(Path(tmp), args.sales)
        many_stalls(Path(tmp), args.stalls, args.per_stall)
        slow_link(Path(tmp), args.day, args.latency)
    if args.against:
        against(args.against, args.sales, args.rounds)


if __name__ == "__main__":
    main()
