"""One path for a sale: the till and the command line leave the same journal and print the same
bytes for the same sales — a sale recalled from hold among them."""

from __future__ import annotations

import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from textual.message import Message

import fairpos.journal.base
from fairpos.tui.messages import SaleConfirmed, SaleHeld, SaleRecalled
from harness.lanes import LaneDir, make_lane
from tests.till_helpers import make_till, message, settle, type_in, until

STILL = datetime(2026, 11, 21, 9, 30, tzinfo=timezone(timedelta(hours=-4)))


@pytest.fixture(autouse=True)
def still_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every journal opened in this test reads the same instant, whichever front end opened
    it: then the two journals can be compared row by row."""
    monkeypatch.setattr(fairpos.journal.base, "_now", lambda: STILL)


def lane_at(path: Path) -> LaneDir:
    lane = make_lane(path, device_id="PATH01")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    return lane


def journal_rows(lane: LaneDir) -> list[str]:
    """Every row of every table, but the record of when the schema was migrated and the
    till's draft (what its screen held; cleared with each sale, checked apart)."""
    conn = sqlite3.connect(lane.path / "fairpos.db")
    try:
        return [line for line in conn.iterdump()
                if "_sqlite_migrations" not in line and 'INSERT INTO "draft' not in line]
    finally:
        conn.close()


async def test_the_till_and_the_command_line_write_the_same_sales(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # From the command line: hold two lines, finish them with a third, then one more sale.
    cli = lane_at(tmp_path / "cli")
    cli_paper = tmp_path / "cli-printer.bin"
    monkeypatch.setenv("FAIRPOS_PRINTER__URL", f"file://{cli_paper}")
    cli.run("sell", "--line", "101=1.25kg", "--line", "305=3", "--hold")
    cli.run("sell", "--line", "120=850g", "--recall", "1", "--pay", "cash:USD:6.12")
    cli.run("sell", "--line", "305", "--pay", "cash:USD:1.20")
    monkeypatch.delenv("FAIRPOS_PRINTER__URL")

    # At the till: the same keys a volunteer would press for the same sales.
    till = lane_at(tmp_path / "till")
    till_paper = tmp_path / "till-printer.bin"
    app = make_till(till.path, clock=lambda: STILL, FAIRPOS_PRINTER__URL=f"file://{till_paper}")
    told: list[Message] = []
    async with app.run_test(size=(100, 32), message_hook=told.append) as pilot:
        await settle(pilot)
        await type_in(pilot, "101*1.25", "enter")
        await type_in(pilot, "3*305", "enter")
        await type_in(pilot, "", "f6")
        assert "held as #1" in message(pilot)
        await type_in(pilot, "120*850g", "enter")
        await type_in(pilot, "", "f7")  # one held sale: it comes back at once, lines first
        assert [line.code for line in app.cart.lines] == ["101", "305", "120"]
        await pilot.press("f2")
        await type_in(pilot, "", "enter", "enter")  # Enter alone: the exact amount, in cash
        assert "confirmed" in message(pilot)
        await type_in(pilot, "305", "enter")
        await pilot.press("f2")
        await type_in(pilot, "", "enter", "enter")
        assert "confirmed" in message(pilot)
        await until(pilot, lambda: "ready" in app.printer_status and "waiting" not in
                    app.printer_status)

    # what the till's workers told the screens, as typed messages
    assert [m.held_id for m in told if isinstance(m, SaleHeld)] == [1]
    assert [m.held.id for m in told if isinstance(m, SaleRecalled)] == [1]
    assert [m.sale.id for m in told if isinstance(m, SaleConfirmed)] == [
        "PATH01-000001", "PATH01-000002"]
    assert journal_rows(till) == journal_rows(cli)
    assert rows_of(till, "SELECT cart FROM draft") == [(None,)]  # sold: nothing on screen
    assert rows_of(cli, "SELECT COUNT(*) FROM sales") == [(2,)]
    assert rows_of(cli, "SELECT COUNT(*) FROM held_sales") == [(0,)]
    assert rows_of(cli, "SELECT COUNT(*) FROM print_jobs WHERE state = 'printed'") == [(2,)]
    assert till_paper.read_bytes() == cli_paper.read_bytes()
    assert b"PATH01-000001" in cli_paper.read_bytes()


def rows_of(lane: LaneDir, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(lane.path / "fairpos.db")
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()
