"""Scarce goods limited per sale: the catalog's ``max_per_sale`` (kilos by weight, a count by
the piece); `fairpos sell` and the till refuse beyond it with the limit named, whether by one
line, by lines that add up, by a changed quantity or by a label; nothing else changes."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairpos.domain.catalog import CatalogError, parse_catalog
from harness.lanes import FIXTURES, LaneDir, make_lane
from tests.till_helpers import make_till, message, settle, type_in

HEADER = "type,code,barcode,name_es,name_en,unit,price,price_class,tags,max_per_sale\n"


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    """A lane whose catalog limits rice (305) to 2 bags and tomatoes (101) to 3 kg a sale."""
    rows = (FIXTURES / "feria-catalog.csv").read_text().splitlines()
    limited = [HEADER.strip()] + [
        row + ("," + {"101": "3", "305": "2"}.get(row.split(",")[1], "")
               if not row.startswith("type,") else "")
        for row in rows[1:]]
    catalog = tmp_path / "limited.csv"
    catalog.write_text("\n".join(limited) + "\n", encoding="utf-8")
    lane = make_lane(tmp_path / "lane")
    lane.run("catalog", "import", str(catalog))
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    return lane


def test_the_catalog_reads_the_limits() -> None:
    draft = parse_catalog(HEADER + "product,305,,Arroz,Rice,each,1.20,,,2\n"
                          "product,777,,Azafrán,Saffron,kg,25.00,,,0.250\n", "csv", "USD")
    assert [p.max_per_sale for p in draft.products] == [2, 250]
    for bad in ("product,305,,Arroz,Rice,each,1.20,,,2.5\n",
                "product,777,,Azafrán,Saffron,kg,25.00,,,0\n",
                "product,777,,Azafrán,Saffron,kg,25.00,,,1.2345\n"):
        with pytest.raises(CatalogError, match="max_per_sale is kilos"):
            parse_catalog(HEADER + bad, "csv", "USD")


def test_sell_refuses_beyond_the_limit_and_sells_up_to_it(lane: LaneDir) -> None:
    assert "White rice grade I 1 kg: at most 2 in one sale" in lane.fail(
        "sell", "--line", "305=3", "--pay", "cash:USD:10")
    assert "Tomato: at most 3.000 kg in one sale (2.000 kg already in it)" in lane.fail(
        "sell", "--line", "101=2kg", "--line", "101=1.5kg", "--pay", "cash:USD:10")
    assert lane.json("report")["sales_count"] == 0  # refused whole
    sale = lane.sell("--line", "305=2", "--line", "101=2kg", "--line", "101=1kg",
                     "--pay", "cash:USD:10")
    assert [(x["code"], x["count"], x["grams"]) for x in sale["lines"]] == [
        ("305", 2, None), ("101", None, 2000), ("101", None, 1000)]


async def test_the_till_refuses_beyond_the_limit_and_keeps_the_sale(lane: LaneDir) -> None:
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, "2*305", "enter")
        await type_in(pilot, "305", "enter")  # a third bag: no
        assert "at most 2 in one sale (2 already in it)" in message(pilot)
        assert [line.count for line in app.cart.active] == [2]
        assert app.screen.query_one("#entry").value == "305"  # (left to be put right)
        app.screen.query_one("#entry").value = ""
        await type_in(pilot, "101*2.5", "enter")
        await pilot.press("f9")  # the last line, the tomatoes: a new weight, past the limit
        await type_in(pilot, "3.5", "enter")
        assert "Tomato: at most 3.000 kg in one sale" in message(pilot)
        assert [line.grams for line in app.cart.active if line.code == "101"] == [2500]
