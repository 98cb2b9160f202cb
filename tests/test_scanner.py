"""Serial barcode scanners: each suffix, noise and cut codes, a real pty; at the till a scan
rings the code up as if typed and Enter while the volunteer's typing stays as it was; unplugged
and plugged back, the scanner is picked up again."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from fairpos.scanner.port import ScannerWatch, code_of, split_codes
from fairpos.settings import ScannerSettings
from harness.fake_scanner import FakeScanner
from harness.lanes import LaneDir, open_lane, wait_until
from tests.till_helpers import make_till, notices, settle, type_in, until

FLOUR = "7591234000001"  # product 301 of the feria catalog, by its barcode


@pytest.mark.parametrize(("suffix", "end"), [("cr", b"\r"), ("lf", b"\n"), ("crlf", b"\r\n"),
                                             ("tab", b"\t")])
def test_codes_are_split_at_their_suffix(suffix: str, end: bytes) -> None:
    codes, rest = split_codes(b"123" + end + b"4567" + end + b"89", suffix)
    assert codes == [b"123", b"4567"] and rest == b"89"
    assert split_codes(b"123\r\n456", "none") == ([], b"123\r\n456")


def test_only_a_printable_code_is_a_code() -> None:
    assert code_of(b"\n7591234000001") == FLOUR  # (an LF left by a CR LF scanner set to CR)
    assert code_of(b"]C1011234") == "]C1011234"  # (a symbology prefix stays: it is printable)
    for noise in (b"", b"\r", b"75912\x00340", b"7591\xff", b"9" * 65, b"12 34"):
        assert code_of(noise) is None, noise


@pytest.mark.parametrize("suffix", ["cr", "lf", "crlf", "tab", "none"])
def test_a_scanner_on_a_real_line(suffix: str) -> None:
    fake = FakeScanner(suffix)
    got: list[str] = []
    lines: list[bool] = []
    lock = threading.Lock()

    def scanned(code: str) -> None:
        with lock:
            got.append(code)

    watch = ScannerWatch(ScannerSettings(url=fake.path, suffix=suffix), scanned,
                         lambda ready, _why: lines.append(ready))
    watch.start()
    try:
        wait_until(lambda: lines == [True], "the scanner's line is open")
        fake.scan(FLOUR)
        wait_until(lambda: got == [FLOUR], "the first code")
        if suffix != "none":  # noise, and a code the noise ran into: dropped, never guessed
            fake.scan("\x00\xff")
            fake.scan("\x0775912340000")
        fake.scan("0012345678905")
        wait_until(lambda: got[-1:] == ["0012345678905"], "the second code")
        assert got == [FLOUR, "0012345678905"]
    finally:
        watch.stop()
        fake.unplug()


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    return open_lane(tmp_path / "lane", "SCAN01")


async def test_a_scan_rings_up_while_the_volunteer_types(lane: LaneDir, tmp_path: Path) -> None:
    link = tmp_path / "ttyACM0"
    fake = FakeScanner("cr", link=link)
    app = make_till(lane.path, FAIRPOS_SCANNER__URL=str(link))
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await until(pilot, lambda: app.scanner_status == "ready")
            await type_in(pilot, "1", "0")  # the volunteer is typing "10"…
            fake.scan(FLOUR)  # …when a code comes down the scanner's cable
            await until(pilot, lambda: len(app.cart.active) == 1)
            assert app.cart.active[0].code == "301"
            entry: Any = app.screen.entry  # type: ignore[attr-defined]
            assert entry.value == "10"  # the typing was not mixed with the scan
            await type_in(pilot, "1", "enter")  # and goes on: "101", a tomato to weigh
            assert "Tomato" in str(app.screen.query_one("#message").render())
            fake.unplug()
            await until(pilot, lambda: app.scanner_status == "disconnected")
            assert any("scanner is disconnected" in n for n in notices(app))
            fake = FakeScanner("cr", link=link)  # plugged back in
            await until(pilot, lambda: app.scanner_status == "ready")
            await pilot.press("escape")
            fake.scan(FLOUR)
            await until(pilot, lambda: len(app.cart.active) == 2)
            assert any("scanner is back" in n for n in notices(app))
    finally:
        fake.unplug()


async def test_a_code_scanned_at_a_scanner_scale_rings_up_as_typed(lane: LaneDir) -> None:
    """One cable, both jobs: the Magellan's weight in the side panel, its scans in the sale —
    the same line and amount as the code typed."""
    from harness.fake_scale import FakeScale

    fake = FakeScale("magellan", grams=1250)
    app = make_till(lane.path, FAIRPOS_SCALE__URL=fake.path, FAIRPOS_SCALE__PROTOCOL="magellan",
                    FAIRPOS_SCALE__BYTESIZE="7", FAIRPOS_SCALE__PARITY="O")
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await until(pilot, lambda: app.weighing.accepted is not None)
            fake.scan(FLOUR)
            await until(pilot, lambda: len(app.cart.active) == 1)
            await type_in(pilot, "301", "enter")  # the same, typed
            scanned, typed = app.cart.active
            assert (scanned.code, scanned.amount) == (typed.code, typed.amount) == (
                "301", typed.amount)
            assert app.weighing.accepted.grams == 1250  # (the weight went on being read)
    finally:
        fake.unplug()


async def test_a_code_scanned_at_the_weighing_station_picks_its_product(tmp_path: Path) -> None:
    """At the station a scan picks the product to label (a code sheet by the scale), what was
    being typed left as it was; a code it does not know is said."""
    from harness.lanes import make_lane
    from tests.test_station import WEIGHT, station_app, with_layouts

    station = with_layouts(make_lane(tmp_path / "station", device_id="STSC01"), WEIGHT)
    fake = FakeScanner("cr")
    app = station_app(station.path, FAIRPOS_SCANNER__URL=fake.path)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await until(pilot, lambda: app.catalog is not None)
            await pilot.press("1", "0")
            fake.scan("101")
            screen: Any = app.screen
            await until(pilot, lambda: screen.product is not None)
            assert screen.product.plu == "101"
            assert screen.query_one("#entry").value == "10"
            fake.scan("999999")
            await until(pilot, lambda: "Unknown PLU “999999”" in str(
                screen.query_one("#message").render()))
    finally:
        fake.unplug()
