"""The ledger on PostgreSQL as a cooperative runs it: several processes on one database, the
database restarted mid-sync, a failover to a replica that was behind, a SQLite ledger moved
over — all against real servers the tests start themselves."""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from fairpos.journal import DB_NAME, Journal
from fairpos.ledger.store.records import DayReport, to_json
from fairpos.sync.relay import LedgerClient, push
from fairpos.sync.wire import canonical
from harness import web
from harness.lanes import ROOT, LaneDir, wait_until
from harness.postgres import Postgres
from harness.sync_helpers import (
    LedgerServer,
    connect,
    ledger_sums,
    payloads,
    ring,
    stall,
    stall_sums,
)


def batch_body(device: str, sales: list[dict[str, Any]]) -> bytes:
    return gzip.compress(canonical({"device_id": device, "sales": sales}))


def post(url: str, token: str, body: bytes) -> dict[str, Any]:
    reply = web.post(f"{url}/v1/sales/batch", content=body, timeout=60, headers={
        "Authorization": f"Bearer {token}", "Content-Encoding": "gzip",
        "Content-Type": "application/json"})
    assert reply.status_code == 200, reply.text
    result: dict[str, Any] = reply.json()
    return result


@pytest.mark.parametrize("processes", [2, 4])
@pytest.mark.slow
def test_several_ledger_processes_on_one_database(tmp_path: Path, postgres: Postgres,
                                                  processes: int) -> None:
    """Every batch sent to two processes at the same instant, all batches at once: each
    entry is accepted exactly once, every reply acknowledges all it was sent."""
    db = postgres.create()
    servers = [LedgerServer(db, publish=n == 0) for n in range(processes)]
    try:
        lanes = [stall(tmp_path / f"s{n}", f"MULTI{n}", sales=120, seed=n) for n in range(3)]
        tokens = [connect(lane, servers[0], number=n + 1) for n, lane in enumerate(lanes)]
        jobs = []
        pairs = itertools.cycle(itertools.combinations(range(processes), 2))
        for lane, token in zip(lanes, tokens, strict=True):
            sales = payloads(lane)
            device = sales[0]["id"].split("-")[0]
            for start in range(0, len(sales), 20):
                body = batch_body(device, sales[start:start + 20])
                jobs.append((token, body, [s["id"] for s in sales[start:start + 20]],
                             next(pairs)))
        replies: list[tuple[list[str], dict[str, Any]]] = []
        lock = threading.Lock()

        def send_twice(token: str, body: bytes, ids: list[str], pair: tuple[int, int]) -> None:
            together = threading.Barrier(2)

            def one(n: int) -> None:
                together.wait()
                reply = post(servers[n].url, token, body)
                with lock:
                    replies.append((ids, reply))
            threads = [threading.Thread(target=one, args=(n,)) for n in pair]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()

        workers = [threading.Thread(target=send_twice, args=job) for job in jobs]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert len(replies) == 2 * len(jobs)
        accepted: Counter[str] = Counter()
        for ids, reply in replies:
            assert sorted(reply["accepted"] + reply["duplicate"]) == sorted(ids)  # acks true
            assert reply["rejected"] == [] and reply["conflict"] == []
            accepted.update(reply["accepted"])
        assert set(accepted) == {i for ids, _r in replies for i in ids}
        assert set(accepted.values()) == {1}  # each entry accepted exactly once
        for n, lane in enumerate(lanes):
            assert ledger_sums(db, f"MULTI{n}") == stall_sums(lane)
    finally:
        for server in servers:
            server.stop()


def held_sockets(port: int) -> dict[int, dict[str, int]]:
    """Each process holding a TCP socket on local ``port``: how many it has listening and
    established (read from /proc, as ``ss -tp`` does)."""
    states = {"0A": "listening", "01": "established"}
    kinds: dict[str, str] = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if int(fields[1].rsplit(":", 1)[1], 16) == port and fields[3] in states:
                kinds[fields[9]] = states[fields[3]]
    held: dict[int, dict[str, int]] = {}
    for fd in Path("/proc").glob("[0-9]*/fd/*"):
        try:
            target = os.readlink(fd)
        except OSError:
            continue  # (gone meanwhile)
        kind = kinds.get(target[8:-1]) if target.startswith("socket:[") else None
        if kind is not None:
            counts = held.setdefault(int(fd.parts[2]), {"listening": 0, "established": 0})
            counts[kind] += 1
    return held


def test_workers_share_one_port_and_the_connections(tmp_path: Path, postgres: Postgres) -> None:
    """Each worker listens on its own socket: 40 stalls connecting at once are shared out
    among them (on one shared socket the first to wake would take them all); a worker that
    dies is started again, and the ledger keeps taking syncs."""
    db = postgres.create()
    server = LedgerServer(db, options=["--workers", "2"])
    clients: list[socket.socket] = []
    try:
        lane = stall(tmp_path / "s", "WORK01", sales=60, seed=3)
        connect(lane, server)
        assert "matched — 60 entries" in lane.run("sync").stdout
        assert ledger_sums(db, "WORK01") == stall_sums(lane)
        assert server.process is not None
        supervisor = server.process.pid  # (it holds every worker's socket too)
        workers = {pid for pid, held in held_sockets(server.port).items()
                   if held["listening"] and pid != supervisor}
        assert len(workers) == 2
        clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(40)]
        for client in clients:  # each kept alive after its reply, as a stall's relay does
            client.sendall(b"GET /v1/health HTTP/1.1\r\nHost: ledger\r\n\r\n")
        for client in clients:
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
        shared = {pid: held["established"] for pid, held in held_sockets(server.port).items()
                  if pid in workers}
        assert sum(shared.values()) == 40
        assert min(shared.values()) >= 5, shared  # (all on one: the bug this guards)
        victim = max(workers)
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: len({pid for pid, held in held_sockets(server.port).items()
                                if held["listening"]} - {victim, supervisor}) == 2,
                   "a worker started in the dead one's place")
        ring(lane, 5, seed=4)
        assert "matched — 65 entries" in lane.run("sync").stdout
    finally:
        for client in clients:
            client.close()
        server.stop()


def test_stalls_that_connect_while_the_workers_start_are_shared_out(
        tmp_path: Path, postgres: Postgres) -> None:
    """A reconnection wave that meets a ledger still starting: the supervisor listens on every
    worker's socket before any worker runs, so the stalls' connections wait in those sockets
    and are shared out (they are neither refused nor all taken by the first worker up)."""
    from harness.fake_printer import free_port

    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "fairpos", "ledger", "serve", "--port", str(port), "--workers",
         "2", "--db", postgres.create()], cwd=ROOT, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": str(ROOT)})
    clients: list[socket.socket] = []
    try:
        wait_until(lambda: held_sockets(port).get(process.pid, {}).get("listening") == 2,
                   "the supervisor listening on both workers' sockets")
        clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(40)]
        for client in clients:
            client.sendall(b"GET /v1/health HTTP/1.1\r\nHost: ledger\r\n\r\n")
        for client in clients:
            client.settimeout(60)
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
        shared = {pid: held["established"] for pid, held in held_sockets(port).items()
                  if pid != process.pid and held["established"]}
        assert len(shared) == 2 and sum(shared.values()) == 40
        assert min(shared.values()) >= 5, shared
    finally:
        for client in clients:
            client.close()
        process.terminate()
        process.wait(timeout=30)


def test_a_worker_socket_that_cannot_be_bound_stops_the_ledger_in_one_line(
        capsys: pytest.CaptureFixture[str]) -> None:
    """The port taken between the check and the binding (by a socket that does not share it):
    the supervisor says so in one line and starts no worker."""
    from fairpos.ledger.server import STARTUP_FAILED, supervise

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(SystemExit) as ended:
            supervise(2, (socket.AF_INET, ("127.0.0.1", port)), {})
    assert ended.value.code == STARTUP_FAILED
    said = capsys.readouterr().err.strip()
    assert said.startswith("fairpos ledger: ") and "Address already in use" in said
    assert "\n" not in said


def test_a_ledger_will_not_share_its_port(tmp_path: Path, postgres: Postgres) -> None:
    """A second ledger on a port in use — another ledger's workers included — is refused in
    one line instead of quietly taking a share of the first one's stalls."""
    db = postgres.create()
    server = LedgerServer(db, options=["--workers", "2"])
    try:
        lane = stall(tmp_path / "s", "PORT01")
        said = lane.fail("ledger", "serve", "--port", str(server.port), "--workers", "2",
                         "--db", db)
        assert f"cannot listen on 127.0.0.1:{server.port} (Address already in use)" in said
    finally:
        server.stop()


def test_connections_the_server_dropped_are_replaced_without_a_failure(tmp_path: Path) -> None:
    """PostgreSQL restarted (or failed over) while the ledger's connections sat in its pool:
    the next batch and the next read are served on new connections, not failed."""
    from fairpos.ledger.store import open_ledger

    pg = Postgres()
    try:
        ledger = open_ledger(pg.create())
        try:
            enrolment, _token = ledger.enrol("Feria Centro", 1)
            ledger.claim(enrolment, "DROP01")
            sales = payloads(stall(tmp_path / "s", "DROP01", sales=10, seed=4))
            assert len(ledger.ingest("DROP01", sales[:5]).accepted) == 5
            pg.stop()
            pg.start()
            assert len(ledger.ingest("DROP01", sales[5:]).accepted) == 5
            pg.stop()
            pg.start()
            assert ledger.all("SELECT COUNT(*) FROM sales")[0][0] == 10
        finally:
            ledger.close()
    finally:
        pg.remove()


@pytest.mark.slow
def test_postgresql_restarted_in_the_middle_of_a_sync(tmp_path: Path) -> None:
    """The database goes away between batches and comes back: the ledger waits for it (as
    through a failover) and the relay's sends are answered late, never wrong; nothing is lost
    or counted twice."""
    pg = Postgres()
    try:
        db = pg.create()
        log = tmp_path / "ledger.log"
        server = LedgerServer(db, log=log)
        lane = stall(tmp_path / "s", "RESTRT", sales=600, seed=5)
        token = connect(lane, server)
        failures = []
        done = threading.Event()

        def sync() -> None:
            store = Journal.open(lane.path / DB_NAME)
            try:
                with LedgerClient(server.url, token, timeout=httpx.Timeout(60)) as client:
                    while True:
                        report = push(store, client, batch_size=20)
                        if report.error is None:
                            break
                        failures.append(str(report.error))
                        time.sleep(0.1)  # (as a relay pauses: not a hot loop while PG is down)
            finally:
                store.close()
                done.set()

        worker = threading.Thread(target=sync)
        worker.start()
        wait_until(lambda: ledger_sums(db, "RESTRT")[0] >= 100 or done.is_set(),
                   "the first batches on the ledger")
        pg.kill()
        wait_until(lambda: "the database is unavailable" in log.read_text() or done.is_set(),
                   "the ledger waiting for its database")
        pg.start()
        worker.join(timeout=240)
        assert done.is_set() and "the database is unavailable" in log.read_text()
        assert failures == []  # the ledger waited: no send failed
        assert ledger_sums(db, "RESTRT") == stall_sums(lane)
        with server.store() as ledger:
            rows = ledger.all("SELECT COUNT(*), COUNT(DISTINCT id) FROM sales")[0]
        assert rows[0] == rows[1] == 600
        server.stop()
    finally:
        pg.remove()


@pytest.mark.slow
def test_a_database_out_of_reach_past_the_ledgers_patience_is_answered_503(
        tmp_path: Path) -> None:
    """No database for longer than ``--db-patience``: the lane is told so in one line (503,
    not a timeout), keeps its entries, and sends them when the database is back."""
    pg = Postgres()
    try:
        db = pg.create()
        server = LedgerServer(db, options=["--db-patience", "1"])
        lane = stall(tmp_path / "s", "PATIEN", sales=3, seed=5)
        connect(lane, server)
        pg.kill()
        said = lane.run("sync", "--tries", "1", ok=False)
        assert said.exit_code == 2, said.output
        assert ("the ledger cannot reach its database (503): the entries go again later"
                in said.output), said.output
        assert "3 entries wait on this lane" in said.output
        pg.start()
        assert lane.run("sync", "--tries", "3").exit_code == 0
        assert ledger_sums(db, "PATIEN") == stall_sums(lane)
        server.stop()
    finally:
        pg.remove()


def test_ledger_status_names_each_node_and_refuses_when_none_takes_writes(
        postgres: Postgres, tmp_path: Path) -> None:
    """``fairpos ledger status``: each server of the URL and its role; exit 1 in one line when
    none is a primary; a SQLite ledger's file."""
    from click.testing import CliRunner

    from fairpos.cli import main
    from harness.fake_printer import free_port

    db = postgres.create()
    dead = free_port()
    url = db.replace(f"127.0.0.1:{postgres.port}",
                     f"127.0.0.1:{postgres.port},127.0.0.1:{dead}")
    assert url != db
    said = CliRunner().invoke(main, ["--lang", "en", "ledger", "status", "--db", url])
    assert said.exit_code == 0, said.output
    assert f"127.0.0.1:{postgres.port}  primary: the ledger writes here" in said.output
    assert f"127.0.0.1:{dead}  unreachable (" in said.output
    alone = db.replace(f"127.0.0.1:{postgres.port}", f"127.0.0.1:{dead}")
    none = CliRunner().invoke(main, ["--lang", "es", "ledger", "status", "--db", alone])
    assert none.exit_code == 1
    assert none.stderr.strip().splitlines()[-1] == (
        "fairpos: no responde ningún primario: el libro central no puede escribir ahora")
    sqlite = CliRunner().invoke(main, ["--lang", "en", "ledger", "status", "--db",
                                       str(tmp_path / "nothing.db")])
    assert sqlite.exit_code == 1 and "there is no ledger at" in sqlite.stderr


def frozen(pg: Postgres, stop: bool) -> None:
    """Every process of the server stopped (SIGSTOP) or let go on (SIGCONT)."""
    postmaster = pg.pid()
    children = [int(stat.parent.name) for stat in Path("/proc").glob("[0-9]*/stat")
                if stat.read_text().rsplit(")", 1)[-1].split()[1] == str(postmaster)]
    for pid in (postmaster, *children):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGSTOP if stop else signal.SIGCONT)


def test_a_slow_statement_goes_on_and_one_on_a_frozen_server_is_cut() -> None:
    """The watchdog asks a server whose statement runs long whether it takes a new
    connection: a live one does, and its statement goes on to the end; a frozen one (its
    processes stopped, its kernel still taking bytes) does not, and the statement fails as on
    a cut connection — the error a ledger's request is tried again on — instead of waiting for
    ever."""
    from fairpos.ledger.failover import unavailable
    from fairpos.ledger.store.backends import PostgresBackend

    pg = Postgres()
    backend = None
    try:
        backend = PostgresBackend(pg.create())
        backend.watchdog.after, backend.watchdog.every = 0.5, 0.1
        backend.pool.timeout = 3.0  # (for a connection from the pool: the test waits less)
        assert backend.all("SELECT 7 FROM pg_sleep(2)")[0][0] == 7  # slow, not cut
        frozen(pg, True)
        try:
            with pytest.raises(Exception) as raised:
                backend.all("SELECT 1")
            assert unavailable(raised.value), raised.value
        finally:
            frozen(pg, False)
        def answered() -> bool:
            assert backend is not None
            try:
                return bool(backend.all("SELECT 8")[0][0] == 8)
            except Exception as err:  # (until the pool has new connections)
                assert unavailable(err), err
                return False

        wait_until(answered, "the server back")
    finally:
        if backend is not None:
            backend.close()
        pg.remove()


def normal(report: DayReport) -> str:
    """A report with its lists in one order (engines break ties in ORDER BY their own way)."""
    return json.dumps({key: sorted(json.dumps(item, sort_keys=True) for item in value)
                       if isinstance(value, list) else value
                       for key, value in to_json(report).items()}, sort_keys=True)


@pytest.mark.slow
def test_a_sqlite_ledger_of_100000_sales_moves_to_postgresql(tmp_path: Path,
                                                             postgres: Postgres) -> None:
    """Every table copied, counted, summed and hashed; every report the same after."""
    from fairpos.ledger.store import SqliteLedger, open_ledger

    templates = payloads(stall(tmp_path / "s", "TMPL01", sales=40, seed=11))
    source = SqliteLedger(tmp_path / "ledger.db")
    devices = []
    for n, fair in enumerate(("Feria Centro", "Feria Norte", "Feria Centro")):
        enrolment, _token = source.enrol(fair, n + 1)
        devices.append(source.claim(enrolment, f"BIG{n:03d}").device_id)
    source.add_voucher("snap", "SNAP token")
    admin = source.admin_token()
    assert source.sign_in(admin) is not None
    days = ["2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23", "2026-11-24"]
    sales, lines, tenders = [], [], []
    for n in range(100_000):
        device = devices[n % 3]
        seq = n // 3 + 1
        sale = {**templates[n % len(templates)], "id": f"{device}-{seq:06d}", "seq": seq,
                "business_date": days[n % 5]}
        payload = canonical(sale)
        sales.append((sale["id"], device, seq, sale["kind"], None, sale["business_date"],
                      sale["confirmed_at"], 0, sale["currency"], sale["total"],
                      sale["catalog_version"], payload.decode(),
                      hashlib.sha256(payload).hexdigest(), "2026-11-25T00:00:00+00:00"))
        lines.extend((sale["id"], k, x["kind"], x["code"], x["name_es"], x["price_class"],
                      x["grams"], x["count"], x["amount"], int(x["voided"]))
                     for k, x in enumerate(sale["lines"], start=1))
        tenders.extend((sale["id"], k, t["method"], t["currency"], t["amount"])
                       for k, t in enumerate(sale["tenders"], start=1))
    with source.transaction() as conn:
        conn.executemany("INSERT INTO sales (id, device_id, seq, kind, ref_id, business_date, "
                         "confirmed_at, training, currency, total, catalog_version, payload, "
                         "payload_hash, received_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                         sales)
        conn.executemany("INSERT INTO sale_lines (sale_id, line_no, kind, code, name, "
                         "price_class, grams, count, amount, voided) "
                         "VALUES (?,?,?,?,?,?,?,?,?,?)", lines)
        conn.executemany("INSERT INTO sale_tenders VALUES (?,?,?,?,?)", tenders)
        # (written straight, as a ledger from before the pages' sums: its migration sums them)
        conn.execute("DROP TABLE day_lines")
        conn.execute("DROP TABLE day_sales")
        conn.execute("DELETE FROM schema_version WHERE version IN (7, 8)")
    source.close()
    source = SqliteLedger(tmp_path / "ledger.db")
    assert source.all("SELECT COUNT(*) FROM day_lines")[0][0] > 0
    bad = {**templates[0], "id": f"{devices[0]}-{40000:06d}", "seq": 40000, "total": 1}
    assert source.ingest(devices[0], [bad]).rejected  # a quarantined entry moves too
    [held] = source.quarantine_page(state="all")[0]
    source.review_quarantined(held.id, "Revisado en asamblea.")  # and its review
    source.set_timezone("Feria Norte", "America/Caracas")  # and a fair's time zone
    assert source.day_close(devices[1], {"business_date": days[0], "max_seq": 1})
    asked = [*((day, None) for day in days), (days[0], "Feria Centro"),
             (days[0], "Feria Norte")]  # every day of every fair, and one day of each fair
    before = {(day, fair): normal(source.report(day, fair)) for day, fair in asked}
    assert all(json.loads(report)["products"] for report in before.values())  # (summed)
    glance = source.fair_days()
    source.close()

    db = postgres.create()
    moved = LaneDir(tmp_path).run("ledger", "migrate", "--from", str(tmp_path / "ledger.db"),
                                  "--to", db)
    assert "every table the same" in moved.stdout and "≠" not in moved.stdout
    assert "100,000" in moved.stdout  # the sales, counted on both sides
    target = open_ledger(db)
    try:
        after = {(day, fair): normal(target.report(day, fair)) for day, fair in asked}
        assert after == before
        assert target.fair_days() == glance
        assert target.is_admin(admin) and target.vouchers() == {"snap": "SNAP token"}
        assert target.quarantine_page(state="reviewed")[0][0].note == "Revisado en asamblea."
        assert target.timezones()["Feria Norte"].key == "America/Caracas"
        enrolment, _token = target.enrol("Feria Sur", 1)  # numbering carries on
        assert enrolment == 4
    finally:
        target.close()
    again = LaneDir(tmp_path).run("ledger", "migrate", "--from", str(tmp_path / "ledger.db"),
                                  "--to", db, ok=False)
    assert again.exit_code == 1 and "already holds a ledger" in again.stderr


@pytest.mark.slow
def test_a_failover_to_a_replica_that_was_behind_loses_nothing(tmp_path: Path) -> None:
    """Asynchronous streaming replication; the replica stops receiving; the primary
    acknowledges more batches and is killed; the replica is promoted and the ledger restarted
    on it. The stalls' next day close finds what the new primary lacks, sends it again, and
    every day matches: lost 0, duplicated 0."""
    primary = Postgres()
    replica: Postgres | None = None
    try:
        db = primary.create()
        name = db.rsplit("/", 1)[1]
        server = LedgerServer(db)
        lanes = [stall(tmp_path / f"s{n}", f"FAIL0{n}", sales=30, seed=n) for n in range(2)]
        for n, lane in enumerate(lanes):
            connect(lane, server, number=n + 1)
            assert lane.run("sync").exit_code == 0  # on the primary, replicated
        replica = Postgres.replica_of(primary)
        wait_until(lambda: replica.sql("SELECT COUNT(*) FROM sales", name)[0][0] == 60,
                   "the replica caught up")
        replica.sql("ALTER SYSTEM SET primary_conninfo = ''")  # it stops receiving
        replica.sql("SELECT pg_reload_conf()")
        wait_until(lambda: not replica.sql("SELECT 1 FROM pg_stat_wal_receiver"),
                   "the replica's WAL receiver gone")
        for n, lane in enumerate(lanes):
            ring(lane, 25, seed=10 + n)
            assert lane.run("sync").exit_code == 0  # acknowledged by the primary alone
        assert primary.sql("SELECT COUNT(*) FROM sales", name)[0][0] == 110
        assert replica.sql("SELECT COUNT(*) FROM sales", name)[0][0] == 60  # behind
        server.stop()
        primary.kill()
        replica.run("pg_ctl", "-D", str(replica.data), "-w", "promote")
        server = LedgerServer(replica.url(name), port=server.port, publish=False)
        try:
            for n, lane in enumerate(lanes):
                healed = lane.run("sync")
                assert healed.exit_code == 0, healed.output
                assert "Sent again 25 entries the ledger lacked" in healed.stdout
                assert ledger_sums(replica.url(name), f"FAIL0{n}") == stall_sums(lane)
            with server.store() as ledger:
                count, distinct = ledger.all("SELECT COUNT(*), COUNT(DISTINCT id) FROM sales")[0]
            assert count == distinct == 110  # lost 0, duplicated 0
        finally:
            server.stop()
    finally:
        primary.remove()
        if replica is not None:
            replica.remove()


def test_a_ledger_given_every_node_follows_a_promotion_without_a_restart(
        tmp_path: Path) -> None:
    """The ledger's URL names the primary and its standby with
    ``target_session_attrs=read-write`` (as with Patroni or pg_auto_failover): the primary
    dies, the standby is promoted, and the same ledger process takes the next sync there."""
    primary = Postgres()
    replica: Postgres | None = None
    server: LedgerServer | None = None
    try:
        name = primary.create().rsplit("/", 1)[1]
        replica = Postgres.replica_of(primary)
        both = (f"postgresql://postgres@127.0.0.1:{primary.port},127.0.0.1:{replica.port}/"
                f"{name}?target_session_attrs=read-write")
        server = LedgerServer(both)
        lane = stall(tmp_path / "s", "NODES1", sales=20, seed=2)
        connect(lane, server)
        assert "matched — 20 entries" in lane.run("sync").stdout
        wait_until(lambda: replica.sql("SELECT COUNT(*) FROM sales", name)[0][0] == 20,
                   "the standby caught up")
        primary.kill()
        replica.run("pg_ctl", "-D", str(replica.data), "-w", "promote")
        ring(lane, 5, seed=3)
        after = lane.run("sync")
        assert after.exit_code == 0, after.output
        assert "matched — 25 entries" in after.stdout
        assert server.process is not None and server.process.poll() is None  # the same one
        assert ledger_sums(replica.url(name), "NODES1") == stall_sums(lane)
    finally:
        if server is not None:
            server.stop()
        primary.remove()
        if replica is not None:
            replica.remove()


def test_a_database_that_cannot_be_reached_is_one_line(tmp_path: Path) -> None:
    from harness.fake_printer import free_port

    url = f"postgresql://postgres@127.0.0.1:{free_port()}/ledger"
    said = LaneDir(tmp_path).fail("ledger", "report", "--db", url)
    assert said.startswith("fairpos: cannot open the ledger at ") and "refused" in said


def test_the_move_s_proof_sees_one_row_that_differs(tmp_path: Path) -> None:
    """The figures ``ledger migrate`` compares: the rows as the copy read them give the same
    figures as reading the table again, and one amount changed changes the sum and the hash."""
    from fairpos.ledger.move import Tally, columns, figures, rows
    from fairpos.ledger.store import SqliteLedger

    lane = stall(tmp_path / "s", "PROOF1", sales=5, seed=3)
    ledgers = []
    for name in ("one.db", "two.db"):
        ledger = SqliteLedger(tmp_path / name)
        enrolment, _token = ledger.enrol("Feria Centro", 1)
        ledger.claim(enrolment, "PROOF1")
        ledger.ingest("PROOF1", payloads(lane))
        ledgers.append(ledger)
    one, two = ledgers
    names = columns(one, "sale_tenders")
    read = Tally()
    for row in rows(one, f"SELECT {', '.join(names)} FROM sale_tenders"):
        read.add(tuple(row))
    assert figures(one, "sale_tenders", names, read) == figures(one, "sale_tenders", names) \
        == figures(two, "sale_tenders", names)
    with two.transaction() as conn:
        conn.execute("DROP TRIGGER IF EXISTS sale_tenders_no_update")
        conn.execute("UPDATE sale_tenders SET amount = amount + 1 WHERE rowid = 1")
    mine, theirs = figures(one, "sale_tenders", names), figures(two, "sale_tenders", names)
    assert mine.rows == theirs.rows
    assert mine.total != theirs.total and mine.digest != theirs.digest
    for ledger in ledgers:
        ledger.close()


@pytest.mark.slow
def test_workers_end_with_their_supervisor_and_the_port_is_free_again(
        tmp_path: Path, postgres: Postgres) -> None:
    """The supervisor SIGKILLed: its workers, left to init, stop serving and end instead of
    holding the port; a new ledger then starts on it."""
    db = postgres.create()
    server = LedgerServer(db, options=["--workers", "2"])
    try:
        assert server.process is not None
        supervisor = server.process.pid
        workers = {pid for pid, held in held_sockets(server.port).items()
                   if held["listening"] and pid != supervisor}
        assert len(workers) == 2
        os.kill(supervisor, signal.SIGKILL)
        server.process.wait(timeout=30)
        wait_until(lambda: not set(held_sockets(server.port)) & workers,
                   "the orphaned workers ended")
        server.start()  # the same port, free again
        lane = stall(tmp_path / "s", "ORPH01", sales=3)
        connect(lane, server)
        assert "matched — 3 entries" in lane.run("sync").stdout
    finally:
        server.stop()
