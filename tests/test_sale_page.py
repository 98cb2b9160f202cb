"""Every sale findable: its page (lines, payments with their references, change, rates, who
and when, the void and the refund that name it with their reasons, its receipt), and a search
by id, device, amount, fair and dates — through real lanes and a real ledger, read in Chromium,
on both stores."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness import web
from harness.sync_helpers import LedgerServer, connect, stall
from tests.conftest import STORES, ledger_db

FAIR = "Feria Centro"


@pytest.mark.parametrize("store", STORES)
def test_a_sale_is_found_and_opened_with_its_void_and_refund(
        store: str, tmp_path: Path, request: pytest.FixtureRequest,
        browser: Any) -> None:
    server = LedgerServer(ledger_db(store, tmp_path, request))
    try:
        lane = stall(tmp_path / "SALE01", "SALE01")
        connect(lane, server, FAIR, 1)
        first = lane.sell("--line", "101=1kg", "--line", "305=3", "--pay", "cash:USD:10")
        paid = lane.sell("--line", "G=2kg", "--pay",
                         "pago_movil:VES:993.70,phone=04141234567,bank=0102,ref=0778812")
        void = lane.json("void", first["id"], "--reason", "customer left")
        refund = lane.json("refund", paid["id"], "--line", "1", "--reason", "rotten",
                           "--currency", "VES")
        lane.run("sync")
        with server.store() as ledger:
            admin = ledger.admin_token()
            opened = ledger.sale(first["id"])
            assert opened is not None and [f.id for f in opened.related] == [
                first["id"], void["id"]]
            assert [f.id for f in ledger.find_sales(amount=480)] == [first["id"]]  # 4.80
            assert {f.id for f in ledger.find_sales("SALE01")} == {
                first["id"], paid["id"], void["id"], refund["id"]}
            assert ledger.find_sales(first["id"], fair="Feria Oeste") == []
            assert [f.id for f in ledger.find_sales("077 8812")] == [paid["id"]]  # its ref
            assert [f.id for f in ledger.find_sales("0414-123.4567")] == [paid["id"]]  # phone
            assert len(ledger.find_sales(" ana ")) == 4  # the volunteer, as typed
        auth = {"Authorization": f"Bearer {admin}"}

        context = browser.new_context(extra_http_headers=auth)
        page = context.new_page()
        page.goto(f"{server.url}/sale/{first['id']}")
        text = page.inner_text("body")
        assert "customer left" in text and void["id"] in text  # the void, and why
        assert "Lane 1 · Feria Centro" in text and "SALE01" in text
        assert page.locator("pre.receipt").inner_text().count("\n") > 5  # its receipt
        page.click(f"text={void['id']}")  # the void's own page links back to the sale
        assert "Of the sale" in page.inner_text("body") and "customer left" in page.inner_text(
            "body")
        page.goto(f"{server.url}/sale/{paid['id']}")
        text = page.inner_text("body")
        assert "ref 0778812 · 04141234567" in text  # the reference and phone as written
        assert "rotten" in text and refund["id"] in text

        page.goto(f"{server.url}/search")
        page.fill("input[name=amount]", "4.80")
        page.click("button:has-text('Find')")
        rows = page.locator("tbody tr").all_inner_texts()
        assert len(rows) == 1 and first["id"] in rows[0]
        page.goto(f"{server.url}/search?q={paid['id'].lower()}")  # typed in lower case
        assert paid["id"] in page.locator("tbody").inner_text()
        page.goto(f"{server.url}/lane/SALE01")  # every id on the lane's page opens its sale
        page.click(f"text={refund['id']}")
        assert page.url.endswith(f"/sale/{refund['id']}")
        context.close()

        missing = web.get(f"{server.url}/sale/SALE01-999999", headers=auth)
        assert missing.status_code == 404 and "No such sale" in missing.text
        bad = web.get(f"{server.url}/search", params={"amount": "4,8,0"}, headers=auth)
        assert bad.status_code == 400 and "“4,8,0” is not an amount" in bad.text
        bad = web.get(f"{server.url}/search", params={"from": "yesterday"}, headers=auth)
        assert bad.status_code == 400 and "is not a date" in bad.text
    finally:
        server.stop()


def test_the_sales_a_ledger_held_before_the_search_are_found_too(tmp_path: Path) -> None:
    """The search keys of the sales already held are made once, by the migration."""
    import sqlite3

    from fairpos.ledger.store import open_ledger
    from harness.sync_helpers import payloads

    lane = stall(tmp_path / "OLDS01", "OLDS01")
    sold = lane.sell("--line", "G=2kg", "--pay",
                     "pago_movil:VES:993.70,phone=04141234567,bank=0102,ref=0778812")
    db = tmp_path / "ledger.db"
    ledger = open_ledger(db)
    try:
        ledger.claim(ledger.enrol(FAIR, 1)[0], "OLDS01")
        assert ledger.ingest("OLDS01", payloads(lane)).accepted == [sold["id"]]
    finally:
        ledger.close()
    conn = sqlite3.connect(db)  # as a ledger was before the step
    conn.execute("DROP TABLE sale_search")
    conn.execute("DELETE FROM schema_version WHERE version = 14")
    conn.commit()
    conn.close()
    ledger = open_ledger(db)
    try:
        assert [f.id for f in ledger.find_sales("0778812")] == [sold["id"]]
        keys = ledger.all("SELECT key, value FROM sale_search ORDER BY key")
        assert [tuple(r) for r in keys] == [
            ("phone", "04141234567"), ("ref", "0778812"), ("volunteer", "ana")]
    finally:
        ledger.close()
