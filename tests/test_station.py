"""The weighing station: a bag on a real-protocol scale → a label journaled with the scale's
frame → its ESC/POS bytes on a network printer (golden) → the code read back off those bytes →
scanned at a lane's till → the same amount. Labels by weight and by price alike, from the
screen and from the command line; the station's report beside what the lanes sold; every
refusal one line."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpos import i18n
from fairpos.domain.barcodes import decode, parse_layout
from fairpos.domain.cart import label_line, line_amount
from fairpos.domain.catalog import Catalog, PriceClass, Product
from fairpos.domain.money import Money
from fairpos.domain.station import StationError, weigh
from fairpos.journal import DB_NAME, Journal
from fairpos.lane import Lane
from fairpos.printer.layout import weighed_label
from fairpos.printer.render import RenderError, render
from fairpos.settings import parse_settings
from fairpos.tui.station import StationApp, make_station
from harness.escpos_text import barcodes
from harness.fake_printer import FakePrinter, free_port
from harness.fake_scale import FakeScale, sics_frame
from harness.lanes import LaneDir, make_lane
from tests.test_printer import check_golden
from tests.till_helpers import Clock, make_till, message, rows, settle, type_in, until

WEIGHT = "2 1 PPPP C WWWWW C"
PRICE = "2 0 PPPPP AAAAA C"
SICS = {"FAIRPOS_SCALE__PROTOCOL": "sics", "FAIRPOS_SCALE__BAUDRATE": "9600",
        "FAIRPOS_SCALE__BYTESIZE": "8", "FAIRPOS_SCALE__PARITY": "N"}


def with_layouts(lane: LaneDir, *layouts: str) -> LaneDir:
    with (lane.path / "fairpos.toml").open("a") as text:
        quoted = ", ".join(f'"{layout}"' for layout in layouts)
        text.write(f"\n[barcodes]\nlayouts = [{quoted}]\n")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    return lane


@pytest.fixture
def station(tmp_path: Path) -> LaneDir:
    return with_layouts(make_lane(tmp_path / "station", device_id="STAT01"), WEIGHT, PRICE)


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    lane = with_layouts(make_lane(tmp_path / "lane", device_id="LANE01"), WEIGHT, PRICE)
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    return lane


def station_app(path: Path, clock: Any = None, **env: str) -> StationApp:
    i18n.use("en")
    settings = parse_settings((path / "fairpos.toml").read_text(), {**os.environ, **env})
    journal = Journal.open(path / DB_NAME, clock=clock or Clock())
    return make_station(Lane(path, settings, journal), cursor_blink=False)


# -- the label's figures ------------------------------------------------------------------------

TOMATO = Product("101", "Tomate", "Tomato", "kg", None, "G")


@settings(max_examples=300, deadline=None)
@given(grams=st.integers(1, 99_999), per_kilo=st.integers(1, 99_999),
       layout=st.sampled_from([WEIGHT, PRICE]))
def test_a_label_scanned_back_comes_to_the_amount_printed(grams: int, per_kilo: int,
                                                          layout: str) -> None:
    catalog = Catalog.build(1, "USD", [PriceClass("G", "Feria grande", "", per_kilo)], [TOMATO])
    read = parse_layout(layout)
    try:
        label = weigh(catalog, TOMATO, grams, read)
    except StationError as err:  # an amount of nothing, or more than the layout has room for
        amount = line_amount(per_kilo, grams=grams)
        assert amount == 0 or (read.kind == "price" and amount > 99_999)
        assert ("comes to nothing" if amount == 0 else "more than a label can carry") in str(err)
        return
    embedded = decode(label.code, [read])
    assert embedded is not None
    line = label_line(catalog, embedded)
    assert line.amount == label.amount and line.label == label.code
    if read.kind == "weight":
        assert line.grams == grams
    else:  # the least weight that comes to the price: never more than was weighed
        assert line.grams is not None and line.grams <= grams


def test_the_label_bytes(station: LaneDir) -> None:
    """Golden bytes of a label on a TM-T20II, 32 columns; the code read off them is the code."""
    catalog = Catalog.build(1, "USD", [PriceClass("G", "Feria grande", "", 120)], [TOMATO])
    label = weigh(catalog, TOMATO, 1250, parse_layout(WEIGHT), "53205320202031323530206b670d0a")
    receipt = weighed_label(label, [Money(150, "USD"), Money(62106, "VES")],
                            fair="Feria de Consumo Familiar", weighed_at="2026-11-24 07:15",
                            language="es", width=32)
    data = render(receipt, profile="TM-T20II", codepage="CP858")
    check_golden("label-32", data)
    assert barcodes(data) == [label.code] == ["2101017012500"]
    assert "[EAN13 2101017012500]" in receipt.text()[-1]


def test_a_printer_profile_without_barcodes_is_said(station: LaneDir) -> None:
    env = {"FAIRPOS_PRINTER__URL": f"tcp://127.0.0.1:{free_port()}",
           "FAIRPOS_PRINTER__PROFILE": "POS-5890"}  # a 58 mm printer that draws no barcodes
    settings = parse_settings((station.path / "fairpos.toml").read_text(), env)
    lane = Lane(station.path, settings)
    try:
        product = lane.journal.catalog().product("101")
        assert product is not None
        with pytest.raises(RenderError, match="cannot print barcodes"):
            lane.label(product, 1250)
    finally:
        lane.close()
    assert rows(station.path, "SELECT COUNT(*) FROM labels") == [(0,)]


# -- the station's screen, a real scale and printer, then a lane's till ------------------------

async def test_a_bag_weighed_at_the_station_is_scanned_at_the_till(
        station: LaneDir, lane: LaneDir, tmp_path: Path) -> None:
    scale = FakeScale("sics", grams=1250, link=tmp_path / "ttyUSB0")
    printer = FakePrinter()
    try:
        app = station_app(station.path, FAIRPOS_SCALE__URL=str(scale.link),
                          FAIRPOS_PRINTER__URL=printer.url, **SICS)
        async with app.run_test(size=(110, 30)) as pilot:
            await settle(pilot)
            await type_in(pilot, "tomat")  # the name: a list to pick from
            await type_in(pilot, "", "enter")
            assert "Tomato" in message(pilot, "#product")
            await until(pilot, lambda: app.weighing.ready)
            assert "1.50 USD" in message(pilot, "#amounts")  # before it is printed
            await type_in(pilot, "", "f1")
            await until(pilot, lambda: bool(barcodes(bytes(printer.received))))
            assert "Label 2101017012500" in message(pilot)
            await type_in(pilot, "", "f1")  # the same bag again: no second label
            assert "has its label" in message(pilot) and "error" in app.screen.query_one(
                "#message").classes
            scale.grams = 0  # the bag comes off, the next goes on
            await until(pilot, lambda: not app.weighing.ready and app.weighing.reading
                        is not None and app.weighing.reading.grams == 0)
            scale.grams = 800
            await until(pilot, lambda: app.weighing.ready)
            await type_in(pilot, "", "enter")  # Enter takes the weight too
            await until(pilot, lambda: len(barcodes(bytes(printer.received))) == 2)
        printed = barcodes(bytes(printer.received))
        assert rows(station.path, "SELECT code, grams, amount, scale_frame FROM labels") == [
            (printed[0], 1250, 150, sics_frame(1250, "stable").hex()),
            (printed[1], 800, 96, sics_frame(800, "stable").hex())]
        assert rows(station.path, "SELECT kind, state FROM print_jobs") == [
            ("label", "printed"), ("label", "printed")]
    finally:
        scale.unplug()
        printer.close()
    till = make_till(lane.path)
    async with till.run_test() as pilot:
        await settle(pilot)
        for code in printed:  # the scanner types the code read off the paper, and Enter
            await type_in(pilot, code, "enter")
        assert [(x.code, x.grams, x.amount, x.label) for x in till.cart.active] == [
            ("101", 1250, 150, printed[0]), ("101", 800, 96, printed[1])]


async def retype(pilot: Any, text: str) -> None:
    """What was refused stays on the entry line, to be mended: type over it."""
    await type_in(pilot, "", "ctrl+u")
    await type_in(pilot, text, "enter")


async def test_the_station_refuses_what_cannot_be_labelled(station: LaneDir) -> None:
    printer = FakePrinter()
    try:
        app = station_app(station.path, FAIRPOS_PRINTER__URL=printer.url)
        async with app.run_test(size=(110, 30)) as pilot:
            await settle(pilot)
            await type_in(pilot, "", "f1")
            assert "Pick the product first" in message(pilot)
            await retype(pilot, "1.250")
            assert "Pick the product first" in message(pilot)
            await retype(pilot, "305")  # rice, by the piece
            assert "sold by the piece" in message(pilot)
            await retype(pilot, "G")  # a class: a label names a product
            assert "A label names a product" in message(pilot)
            await retype(pilot, "99999")
            assert "Unknown PLU" in message(pilot)
            await retype(pilot, "101")
            await type_in(pilot, "", "f1")  # no scale set up
            assert "No scale is configured" in message(pilot)
            await retype(pilot, "200kg")
            assert "100 kg" in message(pilot)
            await retype(pilot, "1,2,5")
            assert "not a quantity" in message(pilot)
            await retype(pilot, "1.250")  # typed by hand: a label, no frame
            await until(pilot, lambda: len(barcodes(bytes(printer.received))) == 1)
        assert rows(station.path, "SELECT plu, grams, scale_frame FROM labels") == [
            ("101", 1250, None)]
    finally:
        printer.close()


async def test_a_printer_that_is_off_keeps_the_label_queued(station: LaneDir) -> None:
    app = station_app(station.path, FAIRPOS_PRINTER__URL=f"tcp://127.0.0.1:{free_port()}")
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        await type_in(pilot, "101", "enter")
        await type_in(pilot, "0.5", "enter")
        await until(pilot, lambda: "waiting" in message(pilot, "#status"))
        assert "Label 21" in message(pilot)
    assert rows(station.path, "SELECT kind, state FROM print_jobs") == [("label", "pending")]
    assert rows(station.path, "SELECT grams FROM labels") == [(500,)]
    # the next morning the printer is back: yesterday's label is listed, not printed
    printer = FakePrinter()
    try:
        later = Clock()
        later.now += timedelta(days=1)
        app = station_app(station.path, later, FAIRPOS_PRINTER__URL=printer.url)
        async with app.run_test(size=(110, 30)) as pilot:
            await settle(pilot)
            await until(pilot, lambda: "ready" in message(pilot, "#status"))
    finally:
        printer.close()
    assert printer.received == b""
    assert rows(station.path, "SELECT state FROM print_jobs") == [("skipped",)]


async def test_a_restarted_station_lists_the_labels_of_the_day(station: LaneDir) -> None:
    app = station_app(station.path)
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        await type_in(pilot, "101", "enter")
        await type_in(pilot, "0.5", "enter")
        await type_in(pilot, "0.7", "enter")
    app = station_app(station.path)
    async with app.run_test(size=(110, 30)) as pilot:
        await settle(pilot)
        table: Any = app.screen.query_one("#labels")
        assert table.row_count == 2
        assert [table.get_row_at(n)[1] for n in range(2)] == ["0.500 kg", "0.700 kg"]


# -- the command line ---------------------------------------------------------------------------

def test_labels_from_the_command_line_and_the_report_beside_the_lanes(
        station: LaneDir, lane: LaneDir) -> None:
    made = [station.json("station", "label", "101", "--weight", weight, "--no-print")
            for weight in ("1.25kg", "800g", "2")]
    assert [(m["grams"], m["amount"]) for m in made] == [(1250, "1.50"), (800, "0.96"),
                                                         (2000, "2.40")]
    sold = lane.sell("--line", made[0]["code"], "--line", made[1]["code"],
                     "--line", "101=0.5kg", "--pay", "cash:USD:5")
    other = lane.sell("--line", made[2]["code"], "--pay", "cash:USD:5")
    lane.run("void", other["id"], "--reason", "customer left")
    report = station.json("station", "report", "--sold-from", str(lane.path))
    assert report["products"] == [{"plu": "101", "name": "Tomato", "labels": 3,
                                   "grams": 4050, "amount": "4.86", "currency": "USD",
                                   "sold_lines": 2, "sold_grams": 2050}]
    assert sold["total"] == "3.06"
    text = station.run("station", "report", "--sold-from", str(lane.path)).stdout
    assert "4.050 kg" in text and "sold 2.050 kg in 2" in text and "3 labels" in text
    assert "No labels." in station.run("station", "report", "--day", "2020-01-01").stdout


def test_a_price_label_from_the_command_line_is_sold(tmp_path: Path, lane: LaneDir) -> None:
    priced = with_layouts(make_lane(tmp_path / "priced", device_id="STAT02"), PRICE)
    made = priced.json("station", "label", "101", "--weight", "1.234", "--no-print")
    assert made["code"].startswith("20") and made["amount"] == "1.48"
    sale = lane.sell("--line", made["code"], "--pay", "cash:USD:2")
    [line] = sale["lines"]
    assert (line["amount"], line["weighed"], line["label"]) == ("1.48", "label", made["code"])


def test_command_line_refusals_change_nothing(station: LaneDir, tmp_path: Path) -> None:
    before = station.dump()
    assert "unknown PLU" in station.fail("station", "label", "99999", "--weight", "1")
    assert "a label names a product" in station.fail("station", "label", "G", "--weight", "1")
    assert "by the piece" in station.fail("station", "label", "305", "--weight", "1")
    assert "not a quantity" in station.fail("station", "label", "101", "--weight", "abc")
    assert "more than zero" in station.fail("station", "label", "101", "--weight", "0")
    assert "--to is before --day" in station.fail("station", "report", "--day", "2026-01-02",
                                                  "--to", "2026-01-01")
    (tmp_path / "empty").mkdir()
    assert "holds no lane's journal" in station.fail("station", "report", "--sold-from",
                                                     str(tmp_path / "empty"))
    plain = make_lane(tmp_path / "plain", device_id="PLAIN1")  # no [barcodes] layouts
    assert "no label layout is set" in plain.fail("station", "label", "101", "--weight", "1")
    assert station.dump() == before


def test_labels_are_append_only(station: LaneDir) -> None:
    station.run("station", "label", "101", "--weight", "1", "--no-print")
    import sqlite3

    with station.db() as conn, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("UPDATE labels SET grams = 1")
    with station.db() as conn, pytest.raises(sqlite3.DatabaseError, match="append-only"):
        conn.execute("DELETE FROM labels")


def test_station_help_names_its_commands(station: LaneDir) -> None:
    text = station.run("station", "--help").stdout
    assert "label" in text and "report" in text



async def test_a_label_refused_leaves_the_bag_to_weigh_again(station: LaneDir,
                                                             tmp_path: Path) -> None:
    """The printer profile draws no barcodes: nothing is written, and the same bag's weight
    is taken again once the setting is mended — it is not "already labelled"."""
    scale = FakeScale("sics", grams=1250, link=tmp_path / "ttyUSB0")
    try:
        app = station_app(station.path, FAIRPOS_SCALE__URL=str(scale.link),
                          FAIRPOS_PRINTER__URL=f"tcp://127.0.0.1:{free_port()}",
                          FAIRPOS_PRINTER__PROFILE="POS-5890", **SICS)
        async with app.run_test(size=(110, 30)) as pilot:
            await settle(pilot)
            await type_in(pilot, "101", "enter")
            await until(pilot, lambda: app.weighing.ready)
            await type_in(pilot, "", "f1")
            await until(pilot, lambda: "cannot print barcodes" in message(pilot))
            assert app.weighing.ready  # the bag can be labelled once the printer can
    finally:
        scale.unplug()
    assert rows(station.path, "SELECT COUNT(*) FROM labels") == [(0,)]


async def test_a_refusal_naming_a_setting_is_said_whole_at_80_columns(tmp_path: Path) -> None:
    """"[barcodes] layouts" is the name of a setting, not markup: said as it is, and a long
    refusal wraps instead of being cut."""
    plain = make_lane(tmp_path / "plain", device_id="PLAIN3")  # no [barcodes] layouts
    app = station_app(plain.path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await type_in(pilot, "101", "enter")
        await type_in(pilot, "1.25", "enter")
        said = message(pilot)
        assert "add one to [barcodes] layouts" in said, said
        assert app.screen.query_one("#message").size.height >= 2  # (wrapped)
