"""Catalog files: the fixtures import, and a bad file is refused whole with its line and reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fairpos.domain.cart import Cart, CartError
from fairpos.domain.catalog import Catalog, CatalogError, fold, parse_catalog
from fairpos.domain.quantity import Quantity
from harness.lanes import FIXTURES, LaneDir

HEADER = "type,code,barcode,name_es,name_en,unit,price,price_class,tags\n"
GOOD = HEADER + "class,G,,Feria grande,Big fair,kg,1.20,,\nproduct,101,,Tomate,Tomato,kg,,G,\n"


def test_fixtures_parse() -> None:
    feria = parse_catalog((FIXTURES / "feria-catalog.csv").read_text(), "csv", "USD")
    assert len(feria.price_classes) == 2
    weighed = [p for p in feria.products if p.unit == "kg"]
    assert len(weighed) == 60 and len(feria.products) - len(weighed) == 300
    assert any("ñ" in p.name_es.lower() for p in feria.products)
    market = parse_catalog((FIXTURES / "farmers-market-catalog.csv").read_text(), "csv", "USD")
    assert any("snap" in p.tags for p in market.products)
    assert any(not p.tags for p in market.products)


def test_json_form_matches_csv() -> None:
    data = {"price_classes": [{"code": "G", "name_es": "Feria grande", "price": "1.20"}],
            "products": [{"code": "101", "name_es": "Tomate", "unit": "kg", "price_class": "G"},
                         {"code": "305", "name_es": "Arroz", "unit": "each", "price": 1.2,
                          "barcode": "7591234000049"}]}
    draft = parse_catalog(json.dumps(data), "json", "USD")
    catalog = Catalog.build(1, "USD", draft.price_classes, draft.products)
    assert catalog.unit_price(catalog.products["101"]) == 120
    assert catalog.product("7591234000049") is catalog.products["305"]


@pytest.mark.parametrize(("text", "where", "reason"), [
    ("", "line 1", "empty"),
    (HEADER.replace("price,", "prize,"), "line 1", "unknown column “prize”"),
    ("type,code,name_es,unit\n", "line 1", "missing column “price”"),
    (GOOD + "product,101,,Otro,,kg,1.00,,\n", "line 4", "PLU 101 appears twice"),
    (GOOD + "product,102,,Cebolla,,kg,,X,\n", "line 4", "unknown price class “X”"),
    (GOOD + "product,102,,Cebolla,,kg,abc,,\n", "line 4", "is not an amount"),
    (GOOD + "product,102,,Cebolla,,kg,-1,,\n", "line 4", "is not an amount"),
    (GOOD + "product,102,,Cebolla,,kg,0,,\n", "line 4", "more than zero"),
    (GOOD + "product,102,,Cebolla,,kg,1.234,,\n", "line 4", "more decimals"),
    (GOOD + "product,102,,Cebolla,,lb,1.00,,\n", "line 4", "unit must be kg or each"),
    (GOOD + "product,1O2,,Cebolla,,kg,1.00,,\n", "line 4", "a PLU is 1 to 8 digits"),
    (GOOD + "product,102,,,,kg,1.00,,\n", "line 4", "Spanish name"),
    (GOOD + "product,102,,Arroz,,each,,G,\n", "line 4", "only products sold by the kilo"),
    (GOOD + "product,102,,Cebolla,,kg,1.00,G,\n", "line 4", "leave its price empty"),
    (GOOD + "product,102,,Cebolla,,kg,,,\n", "line 4", "the price is empty"),
    (GOOD + "product,102,12ab,Cebolla,,kg,1.00,,\n", "line 4", "a barcode is 8 to 14 digits"),
    (GOOD + "product,102,,Cebolla,,kg,1.00,,,extra\n", "line 4", "more fields than columns"),
    (GOOD + "bundle,102,,Cebolla,,kg,1.00,,\n", "line 4", "must be “class” or “product”"),
    (GOOD + "class,7,,Siete,,kg,1.00,,\n", "line 4", "price class code is letters"),
    (GOOD + "product,102,,Cebolla,,kg,1.00,,bad tag\n", "line 4", "is not a tag"),
    (HEADER + 'product,101,,"Tomate\n', "line 2", "malformed CSV"),
    (HEADER + 'product,101,,"Tom"ate,,kg,1,,\n', "line 2", "malformed CSV"),
])
def test_bad_csv_names_line_and_reason(text: str, where: str, reason: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "csv", "USD")
    assert caught.value.where == where
    assert reason in caught.value.reason


@pytest.mark.parametrize(("text", "where", "reason"), [
    ("{", "line 1", "not valid JSON"),
    ("[]", "line 1", "expected an object"),
    ('{"products": {}}', "products", "must be a list"),
    ('{"products": [1]}', "products[0]", "must be an object"),
    ('{"products": [{"code": "1", "name_es": "A", "unit": "kg", "price": "1", "colour": 1}]}',
     "products[0]", "unknown key “colour”"),
    ('{"products": [{"type": "class", "code": "G"}]}', "products[0]", "must be “product”"),
])
def test_bad_json_names_item_and_reason(text: str, where: str, reason: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "json", "USD")
    assert caught.value.where == where and reason in caught.value.reason


def test_bad_file_imports_nothing(feria: LaneDir, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD + "product,102,,Cebolla,,kg,1,00,,\n")
    before = feria.dump()
    message = feria.fail("catalog", "import", str(bad))
    assert message == "fairpos: line 4: more fields than columns"
    assert feria.dump() == before
    bad.write_bytes(b"\xff\xfe garbage")
    assert "is not UTF-8 text" in feria.fail("catalog", "import", str(bad))
    assert "cannot read" in feria.fail("catalog", "import", str(tmp_path / "missing.csv"))
    assert feria.dump() == before


def test_bad_file_message_in_spanish(feria: LaneDir, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(GOOD + "product,102,,Cebolla,,kg,,X,\n")
    assert feria.fail("catalog", "import", str(bad), lang="es") == \
        "fairpos: línea 4: clase de precio desconocida «X»"


def test_new_version_changes_class_price_and_old_sales_keep_theirs(feria: LaneDir,
                                                                   tmp_path: Path) -> None:
    old = feria.sell("--line", "101=1kg", "--pay", "cash:USD:5")
    newer = tmp_path / "week2.json"
    newer.write_text(json.dumps({
        "price_classes": [{"code": "G", "name_es": "Feria grande", "price": "1.35"}],
        "products": [{"code": "101", "name_es": "Tomate", "unit": "kg", "price_class": "G"}]}))
    assert "Catalog version 2" in feria.run("catalog", "import", str(newer)).stdout
    sale = feria.sell("--line", "101=1kg", "--pay", "cash:USD:5")
    assert (old["catalog_version"], old["total"]) == (1, "1.20")
    assert (sale["catalog_version"], sale["total"]) == (2, "1.35")
    assert "unknown PLU “305”" in feria.fail("sell", "--line", "305", "--pay", "cash:USD:5")
    with feria.db() as conn:
        assert conn.execute("SELECT COUNT(*) FROM products WHERE version = 1").fetchone()[0] \
            == 360


def test_search_ignores_accents_and_case() -> None:
    draft = parse_catalog((FIXTURES / "feria-catalog.csv").read_text(), "csv", "USD")
    catalog = Catalog.build(1, "USD", draft.price_classes, draft.products)
    assert [p.name_es for p in catalog.search("pina")] == ["Piña"]
    assert [p.name_es for p in catalog.search("ÑAME")] == ["Ñame"]
    assert [p.plu for p in catalog.search("PASTA corta 500 coop")] == ["442", "444"]
    assert len(catalog.search("pasta corta 500")) == 6
    assert catalog.search("   ") == [] and catalog.search("zzz") == []
    assert fold("Cebollín") == "cebollin"


def test_cart_operations() -> None:
    draft = parse_catalog((FIXTURES / "feria-catalog.csv").read_text(), "csv", "USD")
    catalog = Catalog.build(1, "USD", draft.price_classes, draft.products)
    cart = Cart("USD")
    cart.add(catalog, "101", Quantity(grams=1000))
    cart.add(catalog, "g", Quantity(grams=500))  # class codes are not case-sensitive
    cart.add(catalog, "7591234000049")  # by barcode, one piece
    assert cart.total == cart.total.__class__(120 + 60 + 120, "USD")
    cart.repeat_last()
    cart.change_quantity(1, Quantity(grams=2000))
    cart.void(2)
    assert [line.amount for line in cart.active] == [240, 120, 120]
    assert len(cart.lines) == 4 and cart.lines[1].voided
    with pytest.raises(CartError, match="no line 2"):
        cart.void(2)
    with pytest.raises(CartError, match="sold by weight"):
        cart.change_quantity(1, Quantity(count=3))
    with pytest.raises(CartError, match="no line 9"):
        cart.change_quantity(9, Quantity(count=3))
    assert Cart.from_dict(cart.to_dict()) == cart
    with pytest.raises(CartError, match="no line to repeat"):
        Cart("USD").repeat_last()


def test_a_weight_from_the_scale_keeps_its_frame_and_a_typed_one_none() -> None:
    draft = parse_catalog((FIXTURES / "feria-catalog.csv").read_text(), "csv", "USD")
    catalog = Catalog.build(1, "USD", draft.price_classes, draft.products)
    cart = Cart("USD")
    frame = b"S S      1.250 kg\r\n".hex()
    assert cart.add(catalog, "101", Quantity(grams=1250), scale_frame=frame).scale_frame == frame
    assert cart.add(catalog, "G", Quantity(grams=900), scale_frame=frame).scale_frame == frame
    assert cart.add(catalog, "305", scale_frame=frame).scale_frame is None  # counted
    assert cart.repeat_last().scale_frame is None
    assert cart.change_quantity(2, Quantity(grams=800)).scale_frame is None  # typed again
    assert cart.change_quantity(1, Quantity(grams=700), scale_frame=frame).grams == 700
    assert Cart.from_dict(cart.to_dict()) == cart
