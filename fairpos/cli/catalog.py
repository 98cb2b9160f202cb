"""Setting up a lane, its catalog and its exchange rates: ``init``, ``settings``,
``catalog import|list``, ``rate set``."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path
from typing import Any, Literal

import click

from fairpos import i18n
from fairpos.cli.base import emit_json, main, pass_lane, refuse
from fairpos.domain.catalog import Catalog, parse_catalog
from fairpos.domain.money import Money, check_currency, parse_amount, parse_rate
from fairpos.i18n import _, format_money
from fairpos.lane import SETTINGS_NAME, Lane
from fairpos.presets import PRESETS, render_preset
from fairpos.settings import describe, parse_settings


def import_catalog(lane: Lane, path: Path) -> Catalog:
    """Import a catalog file as a new version; a bad file imports nothing."""
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
    draft = parse_catalog(text, fmt, currency)
    lane.import_catalog(draft, currency, path.name, hashlib.sha256(raw).hexdigest())
    return lane.catalog()


def say_imported(cat: Catalog) -> None:
    products, classes = len(cat.products), len(cat.price_classes)
    click.echo(_("Catalog version {version}: {products}, {classes}.").format(
        version=cat.version,
        products=_("1 product") if products == 1 else _("{count} products").format(
            count=products),
        classes=_("1 price class") if classes == 1 else _("{count} price classes").format(
            count=classes)))


@main.command()
@click.option("--fair", "fair", required=True, help="Name of the fair or market.")
@click.option("--lane", "lane_number", type=click.IntRange(min=1), required=True,
              help="Number of this checkout lane.")
@click.option("--preset", type=click.Choice(list(PRESETS)), default="lane", show_default=True,
              help="What the settings start from: feria (a Venezuelan family fair: USD and "
                   "VES, pago móvil, biopago, NO FISCAL receipts), farmers-market (a US market: "
                   "USD, cash and card, SNAP and market tokens, English) or lane (the least).")
@click.option("--currency", default=None,
              help="Pricing currency (ISO 4217); default: the preset's (USD).")
@click.option("--tender-currency", "tender_currencies", multiple=True, metavar="CUR",
              help="Another currency accepted in payment (repeatable), e.g. VES; default: "
                   "the preset's.")
@click.option("--catalog", "catalog_file", type=click.Path(dir_okay=False, path_type=Path),
              help="Catalog file (CSV or JSON) to import right away.")
@pass_lane
def init(lane: Lane, fair: str, lane_number: int, preset: str, currency: str | None,
         tender_currencies: tuple[str, ...], catalog_file: Path | None) -> None:
    """Set up a lane: write fairpos.toml from a preset and create the journal (mints the
    device id). The language is --lang's, else the preset's."""
    if lane.settings_path.exists():
        refuse(_("{dir} is already set up (it has a {name})").format(dir=lane.data_dir,
                                                                     name=SETTINGS_NAME))
    code = check_currency(currency) if currency else None
    others = [check_currency(c) for c in tender_currencies] if tender_currencies else None
    language = click.get_current_context().find_root().params.get("lang")
    text = render_preset(preset, fair, lane_number, locale=language, currency=code,
                         tender_currencies=others)
    settings = parse_settings(text)
    if language is None:  # from here on, the new lane's own language
        i18n.use(settings.ui.locale)
    if catalog_file is not None and not catalog_file.is_file():
        refuse(_("cannot read {path}").format(path=catalog_file))
    lane.data_dir.mkdir(parents=True, exist_ok=True)
    lane.settings_path.write_text(text, encoding="utf-8")
    lane.create_journal()
    click.echo(_("Lane {lane} of {fair} is ready in {dir} (device {device}).").format(
        lane=lane_number, fair=fair, dir=lane.data_dir, device=lane.device_id))
    if catalog_file is not None:
        say_imported(import_catalog(lane, catalog_file))


@main.command("settings")
def show_settings() -> None:
    """List every setting of fairpos.toml with its default and meaning."""
    for key, default, text in describe():
        click.echo(f"{key} = {default}" if default else key)
        click.echo(textwrap.fill(text, width=88, initial_indent="    ",
                                 subsequent_indent="    "))


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
    say_imported(import_catalog(lane, file))


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
    cat = lane.catalog()
    if as_json:
        emit_json(catalog_rows(cat))
    else:
        print_catalog(cat, i18n.active())


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
    quote = check_currency(currency)
    base = lane.settings.money.currency
    if quote == base:
        refuse(_("{currency} is the pricing currency; its rate is always 1").format(
            currency=quote))
    if quote not in lane.settings.money.tender_currencies:
        refuse(_("{currency} is not a tender currency; add it to [money] "
                 "tender_currencies").format(currency=quote))
    value = parse_rate(amount)
    day = effective.date() if effective else lane.now().date()
    new = lane.set_rate(base, quote, value, day, reason)
    click.echo(_("1 {base} = {value} {quote} from {day} (version {version}).").format(
        base=new.base, value=new.value, quote=new.quote, day=new.effective,
        version=new.version))
