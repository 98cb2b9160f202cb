"""The weighing station: a volunteer at a scale picks a product, puts a bag on the scale, and
prints the label the lane scans.

One screen. The product stays picked for the next bag; the scale's accepted weight (the till's
stable-weight rule) is taken by F1 or Enter, once per bag — the next label needs the goods off
the scale and the next ones on. Each label is journaled with its print job in a worker
thread, and printed by another; the screen never waits on the disk, the scale or the printer.
"""

from __future__ import annotations

import re
import threading
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from rich.markup import escape
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable, Footer, Input, OptionList, Static
from textual.worker import Worker, WorkerState

from fairpos.domain.cart import line_amount
from fairpos.domain.catalog import Catalog, Product
from fairpos.domain.money import Money, Rates
from fairpos.domain.quantity import parse_quantity
from fairpos.domain.station import WeighedLabel
from fairpos.domain.typed import TypedError
from fairpos.errors import FairposError
from fairpos.i18n import N_, _, active, format_grams, format_money
from fairpos.lane import Lane
from fairpos.scale.frames import Answer, Command
from fairpos.tui.app import printer_ready, watch_scale, watch_scanner
from fairpos.tui.base import TillScreen, list_products, sentence
from fairpos.tui.keys_in_order import KeysInOrder
from fairpos.tui.messages import (
    PrinterChanged,
    Refused,
    ScaleCommanded,
    ScaleReading,
    Scanned,
    ScannerChanged,
)
from fairpos.tui.themes import use_theme

if TYPE_CHECKING:
    pass

SHOWN_LABELS = 200  # the newest labels listed on screen
# a weight typed by hand: 1.250, 1,25, 850g, 2kg (digits alone are a PLU)
_WEIGHT = re.compile(r"[\d.,]+\s*(kg|g)?", re.IGNORECASE)


class StationLoaded(Message, bubble=False):
    def __init__(self, catalog: Catalog, rates: Rates, today: list[dict[str, Any]]) -> None:
        super().__init__()
        self.catalog, self.rates, self.today = catalog, rates, today


class LabelMade(Message, bubble=False):
    """A label is journaled and queued for printing."""

    def __init__(self, label: WeighedLabel, job: int) -> None:
        super().__init__()
        self.label, self.job = label, job


def make_station(lane: Lane, cursor_blink: bool = True) -> StationApp:
    """The weighing station for ``lane``'s data folder: what ``fairpos station`` runs."""
    return StationApp(lane, cursor_blink)


class StationScreen(TillScreen):
    BINDINGS = [
        Binding("f1", "label", N_("Print label"), id="label"),
        Binding("escape", "clear", N_("Other product"), id="clear"),
        Binding("ctrl+z", "scale_command('zero')", N_("Zero"), id="zero", show=False),
        Binding("ctrl+t", "tare", N_("Tare"), id="tare", show=False),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.product: Product | None = None

    @property
    def station(self) -> StationApp:
        assert isinstance(self.app, StationApp)
        return self.app

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        with Horizontal(id="main"):
            with Vertical(id="weighing"):
                yield Static(id="product")
                yield Static(id="weight")
                yield Static(id="amounts")
                yield OptionList(id="results")
            yield DataTable(id="labels", cursor_type="row", zebra_stripes=True)
        yield Static(id="message")
        yield Input(id="entry", placeholder=_("PLU or name of the product"))
        yield Footer(compact=True, show_command_palette=False)

    def on_mount(self) -> None:
        table = self.query_one("#labels", DataTable)
        # (the product last: a long name is what may be cut, never the code)
        table.add_columns(_("Time"), _("Weight"), _("Amount"), _("Code"), _("Product"))
        self.query_one("#results", OptionList).display = False
        self.query_one("#entry", Input).focus()
        self.refresh_all()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("scale_command", "tare"):
            return self.station.weighing.configured
        return True

    # -- what is shown ---------------------------------------------------------------------

    def refresh_all(self) -> None:
        self.show_status()
        self.show_product()
        self.scale_changed()

    def show_status(self) -> None:
        app = self.station
        self.query_one("#status", Static).update(" · ".join([
            app.settings.fair.name, _("Weighing station"),
            _("Printer: {state}").format(state=app.printer_status),
            _("Scale: {state}").format(state=app.weighing.status())]))

    def show_product(self) -> None:
        catalog = self.station.catalog
        product = self.product
        if product is None or catalog is None:
            text = _("Type the PLU or the name of the product, then Enter.")
        else:
            price = format_money(Money(catalog.unit_price(product), catalog.currency), active())
            text = f"[b]{escape(product.name(active()))}[/b]  {product.plu}\n" + \
                _("{price} a kilo").format(price=price)
        self.query_one("#product", Static).update(text)

    def scale_changed(self) -> None:
        weighing = self.station.weighing
        reading = weighing.reading
        grams = reading.grams if reading is not None else None
        shown = format_grams(grams, active()) if grams is not None else "—"
        if not weighing.configured:
            state = _("no scale: type the weight")
        elif weighing.accepted is not None and weighing.used:
            state = _("label printed")  # (what the till calls "already on the sale")
        else:
            state = weighing.state()
        tare = weighing.tare_text()
        if tare is not None:
            state += "\n" + tare
        weight = self.query_one("#weight", Static)
        weight.update(f"[b]{shown}[/b]\n{state}")
        weight.set_class(weighing.moving, "moving")
        weight.set_class(weighing.trouble and weighing.configured, "error")
        net = None
        if weighing.ready and grams is not None:
            try:
                net = weighing.net(grams, from_scale=True)[0]
            except FairposError:
                net = None
        self.show_amounts(net)
        self.show_status()

    def show_amounts(self, grams: int | None) -> None:
        """What the weight on the scale comes to, in each currency, before it is printed."""
        app, product = self.station, self.product
        text = ""
        if product is not None and app.catalog is not None and grams:
            amount = line_amount(app.catalog.unit_price(product), grams=grams)
            text = "  ".join(format_money(app.rates.express(amount, code), active())
                             for code in app.rates.currencies())
        self.query_one("#amounts", Static).update(text)

    def say(self, text: str, error: bool = False) -> None:
        message = self.query_one("#message", Static)
        message.update(Text(sentence(text)))  # (wrapped when long: never cut)
        message.set_class(error, "error")

    def on_refused(self, message: Refused) -> None:
        message.prevent_default()  # (said here: not in a notice too)
        self.say(message.text, error=True)

    # -- picking the product -------------------------------------------------------------

    @on(Input.Changed, "#entry")
    def _typing(self, event: Input.Changed) -> None:
        results = self.query_one("#results", OptionList)
        text = event.value.strip()
        catalog = self.station.catalog
        if catalog is not None and any(c.isalpha() for c in text) and \
                catalog.price_class(text) is None:
            list_products(results, [p for p in catalog.search(text, limit=40)
                                    if p.unit == "kg"][:20], catalog)
        else:
            results.display = False

    def on_key(self, event: events.Key) -> None:
        """↑↓ move through the products found while the name is typed."""
        results = self.query_one("#results", OptionList)
        if results.display and event.key in ("up", "down"):
            if event.key == "up":
                results.action_cursor_up()
            else:
                results.action_cursor_down()
            event.stop()

    @on(Input.Submitted, "#entry")
    def _submit(self, event: Input.Submitted) -> None:
        try:
            self.enter(event.value)
        except FairposError as err:
            self.say(str(err), error=True)

    def enter(self, text: str) -> None:
        catalog = self.station.catalog
        if catalog is None:
            return
        entry = self.query_one("#entry", Input)
        results = self.query_one("#results", OptionList)
        text = text.strip()
        if results.display and results.highlighted is not None:
            plu = str(results.get_option_at_index(results.highlighted).id)
            results.display = False
            entry.value = ""
            self.pick(catalog.product(plu))
            return
        if not text:
            self.action_label()
            return
        if _WEIGHT.fullmatch(text) and not text.isdigit():
            # a weight typed by hand (no scale, or one that cannot read this bag)
            if self.product is None:
                raise TypedError(_("pick the product first (its PLU or name)"))
            grams = parse_quantity(text.replace(",", ".")).grams
            if grams is None:
                raise TypedError(_("“{text}”: give a weight such as 1.250").format(text=text))
            entry.value = ""
            self.make_label(grams, None)
            return
        if catalog.price_class(text) is not None:
            raise TypedError(_("a label names a product: pick one of the class (its PLU or "
                               "name)"))
        product = catalog.product(text)
        if product is None:
            raise TypedError(_("unknown PLU “{code}”").format(code=text))
        entry.value = ""
        self.pick(product)

    def scanned(self, code: str) -> None:
        """A code from the scanner (or a scanner-scale): the product it names is picked, and
        what the volunteer was typing stays as it was."""
        catalog = self.station.catalog
        if catalog is None:
            return
        product = catalog.product(code)
        try:
            if product is None:
                raise TypedError(_("unknown PLU “{code}”").format(code=code))
            self.pick(product)
        except FairposError as err:
            self.say(str(err), error=True)

    def pick(self, product: Product | None) -> None:
        if product is None:
            return
        if product.unit != "kg":
            raise TypedError(_("{name} is sold by the piece: it is rung up at the lane, "
                               "without a label").format(name=product.name(active())))
        self.product = product
        self.query_one("#entry", Input).placeholder = (
            _("F1 or Enter: the label · another PLU or name") if self.station.weighing.configured
            else _("The weight, e.g. 1.250 · another PLU or name"))
        self.show_product()
        self.scale_changed()
        self.say(_("{name}: put the bag on the scale, then F1 or Enter.").format(
            name=product.name(active())))

    def action_clear(self) -> None:
        self.product = None
        self.query_one("#entry", Input).placeholder = _("PLU or name of the product")
        self.query_one("#entry", Input).value = ""
        self.query_one("#results", OptionList).display = False
        self.show_product()
        self.show_amounts(None)
        self.say("")

    # -- the label -------------------------------------------------------------------------

    def action_label(self) -> None:
        if self.product is None:
            self.say(_("pick the product first (its PLU or name)"), error=True)
            return
        weighing = self.station.weighing
        if weighing.configured and weighing.accepted is not None and weighing.used:
            self.say(_("this bag has its label: put the next one on the scale"), error=True)
            return
        try:
            reading = weighing.weight()
            assert reading.grams is not None
            grams = weighing.net(reading.grams, from_scale=True)[0]
        except FairposError as err:
            self.say(str(err), error=True)
            return
        weighing.put_on_sale()  # one label per bag
        self.make_label(grams, reading.raw.hex())

    def make_label(self, grams: int, frame: str | None) -> None:
        product = self.product
        assert product is not None
        self.station.label(product, grams, frame)

    def list_label(self, at: str, name: str, grams: int, amount: Money, code: str) -> None:
        """One more label in the list, the newest last (and in view)."""
        language = active()
        table = self.query_one("#labels", DataTable)
        table.add_row(at, format_grams(grams, language), format_money(amount, language), code,
                      name)
        while table.row_count > SHOWN_LABELS:
            table.remove_row(table.coordinate_to_cell_key(Coordinate(0, 0)).row_key)
        table.move_cursor(row=table.row_count - 1)

    def list_labels(self, labels: list[dict[str, Any]]) -> None:
        """Today's labels from before the station (re)started."""
        english = active() == "en"
        for row in labels:
            name = str(row["name_en"] if english and row["name_en"] else row["name_es"])
            self.list_label(str(row["weighed_at"])[11:16], name,
                            int(row["grams"]), Money(int(row["amount"]), str(row["currency"])),
                            str(row["code"]))

    @on(LabelMade)
    def _made(self, message: LabelMade) -> None:
        label = message.label
        language = active()
        self.list_label(self.station.lane.now().strftime("%H:%M"), label.name(language),
                        label.grams, Money(label.amount, label.currency), label.code)
        self.say(_("Label {code}: {name}, {weight}, {amount}").format(
            code=label.code, name=label.name(language),
            weight=format_grams(label.grams, language),
            amount=format_money(Money(label.amount, label.currency), language)))
        self.scale_changed()

    def action_scale_command(self, command: Command) -> None:
        self.station.scale_command(command)

    def action_tare(self) -> None:
        """Ctrl+T: the steady weight on the scale is the tare (the scale's, or the station's
        if the scale does not take it); with nothing more than the tare on it, it is cleared."""
        weighing = self.station.weighing
        if weighing.tare is not None and not weighing.goods_on:
            if weighing.tare.by_scale:
                self.station.scale_command("clear_tare")
            else:
                self.say(weighing.tare_typed(0))
                self.scale_changed()
            return
        accepted = weighing.accepted
        if accepted is None or not accepted.grams:
            self.say(_("put the container alone on the scale and wait until it is steady"),
                     error=True)
            return
        weighing.asked_tare = accepted.grams
        self.station.scale_command("tare")

    def scale_answered(self, said: str, problem: bool) -> None:
        self.say(said, error=problem)


class StationApp(KeysInOrder):
    """A weighing station: the scale, the printer and the journal of one data folder."""

    CSS_PATH = "till.tcss"
    TITLE = "fairpos"
    BINDINGS = [Binding("ctrl+q", "quit", N_("Quit"), id="quit", priority=True)]

    def __init__(self, lane: Lane, cursor_blink: bool = True) -> None:
        super().__init__()
        use_theme(self, lane.settings.ui.theme)
        self.animation_level = "none"
        self.lane = lane
        self.settings = lane.settings
        self.cursor_blink = cursor_blink
        self.catalog: Catalog | None = None
        self.rates = Rates(self.settings.money.currency, {})
        self._printing = threading.Lock()
        self.can_print, self.printer_status = printer_ready(lane)
        self.scale_watch, self.weighing = watch_scale(self, self.settings)
        self.scanner_watch = watch_scanner(self, self.settings)

    @property
    def screen_of_station(self) -> StationScreen | None:
        screen = self.screen
        return screen if isinstance(screen, StationScreen) else None

    def on_mount(self) -> None:
        self.push_screen(StationScreen())
        self._load()
        if self.scale_watch is not None:
            self.scale_watch.start()
        if self.scanner_watch is not None:
            self.scanner_watch.start()
        if self.can_print:
            self._print_worker(skip_before=True)

    def on_unmount(self) -> None:
        if self.scale_watch is not None:
            self.scale_watch.stop()
        if self.scanner_watch is not None:
            self.scanner_watch.stop()
        self.lane.close()

    @on(Scanned)
    def _scanned(self, message: Scanned) -> None:
        screen = self.screen_of_station
        if screen is not None:
            screen.scanned(message.code)

    @on(ScannerChanged)
    def _scanner_changed(self, message: ScannerChanged) -> None:
        if not message.ready:
            self.notify(_("The barcode scanner is disconnected ({reason}); typing works, and "
                          "it is looked for again.").format(reason=message.problem),
                        severity="warning")

    @work(thread=True, group="journal", exit_on_error=False)
    def _load(self) -> None:
        settings = self.settings
        lane = self.lane
        try:
            loaded = StationLoaded(lane.catalog(), lane.rates(
                settings.money.currency, settings.accepted_currencies),
                lane.labels_of(self.lane.now().date().isoformat())[-SHOWN_LABELS:])
        except FairposError as err:
            self.post_message(Refused(str(err)))
            return
        self.post_message(loaded)

    @on(StationLoaded)
    def _loaded(self, message: StationLoaded) -> None:
        self.catalog, self.rates = message.catalog, message.rates
        screen = self.screen_of_station
        if screen is not None:
            screen.refresh_all()
            screen.list_labels(message.today)

    @on(Refused)
    def _refused(self, message: Refused) -> None:
        if self.screen_of_station is not None:
            self.screen_of_station.say(message.text, error=True)

    def label(self, product: Product, grams: int, frame: str | None) -> None:
        """Journal a label and queue it (a worker), then print what waits (another)."""
        self._label_worker(product, grams, frame)

    @work(thread=True, group="journal", exit_on_error=False)
    def _label_worker(self, product: Product, grams: int, frame: str | None) -> None:
        try:
            label, job = self.lane.label(product, grams, frame)
        except FairposError as err:
            if frame is not None:  # no label came of this bag: F1 may take its weight again
                self.call_from_thread(setattr, self.weighing, "used", False)
            self.post_message(Refused(str(err)))
            return
        screen = self.screen_of_station
        if screen is not None:
            screen.post_message(LabelMade(label, job))
        if self.can_print:
            self.call_from_thread(self._print_worker)

    @work(thread=True, group="printer", exit_on_error=False)
    def _print_worker(self, skip_before: bool = False) -> None:
        with self._printing:
            if skip_before:  # labels of another day, or older than [printer] backlog_minutes,
                now = self.lane.now()  # are not printed when the station starts: their bags
                minutes = self.settings.printer.backlog_minutes  # are gone
                since = (now - timedelta(minutes=minutes) if minutes > 0 else
                         now.replace(hour=0, minute=0, second=0, microsecond=0))
                self.lane.skip_prints(since)
            result = self.lane.print_pending()
        self.post_message(PrinterChanged(result.failed, result.pending, result.uncertain,
                                         result.paper_low if result.printed else None))

    @on(PrinterChanged)
    def _printer_changed(self, message: PrinterChanged) -> None:
        waiting = (_("{count} waiting").format(count=message.pending)
                   if message.pending > 0 else "")
        self.printer_status = " · ".join(p for p in (message.problem or _("ready"), waiting)
                                         if p)
        if self.screen_of_station is not None:
            self.screen_of_station.show_status()

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        if event.state != WorkerState.ERROR:
            return
        if event.worker.group == "printer":
            self.post_message(PrinterChanged(str(event.worker.error), -1))
        else:
            self.post_message(Refused(_(
                "The journal could not save that ({error}); nothing was written. Try again; "
                "if it keeps failing, call for help.").format(error=event.worker.error)))

    @on(ScaleReading)
    def _scale_read(self, message: ScaleReading) -> None:
        self.weighing.read(message.reading, message.accepted)
        if self.screen_of_station is not None:
            self.screen_of_station.scale_changed()

    @on(ScaleCommanded)
    def _scale_commanded(self, message: ScaleCommanded) -> None:
        said, problem = self.weighing.answered(message.command, message.answer)
        screen = self.screen_of_station
        if screen is not None:
            screen.scale_changed()
            screen.scale_answered(said, problem)

    def scale_command(self, command: Command) -> None:
        if self.scale_watch is None:
            return
        if not self.scale_watch.scale.takes(command):
            self.post_message(ScaleCommanded(command, Answer("unsupported")))
            return
        self.scale_watch.command(command)
