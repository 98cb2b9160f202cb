"""A weighing station's labels scanned at a lane: the weight or price in the code becomes the
line (marked as from a label, the code kept), in `fairpos sell` and at the till alike; a label
that does not read or does not fit is refused with the reason and changes nothing; the code
travels to the ledger with the sale."""

from __future__ import annotations

from pathlib import Path

import pytest

from fairpos.domain.barcodes import check_digit, decode, encode, parse_layout
from fairpos.domain.cart import CartError, label_line, line_amount
from fairpos.domain.catalog import Catalog, parse_catalog
from harness.lanes import LaneDir, make_lane
from harness.sync_helpers import LedgerServer, connect, payloads
from tests.till_helpers import make_till, message, settle, type_in

WEIGHT = parse_layout("2 1 PPPP C WWWWW C")
PRICE = parse_layout("2 0 PPPPP AAAAA C")
TOMATO_PER_KG = 120  # PLU 101 in the feria catalog, cents a kilo


@pytest.fixture
def lane(tmp_path: Path) -> LaneDir:
    lane = make_lane(tmp_path / "lane", device_id="LABEL1")
    with (lane.path / "fairpos.toml").open("a") as settings:
        settings.write('\n[barcodes]\nlayouts = ["2 1 PPPP C WWWWW C", "2 0 PPPPP AAAAA C"]\n')
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    return lane


def test_a_weight_label_and_a_price_label_are_sold(lane: LaneDir) -> None:
    weighed = encode(WEIGHT, "101", grams=1250)
    priced = encode(PRICE, "101", price=line_amount(TOMATO_PER_KG, grams=2345))
    pieces = encode(PRICE, "305", price=240)  # two bags of rice, a label for both
    sale = lane.sell("--line", weighed, "--line", priced, "--line", pieces,
                     "--pay", "cash:USD:10")
    lines = [(x["code"], x["grams"], x["count"], x["amount"], x["weighed"], x["label"])
             for x in sale["lines"]]
    # a price label's weight is the least that comes to its price at today's price a kilo
    least = min(g for g in range(1, 5000) if line_amount(TOMATO_PER_KG, grams=g) == 281)
    assert lines == [("101", 1250, None, "1.50", "label", weighed),
                     ("101", least, None, "2.81", "label", priced),
                     ("305", None, 2, "2.40", None, pieces)]


def spoilt(code: str, at: int) -> str:
    """``code`` with its digit ``at`` misread."""
    return code[:at] + str((int(code[at]) + 1) % 10) + code[at + 1:]


def checked(code: str) -> str:
    """``code`` with its check digit made again for the digits it has."""
    return code[:-1] + str(check_digit(code[:-1]))


@pytest.mark.parametrize(("code", "said"), [
    (spoilt(encode(WEIGHT, "101", grams=1250), 12), "the check digit is wrong"),
    (checked(spoilt(encode(WEIGHT, "101", grams=1250), 9)),
     "does not match its verifier digit"),  # (a weight misread, the check digit made again)
    (encode(WEIGHT, "9999", grams=500), "unknown PLU “9999”"),
    (encode(WEIGHT, "305", grams=500), "is sold by the piece, not by weight"),
    (encode(PRICE, "305", price=130), "its price is not a number of White rice"),
    ("(01)09501101530004(3103)001250", "the GTIN's check digit is wrong"),
])
def test_a_label_that_does_not_read_or_fit_is_refused_and_nothing_is_sold(
        lane: LaneDir, code: str, said: str) -> None:
    message = lane.fail("sell", "--line", code, "--pay", "cash:USD:10")
    assert said in message
    assert lane.json("report")["sales_count"] == 0


def test_a_price_no_weight_comes_to_is_refused() -> None:
    """At 25.00 a kilo a gram is 2.5 cents: 4 cents is no weight's price (3 is one gram's,
    5 two grams'): a label printed at another price."""
    draft = parse_catalog("type,code,barcode,name_es,name_en,unit,price,price_class,tags\n"
                          "product,777,,Azafrán,Saffron,kg,25.00,,\n", "csv", "USD")
    catalog = Catalog.build(1, "USD", draft.price_classes, draft.products)
    with pytest.raises(CartError, match="its price is not one of Saffron at today's price"):
        label_line(catalog, decode(encode(PRICE, "777", price=4), [PRICE]))  # type: ignore[arg-type]
    line = label_line(catalog, decode(encode(PRICE, "777", price=5), [PRICE]))  # type: ignore[arg-type]
    assert (line.grams, line.amount) == (2, 5)


def test_a_layout_that_cannot_be_is_a_setting_refused(tmp_path: Path) -> None:
    lane = make_lane(tmp_path / "lane")
    with (lane.path / "fairpos.toml").open("a") as settings:
        settings.write('\n[barcodes]\nlayouts = ["4 1 PPPP C WWWWW C"]\n')
    assert "[barcodes] layouts: “4 1 PPPP C WWWWW C”: a market's own codes begin with 2" in \
        lane.fail("report")


async def test_a_label_scanned_at_the_till(lane: LaneDir) -> None:
    weighed = encode(WEIGHT, "101", grams=1250)
    # (a lane with a scale: a weight not from it is said to be typed, a label's is a label's)
    app = make_till(lane.path, FAIRPOS_SCALE__URL="/dev/null", FAIRPOS_SCALE__PROTOCOL="cas")
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, weighed, "enter")  # a scanner types the code and Enter
        [line] = app.cart.active
        assert (line.code, line.grams, line.amount, line.label) == ("101", 1250, 150, weighed)
        assert "(label)" in message(pilot) and "typed" not in message(pilot)
        await type_in(pilot, spoilt(weighed, 12), "enter")
        assert "the check digit is wrong" in message(pilot) and len(app.cart.active) == 1


async def test_a_label_scanned_twice_asks_before_it_is_added_again(lane: LaneDir) -> None:
    weighed = encode(WEIGHT, "101", grams=1250)
    app = make_till(lane.path)
    async with app.run_test() as pilot:
        await settle(pilot)
        await type_in(pilot, weighed, "enter")
        await type_in(pilot, weighed, "enter")  # the same label: is it meant?
        assert "already in the sale (line 1)" in message(pilot)
        assert len(app.cart.active) == 1
        await type_in(pilot, weighed, "enter")  # scanned again: yes
        assert len(app.cart.active) == 2
        await type_in(pilot, weighed, "enter")
        await pilot.press("escape")  # no: left out
        assert len(app.cart.active) == 2
        await type_in(pilot, weighed, "enter")
        await type_in(pilot, "305", "enter")  # something else: the label is left out
        assert [line.code for line in app.cart.active] == ["101", "101", "305"]


def test_the_label_travels_with_the_sale_to_the_ledger(lane: LaneDir, tmp_path: Path) -> None:
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        connect(lane, server)
        weighed = encode(WEIGHT, "101", grams=800)
        lane.sell("--line", weighed, "--pay", "cash:USD:1")
        assert "1 new" in lane.run("sync").stdout
        [sent] = payloads(lane)
        assert sent["lines"][0]["label"] == weighed
        with server.store() as ledger:
            [stored] = ledger.all("SELECT payload FROM sales")
        assert f'"label":"{weighed}"' in stored[0]
    finally:
        server.stop()



def test_the_same_label_twice_on_the_command_line_is_refused_unless_meant(
        lane: LaneDir) -> None:
    weighed = encode(WEIGHT, "101", grams=1250)
    before = lane.dump()
    refused = lane.fail("sell", "--line", weighed, "--line", weighed, "--pay", "cash:USD:5")
    assert "twice" in refused and "--label-again" in refused
    assert lane.dump() == before
    sale = lane.sell("--line", weighed, "--line", weighed, "--label-again",
                     "--pay", "cash:USD:5")
    assert [x["label"] for x in sale["lines"]] == [weighed, weighed]
