"""A stateful model of stalls, the ledger and a lossy link (hypothesis).

Stalls ring up sales and sync through a transport that loses requests, loses replies after the
ledger has committed, delivers twice, or answers 500; the ledger restarts; stalls crash (their
journal reopened from the file) — also between the reply and the acks. Invariants at every
step: the ledger holds nothing no stall sold, and every entry a stall has acknowledged is on the
ledger with the same body. After healing, every stall's count and sum equal the ledger's.

The second model puts a fair's hub between the stalls and the centre, with a lossy link on
each side: the stalls sync to the hub, the hub relays to the centre in rounds, either may
restart. Invariants: neither ledger holds what no stall sold; what a stall has acknowledged is
at the hub, and what the hub has counted as upstream is at the centre, each with its body.
The centre publishes its rates late (the stalls carry their own VES rate meanwhile): until the
hub has them, what the stalls send is held, never quarantined.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from fairpos.journal import DB_NAME, Journal
from fairpos.ledger.app import create_app
from fairpos.ledger.store import open_ledger
from fairpos.ledger.upstream import relay_once
from fairpos.sync.relay import LedgerClient, SyncError, push
from fairpos.sync.wire import payload_hash
from harness.lanes import FIXTURES, LaneDir
from harness.sync_helpers import payloads, ring, stall
from tests.conftest import STORES, ledger_db

STALLS = 3
FAULTS = ("none", "lost_request", "lost_reply", "duplicate", "server_error")


class Crash(BaseException):
    """The stall loses power between the ledger's reply and writing the acks."""


class InProcess(httpx.BaseTransport):
    """The ledger's ASGI app called in this process, for a plain (sync) httpx client."""

    def __init__(self, app: Any) -> None:
        self.asgi = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        async def deliver() -> httpx.Response:
            response = await self.asgi.handle_async_request(request)
            body = await response.aread()
            return httpx.Response(response.status_code, headers=response.headers,
                                  content=body, request=request)

        return asyncio.run(deliver())


class LossyTransport(httpx.BaseTransport):
    """Delivers to the in-process ledger app, with the fault chosen for the next request."""

    def __init__(self, inner: httpx.BaseTransport, batches_only: bool = False) -> None:
        self.inner = inner
        self.fault = "none"
        self.batches_only = batches_only  # (the fault waits for the next batch)
        self.lock = threading.Lock()  # (a hub sends several lanes' batches at once)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if self.batches_only and not request.url.path.endswith("/sales/batch"):
            return self.inner.handle_request(request)
        with self.lock:
            fault, self.fault = self.fault, "none"
        if fault == "lost_request":
            raise httpx.ConnectError("lost on the way", request=request)
        if fault == "server_error":
            return httpx.Response(500, request=request)
        response = self.inner.handle_request(request)
        response.read()
        if fault == "duplicate":
            response = self.inner.handle_request(request)
            response.read()
        if fault == "lost_reply":
            raise httpx.ReadTimeout("the reply never came", request=request)
        return response


def copied(templates: list[LaneDir], prefix: str) -> tuple[Path, list[LaneDir]]:
    """A folder of this example's own, with a copy of each ready stall in it."""
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    lanes = []
    for n, template in enumerate(templates):
        shutil.copytree(template.path, folder / f"s{n}")
        lanes.append(LaneDir(folder / f"s{n}"))
    return folder, lanes


def pushed(lane: LaneDir, token: str, transport: httpx.BaseTransport,
           crash_after_reply: bool = False) -> Any:
    """One stall's relay, over ``transport``; ``crash_after_reply``: the stall loses power
    between the reply and writing the acks."""
    store = Journal.open(lane.path / DB_NAME)

    def crash() -> None:
        raise Crash

    try:
        with LedgerClient("http://ledger", token, transport=transport) as client:
            return push(store, client, batch_size=4,
                        after_reply=crash if crash_after_reply else None)
    finally:
        store.close()  # a crashed stall's journal is reopened from the file next time


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> list[LaneDir]:
    """One ready stall per device id (catalog, rate, shift), copied for every example."""
    base = tmp_path_factory.mktemp("templates")
    return [stall(base / f"s{n}", f"MODEL{n}") for n in range(STALLS)]


class SyncModel(RuleBasedStateMachine):
    templates: ClassVar[list[LaneDir]] = []
    # where each example's ledger keeps its tables (the test sets it per store)
    new_db: ClassVar[list[Callable[[Path], str]]] = [lambda folder: str(folder / "l.db")]

    def __init__(self) -> None:
        super().__init__()
        self.dir, self.lanes = copied(self.templates, "fairpos-model-")
        self.db = self.new_db[0](self.dir)
        ledger = open_ledger(self.db)
        ledger.publish((FIXTURES / "feria-catalog.csv").read_text(), "catalog.csv", "USD")
        ledger.publish((FIXTURES / "feria-rates.csv").read_text(), "rates.csv", "USD")
        self.tokens = []
        for n in range(STALLS):
            enrolment, token = ledger.enrol("Feria", n + 1)
            ledger.claim(enrolment, f"MODEL{n}")
            self.tokens.append(token)
        ledger.close()
        self.seed = 0
        self.start_ledger()

    def start_ledger(self) -> None:
        self.ledger = open_ledger(self.db)
        self.transport = LossyTransport(InProcess(create_app(self.ledger)))

    def stop_ledger(self) -> None:
        self.ledger.close()

    def teardown(self) -> None:
        try:
            self.transport.fault = "none"
            for n in range(STALLS):  # heal: sync until quiet
                report = self.sync(n)
                assert report.ok, report.error
            for n, lane in enumerate(self.lanes):
                mine = payloads(lane)
                theirs = self.ledger_rows(f"MODEL{n}")
                assert len(theirs) == len(mine)
                assert sum(t for t, _h in theirs.values()) == sum(p["total"] for p in mine)
                assert {p["id"]: payload_hash(p) for p in mine} == {
                    i: h for i, (_t, h) in theirs.items()}
        finally:
            self.stop_ledger()
            shutil.rmtree(self.dir, ignore_errors=True)

    def ledger_rows(self, device: str) -> dict[str, tuple[int, str]]:
        rows = self.ledger.all(
            "SELECT id, total, payload_hash FROM sales WHERE device_id = ?", [device])
        return {r[0]: (r[1], r[2]) for r in rows}

    def sync(self, n: int, crash_after_reply: bool = False) -> Any:
        return pushed(self.lanes[n], self.tokens[n], self.transport, crash_after_reply)

    @rule(n=st.integers(0, STALLS - 1), count=st.integers(1, 6))
    def ring_up(self, n: int, count: int) -> None:
        self.seed += 1
        ring(self.lanes[n], count, seed=self.seed)

    @rule(n=st.integers(0, STALLS - 1), fault=st.sampled_from(FAULTS))
    def sync_over_a_lossy_link(self, n: int, fault: str) -> None:
        self.transport.fault = fault
        self.sync(n)

    @rule(n=st.integers(0, STALLS - 1))
    def stall_crashes_between_reply_and_acks(self, n: int) -> None:
        with contextlib.suppress(Crash):
            self.sync(n, crash_after_reply=True)

    @rule()
    def ledger_restarts(self) -> None:
        self.stop_ledger()
        self.start_ledger()

    @invariant()
    def no_phantoms_and_acks_are_true(self) -> None:
        for n, lane in enumerate(self.lanes):
            mine = {p["id"]: payload_hash(p) for p in payloads(lane)}
            theirs = self.ledger_rows(f"MODEL{n}")
            assert set(theirs) <= set(mine)  # nothing no stall sold
            assert all(mine[i] == h for i, (_t, h) in theirs.items())
            store = Journal.open(lane.path / DB_NAME)
            try:
                acked = [r[0] for r in store.db.execute(
                    "SELECT entry_id FROM outbox WHERE state = 'acked'")]
            finally:
                store.close()
            assert set(acked) <= set(theirs)  # acknowledged ⇒ on the ledger


@pytest.mark.slow
@pytest.mark.parametrize("store", STORES)
def test_stalls_ledger_and_a_lossy_link(templates: list[LaneDir], store: str,
                                        request: pytest.FixtureRequest) -> None:
    SyncModel.templates = templates
    SyncModel.new_db = [lambda folder: ledger_db(store, folder, request)]
    machine = type(f"SyncModel{store.title()}", (SyncModel,), {})  # (settings once a class)
    # (the model's logic is the same on both stores: PostgreSQL's run is the shorter one)
    examples = 30 if store == "sqlite" else 15
    run = settings(max_examples=examples, stateful_step_count=15, deadline=None)(machine
                                                                                 ).TestCase
    run().runTest()


class HubModel(RuleBasedStateMachine):
    """Stalls → lossy site link → the fair's hub → lossy uplink → the centre; the centre's
    catalog, its rates and a voucher program the stalls take are published late, each
    whenever a rule says (a catalog without rates, rates without a catalog, the voucher
    last or first): until the hub has what a sale names, the sale waits at its stall."""

    templates: ClassVar[list[LaneDir]] = []

    def __init__(self) -> None:
        super().__init__()
        self.dir, self.lanes = copied(self.templates, "fairpos-hub-model-")
        centre = open_ledger(self.dir / "centre.db")
        self.published: set[str] = set()  # (rules publish the catalog, rates and voucher)
        self.hub_token = centre.enrol_hub("Feria")[1]
        self.tokens = []
        for n in range(STALLS):
            enrolment, token = centre.enrol("Feria", n + 1)
            centre.claim(enrolment, f"MODEL{n}")
            self.tokens.append(token)
        centre.close()
        self.seed = 0
        self.start_centre()
        self.start_hub()
        self.relay()  # the hub learns its lanes before they sync to it

    def start_centre(self) -> None:
        self.centre = open_ledger(self.dir / "centre.db")
        self.uplink = LossyTransport(InProcess(create_app(self.centre)), batches_only=True)

    def start_hub(self) -> None:
        self.hub = open_ledger(self.dir / "hub.db")
        self.site_link = LossyTransport(InProcess(create_app(self.hub, hub=True)))

    def relay(self) -> None:
        with contextlib.suppress(SyncError), LedgerClient(
                "http://centre", self.hub_token, transport=self.uplink) as client:
            relay_once(self.hub, client)

    def sync(self, n: int, crash_after_reply: bool = False) -> Any:
        return pushed(self.lanes[n], self.tokens[n], self.site_link, crash_after_reply)

    def teardown(self) -> None:
        try:
            self.site_link.fault = self.uplink.fault = "none"
            self.centre_publishes_the_catalog()  # heal: everything is out, the hub has it,
            self.centre_publishes_the_rates()
            self.centre_adds_the_voucher()
            self.relay()  # every stall synced, the hub relays until done
            for n in range(STALLS):
                report = self.sync(n)
                assert report.ok and not report.pending, (report.error, report.pending)
            self.relay()
            assert self.hub.upstream_summary()["pending"] == 0
            for ledger in (self.hub, self.centre):  # nothing valid was ever set aside
                assert ledger.all("SELECT COUNT(*) FROM quarantine")[0][0] == 0
            for n, lane in enumerate(self.lanes):
                mine = {p["id"]: (p["total"], payload_hash(p)) for p in payloads(lane)}
                assert rows_of(self.hub, f"MODEL{n}") == mine
                assert rows_of(self.centre, f"MODEL{n}") == mine  # lost 0, duplicated 0
        finally:
            self.hub.close()
            self.centre.close()
            shutil.rmtree(self.dir, ignore_errors=True)

    @rule(n=st.integers(0, STALLS - 1), count=st.integers(1, 6),
          method=st.sampled_from(["cash", "cash", "snap"]))
    def ring_up(self, n: int, count: int, method: str) -> None:
        self.seed += 1
        ring(self.lanes[n], count, seed=self.seed, method=method)

    @rule(n=st.integers(0, STALLS - 1), fault=st.sampled_from(FAULTS))
    def stall_syncs_to_the_hub(self, n: int, fault: str) -> None:
        self.site_link.fault = fault
        self.sync(n)

    @rule(n=st.integers(0, STALLS - 1))
    def stall_crashes_between_reply_and_acks(self, n: int) -> None:
        with contextlib.suppress(Crash):
            self.sync(n, crash_after_reply=True)

    @rule(fault=st.sampled_from(FAULTS[1:]))  # (a round that goes well: the heal's)
    def hub_relays_over_a_lossy_uplink(self, fault: str) -> None:
        self.uplink.fault = fault
        self.relay()

    @rule()
    def centre_publishes_the_catalog(self) -> None:
        if "catalog" not in self.published:
            self.centre.publish((FIXTURES / "feria-catalog.csv").read_text(), "catalog.csv",
                                "USD")
            self.published.add("catalog")

    @rule()
    def centre_publishes_the_rates(self) -> None:
        if "rates" not in self.published:
            self.centre.publish((FIXTURES / "feria-rates.csv").read_text(), "rates.csv", "USD")
            self.published.add("rates")

    @rule()
    def centre_adds_the_voucher(self) -> None:
        if "voucher" not in self.published:
            self.centre.add_voucher("snap", "SNAP token")
            self.published.add("voucher")

    @rule()
    def hub_restarts(self) -> None:
        self.hub.close()
        self.start_hub()

    @rule()
    def centre_restarts(self) -> None:
        self.centre.close()
        self.start_centre()

    @invariant()
    def no_phantoms_and_every_ack_is_true(self) -> None:
        upstream = {r[0] for r in self.hub.all(
            "SELECT sale_id FROM upstream_acks WHERE outcome IN ('accepted', 'duplicate')")}
        for n, lane in enumerate(self.lanes):
            mine = {p["id"]: (p["total"], payload_hash(p)) for p in payloads(lane)}
            at_hub, at_centre = rows_of(self.hub, f"MODEL{n}"), rows_of(self.centre, f"MODEL{n}")
            assert at_hub.items() <= mine.items() and at_centre.items() <= mine.items()
            store = Journal.open(lane.path / DB_NAME)
            try:
                acked = {r[0] for r in store.db.execute(
                    "SELECT entry_id FROM outbox WHERE state = 'acked'")}
            finally:
                store.close()
            assert acked <= set(at_hub)  # acknowledged by the hub ⇒ at the hub
            assert upstream & set(mine) <= set(at_centre)  # counted upstream ⇒ at the centre


def rows_of(ledger: Any, device: str) -> dict[str, tuple[int, str]]:
    return {r[0]: (r[1], r[2]) for r in ledger.all(
        "SELECT id, total, payload_hash FROM sales WHERE device_id = ?", [device])}


@pytest.fixture(scope="module")
def sold(tmp_path_factory: pytest.TempPathFactory) -> list[LaneDir]:
    """Stalls as above with two sales each already rung up (so the first sync sends some)."""
    base = tmp_path_factory.mktemp("sold")
    return [stall(base / f"s{n}", f"MODEL{n}", sales=2, seed=n) for n in range(STALLS)]


@pytest.mark.slow
def test_stalls_a_hub_the_centre_and_two_lossy_links(sold: list[LaneDir]) -> None:
    HubModel.templates = sold
    run = settings(max_examples=15, stateful_step_count=15, deadline=None,
                   database=None)(HubModel).TestCase
    run().runTest()
