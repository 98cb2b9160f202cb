"""The stall's settings: one typed object read from ``fairpos.toml`` in the data folder.

Every scalar key can be overridden from the environment as ``FAIRPOS_<SECTION>__<KEY>``
(``FAIRPOS_PRINTER__URL=tcp://10.0.0.5:9100``); lists are written comma-separated
(``FAIRPOS_MONEY__TENDER_CURRENCIES=USD,VES``). Each field's documentation lives next to it as
``metadata["doc"]``; ``fairpos settings`` prints them all.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal
from fractions import Fraction
from typing import Any, get_type_hints

from fairpos.domain.barcodes import BarcodeError, Layout, parse_layout
from fairpos.domain.money import MoneyError, check_currency, parse_amount
from fairpos.domain.tenders import BUILTIN_METHODS, CASH, Igtf, VoucherKind
from fairpos.errors import FairposError
from fairpos.i18n import LANGUAGES, _

ENV_PREFIX = "FAIRPOS_"


class SettingsError(FairposError, ValueError):
    """Settings that cannot be used; the message names the key."""


def doc(text: str, default: Any = None, factory: Any = None) -> Any:
    if factory is not None:
        return field(default_factory=factory, metadata={"doc": text})
    return field(default=default, metadata={"doc": text})


THEMES = ("auto", "default", "high-contrast")


@dataclass(frozen=True)
class FairSettings:
    name: str = doc("Name of the fair or market, printed on receipts and reports.", "Feria")
    lane: int = doc("Number of this checkout lane (caja) at the fair, 1 or more.", 1)


@dataclass(frozen=True)
class MoneySettings:
    currency: str = doc("Pricing currency: catalog prices and sale totals are in it (ISO 4217).",
                        "USD")
    tender_currencies: list[str] = doc(
        "Currencies accepted in payment, pricing currency included. Each one other than the "
        "pricing currency needs an exchange rate (`fairpos rate set`).", factory=lambda: ["USD"])
    change_currency: str = doc(
        "Currency change is given in unless the volunteer chooses another; empty: the "
        "currency of the last cash payment, else the pricing currency.", "")
    max_change: list[str] = doc(
        "Largest cash change given without a second confirmation that names the amount, per "
        "currency as `CUR:AMOUNT`, e.g. `[\"USD:20\", \"VES:10000\"]`. The pricing currency "
        "defaults to 20; a currency not listed takes the pricing currency's limit at the "
        "day's rate.", factory=list)
    methods: list[str] = doc(
        "Payment methods offered besides the vouchers, in the order the till lists them: "
        "`cash` (always), `card`, `pago_movil`, `biopago`, `other`. A US market leaves out "
        "`pago_movil` and `biopago`.", factory=lambda: list(BUILTIN_METHODS))
    rate_max_age_days: int = doc(
        "An exchange rate in force for more than this many days is shown as old on the till, "
        "with how to update it (a sync with the ledger, or `fairpos rate set`). 0: never.", 3)
    denominations: list[str] = doc(
        "Bills and coins of each currency, to count the float and the close piece by piece "
        "(F3 at the till, `--float USD:3x20+1x5` on the command line), as `CUR: value value…`, "
        "e.g. `[\"USD: 100 50 20 10 5 1 0.25 0.10 0.05 0.01\"]`. Empty: amounts only.",
        factory=list)


@dataclass(frozen=True)
class UiSettings:
    locale: str = doc("Language of the till and of messages: `es` (default) or `en`.", "es")
    keep_draft: bool = doc(
        "Write the sale being rung up to the journal after every change, so that a power cut "
        "loses nothing that was on screen. Turn it off only to measure what it costs.", True)
    theme: str = doc("Colours: `high-contrast` (every text on its background at 4.5:1 or more, "
                     "also in a bare Linux console's 16 colours), `default` (Textual's dark "
                     "theme), or `auto`: high-contrast on a terminal of 16 colours or fewer "
                     "(TERM=linux), default on others.", "auto")


@dataclass(frozen=True)
class ShiftSettings:
    tolerance: str = doc(
        "Largest over/short at shift close, in the pricing currency, accepted without a "
        "written reason (e.g. `0.50`). `0` asks a reason for any difference.", "0")


@dataclass(frozen=True)
class PrinterSettings:
    url: str = doc("Receipt printer: `tcp://HOST:9100`, `serial:///dev/ttyUSB0?baudrate=19200`, "
                   "`usb://VID:PID`, `file:///dev/usb/lp0`, `cups://QUEUE` or `none`.", "none")
    profile: str = doc("python-escpos printer profile, e.g. `TM-T20II` or `default`.", "default")
    columns: int = doc("Characters per receipt line: 32 (58 mm paper), 42 or 48 (80 mm).", 48)
    codepage: str = doc("The one code page used for the whole receipt (CP858 covers Spanish).",
                        "CP858")
    footer: str = doc("Last line of every receipt, e.g. `NO FISCAL` where the law asks a "
                      "receipt to say it is not a fiscal document; empty: none.", "")
    backlog_minutes: int = doc(
        "When the till starts, receipts that have waited longer than this many minutes are "
        "not printed (they can be reprinted by sale id); 0 prints them all.", 0)


@dataclass(frozen=True)
class StationSettings:
    label_language: str = doc("What the weighing station's printer speaks: `escpos` (a receipt "
                              "printer), `zpl` (Zebra and clones) or `tspl` (TSC, Gprinter, "
                              "Xprinter in label mode).", "escpos")
    label_width_mm: int = doc("The label's width in millimetres.", 58)
    label_height_mm: int = doc("The label's height in millimetres.", 40)
    dpi: int = doc("The label printer's resolution: 203 or 300 dots per inch.", 203)
    media: str = doc("How the printer finds the next label: `gap` or `mark` (a black mark).",
                     "gap")
    darkness: int = doc("Print darkness, 0 to 15.", 8)
    speed: int = doc("Print speed in inches a second, 1 to 6.", 3)


@dataclass(frozen=True)
class ScannerSettings:
    url: str = doc("A serial barcode scanner: a device path or any pyserial URL "
                   "(`serial:///dev/ttyACM0`), or `none` (a keyboard-wedge scanner needs none).",
                   "none")
    baudrate: int = doc("Serial speed in bits per second.", 9600)
    suffix: str = doc("What the scanner sends after each code: `cr`, `lf`, `crlf`, `tab`, or "
                      "`none` (a code ends when the line falls quiet).", "cr")


@dataclass(frozen=True)
class ScaleSettings:
    url: str = doc("Scale: a serial device path or any pyserial URL, or `none`.", "none")
    protocol: str = doc("Scale protocol: `toledo8217`, `sics`, `cas`, `continuous` or `sma` "
                        "(its weights in kg, g, lb or oz).", "toledo8217")
    baudrate: int = doc("Serial speed in bits per second.", 9600)
    bytesize: int = doc("Data bits per character (7 or 8).", 7)
    parity: str = doc("Parity: `N` (none), `E` (even) or `O` (odd).", "E")
    stopbits: int = doc("Stop bits (1 or 2).", 1)
    stable_readings: int = doc(
        "How many stable readings of the same weight in a row before it is used for pricing.", 3)
    units: str = doc("The unit a scale whose frames do not name it weighs in (`magellan`): "
                     "`kg` (its weights in grams) or `lb` (in hundredths of a pound).", "kg")


@dataclass(frozen=True)
class DisplaySettings:
    url: str = doc("Customer pole display (2 lines of 20): a serial device path or any pyserial "
                   "URL, or `none`.", "none")
    protocol: str = doc("Its command set: `epson` (ESC/POS customer displays, DM-D) or "
                        "`cd5220`.", "epson")
    baudrate: int = doc("Serial speed in bits per second.", 9600)
    codepage: str = doc("The display's character table (CP437 or CP850 on most).", "CP437")


@dataclass(frozen=True)
class BarcodeSettings:
    layouts: list[str] = doc(
        "The market's own labels that carry a weight or a price (EAN-13 prefixes 20–29, "
        "UPC-A number system 2), one symbol per digit: the prefix digits, `P` the PLU, `W` "
        "grams or `A` the price in cents, `C` a check digit — e.g. `\"2 1 PPPP C WWWWW C\"` "
        "(a C before the weight or price is its verifier digit). Empty: none.",
        factory=list)


@dataclass(frozen=True)
class LedgerSettings:
    url: str = doc("Central ledger address, e.g. `https://ledger.example.org`; empty: no sync.",
                   "")
    token: str = doc("Bearer token this device was enrolled with at the ledger.", "")


@dataclass(frozen=True)
class TaxSettings:
    igtf_rate: str = doc(
        "IGTF (Venezuela's tax on large financial transactions), in percent, e.g. `3` for "
        "special taxpayers: charged on the part of the sale paid in cash in a currency other "
        "than `local_currency`; empty: no IGTF.", "")
    local_currency: str = doc("The country's own currency (payments in it carry no IGTF), "
                              "e.g. `VES`.", "")


@dataclass(frozen=True)
class SyncSettings:
    keep_days: int = doc(
        "Days the exact payload of each entry is kept after the ledger matched its business "
        "day: until then every `fairpos sync` closes that day again, and sends again whatever "
        "the ledger has lost (a backup restored, a failover to a replica that was behind).",
        14)


@dataclass(frozen=True)
class BackupSettings:
    folder: str = doc("Where `fairpos backup` writes this lane's journal copies (a folder in "
                      "the lane's own folder unless the path is absolute): a second disk is "
                      "safer.", "backups")
    keep: int = doc("How many of this lane's copies a folder keeps: the oldest go first.", 14)
    sticks: list[str] = doc(
        "Where removable drives are mounted (patterns): when a shift is closed and a drive is "
        "mounted at one of them, the till offers to copy the journal onto it.",
        factory=lambda: ["/media/*", "/media/*/*", "/run/media/*/*"])


@dataclass(frozen=True)
class Settings:
    fair: FairSettings = doc("Who and where this lane is.", factory=FairSettings)
    money: MoneySettings = doc("Currencies.", factory=MoneySettings)
    ui: UiSettings = doc("Language.", factory=UiSettings)
    shift: ShiftSettings = doc("Opening and closing shifts.", factory=ShiftSettings)
    printer: PrinterSettings = doc("Receipt printer.", factory=PrinterSettings)
    scale: ScaleSettings = doc("Weighing scale.", factory=ScaleSettings)
    scanner: ScannerSettings = doc("Serial barcode scanner.", factory=ScannerSettings)
    station: StationSettings = doc("A weighing station's label printer.",
                                   factory=StationSettings)
    display: DisplaySettings = doc("Customer display.", factory=DisplaySettings)
    barcodes: BarcodeSettings = doc("Labels with a weight or a price.",
                                    factory=BarcodeSettings)
    ledger: LedgerSettings = doc("Central ledger (sync).", factory=LedgerSettings)
    sync: SyncSettings = doc("Keeping what was sent.", factory=SyncSettings)
    backup: BackupSettings = doc("Copies of the journal.", factory=BackupSettings)
    tax: TaxSettings = doc("Taxes on payments.", factory=TaxSettings)
    vouchers: tuple[VoucherKind, ...] = doc(
        "Vouchers and market tokens, as `[[vouchers]]` tables with `code`, `name`, `currency`, "
        "`gives_change` (default false) and `eligible` (a product tag, or empty for any "
        "product). Not overridable from the environment.", factory=tuple)
    keys: dict[str, str] = doc(
        "Till key bindings by id, as a `[keys]` table, e.g. `pay = \"f2\"` or "
        "`class_1 = \"f3,ctrl+g\"`. `fairpos till --keys` lists the ids.", factory=dict)

    @property
    def barcode_layouts(self) -> tuple[Layout, ...]:
        """The market's label layouts, read (each was checked when the settings were)."""
        return tuple(parse_layout(text) for text in self.barcodes.layouts)

    @property
    def accepted_currencies(self) -> list[str]:
        """The pricing currency first, then the other tender currencies."""
        rest = [c for c in self.money.tender_currencies if c != self.money.currency]
        return [self.money.currency, *rest]

    @property
    def voucher_kinds(self) -> dict[str, VoucherKind]:
        return {v.code: v for v in self.vouchers}

    @property
    def offered_methods(self) -> list[str]:
        """Every way to pay at this lane: ``[money] methods``, then the vouchers."""
        return [*self.money.methods, *(v.code for v in self.vouchers)]

    @property
    def method_names(self) -> dict[str, str]:
        """The name of each voucher by its code (built-in methods name themselves)."""
        return {v.code: v.name for v in self.vouchers}

    @property
    def denominations(self) -> dict[str, tuple[int, ...]]:
        """``[money] denominations`` in minor units per currency, largest first."""
        return dict(read_denominations(item) for item in self.money.denominations)

    @property
    def igtf(self) -> Igtf | None:
        """``[tax] igtf_rate`` and the currency it spares, when the IGTF is charged."""
        if not self.tax.igtf_rate.strip():
            return None
        return Igtf(Fraction(Decimal(self.tax.igtf_rate.strip())) / 100,
                    self.tax.local_currency.strip().upper())

    @property
    def change_limits(self) -> dict[str, int]:
        """``[money] max_change`` in minor units per currency (the pricing currency always)."""
        limits = {self.money.currency: parse_amount("20", self.money.currency).minor}
        for item in self.money.max_change:
            code, _sep, amount = item.partition(":")
            currency = check_currency(code)
            limits[currency] = parse_amount(amount, currency).minor
        return limits

    @property
    def tolerance_minor(self) -> int:
        return parse_amount(self.shift.tolerance, self.money.currency).minor


SECTIONS = tuple(f.name for f in fields(Settings) if f.name not in ("vouchers", "keys"))


def _coerce(section: str, key: str, kind: Any, value: Any, from_env: bool) -> Any:
    name = f"[{section}] {key}"
    if kind is bool:
        if isinstance(value, bool):
            return value
        if from_env and isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise SettingsError(_("{name} must be true or false").format(name=name))
    if kind is int:
        if isinstance(value, bool):
            raise SettingsError(_("{name} must be a whole number").format(name=name))
        if isinstance(value, int):
            return value
        if from_env and isinstance(value, str) and value.strip().isdigit():
            return int(value)
        raise SettingsError(_("{name} must be a whole number").format(name=name))
    if kind == list[str]:
        if from_env and isinstance(value, str):
            value = [v for v in (p.strip() for p in value.split(",")) if v]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise SettingsError(_("{name} must be a list of texts").format(name=name))
        return list(value)
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool) and key in (
            "tolerance",):
        return str(value)
    if not isinstance(value, str):
        raise SettingsError(_("{name} must be a text").format(name=name))
    return value


def _section(cls: type[Any], section: str, data: Mapping[str, Any], env: Mapping[str, str]
             ) -> Any:
    hints = get_type_hints(cls)
    known = {f.name for f in fields(cls)}
    for key in data:
        if key not in known:
            raise SettingsError(_("unknown setting [{section}] {key}").format(
                section=section, key=key))
    values = {k: _coerce(section, k, hints[k], v, False) for k, v in data.items()}
    for key in known:
        env_name = f"{ENV_PREFIX}{section.upper()}__{key.upper()}"
        if env_name in env:
            values[key] = _coerce(section, key, hints[key], env[env_name], True)
    return cls(**values)


def _vouchers(items: Any, currency: str) -> tuple[VoucherKind, ...]:
    if not isinstance(items, list):
        raise SettingsError(_("[[vouchers]] must be a list of tables"))
    kinds = []
    for index, item in enumerate(items, start=1):
        where = f"[[vouchers]] #{index}"
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise SettingsError(_("{where} needs a code").format(where=where))
        unknown = set(item) - {"code", "name", "currency", "gives_change", "eligible"}
        if unknown:
            raise SettingsError(_("unknown setting {where} {key}").format(
                where=where, key=sorted(unknown)[0]))
        code = item["code"].strip().lower()
        if not code.isidentifier() or code in BUILTIN_METHODS:
            raise SettingsError(_("{where}: “{code}” cannot be a voucher code").format(
                where=where, code=code))
        gives_change = item.get("gives_change", False)
        if not isinstance(gives_change, bool):
            raise SettingsError(_("{where}: gives_change must be true or false").format(
                where=where))
        try:
            voucher_currency = check_currency(str(item.get("currency", currency)))
        except MoneyError as err:
            raise SettingsError(f"{where}: {err}") from None
        kinds.append(VoucherKind(code, str(item.get("name", code)), voucher_currency,
                                 gives_change, str(item.get("eligible", "")).lower() or None))
    if len({k.code for k in kinds}) != len(kinds):
        raise SettingsError(_("[[vouchers]]: two vouchers have the same code"))
    return tuple(kinds)


def parse_settings(text: str, env: Mapping[str, str] | None = None) -> Settings:
    """Settings from the text of a ``fairpos.toml`` plus ``FAIRPOS_*`` overrides."""
    env = env or {}
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        raise SettingsError(_("fairpos.toml is not valid TOML: {error}").format(error=err)) \
            from None
    unknown = set(data) - set(SECTIONS) - {"vouchers", "keys"}
    if unknown:
        raise SettingsError(_("unknown section [{section}]").format(section=sorted(unknown)[0]))
    hints = get_type_hints(Settings)
    sections = {}
    for name in SECTIONS:
        raw = data.get(name, {})
        if not isinstance(raw, dict):
            raise SettingsError(_("[{section}] must be a table").format(section=name))
        sections[name] = _section(hints[name], name, raw, env)
    settings = Settings(**sections)
    keys = data.get("keys", {})
    if not isinstance(keys, dict) or not all(isinstance(v, str) for v in keys.values()):
        raise SettingsError(_("[keys] must map binding ids to keys, e.g. pay = \"f2\""))
    settings = replace(settings, keys=dict(keys),
                       vouchers=_vouchers(data.get("vouchers", []), settings.money.currency))
    return validate(settings)


def validate(settings: Settings) -> Settings:
    """The settings checked section by section (the first thing wrong is said, in the words
    of the file), with their currencies and methods written one way."""
    currency, tender = _currencies(settings)
    methods = _methods(settings)
    _places(settings)
    _tax(settings, currency, tender)
    _devices(settings)
    change = settings.money.change_currency.strip().upper()
    if change and change not in [currency, *tender]:
        raise SettingsError(_("[money] change_currency must be one of the tender currencies"))
    return replace(settings, money=replace(settings.money, currency=currency,
                                           tender_currencies=tender, change_currency=change,
                                           methods=methods))


def _currencies(settings: Settings) -> tuple[str, list[str]]:
    """[money]'s currencies, tolerance, change limits and denominations."""
    try:
        currency = check_currency(settings.money.currency)
        tender = [check_currency(c) for c in settings.money.tender_currencies]
        parse_amount(settings.shift.tolerance, currency)
        for item in settings.money.max_change:
            code, sep, amount = item.partition(":")
            if not sep:
                raise SettingsError(_("[money] max_change: write CUR:AMOUNT, e.g. USD:20"))
            parse_amount(amount, check_currency(code))
        if settings.money.change_currency:
            check_currency(settings.money.change_currency)
        for item in settings.money.denominations:
            read_denominations(item)
    except MoneyError as err:
        raise SettingsError(str(err)) from None
    if not tender:
        raise SettingsError(_("[money] tender_currencies cannot be empty"))
    return currency, tender


def _methods(settings: Settings) -> list[str]:
    methods = [m.strip().lower() for m in settings.money.methods]
    unknown = [m for m in methods if m not in BUILTIN_METHODS]
    if unknown:
        raise SettingsError(_("[money] methods: “{method}” is not one of {known}").format(
            method=unknown[0], known=", ".join(BUILTIN_METHODS)))
    if CASH not in methods or len(set(methods)) != len(methods):
        raise SettingsError(_("[money] methods must list cash, and each method once"))
    return methods


def _places(settings: Settings) -> None:
    """[fair], [ui], [barcodes] and [backup]."""
    if not 1 <= settings.backup.keep <= 1000:
        raise SettingsError(_("[backup] keep must be from 1 to 1000"))
    if not settings.backup.folder.strip():
        raise SettingsError(_("[backup] folder cannot be empty"))
    if settings.fair.lane < 1:
        raise SettingsError(_("[fair] lane must be 1 or more"))
    if not settings.fair.name.strip():
        raise SettingsError(_("[fair] name cannot be empty"))
    if settings.ui.theme not in THEMES:
        raise SettingsError(_("[ui] theme must be one of: {choices}").format(
            choices=", ".join(THEMES)))
    if settings.ui.locale.split("_")[0].lower() not in LANGUAGES:
        raise SettingsError(_("[ui] locale must be one of: {choices}").format(
            choices=", ".join(LANGUAGES)))
    for layout in settings.barcodes.layouts:
        try:
            parse_layout(layout)
        except BarcodeError as err:
            raise SettingsError(f"[barcodes] layouts: {err}") from None


def _tax(settings: Settings, currency: str, tender: list[str]) -> None:
    if not settings.tax.igtf_rate.strip():
        return
    try:
        rate = Decimal(settings.tax.igtf_rate.strip())
    except ArithmeticError:
        rate = Decimal(-1)
    if not 0 < rate < 100 or -rate.as_tuple().exponent > 2:  # type: ignore[operator]
        raise SettingsError(_("[tax] igtf_rate must be a percent such as 3"))
    if settings.tax.local_currency.strip().upper() not in [currency, *tender]:
        raise SettingsError(_("[tax] local_currency must be one of the tender currencies "
                              "when igtf_rate is set"))


def _devices(settings: Settings) -> None:
    """[display], [printer], [scanner], [scale] units and [station]."""
    station = settings.station
    if station.label_language not in ("escpos", "zpl", "tspl"):
        raise SettingsError(_("[station] label_language must be escpos, zpl or tspl"))
    if station.dpi not in (203, 300) or station.media not in ("gap", "mark") or \
            not 0 <= station.darkness <= 15 or not 1 <= station.speed <= 6 or \
            not 20 <= station.label_width_mm <= 120 or not 15 <= station.label_height_mm <= 200:
        raise SettingsError(_("[station]: dpi 203 or 300, media gap or mark, darkness 0–15, "
                              "speed 1–6, a label 20–120 mm wide and 15–200 mm high"))
    if settings.scale.units not in ("kg", "lb"):
        raise SettingsError(_("[scale] units must be kg or lb"))
    if settings.scanner.suffix not in ("cr", "lf", "crlf", "tab", "none"):
        raise SettingsError(_("[scanner] suffix must be cr, lf, crlf, tab or none"))
    if settings.display.protocol not in ("epson", "cd5220"):
        raise SettingsError(_("[display] protocol must be epson or cd5220"))
    if settings.printer.columns not in (32, 42, 48):
        raise SettingsError(_("[printer] columns must be 32, 42 or 48"))


def read_denominations(text: str) -> tuple[str, tuple[int, ...]]:
    """``USD: 100 50 20 0.25`` → the currency and its bills and coins in minor units."""
    code, sep, values = text.partition(":")
    if not sep or not values.split():
        raise SettingsError(_("[money] denominations: write “CUR: value value…”, e.g. "
                              "“USD: 20 10 5 1 0.25”"))
    currency = check_currency(code.strip())
    found = sorted({parse_amount(v, currency, allow_zero=False).minor for v in values.split()},
                   reverse=True)
    return currency, tuple(found)


def _toml(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value) if isinstance(value, int) else f'"{value}"'


def describe() -> list[tuple[str, str, str]]:
    """(key, default, documentation) for every setting, for ``fairpos settings``."""
    rows = []
    hints = get_type_hints(Settings)
    for section in SECTIONS:
        instance = hints[section]()
        for f in fields(instance):
            rows.append((f"{section}.{f.name}", _toml(getattr(instance, f.name)),
                         f.metadata["doc"]))
    for name in ("vouchers", "keys"):
        rows.append((name, "", next(f for f in fields(Settings) if f.name == name)
                     .metadata["doc"]))
    return rows


def with_ledger(text: str, url: str, token: str) -> str:
    """``fairpos.toml`` with ``[ledger] url`` and ``token`` set, everything else as it was."""

    def quoted(value: str) -> str:
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.strip() == "[ledger]"), None)
    if start is None:
        lines += ["", "[ledger]"]
        start = len(lines) - 1
    end = next((i for i in range(start + 1, len(lines)) if lines[i].lstrip().startswith("[")),
               len(lines))
    section = [line for line in lines[start + 1:end]
               if line.split("=", 1)[0].strip() not in ("url", "token")]
    while section and not section[-1].strip():
        section.pop()
    new = [f"url = {quoted(url)}", f"token = {quoted(token)}"]
    rest = lines[end:]
    return "\n".join([*lines[:start + 1], *new, *section, *([""] if rest else []), *rest]) + "\n"
