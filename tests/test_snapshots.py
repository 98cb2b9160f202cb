"""SVG snapshots of the main screens at 80×24 and 120×40 (fixed clock, fixed device id).

Update them after an intended change with ``pytest tests/test_snapshots.py --snapshot-update``
and look at the report before committing.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from fairpos.journal import DB_NAME, Journal
from harness.lanes import FIXTURES, make_lane
from tests.till_helpers import Clock, make_till, settle, type_in

SIZES = [(80, 24), (120, 40)]


@pytest.fixture
def till(tmp_path: Path) -> Any:
    lane = make_lane(tmp_path / "lane", device_id="SNAP01")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-11-19")
    store = Journal.open(lane.path / DB_NAME, clock=Clock())  # opened at a fixed time
    store.open_shift("Ana", {"USD": 2000, "VES": 1000000})
    store.close()
    return make_till(lane.path, language="es")


async def ring_up(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    for typed in ("101*1.25", "3*305", "120*850g", "7591234000100"):
        await type_in(pilot, typed, "enter")
    await pilot.press("f3")
    await type_in(pilot, "2.35", "enter")
    await type_in(pilot, "999", "enter")  # an error under the entry line


async def payment(pilot: Pilot[Any]) -> None:
    await ring_up(pilot)
    await pilot.press("escape", "f2")
    await settle(pilot)
    await type_in(pilot, "5", "enter")
    await pilot.press("down", "down", "down")
    await type_in(pilot, "1000", "enter", *"00451234", "enter")


async def close_shift(pilot: Pilot[Any]) -> None:
    await settle(pilot)
    await type_in(pilot, "305", "enter")
    await pilot.press("f2")
    await type_in(pilot, "", "enter", "enter")
    await pilot.press("ctrl+p")
    await type_in(pilot, "Cerrar turno", "enter")
    await type_in(pilot, "19", "enter", *"10000", "enter")  # 2.20 USD short: a reason is asked


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_ring_up_with_a_cart(snap_compare: Any, till: Any, size: tuple[int, int]) -> None:
    assert snap_compare(till, terminal_size=size, run_before=ring_up)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_payment(snap_compare: Any, till: Any, size: tuple[int, int]) -> None:
    assert snap_compare(till, terminal_size=size, run_before=payment)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "120x40"])
def test_close_shift(snap_compare: Any, till: Any, size: tuple[int, int]) -> None:
    assert snap_compare(till, terminal_size=size, run_before=close_shift)


def longest_names(catalog: str) -> list[str]:
    """The PLUs of a catalog's products with the longest Spanish and English names."""
    import csv

    rows = [r for r in csv.DictReader((FIXTURES / catalog).open()) if r["type"] == "product"]
    return list(dict.fromkeys(max(rows, key=lambda r: len(r[k]))["code"]
                              for k in ("name_es", "name_en")))


@pytest.mark.parametrize(("preset", "catalog", "language"), [
    ("feria", "feria-catalog.csv", "es"), ("farmers-market", "farmers-market-catalog.csv", "en")])
def test_the_longest_names_are_whole_at_80x24(snap_compare: Any, tmp_path: Path, preset: str,
                                               catalog: str, language: str) -> None:
    lane = make_lane(tmp_path / "lane", preset, catalog, device_id="SNAP02")
    if preset == "feria":
        lane.run("rate", "set", "VES", "414.04", "--effective", "2026-11-19")
    store = Journal.open(lane.path / DB_NAME, clock=Clock())
    store.open_shift("Ana", {"USD": 2000})
    store.close()
    app = make_till(lane.path, language=language)
    plus = longest_names(catalog)

    async def ring(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        for plu in plus:
            await type_in(pilot, plu, "enter")
        shown = pilot.app.export_screenshot()
        for line in pilot.app.cart.active:  # every word of each name is on the screen
            for word in line.name(language).split():
                assert html.escape(word) in shown, word

    assert snap_compare(app, terminal_size=(80, 24), run_before=ring)
