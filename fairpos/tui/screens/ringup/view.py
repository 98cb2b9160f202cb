"""The ring-up screen's view of the sale: the cart line by line, the totals in every currency,
the scale's weight, the printer, scale and sync slots, and the message line. The parts of the
screen are built one on another: this view, the scale's keys (``scale_keys``), the entry line
(``typed_entry``), and the screen with its keys for the sale as a whole (``screen``)."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.css.query import NoMatches
from textual.widgets import DataTable, Input, OptionList, Static

from fairpos.domain.cart import Cart, Line
from fairpos.domain.money import Money
from fairpos.domain.quantity import parse_quantity
from fairpos.domain.typed import TypedError, count_example
from fairpos.i18n import (
    _,
    active,
    format_grams,
    format_money,
    format_number,
    format_rate,
    lines_text,
)
from fairpos.tui.base import TillScreen, sentence


def status_line(app: Any) -> str:
    """Fair, lane, shift and volunteer."""
    settings = app.settings
    shift = app.shift
    parts = [settings.fair.name, _("lane {lane}").format(lane=settings.fair.lane)]
    if shift is not None:
        parts.append(_("shift #{id} {volunteer}").format(id=shift.id, volunteer=shift.volunteer))
    return " · ".join(parts)


def device_lines(app: Any) -> list[str]:
    """The printer, scale and sync slots (their workers fill them in as they arrive), and the
    journal's when a write failed."""
    lines = [_("Printer: {state}").format(state=app.printer_status),
             _("Scale: {state}").format(state=app.weighing.status()),
             _("Sync: {state}").format(state=app.sync_status)]
    for problem in (app.clock_problem, app.ledger_clock_problem):
        if problem is not None:
            lines.append("[b $text-error]" + escape(_("Clock: {problem}").format(problem=problem))
                         + "[/]")
    if app.journal_problem is not None:
        lines.append("[b $text-error]" + escape(_("Journal: {problem}").format(
            problem=app.journal_problem)) + "[/]")
    return lines


class Panel(Static):
    """Lines that change at every key (the totals) or now and then (the devices): the screen
    is laid out again only when the panel's shape may have changed — another number of
    lines, or a line too long for one row."""

    text = ""

    def show(self, text: str) -> None:
        if text == self.text:
            return
        width = max(1, self.content_size.width)
        old, new = self.text.split("\n"), text.split("\n")
        reshaped = len(old) != len(new) or any(
            len(Text.from_markup(a).plain) > width or len(Text.from_markup(b).plain) > width
            for a, b in zip(old, new, strict=True) if a != b)
        self.text = text
        self.update(text, layout=reshaped)


def read_weight(text: str) -> int:
    """A weight typed after a prompt: a bare number is kilos (``2`` is 2 kg)."""
    if not text.strip():
        raise TypedError(_("type the weight, e.g. 1.250"))
    quantity = parse_quantity(text.strip() + ("" if any(c.isalpha() for c in text) else "kg"))
    assert quantity.grams is not None
    return quantity.grams


def key_name(key: str) -> str:
    """A key as the guides write it: ``ctrl+a`` → ``Ctrl+A``, ``f8`` → ``F8``, ``escape`` →
    ``Esc`` (one notation in the list of keys)."""
    names = {"escape": "Esc", "up": "↑", "down": "↓", "enter": "Enter"}
    parts = key.split("+")
    return "+".join(names.get(part, part.capitalize() if len(part) > 1 else part.upper())
                    for part in parts)


def read_tare(text: str) -> int:
    """A tare typed: a weight as :func:`read_weight` reads it, or nothing (``0``) to clear it."""
    if re.fullmatch(r"0+([.,]0*)?\s*(kg|g)?", text.strip().lower()):
        return 0
    return read_weight(text)


class CartView(TillScreen):
    """The cart, its totals, the side panel and the message line, as the screen shows them."""

    def __init__(self) -> None:
        super().__init__()
        # What the next Enter completes: ("weight", code, name) or ("quantity", line number)
        self.pending: tuple[Any, ...] | None = None
        self.drawn = False  # on_mount has run: the widgets are there
        self.voiding: int | None = None  # F8 asked about this line; F8 again voids it
        self._hint: str | None = None
        self._long_message = False  # the message line took more than one row
        self.name_width = 16  # the cart's name column, as last laid out
        self.selecting = False  # a line of the cart is selected (↑↓), for F8 and F9

    def hint(self) -> str:
        """What the entry line takes, with PLUs of this lane's own catalog."""
        if self._hint is None:
            self._hint = self.make_hint()
        return self._hint

    def make_hint(self) -> str:
        catalog = self.till.catalog
        examples = [_("PLU, barcode or name")]
        if catalog is None:
            return examples[0]
        counted = count_example(catalog)
        weighed = next((p.plu for p in catalog.products.values() if p.unit == "kg"), None)
        if counted is not None:
            examples.append(counted)
        if weighed is not None:
            examples.append(f"{weighed}*1.250")
        return " · ".join(examples)

    def binding_description(self, binding: Binding) -> str:
        catalog = self.till.catalog
        if binding.id in ("class_1", "class_2") and catalog is not None:
            classes = list(catalog.price_classes.values())
            index = 0 if binding.id == "class_1" else 1
            if index < len(classes):
                return classes[index].name(active())
        return super().binding_description(binding)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "price_class" and self.till.catalog is not None:
            return int(str(parameters[0])) < len(self.till.catalog.price_classes)
        if action in ("weigh", "zero"):
            return self.till.weighing.configured
        return True

    @property
    def cart(self) -> Cart:
        return self.till.cart

    def money(self, minor: int, currency: str | None = None) -> str:
        return format_money(Money(minor, currency or self.cart.currency), active())

    def number(self, minor: int) -> str:
        """An amount of the pricing currency without its code, for the cart's columns."""
        return format_number(Money(minor, self.cart.currency), active())

    def refresh_cart(self) -> None:
        """Draw the whole cart again: a new or recalled sale, another width."""
        table = self.query_one("#cart", DataTable)
        table.clear(columns=True)
        # The name takes whatever the fixed columns and the totals panel leave.
        name_width = max(13, self.size.width - 24 - (3 + 9 + 7 + 8) - 2 * 5 - 3)
        self.name_width = name_width
        table.add_column("#", key="n", width=3)
        table.add_column(_("Product"), key="name", width=name_width)
        table.add_column(_("Qty"), key="qty", width=9)
        table.add_column(_("Price"), key="price", width=7)
        table.add_column(self.cart.currency, key="amount", width=8)
        for number, line in enumerate(self.cart.lines, start=1):
            if not line.voided:
                table.add_row(*self.cells(number, line), key=str(number),
                              height=self.name_rows(line))
        if table.row_count:
            table.move_cursor(row=table.row_count - 1)
        self.show_totals()
        self.devices_changed()
        self.query_one("#status", Static).update(status_line(self.till))

    def name_rows(self, line: Line) -> int:
        """The rows a line takes: its whole name, wrapped (never cut: two products that
        differ only by their size must not look the same)."""
        return max(1, len(textwrap.wrap(line.name(active()), self.name_width)))

    def cells(self, number: int, line: Line) -> tuple[str | Text, ...]:
        return (str(number), Text(line.name(active())), self.quantity_text(line),
                Text(self.number(line.unit_price), justify="right"),
                Text(self.number(line.amount), justify="right"))

    def show_line(self, line: Line) -> None:
        """One line was added or changed: only its row is drawn (a key costs one row)."""
        lines = self.cart.lines
        number = next(n for n in range(len(lines), 0, -1) if lines[n - 1] is line)
        table = self.query_one("#cart", DataTable)
        key = str(number)
        if key in table.rows:
            for column, value in zip(("n", "name", "qty", "price", "amount"),
                                     self.cells(number, line), strict=True):
                table.update_cell(key, column, value)
            table.move_cursor(row=table.get_row_index(key))
        else:
            table.add_row(*self.cells(number, line), key=key, height=self.name_rows(line))
            table.move_cursor(row=table.row_count - 1)
        self.show_totals()

    def drop_line(self, number: int) -> None:
        self.query_one("#cart", DataTable).remove_row(str(number))
        self.show_totals()

    @staticmethod
    def quantity_text(line: Line) -> str:
        return format_grams(line.grams, active()) if line.grams is not None else f"×{line.count}"

    def totals_text(self) -> str:
        till = self.till
        totals = self.cart.totals(till.rates)
        rows = [_("TOTAL")]
        for currency in till.settings.accepted_currencies:
            rate = till.rates.get(currency)
            if currency not in totals:
                rows.append(_("{currency}: no rate").format(currency=currency))
                continue
            rows.append(f"[b]{format_money(totals[currency], active())}[/b]")
            if rate is not None:
                rows.append(_("rate {value} ({day})").format(
                    value=format_rate(rate.value, active()), day=rate.effective))
                if currency in till.old_rates:
                    rows.append("[b $text-error]" + _("OLD rate: {age} days").format(
                        age=till.old_rates[currency]) + "[/]")
        rows.append(lines_text(len(self.cart.active)))
        tare = till.weighing.tare_text()
        if tare is not None:
            rows.append(f"[b]{tare}[/b]")
        if till.catalog is not None:
            rows.append(_("prices as of v{version}").format(version=till.catalog.version))
        return "\n".join(rows)

    def show_totals(self) -> None:
        """The totals in every currency; the panel is laid out again only if its shape may
        have changed (another number of lines, or a line too long for one row)."""
        self.query_one("#totals", Panel).show(self.totals_text())

    def scale_changed(self) -> None:
        """The live weight panel: the newest reading only; moving is greyed, trouble in red."""
        if not self.drawn:  # a reading can come before the widgets are there, or after
            return
        weighing = self.till.weighing
        reading = weighing.reading
        try:
            weight = self.query_one("#weight", Static)
        except NoMatches:  # the till is closing: its widgets are being removed
            return
        grams = reading.grams if reading is not None else None
        shown = format_grams(grams, active()) if grams is not None else "—"
        weight.update(f"[b]{shown}[/b]\n{weighing.state()}")
        weight.set_class(weighing.moving, "moving")
        weight.set_class(weighing.trouble, "error")
        self.devices_changed()

    def devices_changed(self) -> None:
        if not self.drawn:
            return
        try:
            devices = self.query_one("#devices", Panel)
        except NoMatches:
            return
        devices.show("\n".join(["", *device_lines(self.till)]))

    def show_results(self, shown: bool) -> None:
        """A search's results take the cart's place (its whole width and height: whole
        names, with price and unit); the cart comes back when they go."""
        self.query_one("#results", OptionList).display = shown
        self.query_one("#cart", DataTable).display = not shown

    def say(self, text: str, error: bool = False) -> None:
        """The message line: one row, or up to three for a long message (wrapped, never
        cut); the screen is laid out again only when its number of rows may change."""
        message = self.query_one("#message", Static)
        room = max(1, self.size.width - 2)
        long = len(text) > room  # (said as it is: "[barcodes]" is a word, not markup)
        message.update(Text(sentence(text)), layout=long or self._long_message)
        self._long_message = long
        message.set_class(error, "error")

    @property
    def entry(self) -> Input:
        return self.query_one("#entry", Input)

    def prompt(self, pending: tuple[Any, ...] | None, placeholder: str | None = None) -> None:
        self.pending = pending
        self.entry.placeholder = placeholder or self.hint()
        self.entry.value = ""

    def added(self, line: Line) -> None:
        self.prompt(None)
        self.show_line(line)
        self.select(False)
        self.till.cart_changed()
        typed = (_(" (label)") if line.label else
                 _(" (typed)") if line.grams is not None and line.scale_frame is None
                 and self.till.weighing.configured else "")
        tare = ("  " + _("(gross {gross} - tare {tare})").format(
            gross=format_grams(line.grams + line.tare, active()),
            tare=format_grams(line.tare, active()))
            if line.tare and line.grams is not None else "")
        self.say(f"+ {line.name(active())}  {self.quantity_text(line)}{typed}{tare}  "
                 f"{self.money(line.amount)}")

    def select(self, selecting: bool) -> None:
        """A line is selected (↑↓, F8): the cart shows which; Escape, or a new line, ends it."""
        self.selecting = selecting
        table = self.query_one("#cart", DataTable)
        table.show_cursor = selecting
        if not selecting and table.row_count:
            table.move_cursor(row=table.row_count - 1)

    def selected_line(self) -> int | None:
        table = self.query_one("#cart", DataTable)
        if not table.row_count:
            self.say(_("the sale is empty"), error=True)
            return None
        row_key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key
        return int(str(row_key.value))
