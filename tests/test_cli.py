"""The ``fairpos`` command as scripts and integrations use it, on a real journal file."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from fairpos.cli import main
from harness.lanes import FIXTURES, LaneDir, make_lane

SALE_ID = re.compile(r"^[2-9A-HJ-NP-Z]{6}-\d{6}$")


def test_init_sets_up_a_lane_once(tmp_path: Path) -> None:
    lane = LaneDir(tmp_path / "lane7")
    out = lane.run("init", "--fair", "Feria del Este", "--lane", "7", "--currency", "usd",
                   "--tender-currency", "VES", "--catalog", str(FIXTURES / "feria-catalog.csv"))
    assert "Lane 7 of Feria del Este" in out.stdout
    assert "360 products, 2 price classes" in out.stdout
    toml = (lane.path / "fairpos.toml").read_text()
    assert 'currency = "USD"' in toml and '"VES"' in toml
    with lane.db() as conn:
        device = conn.execute("SELECT id FROM device").fetchone()[0]
        assert re.fullmatch(r"[2-9A-HJ-NP-Z]{6}", device)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    before = lane.dump()
    message = lane.fail("init", "--fair", "Otra", "--lane", "1")
    assert "already set up" in message
    assert lane.dump() == before


def test_init_refuses_bad_currency_and_leaves_nothing(tmp_path: Path) -> None:
    lane = LaneDir(tmp_path / "x")
    assert "not a currency code" in lane.fail("init", "--fair", "F", "--lane", "1",
                                              "--currency", "dollars")
    assert not (lane.path / "fairpos.toml").exists()


def test_catalog_list_json(feria: LaneDir) -> None:
    rows = feria.json("catalog", "list")
    by_plu = {row["plu"]: row for row in rows}
    assert {"plu", "name", "unit", "price", "price_class"} <= set(rows[0])
    assert by_plu["G"] == {**by_plu["G"], "unit": "kg", "price": "1.20", "price_class": "G"}
    assert by_plu["101"]["name"] == "Tomate"
    assert by_plu["101"]["price"] == "1.20" and by_plu["101"]["price_class"] == "G"
    assert by_plu["305"]["unit"] == "each" and by_plu["305"]["price_class"] is None
    assert len(rows) == 362


def test_sell_weighed_counted_and_class_lines(feria: LaneDir) -> None:
    sale = feria.sell("--line", "101=1.250kg", "--line", "305=2", "--line", "G=850g",
                      "--line", "310", "--pay", "cash:USD:10")
    assert SALE_ID.match(sale["id"]) and sale["id"].endswith("-000001")
    # 1.250 kg × 1.20 = 1.50; 2 × 1.20 = 2.40; 0.850 kg × 1.20 = 1.02; 1 × 1.40
    assert [line["amount"] for line in sale["lines"]] == ["1.50", "2.40", "1.02", "1.40"]
    assert [line["grams"] for line in sale["lines"]] == [1250, None, 850, None]
    assert sale["total"] == "6.32" and sale["currency"] == "USD"
    assert sale["change"] == {"currency": "USD", "amount": "3.68"}
    assert sale["totals"]["VES"] == "2616.73"  # 6.32 × 414.04 = 2616.7328
    assert sale["tenders"] == [{"method": "cash", "currency": "USD", "amount": "10.00",
                                "reference": {}, "verified": True}]
    with feria.db() as conn:
        row = conn.execute("SELECT * FROM sales").fetchone()
        assert row["total"] == 632 and row["catalog_version"] == 1
        assert '"414.04"' in row["rates"]
        assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 1


def test_sell_in_bolivares_with_change_in_dollars(feria: LaneDir) -> None:
    # 2.000 kg at Feria grande = 2.40 USD = 993.70 VES; the customer pays 1000 VES + nothing
    sale = feria.sell("--line", "G=2kg", "--pay", "cash:VES:1000", "--change-currency", "USD")
    assert sale["total"] == "2.40"
    assert sale["change"] == {"currency": "USD", "amount": "0.02"}  # 6.30 VES = 0.0152 USD


def test_paying_the_shown_bolivar_amount_covers_the_sale(feria: LaneDir) -> None:
    # 6.32 USD shows as 2616.73 VES (2616.7328 rounded half up): paying that is enough.
    sale = feria.sell("--line", "101=1.250kg", "--line", "305=2", "--line", "G=850g",
                      "--line", "310", "--pay", "cash:VES:2616.73")
    assert sale["change"]["amount"] == "0.00"


def test_split_payment_with_references_and_unverified(feria: LaneDir) -> None:
    sale = feria.sell("--line", "G=5kg", "--pay",
                      "pago_movil:VES:1000,ref=00451234,bank=0102,phone=04141234567,unverified",
                      "--pay", "card:VES:1000,ref=778812,lot=3", "--pay", "cash:USD:2",
                      "--change-currency", "VES")
    # 6.00 USD = 2484.24 VES; paid 2000 VES + 2 USD (828.08 VES) → change 343.84 VES
    assert sale["change"] == {"currency": "VES", "amount": "343.84"}
    assert sale["tenders"][0]["verified"] is False
    assert sale["tenders"][0]["reference"] == {"ref": "00451234", "bank": "0102",
                                               "phone": "04141234567"}
    report = feria.json("report")
    assert {"method": "pago_movil", "currency": "VES", "amount": "1000.00", "count": 1,
            "unverified": 1} in report["tenders"]


def test_sale_ids_are_gapless_per_device(feria: LaneDir) -> None:
    ids = [feria.sell("--line", "305", "--pay", "cash:USD:2")["id"] for _ in range(3)]
    feria.fail("sell", "--line", "999999", "--pay", "cash:USD:2")
    ids.append(feria.sell("--line", "305", "--pay", "cash:USD:2")["id"])
    assert [int(i.split("-")[1]) for i in ids] == [1, 2, 3, 4]
    assert len({i.split("-")[0] for i in ids}) == 1


def test_void_and_refund_are_new_entries(feria: LaneDir) -> None:
    first = feria.sell("--line", "101=1kg", "--line", "305=3", "--pay", "cash:USD:10")
    second = feria.sell("--line", "G=2kg", "--pay", "cash:VES:1000")
    void = feria.json("void", first["id"], "--reason", "customer left")
    assert void["kind"] == "void" and void["ref_id"] == first["id"]
    assert void["total"] == "-4.80"
    assert void["change"]["amount"] == "-5.20"
    refund = feria.json("refund", second["id"], "--line", "1", "--reason", "rotten",
                        "--currency", "VES")
    assert refund["kind"] == "refund" and refund["total"] == "-2.40"
    assert refund["tenders"][0]["amount"] == "-993.70"
    with feria.db() as conn:
        kinds = [r[0] for r in conn.execute("SELECT kind FROM sales ORDER BY seq")]
        assert kinds == ["sale", "sale", "void", "refund"]
        assert conn.execute("SELECT COUNT(*) FROM audit_log WHERE action IN "
                            "('void', 'refund')").fetchone()[0] == 2
        assert conn.execute("SELECT COUNT(*) FROM outbox").fetchone()[0] == 4
    report = feria.json("report")
    assert report["sales_count"] == 2
    assert report["gross"] == "7.20" and report["total"] == "0.00"
    assert report["voids"] == {"count": 1, "amount": "4.80"}
    assert report["refunds"] == {"count": 1, "amount": "2.40"}
    assert "already voided" in feria.fail("void", first["id"], "--reason", "again")
    assert "already refunded" in feria.fail("refund", second["id"], "--line", "1",
                                            "--reason", "again")
    assert "already refunded" in feria.fail("refund", second["id"], "--reason", "again")
    assert "is a void, not a sale" in feria.fail("void", void["id"], "--reason", "x")


def test_hold_and_recall(feria: LaneDir) -> None:
    held = feria.json("sell", "--line", "101=1kg", "--hold")["held"]
    message = feria.fail("shift", "close", "--count", "USD:20", "--count", "VES:10000")
    assert "sales are on hold" in message
    sale = feria.sell("--recall", str(held), "--line", "305", "--pay", "cash:USD:5")
    assert [line["code"] for line in sale["lines"]] == ["101", "305"]
    assert "no held sale" in feria.fail("sell", "--recall", str(held), "--pay", "cash:USD:5")
    feria.run("shift", "close", "--count", "USD:22.40", "--count", "VES:10000")


def test_drop_a_held_sale_keeps_it_in_the_audit_log(feria: LaneDir) -> None:
    held = feria.json("sell", "--line", "101=1kg", "--line", "305", "--hold")["held"]
    [listed] = feria.json("held", "list")
    assert (listed["id"], listed["total"], listed["lines"]) == (held, "2.40", 2)
    assert "reason" in feria.fail("held", "drop", str(held), "--reason", " ")
    feria.run("held", "drop", str(held), "--reason", "customer left")
    assert feria.json("held", "list") == []
    assert "no held sale" in feria.fail("held", "drop", str(held), "--reason", "again")
    with feria.db() as conn:
        detail = conn.execute("SELECT detail FROM audit_log WHERE action = 'held_drop'"
                              ).fetchone()[0]
    assert '"customer left"' in detail and '"101"' in detail
    feria.run("shift", "close", "--count", "USD:20", "--count", "VES:10000")


def test_close_shift_with_count_and_z_report(feria: LaneDir) -> None:
    feria.sell("--line", "G=2kg", "--pay", "cash:USD:5")  # 2.40, change 2.60 USD
    feria.sell("--line", "M=1kg", "--pay", "card:VES:331.23,ref=1")  # 0.80 USD = 331.23 VES
    before = feria.dump()
    message = feria.fail("shift", "close", "--count", "USD:21", "--count", "VES:10000",
                         "--count", "card:VES:331.23")
    assert "give a reason" in message and "-1.40 USD" in message
    assert feria.dump() == before
    z = feria.json("shift", "close", "--count", "USD:21", "--count", "VES:10000",
                   "--count", "card:VES:331.23", "--reason", "a note fell")
    assert z["kind"] == "Z" and z["close_reason"] == "a note fell"
    counts = {(c["method"], c["currency"]): c for c in z["counts"]}
    assert counts[("cash", "USD")] == {"method": "cash", "currency": "USD",
                                       "expected": "22.40", "counted": "21.00",
                                       "difference": "-1.40"}
    assert counts[("card", "VES")]["difference"] == "0.00"
    assert z["sales_count"] == 2 and z["total"] == "3.20"
    assert {c["code"]: c["kg"] for c in z["price_classes"]} == {"G": "2.000", "M": "1.000"}
    assert "no shift is open" in feria.fail("sell", "--line", "305", "--pay", "cash:USD:2")
    assert feria.json("report", "--shift", "1")["kind"] == "Z"


def test_small_difference_within_tolerance_needs_no_reason(feria: LaneDir) -> None:
    feria.sell("--line", "G=2kg", "--pay", "cash:USD:2.40")
    z = feria.json("shift", "close", "--count", "USD:22.00", "--count", "VES:10000")
    assert z["counts"][0]["difference"] == "-0.40" and z["close_reason"] is None


def test_training_sales_stay_out_of_real_totals(feria: LaneDir) -> None:
    feria.sell("--line", "G=1kg", "--pay", "cash:USD:1.20")
    feria.run("shift", "close", "--count", "USD:21.20", "--count", "VES:10000")
    feria.run("shift", "open", "--volunteer", "Nuevo", "--training")
    sale = feria.sell("--line", "G=3kg", "--pay", "cash:USD:3.60")
    assert sale["training"] is True
    today = date.today().isoformat()
    real = feria.json("report", "--date", today)
    assert real["sales_count"] == 1 and real["total"] == "1.20"
    training = feria.json("report", "--date", today, "--training")
    assert training["sales_count"] == 1 and training["total"] == "3.60"
    assert "TRAINING" in feria.run("report").stdout


def test_date_report_adds_up_shifts(feria: LaneDir) -> None:
    feria.sell("--line", "101=2kg", "--pay", "cash:USD:2.40")
    feria.run("shift", "close", "--count", "USD:22.40", "--count", "VES:10000")
    feria.run("shift", "open", "--volunteer", "Luis")
    feria.sell("--line", "101=0.500kg", "--line", "305", "--pay", "cash:USD:1.80")
    day = feria.json("report", "--date", date.today().isoformat())
    assert day["kind"] == "day" and day["sales_count"] == 2
    tomato = next(p for p in day["products"] if p["plu"] == "101")
    assert tomato["grams"] == 2500 and tomato["amount"] == "3.00"
    assert day["totals"] == {"USD": "4.20"}


def test_spanish_is_the_default_language(feria: LaneDir) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(feria.path), "sell", "--line", "555555",
                                       "--pay", "cash:USD:1"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "fairpos: PLU desconocido «555555»"
    report = CliRunner().invoke(main, ["--data-dir", str(feria.path), "report"]).stdout
    assert "REPORTE X (turno abierto)" in report and "20,00 USD" in report


def test_market_vouchers_give_no_change_and_pay_eligible_products_only(market: LaneDir) -> None:
    # Heirloom tomatoes 1 kg = 8.80 (snap, fmnp); flowers 15.00 (not eligible)
    sale = market.sell("--line", "1=1kg", "--line", "34", "--pay", "snap:8", "--pay",
                       "cash:USD:20")
    assert sale["total"] == "23.80" and sale["change"]["amount"] == "4.20"
    assert "can only pay for the products it is for" in market.fail(
        "sell", "--line", "1=1kg", "--line", "34", "--pay", "snap:10", "--pay", "cash:USD:20")
    assert "give no change" in market.fail("sell", "--line", "12=2", "--pay", "snap:3")
    sale = market.sell("--line", "12=2", "--pay", "token:5")  # market tokens give change
    assert sale["change"]["amount"] == "3.00"


BAD_INPUT = [
    (("sell", "--line", "999=1", "--pay", "cash:USD:5"), "unknown PLU “999”"),
    (("sell", "--line", "101=0kg", "--pay", "cash:USD:5"), "weight must be more than zero"),
    (("sell", "--line", "101=-1kg", "--pay", "cash:USD:5"), "cannot be negative"),
    (("sell", "--line", "101=500kg", "--pay", "cash:USD:900"), "too heavy for one line"),
    (("sell", "--line", "101=3", "--pay", "cash:USD:5"), "sold by weight"),
    (("sell", "--line", "305=1.5kg", "--pay", "cash:USD:5"), "sold by the piece"),
    (("sell", "--line", "305=0", "--pay", "cash:USD:5"), "count must be more than zero"),
    (("sell", "--line", "305=5000", "--pay", "cash:USD:9000"), "too many for one line"),
    (("sell", "--line", "G", "--pay", "cash:USD:5"), "sold by weight"),
    (("sell", "--line", "101=1,2,3kg", "--pay", "cash:USD:5"), "is not a quantity"),
    (("sell", "--line", "101=1kg", "--pay", "cash:USD:1"), "do not cover the total"),
    (("sell", "--line", "101=1kg", "--pay", "cash:VES:400"), "do not cover the total"),
    (("sell", "--line", "101=1kg", "--pay", "cash:USD:12.345"), "more decimals than USD"),
    (("sell", "--line", "101=1kg", "--pay", "cash:USD:abc"), "is not an amount"),
    (("sell", "--line", "101=1kg", "--pay", "cash:USD:-5"), "is not an amount"),
    (("sell", "--line", "101=1kg", "--pay", "cash:USD:0"), "more than zero"),
    (("sell", "--line", "101=1kg", "--pay", "cash:EUR:5"), "EUR is not accepted here"),
    (("sell", "--line", "101=1kg", "--pay", "bitcoin:USD:5"), "is not a payment method taken here"),
    (("sell", "--line", "101=1kg", "--pay", "card:USD:5"), "needs its reference number"),
    (("sell", "--line", "101=1kg", "--pay", "cash:USD:5,unverified"), "left unverified"),
    (("sell", "--line", "101=1kg", "--pay", "cash"), "write METHOD[:CUR]:AMOUNT"),
    (("sell", "--line", "101=1kg"), "no payment given"),
    (("sell", "--pay", "cash:USD:5"), "the sale is empty"),
    (("sell", "--line", "101=1kg", "--pay", "cash:USD:5", "--change-currency", "EUR"),
     "EUR is not accepted here"),
    (("shift", "open", "--volunteer", "Otra"), "a shift is already open"),
    (("shift", "close", "--count", "USD:abc"), "is not an amount"),
    (("shift", "close", "--count", "USD:20", "--count", "USD:20"), "counted twice"),
    (("void", "ZZZZZZ-000009", "--reason", "x"), "there is no sale"),
    (("refund", "ZZZZZZ-000009", "--reason", "x"), "there is no sale"),
    (("rate", "set", "VES", "0"), "positive number"),
    (("rate", "set", "VES", "-3"), "No such option '-3'"),
    (("sell", "--bogus"), "No such option '--bogus'"),
    (("rate", "set", "VES", "abc"), "is not an exchange rate"),
    (("rate", "set", "EUR", "1.1"), "not a tender currency"),
    (("rate", "set", "USD", "1"), "pricing currency"),
    (("report", "--shift", "99"), "there is no shift #99"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[" ".join(a) for a, _ in BAD_INPUT])
def test_bad_input_is_refused_and_changes_nothing(feria: LaneDir, args: tuple[str, ...],
                                                  message: str) -> None:
    feria.sell("--line", "101=1kg", "--pay", "cash:USD:5")
    before = feria.dump()
    line = feria.fail(*args)
    assert line.startswith("fairpos: ")
    assert message in line
    assert feria.dump() == before


def test_commands_before_init_say_what_to_do(tmp_path: Path) -> None:
    lane = LaneDir(tmp_path / "empty")
    assert "run “fairpos init” first" in lane.fail("catalog", "list")
    assert "run “fairpos init” first" in lane.fail("sell", "--line", "1", "--pay", "cash:1")
    assert not lane.path.exists()


def test_broken_settings_file_is_reported(tmp_path: Path) -> None:
    lane = make_lane(tmp_path / "lane")
    (lane.path / "fairpos.toml").write_text("[fair]\nlane = 'three'\n")
    assert "[fair] lane must be a whole number" in lane.fail("catalog", "list")
    (lane.path / "fairpos.toml").write_text("[fair\n")
    assert "not valid TOML" in lane.fail("catalog", "list")


def test_every_command_has_help() -> None:
    runner = CliRunner()
    commands = [[]]
    for name, command in main.commands.items():  # type: ignore[attr-defined]
        commands.append([name])
        for sub in getattr(command, "commands", {}):
            commands.append([name, sub])
    for words in commands:
        result = runner.invoke(main, [*words, "--help"])
        assert result.exit_code == 0, words
        assert "Usage: " in result.output and len(result.output.splitlines()) > 3, words


def test_python_dash_m_runs_the_command(tmp_path: Path) -> None:
    out = subprocess.run([sys.executable, "-m", "fairpos", "--data-dir", str(tmp_path),
                          "--lang", "en", "catalog", "list"], capture_output=True, text=True,
                         check=False)
    assert out.returncode == 1
    assert out.stderr.strip() == (f"fairpos: no fairpos.toml in {tmp_path}; "
                                  "run “fairpos init” first")


def test_demo_is_idempotent(tmp_path: Path) -> None:
    lane = LaneDir(tmp_path / "demo")
    first = lane.run("demo", "--print").stdout
    assert "Demo lane created" in first and "Z REPORT" in first
    assert "Large fair price" in first
    # the sample sales are in a closed shift: the demo opens where a volunteer's day opens
    with lane.db() as conn:
        assert conn.execute("SELECT COUNT(*) FROM shifts WHERE closed_at IS NULL"
                            ).fetchone()[0] == 0
    dump = lane.dump()
    second = lane.run("demo", "--print").stdout
    assert "Demo lane created" not in second and "Z REPORT" in second
    assert lane.dump() == dump


def test_closing_with_a_held_sale_changes_nothing(feria: LaneDir) -> None:
    feria.run("sell", "--line", "G=1kg", "--hold")
    before = feria.dump()
    assert "sales are on hold" in feria.fail("shift", "close", "--count", "USD:20", "--reason", "x")
    assert feria.dump() == before


def test_corrections_need_an_open_shift_of_the_same_kind(feria: LaneDir) -> None:
    sale = feria.sell("--line", "G=1kg", "--pay", "cash:USD:1.20")
    feria.run("shift", "close", "--count", "USD:21.20", "--count", "VES:10000")
    before = feria.dump()
    assert "no shift is open" in feria.fail("void", sale["id"], "--reason", "x")
    assert "no shift is open" in feria.fail("refund", sale["id"], "--reason", "x")
    assert feria.dump() == before
    feria.run("shift", "open", "--volunteer", "Practice", "--training")
    before = feria.dump()
    assert "training sales can only be corrected" in feria.fail("void", sale["id"],
                                                                "--reason", "x")
    assert "a reason is required" in feria.fail("void", sale["id"], "--reason", " ")
    assert feria.dump() == before


def test_refund_in_a_currency_without_rate_is_refused(tmp_path: Path) -> None:
    lane = make_lane(tmp_path / "norate")
    lane.run("shift", "open", "--volunteer", "Ana")
    sale = lane.sell("--line", "G=1kg", "--pay", "cash:USD:1.20")
    before = lane.dump()
    assert "no exchange rate for VES" in lane.fail("refund", sale["id"], "--reason", "x",
                                                   "--currency", "VES")
    assert "no exchange rate for VES" in lane.fail("sell", "--line", "G=1kg",
                                                   "--pay", "cash:VES:500")
    assert lane.dump() == before


def test_every_command_is_found_where_the_group_looks_for_it() -> None:
    """Commands are loaded on first use, each from the module ``COMMANDS`` names."""
    import importlib
    import pkgutil

    import fairpos.cli
    from fairpos.cli.base import COMMANDS

    for module in pkgutil.iter_modules(fairpos.cli.__path__):
        importlib.import_module(f"fairpos.cli.{module.name}")
    assert set(main.commands) == set(COMMANDS)
    for name, module in COMMANDS.items():
        assert main.commands[name].callback.__module__ == f"fairpos.cli.{module}", name
