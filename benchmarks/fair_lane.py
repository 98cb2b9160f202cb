"""One lane of the simulated fair day, headless: a process of its own selling its plan.

It does what the till does, without the screen: each sale is built on the lane's catalog
(weights read from its scale on a pseudo-terminal, station labels scanned, goods by PLU or
barcode), confirmed through the lane (:meth:`fairpos.lane.Lane.sell`, the path the till and
``fairpos sell`` take), its receipt printed on its network printer, and the lane's sync process
(``fairpos sync-worker``, the till's) woken to send it to the site's hub. The printer and the
scale are fakes speaking the real bytes, owned by this process so that it can take the paper
out and unplug the scale when its plan says.

    python -m benchmarks.fair_lane DATA_DIR PLAN.json RESULT.json

Prints ``sold N`` after each sale (the day's conductor follows the progress) and writes what
it saw to RESULT.json; the printer's bytes go to DATA_DIR/printed.bin.
"""

from __future__ import annotations

import json
import os
import random
import sys
import time
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from pathlib import Path

from benchmarks.workload import Item, LanePlan, SalePlan
from fairpos import i18n
from fairpos.domain.cart import Cart
from fairpos.domain.money import Money
from fairpos.domain.quantity import Quantity
from fairpos.domain.station import weigh
from fairpos.domain.tenders import (
    ALLOWED_REFERENCES,
    Tender,
    make_change_tender,
    make_tender,
    settle,
)
from fairpos.lane import Lane
from fairpos.scale.port import Scale
from fairpos.sync.loop import SyncStatus
from fairpos.sync.worker import SyncProcess
from harness.fake_printer import ONLINE, PAPER_OUT, FakePrinter
from harness.fake_scale import FakeScale

LABEL_LAYOUT = "2 1 PPPP C WWWWW C"


@dataclass
class Seen:
    sales: int = 0
    voids: int = 0
    refunds: int = 0
    held: int = 0
    weighed_at_scale: int = 0
    weighed_by_hand: int = 0  # the scale unplugged: the volunteer typed the weight
    labels: int = 0
    change_sent: int = 0
    print_failures: int = 0
    entries: list[str] = field(default_factory=list)
    events: dict[str, float] = field(default_factory=dict)  # what happened, when (monotonic)
    sync: str = ""


class HeadlessLane:
    def __init__(self, folder: Path, plan: LanePlan) -> None:
        self.folder, self.plan = folder, plan
        self.rng = random.Random(plan.seed + 1)
        self.printer = FakePrinter()
        self.scale = FakeScale("sics", grams=0, link=folder / "ttyScale")
        os.environ["FAIRPOS_PRINTER__URL"] = self.printer.url
        os.environ["FAIRPOS_SCALE__URL"] = str(folder / "ttyScale")
        os.environ["FAIRPOS_SCALE__PROTOCOL"] = "sics"
        self.lane = Lane(folder)
        self.settings = self.lane.settings
        self.reader = Scale(self.settings.scale, timeout=0.5)
        self.seen = Seen()
        self.sync: SyncProcess | None = None
        ledger = self.settings.ledger
        if plan.network == "hub" and ledger.url and ledger.token:
            self.sync = SyncProcess(folder, ledger.url, ledger.token, 1.0, "es", self._heard)

    def _heard(self, status: SyncStatus) -> None:
        self.seen.sync = status.problem or ""

    # -- the day ---------------------------------------------------------------------------

    def run(self) -> Seen:
        journal = self.lane.journal
        if journal.current_shift() is None:
            journal.open_shift(f"Voluntario {self.plan.device}",
                               {"USD": self.plan.float_usd, "VES": self.plan.float_ves})
        if self.sync is not None:
            self.sync.start()
        held: tuple[int, SalePlan] | None = None
        for number, sale in enumerate(self.plan.sales):
            self._faults(number)
            if sale.then == "hold":
                held = (self.lane.hold(self.cart(sale)), sale)
                self.seen.held += 1
                continue
            self.ring(sale, self.cart(sale))
            if held is not None:  # the customer who stepped aside comes back
                recalled = self.lane.recall(held[0])
                self.ring(held[1], recalled.cart, recalled.held)
                held = None
        if held is not None:
            recalled = self.lane.recall(held[0])
            self.ring(held[1], recalled.cart, recalled.held)
        self._faults(len(self.plan.sales))
        self._print()
        if self.sync is not None:
            self.sync.stop()
        self.scale.unplug()
        (self.folder / "printed.bin").write_bytes(bytes(self.printer.received))
        self.printer.close()
        return self.seen

    def _faults(self, number: int) -> None:
        plan, events = self.plan, self.seen.events
        if plan.paper_out is not None:
            if number == plan.paper_out[0]:
                self.printer.paper = PAPER_OUT
                events["paper_out"] = time.monotonic()
            elif number == plan.paper_out[1]:
                self.printer.paper = ONLINE
                events["paper_back"] = time.monotonic()
        if plan.scale_out is not None:
            if number == plan.scale_out[0]:
                self.scale.unplug()
                events["scale_unplugged"] = time.monotonic()
            elif number == plan.scale_out[1]:
                self.scale = FakeScale("sics", grams=0, link=self.folder / "ttyScale")
                events["scale_plugged"] = time.monotonic()

    # -- one customer ----------------------------------------------------------------------

    def weighed(self, item: Item) -> tuple[Quantity, str | None]:
        """The bag on the lane's scale, read once it is steady; typed by hand when the scale
        does not answer (as the till lets a volunteer do)."""
        self.scale.grams = item.grams
        reading = self.reader.read()
        if reading.weight_ok and reading.grams == item.grams:
            self.seen.weighed_at_scale += 1
            return Quantity(grams=item.grams), reading.raw.hex()
        self.seen.weighed_by_hand += 1
        return Quantity(grams=item.grams), None

    def cart(self, sale: SalePlan) -> Cart:
        journal = self.lane.journal
        catalog = journal.catalog()
        cart = Cart(catalog.currency)
        layouts = self.settings.barcode_layouts
        for item in sale.items:
            if item.how in ("scale", "class"):
                quantity, frame = self.weighed(item)
                cart.add(catalog, item.code, quantity, scale_frame=frame)
            elif item.how == "label":
                product = catalog.product(item.code)
                assert product is not None
                label = weigh(catalog, product, item.grams, layouts[0])
                cart.scan(catalog, label.code, layouts)
                self.seen.labels += 1
            else:
                cart.add(catalog, item.code, Quantity(count=item.count or 1))
        return cart

    def ring(self, sale: SalePlan, cart: Cart, held: tuple[int, ...] = ()) -> None:
        lane, settings = self.lane, self.settings
        rates = lane.journal.rates(settings.money.currency, settings.accepted_currencies)
        tenders: list[Tender] = []
        reference = {"ref": "", "bank": "0102", "phone": "04141234567"}
        for n, payment in enumerate(sale.payments):
            due = settle(cart.total, tenders, rates, sale.change_currency).due_in(
                rates, payment.currency, payment.method)
            if due.minor <= 0:
                break
            last = n == len(sale.payments) - 1
            amount = due.minor if last else max(1, due.minor * self.rng.randint(20, 60) // 100)
            if last and payment.method == "cash":  # bills: up to the next 5 $ or 500 Bs
                step = Decimal(5 if payment.currency == "USD" else 500)
                whole = (Decimal(amount) / 100 / step).to_integral_value(ROUND_CEILING) * step
                amount = int(whole * 100)
            number = {**reference, "ref": f"{self.plan.seed % 10_000:04d}{self.seen.sales:05d}{n}"}
            ref = {key: value for key, value in number.items()  # what the method carries
                   if key in ALLOWED_REFERENCES.get(payment.method, ())}
            tenders.append(make_tender(payment.method, Money(amount, payment.currency), ref,
                                       accepted=settings.accepted_currencies))
        settlement = settle(cart.total, tenders, rates, sale.change_currency)
        sent: list[Tender] = []
        if sale.change_by_pago_movil and settlement.change.minor > 0:
            back = rates.express(-settlement.remaining, "VES")
            if back.minor > 0:
                sent.append(make_change_tender(back, {
                    **reference, "ref": f"9{self.plan.seed % 10_000:04d}{self.seen.sales:05d}"}))
                self.seen.change_sent += 1
        settlement = settle(cart.total, tenders, rates, sale.change_currency, sent=sent)
        confirmed = lane.sell(cart, tenders, sale.change_currency, held=held,
                              change_ok=settlement.change if settlement.change.minor else None,
                              sent=sent)
        self.seen.sales += 1
        self.seen.entries.append(confirmed.id)
        if sale.then == "void":
            self.seen.entries.append(lane.journal.void_sale(confirmed.id, "desistió").id)
            self.seen.voids += 1
        elif sale.then == "refund":
            self.seen.entries.append(lane.journal.refund(
                confirmed.id, (1,), "producto dañado", settings.money.currency, settings).id)
            self.seen.refunds += 1
        self._print()
        if self.sync is not None:
            self.sync.wake()
        print(f"sold {self.seen.sales}", flush=True)

    def _print(self) -> None:
        """Everything queued, oldest first; out of paper, it waits for the next sale."""
        if self.lane.print_pending().failed is not None:
            self.seen.print_failures += 1


def main() -> None:
    folder, plan_path, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
    i18n.use("es")
    plan = LanePlan.from_json(json.loads(plan_path.read_text()))
    lane = HeadlessLane(folder, plan)
    seen = lane.run()
    out.write_text(json.dumps(seen.__dict__, indent=1))


if __name__ == "__main__":
    main()

