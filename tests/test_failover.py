"""A centre on a PostgreSQL cluster that fails over by itself (Patroni and etcd, two nodes),
checked the way Jepsen checks (``harness/checker.py``): lanes ring up and sync without pause —
straight to the centre, through a link that loses requests and answers, and through a hub on
lossy links — while the primary is killed (SIGKILL to Patroni and its postmaster); the history
of every sync run is kept, and after the faults are healed the checker compares what each lane
holds as acknowledged with what the centre holds.

With ``synchronous_mode``: nothing lost, doubled or changed, no sync run failed by the ledger
(it waits through the failover instead of failing a request), resume points only forward, and
``fairpos ledger status`` names the new primary. The negative control — replication cut and
``synchronous_mode`` off before the kill — must show the checker the acknowledged entries the
new primary lacks, and the lanes' next day close must send them again: the checker is not
blind, and the lanes mend what the centre lost."""

from __future__ import annotations

import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from harness.checker import LOSSY, Hub, Run, SyncingLane, lane_device, verdict, write
from harness.lanes import LaneDir
from harness.sync_helpers import LedgerServer, connect, ring, stall

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("patroni") is None or shutil.which("etcd") is None,
                                 reason="Patroni and etcd are missing (apt-get install patroni "
                                        "etcd-server: .ci/run does)")]


@pytest.fixture
def made(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The cluster (its kind from the test's parameter), a ledger on it, and two lanes."""
    from harness.patroni import PatroniCluster

    synchronous = getattr(request, "param", True)
    cluster = PatroniCluster(nodes=2, synchronous=synchronous, ttl=10,
                             lag_on_failover=(1 << 20) if synchronous else (1 << 30))
    db = cluster.create()
    # the pages read from the standby while there is one (``prefer-standby``)
    server = LedgerServer(db, log=tmp_path / "ledger.log", options=[
        "--read-db", db.replace("target_session_attrs=read-write",
                                "target_session_attrs=prefer-standby")])
    lanes = [stall(tmp_path / f"lane{n}", f"FAIL0{n}", sales=2) for n in (1, 2)]
    for number, lane in enumerate(lanes, start=1):
        connect(lane, server, number=number)
    yield cluster, db, server, lanes
    server.stop()
    cluster.remove()


def day_page(server: LedgerServer, lanes: list[LaneDir]) -> str:
    """The day's page for the lanes' fair, as its admin reads it (from the read database)."""
    from harness import web
    from harness.sync_helpers import payloads

    with server.store() as ledger:
        token = ledger.admin_token()
    day = payloads(lanes[0])[-1]["business_date"]
    reply = web.get(f"{server.url}/day/{day}", params={"fair": "Feria Centro"}, timeout=60,
                    headers={"Authorization": f"Bearer {token}"})
    assert reply.status_code == 200, reply.text[:500]
    return reply.text


def runs_after(history: list[Run], moment: float, lane: str) -> int:
    return sum(1 for run in history if run.lane == lane and run.ended > moment and run.exit == 0)


def test_lanes_sync_through_a_failover_and_the_checker_finds_nothing_wrong(
        made: Any, tmp_path: Path) -> None:
    """Two lanes straight to the centre, one through a lossy link to it, one through a lossy
    site link to a hub whose uplink is lossy too: all sync without pause while the primary is
    killed. The straight lanes see no failed run (the ledger waits through the failover);
    the links cut runs, which the lanes' next runs settle; nothing is lost, doubled, changed."""
    from click.testing import CliRunner

    from fairpos.cli import main
    from harness.fault_proxy import FaultProxy
    from harness.patroni import wait

    cluster, db, server, straight = made
    lossy_link = FaultProxy(server.port, faults=LOSSY, seed=3)
    hub = Hub(tmp_path / "site", server)
    lossy = stall(tmp_path / "lossy", "FAIL03", sales=2)
    lossy.run("connect", lossy_link.url, "--token", connect(lossy, server, number=3),
              "--offline")
    by_hub = hub.lane(tmp_path / "by-hub", "FAIL04", 4)
    lanes = [*straight, lossy, by_hub]
    history: list[Run] = []
    workers = [SyncingLane(lane, history, db, tries=1 if lane in straight else 3,
                           pause=1.0 if lane is by_hub else 0.0) for lane in lanes]
    for worker in workers:
        worker.start()
    try:
        wait(lambda: all(runs_after(history, 0, lane.path.name) >= 2 for lane in lanes),
             "two syncs of each lane before the failover", 300)
        before = cluster.leader()
        killed_at = time.monotonic()
        assert cluster.kill_leader() == before
        cluster.failed_over(before)
        wait(lambda: all(runs_after(history, killed_at, lane.path.name) >= 2
                         for lane in lanes), "two syncs of each lane after the failover", 300)
    finally:
        for worker in workers:
            worker.stop.set()
        for worker in workers:
            worker.join(timeout=600)
    lossy_link.mend()
    hub.mend()
    for lane in lanes:
        assert lane.run("sync", "--tries", "3").exit_code == 0  # healed: all sent
    wait(lambda: hub.waiting() == 0, "the hub's entries at the centre", 120)
    # the pages read through the failover: their standby became the primary
    page = day_page(server, straight)
    assert all(lane_device(lane) in page for lane in lanes)
    said = verdict(lanes, db, history)
    path = write(tmp_path / "checker", history, said)
    hub.stop()
    lossy_link.close()
    assert said.valid, path.read_text()
    for link in (lossy_link, hub.site_link, hub.uplink):  # (each did lose something)
        assert sum(link.counts[fault] for fault in LOSSY) > 0, link.counts
    assert said.acknowledged == said.at_centre and said.acknowledged >= 4 * (2 + 4)
    # the straight lanes: no run failed or was cut; the ledger answered them after the kill
    assert [run for run in history if run.lane in {"lane1", "lane2"} and run.exit != 0] == []
    first_after = min(run.ended for run in history if run.ended > killed_at and run.exit == 0)
    assert first_after > killed_at
    status = CliRunner().invoke(main, ["--lang", "en", "ledger", "status", "--db", db])
    new = cluster.leader()
    assert new is not None and new != before
    assert f"127.0.0.1:{cluster.ports[new]}  primary: the ledger writes here" in status.output
    assert f"127.0.0.1:{cluster.ports[before]}  unreachable" in status.output


def test_a_switchover_then_a_frozen_primary_left_for_the_new_one(made: Any,
                                                                  tmp_path: Path) -> None:
    """First a switchover for maintenance (the lead moved to the standby while the lanes
    sync: none of their syncs fails). Then the new primary frozen — its machine paused:
    Patroni and every PostgreSQL process stopped, its kernel still taking bytes, so that a
    statement on it never ends and never fails. The ledger's watchdog finds the server does
    not answer a new connection and cuts the ones in use; the lanes are answered by the new
    primary while the old one is still frozen, late and never wrong; it comes back as a
    standby, and nothing is lost or doubled."""
    from harness.patroni import wait

    cluster, db, _server, lanes = made
    history: list[Run] = []
    workers = [SyncingLane(lane, history, db) for lane in lanes]
    for worker in workers:
        worker.start()
    try:
        wait(lambda: all(runs_after(history, 0, lane.path.name) >= 2 for lane in lanes),
             "two syncs of each lane before the switchover")
        switched_at = time.monotonic()
        frozen = cluster.switchover()
        wait(lambda: all(runs_after(history, switched_at, lane.path.name) >= 2
                         for lane in lanes), "two syncs of each lane after the switchover")
        # (only a synchronous standby may be promoted: the old leader must be one again)
        wait(lambda: any(m.get("role") == "sync_standby" for m in cluster.members()),
             "the old leader the synchronous standby")
        paused_at = time.monotonic()
        cluster.pause(frozen)
        try:
            cluster.failed_over(frozen)
            wait(lambda: all(runs_after(history, paused_at, lane.path.name) >= 2
                             for lane in lanes), "two syncs of each lane, the old primary "
                 "still frozen", 300)
        finally:
            cluster.resume(frozen)
    finally:
        for worker in workers:
            worker.stop.set()
        for worker in workers:
            worker.join(timeout=600)
    for lane in lanes:
        assert lane.run("sync", "--tries", "3").exit_code == 0
    said = verdict(lanes, db, history)
    path = write(tmp_path / "checker", history, said)
    assert said.valid, path.read_text()
    assert said.acknowledged == said.at_centre
    assert [run.said for run in history if run.exit != 0] == []  # none failed, none cut
    log = (tmp_path / "ledger.log").read_text()
    assert f"the database at 127.0.0.1:{cluster.ports[frozen]} does not answer: its " \
           "connection is cut" in log, log[-3000:]


@pytest.mark.parametrize("made", [False], indirect=True, ids=["asynchronous"])
def test_the_checker_sees_what_an_asynchronous_failover_loses_and_the_lanes_mend_it(
        made: Any, tmp_path: Path) -> None:
    """The negative control: the primary stops sending WAL, the lanes' next batches are
    acknowledged by it alone, it dies, the standby is promoted without them."""
    from harness.patroni import wait

    cluster, db, _server, lanes = made
    history: list[Run] = []
    workers = [SyncingLane(lane, history, db) for lane in lanes]
    for worker in workers:
        worker.start()
    wait(lambda: all(runs_after(history, 0, lane.path.name) >= 2 for lane in lanes),
         "two syncs of each lane")
    for worker in workers:
        worker.stop.set()
    for worker in workers:
        worker.join(timeout=600)
    leader = cluster.leader()
    standby = next(name for name in cluster.names if name != leader)
    cluster.cut_replication()
    for lane in lanes:  # acknowledged by the primary alone
        ring(lane, 3, seed=99)
        assert lane.run("sync", "--tries", "1").exit_code == 0
    cluster.kill_leader()
    cluster.mend_replication()
    assert cluster.failed_over(leader) == standby
    lost = verdict(lanes, db, history)
    assert len(lost.lost) >= 2 * 3, lost  # the checker sees them
    assert not lost.duplicated and not lost.changed
    # the lanes' next syncs close the day again, find what the centre lacks, and send it
    said = "".join(lane.run("sync", "--tries", "3").output for lane in lanes)
    assert "entries the ledger lacked" in said, said
    healed = verdict(lanes, db, history)
    write(tmp_path / "checker", history, healed)
    assert healed.lost == [] and healed.duplicated == [] and healed.changed == []


def test_the_checker_is_not_fooled_by_a_centre_that_doubles_or_changes(tmp_path: Path) -> None:
    """The checker's own control, on a ledger on SQLite made to break its rules: an entry whose
    body was altered, one gone, a resume point that went back — each is said."""
    import sqlite3

    from harness.sync_helpers import LedgerServer as Ledger

    server = Ledger(tmp_path / "ledger.db")
    try:
        lane = stall(tmp_path / "lane", "FAKE01", sales=3)
        connect(lane, server)
        assert lane.run("sync").exit_code == 0
        history = [Run("lane", 1.0, 0, 3, 3, ""), Run("lane", 2.0, 0, 3, 2, "")]
        with sqlite3.connect(tmp_path / "ledger.db") as conn:  # a centre that breaks its rules
            for (trigger,) in conn.execute("SELECT name FROM sqlite_master WHERE type = "
                                           "'trigger' AND tbl_name = 'sales'").fetchall():
                conn.execute(f"DROP TRIGGER {trigger}")
            conn.execute("UPDATE sales SET payload_hash = 'x' WHERE id = 'FAKE01-000002'")
        said = verdict([lane], str(tmp_path / "ledger.db"), history)
        assert said.changed == ["FAKE01-000002"]
        assert said.backwards == ["lane: resume point 3 → 2"]
        assert not said.valid
        with sqlite3.connect(tmp_path / "ledger.db") as conn:
            conn.execute("DELETE FROM sales WHERE id = 'FAKE01-000003'")
        assert verdict([lane], str(tmp_path / "ledger.db"), []).lost == ["FAKE01-000003"]
        # a run the link cut is told from one the ledger failed: only the second is a failure
        server.stop()
        ring(lane, 1, seed=5)
        cut = lane.run("sync", "--tries", "1", ok=False)
        runs = [Run("lane", 3.0, cut.exit_code, 3, None, cut.output),
                Run("lane", 4.0, 2, 3, None, "Try 1 of 1: 1 entry went out but no answer came "
                    "back (the ledger failed (500)); they go again, and the ledger counts "
                    "nothing twice."),
                Run("lane", 5.0, 2, 3, None, "Try 1 of 1: 1 entry went out but no answer came "
                    "back (the ledger cannot reach its database (503): the entries go again "
                    "later); they go again, and the ledger counts nothing twice.")]
        assert [run.outcome for run in runs] == ["link", "ledger", "ledger"], cut.output
        counted = verdict([lane], str(tmp_path / "ledger.db"), runs)
        assert (counted.cut_by_link, counted.failed) == (1, 2)
    finally:
        server.stop()
