"""Cash counted by bills and coins (``[money] denominations``): the float and the close, at the
till (F3: one field per bill and coin, the total as it is typed) and on the command line
(``USD:3x20+2x5``); the breakdown is kept with the count and shown on the Z report; what cannot
be counted so is refused in one line and changes nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from fairpos.domain.shift import PiecesError, read_pieces
from fairpos.journal import DB_NAME, Journal, JournalError
from fairpos.settings import SettingsError, parse_settings
from harness.lanes import LaneDir, make_lane
from tests.till_helpers import make_till, message, rows, settle, type_in

DENOMINATIONS = ('denominations = ["USD: 100 50 20 10 5 1 0.25 0.10 0.05 0.01", '
                 '"VES: 500 200 100 50 20 10 5 1 0.50"]\n')
USD = (10000, 5000, 2000, 1000, 500, 100, 25, 10, 5, 1)


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    lane = make_lane(tmp_path / "lane", device_id="BILL01")
    text = (lane.path / "fairpos.toml").read_text()  # (the feria's, with dollar coins too)
    shipped = next(line for line in text.splitlines() if line.startswith("denominations"))
    (lane.path / "fairpos.toml").write_text(text.replace(shipped + "\n", DENOMINATIONS))
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    return lane


def test_pieces_are_read_and_a_wrong_one_is_refused() -> None:
    assert read_pieces("3x20 + 2x5+7*1 4×0.25", "USD", USD) == {2000: 3, 500: 2, 100: 7,
                                                                 25: 4}
    assert read_pieces("1x20 1x20", "USD", USD) == {2000: 2}
    for text, said in (("3x7", "not a bill or coin of USD"), ("tres", "how many of which"),
                       ("3x0.001", "decimals"), ("-1x20", "how many of which")):
        with pytest.raises(PiecesError, match=said):
            read_pieces(text, "USD", USD)


@pytest.mark.parametrize("setting, said", [
    ('["USD 20 10"]', "CUR: value"), ('["USD:"]', "CUR: value"), ('["USD: 0"]', "zero"),
    ('["USD: 0.001"]', "decimals"), ('["U$D: 1"]', "currency"),
])
def test_a_denominations_setting_that_cannot_be_is_refused(setting: str, said: str) -> None:
    with pytest.raises(SettingsError, match=said):
        parse_settings(f"[money]\ndenominations = {setting}\n")


def test_the_float_and_the_close_by_bills_and_coins_on_the_command_line(lane: LaneDir) -> None:
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:1x10+2x5",
             "--float", "VES:2x100")
    lane.sell("--line", "305", "--pay", "cash:USD:5")  # 1.20: 3.80 USD of change
    report = lane.json("shift", "close", "--count", "USD:1x20+1x1+2x0.10",
                       "--count", "VES:200")
    assert report["float_pieces"] == {
        "USD": [{"value": "10.00", "count": 1}, {"value": "5.00", "count": 2}],
        "VES": [{"value": "100.00", "count": 2}]}
    assert report["count_pieces"] == {"USD": [
        {"value": "20.00", "count": 1}, {"value": "1.00", "count": 1},
        {"value": "0.10", "count": 2}]}  # (VES counted as an amount)
    [usd] = [c for c in report["counts"] if c["currency"] == "USD"]
    assert (usd["counted"], usd["expected"], usd["difference"]) == ("21.20", "21.20", "0.00")
    shown = "\n".join(lane_report_lines(lane))
    assert "2 × 5.00 USD" in shown and "2 × 0.10 USD" in shown


def lane_report_lines(lane: LaneDir) -> list[str]:
    """The Z report of the lane's last shift, as printed."""
    from fairpos import i18n
    from fairpos.lane import Lane

    opened = Lane(lane.path)
    try:
        shift = opened.journal.latest_shift()
        assert shift is not None
        return opened.report(shift.id).render(i18n.active())
    finally:
        opened.close()


def test_what_cannot_be_counted_so_is_refused_and_nothing_is_written(lane: LaneDir,
                                                                      tmp_path: Path) -> None:
    before = lane.dump()
    assert "not a bill or coin of USD" in lane.fail("shift", "open", "--volunteer", "Ana",
                                                    "--float", "USD:3x7")
    assert "how many of which" in lane.fail("shift", "open", "--volunteer", "Ana",
                                            "--float", "USD:3x20+abc")
    assert lane.dump() == before
    plain = make_lane(tmp_path / "plain", preset="farmers-market",  # none set
                      catalog="farmers-market-catalog.csv", device_id="PLAIN2")
    assert "no bills and coins are set for USD" in plain.fail(
        "shift", "open", "--volunteer", "Ana", "--float", "USD:1x20")


def test_the_journal_keeps_pieces_that_add_up_and_never_changes_them(lane: LaneDir) -> None:
    journal = Journal.open(lane.path / DB_NAME)
    try:
        with pytest.raises(JournalError, match="do not add up"):
            journal.open_shift("Ana", {"USD": 2000}, pieces={"USD": {2000: 2}})
        assert journal.current_shift() is None  # (refused whole)
        shift = journal.open_shift("Ana", {"USD": 2000}, pieces={"USD": {1000: 2}})
        assert journal.count_pieces(shift.id, 0) == {"USD": {1000: 2}}
    finally:
        journal.close()
    with sqlite3.connect(lane.path / DB_NAME) as conn, \
            pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE count_pieces SET pieces = 3")


@pytest.mark.slow
async def test_the_till_counts_the_float_and_the_close_by_bills_and_coins(
        lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_in(pilot, "Ana", "enter")  # the name; now the USD float
        await type_in(pilot, "", "f3")  # by bills and coins: 100, 50, 20, 10, 5, 1, 0.25…
        assert "USD by bills and coins" in str(app.screen.query_one("#pieces-dialog")
                                              .query_one("Static").render())
        await type_in(pilot, "", "enter", "enter")  # no 100s, no 50s
        await type_in(pilot, "1", "enter", "enter")  # one 20, no 10s
        await type_in(pilot, "2", "enter", "enter")  # two 5s, no 1s
        await type_in(pilot, "4")  # four quarters
        assert "31.00 USD" in message(pilot, "#pieces-total")
        await type_in(pilot, "", "f2")
        assert app.screen.query_one("#float-USD").value == "31.00"
        await type_in(pilot, "", "tab")  # the VES float, typed as an amount
        await type_in(pilot, "", "f3")
        await type_in(pilot, "", "escape")  # (a count by pieces given up: nothing changes)
        await type_in(pilot, "100", "f2")  # open the shift
        await type_in(pilot, "", "ctrl+p")
        await type_in(pilot, "Close shift", "enter")
        await type_in(pilot, "", "f3")  # the USD count, by pieces
        await type_in(pilot, "", "enter", "enter")
        await type_in(pilot, "1", "enter", "enter", "enter")
        await type_in(pilot, "11", "f2")  # one 20, eleven 1s: 31.00
        await type_in(pilot, "", "enter")  # on to the VES count
        await type_in(pilot, "100", "enter")  # the count is kept
        assert "The count is kept" in message(pilot, "#close-message")
    journal = Journal.open(lane.path / DB_NAME)
    try:
        shift = journal.latest_shift()
        assert shift is not None
        assert journal.count_pieces(shift.id, 0) == {"USD": {2000: 1, 500: 2, 25: 4}}
        assert journal.count_pieces(shift.id, 1) == {"USD": {2000: 1, 100: 11}}
    finally:
        journal.close()
    assert rows(lane.path, "SELECT currency, amount FROM shift_counts WHERE stage = 'float' "
                           "ORDER BY currency") == [("USD", 3100), ("VES", 10000)]


async def test_an_amount_changed_by_hand_after_the_pieces_drops_them(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test(size=(100, 32)) as pilot:
        await settle(pilot)
        await type_in(pilot, "Ana", "enter", "f3")
        await type_in(pilot, "", "enter", "enter")
        await type_in(pilot, "1", "f2")  # one 20
        await type_in(pilot, "", "backspace", "backspace", "backspace", "backspace",
                      "backspace")
        await type_in(pilot, "25", "f2")  # typed over: 25, not what the pieces add up to
    journal = Journal.open(lane.path / DB_NAME)
    try:
        shift = journal.latest_shift()
        assert shift is not None and journal.floats(shift.id)["USD"] == 2500
        assert journal.count_pieces(shift.id, 0) == {}
    finally:
        journal.close()
