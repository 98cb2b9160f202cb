"""The till syncs in the background: online, offline, a fortnight's backlog — selling goes on."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from harness.fault_proxy import FaultProxy
from harness.lanes import LaneDir
from harness.sync_helpers import (
    LedgerServer,
    connect,
    ledger_sums,
    ring_days,
    stall,
    stall_sums,
)
from tests.till_helpers import make_till, message, settle, side_panel, type_in, until


async def sell(pilot: Pilot[Any], plu: str) -> None:
    await type_in(pilot, plu, "enter")
    await pilot.press("f2")
    await type_in(pilot, "", "enter", "enter")
    assert "confirmed" in message(pilot), message(pilot)


def till(lane: LaneDir) -> Any:
    app = make_till(lane.path)
    app.sync_seconds = 0.3  # a market's link would take 30 s between tries
    return app


@pytest.mark.slow
async def test_sales_reach_the_ledger_while_the_till_sells(tmp_path: Path,
                                                           server: LedgerServer) -> None:
    lane = stall(tmp_path / "stall", "TILL01", sales=3)
    connect(lane, server)
    app = till(lane)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: "Sync: online" in side_panel(pilot))
        await sell(pilot, "305")
        await until(pilot, lambda: ledger_sums(server.db, "TILL01") == stall_sums(lane))
        assert ledger_sums(server.db, "TILL01")[0] == 4
        server.kill()
        await sell(pilot, "305")  # the ledger is gone: the sale is not
        await until(pilot, lambda: "Sync: no connection (nothing answers at the ledger's "
                    "address)" in " ".join(side_panel(pilot).split())
                    and "1 waiting" in side_panel(pilot), 30)
        assert "oldest" in side_panel(pilot)
        await sell(pilot, "402")
        await until(pilot, lambda: "2 waiting" in side_panel(pilot))
        server.start()
        await until(pilot, lambda: "Sync: online" in side_panel(pilot) and "waiting" not in
                    side_panel(pilot), 30)
    assert ledger_sums(server.db, "TILL01") == stall_sums(lane) == (6, stall_sums(lane)[1])


@pytest.mark.slow
async def test_a_fortnight_offline_syncs_in_one_go_without_stopping_the_till(
        tmp_path: Path, server: LedgerServer) -> None:
    lane = stall(tmp_path / "stall", "OFF014")
    lane.run("shift", "close", "--count", "USD:20")
    ring_days(lane, days=14, per_day=358, start=date(2026, 11, 2))  # 5,012 sales
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    link = FaultProxy(server.port, latency=0.05)  # a slow link: ~0.1 s a round trip
    connect(lane, server, url=link.url)
    app = till(lane)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        on_ledger_at_each_sale = []
        for plu in ("305", "402", "305"):
            await sell(pilot, plu)  # confirmed: the sale did not wait for the backlog
            on_ledger_at_each_sale.append(ledger_sums(server.db, "OFF014")[0])
        await until(pilot, lambda: ledger_sums(server.db, "OFF014") == stall_sums(lane), 120)
        await until(pilot, lambda: "Sync: online" in side_panel(pilot) and "waiting" not in
                    side_panel(pilot), 30)
    link.close()
    assert stall_sums(lane)[0] == 5015
    # the three sales were rung up while the backlog was still on its way
    assert on_ledger_at_each_sale[-1] < 5012, on_ledger_at_each_sale
    with server.store() as ledger:
        assert ledger.sync_state("OFF014")["missing_seqs"] == []
        assert len(ledger.sync_state("OFF014")["days"]) == 15


def test_quitting_never_waits_for_a_hung_ledger(tmp_path: Path, server: LedgerServer) -> None:
    """The link hangs mid-request (the ledger never answers): Ctrl+Q still closes the till at
    once — a real process in a real terminal — and the entries wait in the outbox."""
    from benchmarks.terminal import Terminal

    lane = stall(tmp_path / "stall", "HUNG01", sales=20)
    hung = FaultProxy(server.port, faults={"stall": 1.0}, stall_seconds=120)
    connect(lane, server)
    text = (lane.path / "fairpos.toml").read_text().replace(server.url, hung.url)
    (lane.path / "fairpos.toml").write_text(text)
    till = Terminal([sys.executable, "-m", "fairpos", "--data-dir", str(lane.path), "--lang",
                     "en", "till"], columns=100, lines=30)
    try:
        till.wait_for(lambda screen: "Sync: connecting" in screen)
        till.wait_for(lambda _screen: hung.stalling >= 1)  # a batch whose answer never comes
        till.send(b"\x11")  # Ctrl+Q
        till.process.wait(timeout=60)
        # the till is gone while the request still hangs (the proxy holds it for 120 s)
        assert hung.stalling >= 1
    finally:
        till.close()
        hung.close()
    assert lane.json("sync-status", "--json")["pending"] == 20
