"""Chaos over real sockets: stalls push through a fault-injecting proxy to a real uvicorn ledger
that is killed (SIGKILL) and restarted twice. After healing, every stall's count and sum equal
the ledger's: nothing lost, nothing duplicated, nothing unexpected. The same run against a
ledger without the uniqueness rule must be caught double-counting (the control)."""

from __future__ import annotations

import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from fairpos.journal import DB_NAME, Journal
from fairpos.sync.loop import Backoff
from fairpos.sync.relay import LedgerClient, push
from fairpos.sync.wire import payload_hash
from harness.fault_proxy import FaultProxy
from harness.lanes import LaneDir
from harness.sync_helpers import LedgerServer, NaiveLedger, payloads, stall
from tests.conftest import STORES, ledger_db

FAULTS = {"reset_before": 0.08, "drop_response": 0.12, "truncate_response": 0.08,
          "stall": 0.06}
TIMEOUT = httpx.Timeout(1.0, connect=1.0)


@dataclass
class Verdict:
    device: str
    stall: tuple[int, int]  # entries, sum of totals
    ledger: tuple[int, int]  # rows, sum of totals
    lost: int
    duplicated: int
    unexpected: int
    changed: int  # on the ledger with another body than the stall's

    @property
    def ok(self) -> bool:
        return (self.stall == self.ledger and not self.lost and not self.duplicated
                and not self.unexpected and not self.changed)


def verdict(lane: LaneDir, device: str, rows: list[tuple[str, int, str]]) -> Verdict:
    """Compare the stall's journal with the (id, total, payload hash) rows a ledger holds."""
    mine = {p["id"]: (p["total"], payload_hash(p)) for p in payloads(lane)}
    seen: dict[str, int] = {}
    for sale_id, _total, _digest in rows:
        seen[sale_id] = seen.get(sale_id, 0) + 1
    return Verdict(
        device, (len(mine), sum(t for t, _h in mine.values())),
        (len(rows), sum(total for _i, total, _h in rows)),
        lost=len(set(mine) - set(seen)),
        duplicated=sum(n - 1 for n in seen.values()),
        unexpected=len(set(seen) - set(mine)),
        changed=sum(1 for i, _t, h in rows if i in mine and mine[i][1] != h))


def ledger_rows(server: LedgerServer, device: str, naive: bool = False
                ) -> list[tuple[str, int, str]]:
    if not naive:
        with server.store() as ledger:
            return [(r[0], r[1], r[2]) for r in ledger.all(
                "SELECT id, total, payload_hash FROM sales WHERE device_id = ?", [device])]
    conn = sqlite3.connect(server.db)
    try:
        if naive:
            import json

            return [(i, t, payload_hash(json.loads(p))) for i, t, p in conn.execute(
                "SELECT id, total, payload FROM sales WHERE device_id = ?", [device])]
        return [(r[0], r[1], r[2]) for r in conn.execute(
            "SELECT id, total, payload_hash FROM sales WHERE device_id = ?", [device])]
    finally:
        conn.close()


def relay_until_quiet(lane: LaneDir, url: str, token: str, stop: threading.Event,
                      stats: dict[str, int]) -> None:
    """A stall's relay: push, back off on unknown outcomes, until its outbox is empty."""
    store = Journal.open(lane.path / DB_NAME)
    backoff = Backoff(base=0.02, cap=0.3)
    try:
        with LedgerClient(url, token, timeout=TIMEOUT, keepalive=False) as client:
            while not stop.is_set():
                report = push(store, client, batch_size=50)
                stats["requests"] += report.batches + (0 if report.ok else 1)
                if report.ok:
                    return
                stats["failed"] += 1
                time.sleep(backoff.failed())
    finally:
        store.close()


def run_chaos(lanes: list[tuple[LaneDir, str]], url: str, server: LedgerServer,
              kills: int) -> dict[str, int]:
    stop = threading.Event()
    stats = {"requests": 0, "failed": 0, "kills": 0}
    threads = [threading.Thread(target=relay_until_quiet, args=(lane, url, token, stop, stats))
               for lane, token in lanes]
    for thread in threads:
        thread.start()
    for _ in range(kills):
        time.sleep(1.0)
        server.kill()
        stats["kills"] += 1
        time.sleep(0.3)
        server.start()
    deadline = time.monotonic() + 240
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    stop.set()
    assert not any(t.is_alive() for t in threads), "the stalls never caught up"
    return stats


def scenario(tmp_path: Path, server: LedgerServer, naive: bool = False, sales: int = 1000,
             kills: int = 2) -> tuple[list[Verdict], dict[str, int], dict[str, int]]:
    """3 stalls × ``sales`` through the proxy; the ledger killed and restarted ``kills``
    times."""
    proxy = FaultProxy(server.port, faults=FAULTS, latency=0.002, jitter=0.002,
                       stall_seconds=1.5, seed=20261124)
    try:
        lanes = []
        for n in range(3):
            device = f"CHAOS{n}"
            lane = stall(tmp_path / f"stall{n}", device, sales=sales, seed=n)
            token = "no-token-needed"
            if not naive:
                token = server.enrol("Feria Centro", n + 1)
                with server.store() as ledger:
                    found = ledger.device_for_token(token)
                    assert found is not None
                    ledger.claim(found.enrolment, device)
            lanes.append((lane, token))
        stats = run_chaos(lanes, proxy.url, server, kills=kills)
        verdicts = [verdict(lane, f"CHAOS{n}", ledger_rows(server, f"CHAOS{n}", naive))
                    for n, (lane, _token) in enumerate(lanes)]
    finally:
        proxy.close()
        server.stop()
    faults = {k: v for k, v in proxy.counts.items() if k != "ok"}
    print(f"\n{'control' if naive else 'chaos'}: {stats}, faults injected {faults}")
    for v in verdicts:
        print(f"  {v}")
    return verdicts, stats, faults


@pytest.mark.slow
@pytest.mark.parametrize("store", STORES)
def test_chaos_nothing_lost_nothing_twice(tmp_path: Path, store: str,
                                          request: pytest.FixtureRequest) -> None:
    verdicts, stats, faults = scenario(
        tmp_path, LedgerServer(ledger_db(store, tmp_path, request)))
    assert sum(v.stall[0] for v in verdicts) == 3000
    assert all(v.ok for v in verdicts), verdicts
    assert stats["kills"] == 2 and stats["failed"] >= 5
    assert all(faults.get(mode, 0) >= 2 for mode in FAULTS), faults


def test_the_control_without_uniqueness_is_caught(tmp_path: Path) -> None:
    """The same relay, faults and kills against a ledger that stores whatever it is sent: the
    check above must see the double counting, or it proves nothing. (Fewer sales and one kill:
    a reply lost after the rows were stored is all it takes.)"""
    verdicts, _stats, _faults = scenario(tmp_path, NaiveLedger(tmp_path / "naive.db"),
                                         naive=True, sales=500, kills=1)
    assert all(v.lost == 0 for v in verdicts)
    assert sum(v.duplicated for v in verdicts) > 0
    assert not all(v.ok for v in verdicts)
    assert sum(v.ledger[1] for v in verdicts) > sum(v.stall[1] for v in verdicts)
