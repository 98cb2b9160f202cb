"""The ring-up screen's entry line: what a volunteer types (a PLU, a barcode, a quantity and
a code, a name to search, a weight for the line that asks for one), and a price class's key."""

from __future__ import annotations

from textual import events, on
from textual.binding import Binding
from textual.widgets import Input, OptionList

from fairpos.domain.catalog import Catalog, Product
from fairpos.domain.quantity import Quantity, parse_quantity
from fairpos.domain.typed import AddLine, Search, TypedError, read_typed
from fairpos.errors import FairposError
from fairpos.i18n import (
    _,
    active,
)
from fairpos.tui.base import list_products
from fairpos.tui.screens.ringup.scale_keys import ScaleKeys
from fairpos.tui.screens.ringup.view import (
    key_name,
    read_weight,
)


class TypedEntry(ScaleKeys):
    """The entry line: typed text read into an action, and the price class keys."""

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

    def scanned(self, code: str) -> None:
        """A code from the serial scanner: read as if typed and Enter, and what the volunteer
        was typing left as it was (unless the code asks for a weight)."""
        catalog = self.till.catalog
        if catalog is None:
            return
        typing, at = self.entry.value, self.entry.cursor_position
        if self.pending is not None and self.pending[0] != "label":
            self.prompt(None)  # (a scan is a new line: a question left open goes)
        try:
            self.enter(code, catalog)
        except FairposError as err:
            self.say(str(err), error=True)
        if self.pending is None and typing:
            self.entry.value, self.entry.cursor_position = typing, at

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
