"""A label printer's label read back by tools that did not write it: ZPL framed by zplkit's
parser and drawn by its renderer (a Rust ZPL renderer from the package registry), TSPL read by
a reader of its own here and its code drawn by python-barcode, every code decoded off the image
by Debian's zbar (``zbarimg``) and rung up at a lane's cart — to exactly the amount the label
prints, over weights, prices, layouts, resolutions and names with accents and quotes."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from fairpos.domain.barcodes import parse_layout
from fairpos.domain.cart import Cart
from fairpos.domain.catalog import Catalog, PriceClass, Product
from fairpos.domain.money import Money
from fairpos.domain.station import StationError, weigh
from fairpos.printer.labels import LabelStock, tspl, zpl
from fairpos.printer.layout import Receipt, weighed_label
from fairpos.printer.render import RenderError

assert shutil.which("zbarimg"), "zbarimg is missing: apt-get install zbar-tools (.ci/run does)"

WEIGHT = "2 1 PPPP C WWWWW C"
PRICE = "2 0 PPPPP AAAAA C"
NAMES = ["Tomate", "Ñame", 'Ají "dulce"', "Limón ^XZ~JR_", "Cebollín"]


def labels_of_every_kind(test: Callable[..., None]) -> Any:
    """``test`` over weights, prices a kilo, both layouts, both resolutions and names with
    accents and quotes, as Hypothesis draws them."""
    return settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])(
        given(name=st.sampled_from(NAMES), grams=st.integers(1, 99_999),
              per_kilo=st.integers(1, 99_999), layout=st.sampled_from([WEIGHT, PRICE]),
              dpi=st.sampled_from([203, 300]))(test))


def zbar(png: bytes, tmp: Path) -> list[str]:
    """The codes zbar reads off an image, with their symbology (``EAN-13:2101…``)."""
    path = tmp / "label.png"
    path.write_bytes(png)
    done = subprocess.run(["zbarimg", "-q", str(path)], capture_output=True, text=True,
                          check=False)
    return done.stdout.split()


def a_label(name: str, grams: int, per_kilo: int, layout: str) -> tuple[Catalog, Receipt]:
    product = Product("101", name, name, "kg", None, "G")
    catalog = Catalog.build(1, "USD", [PriceClass("G", "Feria grande", "", per_kilo)],
                            [product])
    try:
        label = weigh(catalog, product, grams, parse_layout(layout))
    except StationError:  # an amount of nothing, or more than the layout carries
        assume(False)
        raise
    amounts = [Money(label.amount, "USD"), Money(label.amount * 41404 // 100, "VES")]
    return catalog, weighed_label(label, amounts, fair="Feria de Consumo Familiar",
                                  weighed_at="2026-11-24 07:15", language="es", width=32)


def rung_up(catalog: Catalog, decoded: str, layout: str) -> int:
    """The amount a lane's cart gives the code scanned off the label (what the till does)."""
    symbology, code = decoded.split(":", 1)
    assert symbology in ("EAN-13", "UPC-A")
    cart = Cart("USD")
    line = cart.scan(catalog, code, [parse_layout(layout)])
    assert line is not None, f"{code} does not ring up as a label"
    return line.amount


def printed_amount(texts: list[str]) -> int:
    """The amount in dollars the label prints (``1.234,50 USD``), in cents, read off its text."""
    amounts = [m for text in texts if (m := re.fullmatch(r"([\d.]+),(\d\d) USD", text))]
    assert len(amounts) == 1, texts
    whole, cents = amounts[0].groups()
    return int(whole.replace(".", "")) * 100 + int(cents)


# -- ZPL: zplkit's parser and renderer ----------------------------------------------------------

def zpl_fields(data: bytes) -> list[str]:
    """The text of every ``^FD`` field, read from zplkit's framing (``^FH``: ``_XX`` is hex)."""
    from zplkit.parse import parse

    texts, hex_next = [], False
    for element in parse(data).elements:
        raw = bytes(element)
        if raw.startswith(b"^FH"):
            hex_next = True
        elif raw.startswith(b"^FD"):
            text = raw[3:].decode("utf-8").rstrip("\n")
            if hex_next:
                text = re.sub(r"_([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), text)
            texts.append(text)
            hex_next = False
    return texts


NOT_DRAWN = re.compile(rb"\^MN.\n|~SD\d+\n|\^PR\d+\n|\^PQ\d+\n")
"""Setup the renderer does not take — media sensing, darkness, speed, copies: nothing drawn."""


def zpl_image(data: bytes, dpi: int) -> tuple[bytes, bytes, int, int]:
    """The label drawn by zplkit: (PNG, raster, width, height). Characters its built-in font
    lacks (it has few beyond ASCII) are drawn as ``?``; the text itself is read by the parser."""
    from zplkit import Options, render
    from zplkit.rendering import RenderError as ZplError

    data = NOT_DRAWN.sub(b"", data)
    while True:
        try:
            document = render(data, Options(profile="specification", dpi=dpi))
            break
        except ZplError as err:
            lacking = re.search(r"unsupported embedded font glyph '(.)'", str(err))
            assert lacking, err  # any other refusal is a fault of the label
            data = data.replace(lacking.group(1).encode(), b"?")
    assert len(document.labels) == 1
    scene = document.labels[0]
    raster = scene.rasterize()
    return scene.png(), bytes(raster.pixels), raster.width, raster.height


@labels_of_every_kind
def test_a_zpl_label_rendered_and_scanned_rings_up_what_it_prints(
        tmp_path: Path, name: str, grams: int, per_kilo: int, layout: str, dpi: int) -> None:
    catalog, label = a_label(name, grams, per_kilo, layout)
    stock = LabelStock(dpi=dpi)
    data = zpl(label, stock)
    texts = zpl_fields(data)
    assert texts[0] == name  # accents and commands' characters as data, whole
    assert texts[:-1] == [line.text.strip() for line in label.lines]
    png, pixels, width, height = zpl_image(data, dpi)
    assert (width, height) == (stock.dots(58), stock.dots(40))
    assert set(pixels[-width:]) == {255}, "something runs off the label's bottom edge"
    decoded = zbar(png, tmp_path)
    assert len(decoded) == 1, decoded
    assert decoded[0].endswith(label.barcode or "-")
    assert rung_up(catalog, decoded[0], layout) == printed_amount(texts)


# -- TSPL: a reader of its own, the code drawn by python-barcode --------------------------------

TSPL_FONT = {203: {"1": (8, 12), "2": (12, 20), "3": (16, 24), "4": (24, 32), "5": (32, 48)},
             300: {"1": (12, 20), "2": (16, 28), "3": (24, 32), "4": (32, 48), "5": (48, 64)}}


def tspl_commands(data: bytes) -> list[tuple[str, list[str]]]:
    """TSPL's lines as (command, arguments): arguments split at commas outside quotes, a quoted
    one unquoted with ``\\["]`` read as ``"``; the text in the code page the label chose."""
    text = data.decode("cp1252")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    out = []
    for line in text.split("\r\n")[:-1]:
        command, _, rest = line.partition(" ")
        args = re.findall(r'"((?:[^"\\]|\\\["\])*)"|([^,]+)', rest)
        out.append((command, [quoted.replace('\\["]', '"') if quoted or not bare else bare
                              for quoted, bare in args]))
    return out


def tspl_read(data: bytes, dpi: int) -> tuple[list[str], tuple[str, str]]:
    """The label's texts and (kind, data) of its code, each checked to lie inside the label."""
    commands = tspl_commands(data)
    first = dict(commands)
    assert first["CODEPAGE"] == ["1252"] and commands[-1] == ("PRINT", ["1", "1"])
    width_mm, height_mm = (int(part.split()[0]) for part in first["SIZE"])
    width, height = round(width_mm * dpi / 25.4), round(height_mm * dpi / 25.4)
    texts, code, lowest = [], ("", ""), 0
    for command, args in commands:
        if command == "TEXT":
            x, y, font, _turn, wide, high, align, content = args
            char_w, char_h = TSPL_FONT[dpi][font]
            span = char_w * int(wide) * len(content)
            assert align == "2" and int(x) - span / 2 >= 0 and int(x) + span / 2 <= width
            assert int(y) >= lowest, "lines overlap"
            lowest = int(y) + char_h * int(high)
            texts.append(content)
        elif command == "BARCODE":
            x, y, kind, bars, _readable, _turn, narrow, _wide, content = args
            assert int(y) >= lowest and int(x) >= 0
            assert int(x) + 95 * int(narrow) <= width
            assert int(y) + int(bars) + 9 * int(narrow) <= height, "the code runs off the label"
            code = (kind, content)
    return texts, code


def drawn(kind: str, data: str) -> bytes:
    """What a printer draws for TSPL's ``BARCODE`` (its check digit its own), as a PNG."""
    import barcode
    from barcode.writer import ImageWriter

    symbology = {"EAN13": "ean13", "UPCA": "upca"}[kind]
    image = io.BytesIO()
    barcode.get(symbology, data, writer=ImageWriter()).write(image)
    return image.getvalue()


@labels_of_every_kind
def test_a_tspl_label_read_and_scanned_rings_up_what_it_prints(
        tmp_path: Path, name: str, grams: int, per_kilo: int, layout: str, dpi: int) -> None:
    catalog, label = a_label(name, grams, per_kilo, layout)
    texts, (kind, data) = tspl_read(tspl(label, LabelStock(dpi=dpi)), dpi)
    assert texts[0] == name and texts == [line.text.strip() for line in label.lines]
    decoded = zbar(drawn(kind, data), tmp_path)
    assert len(decoded) == 1, decoded
    assert decoded[0].endswith(label.barcode or "-")
    assert rung_up(catalog, decoded[0], layout) == printed_amount(texts)


# -- what does not fit ----------------------------------------------------------------------------

@pytest.mark.parametrize("render", [zpl, tspl])
def test_a_label_too_small_for_what_it_says_is_refused_in_one_line(render: object) -> None:
    _catalog, label = a_label("Tomate", 1250, 120, WEIGHT)
    with pytest.raises(RenderError, match=r"a label of 58 × 20 mm cannot hold the product"):
        render(label, LabelStock(height_mm=20))  # type: ignore[operator]
    with pytest.raises(RenderError, match=r"a label of 25 × 40 mm cannot hold the code's bars"):
        render(label, LabelStock(width_mm=25))  # type: ignore[operator]


def test_a_short_label_shrinks_its_lines_and_keeps_the_code_whole(tmp_path: Path) -> None:
    _catalog, label = a_label("Tomate", 1250, 120, WEIGHT)
    for height_mm in (30, 40, 60):
        stock = LabelStock(height_mm=height_mm)
        png, pixels, width, height = zpl_image(zpl(label, stock), 203)
        assert height == stock.dots(height_mm)
        assert set(pixels[-width:]) == {255}
        assert zbar(png, tmp_path) == [f"EAN-13:{label.barcode}"]
        tspl_read(tspl(label, stock), 203)
