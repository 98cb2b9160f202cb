"""A centre on a PostgreSQL cluster that fails over by itself (Patroni and etcd, two nodes,
``synchronous_mode``): the ledger is given the cluster's multi-host URL, lanes ring up and sync
without pause, and the primary is killed (SIGKILL to Patroni and its postmaster) while they do.
Every ``fairpos sync`` a lane ran ends well — the ledger waits through the failover instead of
failing a request —, every entry a lane holds as acknowledged is at the centre exactly once with
the lane's own figures, and ``fairpos ledger status`` names the new primary."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.lanes import ROOT, LaneDir
from harness.sync_helpers import LedgerServer, connect, ring, stall
from tests.till_helpers import rows

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("patroni") is None or shutil.which("etcd") is None,
                                 reason="Patroni and etcd are missing (apt-get install patroni "
                                        "etcd-server: .ci/run does)")]


@pytest.fixture
def cluster() -> Iterator[object]:
    from harness.patroni import PatroniCluster

    made = PatroniCluster(nodes=2, synchronous=True, ttl=10)
    yield made
    made.remove()


class Lane(threading.Thread):
    """A lane that rings up a sale and syncs, again and again, until told to stop; every sync
    run's exit status and when it ended are kept."""

    def __init__(self, lane: LaneDir) -> None:
        super().__init__(daemon=True)
        self.lane, self.stop = lane, threading.Event()
        self.runs: list[tuple[float, int, str]] = []

    def run(self) -> None:
        seed = 0
        while not self.stop.is_set():
            seed += 1
            ring(self.lane, 1, seed=seed)
            done = subprocess.run(
                [sys.executable, "-m", "fairpos", "--data-dir", str(self.lane.path), "--lang",
                 "en", "sync", "--tries", "1"], cwd=ROOT, capture_output=True, text=True,
                timeout=300)
            self.runs.append((time.monotonic(), done.returncode, done.stdout + done.stderr))


def acknowledged(lane: LaneDir) -> list[tuple[object, ...]]:
    return rows(lane.path, "SELECT s.id, s.total FROM sales s JOIN outbox o ON o.entry_id = s.id"
                           " WHERE o.acked_at IS NOT NULL ORDER BY s.seq")


def test_lanes_sync_through_a_failover_and_nothing_is_lost_or_doubled(
        cluster: object, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from fairpos.cli import main
    from harness.patroni import PatroniCluster, wait
    from harness.sync_helpers import _Opened

    assert isinstance(cluster, PatroniCluster)
    db = cluster.create()
    server = LedgerServer(db)
    lanes = [stall(tmp_path / f"lane{n}", f"FAIL0{n}", sales=2) for n in (1, 2)]
    for number, lane in enumerate(lanes, start=1):
        connect(lane, server, number=number)
    workers = [Lane(lane) for lane in lanes]
    try:
        for worker in workers:
            worker.start()
        wait(lambda: all(sum(1 for _t, code, _o in w.runs if code == 0) >= 2 for w in workers),
             "two syncs of each lane before the failover")
        before = cluster.leader()
        killed_at = time.monotonic()
        assert cluster.kill_leader() == before
        wait(lambda: cluster.leader() not in (None, before), "a new leader", 120)
        # each lane syncs twice more once the new primary leads
        wait(lambda: all(sum(1 for t, code, _o in w.runs if t > killed_at and code == 0) >= 2
                         for w in workers), "two syncs of each lane after the failover", 300)
    finally:
        for worker in workers:
            worker.stop.set()
        for worker in workers:
            worker.join(timeout=300)
    try:
        failed = [(lane.lane.path.name, out) for lane in workers
                  for _t, code, out in lane.runs if code != 0]
        assert failed == []  # not one sync run failed, even the one cut by the kill
        for lane in lanes:
            assert lane.run("sync", "--tries", "3").exit_code == 0  # all sent
            held = acknowledged(lane)
            everything = rows(lane.path, "SELECT id, total FROM sales ORDER BY seq")
            assert held == everything
            with _Opened(db) as ledger:
                centre = ledger.all("SELECT id, total FROM sales WHERE device_id = ? "
                                    "ORDER BY id", [rows(lane.path, "SELECT id FROM device")[0][0]])
            assert [tuple(row) for row in centre] == sorted(held)  # once each, the same
        status = CliRunner().invoke(main, ["--lang", "en", "ledger", "status", "--db", db])
        new = cluster.leader()
        assert new is not None and new != before
        assert f"127.0.0.1:{cluster.ports[new]}  primary: the ledger writes here" in status.output
        assert f"127.0.0.1:{cluster.ports[before]}  unreachable" in status.output
    finally:
        server.stop()
