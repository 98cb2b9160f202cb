"""Label printers in their own languages, from the one description every printer gets: golden
ZPL and TSPL at 203 and 300 dpi, data that cannot turn into commands, Spanish accents in each
printer's code page, the code drawn by the printer's own barcode command — and a station whose
printer speaks ZPL sends it nothing but ZPL."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from fairpos.domain.barcodes import parse_layout
from fairpos.domain.catalog import Catalog, PriceClass
from fairpos.domain.money import Money
from fairpos.domain.station import weigh
from fairpos.printer.labels import LabelStock, tspl, zpl
from fairpos.printer.layout import PrintLine, Receipt, weighed_label
from harness.lanes import LaneDir, make_lane, wait_until
from tests.test_station import TOMATO, WEIGHT, with_layouts
from tests.till_helpers import rows

GOLDEN = Path(__file__).with_name("golden") / "labels"
UPDATE = os.environ.get("FAIRPOS_UPDATE_GOLDEN") == "1"


def the_label() -> Receipt:
    catalog = Catalog.build(1, "USD", [PriceClass("G", "Feria grande", "", 120)], [TOMATO])
    label = weigh(catalog, TOMATO, 1250, parse_layout(WEIGHT), None)
    return weighed_label(label, [Money(150, "USD"), Money(62106, "VES")],
                         fair="Feria de Consumo Familiar", weighed_at="2026-11-24 07:15",
                         language="es", width=32)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize(("language", "render"), [("zpl", zpl), ("tspl", tspl)])
def test_golden_label_bytes(language: str, render: object, dpi: int) -> None:
    data = render(the_label(), LabelStock(dpi=dpi))  # type: ignore[operator]
    golden = GOLDEN / f"tomato-{dpi}.{language}"
    if UPDATE:
        GOLDEN.mkdir(parents=True, exist_ok=True)
        golden.write_bytes(data)
    assert golden.exists(), f"no golden file {golden.name}: run with FAIRPOS_UPDATE_GOLDEN=1"
    assert golden.read_bytes() == data


def test_each_language_draws_the_code_with_its_own_command() -> None:
    label = the_label()
    code = label.barcode
    assert code == "2101017012500"
    data = zpl(label, LabelStock()).decode("utf-8")
    assert data.startswith("^XA\n^CI28\n") and data.rstrip().endswith("^XZ")
    assert f"^BEN,74,Y,N^FD{code[:12]}^FS" in data  # EAN-13: the printer adds the check digit
    assert "^PW464" in data and "^LL320" in data  # 58 × 40 mm at 203 dpi
    assert "^PW685" in zpl(label, LabelStock(dpi=300)).decode()
    text = tspl(label, LabelStock(media="mark")).decode("cp1252")
    assert text.startswith("SIZE 58 mm,40 mm\r\nBLINE 3 mm,0 mm\r\n")
    assert f'"EAN13",74,1,0,2,2,"{code[:12]}"' in text and "PRINT 1,1" in text
    upc = Receipt(32, (PrintLine("x"),), barcode="012345678905")
    assert "^BUN,96,Y,N,Y^FD01234567890^FS" in zpl(upc, LabelStock()).decode()
    assert '"UPCA",96,1,0,2,2,"01234567890"' in tspl(upc, LabelStock()).decode()


def test_data_never_turns_into_a_command_and_accents_stay() -> None:
    hostile = Receipt(32, (PrintLine('Limón ^XZ~JR_ "Ñame"', bold=True),))
    data = zpl(hostile, LabelStock())
    assert "Limón _5EXZ_7EJR_5F \"Ñame\"".encode() in data  # (^FH: the hex stands as data)
    assert data.count(b"^XZ") == 1 and b"~JR" not in data
    text = tspl(hostile, LabelStock())
    assert 'Lim\xf3n ^XZ~JR_ \\["]\xd1ame\\["]'.encode("latin-1") in text
    # the font's quotes, the text's own, and the two in the data written as TSPL's \["]
    assert text.count(b'"') == 2 + 2 + 2 and text.count(b'\\["]') == 2


def test_a_station_whose_printer_speaks_zpl_sends_it_nothing_else(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A label weighed at the station reaches a ZPL printer on its TCP port whole, as ZPL,
    asked how it is in ZPL (``~HS``), never in ESC/POS (DLE EOT would be printed, or choke
    it)."""
    from harness.fake_label_printer import FakeLabelPrinter

    printer = FakeLabelPrinter("zpl")
    station: LaneDir = with_layouts(make_lane(tmp_path / "station", device_id="ZPL001"),
                                    WEIGHT)
    with (station.path / "fairpos.toml").open("a") as settings:
        settings.write('\n[station]\nlabel_language = "zpl"\ndpi = 300\n')
    monkeypatch.setenv("FAIRPOS_PRINTER__URL", printer.url)
    try:
        made = station.json("station", "label", "101", "--weight", "1.250kg")
        assert made["code"] == "2101017012500"
        # (the printer's thread reads what was sent on its own time)
        wait_until(lambda: bytes(printer.received).rstrip().endswith(b"^XZ"),
                   "the whole label at the printer")
        received = bytes(printer.received)
        assert received.startswith(b"^XA\n^CI28\n")
        assert b"^BEN,109,Y,N^FD210101701250^FS" in received and b"Tomato" in received
        assert printer.asked >= 1 and b"\x10\x04" not in received
    finally:
        printer.close()


def test_a_label_setting_that_cannot_be_is_refused(tmp_path: Path) -> None:
    station = make_lane(tmp_path / "station", device_id="ZPL002")
    with (station.path / "fairpos.toml").open("a") as settings:
        settings.write('\n[station]\nlabel_language = "epl"\n')
    assert "[station] label_language must be escpos, zpl or tspl" in station.fail(
        "report")


@pytest.mark.parametrize("language", ["zpl", "tspl"])
def test_paper_out_keeps_the_label_and_prints_it_once_when_back(
        language: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The label printer is asked how it is in its own language before each label: out of
    paper (or its head up, or paused) the label stays queued and is said; back, it prints once."""
    from fairpos.lane import Lane
    from fairpos.printer.connection import PrinterError
    from harness.fake_label_printer import FakeLabelPrinter

    printer = FakeLabelPrinter(language)
    station = with_layouts(make_lane(tmp_path / "station", device_id="LBL001"), WEIGHT)
    with (station.path / "fairpos.toml").open("a") as settings:
        settings.write(f'\n[station]\nlabel_language = "{language}"\n')
    monkeypatch.setenv("FAIRPOS_PRINTER__URL", printer.url)
    lane = Lane(station.path)
    try:
        printer.paper_out = True
        assert ": out of paper\n" in station.run("printer", "status").stdout
        product = lane.catalog().product("101")
        assert product is not None
        _label, job = lane.label(product, 1250)
        with pytest.raises(PrinterError, match="out of paper"):
            lane.print_now(job)
        assert printer.received == bytearray() and printer.asked >= 1
        printer.paper_out, printer.head_open = False, True
        with pytest.raises(PrinterError, match="cover is open"):
            lane.print_now(job)
        printer.head_open = False
        assert lane.print_pending().printed == 1
        assert lane.print_pending().printed == 0  # once
        first = b"^XA" if language == "zpl" else b"SIZE 58 mm"
        # (the printer's thread reads what was sent on its own time)
        wait_until(lambda: first in bytes(printer.received), "the label at the printer")
        assert bytes(printer.received).count(first) == 1
        assert b"\x10\x04" not in printer.received
    finally:
        lane.close()
        printer.close()


def test_a_label_too_small_for_the_station_is_said_and_nothing_is_written(
        tmp_path: Path) -> None:
    """A 58 × 20 mm roll cannot hold a weighed label: the station says so in one line, in the
    volunteer's language, and journals no label and queues no print."""
    station = with_layouts(make_lane(tmp_path / "station", device_id="ZPL003"), WEIGHT)
    with (station.path / "fairpos.toml").open("a") as settings:
        settings.write('\n[station]\nlabel_language = "tspl"\nlabel_height_mm = 20\n')
    said = station.fail("station", "label", "101", "--weight", "1.250kg", lang="es")
    assert "una etiqueta de 58 × 20 mm es muy pequeña para el producto" in said
    assert rows(station.path, "SELECT COUNT(*) FROM labels") == [(0,)]
    assert rows(station.path, "SELECT COUNT(*) FROM print_jobs") == [(0,)]
