"""Settings: fairpos.toml, FAIRPOS_* overrides, clear refusals, every field documented."""

from __future__ import annotations

from dataclasses import fields

import pytest

from fairpos.presets import example
from fairpos.settings import SECTIONS, Settings, SettingsError, describe, parse_settings
from harness.lanes import LaneDir


def test_defaults() -> None:
    settings = parse_settings("")
    assert settings.fair.lane == 1 and settings.money.currency == "USD"
    assert settings.ui.locale == "es" and settings.printer.url == "none"


def test_example_files_load() -> None:
    feria = parse_settings(example("feria"))
    assert feria.accepted_currencies == ["USD", "VES"] and feria.tolerance_minor == 50
    market = parse_settings(example("farmers-market"))
    assert set(market.voucher_kinds) == {"snap", "token", "fmnp"}
    assert market.voucher_kinds["snap"].gives_change is False
    assert market.voucher_kinds["token"].gives_change is True


def test_environment_overrides_any_key() -> None:
    settings = parse_settings("[printer]\nurl = 'none'\n", {
        "FAIRPOS_PRINTER__URL": "tcp://10.0.0.5:9100", "FAIRPOS_FAIR__LANE": "12",
        "FAIRPOS_MONEY__TENDER_CURRENCIES": "USD, ves", "FAIRPOS_SCALE__BAUDRATE": "19200",
        "FAIRPOS_LEDGER__TOKEN": "s3cret"})
    assert settings.printer.url == "tcp://10.0.0.5:9100"
    assert settings.fair.lane == 12 and settings.scale.baudrate == 19200
    assert settings.money.tender_currencies == ["USD", "VES"]
    assert settings.ledger.token == "s3cret"


@pytest.mark.parametrize(("text", "env", "message"), [
    ("[fair]\nlane = 'x'\n", {}, "[fair] lane must be a whole number"),
    ("", {"FAIRPOS_FAIR__LANE": "two"}, "[fair] lane must be a whole number"),
    ("[fair]\nlane = 0\n", {}, "lane must be 1 or more"),
    ("[fair]\nnmae = 'x'\n", {}, "unknown setting [fair] nmae"),
    ("[fiar]\n", {}, "unknown section [fiar]"),
    ("fair = 3\n", {}, "[fair] must be a table"),
    ("[money]\ncurrency = 'dollars'\n", {}, "not a currency code"),
    ("[money]\ntender_currencies = []\n", {}, "cannot be empty"),
    ("[money]\ntender_currencies = 'USD'\n", {}, "must be a list"),
    ("[ui]\nlocale = 'fr'\n", {}, "[ui] locale must be one of"),
    ("[printer]\ncolumns = 40\n", {}, "columns must be 32, 42 or 48"),
    ("[shift]\ntolerance = 'lots'\n", {}, "is not an amount"),
    ("[[vouchers]]\nname = 'x'\n", {}, "needs a code"),
    ("[[vouchers]]\ncode = 'cash'\n", {}, "cannot be a voucher code"),
    ("[[vouchers]]\ncode = 'a'\ngives_change = 'no'\n", {}, "gives_change must be"),
    ("[[vouchers]]\ncode = 'a'\n[[vouchers]]\ncode = 'a'\n", {}, "same code"),
    ("[fair\n", {}, "not valid TOML"),
])
def test_bad_settings_are_refused_by_name(text: str, env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        parse_settings(text, env)
    assert message in str(caught.value)


def test_every_field_is_documented() -> None:
    rows = describe()  # reads metadata["doc"] of every field: a missing one raises KeyError
    assert {key.split(".")[0] for key, _d, _t in rows} == {*SECTIONS, "vouchers", "keys"}
    assert all(f.metadata["doc"] for f in fields(Settings))
    assert all(len(text) > 15 for _key, _default, text in rows)
    keys = {key for key, _d, _t in rows}
    for key in ("fair.name", "fair.lane", "money.currency", "money.tender_currencies",
                "ui.locale", "printer.url", "printer.profile", "printer.columns",
                "printer.codepage", "scale.url", "scale.protocol", "scale.baudrate",
                "scale.bytesize", "scale.parity", "scale.stopbits", "ledger.url",
                "ledger.token", "vouchers"):
        assert key in keys


def test_settings_command_lists_them(feria: LaneDir) -> None:
    out = feria.run("settings").stdout
    assert 'printer.url = "none"' in out and "fair.lane = 1" in out
    assert 'money.tender_currencies = ["USD"]' in out


def test_env_override_reaches_the_cli(feria: LaneDir, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAIRPOS_MONEY__TENDER_CURRENCIES", "USD")
    assert "VES is not accepted here" in feria.fail("sell", "--line", "305", "--pay",
                                                    "cash:VES:500")
