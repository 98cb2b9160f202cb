"""Forced failovers of the centre while lanes sync, judged by the checker.

A two-node PostgreSQL cluster under Patroni and etcd (``synchronous_mode`` on, ``ttl`` 10), a
real ledger on its multi-host URL, lanes ringing up and syncing without pause
(``harness/checker.py``): ``--lanes`` straight to the centre, ``--lossy`` through a link that
loses requests and answers (the fault proxy), and ``--hubs`` fair sites, each a hub with a lane
on a lossy site link and a lossy uplink to the centre.

``--failovers`` times: the primary is killed (SIGKILL to Patroni and its postmaster), the clock
runs until the first batch is committed on the new primary, the killed node is started again
and rejoins as the synchronous standby before the next kill. Then the faults stop, the lanes
sync once more, and the checker's verdict is printed with the figures: acknowledged entries
lost and doubled (goal 0), time from the kill to the first batch accepted (median, p99), lane
sync runs the ledger failed (goal 0) — and, measured in the same run on the healthy cluster
before the first kill, ingest throughput with ``synchronous_mode`` on against off (a lane's
backlog sent in one ``fairpos sync``).

    python -m benchmarks.failover [--failovers N] [--lanes N] [--lossy N] [--hubs N]
                                  [--backlog N] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg

from harness.checker import LOSSY, Hub, Run, SyncingLane, summary, verdict, write
from harness.fault_proxy import FaultProxy
from harness.lanes import ROOT
from harness.patroni import PatroniCluster, wait
from harness.sync_helpers import LedgerServer, connect, ring, stall


def committed(db: str) -> int:
    with psycopg.connect(db, connect_timeout=3) as conn:
        row = conn.execute("SELECT COUNT(*) FROM sales").fetchone()
    return int(row[0]) if row else 0


def first_batch_after(db: str, before: int) -> float:
    """Wait until the new primary has committed a batch more than ``before``; when."""
    while True:
        try:
            if committed(db) > before:
                return time.monotonic()
        except psycopg.Error:
            pass
        time.sleep(0.05)


def synchronous(cluster: PatroniCluster, on: bool) -> None:
    leader = cluster.leader()
    assert leader is not None
    request = urllib.request.Request(
        f"http://127.0.0.1:{cluster.apis[leader]}/config", method="PATCH",
        data=json.dumps({"synchronous_mode": on}).encode(),
        headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10):
        pass
    wait(lambda: any(m.get("role") == "sync_standby" for m in cluster.members()) == on,
         f"synchronous_mode {on}")


def throughput(root: Path, server: LedgerServer, name: str, sales: int) -> float:
    """Sales a second for a lane's backlog of ``sales`` sent in one ``fairpos sync``."""
    lane = stall(root / name, name.upper()[:6], sales=0)
    connect(lane, server, number=90 + len(name))
    ring(lane, sales, seed=7)
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "fairpos", "--data-dir", str(lane.path),
                           "--lang", "en", "sync"], cwd=ROOT, capture_output=True, text=True)
    took = time.monotonic() - started
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    return sales / took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--failovers", type=int, default=50)
    parser.add_argument("--lanes", type=int, default=2, help="lanes straight to the centre")
    parser.add_argument("--lossy", type=int, default=1,
                        help="lanes through a lossy link to the centre")
    parser.add_argument("--hubs", type=int, default=1,
                        help="hubs, each with a lane, on lossy links")
    parser.add_argument("--backlog", type=int, default=400,
                        help="sales in the backlog the throughput is measured with")
    parser.add_argument("--out", type=Path, default=None,
                        help="where the history and the verdict are written")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="fairpos-failover-"))
    out = args.out or root / "checker"
    cluster = PatroniCluster(nodes=2, synchronous=True, ttl=10)
    try:
        db = cluster.create()
        server = LedgerServer(db)
        lanes = [stall(root / f"lane{n}", f"FOVR{n:02d}", sales=2)
                 for n in range(args.lanes + args.lossy)]
        tokens = [connect(lane, server, number=number)
                  for number, lane in enumerate(lanes, start=1)]
        links = [FaultProxy(server.port, faults=LOSSY, seed=100 + n) for n in range(args.lossy)]
        for lane, token, link in zip(lanes[args.lanes:], tokens[args.lanes:], links,
                                     strict=True):
            lane.run("connect", link.url, "--token", token, "--offline")
        hubs = [Hub(root / f"hub{n}", server, seed=200 + 2 * n) for n in range(args.hubs)]
        lanes += [hub.lane(root / f"hub{n}-lane", f"FOVH{n:02d}", 50 + n)
                  for n, hub in enumerate(hubs)]
        on = throughput(root, server, "synced", args.backlog)
        synchronous(cluster, False)
        off = throughput(root, server, "asyncd", args.backlog)
        synchronous(cluster, True)
        history: list[Run] = []
        workers = [SyncingLane(lane, history, db, tries=1 if n < args.lanes else 3)
                   for n, lane in enumerate(lanes)]
        for worker in workers:
            worker.start()
        to_first_batch = []
        try:
            old = ""
            for _round in range(args.failovers):
                if old:
                    wait(lambda: cluster.replicas_streaming() == 1 and any(
                        m.get("role") == "sync_standby" for m in cluster.members()),
                        "the killed node back as the synchronous standby", 300)
                since = time.monotonic()
                wait(lambda since=since: all(
                    any(r.lane == lane.path.name and r.ended > since and r.exit == 0
                        for r in history) for lane in lanes), "each lane synced", 300)
                before = committed(db)
                killed_at = time.monotonic()
                old = cluster.kill_leader()
                to_first_batch.append(first_batch_after(db, before) - killed_at)
                cluster.failed_over(old)
                cluster.start(old)  # it rejoins as the standby
        finally:
            for worker in workers:
                worker.stop.set()
            for worker in workers:
                worker.join(timeout=600)
        for link in links:
            link.mend()
        for hub in hubs:
            hub.mend()
        healed = [subprocess.run([sys.executable, "-m", "fairpos", "--data-dir",
                                  str(lane.path), "--lang", "en", "sync", "--tries", "3"],
                                 cwd=ROOT, capture_output=True).returncode for lane in lanes]
        for hub in hubs:
            wait(lambda hub=hub: hub.waiting() == 0, "the hub's entries at the centre", 300)
        said = verdict(lanes, db, history)
        path = write(out, history, said)
        for hub in hubs:
            hub.stop()
        for link in links:
            link.close()
        server.stop()
    finally:
        cluster.remove()
    ordered = sorted(to_first_batch)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    print(f"{args.failovers} forced failovers; lanes syncing: {args.lanes} straight to the "
          f"centre, {args.lossy} through a lossy link, {args.hubs} through hubs on lossy links; "
          f"{len(history)} sync runs; history and verdict: {path.parent}")
    print(f"  checker: {json.dumps(summary(said))}; final syncs {healed}")
    print(f"  acknowledged entries lost {len(said.lost)}, duplicated {len(said.duplicated)}, "
          f"changed {len(said.changed)}; lane sync runs the ledger failed {said.failed}, "
          f"cut by a lossy link {said.cut_by_link}")
    print(f"  kill to first batch on the new primary: median "
          f"{statistics.median(ordered):.1f} s, p99 {p99:.1f} s (ttl 10 s)")
    print(f"ingest, a backlog of {args.backlog} sales in one fairpos sync")
    print(f"  synchronous_mode off   {off:8.1f} sales/s")
    print(f"  synchronous_mode on    {on:8.1f} sales/s")
    print(f"  ratio on / off         {on / off:5.2f}x")


if __name__ == "__main__":
    main()
