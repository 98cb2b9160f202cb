"""The entry line's grammar: one reading or a refusal that names both, never a guess."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fairpos.domain.catalog import Catalog, parse_catalog
from fairpos.domain.quantity import Quantity, QuantityError, parse_quantity
from fairpos.domain.typed import AddLine, Search, TypedError, count_example, read_typed, typed_text
from harness.lanes import FIXTURES

DRAFT = parse_catalog((FIXTURES / "feria-catalog.csv").read_text(), "csv", "USD")
CATALOG = Catalog.build(1, "USD", DRAFT.price_classes, DRAFT.products)
COUNTED = [p.plu for p in CATALOG.products.values() if p.unit == "each"]
WEIGHED = [p.plu for p in CATALOG.products.values() if p.unit == "kg"]
BARCODES = [p.barcode for p in CATALOG.products.values() if p.barcode]


@pytest.mark.parametrize(("typed", "code", "quantity"), [
    ("3*305", "305", Quantity(count=3)),
    ("305*3", "305", Quantity(count=3)),
    ("101*1.25", "101", Quantity(grams=1250)),
    ("101*1,25", "101", Quantity(grams=1250)),
    ("101*500g", "101", Quantity(grams=500)),
    ("0.5kg*101", "101", Quantity(grams=500)),
    ("g*2.35", "G", Quantity(grams=2350)),
    ("2*7591234000049", "305", Quantity(count=2)),
])
def test_one_reading_is_taken(typed: str, code: str, quantity: Quantity) -> None:
    assert read_typed(typed, CATALOG) == AddLine(code, quantity)


@pytest.mark.parametrize(("typed", "said"), [
    # the trial's two mistakes: each reads two ways, and both are named
    ("101*500", ["101 × Ground black pepper", "Tomato by weight"]),
    ("305*101", ["101 × White rice", "Tomato by weight"]),
    ("101*2", ["Tomato is sold by weight", "101*500g"]),
    ("305*1.5", ["sold by the piece", "3*305"]),
    ("101*0", ["more than zero"]),
    ("3*12", ["no product matches"]),
    ("305*abc", ["is not a quantity"]),
])
def test_anything_else_is_refused_with_its_readings(typed: str, said: list[str]) -> None:
    with pytest.raises(TypedError) as refused:
        read_typed(typed, CATALOG)
    assert all(words in str(refused.value) for words in said), str(refused.value)


def fits(code: str, quantity: Quantity) -> bool:
    product = CATALOG.product(code)
    if product is None:
        return CATALOG.price_class(code) is not None and quantity.grams is not None
    return (product.unit == "kg") == (quantity.grams is not None)


def as_quantity(text: str) -> Quantity | None:
    try:
        return parse_quantity(text)
    except QuantityError:
        return None


codes = st.sampled_from([*COUNTED[:30], *WEIGHED[:30], "G", "M", "g", *BARCODES[:5], "2", "12",
                         "999", "abc"])
numbers = st.one_of(
    st.integers(1, 1200).map(str),
    st.builds(lambda k, g, sep: f"{k}{sep}{g:03d}", st.integers(0, 30), st.integers(0, 999),
              st.sampled_from([".", ","])),
    st.integers(1, 5000).map(lambda g: f"{g}g"),
    st.integers(1, 50).map(lambda k: f"{k}kg"),
)


@settings(max_examples=400, deadline=None)
@given(a=st.one_of(codes, numbers), b=st.one_of(codes, numbers))
def test_no_input_is_taken_two_ways_and_every_one_taken_reads_back(a: str, b: str) -> None:
    typed = f"{a}*{b}"
    try:
        found = read_typed(typed, CATALOG)
    except TypedError:
        return
    assert not isinstance(found, Search)
    assert found.quantity is not None and fits(found.code, found.quantity)
    # the other way round cannot have been meant: it names no product sold that way — and
    # then only a small count is taken (a large one may be grams typed without their unit)
    ways = [(x, as_quantity(y)) for x, y in ((a, b), (b, a))]
    meant = {(known.plu if (known := CATALOG.product(x)) else x.upper(), q) for x, q in ways
             if q is not None and (CATALOG.product(x) is not None or
                                   CATALOG.price_class(x) is not None)}
    assert len({m for m in meant if fits(*m)}) == 1, (typed, meant)
    if len(meant) == 2:
        assert found.quantity.count is not None and found.quantity.count <= 99, typed
    # what the line shows, typed again, is the same line — or, when the count is itself a
    # PLU (no way to write it that reads one way only), a refusal: never another line
    again = typed_text(found.code, found.quantity)
    try:
        assert read_typed(again, CATALOG) == found
    except TypedError:
        assert found.quantity.count is not None and \
            CATALOG.product(str(found.quantity.count)) is not None, again


MARKET_DRAFT = parse_catalog((FIXTURES / "farmers-market-catalog.csv").read_text(), "csv", "USD")
MARKET = Catalog.build(1, "USD", MARKET_DRAFT.price_classes, MARKET_DRAFT.products)


def test_a_count_beside_a_weighed_product_is_taken_the_one_way_it_fits() -> None:
    """At the farmers market PLU 3 (cucumbers) is weighed and PLU 8 sold by the piece:
    ``8*3`` can only be three of PLU 8; ``3*8`` likewise."""
    assert MARKET.product("3").unit == "kg" and MARKET.product("8").unit == "each"
    assert read_typed("8*3", MARKET) == AddLine("8", Quantity(count=3))
    assert read_typed("3*8", MARKET) == AddLine("8", Quantity(count=3))


@pytest.mark.parametrize("catalog_file", ["feria-catalog.csv", "farmers-market-catalog.csv"])
def test_the_hint_shows_a_count_that_reads_one_way(catalog_file: str) -> None:
    """On the farmers market's catalog "4*5" reads two ways (PLUs 4 and 5 are both sold by
    the piece): the hint must not teach it."""
    draft = parse_catalog((FIXTURES / catalog_file).read_text(), "csv", "USD")
    catalog = Catalog.build(1, "USD", draft.price_classes, draft.products)
    example = count_example(catalog)
    assert example is not None
    count, plu = example.split("*")
    assert read_typed(example, catalog) == AddLine(plu, Quantity(count=int(count)))
    if catalog_file.startswith("farmers"):
        with pytest.raises(TypedError, match="reads two ways"):
            read_typed("4*5", catalog)
        assert example != "4*5"


async def test_the_till_hint_uses_that_example(tmp_path: Path) -> None:
    from harness.lanes import make_lane
    from tests.till_helpers import make_till, settle

    lane = make_lane(tmp_path / "market", "farmers-market", "farmers-market-catalog.csv")
    lane.run("shift", "open", "--volunteer", "Sam")
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        hint = str(app.screen.query_one("#entry").placeholder)
        catalog = app.catalog
        assert catalog is not None
        assert hint == f"PLU, barcode or name · {count_example(catalog)} · 1*1.250"
