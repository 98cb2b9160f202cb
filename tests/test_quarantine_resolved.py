"""Quarantine resolved, append-only: a lane's journal copied to a second laptop rings a sale
under an id the first already used; the ledger holds it in quarantine beside the accepted one,
and a treasurer takes it in (kept under an id of the ledger's own, counted once in the day,
the lane's page, the pago móvil matching and the CSVs), or leaves it out as a copy or as
wrong. The entry stays as it came; a resolution is kept once, with who, when and why."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from fairpos.ledger.store import LedgerError
from harness import web
from harness.lanes import LaneDir
from harness.sync_helpers import LedgerServer, connect, payloads, stall
from tests.conftest import STORES, ledger_db

FAIR = "Feria Centro"
PAID = "pago_movil:VES:2981.09,phone=04141234567,bank=0102,ref=0459911"


def collided(tmp_path: Path, server: LedgerServer) -> tuple[LaneDir, LaneDir, str]:
    """Two laptops with one lane's journal: each rings a third sale; the first's is
    accepted, the second's (paid by pago móvil) collides with it. Its business date."""
    first = stall(tmp_path / "one", "COPY01", sales=2, seed=1)
    connect(first, server, FAIR, 1)
    assert "matched" in first.run("sync").stdout
    second = LaneDir(tmp_path / "two")
    shutil.copytree(first.path, second.path)
    first.sell("--line", "101=1kg", "--pay", "cash:USD:5")
    second.sell("--line", "G=6kg", "--pay", PAID)
    first.run("sync")
    second.run("sync", ok=False)  # (the ledger quarantined its sale: not matched)
    return first, second, str(payloads(first)[0]["business_date"])


@pytest.mark.parametrize("store", STORES)
def test_a_collided_sale_taken_in_is_counted_once_everywhere(
        store: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    server = LedgerServer(ledger_db(store, tmp_path, request))
    try:
        first, second, day = collided(tmp_path, server)
        theirs = payloads(second)[2]
        statement = tmp_path / "estado.csv"
        statement.write_text("Fecha;Referencia;Descripción;Monto;Teléfono\n"
                             f"{date.fromisoformat(day).strftime('%d/%m/%Y')};0459911;PAGO "
                             "MOVIL;2.981,09;0414-1234567\n", encoding="utf-8")
        first.run("ledger", "statement", "import", str(statement), "--bank", "0102",
                  "--db", str(server.db))
        with server.store() as ledger:
            [held] = ledger.quarantine_page(device="COPY01")[0]
            assert held.kind == "conflict" and held.sale_id == theirs["id"]
            before = ledger.report(day)
            assert ledger.fair_days(day)[0].lanes[0].state == "quarantined"
            assert [t.sale_id for t in ledger.pago_movil(date.fromisoformat(day),
                                                         date.fromisoformat(day))["tenders"]
                    ] == []  # not counted yet: the statement line has no tender
            with pytest.raises(LedgerError, match="the reason is empty"):
                ledger.resolve_quarantined(held.id, "taken_in", "Marta", "  ")
            kept = ledger.resolve_quarantined(held.id, "taken_in", "Marta",
                                              "Second laptop, real sale")
            assert kept == f"{theirs['id']}-R{held.id}"
            with pytest.raises(LedgerError, match="settled already"):
                ledger.resolve_quarantined(held.id, "copy", "Marta", "again")
            after = ledger.report(day)
            assert after.sales_count == before.sales_count + 1
            assert after.totals["USD"] == before.totals["USD"] + theirs["total"]
            assert {t.currency: t.amount for t in after.tenders if t.method == "pago_movil"
                    } == {"VES": 298109}
            page = ledger.lane("COPY01")
            assert page is not None and kept in [e.id for e in page.entries]
            found = ledger.pago_movil(date.fromisoformat(day), date.fromisoformat(day))
            assert [(t.sale_id, ln.reference) for t, ln in found["matched"]] == [
                (kept, "0459911")]
            assert ledger.quarantine_page(device="COPY01")[1] == 0  # out of the open list
            settled = ledger.quarantine_entry(held.id)
            assert settled is not None and (settled.resolution, settled.resolved_by,
                                            settled.resolved_sale) == ("taken_in", "Marta",
                                                                       kept)
            assert ledger.fair_days(day)[0].lanes[0].state != "quarantined"
            opened = ledger.sale(kept)
            assert opened is not None and opened.entry["id"] == theirs["id"]  # as it came
            # a hub sends up its lanes' own entries; the one taken in is this ledger's
            assert len(dict(ledger.upstream_backlog(batch=None))["COPY01"]) == 3
            admin = ledger.admin_token()
        auth = {"Authorization": f"Bearer {admin}"}
        csv_text = web.get(f"{server.url}/quarantine.csv", headers=auth).text
        assert "taken in" in csv_text.lower() and "Marta" in csv_text and kept in csv_text
        lanes = web.get(f"{server.url}/day/{day}/lanes.csv", headers=auth).text
        assert lanes.count("COPY01") == 1  # one lane, its total with the sale taken in
    finally:
        server.stop()


def test_what_is_not_a_collided_sale_is_only_left_out(tmp_path: Path) -> None:
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        _first, second, day = collided(tmp_path, server)
        with server.store() as ledger:
            [held] = ledger.quarantine_page(device="COPY01")[0]
            before = ledger.report(day)
            ledger.resolve_quarantined(held.id, "copy", "Marta", "The same sale, twice")
            assert ledger.report(day) == before  # left out: nothing counted
            bad = {**payloads(second)[0], "id": "COPY01-000009", "seq": 9, "v": 99}
            assert ledger.ingest("COPY01", [bad]).rejected
            [refused] = ledger.quarantine_page(device="COPY01")[0]
            with pytest.raises(LedgerError, match="only a sale whose id collided"):
                ledger.resolve_quarantined(refused.id, "taken_in", "Marta", "try")
            with pytest.raises(LedgerError, match="is not a way to settle"):
                ledger.resolve_quarantined(refused.id, "delete", "Marta", "try")
            with pytest.raises(LedgerError, match="control or invisible"):
                ledger.resolve_quarantined(refused.id, "wrong", "Marta\u202e", "try")
            ledger.resolve_quarantined(refused.id, "wrong", "Marta", "A test entry")
            assert ledger.quarantine_page(device="COPY01")[1] == 0
            assert ledger.quarantine_page(device="COPY01", state="reviewed")[1] == 2
    finally:
        server.stop()


def test_a_treasurer_settles_a_collision_on_its_page(
        tmp_path: Path, browser: Any) -> None:
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        _first, second, day = collided(tmp_path, server)
        theirs = payloads(second)[2]
        with server.store() as ledger:
            admin = ledger.admin_token()
            before = ledger.report(day).totals["USD"]
        page = browser.new_page()
        page.goto(f"{server.url}/login")  # a session, as a person signs in
        page.fill("#token", admin)
        page.click("button[type=submit]")
        page.goto(f"{server.url}/quarantine")
        page.click("text=Open and settle")
        text = page.inner_text("body")
        assert "The entry as received" in text and "The sale accepted with the same id" in text
        assert "ref 0459911" in text and "Large fair price" in text  # laid out as a sale
        assert '"lines"' not in page.locator("details").inner_text()  # the JSON tucked away
        page.check("input[value=taken_in]")
        page.fill("input[name=by]", "Marta")
        page.fill("textarea[name=reason]", "Second laptop, a real sale")
        page.click("button:has-text('Settle')")
        kept = f"{theirs['id']}-R"
        assert kept in page.inner_text("body") and "Marta" in page.inner_text("body")
        assert page.locator("form[action$='/resolve']").count() == 0  # settled once
        page.goto(f"{server.url}/quarantine?state=all")
        assert "taken in as" in page.inner_text("tbody")
        with server.store() as ledger:
            assert ledger.report(day).totals["USD"] == before + theirs["total"]
        page.close()
    finally:
        server.stop()


def test_what_a_hub_sends_up_as_taken_in_must_be_that(tmp_path: Path) -> None:
    """The centre takes a hub's resolution only for a lane of the hub's fair, under an id of
    the shape a hub gives, with the very entry it names."""
    from fairpos.ledger.store import open_ledger

    lane = stall(tmp_path / "HUBR01", "HUBR01", sales=2)
    entries = payloads(lane)
    ledger = open_ledger(tmp_path / "centre.db")
    try:
        ledger.claim(ledger.enrol(FAIR, 1)[0], "HUBR01")
        good = {"id": f"{entries[0]['id']}-R7", "device_id": "HUBR01",
                "payload": json.dumps(entries[0]), "by": "Marta", "reason": "real",
                "at": "2026-11-21T10:00:00+00:00"}
        for item, said in (
                ("not a resolution", "names its id"),
                ({**good, "by": 3}, "names its id"),
                ({**good, "id": entries[0]["id"]}, "not a sale taken in at a hub"),
                ({**good, "device_id": "ELSE01"}, "not a sale taken in at a hub"),
                ({**good, "payload": json.dumps(entries[1])}, "not that sale"),
                ({**good, "payload": "{"}, "")):
            _kept, outcome, reason = ledger.take_in_relayed(1, FAIR, item)
            assert outcome == "rejected" and said in reason, (item, reason)
        assert ledger.take_in_relayed(1, "Feria Norte", good)[1] == "rejected"
        assert ledger.take_in_relayed(1, FAIR, good) == (good["id"], "accepted", "")
        assert ledger.take_in_relayed(1, FAIR, good) == (good["id"], "duplicate", "")
        assert ledger.report(entries[0]["business_date"]).sales_count == 1
    finally:
        ledger.close()
