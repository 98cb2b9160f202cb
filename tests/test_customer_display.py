"""The customer display: a pole display on a pseudo-terminal (a fake that reads the Epson and
the CD5220 command sets) follows the till's sale and thanks after payment, and one unplugged
mid-sale changes nothing at the till; ``fairpos display`` follows a real till in a real
terminal, in large type."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Digits

from benchmarks.terminal import Terminal
from fairpos import i18n
from fairpos.display.pole import frame, idle_lines, thanks_lines
from fairpos.domain.money import Money
from fairpos.journal import DB_NAME, Journal
from fairpos.lane import Lane
from fairpos.settings import parse_settings
from fairpos.tui.customer import make_customer_view
from harness.fake_pole import FakePole
from harness.lanes import LaneDir, open_lane
from tests.till_helpers import make_till, message, rows, settle, type_in, until

F2 = b"\x1bOQ"


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    return open_lane(tmp_path / "lane", "POLE01")


@pytest.fixture(params=["epson", "cd5220"])
def pole(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[FakePole]:
    fake = FakePole(tmp_path / "ttyPOLE", protocol=request.param)
    yield fake
    fake.unplug()


def test_the_bytes_of_each_command_set() -> None:
    lines = ("Piña 1,50", "€ 2")
    assert frame(lines, "epson", "CP437") == (
        b"\x0cPi\xa4a 1,50" + b" " * 11 + b"\x1f$\x01\x02EUR 2" + b" " * 15)
    assert frame(lines, "cd5220", "CP437") == (
        b"\x1bQAPi\xa4a 1,50" + b" " * 11 + b"\r\x1bQBEUR 2" + b" " * 15 + b"\r")
    i18n.use("es")
    assert thanks_lines(Money(1850, "USD"), "es") == ("     ¡Gracias!      ",
                                                      "Vuelto     18,50 USD")
    assert idle_lines("Feria de Consumo Familiar del Centro")[0] == "Feria de Consumo Fam"


async def test_the_pole_display_follows_the_sale(lane: LaneDir, pole: FakePole) -> None:
    app = make_till(lane.path, FAIRPOS_DISPLAY__URL=str(pole.link),
                    FAIRPOS_DISPLAY__PROTOCOL=pole.protocol)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await until(pilot, lambda: "Feria" in pole.showing()[0])  # between customers
        await type_in(pilot, "101*1.25", "enter")
        await until(pilot, lambda: pole.showing() == ("Tomato          1.50",
                                                      " 1.50 USD 621.06 VES"))
        await type_in(pilot, "3*305", "enter")
        # (both totals with their codes take 21 characters: the first one's code gives way)
        await until(pilot, lambda: pole.showing()[0].startswith("White rice")
                    and pole.showing()[1] == " 5.10 | 2,111.60 VES")
        await type_in(pilot, "", "f2")
        await type_in(pilot, "10.10", "enter", "enter")  # 10.10 USD cash: 5 USD of change
        await until(pilot, lambda: pole.showing() == ("     Thank you!     ",
                                                      "Change      5.00 USD"))
        await pilot.press("f10")  # the sale is voided: its change is no longer shown
        await settle(pilot)
        await pilot.press("f3")
        await type_in(pilot, "wrong customer", "enter")
        await until(pilot, lambda: "Feria" in pole.showing()[0])
    assert pole.inits == 1 and pole.garbage is None


async def test_a_display_unplugged_mid_sale_changes_nothing_at_the_till(
        lane: LaneDir, tmp_path: Path) -> None:
    pole = FakePole(tmp_path / "ttyPOLE")
    app = make_till(lane.path, FAIRPOS_DISPLAY__URL=str(pole.link))
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await type_in(pilot, "101*1.25", "enter")
        await until(pilot, lambda: pole.showing()[0].startswith("Tomato"))
        pole.unplug()  # the cable pulled mid-sale
        await type_in(pilot, "3*305", "enter")
        assert app.pole is not None
        await until(pilot, lambda: app.pole is not None and app.pole.problem is not None)
        await type_in(pilot, "", "f2")
        await type_in(pilot, "", "enter", "enter")  # the exact amount, confirmed
        assert "confirmed" in message(pilot)
    assert rows(lane.path, "SELECT COUNT(*) FROM sales") == [(1,)]


async def test_the_display_view_follows_a_till_in_a_real_terminal(lane: LaneDir) -> None:
    till = Terminal([sys.executable, "-m", "fairpos", "--data-dir", str(lane.path), "--lang",
                     "en", "till"], columns=100, lines=30)
    i18n.use("en")
    settings = parse_settings((lane.path / "fairpos.toml").read_text())
    view = make_customer_view(Lane(lane.path, settings, Journal.open(lane.path / DB_NAME)))
    try:
        async with view.run_test(size=(80, 24)) as pilot:
            def shown(selector: str) -> str:
                widget: Any = view.query_one(selector)
                return str(widget.value if isinstance(widget, Digits) else widget.render())

            await until(pilot, lambda: "Welcome" in shown("#said"))
            till.wait_for(lambda screen: "Void line" in screen)
            till.send(b"101*1.25\r")
            await until(pilot, lambda: "Tomato" in shown("#lines"))
            assert shown("#total") == "1.50" and "USD" in shown("#said")
            assert shown("#other") == "621.06 VES"
            till.send(b"3*305\r")
            await until(pilot, lambda: "White rice" in shown("#lines"))
            assert shown("#total") == "5.10"
            till.send(F2)
            till.wait_for(lambda screen: "Still due" in screen)
            till.send(b"10.10\r")
            till.wait_for(lambda screen: "Paid" in screen)
            till.send(b"\r")  # confirmed
            await until(pilot, lambda: "Thank you" in shown("#said"))
            assert "Change: 5.00 USD" in shown("#other")
            lane.run("void", "POLE01-000001", "--reason", "wrong customer")
            await until(pilot, lambda: "Welcome" in shown("#said"), 30)  # not its change
            assert shown("#other") == ""
    finally:
        till.close()


def test_a_display_that_cannot_be_is_said_in_one_line(tmp_path: Path) -> None:
    from fairpos.settings import SettingsError

    with pytest.raises(SettingsError, match="epson or cd5220"):
        parse_settings('[display]\nurl = "/dev/ttyUSB1"\nprotocol = "vfd"\n')
    empty = LaneDir(tmp_path / "nothing")  # no lane here: the view says so, and opens nothing
    (tmp_path / "nothing").mkdir()
    assert "fairpos init" in empty.fail("display")
