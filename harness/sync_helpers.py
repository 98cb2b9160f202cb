"""A real ledger (uvicorn in its own process, on 127.0.0.1) and stalls with sales to send."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from fairpos.domain.cart import Cart
from fairpos.domain.money import Money
from fairpos.domain.quantity import Quantity
from fairpos.domain.tenders import Tender
from fairpos.journal import DB_NAME, Journal
from fairpos.ledger.store import SqlLedger, open_ledger
from fairpos.settings import Settings, parse_settings
from harness import web
from harness.fake_printer import free_port
from harness.lanes import FIXTURES, ROOT, LaneDir, open_lane

ITEMS = ["101", "G", "M", "305", "402", "110", "7591234000049"]


class LedgerServer:
    """``fairpos ledger serve`` as a real process; ``kill()`` is SIGKILL, ``start()`` again."""

    def __init__(self, db: Path | str, port: int | None = None, publish: bool = True,
                 elsewhere: bool = False, log: Path | None = None,
                 options: Sequence[str] = (), scheme: str = "http") -> None:
        self.db = db
        self.options = list(options)  # more of ``ledger serve``'s options
        self.scheme = scheme
        self.log = log  # where its stderr goes (None: nowhere)
        # ``elsewhere``: the ledger stands for another machine; here it yields the processor
        self.prefix = ["nice", "-n", "15"] if elsewhere else []
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        if publish:
            with self.store() as ledger:
                ledger.publish((FIXTURES / "feria-catalog.csv").read_text(),
                               "feria-catalog.csv", "USD")
                ledger.publish((FIXTURES / "feria-rates.csv").read_text(), "feria-rates.csv",
                               "USD")
        self.start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}"

    def store(self) -> _Opened:
        return _Opened(self.db)

    def argv(self) -> list[str]:
        return [*self.prefix, sys.executable, "-m", "fairpos", "--lang", "en", "ledger",
                "serve", "--port", str(self.port), "--db", str(self.db), *self.options]

    def start(self) -> None:
        stderr = self.log.open("ab") if self.log is not None else subprocess.DEVNULL
        self.process = subprocess.Popen(
            self.argv(), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=stderr,
            env={**os.environ, "PYTHONPATH": str(ROOT), "NAIVE_LEDGER_DB": str(self.db),
                 **self.env()})
        if self.log is not None:
            stderr.close()  # type: ignore[union-attr]
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if web.get(f"{self.url}/v1/health", timeout=1,
                             verify=False).status_code == 200:  # (any certificate, here)
                    return
            except httpx.HTTPError:
                pass
            if self.process.poll() is not None:
                raise RuntimeError("the ledger did not start")
            time.sleep(0.05)
        raise RuntimeError("the ledger did not answer in 20 s")

    def env(self) -> dict[str, str]:
        return {}

    def kill(self) -> None:
        """SIGKILL: no shutdown, no flush — as a power cut."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()

    def enrol(self, fair: str = "Feria Centro", lane: int = 1) -> str:
        with self.store() as ledger:
            return ledger.enrol(fair, lane)[1]


class NaiveLedger(LedgerServer):
    """``harness/naive_ledger.py`` (no uniqueness rule) as a real process, for the controls."""

    def __init__(self, db: Path, upstream: str | None = None) -> None:
        self.upstream = upstream  # a real ledger for everything but the batches
        super().__init__(db, publish=False)

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "uvicorn", "harness.naive_ledger:app", "--port",
                str(self.port), "--log-level", "warning"]

    def env(self) -> dict[str, str]:
        return {"NAIVE_UPSTREAM": self.upstream} if self.upstream else {}

    def sums(self, device_id: str) -> tuple[int, int, int]:
        """(rows, distinct ids, sum of totals) stored for a device."""
        conn = sqlite3.connect(self.db)
        try:
            row = conn.execute("SELECT COUNT(*), COUNT(DISTINCT id), COALESCE(SUM(total), 0) "
                               "FROM sales WHERE device_id = ?", [device_id]).fetchone()
            return int(row[0]), int(row[1]), int(row[2])
        finally:
            conn.close()


class _Opened:
    def __init__(self, db: Path | str) -> None:
        self.db = db

    def __enter__(self) -> SqlLedger:
        self.ledger = open_ledger(self.db)
        return self.ledger

    def __exit__(self, *_exc: object) -> None:
        self.ledger.close()


def lane_settings(lane: LaneDir) -> Settings:
    return parse_settings((lane.path / "fairpos.toml").read_text(), {})


def stall(path: Path, device_id: str, sales: int = 0, seed: int = 0) -> LaneDir:
    """A lane (feria catalog, a VES rate, a shift open) with ``sales`` sales rung up."""
    lane = open_lane(path, device_id)
    ring(lane, sales, seed)
    return lane


def ring(lane: LaneDir, count: int, seed: int = 0,
         clock: Callable[[], datetime] | None = None, method: str = "cash") -> list[str]:
    """Ring up ``count`` sales of one to four random lines, paid in cash (or ``method``,
    in dollars); their ids."""
    settings = lane_settings(lane)
    store = Journal.open(lane.path / DB_NAME, **({"clock": clock} if clock else {}))
    rng = random.Random(seed)
    ids = []
    try:
        catalog = store.catalog()
        for _ in range(count):
            cart = Cart("USD")
            for _ in range(rng.randint(1, 4)):
                code = rng.choice(ITEMS)
                product = catalog.product(code)
                if product is not None and product.unit == "each":
                    cart.add(catalog, code)
                else:
                    cart.add(catalog, code, Quantity(grams=rng.randint(100, 5000)))
            sale = store.confirm_sale(cart, [Tender(method, Money(cart.total.minor, "USD"))],
                                      "USD", settings)
            ids.append(sale.id)
    finally:
        store.close()
    return ids


def connect(lane: LaneDir, server: LedgerServer, fair: str = "Feria Centro",
            number: int = 1, url: str | None = None) -> str:
    """Enrol the lane at the ledger and connect it (through ``url``, a proxy, if given)."""
    token = server.enrol(fair, number)
    lane.run("connect", url or server.url, "--token", token)
    return token


def stall_sums(lane: LaneDir) -> tuple[int, int]:
    """(entries, sum of totals) in the stall's journal."""
    store = Journal.open(lane.path / DB_NAME)
    try:
        row = store.db.execute("SELECT COUNT(*), COALESCE(SUM(total), 0) FROM sales").fetchone()
        return int(row[0]), int(row[1])
    finally:
        store.close()


def ledger_sums(db: Path | str, device_id: str) -> tuple[int, int]:
    with _Opened(db) as ledger:
        row = ledger.all("SELECT COUNT(*), COALESCE(SUM(total), 0) FROM sales "
                         "WHERE device_id = ?", [device_id])[0]
        return int(row[0]), int(row[1])


def payloads(lane: LaneDir) -> list[dict[str, Any]]:
    """Every entry of the stall as the wire carries it."""
    from fairpos.sync.relay import with_origins
    from fairpos.sync.wire import sale_to_wire

    store = Journal.open(lane.path / DB_NAME)
    try:
        ids = [r[0] for r in store.db.execute("SELECT id FROM sales ORDER BY seq")]
        return [with_origins(store, sale_to_wire(store.sale(i))) for i in ids]
    finally:
        store.close()


def ring_days(lane: LaneDir, days: int, per_day: int, start: date) -> None:
    """``days`` business days of ``per_day`` sales each, one shift a day, counted and closed."""
    settings = lane_settings(lane)
    for offset in range(days):
        moment = datetime.combine(start + timedelta(days=offset), datetime.min.time(),
                                  tzinfo=timezone(timedelta(hours=-4))) + timedelta(hours=6)
        store = Journal.open(lane.path / DB_NAME, clock=lambda m=moment: m)
        try:
            if store.current_shift() is None:
                store.open_shift("Ana", {"USD": 2000}, earlier_date_ok=True)  # history
        finally:
            store.close()
        ring(lane, per_day, seed=offset, clock=lambda m=moment: m)
        store = Journal.open(lane.path / DB_NAME, clock=lambda m=moment: m)
        try:
            shift = store.require_shift()
            store.close_shift(store.expected_counts(shift.id), settings)
        finally:
            store.close()


class Failing:
    """A "ledger" that answers every request with 503, as a proxy in front of a dead one; its
    ``Date`` header is ``date`` (an HTTP date) when given."""

    def __init__(self, date: str | None = None) -> None:
        self.date = date
        import socket
        import threading

        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.server.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _addr = self.server.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                dated = f"Date: {self.date}\r\n".encode() if self.date else b""
                conn.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                             + dated + b"Connection: close\r\n\r\n")

    def close(self) -> None:
        self.server.close()
