"""The till and the scale: a live weight, one key to weigh, nothing taken from a moving, used or
missing weight, manual entry when the scale is gone, and the scale picked up again by itself."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from fairpos.journal import DB_NAME, Journal
from fairpos.printer.layout import sale_receipt
from harness.fake_scale import FakeScale
from harness.lanes import LaneDir, open_lane
from tests.till_helpers import (
    is_error,
    make_till,
    message,
    rows,
    settle,
    side_panel,
    type_in,
    until,
)

SICS = {"FAIRPOS_SCALE__PROTOCOL": "sics", "FAIRPOS_SCALE__BAUDRATE": "9600",
        "FAIRPOS_SCALE__BYTESIZE": "8", "FAIRPOS_SCALE__PARITY": "N"}


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    return open_lane(tmp_path / "lane", "SCALE1")


@pytest.fixture
def scale(tmp_path: Path) -> Any:
    """A SICS scale behind a link, as udev names a USB-serial adapter: unplug, plug back."""
    fake = FakeScale("sics", grams=1250, link=tmp_path / "ttyUSB0")
    yield fake
    fake.unplug()


def cart_lines(pilot: Pilot[Any]) -> list[Any]:
    return pilot.app.cart.active  # type: ignore[attr-defined, no-any-return]


def steady(pilot: Pilot[Any], grams: int) -> Callable[[], bool]:
    app: Any = pilot.app
    return lambda: app.weighing.accepted is not None and app.weighing.accepted.grams == grams


async def test_weigh_key_adds_the_steady_weight(lane: LaneDir, scale: FakeScale) -> None:
    app = make_till(lane.path, FAIRPOS_SCALE__URL=str(scale.link), **SICS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await until(pilot, steady(pilot, 1250))
        assert all(pilot.app.screen.check_action(a, ()) for a in ("weigh", "zero", "tare"))
        assert "1.250 kg" in message(pilot, "#weight")
        assert "Scale: connected" in side_panel(pilot)
        await type_in(pilot, "101", "f1")  # Tomato, 1.20/kg
        [line] = cart_lines(pilot)
        assert (line.code, line.grams, line.amount) == ("101", 1250, 150)
        assert "1.250 kg" in message(pilot) and "1.50 USD" in message(pilot)
        assert "typed" not in message(pilot)
        assert "already on the sale" in message(pilot, "#weight")
        await pilot.press("f2")
        await type_in(pilot, "", "enter", "enter")
        assert rows(lane.path, "SELECT grams, amount, scale_frame FROM sale_lines") == [
            (1250, 150, scale.frame().hex())]


async def test_nothing_is_added_while_the_weight_moves(lane: LaneDir, scale: FakeScale) -> None:
    scale.state = "unstable"
    app = make_till(lane.path, FAIRPOS_SCALE__URL=str(scale.link), **SICS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: "moving" in message(pilot, "#weight"))
        assert pilot.app.screen.query_one("#weight").has_class("moving")
        await type_in(pilot, "101", "f1")
        assert cart_lines(pilot) == []
        assert is_error(pilot) and "still moving" in message(pilot)
        await type_in(pilot, "", "f3")  # a price class waits for a weight instead
        assert cart_lines(pilot) == []
        scale.state = "stable"
        await until(pilot, steady(pilot, 1250))
        await type_in(pilot, "", "f1")  # the class asked for a weight; F1 takes the scale's
        [line] = cart_lines(pilot)
        assert (line.kind, line.code, line.grams, line.amount) == ("class", "G", 1250, 150)


async def test_a_weight_is_used_once_and_a_class_key_takes_it(lane: LaneDir,
                                                               scale: FakeScale) -> None:
    app = make_till(lane.path, FAIRPOS_SCALE__URL=str(scale.link), **SICS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await until(pilot, steady(pilot, 1250))
        await type_in(pilot, "", "f4")  # Mini fair price, 0.80/kg: one key
        assert [(x.code, x.grams, x.amount) for x in cart_lines(pilot)] == [("M", 1250, 100)]
        await type_in(pilot, "", "f4")  # the same goods again: refused, a weight is asked for
        await type_in(pilot, "", "f1")
        assert len(cart_lines(pilot)) == 1
        assert "already on the sale" in message(pilot)
        scale.grams = 0  # goods off, the next goods on
        await until(pilot, lambda: not pilot.app.weighing.used)  # type: ignore[attr-defined]
        scale.grams = 2000
        await until(pilot, steady(pilot, 2000))
        await type_in(pilot, "", "f1")
        assert [(x.code, x.grams) for x in cart_lines(pilot)] == [("M", 1250), ("M", 2000)]


async def test_unplugged_scale_manual_entry_and_replug(lane: LaneDir, scale: FakeScale) -> None:
    app = make_till(lane.path, FAIRPOS_SCALE__URL=str(scale.link), **SICS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await until(pilot, steady(pilot, 1250))
        scale.unplug()
        await until(pilot, lambda: "Scale: disconnected" in side_panel(pilot))
        assert "1.250" not in message(pilot, "#weight")  # never the stale weight
        assert pilot.app.screen.query_one("#weight").has_class("error")
        await type_in(pilot, "101", "f1")
        assert cart_lines(pilot) == [] and "disconnected" in message(pilot)
        await type_in(pilot, "", "enter")  # the product asks for its weight: type it by hand
        await type_in(pilot, "1.5", "enter")
        [line] = cart_lines(pilot)
        assert (line.grams, line.amount, line.scale_frame) == (1500, 180, None)
        assert "(typed)" in message(pilot)
        again = FakeScale("sics", grams=700, link=scale.link)
        try:
            await until(pilot, steady(pilot, 700))
            assert "Scale: connected" in side_panel(pilot)
            await type_in(pilot, "101", "f1")
            assert [x.grams for x in cart_lines(pilot)] == [1500, 700]
            await pilot.press("f2")
            await type_in(pilot, "", "enter", "enter")
        finally:
            again.unplug()
    assert rows(lane.path, "SELECT grams, scale_frame IS NULL FROM sale_lines") == [
        (1500, 1), (700, 0)]


async def test_a_reading_while_the_till_closes_is_dropped(lane: LaneDir, scale: FakeScale) -> None:
    """The scale's thread keeps reading while the till shuts down and its widgets go away."""
    app = make_till(lane.path, FAIRPOS_SCALE__URL=str(scale.link), **SICS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await until(pilot, steady(pilot, 1250))
        screen = pilot.app.screen
        await screen.query("#side").remove()  # as on the way out: the panels are gone first
        screen.scale_changed()  # nothing to draw on, and no traceback
        screen.devices_changed()
        assert not screen.query("#weight")


async def test_zero_and_tare_say_what_the_scale_did(lane: LaneDir, scale: FakeScale) -> None:
    app = make_till(lane.path, FAIRPOS_SCALE__URL=str(scale.link), **SICS)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await until(pilot, steady(pilot, 1250))
        await pilot.press("ctrl+z")
        await until(pilot, lambda: "Zero: done by the scale." in message(pilot))
        scale.grams = 200  # the empty tray
        await until(pilot, steady(pilot, 200))
        await pilot.press("ctrl+t")
        await until(pilot, lambda: "Tare 0.200 kg: done by the scale." in message(pilot))
        assert b"Z\r\nT\r\n" in bytes(scale.commands) and scale.tare == 200
        assert "Tare 0.200 kg" in side_panel(pilot)
        scale.grams = 1450  # tomatoes in the tray: the scale weighs them net
        await until(pilot, steady(pilot, 1250))
        await type_in(pilot, "101", "f1")
        [line] = cart_lines(pilot)
        assert (line.grams, line.tare, line.amount) == (1250, 200, 150)
        scale.grams = 200  # the tomatoes bagged, the tray back alone: Ctrl+T clears the tare
        app_ = pilot.app
        await until(pilot, lambda: app_.weighing.reading.grams == 0)  # type: ignore[attr-defined]
        await pilot.press("ctrl+t")
        await until(pilot, lambda: "Tare cleared by the scale." in message(pilot))
        assert scale.tare == 0 and "Tare" not in side_panel(pilot)
        scale.unplug()
        await until(pilot, lambda: "disconnected" in side_panel(pilot))
        await pilot.press("ctrl+z")
        await until(pilot, lambda: "the scale did not do it (it is not connected)" in
                    message(pilot))
        assert is_error(pilot)


REFUSALS = {"toledo8217": 0x40, "sics": "L", "continuous": "no"}  # cas: it has no tare at all


@pytest.mark.parametrize("protocol", ["toledo8217", "sics", "cas", "continuous"])
async def test_a_tare_the_scale_refuses_is_taken_by_the_lane(tmp_path: Path,
                                                             protocol: str) -> None:
    """The scale answers no (its own refusal frame, on a real line), and the till says so:
    the tray's weight is taken off each weight by the lane, and each line keeps its gross,
    tare and net — in the journal, on the receipt and at the ledger."""
    lane = open_lane(tmp_path / "lane", "TARE01")
    fake = FakeScale(protocol, grams=200, link=tmp_path / "ttyUSB0")  # the empty tray
    fake.refuse = {"tare": REFUSALS.get(protocol, "no")}
    env = {"FAIRPOS_SCALE__PROTOCOL": protocol, "FAIRPOS_SCALE__BYTESIZE": "8",
           "FAIRPOS_SCALE__PARITY": "N"}
    app = make_till(lane.path, FAIRPOS_SCALE__URL=str(fake.link), **env)
    try:
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await until(pilot, steady(pilot, 200))
            await pilot.press("ctrl+t")
            await until(pilot, lambda: "The scale did not take the tare" in message(pilot),
                        seconds=15)
            assert "the till takes 0.200 kg off each weight" in message(pilot)
            assert is_error(pilot) and fake.tare == 0
            assert "Tare 0.200 kg" in side_panel(pilot)
            fake.grams = 1450  # tomatoes in the tray: the scale still weighs the tray too
            await until(pilot, steady(pilot, 1450))
            await type_in(pilot, "101", "f1")
            [line] = cart_lines(pilot)
            assert (line.grams, line.tare, line.amount) == (1250, 200, 150)
            assert "(gross 1.450 kg - tare 0.200 kg)" in message(pilot)
            fake.grams = 0
            await until(pilot, lambda: not pilot.app.weighing.used)  # type: ignore[attr-defined]
            fake.grams = 150  # less than the tray: a tare heavier than the weight is refused
            await until(pilot, steady(pilot, 150))
            await type_in(pilot, "", "f3")
            assert len(cart_lines(pilot)) == 1 and is_error(pilot)
            assert "The tare (0.200 kg) is as much as the weight (0.150 kg)" in message(pilot)
            await pilot.press("escape")
            await pilot.press("f2")
            await type_in(pilot, "", "enter", "enter")
    finally:
        fake.unplug()
    assert rows(lane.path, "SELECT grams, tare, amount FROM sale_lines") == [(1250, 200, 150)]
    journal = Journal.open(lane.path / DB_NAME)
    try:
        sale = journal.last_sale()
    finally:
        journal.close()
    assert sale is not None
    text = sale_receipt(sale, fair="Feria", lane=1, language="en", width=32).text()
    assert "  gross 1.450 kg - tare 0.200 kg" in text


async def test_a_typed_tare_and_a_lane_without_a_scale(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await type_in(pilot, "", "ctrl+t")  # no scale: the tare is asked for
        assert "Tare (kg)" in pilot.app.screen.query_one("#entry").placeholder
        await type_in(pilot, "0.3", "enter")
        assert "Tare 0.300 kg: taken off each weight" in message(pilot)
        assert "Tare 0.300 kg" in side_panel(pilot)
        await type_in(pilot, "101*1.8", "enter")  # read off the scale's display: gross
        await type_in(pilot, "101", "enter")
        await type_in(pilot, "0.2", "enter")  # lighter than the container: refused
        assert is_error(pilot) and "is as much as the weight" in message(pilot)
        await type_in(pilot, "0", "ctrl+t")  # typed, then Ctrl+T: 0 clears it
        assert "Tare cleared." in message(pilot) and "Tare" not in side_panel(pilot)
        await type_in(pilot, "", "escape")  # (the weight of the second 101 is not given)
        await type_in(pilot, "305", "enter")  # counted: a tare never touches it
        assert [(x.code, x.grams, x.tare, x.count) for x in cart_lines(pilot)] == [
            ("101", 1500, 300, None), ("305", None, None, 1)]


async def test_hardware_check_shows_the_live_reading(lane: LaneDir, scale: FakeScale) -> None:
    app = make_till(lane.path, FAIRPOS_SCALE__URL=str(scale.link), **SICS)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await until(pilot, steady(pilot, 1250))
        pilot.app.action_command_palette()
        await type_in(pilot, *"Hardware", "enter")
        await until(pilot, lambda: "1.250 kg" in message(pilot, "#text"))
        assert f"{scale.link} (sics) · connected" in message(pilot, "#text")
        scale.grams = 3400
        await until(pilot, lambda: "3.400 kg · steady" in message(pilot, "#text"))


async def test_a_scale_setting_that_cannot_work_leaves_the_till_selling(lane: LaneDir) -> None:
    app = make_till(lane.path, FAIRPOS_SCALE__URL="/dev/null", FAIRPOS_SCALE__PROTOCOL="dibal")
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert "unknown scale protocol" in side_panel(pilot)
        await type_in(pilot, "101", "enter")
        await type_in(pilot, "1", "enter")
        assert [x.grams for x in cart_lines(pilot)] == [1000]


async def test_no_scale_configured_hides_the_scale_keys(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert not pilot.app.screen.query_one("#weight").display
        screen = pilot.app.screen
        assert not any(screen.check_action(action, ()) for action in ("weigh", "zero"))
        await type_in(pilot, "101", "f1")
        assert cart_lines(pilot) == []  # F1 does nothing without a scale
        assert "scale" not in message(pilot).lower()  # no refusal: the key is not there
        assert "Scale: not configured" in side_panel(pilot)
