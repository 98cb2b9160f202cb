"""The ``fairpos`` command: every job at the stall, scriptable.

Every command takes ``--data-dir`` (or ``FAIRPOS_HOME``) so several lanes, and tests, never share a
journal. Bad input ends with one clear line on stderr, a non-zero exit, and nothing changed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import click
from platformdirs import user_data_dir

from fairpos import i18n
from fairpos.cart import Cart, CartError
from fairpos.catalog import Catalog, CatalogError, parse_catalog
from fairpos.i18n import _, format_grams, format_money
from fairpos.money import Money, MoneyError, check_currency, parse_amount, parse_rate
from fairpos.printer.connection import PrinterError, Target, connect, parse_url, state
from fairpos.printer.layout import Receipt, sale_receipt, test_page, text_receipt
from fairpos.printer.render import RenderError, render
from fairpos.printer.spool import print_job, print_pending
from fairpos.quantity import QuantityError, parse_quantity
from fairpos.refusal import Refused, emit_json, refuse
from fairpos.reports import tender_label
from fairpos.sale import Sale
from fairpos.settings import Settings, SettingsError, describe, parse_settings, render_toml
from fairpos.shift import CountKey
from fairpos.store import DB_NAME, Store, StoreError
from fairpos.tenders import BUILTIN_METHODS, CASH, PaymentError, Tender, make_tender

if TYPE_CHECKING:  # pyserial is imported only by the commands that use the scale
    from fairpos.scale.port import Scale

SETTINGS_NAME = "fairpos.toml"
REFUSALS = (CartError, CatalogError, MoneyError, PaymentError, QuantityError, SettingsError,
            StoreError, i18n.LanguageError, PrinterError, RenderError)


@contextmanager
def refusing() -> Iterator[None]:
    """Turn the domain's refusals into one-line command errors."""
    try:
        yield
    except REFUSALS as err:
        raise Refused(str(err)) from None


@dataclass
class Lane:
    """What every command needs: where the data is, the settings, the journal."""

    data_dir: Path
    _settings: Settings | None = None
    _store: Store | None = None
    closers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            path = self.data_dir / SETTINGS_NAME
            if not path.exists():
                refuse(_("no {name} in {dir}; run “fairpos init” first").format(
                    name=SETTINGS_NAME, dir=self.data_dir))
            with refusing():
                self._settings = parse_settings(path.read_text(encoding="utf-8"), os.environ)
        return self._settings

    def create_store(self) -> Store:
        """Create the journal (minting the device id) and keep it open for this command."""
        with refusing():
            self._store = Store.create(self.data_dir / DB_NAME)
        self.closers.append(self._store.close)
        return self._store

    @property
    def printer(self) -> Target:
        with refusing():
            return parse_url(self.settings.printer.url)

    def receipt(self, sale: Sale, reprint: bool = False) -> bytes:
        """The receipt of ``sale`` as the configured printer's bytes."""
        settings = self.settings
        layout = sale_receipt(sale, fair=settings.fair.name, lane=settings.fair.lane,
                              language=i18n.active(), width=settings.printer.columns,
                              footer=settings.printer.footer, reprint=reprint)
        with refusing():
            return render(layout, profile=settings.printer.profile,
                          codepage=settings.printer.codepage)

    @property
    def store(self) -> Store:
        if self._store is None:
            self.settings  # noqa: B018 - a lane without settings has no journal to open
            with refusing():
                self._store = Store.open(self.data_dir / DB_NAME)
            self.closers.append(self._store.close)
        return self._store


class FairposGroup(click.Group):
    """Like click.Group, but a usage error is one line on stderr too, not a usage dump."""

    def main(self, args: Any = None, prog_name: str | None = None,
             complete_var: str | None = None, standalone_mode: bool = True,
             **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, False, **extra)
        except click.UsageError as err:
            where = err.ctx.command_path if err.ctx else "fairpos"
            click.echo(f"fairpos: {err.format_message()} ({where} --help)", err=True)
            sys.exit(err.exit_code)
        except click.ClickException as err:
            err.show()
            sys.exit(err.exit_code)
        except click.Abort:
            click.echo("fairpos: aborted", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def default_data_dir() -> Path:
    return Path(user_data_dir("fairpos", appauthor=False))


pass_lane = click.make_pass_decorator(Lane)


@click.group(cls=FairposGroup, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path),
              envvar="FAIRPOS_HOME", default=default_data_dir, show_default="per-user data folder",
              help="Folder with this lane's fairpos.toml and journal (env: FAIRPOS_HOME).")
@click.option("--lang", type=click.Choice(i18n.LANGUAGES), default=None,
              help="Language of messages and reports (default: [ui] locale, else es).")
@click.version_option(package_name="fairpos")
@click.pass_context
def main(ctx: click.Context, data_dir: Path, lang: str | None) -> None:
    """fairpos: the point of sale for family food fairs.

    With no command, opens the till. Sales are written to a local journal first; nothing
    waits on the network.
    """
    lane = Lane(data_dir)
    ctx.obj = lane
    ctx.call_on_close(lambda: [close() for close in lane.closers])
    language = lang or os.environ.get("FAIRPOS_UI__LOCALE")
    if language is None and (data_dir / SETTINGS_NAME).exists():
        # A broken fairpos.toml is reported by the command that needs it, not here.
        with suppress(Refused):
            language = lane.settings.ui.locale
    with refusing():
        i18n.use(language or i18n.DEFAULT_LANGUAGE)
    if ctx.invoked_subcommand is None:
        ctx.invoke(till)


# -- init, settings, demo -------------------------------------------------------------------


def fixtures_dir() -> Path:
    """The fixtures shipped with the package (or beside it, in a source checkout)."""
    packaged = Path(str(resources.files("fairpos") / "fixtures"))
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parent.parent / "fixtures"


def _import_catalog(lane: Lane, path: Path) -> tuple[int, Catalog]:
    try:
        raw = path.read_bytes()
    except OSError as err:
        refuse(_("cannot read {path}: {error}").format(path=path, error=err.strerror))
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        refuse(_("{path} is not UTF-8 text").format(path=path))
    fmt: Literal["csv", "json"] = "json" if path.suffix.lower() == ".json" else "csv"
    currency = lane.settings.money.currency
    with refusing():
        draft = parse_catalog(text, fmt, currency)
        version = lane.store.import_catalog(draft, currency, path.name,
                                            hashlib.sha256(raw).hexdigest())
        return version, lane.store.catalog()


@main.command()
@click.option("--fair", "fair", required=True, help="Name of the fair or market.")
@click.option("--lane", "lane_number", type=click.IntRange(min=1), required=True,
              help="Number of this checkout lane.")
@click.option("--currency", default="USD", show_default=True,
              help="Pricing currency (ISO 4217).")
@click.option("--tender-currency", "tender_currencies", multiple=True, metavar="CUR",
              help="Another currency accepted in payment (repeatable), e.g. VES.")
@click.option("--catalog", "catalog_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Catalog file (CSV or JSON) to import right away.")
@pass_lane
def init(lane: Lane, fair: str, lane_number: int, currency: str,
         tender_currencies: tuple[str, ...], catalog_file: Path | None) -> None:
    """Set up a lane: write fairpos.toml and create the journal (mints the device id)."""
    settings_path = lane.data_dir / SETTINGS_NAME
    if settings_path.exists():
        refuse(_("{dir} is already set up (it has a {name})").format(dir=lane.data_dir,
                                                                     name=SETTINGS_NAME))
    with refusing():
        code = check_currency(currency)
        tender = [code, *[check_currency(c) for c in tender_currencies if c.upper() != code]]
        text = render_toml(fair, lane_number, code, tender)
        parse_settings(text)
    if catalog_file is not None and not catalog_file.is_file():
        refuse(_("cannot read {path}").format(path=catalog_file))
    lane.data_dir.mkdir(parents=True, exist_ok=True)
    settings_path.write_text(text, encoding="utf-8")
    lane.create_store()
    click.echo(_("Lane {lane} of {fair} is ready in {dir} (device {device}).").format(
        lane=lane_number, fair=fair, dir=lane.data_dir, device=lane.store.device_id))
    if catalog_file is not None:
        version, catalog = _import_catalog(lane, catalog_file)
        click.echo(_("Catalog version {version}: {products} products, {classes} price classes.")
                   .format(version=version, products=len(catalog.products),
                           classes=len(catalog.price_classes)))


@main.command("settings")
def show_settings() -> None:
    """List every setting of fairpos.toml with its default and meaning."""
    for key, default, text in describe():
        click.echo(f"{key} = {default}" if default else key)
        click.echo(textwrap.fill(text, width=88, initial_indent="    ",
                                 subsequent_indent="    "))


# -- catalog --------------------------------------------------------------------------------


@main.group()
def catalog() -> None:
    """Import and list the catalog (products and price classes)."""


@catalog.command("import")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@pass_lane
def catalog_import(lane: Lane, file: Path) -> None:
    """Import FILE (CSV or JSON) as a new catalog version; a bad file imports nothing.

    Columns: type (class|product), code, barcode, name_es, name_en, unit (kg|each), price,
    price_class, tags. See the README for an example.
    """
    version, cat = _import_catalog(lane, file)
    click.echo(_("Catalog version {version}: {products} products, {classes} price classes.")
               .format(version=version, products=len(cat.products),
                       classes=len(cat.price_classes)))


def catalog_rows(cat: Catalog) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [
        {"kind": "class", "plu": c.code, "name": c.name_es, "name_en": c.name_en, "unit": "kg",
         "price": Money(c.price_per_kg, cat.currency).plain(), "price_class": c.code,
         "barcode": None, "tags": []}
        for c in cat.price_classes.values()
    ]
    rows += [
        {"kind": "product", "plu": p.plu, "name": p.name_es, "name_en": p.name_en,
         "unit": p.unit, "price": Money(cat.unit_price(p), cat.currency).plain(),
         "price_class": p.price_class, "barcode": p.barcode, "tags": sorted(p.tags)}
        for p in cat.products.values()
    ]
    return rows


def print_catalog(cat: Catalog, language: str, limit: int | None = None) -> None:
    click.echo(_("Catalog version {version} ({currency})").format(version=cat.version,
                                                                  currency=cat.currency))
    rows = catalog_rows(cat)
    shown = rows if limit is None else rows[:limit]
    for row in shown:
        unit = "/kg" if row["unit"] == "kg" else ""
        name = row["name_en"] if language == "en" and row["name_en"] else row["name"]
        price = format_money(parse_amount(row["price"], cat.currency), language) + unit
        klass = f"[{row['price_class']}]" if row["price_class"] and row["kind"] == "product" \
            else ""
        click.echo(f"{row['plu']:>8}  {name[:34]:<34} {price:>18} {klass}")
    if len(rows) > len(shown):
        click.echo(_("… and {more} more (fairpos catalog list)").format(
            more=len(rows) - len(shown)))


@catalog.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of objects.")
@pass_lane
def catalog_list(lane: Lane, as_json: bool) -> None:
    """List price classes and products of the current catalog version."""
    with refusing():
        cat = lane.store.catalog()
    if as_json:
        emit_json(catalog_rows(cat))
    else:
        print_catalog(cat, i18n.active())


# -- rates ----------------------------------------------------------------------------------


@main.group()
def rate() -> None:
    """Exchange rates from the pricing currency to tender currencies."""


@rate.command("set")
@click.argument("currency")
@click.argument("amount")
@click.option("--effective", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="First business date it applies to (default: today).")
@click.option("--reason", default="", help="Why it was entered here (e.g. 'BCV 26/02').")
@pass_lane
def rate_set(lane: Lane, currency: str, amount: str, effective: Any, reason: str) -> None:
    """Set how many CURRENCY one unit of the pricing currency buys, e.g. `rate set VES 414.04`."""
    with refusing():
        quote = check_currency(currency)
        base = lane.settings.money.currency
        if quote == base:
            refuse(_("{currency} is the pricing currency; its rate is always 1").format(
                currency=quote))
        if quote not in lane.settings.money.tender_currencies:
            refuse(_("{currency} is not a tender currency; add it to [money] "
                     "tender_currencies").format(currency=quote))
        value = parse_rate(amount)
        day = effective.date() if effective else lane.store.clock().date()
        new = lane.store.set_rate(base, quote, value, day, reason)
    click.echo(_("1 {base} = {value} {quote} from {day} (version {version}).").format(
        base=new.base, value=new.value, quote=new.quote, day=new.effective,
        version=new.version))


# -- shifts ---------------------------------------------------------------------------------


def parse_money_arg(text: str, lane: Lane) -> Money:
    """``CUR:AMOUNT`` (an amount in an accepted currency)."""
    currency, sep, amount = text.partition(":")
    if not sep:
        refuse(_("“{text}”: write CUR:AMOUNT, e.g. USD:20.00").format(text=text))
    with refusing():
        code = check_currency(currency)
        if code not in lane.settings.accepted_currencies:
            refuse(_("{currency} is not accepted here (accepted: {accepted})").format(
                currency=code, accepted=", ".join(lane.settings.accepted_currencies)))
        return parse_amount(amount, code)


@main.group()
def shift() -> None:
    """Open and close a volunteer's shift at this lane."""


@shift.command("open")
@click.option("--volunteer", required=True, help="Name of the volunteer at the lane.")
@click.option("--float", "floats", multiple=True, metavar="CUR:AMOUNT",
              help="Opening cash counted in the drawer, per currency (repeatable).")
@click.option("--training", is_flag=True,
              help="Training shift: its sales are marked and kept out of real totals.")
@pass_lane
def shift_open(lane: Lane, volunteer: str, floats: tuple[str, ...], training: bool) -> None:
    """Open a shift with the float counted per currency."""
    amounts: dict[str, int] = {}
    for text in floats:
        money = parse_money_arg(text, lane)
        if money.currency in amounts:
            refuse(_("{currency} is given twice").format(currency=money.currency))
        amounts[money.currency] = money.minor
    with refusing():
        opened = lane.store.open_shift(volunteer, amounts, training)
    label = _("Training shift") if training else _("Shift")
    click.echo(_("{label} #{id} open for {volunteer}.").format(label=label, id=opened.id,
                                                               volunteer=opened.volunteer))


@dataclass(frozen=True)
class PaymentArg:
    method: str
    amount: Money
    reference: dict[str, str]
    verified: bool


def split_payment_arg(text: str, lane: Lane) -> PaymentArg:
    """``METHOD[:CUR]:AMOUNT[,ref=...,bank=...,phone=...,lot=...,unverified]``."""
    spec, *options = text.split(",")
    parts = spec.split(":")
    if len(parts) not in (2, 3) or not all(parts):
        refuse(_("“{text}”: write METHOD[:CUR]:AMOUNT, e.g. cash:USD:20 or "
                 "pago_movil:VES:4140.40,ref=123456").format(text=text))
    method = parts[0].lower()
    vouchers = lane.settings.voucher_kinds
    reference: dict[str, str] = {}
    verified = True
    for option in options:
        key, sep, value = option.partition("=")
        if option == "unverified":
            verified = False
        elif not sep or not key:
            refuse(_("“{option}” is not key=value (write decimals with a dot)").format(
                option=option))
        else:
            reference[key.strip()] = value.strip()
    with refusing():
        if len(parts) == 3:
            currency = check_currency(parts[1])
        elif method in vouchers:
            currency = vouchers[method].currency
        else:
            currency = lane.settings.money.currency
        return PaymentArg(method, parse_amount(parts[-1], currency), reference, verified)


def parse_tender_arg(text: str, lane: Lane) -> Tender:
    arg = split_payment_arg(text, lane)
    with refusing():
        return make_tender(arg.method, arg.amount, arg.reference, verified=arg.verified,
                           vouchers=lane.settings.voucher_kinds,
                           accepted=lane.settings.accepted_currencies)


def parse_count_arg(text: str, lane: Lane) -> tuple[CountKey, int]:
    """``CUR:AMOUNT`` for cash, ``METHOD[:CUR]:AMOUNT`` for any other tender."""
    known = (*BUILTIN_METHODS, *lane.settings.voucher_kinds)
    head = text.split(":", 1)[0]
    if ":" not in text:
        refuse(_("“{text}”: write CUR:AMOUNT or METHOD:CUR:AMOUNT").format(text=text))
    if head.lower() not in known:
        money = parse_money_arg(text, lane)
        return (CASH, money.currency), money.minor
    arg = split_payment_arg(text, lane)
    return (arg.method, arg.amount.currency), arg.amount.minor


@shift.command("close")
@click.option("--count", "counts", multiple=True, metavar="[METHOD:]CUR:AMOUNT",
              help="What was counted: cash per currency (USD:120.50), other tenders as "
                   "METHOD:CUR:AMOUNT (card:VES:3000). Repeatable; what is not given counts 0.")
@click.option("--reason", default=None,
              help="Why the count differs from what was expected (needed past the tolerance).")
@click.option("--json", "as_json", is_flag=True, help="Print the Z report as JSON.")
@pass_lane
def shift_close(lane: Lane, counts: tuple[str, ...], reason: str | None, as_json: bool) -> None:
    """Close the open shift with a blind count; prints the Z report."""
    counted: dict[CountKey, int] = {}
    for text in counts:
        key, amount = parse_count_arg(text, lane)
        if key in counted:
            refuse(_("{method} {currency} is counted twice").format(method=key[0],
                                                                     currency=key[1]))
        counted[key] = amount
    with refusing():
        result = lane.store.close_shift(counted, lane.settings, reason)
    if as_json:
        emit_json(result.report.to_json())
    else:
        click.echo("\n".join(result.report.render(i18n.active())))
    if lane.printer.configured:  # the Z report goes on paper too; the shift is closed anyway
        width = lane.settings.printer.columns
        try:
            print_now(lane, "report", text_receipt("Z", result.report.render(i18n.active(),
                                                                             width), width))
        except Refused as err:
            click.echo("fairpos: " + _("the Z report was not printed: {reason}; it stays "
                                       "queued (fairpos printer retry)").format(
                reason=err.message), err=True)


# -- selling --------------------------------------------------------------------------------


def build_cart(lane: Lane, lines: tuple[str, ...]) -> Cart:
    with refusing():
        cat = lane.store.catalog()
        cart = Cart(cat.currency)
        for text in lines:
            code, sep, qty = text.partition("=")
            if not code.strip():
                refuse(_("“{text}”: write PLU=QUANTITY, e.g. 101=1.250kg").format(text=text))
            cart.add(cat, code, parse_quantity(qty) if sep else None)
    return cart


def print_sale(sale: Sale, language: str) -> None:
    title = {"sale": _("Sale {id}"), "void": _("Void {id} of {ref}"),
             "refund": _("Refund {id} of {ref}")}[sale.kind]
    click.echo(title.format(id=sale.id, ref=sale.ref_id))
    if sale.training:
        click.echo(_("*** TRAINING ***"))
    for n, line in enumerate(sale.lines, start=1):
        if line.voided:
            continue
        qty = format_grams(line.grams, language) if line.grams is not None else f"×{line.count}"
        amount = format_money(Money(line.amount, sale.total.currency), language)
        click.echo(f"  {n:>2} {line.name(language)[:28]:<28} {qty:>12} {amount:>16}")
    for total in sale.totals().values():
        click.echo("  " + _("TOTAL {amount}").format(amount=format_money(total, language)))
    for tender in sale.tenders:
        click.echo(f"  {tender_label(tender)}: {format_money(tender.amount, language)}")
    if sale.change.minor:
        click.echo("  " + _("Change {amount}").format(
            amount=format_money(sale.change, language)))


@main.command()
@click.option("--line", "lines", multiple=True, metavar="PLU=QTY",
              help="A line: PLU, barcode or price class, and a weight (1.250kg, 850g) or a "
                   "count (3). Counted items may leave out =QTY for one. Repeatable.")
@click.option("--pay", "pays", multiple=True, metavar="METHOD[:CUR]:AMOUNT",
              help="A payment: cash, card, pago_movil, biopago, other or a voucher code, e.g. "
                   "cash:USD:20, pago_movil:VES:4140.40,ref=123456,bank=0102,phone=04141234567 "
                   "(add ,unverified for a payment to check later). Repeatable.")
@click.option("--change-currency", default=None, metavar="CUR",
              help="Currency the change is given in (default: the pricing currency).")
@click.option("--hold", is_flag=True, help="Hold the sale instead of paying it.")
@click.option("--recall", type=int, default=None, metavar="ID",
              help="Finish held sale ID (its lines come first).")
@click.option("--no-print", is_flag=True, help="No receipt for this sale.")
@click.option("--json", "as_json", is_flag=True, help="Print the confirmed sale as JSON.")
@pass_lane
def sell(lane: Lane, lines: tuple[str, ...], pays: tuple[str, ...], change_currency: str | None,
         hold: bool, recall: int | None, no_print: bool, as_json: bool) -> None:
    """Ring up and confirm one sale; it is in the journal before this command returns."""
    cart = build_cart(lane, lines)
    if hold:
        if pays or recall is not None:
            refuse(_("--hold takes lines only"))
        with refusing():
            held_id = lane.store.hold(cart)
        click.echo(json.dumps({"held": held_id}) if as_json else
                   _("Sale held as #{id}.").format(id=held_id))
        return
    if not pays:
        refuse(_("no payment given (--pay METHOD:CUR:AMOUNT)"))
    tenders = [parse_tender_arg(text, lane) for text in pays]
    with refusing():
        change = check_currency(change_currency) if change_currency else cart.currency
        if change not in lane.settings.accepted_currencies:
            refuse(_("{currency} is not accepted here (accepted: {accepted})").format(
                currency=change, accepted=", ".join(lane.settings.accepted_currencies)))
        if recall is not None:
            held = [h.cart for h in lane.store.held() if h.id == recall]
            if not held:
                refuse(_("there is no held sale #{id}").format(id=recall))
            cart = Cart(cart.currency, [*held[0].lines, *cart.lines])
        printing = lane.printer.configured and not no_print
        sale = lane.store.confirm_sale(cart, tenders, change, lane.settings, held_id=recall,
                                       receipt=lane.receipt if printing else None)
    if as_json:
        emit_json(sale.to_json())
    else:
        print_sale(sale, i18n.active())
    if printing:
        print_queued(lane, sale.id)


def print_queued(lane: Lane, sale_id: str) -> None:
    """Print the pending jobs of one sale now; a failure is said on stderr, the job stays."""
    for job in lane.store.print_jobs(sale_id=sale_id):
        try:
            print_job(lane.store, lane.printer, job)
        except PrinterError as err:
            click.echo("fairpos: " + _("the receipt of {id} was not printed: {reason}; it stays "
                                       "queued (fairpos printer retry)").format(
                id=sale_id, reason=err), err=True)
            return


@main.group()
def printer() -> None:
    """The receipt printer: its state, a test page, the queue of receipts."""


@printer.command("status")
@pass_lane
def printer_status(lane: Lane) -> None:
    """Ask the printer how it is, and count the receipts waiting."""
    target = lane.printer
    if not target.configured:
        click.echo(_("No printer is configured ([printer] url)."))
    else:
        with refusing():
            link = connect(target)
            try:
                found = state(link)
            finally:
                link.close()
        click.echo(_("Printer {url}: {state}").format(url=lane.settings.printer.url,
                                                       state=found))
    click.echo(_("Receipts waiting: {count}").format(count=len(lane.store.print_jobs())))


@printer.command("test")
@pass_lane
def printer_test(lane: Lane) -> None:
    """Print a self-test page with the market's accented words."""
    if not lane.printer.configured:
        refuse(_("no printer is configured"))
    settings = lane.settings.printer
    page = test_page(lane.settings.fair.name, settings.codepage, settings.profile,
                     settings.columns)
    print_now(lane, "test", page)
    click.echo(_("Test page printed."))


def print_now(lane: Lane, kind: str, receipt: Receipt) -> None:
    """Queue a page (a test page, a report) and print it; a failure leaves it queued."""
    settings = lane.settings.printer
    with refusing():
        data = render(receipt, profile=settings.profile, codepage=settings.codepage)
        job = lane.store.queue_print(kind, data)
        print_job(lane.store, lane.printer, next(j for j in lane.store.print_jobs()
                                                 if j.id == job))


@printer.command("retry")
@pass_lane
def printer_retry(lane: Lane) -> None:
    """Print every receipt still waiting, oldest first."""
    if not lane.printer.configured:
        refuse(_("no printer is configured"))
    result = print_pending(lane.store, lane.printer)
    click.echo(_("Printed {printed}; {pending} still waiting.").format(
        printed=result.printed, pending=result.pending))
    if result.failed:
        refuse(result.failed)


@main.command()
@click.argument("sale_id")
@pass_lane
def reprint(lane: Lane, sale_id: str) -> None:
    """Print a sale's receipt again, marked REPRINT."""
    if not lane.printer.configured:
        refuse(_("no printer is configured"))
    with refusing():
        sale = lane.store.sale(sale_id)
        lane.store.queue_print("reprint", lane.receipt(sale, reprint=True), sale.id)
        for job in lane.store.print_jobs(sale_id=sale.id):
            if job.kind == "reprint":
                print_job(lane.store, lane.printer, job)
    click.echo(_("Receipt of {id} printed again.").format(id=sale.id))


@main.group()
def scale() -> None:
    """The weighing scale on its serial line."""


@scale.command("read")
@click.option("--watch", is_flag=True, help="Keep reading until Ctrl+C.")
@click.option("--count", type=click.IntRange(min=1), default=1, show_default=True,
              help="How many readings (with --watch: unlimited).")
@pass_lane
def scale_read(lane: Lane, watch: bool, count: int) -> None:
    """Print readings: weight, state, and when a weight is stable enough to price."""
    from fairpos.scale.frames import StableWeight

    device = open_scale(lane)
    rule = StableWeight(lane.settings.scale.stable_readings)
    done = 0
    try:
        while watch or done < count:
            reading = device.read()
            accepted = rule.feed(reading)
            weight = format_grams(reading.grams, i18n.active()) if reading.grams is not None \
                else "-"
            mark = "  " + _("accepted") if accepted is not None else ""
            click.echo(f"{reading.state:<12} {weight:>12}{mark}")
            done += 1
    except KeyboardInterrupt:
        pass
    finally:
        device.close()


def open_scale(lane: Lane) -> Scale:
    from fairpos.scale.port import Scale, ScaleError

    settings = lane.settings.scale
    if settings.url in ("", "none"):
        refuse(_("no scale is configured ([scale] url)"))
    try:
        return Scale(settings)
    except ScaleError as err:
        refuse(str(err))


def scale_command(lane: Lane, which: int, done: str) -> None:
    device = open_scale(lane)
    try:
        if not device.command(which):
            refuse(_("the scale is not connected ({url})").format(url=lane.settings.scale.url))
    finally:
        device.close()
    click.echo(done)


@scale.command("zero")
@pass_lane
def scale_zero(lane: Lane) -> None:
    """Set the scale to zero (nothing on it)."""
    scale_command(lane, 0, _("Zero sent to the scale."))


@scale.command("tare")
@pass_lane
def scale_tare(lane: Lane) -> None:
    """Take what is on the scale (a crate, a bag) as the tare."""
    scale_command(lane, 1, _("Tare sent to the scale."))


@scale.command("clear-tare")
@pass_lane
def scale_clear_tare(lane: Lane) -> None:
    """Clear the tare."""
    scale_command(lane, 2, _("Clear tare sent to the scale."))


@main.group()
def held() -> None:
    """Sales put on hold (sell --hold) and not finished yet."""


@held.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list.")
@pass_lane
def held_list(lane: Lane, as_json: bool) -> None:
    """List held sales, oldest first."""
    with refusing():
        rows = lane.store.held()
    if as_json:
        emit_json([{"id": h.id, "held_at": h.held_at, "total": h.cart.total.plain(),
                    "lines": len(h.cart.active)} for h in rows])
        return
    for h in rows:
        click.echo(f"#{h.id}  {h.held_at[:16].replace('T', ' ')}  "
                   f"{format_money(h.cart.total, i18n.active())}  "
                   + _("{count} lines").format(count=len(h.cart.active)))


@held.command("drop")
@click.argument("held_id", type=int)
@click.option("--reason", required=True, help="Why the held sale is given up.")
@pass_lane
def held_drop(lane: Lane, held_id: int, reason: str) -> None:
    """Give up a held sale (the customer left); it is kept in the audit log."""
    with refusing():
        lane.store.drop_held(held_id, reason)
    click.echo(_("Held sale #{id} dropped.").format(id=held_id))


@main.command()
@click.argument("sale_id")
@click.option("--reason", required=True, help="Why the sale is voided.")
@click.option("--json", "as_json", is_flag=True, help="Print the void entry as JSON.")
@pass_lane
def void(lane: Lane, sale_id: str, reason: str, as_json: bool) -> None:
    """Void a whole sale: a new entry that gives back every payment."""
    with refusing():
        entry = lane.store.void_sale(sale_id, reason)
    if as_json:
        emit_json(entry.to_json())
    else:
        print_sale(entry, i18n.active())


@main.command()
@click.argument("sale_id")
@click.option("--line", "line_numbers", multiple=True, type=click.IntRange(min=1), metavar="N",
              help="Line number to refund (repeatable; default: every line not yet refunded).")
@click.option("--reason", required=True, help="Why the money is given back.")
@click.option("--currency", default=None, metavar="CUR",
              help="Currency of the cash given back (default: the pricing currency).")
@click.option("--json", "as_json", is_flag=True, help="Print the refund entry as JSON.")
@pass_lane
def refund(lane: Lane, sale_id: str, line_numbers: tuple[int, ...], reason: str,
           currency: str | None, as_json: bool) -> None:
    """Refund some lines of a sale in cash: a new entry that references it."""
    with refusing():
        code = check_currency(currency) if currency else lane.settings.money.currency
        if code not in lane.settings.accepted_currencies:
            refuse(_("{currency} is not accepted here (accepted: {accepted})").format(
                currency=code, accepted=", ".join(lane.settings.accepted_currencies)))
        entry = lane.store.refund(sale_id, line_numbers, reason, code, lane.settings)
    if as_json:
        emit_json(entry.to_json())
    else:
        print_sale(entry, i18n.active())


# -- reports --------------------------------------------------------------------------------


@main.command()
@click.option("--shift", "shift_id", type=int, default=None,
              help="Report on this shift (X if open, Z if closed).")
@click.option("--date", "day", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Report on every shift of this business date (YYYY-MM-DD).")
@click.option("--training", is_flag=True, help="With --date: the training sales instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--print", "on_paper", is_flag=True, help="Also print it on the receipt printer.")
@pass_lane
def report(lane: Lane, shift_id: int | None, day: Any, training: bool, as_json: bool,
           on_paper: bool) -> None:
    """X report of the open shift (default), Z report of a closed one, or a day report."""
    if shift_id is not None and day is not None:
        refuse(_("give --shift or --date, not both"))
    if on_paper and not lane.printer.configured:
        refuse(_("no printer is configured"))
    with refusing():
        store = lane.store
        if day is not None:
            result = store.report(lane.settings, day=day.date().isoformat(), training=training)
        else:
            if shift_id is None:
                latest = store.latest_shift()
                if latest is None:
                    refuse(_("there is no shift yet"))
                shift_id = latest.id
            result = store.report(lane.settings, shift_id=shift_id)
    if as_json:
        emit_json(result.to_json())
    else:
        click.echo("\n".join(result.render(i18n.active())))
    if on_paper:
        width = lane.settings.printer.columns
        print_now(lane, "report", text_receipt(result.kind, result.render(i18n.active(),
                                                                          width), width))


# -- demo -----------------------------------------------------------------------------------

DEMO_SALES = (
    (("G=2.350kg", "M=1.100kg"), ("cash:USD:5",), "USD"),
    (("101=1.250kg", "305=2", "G=0.800kg"), ("cash:VES:2100",), "VES"),
    (("310", "311=3", "M=3.000kg"), ("pago_movil:VES:3000,ref=004512,bank=0102",
                                     "cash:USD:5"), "USD"),
    (("120=0.750kg", "G=4.200kg"), ("card:VES:2459.40,ref=778812,lot=12",), "VES"),
)


# -- sync with the central ledger --------------------------------------------------------


@main.command("connect")
@click.argument("url")
@click.option("--token", required=True, help="The token `fairpos ledger enrol` printed.")
@pass_lane
def connect_ledger(lane: Lane, url: str, token: str) -> None:
    """Check URL and TOKEN against the ledger, then keep them in this lane's settings."""
    from fairpos.settings import with_ledger
    from fairpos.sync.relay import LedgerClient, SyncError

    path = lane.data_dir / SETTINGS_NAME
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    lane.settings  # noqa: B018 - refuse here if the lane has no settings
    if not url.startswith(("http://", "https://")):
        refuse(_("the ledger's address starts with http:// or https://"))
    with LedgerClient(url, token.strip(), timeout=httpx_timeout(10)) as client:
        try:
            client.json("GET", "/v1/health")
            where = client.claim(lane.store.device_id)
        except SyncError as err:
            refuse(_("not connected, settings unchanged: {reason}").format(reason=err))
    new = with_ledger(old, url.rstrip("/"), token.strip())
    with refusing():
        parse_settings(new)
    tmp = path.with_name(path.name + ".new")
    tmp.write_text(new, encoding="utf-8")
    tmp.replace(path)
    click.echo(_("Connected: device {device} is {fair}, lane {lane}, at {url}.").format(
        device=where.get("device_id"), fair=where.get("fair"), lane=where.get("lane"), url=url))


def httpx_timeout(seconds: float) -> Any:
    import httpx

    return httpx.Timeout(seconds, connect=min(seconds, 10.0))


def ledger_client(lane: Lane) -> Any:
    from fairpos.sync.relay import LedgerClient

    ledger = lane.settings.ledger
    if not ledger.url or not ledger.token:
        refuse(_("this lane is not connected to a ledger (fairpos connect URL --token TOKEN)"))
    return LedgerClient(ledger.url, ledger.token)


@main.command()
@click.option("--date", "day", default=None,
              help="Business date to close (YYYY-MM-DD); default: the open shift's, else the "
                   "newest with entries.")
@click.option("--tries", type=click.IntRange(min=1), default=6, show_default=True,
              help="Sends to try while the outcome is unknown (timeouts, resets), with "
                   "growing pauses between them.")
@pass_lane
def sync(lane: Lane, day: str | None, tries: int) -> None:
    """End of day: push every entry, pull a newer catalog and rates, close the day with the
    ledger and print the reconciliation.

    Exit status: 0 the day matched; 2 pending (entries not on the ledger yet: run again);
    3 mismatch (the figures differ: call the treasurer); 1 the ledger refused or is
    unreachable.
    """
    import time

    from fairpos.sync.relay import Backoff, SyncError, day_figures, pull, push

    store = lane.store
    business_date = day or _closing_date(store)
    if day is not None:
        try:
            business_date = date.fromisoformat(day).isoformat()
        except ValueError:
            refuse(_("“{day}” is not a date (YYYY-MM-DD)").format(day=day))
    backoff = Backoff(base=0.5, cap=8.0)
    with ledger_client(lane) as client:
        for attempt in range(tries):
            report = push(store, client)
            click.echo(_("Sent {sent} entries: {accepted} new, {duplicate} already there.")
                       .format(sent=report.sent, accepted=report.accepted,
                               duplicate=report.duplicate))
            for entry_id, reason in report.quarantined:
                click.echo(_("Quarantined {id}: {reason}").format(id=entry_id, reason=reason))
            if report.ok or (report.error is not None and not report.error.unknown):
                break
            if attempt + 1 < tries:
                click.echo(_("Outcome unknown ({error}); trying again.").format(
                    error=report.error), err=True)
                time.sleep(backoff.failed())
        if report.error is not None:
            click.echo(f"fairpos: {report.error}", err=True)
            sys.exit(2 if report.error.unknown else 1)
        try:
            for what in pull(store, client, lane.settings.money.currency):
                click.echo(_("Applied {what} from the ledger.").format(what=what))
            result = client.day_close(store.device_id, day_figures(store, business_date))
            if result.get("result") == "pending" and store.outbox_resend(result["missing"]):
                # the ledger lost entries it had acknowledged: send them again, close again
                again = push(store, client)
                click.echo(_("Sent again {count} entries the ledger lacked.").format(
                    count=again.sent))
                result = client.day_close(store.device_id, day_figures(store, business_date))
        except SyncError as err:
            click.echo(f"fairpos: {err}", err=True)
            sys.exit(2 if err.unknown else 1)
    quarantined = store.outbox_summary().quarantined
    _print_day_close(business_date, result, quarantined)
    sys.exit({"match": 0, "pending": 2}.get(result.get("result", ""), 3))


def _closing_date(store: Store) -> str:
    shift = store.current_shift()
    if shift is not None:
        return shift.business_date
    return store.latest_business_date() or store.clock().date().isoformat()


def _print_day_close(business_date: str, result: dict[str, Any], quarantined: int) -> None:
    mine = result.get("stall", {})
    totals = ", ".join(format_money(Money(v, c), i18n.active())
                       for c, v in mine.get("totals", {}).items()) or "0"
    verdict = result.get("result")
    if verdict == "match":
        click.echo(_("Day {day}: matched — {count} entries, {totals}.").format(
            day=business_date, count=mine.get("count", 0), totals=totals))
    elif verdict == "pending":
        missing = result.get("missing", [])
        click.echo(_("Day {day}: pending — the ledger still lacks {count}: {ids}").format(
            day=business_date, count=len(missing), ids=", ".join(missing[:20])))
    else:
        ledger = result.get("ledger", {})
        click.echo(_("Day {day}: MISMATCH — stall {stall}, ledger {ledger}").format(
            day=business_date, stall=json.dumps(mine, sort_keys=True),
            ledger=json.dumps(ledger, sort_keys=True)))
    if quarantined:
        click.echo(_("{count} entries are quarantined at the ledger; see "
                     "fairpos sync-status.").format(count=quarantined))


@main.command()
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="The bundle file to write (e.g. on a USB stick).")
@pass_lane
def export(lane: Lane, out: Path) -> None:
    """Write every entry not yet on the ledger to a bundle for `fairpos ledger import`."""
    from fairpos.sync.bundle import write_bundle
    from fairpos.sync.relay import next_payloads

    store = lane.store
    sales = next_payloads(store, store.outbox_summary().pending)
    try:
        manifest = write_bundle(out, store.device_id, sales)
    except OSError as err:
        refuse(_("cannot write {path}: {error}").format(path=out, error=err.strerror or err))
    click.echo(_("Wrote {count} entries ({first} … {last}) to {path}.").format(
        count=manifest["entries"], first=manifest["first"] or "-",
        last=manifest["last"] or "-", path=out))


@main.command("sync-status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@pass_lane
def sync_status(lane: Lane, as_json: bool) -> None:
    """What waits to go to the ledger, since when, and what the ledger set aside."""
    store = lane.store
    summary = store.outbox_summary()
    quarantined = store.quarantined()
    if as_json:
        emit_json({"pending": summary.pending, "oldest": summary.oldest,
                   "quarantined": [{"id": i, "reason": r} for i, r in quarantined],
                   "last_sync": summary.last_sync, "ledger": lane.settings.ledger.url})
        return
    click.echo(_("Ledger: {url}").format(url=lane.settings.ledger.url or _("not connected")))
    click.echo(_("Waiting to sync: {count} entries").format(count=summary.pending)
               + (_(" (oldest {at})").format(at=summary.oldest[:16]) if summary.oldest else ""))
    click.echo(_("Last sync: {at}").format(at=(summary.last_sync or _("never"))[:19]))
    for entry_id, reason in quarantined:
        click.echo(_("Quarantined {id}: {reason}").format(id=entry_id, reason=reason))


def _demo_setup(lane: Lane) -> None:
    fixtures = fixtures_dir()
    lane.data_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fixtures / "feria.toml", lane.data_dir / SETTINGS_NAME)
    lane.create_store()
    _import_catalog(lane, fixtures / "feria-catalog.csv")
    for base, quote, value, effective in _read_rates(fixtures / "feria-rates.csv"):
        lane.store.set_rate(base, quote, parse_rate(value), date.fromisoformat(effective),
                            _("demo data"))
    with refusing():
        lane.store.open_shift("Demo", {"USD": 2000, "VES": 1000000})
        for lines, pays, change in DEMO_SALES:
            cart = build_cart(lane, lines)
            tenders = [parse_tender_arg(p, lane) for p in pays]
            lane.store.confirm_sale(cart, tenders, change, lane.settings)


def _demo_ledger(lane: Lane) -> subprocess.Popen[bytes] | None:
    """A ledger for the demo lane, in its folder, on a free port of 127.0.0.1: published
    catalog and rates, the lane enrolled and connected. None (and a word why) if it cannot
    start: the till does not need it."""
    import socket

    import httpx

    from fairpos.ledger.store import SqliteLedger
    from fairpos.settings import with_ledger

    db = lane.data_dir / "demo-ledger" / "ledger.db"
    fresh = not db.exists()
    ledger = SqliteLedger(db)
    try:
        if fresh:
            fixtures = fixtures_dir()
            for name in ("feria-catalog.csv", "feria-rates.csv"):
                ledger.publish((fixtures / name).read_text(encoding="utf-8"), name,
                               lane.settings.money.currency)
        token = lane.settings.ledger.token
        if fresh or not token:
            enrolment, token = ledger.enrol(lane.settings.fair.name, lane.settings.fair.lane)
            ledger.claim(enrolment, lane.store.device_id)
    finally:
        ledger.close()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = int(probe.getsockname()[1])
    url = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(
        [sys.executable, "-m", "fairpos", "ledger", "serve", "--port", str(port), "--db",
         str(db)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _attempt in range(200):
        try:
            if httpx.get(f"{url}/v1/health", timeout=0.5).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    else:
        process.terminate()
        click.echo(_("The demo ledger did not start; the till works without it."), err=True)
        return None
    path = lane.data_dir / SETTINGS_NAME
    path.write_text(with_ledger(path.read_text(encoding="utf-8"), url, token),
                    encoding="utf-8")
    lane._settings = None  # read again, with the ledger's address
    return process


def _read_rates(path: Path) -> list[tuple[str, str, str, str]]:
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        if line.strip():
            base, quote, value, effective = (p.strip() for p in line.split(","))
            rows.append((base, quote, value, effective))
    return rows


@main.command()
@click.option("--print", "print_only", is_flag=True,
              help="Print the demo catalog and X report instead of opening the till.")
@click.option("--no-ledger", is_flag=True, help="Do not start the local demo ledger.")
@pass_lane
def demo(lane: Lane, print_only: bool, no_ledger: bool) -> None:
    """Set up a demo lane from the fixtures (once), start a local ledger on 127.0.0.1 with
    the lane connected to it, then open the till on it."""
    if not (lane.data_dir / SETTINGS_NAME).exists():
        _demo_setup(lane)
        click.echo(_("Demo lane created in {dir}.").format(dir=lane.data_dir))
    if not print_only:
        ledger = None if no_ledger else _demo_ledger(lane)
        try:
            run_till(lane)
        finally:
            if ledger is not None:
                ledger.terminate()
                ledger.wait(timeout=10)
        return
    with refusing():
        print_catalog(lane.store.catalog(), i18n.active(), limit=25)
        click.echo()
        current = lane.store.current_shift()
        if current is not None:
            click.echo("\n".join(lane.store.report(lane.settings, shift_id=current.id)
                                 .render(i18n.active())))


@main.command()
@pass_lane
def till(lane: Lane) -> None:
    """Open the till (the default when no command is given)."""
    run_till(lane)


def run_till(lane: Lane) -> None:
    from fairpos.tui.app import TillApp

    settings = lane.settings
    lane.store  # noqa: B018 - refuse here, in one line, if there is no journal
    with refusing():
        app = TillApp(lane.data_dir, settings)
    app.run()


from fairpos.ledger.commands import ledger  # noqa: E402 - the ledger's own command group

main.add_command(ledger)
