"""The six questions a treasurer asks after a fair day, each answered on one page, read in
Chromium: what cash each lane hands over and who was short; which pago móvil payments the
bank did not confirm; what to claim back per voucher program; the kilos of each class this
week beside last week; which lanes have not synced or do not match; what is in quarantine and
what to do with it."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from harness.sync_helpers import LedgerServer, connect, open_lane, payloads
from tests.conftest import STORES, ledger_db
from tests.test_ledger import post
from tests.test_pages_browser import closed_short
from tests.test_pago_movil import STATEMENT, sell_pago_movil

FAIR = "Feria Centro"


@pytest.mark.parametrize("store", STORES)
def test_six_questions_six_pages(store: str, tmp_path: Path, request: pytest.FixtureRequest,
                                 browser: Any) -> None:
    server = LedgerServer(ledger_db(store, tmp_path, request))
    try:
        day, _expected = closed_short(tmp_path, server)  # lane 1: Ana closed 1.50 short
        paid = open_lane(tmp_path / "paid", "SIXQ02")  # lane 2: pago móvil, one not seen
        token = connect(paid, server, FAIR, 2)
        sell_pago_movil(paid, "00451234", "1000", "4")
        sell_pago_movil(paid, "9999", "300", "6")
        paid.run("shift", "close", "--reason", "counted at the office")
        paid.run("sync")
        bad = {**payloads(paid)[0], "id": "SIXQ02-000077", "seq": 77, "v": 99}
        assert post(server, token, {"sales": [bad]}).json()["rejected"]
        server.enrol(FAIR, 3)  # lane 3: enrolled, never heard from
        statement = tmp_path / "estado.csv"
        statement.write_text(STATEMENT.replace("21/11/2026", date.fromisoformat(day).strftime(
            "%d/%m/%Y")), encoding="utf-8")
        paid.run("ledger", "statement", "import", str(statement), "--bank", "0102",
                 "--db", str(server.db))  # (the ledger's own database, either store)
        with server.store() as ledger:
            ledger.add_voucher("snap", "SNAP token")
            ledger.claim(ledger.enrol(FAIR, 4)[0], "SIXQ04")
            snap = payloads(paid)[0]
            snap = {**snap, "id": "SIXQ04-000001", "seq": 1, "shift": 1,
                    "tenders": [{**snap["tenders"][1], "method": "snap",
                                 "amount": snap["total"]}],
                    "change": {"currency": "USD", "amount": 0}}
            assert ledger.ingest("SIXQ04", [snap]).accepted == ["SIXQ04-000001"]
            ledger.add_account("Marta", "treasurer", "una clave larga de Marta", "test")
        page = browser.new_page()
        page.goto(f"{server.url}/login")
        page.fill("#name", "Marta")
        page.fill("#password", "una clave larga de Marta")
        page.click("button[type=submit]")

        def read(path: str) -> str:
            page.goto(server.url + path)
            return str(page.inner_text("body"))

        # 1. the cash each lane hands over, and who was short
        cash = page.locator("h2", has_text="Cash by lane")
        read(f"/day/{day}?fair=Feria%20Centro")
        ana = cash.locator("xpath=following::tr[contains(., 'Ana')][1]").inner_text()
        assert "−1.50 USD" in ana and "Faltó un billete de un dólar" in ana
        # 2. the pago móvil payments the bank did not confirm
        said = read(f"/pago-movil?from={day}&to={day}")
        alone = page.locator("h2", has_text="Tenders with no statement line")
        assert "1 tender with no statement line (300.00 VES)" in said
        assert "9999" in alone.locator("xpath=following::table[1]").inner_text()
        # 3. what to claim back per voucher program
        assert f"1 redeemed, {snap['total'] / 100:.2f} USD" in read(
            f"/vouchers?from={day}&to={day}")
        # 4. the kilos of each class this week beside last week
        week = read(f"/week/{day}?fair=Feria%20Centro")
        assert "Price classes, week by week" in week and "kilos per week" in week
        # 5. the lanes that have not synced or do not match
        home = read("/")
        assert "not heard from" in home and "with entries in quarantine" in home
        lanes = read(f"/day/{day}?fair=Feria%20Centro")
        assert "never heard from" in lanes and "1 entry in quarantine" in lanes
        # 6. what is in quarantine, and what to do with it
        held = read("/quarantine")
        assert "SIXQ02-000077" in held and "Open and settle" in held
        page.click("text=Open and settle")
        assert "Settle it" in page.inner_text("body")
        page.close()
    finally:
        server.stop()
