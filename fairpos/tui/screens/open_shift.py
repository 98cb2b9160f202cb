"""Open a shift: who is at the lane, the float counted per currency, training or not."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import Checkbox, Footer, Input, Static

from fairpos.domain.money import Money, MoneyError, parse_amount
from fairpos.i18n import N_, _, typed_amount
from fairpos.tui.base import CountsByPiece, sentence
from fairpos.tui.messages import Refused, ShiftOpened


class OpenShiftScreen(CountsByPiece):
    BINDINGS = [Binding("f2", "open_shift", N_("Open shift"), id="open_shift"),
                Binding("f3", "by_pieces", N_("Bills and coins"), id="float_pieces")]

    def compose(self) -> ComposeResult:
        settings = self.till.settings
        with Vertical(id="open-shift"):
            yield Static(_("[b]{fair}[/b] · lane {lane}").format(
                fair=settings.fair.name, lane=settings.fair.lane), id="open-title")
            yield Static(_("Open a shift. Your name, then the cash counted in the drawer."))
            # (each field keeps its name beside it once it is filled)
            yield Horizontal(Static(_("Volunteer's name"), classes="count-label"),
                             Input(id="volunteer"), classes="count")
            zero = typed_amount(Money(0, settings.money.currency))
            for currency in settings.accepted_currencies:
                self.cash_fields[f"float-{currency}"] = currency
                yield Horizontal(
                    Static(_("Opening cash in {currency}").format(currency=currency),
                           classes="count-label"),
                    Input(id=f"float-{currency}", placeholder=zero), classes="count")
            yield Checkbox(_("Training: sales are practice and do not count"), id="training")
            yield Static(id="open-message")
        yield Footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "by_pieces":  # only where the market counts by bills and coins
            return bool(self.till.settings.denominations)
        return True

    def on_mount(self) -> None:
        self.earlier_date_ok = False  # the volunteer confirmed a date before the last shift's
        self.query_one("#volunteer", Input).focus()

    def say(self, text: str) -> None:
        message = self.query_one("#open-message", Static)
        message.update(Text(sentence(text)))
        message.add_class("error")

    def on_refused(self, message: Refused) -> None:
        message.prevent_default()  # (said here: not in a notice too)
        if message.clock_behind:  # F2 again is the confirmation
            self.earlier_date_ok = True
            self.say(message.text + " " + _("with F2 again."))
            return
        self.say(message.text)

    @on(Input.Submitted)
    def _next(self, event: Input.Submitted) -> None:
        if not self.focus_next_field(event.input):
            self.action_open_shift()

    def action_open_shift(self) -> None:
        volunteer = self.query_one("#volunteer", Input).value.strip()
        if not volunteer:
            self.say(_("the volunteer's name is empty"))
            self.query_one("#volunteer", Input).focus()
            return
        floats: dict[str, int] = {}
        for currency in self.till.settings.accepted_currencies:
            field = self.query_one(f"#float-{currency}", Input)
            try:
                floats[currency] = parse_amount(field.value or "0", currency).minor
            except MoneyError as err:
                self.say(str(err))
                field.focus()
                return
        training = self.query_one("#training", Checkbox).value
        confirmed = self.earlier_date_ok
        pieces = self.pieces_of(floats)
        self.till.run_job(lambda lane: ShiftOpened(lane.open_shift(
            volunteer, floats, training, earlier_date_ok=confirmed, pieces=pieces)), self)

    @on(ShiftOpened)
    def _opened(self, message: ShiftOpened) -> None:
        self.till.shift = message.shift
        self.till.start_over("ring_up")
