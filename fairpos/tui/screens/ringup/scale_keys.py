"""The ring-up screen's scale keys: F1 weighs the product typed or the line selected, Ctrl+Z
zeroes the scale, Ctrl+T tares (the scale's tare when it takes one, else the lane's, typed or
taken off a steady weight)."""

from __future__ import annotations

from textual.widgets import OptionList

from fairpos.domain.cart import Line
from fairpos.domain.catalog import Catalog
from fairpos.domain.quantity import Quantity
from fairpos.domain.typed import AddLine, Search, TypedError, read_typed
from fairpos.errors import FairposError
from fairpos.i18n import (
    _,
    active,
    format_grams,
)
from fairpos.tui.screens.ringup.view import (
    CartView,
    read_tare,
)


class ScaleKeys(CartView):
    """Weighing at the till: F1, Ctrl+Z, Ctrl+T and what the scale answers."""

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
