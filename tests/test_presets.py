"""Another market from the same program: presets for a new lane, the payment methods a market
takes, vouchers by their names, and the 32-column paper of a farmers-market stall."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from fairpos.cli import main
from fairpos.lane import Lane
from fairpos.settings import parse_settings
from harness.lanes import LaneDir
from tests.till_helpers import make_till, settle, type_in


def init(folder: Path, *args: str) -> Lane:
    """``fairpos [--lang …] init …`` as typed; the lane it set up."""
    lang = list(args[:2]) if args[:1] == ("--lang",) else []
    rest = args[len(lang):]
    result = CliRunner().invoke(main, [*lang, "--data-dir", str(folder), "init", "--fair",
                                       "Mercado", "--lane", "2", *rest])
    assert result.exit_code == 0, result.output
    return Lane(folder)


@pytest.mark.parametrize(("args", "locale", "currencies", "methods", "vouchers", "footer"), [
    ((), "es", ["USD"], ["cash", "card", "pago_movil", "biopago", "other"], [], ""),
    (("--lang", "en"), "en", ["USD"], ["cash", "card", "pago_movil", "biopago", "other"], [],
     ""),
    (("--preset", "feria"), "es", ["USD", "VES"],
     ["cash", "card", "pago_movil", "biopago", "other"], [], "NO FISCAL"),
    (("--preset", "farmers-market"), "en", ["USD"], ["cash", "card", "other"],
     ["snap", "token", "fmnp"], ""),
    (("--lang", "es", "--preset", "farmers-market"), "es", ["USD"], ["cash", "card", "other"],
     ["snap", "token", "fmnp"], ""),
    (("--preset", "feria", "--currency", "EUR", "--tender-currency", "USD"), "es",
     ["EUR", "USD"], ["cash", "card", "pago_movil", "biopago", "other"], [], "NO FISCAL"),
])
def test_init_writes_the_preset(tmp_path: Path, args: tuple[str, ...], locale: str,
                                currencies: list[str], methods: list[str], vouchers: list[str],
                                footer: str) -> None:
    settings = init(tmp_path / "lane", *args).settings
    assert settings.fair.name == "Mercado" and settings.fair.lane == 2
    assert settings.ui.locale == locale
    assert settings.accepted_currencies == currencies
    assert settings.money.methods == methods
    assert list(settings.voucher_kinds) == vouchers
    assert settings.printer.footer == footer
    text = (tmp_path / "lane" / "fairpos.toml").read_text()
    assert text.startswith("#") and "$" not in text.replace("$1 ", "").replace("$5,", "")


def test_a_fair_name_with_quotes_stays_one_value(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path), "init", "--fair",
                                       'Feria "La Esperanza" \\ Este', "--lane", "1",
                                       "--preset", "feria"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "fairpos.toml").read_text()
    assert parse_settings(text).fair.name == 'Feria "La Esperanza" \\ Este'


def test_settings_refuse_unknown_or_missing_methods() -> None:
    from fairpos.errors import FairposError

    with pytest.raises(FairposError, match="is not one of"):
        parse_settings('[money]\nmethods = ["cash", "bitcoin"]\n')
    with pytest.raises(FairposError, match="must list cash"):
        parse_settings('[money]\nmethods = ["card"]\n')


def test_a_market_takes_only_its_methods(market: LaneDir) -> None:
    message = market.fail("sell", "--line", "12=2", "--pay", "pago_movil:USD:3,ref=1")
    assert "“pago_movil” is not a payment method taken here" in message
    assert "snap" in message and "biopago" not in message


async def test_the_payment_screen_lists_the_markets_methods_by_name(market: LaneDir) -> None:
    app = make_till(market.path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        for _ in range(3):  # three ears of sweet corn, 3.00
            await type_in(pilot, "12", "enter")
        await pilot.press("f2")
        await settle(pilot)
        options = app.screen.query_one("#methods")
        labels = [str(options.get_option_at_index(n).prompt)
                  for n in range(options.option_count)]
        assert labels == ["Cash USD", "Debit card USD", "SNAP token", "Market token",
                          "FMNP check", "Other USD"]
        await pilot.press("down", "down")  # SNAP token
        await type_in(pilot, "2", "enter")
        paid = app.screen.query_one("#tenders")
        assert "SNAP token" in " ".join(str(c) for c in paid.get_row_at(0))


def test_vouchers_are_named_on_receipts_and_reports(market: LaneDir) -> None:
    sale = market.sell("--line", "1=1kg", "--line", "34", "--pay", "snap:8", "--pay",
                       "cash:USD:20")
    out = market.run("shift", "close", "--count", "USD:65.80", "--count", "snap:USD:8").stdout
    assert "SNAP token ×1" in out and "  snap" not in out
    lane = Lane(market.path)
    try:
        receipt = lane.receipt_of(lane.journal.sale(sale["id"])).text()
        assert any(line.startswith("SNAP token") for line in receipt)
        assert not any("NO FISCAL" in line or line.startswith("snap") for line in receipt)
        z = lane.report_receipt(lane.report(1), "Z").text()
    finally:
        lane.close()
    assert max(len(line) for line in z) <= 32
    # every amount on the 32-column paper is whole: its figures and its currency together
    text = "\n".join(z)
    assert re.findall(r"\d+\.\d\d(?!\d| USD)", text) == []
    assert z[1:3] == ["    Riverside Farmers Market", "             lane 3"]
    assert "65.80 USD (0.00 USD)" in text and "SNAP token USD" in text
