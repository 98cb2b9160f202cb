"""Receipts: exact ESC/POS bytes (golden files), and a print queue that never loses or blocks a
sale, against a fake network printer on 127.0.0.1 and a serial printer on a pseudo-terminal."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from fairpos import i18n
from fairpos.domain.cart import Cart
from fairpos.domain.money import Money
from fairpos.domain.quantity import Quantity
from fairpos.domain.sale import Sale
from fairpos.domain.tenders import Tender
from fairpos.journal import Journal
from fairpos.presets import example
from fairpos.printer.layout import sale_receipt
from fairpos.printer.render import printable, render
from fairpos.settings import parse_settings
from harness.escpos_text import decode
from harness.fake_printer import COVER_OPEN, PAPER_OUT, FakePrinter, free_port
from harness.lanes import LaneDir, make_lane

GOLDEN = Path(__file__).with_name("golden")
UPDATE = os.environ.get("FAIRPOS_UPDATE_GOLDEN") == "1"
# These sales give large change on purpose: no second confirmation up to 1,000 USD here.
SETTINGS = parse_settings(example("feria"),
                          {"FAIRPOS_MONEY__MAX_CHANGE": "USD:1000"})


@pytest.fixture
def journal(golden_journal: Journal) -> Journal:
    return golden_journal


def sell(store: Journal, lines: list[tuple[str, Quantity | None]], tenders: list[Tender],
         change: str = "USD") -> Sale:
    cart = Cart("USD")
    for code, quantity in lines:
        cart.add(store.catalog(), code, quantity)
    return store.confirm_sale(cart, tenders, change, SETTINGS)


def check_golden(name: str, data: bytes) -> None:
    """The exact bytes, and a decoded text a reviewer can read, match the files."""
    binary, text = GOLDEN / f"{name}.bin", GOLDEN / f"{name}.txt"
    readable = decode(data) + "\n"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        binary.write_bytes(data)
        text.write_text(readable, encoding="utf-8")
    assert binary.exists(), f"no golden file {binary.name}: run with FAIRPOS_UPDATE_GOLDEN=1"
    assert text.read_text(encoding="utf-8") == readable
    assert binary.read_bytes() == data


def receipt_bytes(sale: Sale, width: int, reprint: bool = False) -> bytes:
    return render(sale_receipt(sale, fair=SETTINGS.fair.name, lane=SETTINGS.fair.lane,
                               language="es", width=width, reprint=reprint,
                               footer=SETTINGS.printer.footer),
                  profile="TM-T20II", codepage="CP858")


def test_golden_receipts(journal: Journal) -> None:
    i18n.use("es")
    journal.open_shift("Ana", {"USD": 2000})
    plain = sell(journal, [("101", Quantity(grams=1250)), ("305", Quantity(count=2)),
                           ("G", Quantity(grams=2350))], [Tender("cash", Money(1000, "USD"))])
    check_golden("sale-48", receipt_bytes(plain, 48))
    check_golden("sale-32", receipt_bytes(plain, 32))
    check_golden("reprint-48", receipt_bytes(plain, 48, reprint=True))
    long = sell(journal, [(code, Quantity(count=1)) for code in
                          [str(400 + n) for n in range(40)]],
                [Tender("cash", Money(20000, "USD"))])
    check_golden("long-names-40-lines-48", receipt_bytes(long, 48))
    split = sell(journal, [("G", Quantity(grams=5000))],
                 [Tender("pago_movil", Money(100000, "VES"), {"ref": "00451234"}),
                  Tender("cash", Money(500, "USD"))], change="VES")
    check_golden("split-change-in-ves-48", receipt_bytes(split, 48))
    journal.close_shift(journal.expected_counts(1), SETTINGS)
    journal.open_shift("Nuevo", {}, training=True)
    training = sell(journal, [("M", Quantity(grams=1000))], [Tender("cash", Money(80, "USD"))])
    check_golden("training-32", receipt_bytes(training, 32))


def test_receipt_layout_keeps_amounts_right_aligned(journal: Journal) -> None:
    i18n.use("es")
    journal.open_shift("Ana", {})
    sale = sell(journal, [("442", Quantity(count=1)), ("101", Quantity(grams=1000))],
                [Tender("cash", Money(500, "USD"))])
    for width in (32, 42, 48):
        receipt = sale_receipt(sale, fair="Feria de Consumo Familiar del Centro", lane=1,
                               language="es", width=width, footer="NO FISCAL")
        lines = receipt.text()
        assert all(len(line) <= width for line in lines), width
        amounts = [line for line in lines if line.endswith(" USD") and line[0] != " "]
        assert amounts and all(len(line) == width for line in amounts), width
        assert "NO FISCAL" in lines[-2]
    assert receipt.open_drawer and receipt.qr == sale.id


def test_every_spanish_character_round_trips_through_the_code_page() -> None:
    spanish = "áéíóúÁÉÍÓÚñÑüÜ¿¡€ºª"
    assert printable(spanish, "CP858") == spanish
    assert spanish.encode("cp858").decode("cp858") == spanish
    assert printable("“Café” — 5×3 …", "CP858") == '"Café" - 5×3 ...'  # × is in CP858
    assert printable("ñ €", "CP437") == "ñ EUR"  # CP437 has ñ but no euro sign
    assert "?" not in printable("ŁŒœ→✓", "CP858")


def lane_with_printer(tmp_path: Path, url: str) -> LaneDir:
    lane = make_lane(tmp_path / "lane")
    lane.run("rate", "set", "VES", "414.04", "--effective", "2026-01-01")
    lane.run("shift", "open", "--volunteer", "Ana", "--float", "USD:20")
    with (lane.path / "fairpos.toml").open("a") as handle:
        handle.write("")
    text = (lane.path / "fairpos.toml").read_text().replace('url = "none"\nprofile',
                                                           f'url = "{url}"\nprofile', 1)
    (lane.path / "fairpos.toml").write_text(text)
    return lane


def jobs(lane: LaneDir) -> list[tuple[str, str, str | None]]:
    with lane.db() as conn:
        return [(r["kind"], r["state"], r["last_error"]) for r in conn.execute(
            "SELECT kind, state, last_error FROM print_jobs ORDER BY id")]


def test_sell_prints_the_receipt_before_it_returns(tmp_path: Path) -> None:
    printer = FakePrinter()
    lane = lane_with_printer(tmp_path, printer.url)
    sale = lane.sell("--line", "101=1.250kg", "--line", "305", "--pay", "cash:USD:5")
    with lane.db() as conn:
        payload = conn.execute("SELECT payload FROM print_jobs").fetchone()[0]
    assert bytes(printer.received) == payload
    text = decode(payload)
    assert sale["id"] in text and "NO FISCAL" in text and "[DRAWER" in text
    assert jobs(lane) == [("receipt", "printed", None)]
    lane.sell("--line", "305", "--pay", "cash:USD:2", "--no-print")
    assert jobs(lane) == [("receipt", "printed", None)]
    printer.close()


@pytest.mark.parametrize(("make", "reason"), [
    (lambda port: None, "does not answer"),
    (lambda port: FakePrinter(port, paper=PAPER_OUT), "out of paper"),
    (lambda port: FakePrinter(port, status=0x1A, cause=COVER_OPEN), "cover is open"),
], ids=["off", "paper-out", "cover-open"])
def test_a_failed_print_keeps_the_sale_and_prints_once_after_recovery(
        tmp_path: Path, make: object, reason: str) -> None:
    port = free_port()
    faulty = make(port)  # type: ignore[operator]
    lane = lane_with_printer(tmp_path, f"tcp://127.0.0.1:{port}")
    result = lane.run("sell", "--line", "305", "--pay", "cash:USD:2", "--json")
    assert result.exit_code == 0  # the sale is confirmed whatever the printer does
    assert reason in result.stderr and "fairpos printer retry" in result.stderr
    assert lane.sell("--line", "310", "--pay", "cash:USD:2")["id"].endswith("-000002")
    assert [j[:2] for j in jobs(lane)] == [("receipt", "pending"), ("receipt", "pending")]
    assert reason in (jobs(lane)[0][2] or "")
    if faulty is not None:
        faulty.close()
    healthy = FakePrinter(port)
    retried = lane.run("printer", "retry")
    assert "Printed 2; 0 still waiting." in retried.stdout
    assert [j[:2] for j in jobs(lane)] == [("receipt", "printed")] * 2
    lane.run("printer", "retry")  # nothing more to print
    with lane.db() as conn:
        payloads = b"".join(bytes(r[0]) for r in conn.execute(
            "SELECT payload FROM print_jobs ORDER BY id"))
    assert bytes(healthy.received) == payloads  # each receipt once, oldest first
    healthy.close()


def test_a_line_that_drops_mid_receipt_is_not_printed_again_blindly(tmp_path: Path) -> None:
    """The bytes went out: the receipt may be on paper. It waits for the volunteer, who
    reprints it (marked REPRINT) if the paper says so."""
    port = free_port()
    faulty = FakePrinter(port, drop_after=40)
    lane = lane_with_printer(tmp_path, f"tcp://127.0.0.1:{port}")
    sale = lane.sell("--line", "305", "--pay", "cash:USD:2")
    assert [j[:2] for j in jobs(lane)] == [("receipt", "uncertain")]
    faulty.close()
    healthy = FakePrinter(port)
    try:
        retried = lane.run("printer", "retry")
        assert "Printed 0; 0 still waiting." in retried.stdout
        status = lane.run("printer", "status").stdout
        assert f"may have printed: {sale['id']}." in status and "fairpos reprint" in status
        assert bytes(healthy.received) == b""
        lane.run("reprint", sale["id"])
        assert "REPRINT" in decode(bytes(healthy.received))
        assert [j[:2] for j in jobs(lane)] == [("receipt", "skipped"), ("reprint", "printed")]
        assert "may have printed" not in lane.run("printer", "status").stdout
    finally:
        healthy.close()


def test_a_printer_that_never_answers_status_still_prints(tmp_path: Path) -> None:
    printer = FakePrinter(answers=False)
    lane = lane_with_printer(tmp_path, printer.url)
    lane.sell("--line", "305", "--pay", "cash:USD:2")
    assert jobs(lane) == [("receipt", "printed", None)]
    assert "it does not say how it is" in lane.run("printer", "status").stdout
    printer.close()


@pytest.mark.parametrize(("paper", "status", "english", "spanish"), [
    (0x12, 0x12, "ready", "lista"),
    (0x12 | 0x0C, 0x12, "little paper is left", "queda poco papel"),
    (PAPER_OUT, 0x12, "out of paper", "sin papel"),
], ids=["ready", "near-end", "out"])
def test_printer_status_speaks_the_volunteers_language(
        tmp_path: Path, paper: int, status: int, english: str, spanish: str) -> None:
    printer = FakePrinter(paper=paper, status=status)
    try:
        lane = lane_with_printer(tmp_path, printer.url)
        said_en = lane.run("printer", "status").stdout
        said_es = lane.run("printer", "status", lang="es").stdout
        assert english in said_en and spanish in said_es
        for word in ("online", "paper_out", "paper_low", "cover_open"):
            assert word not in said_es and word not in said_en
        if paper & 0x0C:  # near the end of the roll it still prints
            lane.sell("--line", "305", "--pay", "cash:USD:2")
            assert jobs(lane) == [("receipt", "printed", None)]
    finally:
        printer.close()


def test_test_page_status_and_reprint(tmp_path: Path) -> None:
    printer = FakePrinter()
    lane = lane_with_printer(tmp_path, printer.url)
    assert "ready" in lane.run("printer", "status").stdout
    lane.run("printer", "test")
    page = decode(bytes(printer.received))
    assert "Piña, Ñame, Limón, Cebollín," in page and "¿Algo más? ¡Gracias!" in page
    assert "Code page: CP858" in page
    sale = lane.sell("--line", "101=1kg", "--pay", "cash:USD:2", "--no-print")
    printer.received.clear()
    lane.run("reprint", sale["id"])
    assert "REPRINT" in decode(bytes(printer.received)) and sale["id"] in decode(
        bytes(printer.received))
    printer.close()
    assert "no printer is configured" in make_lane(tmp_path / "none").fail("printer", "test")


def test_bad_printer_address_is_refused(tmp_path: Path) -> None:
    lane = lane_with_printer(tmp_path, "lpt1")
    before = lane.dump()
    assert "is not a printer address" in lane.fail("sell", "--line", "305", "--pay",
                                                    "cash:USD:2")
    assert lane.dump() == before


def test_a_serial_printer_on_a_pseudo_terminal_gets_the_same_bytes(tmp_path: Path) -> None:
    import tty

    master, slave = os.openpty()
    tty.setraw(slave)
    name = os.ttyname(slave)
    received = bytearray()

    def read() -> None:
        while True:
            try:
                data = os.read(master, 4096)
            except OSError:
                return
            if not data:
                return
            received.extend(data)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    lane = lane_with_printer(tmp_path, f"serial://{name}?baudrate=19200")
    lane.sell("--line", "101=1.250kg", "--pay", "cash:USD:5")
    with lane.db() as conn:
        payload = bytes(conn.execute("SELECT payload FROM print_jobs").fetchone()[0])
    # The printer never answered DLE EOT (state unknown): what follows the three queries is
    # exactly the receipt.
    for _ in range(100):
        if len(received) >= len(payload) + 3:
            break
        threading.Event().wait(0.02)
    assert bytes(received[3:]) == payload
    assert jobs(lane) == [("receipt", "printed", None)]
    os.close(slave)
    os.close(master)


def test_report_on_paper(tmp_path: Path) -> None:
    printer = FakePrinter()
    lane = lane_with_printer(tmp_path, printer.url)
    lane.sell("--line", "G=2kg", "--pay", "cash:USD:5", "--no-print")
    lane.run("report", "--print")
    text = decode(bytes(printer.received))
    assert "X REPORT" in text and "Large fair price" in text
    printer.close()
    assert "no printer is configured" in make_lane(tmp_path / "none").fail(
        "report", "--date", "2026-11-23", "--print")


def test_closing_the_shift_prints_the_z_report(tmp_path: Path) -> None:
    port = free_port()
    lane = lane_with_printer(tmp_path, f"tcp://127.0.0.1:{port}")
    closed = lane.run("shift", "close", "--count", "USD:20")  # the printer is off
    assert closed.exit_code == 0 and "Z report was not printed" in closed.stderr
    assert jobs(lane)[0][:2] == ("report", "pending")
    printer = FakePrinter(port)
    lane.run("printer", "retry")
    assert "Z REPORT" in decode(bytes(printer.received))
    printer.close()


def test_a_cups_queue_gets_the_receipt_raw(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                           ) -> None:
    """CUPS is the far end: a stand-in ``lp`` on PATH records its arguments and the bytes."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    spool = tmp_path / "spooled"
    lp = bin_dir / "lp"
    lp.write_text(f'#!/bin/sh\necho "$@" > "{spool}.args"\ncat > "{spool}"\n')
    lp.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    lane = lane_with_printer(tmp_path, "cups://Termica_80")
    lane.sell("--line", "305", "--pay", "cash:USD:2")
    with lane.db() as conn:
        payload = bytes(conn.execute("SELECT payload FROM print_jobs").fetchone()[0])
    assert spool.read_bytes() == payload
    assert Path(f"{spool}.args").read_text().split() == ["-d", "Termica_80", "-o", "raw"]
    lp.write_text("#!/bin/sh\necho 'lp: The printer or class does not exist.' >&2\nexit 1\n")
    result = lane.run("sell", "--line", "305", "--pay", "cash:USD:2")
    assert "does not exist" in result.stderr and jobs(lane)[-1][1] == "pending"


def test_a_usb_printer_that_is_not_there_says_so(tmp_path: Path) -> None:
    lane = lane_with_printer(tmp_path, "usb://04b8:0e15")
    result = lane.run("sell", "--line", "305", "--pay", "cash:USD:2")
    assert result.exit_code == 0 and "cannot open the USB printer 04b8:0e15" in result.stderr
    assert jobs(lane)[0][1] == "pending"
    assert "is not a printer address" in lane_with_printer(tmp_path / "x", "usb://epson").fail(
        "printer", "status")
