"""The ledger's pages as a treasurer sees them: Debian's Chromium, driven by Playwright (no
browser download: Playwright is pointed at the system's binary), against the ledger as a real
server on 127.0.0.1. A screenshot of each page is kept in ``test-artifacts/pages/``."""

from __future__ import annotations

import csv
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from fairpos.domain.money import Money
from fairpos.i18n import format_number
from fairpos.journal import DB_NAME, Journal
from harness import web
from harness.lanes import ROOT
from harness.sync_helpers import LedgerServer, connect, lane_settings, open_lane, payloads, stall

ARTIFACTS = ROOT / "test-artifacts" / "pages"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
LONG_FAIR = "Feria " + "de los productores del valle " * 180  # over 5,000 characters



def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def off_screen(page: Any) -> list[str]:
    """The table cells that end beyond the window's right edge (what a reader cannot see
    without scrolling sideways), and the page itself if it is wider than the window."""
    return list(page.evaluate("""() => {
        const width = document.documentElement.clientWidth;
        const cells = [...document.querySelectorAll('td')]
            .filter(td => td.getBoundingClientRect().right > width + 1)
            .map(td => td.textContent.slice(0, 40));
        if (document.documentElement.scrollWidth > width + 1) cells.push('(the page)');
        return cells;
    }"""))


def test_a_treasurer_signs_in_and_reads_the_day_on_a_desktop_and_on_a_phone(
        tmp_path: Path, browser: Any) -> None:
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        lane = stall(tmp_path / "stall", "PAGE01", sales=8, seed=4)
        connect(lane, server)
        lane.run("shift", "close", "--reason", "counted at the office")  # the day is done
        lane.run("sync")
        server.enrol(LONG_FAIR, 1)  # a fair's name of 5,000 characters on the home page
        day = str(payloads(lane)[0]["business_date"])
        with server.store() as ledger:
            admin = ledger.admin_token()
            ledger.set_timezone("Feria Centro", "America/Caracas")
            report = ledger.report(day, "Feria Centro")
        page = browser.new_page(viewport=DESKTOP, accept_downloads=True)
        page.goto(f"{server.url}/login")  # signed in through the form, as a person does
        shot(page, "login")
        page.fill("#token", admin)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        shot(page, "home-1280")
        assert page.get_by_text("PAGE01").first.is_visible()
        total = format_number(Money(report.totals["USD"], "USD"), "en")
        glance = page.locator("tr", has_text=day).first.inner_text()  # the day at a glance
        assert "1 matched" in glance and f"{total} USD" in glance

        page.goto(f"{server.url}/day/{day}?fair=Feria%20Centro")
        summary = page.locator("p", has_text="sales (").first.inner_text()
        assert f"{total} USD" in summary and f"{report.sales_count} sales" in summary
        for c in report.price_classes:  # price classes by name, products in the chart too
            assert c.names is not None
            assert page.get_by_text(f'{c.names["en"]} ({c.price_class})').is_visible()
        top = report.products[0]
        assert page.locator("svg text", has_text=f"{top.code} {top.name[:15]}").count()
        assert page.get_by_text("Sales per hour (America/Caracas time)").is_visible()
        shot(page, "day-1280")
        page.set_viewport_size(PHONE)
        assert off_screen(page) == []  # every amount on the screen, each row a card
        amounts = page.locator('td[data-label="Amount"]')
        assert amounts.count() == len(report.tenders) and amounts.first.is_visible()
        shot(page, "day-390")

        page.goto(f"{server.url}/")
        assert off_screen(page) == []  # the 5,000-character name wraps
        assert page.get_by_text(LONG_FAIR[:40]).first.is_visible()
        shot(page, "home-390")

        page.goto(f"{server.url}/day/{day}?fair=Feria%20Centro")
        with page.expect_download() as download:  # the products CSV, as a click saves it
            page.click("a[href*='products.csv']")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name == f"feria-centro-{day}-products.csv"
        with saved.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows[0] == ["PLU", "Product", "Kilos", "Pieces", "Amount (USD)"]
        assert sorted((r[0], r[1], Decimal(r[4])) for r in rows[1:]) == sorted(
            (p.code, p.name, Decimal(p.amount) / 100) for p in report.products)
        assert any(not name.isascii() for _code, name, *_ in rows[1:])  # accents kept

        page.set_viewport_size(DESKTOP)
        page.goto(f"{server.url}/")  # the lane's own page, from its device id
        page.click("a[href='/lane/PAGE01']")
        assert page.locator("h1").inner_text() == "Lane 1 · Feria Centro · PAGE01"
        assert page.get_by_text("matched (").is_visible()  # its day close, as the ledger said
        assert page.locator('td[data-label="Sale"]').count() == len(payloads(lane))
        assert page.get_by_text(f"{total} USD").first.is_visible()
        shot(page, "lane-1280")
        page.set_viewport_size(PHONE)
        assert off_screen(page) == []
        shot(page, "lane-390")
        assert page.goto(f"{server.url}/lane/NOSUCH").status == 404
        page.close()
    finally:
        server.stop()


def test_a_treasurer_reviews_the_quarantine_with_a_note(tmp_path: Path, browser: Any) -> None:
    """An entry a lane sent outside the schema: found from the home page, its reason and its
    body read, marked reviewed with a note; the entry itself stays as it came."""
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        lane = stall(tmp_path / "stall", "QPAGE1", sales=2, seed=2)
        token = connect(lane, server)
        bad, good = payloads(lane)
        bad["volunteer"] = "Ñ" * 81  # one character too many
        reply = web.post(f"{server.url}/v1/sales/batch", json={"sales": [bad, good]},
                           headers={"Authorization": f"Bearer {token}"})
        assert reply.json()["rejected"][0]["id"] == bad["id"]
        with server.store() as ledger:
            admin = ledger.admin_token()
            held = ledger.all("SELECT payload, payload_hash FROM quarantine")
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{server.url}/login")
        page.fill("#token", admin)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        day = str(bad["business_date"])
        assert "1 with entries in quarantine" in page.locator("tr", has_text=day).first.inner_text()
        page.click("text=The whole quarantine, to review")
        page.wait_for_url(f"{server.url}/quarantine")
        assert page.get_by_text("volunteer is longer than 80 characters").is_visible()
        page.click("summary")  # the entry as it came, laid out to be read
        assert page.locator("pre.body").inner_text().count("Ñ") == 81
        shot(page, "quarantine-1280")
        page.fill("textarea[name=note]", "Nombre de voluntaria cortado; la venta se repitió.")
        page.click("text=Mark reviewed")
        page.wait_for_url("**/quarantine?**")
        assert page.get_by_text("None.").is_visible()  # nothing left to review
        page.select_option("select[name=state]", "reviewed")
        page.click("button:has-text('Show')")
        assert page.get_by_text("Nombre de voluntaria cortado").is_visible()
        page.set_viewport_size(PHONE)
        assert off_screen(page) == []
        shot(page, "quarantine-390")
        page.goto(f"{server.url}/")  # reviewed: the day no longer counts it
        assert "in quarantine" not in page.locator("tr", has_text=day).first.inner_text()
        with server.store() as ledger:
            assert ledger.all("SELECT payload, payload_hash FROM quarantine") == held
        page.close()
    finally:
        server.stop()


def closed_short(tmp_path: Path, server: LedgerServer) -> tuple[str, int]:
    """A lane whose volunteer counted 5.00 short, recounted 1.50 short and closed with a
    reason, synced: its business date, and what its drawer should have held."""
    lane = stall(tmp_path / "stall", "CASH01", sales=5, seed=7)
    connect(lane, server)
    journal = Journal.open(lane.path / DB_NAME)
    try:
        shift = journal.require_shift()
        expected = journal.expected_counts(shift.id)[("cash", "USD")]
        journal.submit_count({("cash", "USD"): expected - 500})
        journal.close_shift({("cash", "USD"): expected - 150}, lane_settings(lane),
                            "Faltó un billete de un dólar")
    finally:
        journal.close()
    lane.run("sync")
    return str(payloads(lane)[0]["business_date"]), expected


def printed_cut(pdf: bytes, name: str) -> tuple[list[str], str]:
    """A page printed to PDF: the characters that fall past a sheet's right edge (a column
    cut), and all its text; each sheet kept as an image beside the screenshots."""
    import pypdfium2

    document = pypdfium2.PdfDocument(pdf)
    cut, text = [], []
    try:
        for number, sheet in enumerate(document, start=1):
            width, _height = sheet.get_size()
            chars = sheet.get_textpage()
            text.append(chars.get_text_range())
            cut += [chars.get_text_range(i, 1) for i in range(chars.count_chars())
                    if chars.get_charbox(i)[2] > width + 0.5]
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            sheet.render(scale=1).to_pil().save(ARTIFACTS / f"{name}-a4-{number}.png")
    finally:
        document.close()
    return cut, "\n".join(text)


def test_the_day_and_the_week_fit_a_tablet_and_an_a4_sheet(tmp_path: Path,
                                                           browser: Any) -> None:
    """Every column of the day and the week, over/short and its reason among them, on a
    tablet held either way (700–1024 px) and printed on A4 portrait."""
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        day, _expected = closed_short(tmp_path, server)
        with server.store() as ledger:
            admin = ledger.admin_token()
        context = browser.new_context(extra_http_headers={"Authorization": f"Bearer {admin}"})
        page = context.new_page()
        for name, path, said in (
                ("day", f"/day/{day}?fair=Feria%20Centro", "Faltó un billete de un dólar"),
                ("week", f"/week/{day}?fair=Feria%20Centro", "−1.50 USD")):
            page.goto(server.url + path)
            for width in (700, 768, 1024):
                page.set_viewport_size({"width": width, "height": 1000})
                assert off_screen(page) == [], (name, width)
            shot(page, f"{name}-1024")
            page.emulate_media(media="print")
            cut, text = printed_cut(page.pdf(format="A4"), name)
            page.emulate_media(media="screen")
            assert cut == [], name
            letters = "".join(text.split())  # (the sheet's text, as its characters run)
            assert "Over/short" in letters and "".join(said.split()) in letters, name
        context.close()
    finally:
        server.stop()


def test_a_lane_closed_short_is_read_on_the_day_and_the_week(tmp_path: Path,
                                                               browser: Any) -> None:
    """A volunteer counted 5.00 short, recounted 1.50 short and closed with a reason: the
    day page's cash by lane shows it, and so does the week page (per lane, per volunteer),
    on a desktop and on a phone, and in its CSV."""
    server = LedgerServer(tmp_path / "ledger.db")
    try:
        day, expected = closed_short(tmp_path, server)
        with server.store() as ledger:
            admin = ledger.admin_token()
        page = browser.new_page(viewport=DESKTOP, accept_downloads=True)
        page.goto(f"{server.url}/login")
        page.fill("#token", admin)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        page.goto(f"{server.url}/day/{day}?fair=Feria%20Centro")
        row = page.locator("tr", has_text="Ana").first.inner_text()
        shown = format_number(Money(expected, "USD"), "en")
        assert shown in row and "−1.50 USD" in row
        assert f"first count {format_number(Money(expected - 500, 'USD'), 'en')}" in row
        assert "Faltó un billete de un dólar" in row
        assert off_screen(page) == []
        page.locator("h2", has_text="Cash by lane").scroll_into_view_if_needed()
        shot(page, "day-cash-1280")
        page.set_viewport_size(PHONE)
        assert off_screen(page) == []
        assert page.locator('td[data-label="Over/short"]').first.is_visible()
        page.click(f"a[href=\"/week/{day}?fair=Feria%20Centro\"]")  # the day's own week
        page.wait_for_url(f"**/week/{day}?fair=Feria%20Centro")
        assert page.locator("h1").inner_text().startswith("Feria Centro · Week of ")
        assert page.locator('td[data-label="Over/short"]', has_text="−1.50 USD").count() == 2
        with server.store() as ledger:
            moved = ledger.week_sales(date.fromisoformat(day) - timedelta(
                days=date.fromisoformat(day).weekday()), "Feria Centro")
        for c in moved["classes"]:  # the chart across weeks, each class by its name
            label = f'{c["names"]["en"]} ({c["price_class"]}): kilos per week'
            assert page.locator(f'svg[aria-label="{label}"]').count() == 1
        top = moved["products"][0]
        row = page.locator("tr", has_text=top["name"]).first.inner_text()
        assert format_number(Money(top["this"]["amount"], "USD"), "en") in row and "new" in row
        assert off_screen(page) == []
        shot(page, "week-390")
        page.set_viewport_size(DESKTOP)
        shot(page, "week-1280")
        with page.expect_download() as download:
            page.click("a[href*='volunteers.csv']")
        saved = tmp_path / download.value.suggested_filename
        download.value.save_as(saved)
        assert saved.name.startswith("feria-centro-") and saved.name.endswith(
            "-volunteers.csv")
        with saved.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
        assert rows == [["Volunteer", "Method", "Code", "Currency", "Shifts", "Shifts short",
                         "Short", "Shifts over", "Over", "Over/short"],
                        ["Ana", "Cash", "cash", "USD", "1", "1", "-1.50", "0", "0.00", "-1.50"]]
        page.goto(f"{server.url}/lane/CASH01")  # the lane's own shifts
        row = page.locator("tr", has_text="Faltó un billete").first.inner_text()
        assert day in row and "Ana" in row and "−1.50 USD" in row
        page.set_viewport_size(PHONE)
        assert off_screen(page) == []
        shot(page, "lane-shifts-390")
        page.close()
    finally:
        server.stop()


def test_a_treasurer_reads_pago_movil_against_the_bank(tmp_path: Path, browser: Any) -> None:
    from tests.test_pago_movil import STATEMENT, sell_pago_movil

    server = LedgerServer(tmp_path / "ledger.db")
    try:
        lane = open_lane(tmp_path / "stall", "PMPAGE")
        connect(lane, server)
        sell_pago_movil(lane, "00451234", "1000", "4")
        sell_pago_movil(lane, "9999", "300", "6", unverified=True)
        lane.run("sync")
        day = str(payloads(lane)[0]["business_date"])
        statement = tmp_path / "estado.csv"
        statement.write_text(STATEMENT.replace(
            "21/11/2026", date.fromisoformat(day).strftime("%d/%m/%Y")), encoding="utf-8")
        lane.run("ledger", "statement", "import", str(statement), "--bank", "0102", "--db",
                 str(server.db))
        with server.store() as ledger:
            admin = ledger.admin_token()
        page = browser.new_page(viewport=DESKTOP)
        page.goto(f"{server.url}/login")
        page.fill("#token", admin)
        page.click("button[type=submit]")
        page.wait_for_url(f"{server.url}/")
        page.goto(f"{server.url}/day/{day}")
        page.click("text=Pago móvil against the bank")
        page.wait_for_url("**/pago-movil?**")
        assert page.get_by_text("1 matched (1,000.00 VES)").is_visible()
        alone = page.locator("tr", has_text="9999").first.inner_text()
        assert "300.00 VES" in alone and "no" in alone  # unverified, and not on the statement
        shot(page, "pago-movil-1280")
        page.set_viewport_size(PHONE)
        assert off_screen(page) == []
        shot(page, "pago-movil-390")
        token_sale = lane.sell("--line", "305", "--pay", "cash:USD:2")  # paid in tokens
        sent = [p for p in payloads(lane) if p["id"] == token_sale["id"]]
        sent[0]["tenders"][0]["method"] = "token"
        with server.store() as ledger:
            ledger.add_voucher("token", "Ficha del mercado")
            assert ledger.ingest("PMPAGE", sent).accepted == [token_sale["id"]]
        page.goto(f"{server.url}/day/{day}")
        page.click("text=Vouchers and tokens")
        page.wait_for_url("**/vouchers?**")
        assert page.get_by_text("Ficha del mercado (token)").is_visible()
        assert page.get_by_text("1 redeemed, 2.00 USD").is_visible()
        assert off_screen(page) == []
        shot(page, "vouchers-390")
        page.set_viewport_size(DESKTOP)
        shot(page, "vouchers-1280")
        page.close()
    finally:
        server.stop()
