"""The main screen: an entry line, the cart, the total in every currency, and the lane's state."""

from __future__ import annotations

import re
import textwrap
from typing import Any

from rich.markup import escape
from rich.text import Text
from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.css.query import NoMatches
from textual.widgets import DataTable, Footer, Input, OptionList, Static

from fairpos.domain.cart import Cart, Line
from fairpos.domain.catalog import Catalog, Product
from fairpos.domain.money import Money
from fairpos.domain.quantity import Quantity, parse_quantity
from fairpos.domain.sale import Sale
from fairpos.domain.tenders import CASH
from fairpos.domain.typed import AddLine, Search, TypedError, count_example, read_typed
from fairpos.errors import FairposError
from fairpos.i18n import (
    N_,
    _,
    active,
    format_grams,
    format_money,
    format_number,
    format_rate,
    lines_text,
)
from fairpos.journal.records import HeldSale
from fairpos.tui.base import TillScreen, list_products, sentence
from fairpos.tui.messages import CartChanged, HeldListed, Refused, SaleHeld


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
            lines.append("[b red]" + escape(_("Clock: {problem}").format(problem=problem))
                         + "[/]")
    if app.journal_problem is not None:
        lines.append("[b red]" + escape(_("Journal: {problem}").format(
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


class RingUpScreen(TillScreen):
    """Ring up a sale. Focus stays on the entry line. The footer shows the keys used most;
    Ctrl+A (ayuda), or ``?`` on the empty entry line, shows every key with its name."""

    BINDINGS = [
        # (the way out first: at 80 columns the footer has room for what comes first)
        Binding("ctrl+q", "app.quit_till", N_("Quit"), id="ring_up_quit"),
        Binding("ctrl+a", "keys", N_("Keys"), id="keys", priority=True),
        Binding("f1", "weigh", N_("Weigh"), id="weigh"),
        Binding("f2", "pay", N_("Pay"), id="pay"),
        Binding("f3", "price_class(0)", N_("Class 1"), id="class_1"),
        Binding("f4", "price_class(1)", N_("Class 2"), id="class_2"),
        Binding("f5", "repeat", N_("Repeat"), id="repeat", show=False),
        Binding("f6", "hold", N_("Hold"), id="hold"),
        Binding("f7", "recall", N_("Recall"), id="recall", show=False),
        Binding("f8", "void_line", N_("Void line"), id="void_line"),
        Binding("f9", "change_quantity", N_("Quantity"), id="change_quantity", show=False),
        Binding("f10", "sales", N_("Sales"), id="sales", show=False),
        Binding("f11", "receipt", N_("Receipt"), id="receipt", show=False),
        Binding("f12", "x_report", N_("X report"), id="x_report", show=False),
        Binding("escape", "cancel", N_("Cancel"), id="cancel", show=False),
        Binding("ctrl+z", "zero", N_("Zero"), id="zero", show=False),
        Binding("ctrl+t", "tare", N_("Tare"), id="tare", show=False),
        Binding("up", "move(-1)", N_("Select a line"), show=False, key_display="↑↓"),
        Binding("down", "move(1)", show=False),
    ]

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

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        if self.till.shift is not None and self.till.shift.training:
            yield Static(_("TRAINING — these sales do not count"), id="training")
        with Horizontal(id="main"):
            yield DataTable(id="cart", cursor_type="row", zebra_stripes=True)
            yield OptionList(id="results")  # (a search's results, in the cart's place)
            with Vertical(id="side"):
                yield Static(id="weight")
                yield Panel(id="totals")
                yield Panel(id="devices")
        yield Static(id="message")
        yield Input(id="entry", placeholder=self.hint())
        # compact, and the palette's key is in the keys window: F8 fits at 80 columns
        yield Footer(compact=True, show_command_palette=False)

    def on_unmount(self) -> None:
        self.drawn = False

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

    def on_mount(self) -> None:
        self.drawn = True
        self.show_results(False)
        self.query_one("#weight", Static).display = self.till.weighing.configured
        self.scale_changed()
        self.refresh_cart()
        self.select(False)
        self.query_one("#entry", Input).focus()

    def on_resize(self) -> None:
        self.refresh_cart()

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

    # -- showing the cart ------------------------------------------------------------------

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
                    rows.append("[b red]" + _("OLD rate: {age} days").format(
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

    @on(CartChanged)
    def _cart_changed(self, message: CartChanged) -> None:
        if message.quiet:
            self.devices_changed()
            return
        self.prompt(None)
        self.refresh_cart()
        self.say(message.said)

    def on_refused(self, message: Refused) -> None:
        message.prevent_default()  # (said here: not in a notice too)
        self.say(message.text, error=True)

    # -- the entry line ----------------------------------------------------------------------

    @property
    def entry(self) -> Input:
        return self.query_one("#entry", Input)

    def prompt(self, pending: tuple[Any, ...] | None, placeholder: str | None = None) -> None:
        self.pending = pending
        self.entry.placeholder = placeholder or self.hint()
        self.entry.value = ""

    @on(Input.Changed, "#entry")
    def _typing(self, event: Input.Changed) -> None:
        self.voiding = None  # typing is an answer too: the line stays
        if event.value == "?" and self.pending is None:  # the keys, from the entry line
            self.entry.value = ""
            self.action_keys()
            return
        results = self.query_one("#results", OptionList)
        text = event.value.strip()
        catalog = self.till.catalog
        if (self.pending is None and catalog is not None and "*" not in text
                and any(c.isalpha() for c in text) and catalog.price_class(text) is None):
            list_products(results, catalog.search(text, limit=40), catalog)
            self.show_results(results.display)
        else:
            self.show_results(False)

    @on(Input.Submitted, "#entry")
    def _submit(self, event: Input.Submitted) -> None:
        catalog = self.till.catalog
        if catalog is None:
            return
        try:
            self.enter(event.value, catalog)
        except FairposError as err:  # every refusal of the domain (entry, quantity, cart)
            self.say(str(err), error=True)
            self.entry.select_all()  # the next key typed replaces what was refused

    def enter(self, text: str, catalog: Catalog) -> None:
        results = self.query_one("#results", OptionList)
        labels = self.till.settings.barcode_layouts
        if self.pending is not None and self.pending[0] == "label":
            code = self.pending[1]
            self.prompt(None)
            if text.strip() in ("", code):  # the same label again, or Enter: once more
                line = self.cart.scan(catalog, code, labels)
                assert line is not None
                self.added(line)
                return
            # (anything else: that label is left out, and what was typed is read as usual)
        if self.pending is not None and self.pending[0] == "tare":
            self.prompt(None)
            self.take_typed_tare(text)
            return
        if self.pending is not None:
            kind, *rest = self.pending
            if not text.strip() and self.till.weighing.configured:
                self.action_weigh()  # Enter alone at a weight prompt takes the scale's weight
                return
            if kind == "weight":
                code = rest[0]
                grams, tare = self.till.weighing.net(read_weight(text), from_scale=False)
                line = self.cart.add(catalog, code, Quantity(grams=grams), tare=tare)
            else:
                number = rest[0]
                current = self.cart.line(number)
                if current.grams is not None:
                    grams, tare = self.till.weighing.net(read_weight(text), from_scale=False)
                    line = self.cart.change_quantity(number, Quantity(grams=grams), tare=tare)
                else:
                    line = self.cart.change_quantity(number, parse_quantity(text))
            self.added(line)
            return
        if results.display and results.highlighted is not None:
            option = results.get_option_at_index(results.highlighted)
            self.show_results(False)
            product = catalog.product(str(option.id))
            assert product is not None
            self.add(catalog, product.plu, None, product)
            return
        already = next((n for n, line in enumerate(self.cart.lines, start=1)
                        if line.label == text.strip() and not line.voided), None)
        if already is not None:  # a label scanned twice: the volunteer says it is meant
            self.prompt(("label", text.strip()),
                        _("The same label again, or Enter: add it again · Esc: leave it out"))
            self.say(_("This label is already in the sale (line {number}): scan it again or "
                       "press Enter to add it once more.").format(number=already))
            return
        scanned = self.cart.scan(catalog, text, labels)
        if scanned is not None:  # a label, with its weight or price
            self.added(scanned)
            return
        action = read_typed(text, catalog)
        if isinstance(action, Search):
            raise TypedError(_("no product matches “{text}”").format(text=action.text))
        assert isinstance(action, AddLine)
        self.add(catalog, action.code, action.quantity, catalog.product(action.code))

    def add(self, catalog: Catalog, code: str, quantity: Quantity | None,
            product: Product | None) -> None:
        tare = None
        if quantity is not None and quantity.grams is not None:  # a weight typed with it
            grams, tare = self.till.weighing.net(quantity.grams, from_scale=False)
            quantity = Quantity(grams=grams)
        if quantity is None and product is not None and product.unit == "kg":
            name = product.name(active())
            self.prompt(("weight", product.plu),
                        _("Weight of {name} (kg), then Enter").format(name=name)
                        if not self.till.weighing.configured
                        else _("Weight of {name}: F1 takes the scale's, or type it").format(
                            name=name))
            self.say(_("Weigh {name} and type the weight.").format(name=name)
                     if not self.till.weighing.configured
                     else _("Put {name} on the scale and press F1.").format(name=name))
            return
        if quantity is None and catalog.price_class(code) is not None:
            self.action_price_class_code(code)
            return
        self.added(self.cart.add(catalog, code, quantity, tare=tare))

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

    def weigh(self, code: str | None = None, number: int | None = None) -> Line:
        """Add ``code`` (or change line ``number``) with the scale's accepted weight."""
        catalog = self.till.catalog
        assert catalog is not None
        weighing = self.till.weighing
        reading = weighing.weight()
        assert reading.grams is not None
        grams, tare = weighing.net(reading.grams, from_scale=True)
        quantity, frame = Quantity(grams=grams), reading.raw.hex()
        if number is not None:
            line = self.cart.change_quantity(number, quantity, scale_frame=frame, tare=tare)
        else:
            assert code is not None
            line = self.cart.add(catalog, code, quantity, scale_frame=frame, tare=tare)
        self.till.weighing.put_on_sale()
        self.scale_changed()
        return line

    # -- keys --------------------------------------------------------------------------------

    def action_move(self, step: int) -> None:
        results = self.query_one("#results", OptionList)
        if results.display:
            if step < 0:
                results.action_cursor_up()
            else:
                results.action_cursor_down()
            return
        table = self.query_one("#cart", DataTable)
        if table.row_count:
            if not self.selecting:  # the first ↑ (or ↓) selects the last line rung
                self.select(True)
                table.move_cursor(row=table.row_count - 1)
            else:
                table.move_cursor(row=max(0, min(table.row_count - 1,
                                                 table.cursor_row + step)))
            number = self.selected_line()
            if number is not None:
                self.voiding = None
                self.say(_("Line {n} selected: {name} (F8 voids it, F9 changes its quantity)")
                         .format(n=number, name=self.cart.line(number).name(active())))

    def on_key(self, event: events.Key) -> None:
        """Any key but the one that voids is an answer to "void this line?": it stays."""
        bound = self.active_bindings.get(event.key)
        if bound is None or bound.binding.action != "void_line":
            self.voiding = None

    def action_keys(self) -> None:
        """Every key of this screen and of the till, with its name."""
        lines = []
        for binding in self.BINDINGS:
            if not isinstance(binding, Binding) or not binding.description or \
                    binding.id == "ring_up_quit":  # (said last, with what it does)
                continue
            if binding.action in ("weigh", "zero") and \
                    not self.till.weighing.configured:
                continue
            if binding.action.startswith("price_class") and not self.check_action(
                    "price_class", (binding.action[-2],)):
                continue
            shown = binding.key_display or key_name(binding.key)
            lines.append(f"{shown:>8}  {self.binding_description(binding)}")
        lines += [f"{'Ctrl+P':>8}  " + _("More: X report, close shift, sales, hardware check"),
                  f"{'Ctrl+Q':>8}  " + _("Quit (a sale in progress is held)")]
        self.till.show("keys", lines)

    def action_weigh(self) -> None:
        """The scale's steady weight for the product waiting for a weight, the line whose
        quantity is being changed, or the PLU or class typed on the entry line."""
        catalog = self.till.catalog
        if catalog is None:
            return
        try:
            if self.pending is not None and self.pending[0] != "label":
                kind, target = self.pending
                line = (self.weigh(code=target) if kind == "weight"
                        else self.weigh(number=self.weighed_line(target)))
            else:
                line = self.weigh(code=self.weighed_code(catalog))
        except FairposError as err:  # the scale has no weight to give, or the entry is wrong
            self.say(str(err), error=True)
            return
        self.show_results(False)
        self.added(line)

    def weighed_line(self, number: int) -> int:
        if self.cart.line(number).grams is None:
            raise TypedError(_("line {n} is counted, not weighed: type the count").format(
                n=number))
        return number

    def weighed_code(self, catalog: Catalog) -> str:
        """The product or class on the entry line (or picked in the results) to weigh."""
        results = self.query_one("#results", OptionList)
        if results.display and results.highlighted is not None:
            code = str(results.get_option_at_index(results.highlighted).id)
        elif not self.entry.value.strip():
            raise TypedError(_("type the product's PLU (or press its class key), then F1"))
        else:
            action = read_typed(self.entry.value, catalog)
            if isinstance(action, Search):
                raise TypedError(_("no product matches “{text}”").format(text=action.text))
            assert isinstance(action, AddLine)
            if action.quantity is not None:
                raise TypedError(_("a quantity was typed: press Enter to add it"))
            code = action.code
        product = catalog.product(code)
        if product is not None and product.unit != "kg":
            raise TypedError(_("{name} is sold by the piece: press Enter").format(
                name=product.name(active())))
        return code

    def action_zero(self) -> None:
        self.till.scale_command("zero")
        self.say(_("Asking the scale to zero…"))

    def action_tare(self) -> None:
        """Ctrl+T: a weight typed on the entry line is the tare (0 clears it); with a steady
        weight on the scale, the scale is asked to tare it (and if it does not, the lane takes
        it); with nothing more than the tare on the scale, the tare is cleared; with nothing
        steady, the tare is asked for."""
        weighing = self.till.weighing
        typed = self.entry.value.strip()
        if typed:  # (a question the entry line was asking stays asked)
            pending = self.pending if self.pending and self.pending[0] != "tare" else None
            self.prompt(pending, self.entry.placeholder if pending else None)
            self.take_typed_tare(typed)
            return
        if weighing.configured and weighing.tare is not None and not weighing.goods_on:
            if weighing.tare.by_scale:
                self.till.scale_command("clear_tare")
                self.say(_("Asking the scale to clear the tare…"))
            else:
                self.say(weighing.tare_typed(0))
                self.show_totals()
            return
        accepted = weighing.accepted
        if not weighing.configured or accepted is None or not accepted.grams:
            self.prompt(("tare",), _("Tare (kg), then Enter · 0 clears it"))
            self.say(_("Type the container's weight, or put it on the scale alone and press "
                       "Ctrl+T once it is steady.") if weighing.configured
                     else _("Type the container's weight (kg)."))
            return
        weighing.asked_tare = accepted.grams
        self.till.scale_command("tare")
        self.say(_("Asking the scale to tare {weight}…").format(
            weight=format_grams(accepted.grams, active())))

    def take_typed_tare(self, text: str) -> None:
        try:
            said = self.till.weighing.tare_typed(read_tare(text))
        except FairposError as err:
            self.say(str(err), error=True)
            return
        self.say(said)
        self.show_totals()

    def scale_answered(self, said: str, problem: bool) -> None:
        self.say(said, error=problem)
        self.show_totals()

    def action_cancel(self) -> None:
        self.show_results(False)
        self.prompt(None)
        self.select(False)
        self.say("")

    def select(self, selecting: bool) -> None:
        """A line is selected (↑↓, F8): the cart shows which; Escape, or a new line, ends it."""
        self.selecting = selecting
        table = self.query_one("#cart", DataTable)
        table.show_cursor = selecting
        if not selecting and table.row_count:
            table.move_cursor(row=table.row_count - 1)

    def action_price_class(self, index: str | int) -> None:
        catalog = self.till.catalog
        if catalog is None:
            return
        classes = list(catalog.price_classes.values())
        if int(index) < len(classes):
            self.action_price_class_code(classes[int(index)].code)

    def action_price_class_code(self, code: str) -> None:
        catalog = self.till.catalog
        assert catalog is not None
        price_class = catalog.price_class(code)
        assert price_class is not None
        name = price_class.name(active())
        if self.till.weighing.ready:
            try:  # one key: the class at the scale's weight
                self.added(self.weigh(price_class.code))
            except FairposError as err:  # (a tare as heavy as the weight)
                self.say(str(err), error=True)
            return
        self.prompt(("weight", price_class.code),
                    _("Weight at {name} (kg), then Enter").format(name=name)
                    if not self.till.weighing.configured
                    else _("Weight at {name}: F1 takes the scale's, or type it").format(
                        name=name))
        self.say(_("{name}: {price}/kg. Type the weight.").format(
            name=name, price=self.money(price_class.price_per_kg)))
        self.entry.focus()

    def selected_line(self) -> int | None:
        table = self.query_one("#cart", DataTable)
        if not table.row_count:
            self.say(_("the sale is empty"), error=True)
            return None
        row_key = table.coordinate_to_cell_key(Coordinate(table.cursor_row, 0)).row_key
        return int(str(row_key.value))

    def action_void_line(self) -> None:
        """F8 names the line it would void; F8 again voids it, anything else keeps it."""
        number = self.selected_line()
        if number is None:
            return
        self.select(True)
        if self.voiding != number:
            self.voiding = number
            line = self.cart.line(number)
            self.say(_("Void line {n}, {name} ({amount})? F8 again voids it; any other key "
                       "keeps it.").format(n=number, name=line.name(active()),
                                           amount=self.money(line.amount)), error=True)
            return
        self.voiding = None
        line = self.cart.void(number)
        self.drop_line(number)
        self.select(False)
        self.till.cart_changed()
        self.say(_("Line {n} voided: {name}").format(n=number, name=line.name(active())))

    def action_change_quantity(self) -> None:
        number = self.selected_line()
        if number is not None:
            line = self.cart.lines[number - 1]
            self.prompt(("quantity", number), _("New quantity for line {n} ({name})").format(
                n=number, name=line.name(active())))
            self.say(_("Type the new weight or count for line {n}.").format(n=number))

    def action_repeat(self) -> None:
        try:
            self.added(self.cart.repeat_last())
        except FairposError as err:
            self.say(str(err), error=True)

    def action_pay(self) -> None:
        if self.cart.is_empty():
            self.say(_("the sale is empty"), error=True)
            return
        self.prompt(None)
        self.till.show("payment", self.cart, self.till.payments, self.till.sent,
                       callback=self.paid)

    def paid(self, sale: Sale | None) -> None:
        if sale is None:
            kept = len(self.till.payments)
            self.say(_("Payment paused; the sale is still here.") if not kept else
                     _("Payment paused: the payment entered is kept; F2 goes on.") if kept == 1
                     else _("Payment paused: the {count} payments entered are kept; F2 goes on.")
                     .format(count=kept))
            return
        self.till.last_sale = sale
        self.till.new_sale()
        self.till.show_customer(sale)  # thanks, and the change
        self.prompt(None)
        self.refresh_cart()
        self.till.refresh_rates()  # a rate entered meanwhile shows from the next sale on
        cash = [sale.change] if sale.change.minor else []
        cash += [given.amount for given in sale.change_sent if given.method == CASH]
        given = [_("Change: {amount}").format(amount=" + ".join(
            format_money(m, active()) for m in cash))] if cash else []
        given += [_("Sent by pago móvil: {sent}").format(sent=format_money(t.amount, active()))
                  for t in sale.change_sent if t.method != CASH]
        self.say(" · ".join([_("Sale {id} confirmed.").format(id=sale.id), *given]))

    def action_hold(self) -> None:
        cart, holding, draft = self.cart, self.till.holding, self.till.draft_version
        if cart.is_empty():
            self.say(_("the sale is empty: nothing to hold"), error=True)
            return
        if self.till.payments or self.till.sent:
            self.say(_("payments were entered: finish paying (F2), or remove them there (F8) "
                       "before holding the sale"), error=True)
            return
        self.till.run_job(lambda lane: SaleHeld(lane.hold(cart, replacing=holding,
                                                          draft=draft)), self)

    @on(SaleHeld)
    def _held(self, message: SaleHeld) -> None:
        self.till.new_sale()
        self.prompt(None)
        self.refresh_cart()
        self.say(_("Sale held as #{id}. F7 brings it back.").format(id=message.held_id))

    def action_recall(self) -> None:
        shift = self.till.shift
        self.till.run_job(lambda lane: HeldListed(lane.journal.held(shift.id if shift else None)),
                          self)

    @on(HeldListed)
    def _held_listed(self, message: HeldListed) -> None:
        held: list[HeldSale] = [h for h in message.held if h.id not in self.till.holding]
        if not held:
            self.say(_("There are no held sales."), error=True)
        elif len(held) == 1:
            self.till.recall(held[0].id)
        else:
            self.till.show("recall", held, callback=self.recall_chosen)

    def recall_chosen(self, held_id: int | None) -> None:
        if held_id is not None:
            self.till.recall(held_id)

    def action_sales(self) -> None:
        self.till.show("sales")

    def action_receipt(self) -> None:
        if self.till.last_sale is None:
            self.say(_("No sale confirmed yet in this session."), error=True)
            return
        self.till.show("receipt", self.till.last_sale)

    def action_x_report(self) -> None:
        self.till.show("x_report")

    def on_screen_resume(self) -> None:
        self.refresh_cart()
        self.entry.focus()

