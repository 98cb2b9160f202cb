"""The till and the printer: receipts print in the background, a failing printer never stops
the selling, and what waited prints once, oldest first, when the printer is back."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from harness.escpos_text import decode
from harness.fake_printer import FakePrinter, free_port
from harness.lanes import LaneDir, open_lane
from tests.till_helpers import (
    make_till,
    message,
    notices,
    rows,
    settle,
    side_panel,
    type_in,
    until,
)


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    return open_lane(tmp_path / "lane", "PRNT01")


async def sell_one(pilot: object, plu: str) -> None:
    await type_in(pilot, plu, "enter")  # type: ignore[arg-type]
    await pilot.press("f2")  # type: ignore[attr-defined]
    await type_in(pilot, "", "enter", "enter")  # type: ignore[arg-type]


async def wait_printed(pilot: Pilot[Any], printer: FakePrinter, size: int) -> None:
    await until(pilot, lambda: len(printer.received) >= size)
    await settle(pilot)  # (and the till has heard back from the printer)


async def test_a_sale_prints_its_receipt_in_the_background(lane: LaneDir) -> None:
    printer = FakePrinter()
    app = make_till(lane.path, FAIRPOS_PRINTER__URL=printer.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "Printer: ready" in side_panel(pilot)
        await sell_one(pilot, "305")
        payload = rows(lane.path, "SELECT payload FROM print_jobs")[0][0]
        await wait_printed(pilot, printer, len(payload))
        assert bytes(printer.received) == payload
        assert "PRNT01-000001" in decode(payload)
        assert rows(lane.path, "SELECT state FROM print_jobs") == [("printed",)]
    printer.close()


async def test_the_till_says_when_the_paper_runs_low(lane: LaneDir) -> None:
    """The paper's near-end sensor (DLE EOT 4, bits 2-3) is read as each receipt prints: the
    till says so once and keeps it in the side panel; a new roll (the sensor clear at the next
    receipt) takes it away."""
    printer = FakePrinter(paper=0x12 | 0x0C)
    app = make_till(lane.path, FAIRPOS_PRINTER__URL=printer.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "Printer: ready" in side_panel(pilot)  # nothing printed yet: it did not say
        await sell_one(pilot, "305")
        await until(pilot, lambda: "little paper left" in side_panel(pilot))
        assert "Printer: little paper left" in side_panel(pilot)
        said = notices(app)
        assert sum("little paper left" in text for text in said) == 1
        await sell_one(pilot, "402")  # still low: not said again
        await settle(pilot)
        printer.paper = 0x12  # a new roll
        await sell_one(pilot, "305")
        await until(pilot, lambda: "Printer: ready" in side_panel(pilot))
        said = notices(app)
        assert sum("little paper left" in text for text in said) == 1
    assert rows(lane.path, "SELECT state FROM print_jobs") == [("printed",)] * 3
    printer.close()


async def test_a_printer_that_is_off_never_stops_the_selling(lane: LaneDir) -> None:
    port = free_port()
    app = make_till(lane.path, FAIRPOS_PRINTER__URL=f"tcp://127.0.0.1:{port}")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await sell_one(pilot, "305")
        assert "Sale PRNT01-000001 confirmed." in message(pilot)
        await settle(pilot)
        assert "does not answer" in side_panel(pilot) and "1 waiting" in side_panel(pilot)
        printer = FakePrinter(port)  # switched on again
        await sell_one(pilot, "310")
        payloads = [r[0] for r in rows(lane.path, "SELECT payload FROM print_jobs ORDER BY id")]
        await wait_printed(pilot, printer, sum(len(p) for p in payloads))
        assert bytes(printer.received) == b"".join(payloads)  # once each, oldest first
        assert "Printer: ready" in side_panel(pilot)
    assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(2,)]
    printer.close()


async def test_a_receipt_cut_off_mid_way_is_for_the_volunteer_to_check(lane: LaneDir) -> None:
    port = free_port()
    faulty = FakePrinter(port, drop_after=40)  # the line drops after 40 bytes of a receipt
    app = make_till(lane.path, FAIRPOS_PRINTER__URL=f"tcp://127.0.0.1:{port}")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await sell_one(pilot, "305")
            # the printer worker reports back
            await until(pilot, lambda: "1 to check" in side_panel(pilot))
            assert any("The receipt of PRNT01-000001 may not have printed in full" in text
                       for text in notices(app))  # (which sale it is)
            assert rows(lane.path, "SELECT state FROM print_jobs") == [("uncertain",)]
            faulty.close()
            printer = FakePrinter(port)  # the volunteer looks, and the receipt is not there
            await pilot.press("f10")
            await settle(pilot)
            await pilot.press("f5")
            await wait_printed(pilot, printer, 200)
            assert "REPRINT" in decode(bytes(printer.received))
            assert rows(lane.path, "SELECT kind, state FROM print_jobs ORDER BY id") == [
                ("receipt", "skipped"), ("reprint", "printed")]
            await pilot.press("escape")  # the side panel follows the queue: nothing to check
            await until(pilot, lambda: "to check" not in side_panel(pilot))
            assert "Printer: ready" in side_panel(pilot)
            printer.close()
    finally:
        faulty.close()


async def test_reprint_from_the_sales_screen(lane: LaneDir) -> None:
    printer = FakePrinter()
    sale = lane.sell("--line", "101=1kg", "--pay", "cash:USD:2", "--no-print")
    app = make_till(lane.path, FAIRPOS_PRINTER__URL=printer.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f10")
        await settle(pilot)
        await pilot.press("f5")
        await settle(pilot)
        assert "sent to the printer" in message(pilot, "#sales-message")
        await wait_printed(pilot, printer, 200)
        text = decode(bytes(printer.received))
        assert "REPRINT" in text and sale["id"] in text
    printer.close()


async def test_a_printer_setting_that_cannot_work_leaves_the_till_selling(lane: LaneDir) -> None:
    app = make_till(lane.path, FAIRPOS_PRINTER__URL="tcp://127.0.0.1:9",
                    FAIRPOS_PRINTER__PROFILE="NoSuchPrinter")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "unknown printer profile" in side_panel(pilot)
        await sell_one(pilot, "305")
        assert "confirmed" in message(pilot)
    assert rows(lane.path, "SELECT COUNT(*) FROM print_jobs") == [(0,)]


async def test_reports_and_the_test_page_print_from_the_till(lane: LaneDir) -> None:
    printer = FakePrinter()  # a 58 mm printer: 32 columns
    app = make_till(lane.path, FAIRPOS_PRINTER__URL=printer.url, FAIRPOS_PRINTER__COLUMNS="32")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("f12")
        await settle(pilot)
        await pilot.press("f2")
        await wait_printed(pilot, printer, 300)
        paper = decode(bytes(printer.received))
        assert "X REPORT" in paper
        # laid out for 32 columns, not the screen's 48 wrapped: each amount at the right edge
        [net] = [re.sub(r"\[[A-Z]+ [0-9A-F]+\]", "", line) for line in paper.splitlines()
                 if "NET SALES" in line]
        assert len(net) == 32 and net.endswith("0.00 USD"), paper
        await pilot.press("escape", "ctrl+p")
        await type_in(pilot, "Hardware", "enter")
        printer.received.clear()
        await pilot.press("f2")
        await wait_printed(pilot, printer, 200)
        assert "¿Algo más? ¡Gracias!" in decode(bytes(printer.received))
    assert rows(lane.path, "SELECT kind, state FROM print_jobs ORDER BY id") == [
        ("report", "printed"), ("test", "printed")]
    printer.close()


async def test_old_receipts_are_not_flooded_onto_the_printer(lane: LaneDir) -> None:
    lane.sell("--line", "305", "--pay", "cash:USD:2", "--no-print")
    with lane.db() as conn:  # a receipt left from yesterday, and one from a minute ago
        conn.execute("INSERT INTO print_jobs (sale_id, kind, created_at, payload) VALUES "
                     "(NULL, 'receipt', '2026-11-19T10:00:00-04:00', X'4f4c44'),"
                     "(NULL, 'receipt', '2026-11-20T05:59:00-04:00', X'4e4557')")
    printer = FakePrinter()
    app = make_till(lane.path, FAIRPOS_PRINTER__URL=printer.url,
                    FAIRPOS_PRINTER__BACKLOG_MINUTES="30")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await wait_printed(pilot, printer, 3)
    assert bytes(printer.received) == b"NEW"
    assert rows(lane.path, "SELECT state FROM print_jobs ORDER BY id") == [("skipped",),
                                                                           ("printed",)]
    printer.close()


async def test_closing_the_shift_in_the_till_prints_the_z_report(lane: LaneDir) -> None:
    printer = FakePrinter()
    app = make_till(lane.path, FAIRPOS_PRINTER__URL=printer.url)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        await type_in(pilot, "Close shift", "enter")
        await type_in(pilot, "20", "enter")
        await pilot.press("f2")
        await settle(pilot)
        await wait_printed(pilot, printer, 300)
        assert "Z REPORT" in decode(bytes(printer.received))
    printer.close()


async def test_an_unexpected_print_failure_is_shown_and_selling_goes_on(
        lane: LaneDir, monkeypatch: pytest.MonkeyPatch) -> None:
    import fairpos.lane

    def broken(*args: object, **kwargs: object) -> object:
        raise RuntimeError("printer driver crashed")

    monkeypatch.setattr(fairpos.lane, "print_pending", broken)
    printer = FakePrinter()
    app = make_till(lane.path, FAIRPOS_PRINTER__URL=printer.url)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await sell_one(pilot, "305")
        await settle(pilot)
        assert "printer driver crashed" in side_panel(pilot)
        assert "confirmed" in message(pilot)
    assert rows(lane.path, "SELECT state FROM print_jobs") == [("pending",)]
    printer.close()
