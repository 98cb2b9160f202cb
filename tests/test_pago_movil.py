"""Pago móvil against the bank: a statement imported once, read in its bank's format, matched
to the lanes' tenders by amount, date and reference; what does not match is listed (and a
reference typed with a digit missing is shown as a possible match); the figures on the page
equal those computed from the entries; a malformed statement is refused whole, with its line."""

from __future__ import annotations

import csv
import threading
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from fairpos.ledger import statements
from fairpos.ledger.statements import (
    BANKS,
    PagoMovil,
    StatementError,
    StatementLine,
    read_statement,
    reconcile,
)
from fairpos.ledger.store import LedgerError, open_ledger
from harness import web
from harness.lanes import LaneDir
from harness.sync_helpers import LedgerServer, connect, open_lane, payloads
from tests.conftest import STORES, ledger_db

DAY = date(2026, 11, 21)


def tender(sale: str, reference: str, amount: int, day: date = DAY,
           verified: bool = True) -> PagoMovil:
    return PagoMovil(sale, "LANE01", "Feria Centro", 1, day, reference, amount, "04141234567",
                     verified)


def line(reference: str, amount: int, day: date = DAY, number: int = 2) -> StatementLine:
    return StatementLine(number, day, reference, amount, "04141234567")


def test_tenders_and_statement_lines_are_matched_once_by_amount_date_and_reference() -> None:
    found = reconcile(
        [tender("A", "00451234", 100000), tender("B", "7788", 50000, verified=False),
         tender("C", "55123", 25000), tender("D", "9999", 30000),
         tender("E", "4321", 10000, day=DAY - timedelta(days=5)),
         tender("F", "2468", 10000), tender("G", "2468", 10000)],
        [line("00451234", 100000), line("0120007788", 50000, DAY + timedelta(days=1)),
         line("551234", 25000), line("31415926", 12000), line("4321", 10000),
         line("11112468", 10000), line("2468", 20000)])
    assert [(t.sale_id, ln.reference) for t, ln in found["matched"]] == [
        ("A", "00451234"), ("B", "0120007788"), ("F", "11112468")]
    assert [(t.sale_id, ln.reference) for t, ln in found["possible"]] == [("C", "551234")]
    # E: five days before its line; G: the one line of its amount and reference went to F
    assert [t.sale_id for t in found["tenders"]] == ["E", "D", "G"]
    assert sorted(ln.reference for ln in found["lines"]) == ["2468", "31415926", "4321"]


@pytest.mark.parametrize(("typed", "bank", "possible"), [
    ("45124", "00451234", True),  # a digit left out
    ("4512340", "4512345", True),  # one mistyped
    ("0451234", "451234", True),  # one too many
    ("451234", "00451234", False),  # the end of the bank's: a match, not a possible one
    ("4411", "00451234", False),  # two off
    ("12", "13", True),  # the whole of a short one, one off
])
def test_a_reference_one_digit_off_is_a_possible_match(typed: str, bank: str,
                                                       possible: bool) -> None:
    found = reconcile([tender("A", typed, 500)], [line(bank, 500)])
    assert (len(found["possible"]) == 1) is possible


STATEMENT = """\ufeffFecha;Referencia;Descripción;Monto;Teléfono
21/11/2026;00451234;PAGO MOVIL;1.000,00;0414-1234567
22/11/2026;0120007788;PAGO MOVIL;500,00;04241112233
21/11/2026;551234;PAGO MOVIL;250,00;04160001122
21/11/2026;31415926;PAGO MOVIL;120,00;04125556677
"""


def test_a_statement_is_read_in_its_banks_format() -> None:
    lines = read_statement(STATEMENT, BANKS["0102"])
    assert [(ln.number, ln.day, ln.reference, ln.amount, ln.phone) for ln in lines] == [
        (2, DAY, "00451234", 100000, "04141234567"),
        (3, DAY + timedelta(days=1), "0120007788", 50000, "04241112233"),
        (4, DAY, "551234", 25000, "04160001122"), (5, DAY, "31415926", 12000, "04125556677")]


@pytest.mark.parametrize(("text", "said"), [
    ("", "the statement is empty"),
    ("Fecha;Monto\n21/11/2026;1,00\n", "the statement has no column “Referencia”, “Teléfono” "
                                         "(the columns of Banco de Venezuela are: Fecha, "
                                         "Referencia, Monto, Teléfono)"),
    (STATEMENT + "23/11/2026;777;X;doce;0414\n", "line 6: “doce” is not an amount"),
    (STATEMENT + "31/02/2026;777;X;1,00;0414\n", "line 6: “31/02/2026” is not a date"),
    (STATEMENT + "21/11/2026;;X;1,00;0414\n", "line 6: the reference is empty"),
    (STATEMENT + "21/11/2026;777\n", "line 6 has too few columns"),
    (STATEMENT + "21/11/2026;777;X;1.000.000.000.000,00;0414\n",
     "line 6: “1.000.000.000.000,00” is not an amount"),
    # a formula is never reduced to its digits (it stored the reference 100459911)
    (STATEMENT + '21/11/2026;"=HYPERLINK(""http://x"",""00459911"")";X;1,00;0414\n',
     'line 6: “=HYPERLINK("http://x","00459911")” is a formula, not a value: export the '
     'statement with values'),
    (STATEMENT + "21/11/2026;\uff1d1+1;X;1,00;0414\n",
     "line 6: “\uff1d1+1” is a formula, not a value: export the statement with values"),
])
def test_a_statement_that_cannot_be_read_says_where(text: str, said: str) -> None:
    with pytest.raises(StatementError) as err:
        read_statement(text, BANKS["0102"])
    assert str(err.value) == said


def sell_pago_movil(lane: LaneDir, reference: str, ves: str, usd: str,
                    unverified: bool = False) -> None:
    flag = ",unverified" if unverified else ""
    lane.sell("--line", "G=5kg", "--pay",
              f"pago_movil:VES:{ves},ref={reference},bank=0134,phone=04141234567{flag}",
              "--pay", f"cash:USD:{usd}")


def test_a_treasurer_reconciles_a_day_of_pago_movil(tmp_path: Path,
                                                    server: LedgerServer) -> None:
    lane = open_lane(tmp_path / "lane", "PMOV01")
    connect(lane, server)
    sell_pago_movil(lane, "00451234", "1000", "4")  # on the statement
    sell_pago_movil(lane, "7788", "500", "5", unverified=True)  # its last four digits
    sell_pago_movil(lane, "55123", "250", "6")  # typed with a digit missing
    sell_pago_movil(lane, "9999", "300", "6")  # never reached the fair's account
    lane.run("sync")
    day = str(payloads(lane)[0]["business_date"])
    statement = tmp_path / "estado.csv"
    shifted = STATEMENT.replace("21/11/2026", date.fromisoformat(day).strftime("%d/%m/%Y"))
    shifted = shifted.replace("22/11/2026", (date.fromisoformat(day) + timedelta(days=1))
                              .strftime("%d/%m/%Y"))
    statement.write_text(shifted, encoding="utf-8")
    db = ["--db", str(server.db)]
    said = lane.run("ledger", "statement", "import", str(statement), "--bank", "0102",
                    *db).stdout
    assert said == "estado.csv: 4 statement lines read, 4 new, 0 already imported.\n"
    again = lane.run("ledger", "statement", "import", str(statement), "--bank", "0102", *db,
                     lang="es").stdout
    assert "4 líneas del estado de cuenta leídas, 0 nuevas, 4 ya importadas" in again
    bad = tmp_path / "malo.csv"
    bad.write_text(shifted + "21/11/2026;777;X;doce;0414\n", encoding="utf-8")
    assert lane.fail("ledger", "statement", "import", str(bad), "--bank", "0102", *db) == \
        "fairpos: malo.csv: line 6: “doce” is not an amount"
    assert "bank 9999 has no statement format here (known: 0102 Banco de Venezuela" in \
        lane.fail("ledger", "statement", "import", str(statement), "--bank", "9999", *db)

    with server.store() as ledger:
        admin = ledger.admin_token()
        found = ledger.pago_movil(date.fromisoformat(day), date.fromisoformat(day))
    # what the page lists adds up to what the lanes' entries say was paid by pago móvil
    paid = [t for sale in payloads(lane) for t in sale["tenders"]
            if t["method"] == "pago_movil"]
    listed = [t for t, _ln in found["matched"] + found["possible"]] + found["tenders"]
    assert sorted((t.reference, t.amount) for t in listed) == sorted(
        (t["reference"]["ref"], t["amount"]) for t in paid)
    headers = {"Authorization": f"Bearer {admin}"}
    page = web.get(f"{server.url}/pago-movil?from={day}&to={day}", headers=headers,
                     timeout=30).text
    assert "2 matched (1,500.00 VES) · 1 possible · 1 tender with no statement line " \
           "(300.00 VES) · 1 statement line with no tender (120.00 VES)" in page
    assert "Unverified at the till: 1 now matched, 0 still without a statement line." in page
    alone = web.get(f"{server.url}/pago-movil/tenders.csv?from={day}&to={day}",
                      headers=headers, timeout=30)
    assert alone.headers["content-disposition"] == \
        f'attachment; filename="all-fairs-{day}-{day}-pago-movil-tenders.csv"'
    rows = list(csv.reader(alone.text.lstrip("\ufeff").splitlines()))
    assert rows[0][-3:] == ["Amount (VES)", "Phone", "Verified at the till"]
    assert [(r[5], Decimal(r[6])) for r in rows[1:]] == [("9999", Decimal("300.00"))]
    assert web.get(f"{server.url}/pago-movil?from={day}&to=2020-01-01", headers=headers,
                     timeout=30).status_code == 404


@pytest.mark.parametrize("store", STORES)
def test_both_stores_keep_a_statement_once_and_reconcile_the_same(
        tmp_path: Path, request: pytest.FixtureRequest, store: str) -> None:
    lane = open_lane(tmp_path / "lane", "PMOV02")
    sell_pago_movil(lane, "00451234", "1000", "4")
    sell_pago_movil(lane, "9999", "300", "6")
    day = date.fromisoformat(str(payloads(lane)[0]["business_date"]))
    text = STATEMENT.replace("21/11/2026", day.strftime("%d/%m/%Y"))
    ledger = open_ledger(ledger_db(store, tmp_path, request))
    try:
        enrolment, _token = ledger.enrol("Feria Centro", 1)
        ledger.claim(enrolment, "PMOV02")
        ledger.ingest("PMOV02", payloads(lane))
        assert ledger.import_statement("0102", "a.csv", text) == (4, 4)
        assert ledger.import_statement("0102", "b.csv", text, "Feria Centro") == (4, 0)
        found = ledger.pago_movil(day, day, "Feria Centro")
        assert [t.reference for t, _ln in found["matched"]] == ["00451234"]
        assert [t.reference for t in found["tenders"]] == ["9999"]
        # the lines no tender claimed are of an account of no fair (the first import named
        # none; the second kept nothing new): counted apart, listed with every fair's
        assert found["lines"] == [] and found["unowned"]["count"] == 2
        everyone = ledger.pago_movil(day, day)
        assert sorted(ln.reference for ln in everyone["lines"]) == ["31415926", "551234"]
        assert everyone["unowned"] is None and found["statements"] == 2
        assert ledger.pago_movil(day, day, "Feria Norte")["tenders"] == []
    finally:
        ledger.close()


@pytest.mark.parametrize("text", ["=1+1", " =1+1", "\u00a0=1+1", "\t@SUM(A1)", "\uff1dA1",
                                  "\uff0b1", "\uff0d1", "\uff20x", "\u3000=x", "+A1", "-A1"])
def test_a_cell_that_a_spreadsheet_would_run_is_written_inert(text: str) -> None:
    from fairpos.ledger.spreadsheets import csv_text

    assert csv_text(text).startswith("'"), text
    assert csv_text("Tomate") == "Tomate" and csv_text("1 kg") == "1 kg"


def long_statement(day: date, lines: int, first: int = 0) -> str:
    """A statement of ``lines`` payments on ``day`` no lane took (amounts no tender has),
    after the header and the usual four."""
    text = STATEMENT.replace("21/11/2026", day.strftime("%d/%m/%Y"))
    when = day.strftime("%d/%m/%Y")
    return text + "".join(
        f"{when};{90000000 + n};PAGO MOVIL;{7 + n // 100},{n % 100:02d};04140000000\n"
        for n in range(first, first + lines))


@pytest.mark.parametrize("store", STORES)
def test_a_long_statement_is_kept_in_chunks_and_listed_a_page_at_a_time(
        tmp_path: Path, request: pytest.FixtureRequest, store: str,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """450 lines no tender claims, kept 100 to a transaction: the lines with no tender are
    counted and summed in all, listed 200 at a time, and walked whole; the matches are those
    of the four usual lines. A statement past the bounds is refused, saying them, and
    nothing of it is kept."""
    lane = open_lane(tmp_path / "lane", "PMOV03")
    sell_pago_movil(lane, "00451234", "1000", "4")
    sell_pago_movil(lane, "9999", "300", "6")
    day = date.fromisoformat(str(payloads(lane)[0]["business_date"]))
    ledger = open_ledger(ledger_db(store, tmp_path, request))
    try:
        ledger.claim(ledger.enrol("Feria Centro", 1)[0], "PMOV03")
        ledger.ingest("PMOV03", payloads(lane))
        chunks: list[int] = []

        def between() -> None:
            chunks.append(ledger.all("SELECT COUNT(*) FROM statement_lines")[0][0])

        assert ledger.import_statement("0102", "long.csv", long_statement(day, 450),
                                       chunk=100, between=between) == (454, 454)
        assert chunks == [100, 200, 300, 400, 454]  # (each chunk committed before the next)
        found = ledger.pago_movil(day, day, lines_at=400, lines_shown=200)
        assert [t.reference for t, _ln in found["matched"]] == ["00451234"]
        assert [t.reference for t in found["tenders"]] == ["9999"]
        # the day's lines but the matched one (the one of the next day is outside the span)
        assert found["lines_count"] == 452
        every = list(found["every_line"]())
        assert len(every) == len({ln.id for ln in every}) == 452
        assert found["lines_amount"] == sum(ln.amount for ln in every)
        assert "00451234" not in {ln.reference for ln in every}
        assert found["lines"] == every[400:]
        assert ledger.pago_movil(day, day, lines_shown=200)["lines"] == every[:200]

        monkeypatch.setattr(statements, "MAX_LINES", 100)
        with pytest.raises(LedgerError, match=r"big\.csv: the statement has more than 100 "
                                              r"lines: split it by date"):
            ledger.import_statement("0102", "big.csv", long_statement(day, 97, first=1000))
        monkeypatch.setattr(statements, "MAX_BYTES", 1000)
        with pytest.raises(LedgerError, match="the statement is larger than 0 MiB"):
            ledger.import_statement("0102", "big.csv", long_statement(day, 50, first=2000))
        assert ledger.all("SELECT COUNT(*) FROM statement_lines")[0][0] == 454
    finally:
        ledger.close()


def test_the_reconciliation_page_lists_a_page_and_the_csv_every_line(
        tmp_path: Path, server: LedgerServer) -> None:
    lane = open_lane(tmp_path / "lane", "PMOV04")
    connect(lane, server)
    sell_pago_movil(lane, "00451234", "1000", "4")
    lane.run("sync")
    day = date.fromisoformat(str(payloads(lane)[0]["business_date"]))
    statement = tmp_path / "estado.csv"
    statement.write_text(long_statement(day, 450), encoding="utf-8")
    lane.run("ledger", "statement", "import", str(statement), "--bank", "0102", "--db",
             str(server.db))
    with server.store() as ledger:
        headers = {"Authorization": f"Bearer {ledger.admin_token()}"}
    url = f"{server.url}/pago-movil?from={day}&to={day}"
    first = web.get(url, headers=headers, timeout=30).text
    assert "452 statement lines with no tender" in first
    assert first.count("<td data-label=\"Bank\">0102</td>") == 200
    assert "1–200 of 452" in first and "lines=200" in first
    last = web.get(url + "&lines=400", headers=headers, timeout=30).text
    assert last.count("<td data-label=\"Bank\">0102</td>") == 52 and "401–452 of 452" in last
    assert web.get(url + "&lines=" + "9" * 30, headers=headers,
                   timeout=30).status_code == 400
    every = web.get(f"{server.url}/pago-movil/lines.csv?from={day}&to={day}", headers=headers,
                    timeout=30)
    rows = list(csv.reader(every.text.lstrip("\ufeff").splitlines()))
    assert len(rows) == 1 + 452 and len({r[1] for r in rows[1:]}) == 452


def test_a_lane_s_batch_goes_in_between_two_chunks_of_an_import(
        tmp_path: Path, server: LedgerServer) -> None:
    """SQLite has one writer: an import holds the file only a chunk at a time. Held between
    two chunks, a lane's sale reaches the ledger (a real server, another process) before the
    import goes on — the import waited for nothing, and the sale waited for the import's
    chunk, not the import."""
    lane = open_lane(tmp_path / "lane", "PMOV05")
    connect(lane, server)
    day = date.fromisoformat(str(payloads(lane)[0]["business_date"])) if payloads(lane) \
        else date.today()
    text = long_statement(day, 3000)
    held, go_on = threading.Event(), threading.Event()

    def between() -> None:
        if not held.is_set():
            held.set()
            assert go_on.wait(timeout=120)

    with server.store() as ledger:
        importer = threading.Thread(target=ledger.import_statement, args=(
            "0102", "estado.csv", text), kwargs={"chunk": 1000, "between": between})
        importer.start()
        try:
            assert held.wait(timeout=120)
            sell_pago_movil(lane, "00451234", "1000", "4")
            said = lane.run("sync").stdout  # (within the import: between its chunks)
            kept = ledger.all("SELECT COUNT(*) FROM statement_lines")[0][0]
        finally:
            go_on.set()
            importer.join()
        assert "matched" in said and kept == 1000
        assert ledger.all("SELECT COUNT(*) FROM statement_lines")[0][0] == 3004


def test_a_debit_is_read_with_its_sign() -> None:
    debits = STATEMENT + "21/11/2026;778899;PAGO MOVIL ENVIADO;-2.000,00;0414-1234567\n" \
        "21/11/2026;778900;PAGO MOVIL ENVIADO;35,50-;0414-1234567\n"
    amounts = [ln.amount for ln in read_statement(debits, BANKS["0102"])]
    assert amounts[-2:] == [-200000, -3550]


@pytest.mark.parametrize("store", STORES)
def test_credits_debits_and_another_fairs_lines_add_up_per_fair_and_for_all(
        tmp_path: Path, request: pytest.FixtureRequest, store: str) -> None:
    """A statement of an account of no fair with the payments of two fairs, the change one
    fair sent by pago móvil (a debit), a reference one digit off and a credit nobody's: each
    fair's page claims its own, and what it lists adds up to what its entries say."""
    centro, norte = open_lane(tmp_path / "c", "PMCEN1"), open_lane(tmp_path / "n", "PMNOR1")
    sell_pago_movil(centro, "00451234", "1000", "4")
    sell_pago_movil(centro, "55123", "250", "6")  # the bank wrote 551234
    centro.sell("--line", "101=1.25kg", "--pay", "cash:USD:20", "--change-by",
                "pago_movil:VES:2000,phone=04141234567,bank=0102,ref=778899")
    sell_pago_movil(norte, "7788", "500", "5")
    day = date.fromisoformat(str(payloads(centro)[0]["business_date"]))
    text = (STATEMENT + "21/11/2026;778899;PAGO MOVIL ENVIADO;-2.000,00;0414-1234567\n"
            ).replace("21/11/2026", day.strftime("%d/%m/%Y")).replace(
        "22/11/2026", day.strftime("%d/%m/%Y"))
    ledger = open_ledger(ledger_db(store, tmp_path, request))
    try:
        ledger.claim(ledger.enrol("Feria Centro", 1)[0], "PMCEN1")
        ledger.claim(ledger.enrol("Feria Norte", 1)[0], "PMNOR1")
        assert ledger.ingest("PMCEN1", payloads(centro)).accepted
        assert ledger.ingest("PMNOR1", payloads(norte)).accepted
        assert ledger.import_statement("0102", "estado.csv", text) == (5, 5)
        views = {fair: ledger.pago_movil(day, day, fair)
                 for fair in ("Feria Centro", "Feria Norte", None)}
    finally:
        ledger.close()
    centre = views["Feria Centro"]
    assert sorted(t.amount for t, _ln in centre["matched"]) == [-200000, 100000]
    assert [t.change for t, _ln in centre["matched"] if t.amount < 0] == [True]
    assert [(t.reference, ln.reference) for t, ln in centre["possible"]] == [
        ("55123", "551234")]
    assert centre["tenders"] == [] and centre["lines"] == []  # nothing of Norte's here
    assert centre["unowned"] == {"count": 1, "amount": 12000}  # the credit nobody's
    north = views["Feria Norte"]
    assert [t.reference for t, _ln in north["matched"]] == ["7788"]
    assert north["lines"] == [] and north["unowned"] == {"count": 1, "amount": 12000}
    every = views[None]
    assert len(every["matched"]) == 3 and len(every["possible"]) == 1
    assert [ln.reference for ln in every["lines"]] == ["31415926"]
    for fair, lane in (("Feria Centro", centro), ("Feria Norte", norte)):
        view = views[fair]
        listed = sum(t.amount for t, _ln in view["matched"] + view["possible"]) + sum(
            t.amount for t in view["tenders"])
        entries = payloads(lane)
        said = sum(t["amount"] for s in entries for t in s["tenders"]
                   if t["method"] == "pago_movil") - sum(
            t["amount"] for s in entries for t in s["change"].get("sent", ())
            if t["method"] == "pago_movil")
        assert listed == said


def test_a_treasurer_confirms_refuses_and_notes_on_the_page(
        tmp_path: Path, server: LedgerServer, browser: Any) -> None:
    """A possible match (a reference one digit off) confirmed becomes a match, in her name; one
    refused leaves its tender and its line apart; a line with no tender carries a note; each
    is kept once and in the audit."""
    lane = open_lane(tmp_path / "lane", "PMDEC1")
    connect(lane, server)
    sell_pago_movil(lane, "55123", "250", "6")  # the bank wrote 551234
    sell_pago_movil(lane, "0012", "500", "5")  # the bank wrote 0120007788: not it
    lane.run("sync")
    day = date.fromisoformat(str(payloads(lane)[0]["business_date"]))
    statement = tmp_path / "estado.csv"
    statement.write_text(STATEMENT.replace("21/11/2026", day.strftime("%d/%m/%Y")).replace(
        "22/11/2026", day.strftime("%d/%m/%Y")).replace("0120007788", "0120000013"),
        encoding="utf-8")
    lane.run("ledger", "statement", "import", str(statement), "--bank", "0102",
             "--db", str(server.db))
    with server.store() as ledger:
        ledger.add_account("Marta", "treasurer", "una clave larga de Marta", "test")
        found = ledger.pago_movil(day, day)
    assert sorted(t.reference for t, _ln in found["possible"]) == ["0012", "55123"]
    page = browser.new_page()
    page.goto(f"{server.url}/login")
    page.fill("#name", "Marta")
    page.fill("#password", "una clave larga de Marta")
    page.click("button[type=submit]")
    page.goto(f"{server.url}/pago-movil?from={day}&to={day}")
    row = page.locator("tr", has_text="55123")
    row.locator("textarea[name=reason]").fill("The bank dropped a digit; the phone agrees")
    row.locator("button[value=confirmed]").click()
    row = page.locator("tr", has_text="0012")
    row.locator("textarea[name=reason]").fill("Another customer's payment")
    row.locator("button[value=refused]").click()
    line = page.locator("tr", has_text="31415926")
    line.locator("textarea[name=note]").fill("Paid for the eggs of the day before")
    line.locator("button:has-text('Add the note')").click()
    text = page.inner_text("body")
    assert "confirmed by Marta" in text
    assert "Paid for the eggs of the day before · Marta" in text
    page.close()
    with server.store() as ledger:
        found = ledger.pago_movil(day, day)
        assert [t.reference for t, _ln in found["matched"]] == ["55123"]
        assert found["possible"] == [] and [t.reference for t in found["tenders"]] == ["0012"]
        assert "0120000013" in [ln.reference for ln in found["lines"]]
        [decided] = ledger.all("SELECT sale_id, line_id FROM pago_movil_decisions "
                               "WHERE decision = 'confirmed'")
        with pytest.raises(LedgerError, match="decided already"):
            ledger.decide_possible(decided[0], 25000, int(decided[1]), "refused", "Marta", "x")
        actions = [a.action for a in ledger.audit_log()[0]]
    assert actions[:3] == ["statement line noted", "pago móvil refused",
                           "pago móvil confirmed"]


def ods_rows(data: bytes) -> list[list[tuple[str, str]]]:
    """An OpenDocument spreadsheet's rows: each cell's (type, text), checked to be a valid
    zip with its media type first and uncompressed, as the format asks."""
    import io
    import zipfile
    from xml.etree import ElementTree

    names = "urn:oasis:names:tc:opendocument:xmlns:"
    with zipfile.ZipFile(io.BytesIO(data)) as ods:
        first = ods.infolist()[0]
        assert first.filename == "mimetype" and first.compress_type == zipfile.ZIP_STORED
        assert ods.read("mimetype") == b"application/vnd.oasis.opendocument.spreadsheet"
        root = ElementTree.fromstring(ods.read("content.xml"))
    assert not root.iter(f"{{{names}table:1.0}}table-cell").__next__().get(
        f"{{{names}table:1.0}}formula")
    return [[(cell.get(f"{{{names}office:1.0}}value-type", ""),
              "".join(cell.itertext())) for cell in row]
            for row in root.iter(f"{{{names}table:1.0}}table-row")]


def test_a_list_as_a_spreadsheet_keeps_references_and_phones_as_text(
        tmp_path: Path, server: LedgerServer) -> None:
    lane = open_lane(tmp_path / "lane", "PMODS1")
    connect(lane, server)
    sell_pago_movil(lane, "0012345", "300", "6")  # never reached the account
    lane.run("sync")
    day = str(payloads(lane)[0]["business_date"])
    statement = tmp_path / "estado.csv"
    statement.write_text(STATEMENT.replace("21/11/2026", date.fromisoformat(day).strftime(
        "%d/%m/%Y")), encoding="utf-8")
    lane.run("ledger", "statement", "import", str(statement), "--bank", "0102",
             "--db", str(server.db))
    with server.store() as ledger:
        auth = {"Authorization": f"Bearer {ledger.admin_token()}"}
    got = web.get(f"{server.url}/pago-movil/tenders.ods?from={day}&to={day}", headers=auth)
    assert got.headers["content-type"] == "application/vnd.oasis.opendocument.spreadsheet"
    assert got.headers["content-disposition"].endswith(f'-{day}-pago-movil-tenders.ods"')
    header, row = ods_rows(got.content)
    assert header[5] == ("string", "Reference")
    assert row[5] == ("string", "0012345") and row[6] == ("float", "300.00")
    assert row[7] == ("string", "04141234567")  # its leading zero kept
    lines = ods_rows(web.get(f"{server.url}/pago-movil/lines.ods?from={day}&to={day}",
                             headers=auth).content)
    assert ("string", "00451234") in lines[1] and ("string", "04125556677") in lines[-1]


def test_a_spreadsheet_cell_is_text_whatever_it_holds() -> None:
    from fairpos.ledger.opendocument import ods_file

    hostile = ["=HYPERLINK(\"http://x\")", "a\x01b", "\ud800", "<b>&</b>", "\u202eevil"]
    [_header, row] = ods_rows(ods_file("list", ["a", "b", "c", "d", "e"], [hostile]))
    assert row == [("string", "=HYPERLINK(\"http://x\")"), ("string", "a\ufffdb"),
                   ("string", "\ufffd"), ("string", "<b>&</b>"), ("string", "\u202eevil")]
