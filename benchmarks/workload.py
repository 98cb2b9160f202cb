"""What a fair day asks of its lanes: who buys what, how they pay, and when things break.

Pure and seeded — the same seed gives the same day — and shared by ``python -m
benchmarks.fair_day`` and its short version in the tests. The products come from the catalog
the lanes sell from (:func:`catalog_codes`); nothing here touches a lane.

A lane's day (:class:`LanePlan`) is a list of sales (:class:`SalePlan`): 40 % of them produce
only, weighed on the two price-per-kilo classes; the rest 2–11 lines (mean 6.5) of groceries
(by PLU or barcode) and produce (weighed on the lane's scale, or bagged at a weighing station
and scanned by its label); paid with 1–4 tenders, the last one cash that often brings change —
in another currency, or sent back by pago móvil; now and then a sale voided or partly refunded
right after, and one sale held while the next customer is served. The fault windows are sale
numbers of that lane; the site-wide events (:data:`DAY_EVENTS`) are fractions of every
lane's sales done.
"""

from __future__ import annotations

import csv
import random
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
CLASSES = ("G", "M")  # the feria's two prices per kilo
ELECTRONIC = (("card", "VES"), ("pago_movil", "VES"), ("biopago", "VES"))


@dataclass(frozen=True)
class Codes:
    """What the catalog sells: produce by the kilo (on a class), groceries by the piece."""

    produce: tuple[str, ...]
    groceries: tuple[str, ...]
    barcodes: tuple[str, ...]


def catalog_codes(path: Path = FIXTURES / "feria-catalog.csv") -> Codes:
    produce, groceries, barcodes = [], [], []
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["type"] != "product":
                continue
            if row["unit"] == "kg" and row["price_class"]:
                produce.append(row["code"])
            elif row["unit"] == "each":
                groceries.append(row["code"])
                if row["barcode"]:
                    barcodes.append(row["barcode"])
    return Codes(tuple(produce), tuple(groceries), tuple(barcodes))


@dataclass(frozen=True)
class Item:
    """One line: ``how`` is ``scale`` (weighed at the lane), ``label`` (a station's label),
    ``class`` (a price class weighed at the lane), ``plu`` (counted) or ``barcode``."""

    how: str
    code: str
    grams: int = 0
    count: int = 0


@dataclass(frozen=True)
class Payment:
    method: str
    currency: str


@dataclass(frozen=True)
class SalePlan:
    items: tuple[Item, ...]
    payments: tuple[Payment, ...]  # the last one pays what is left (cash: with change)
    change_currency: str = "USD"
    change_by_pago_movil: bool = False
    then: str = ""  # "void", "refund" (its first line) or "hold" (finished after the next)


@dataclass(frozen=True)
class LanePlan:
    site: int
    lane: int  # the lane's number at its site, from 1
    seed: int
    sales: tuple[SalePlan, ...]
    network: str = "hub"  # "hub", or "usb": no network at all, a bundle at the end
    till: bool = False  # the real till in a terminal, typed at, instead of headless
    kill_at: int | None = None  # (till) SIGKILLed in the middle of this sale
    paper_out: tuple[int, int] | None = None  # the printer out of paper for these sales
    scale_out: tuple[int, int] | None = None  # the scale unplugged for these sales
    float_usd: int = 5000  # the float, minor units
    float_ves: int = 10_000_000

    @property
    def device(self) -> str:
        return f"S{self.site}L{self.lane:02d}"

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> LanePlan:
        sales = tuple(SalePlan(
            items=tuple(Item(**item) for item in sale["items"]),
            payments=tuple(Payment(**p) for p in sale["payments"]),
            change_currency=sale["change_currency"],
            change_by_pago_movil=sale["change_by_pago_movil"], then=sale["then"])
            for sale in data["sales"])
        window = {key: tuple(data[key]) if data[key] is not None else None
                  for key in ("paper_out", "scale_out")}
        return cls(**{**data, "sales": sales, **window})


@dataclass(frozen=True)
class DayEvent:
    at: float  # fraction of the day's sales done
    what: str  # "cut" / "mend" (a site's uplink), "kill_hub" / "start_hub", "midday"
    site: int = 0


# Each site's uplink down for a stretch, one hub killed and started again, the rate and the
# catalog changed at the centre at midday.
DAY_EVENTS = (
    DayEvent(0.15, "cut", 0), DayEvent(0.40, "mend", 0),
    DayEvent(0.25, "cut", 1), DayEvent(0.50, "mend", 1),
    DayEvent(0.50, "midday"),
    DayEvent(0.60, "kill_hub", 1), DayEvent(0.65, "start_hub", 1),
)


def produce_grams(rng: random.Random) -> int:
    """A bag of produce: 150 g to 4 kg, to the gram a scale shows (5 g steps)."""
    return rng.randrange(150, 4000, 5)


def sale_plan(rng: random.Random, codes: Codes, till: bool = False) -> SalePlan:
    if rng.random() < 0.40:  # produce only, on the two classes
        items = [Item("class", rng.choice(CLASSES), produce_grams(rng))
                 for _ in range(rng.randint(1, 4))]
    else:
        items = []
        for _ in range(rng.randint(2, 11)):
            roll = rng.random()
            if roll < 0.25:
                items.append(Item("scale", rng.choice(codes.produce), produce_grams(rng)))
            elif roll < 0.40:
                items.append(Item("label", rng.choice(codes.produce), produce_grams(rng)))
            elif roll < 0.75 or till:
                items.append(Item("plu", rng.choice(codes.groceries), count=rng.randint(1, 3)))
            else:
                items.append(Item("barcode", rng.choice(codes.barcodes), count=1))
    if till:  # typed at the till: paid in cash, Enter alone, the due in dollars
        return SalePlan(tuple(items), (Payment("cash", "USD"),))
    tenders = rng.choices((1, 2, 3, 4), weights=(50, 30, 15, 5))[0]
    payments = [Payment(*rng.choice((*ELECTRONIC, ("cash", "VES"))))
                for _ in range(tenders - 1)]
    last = rng.random()
    payments.append(Payment("cash", "USD") if last < 0.6 else Payment("cash", "VES")
                    if last < 0.85 else Payment(*rng.choice(ELECTRONIC)))
    change = "VES" if payments[-1].currency == "VES" or rng.random() < 0.5 else "USD"
    by_pago_movil = payments[-1].method == "cash" and rng.random() < 0.08
    if by_pago_movil:
        change = "VES"
    roll = rng.random()
    then = "void" if roll < 0.02 else "refund" if roll < 0.035 else ""
    return SalePlan(tuple(items), tuple(payments), change, by_pago_movil, then)


def fair_day(sites: int = 2, lanes: int = 10, sales: int | None = None, till_sales: int = 40,
             seed: int = 2026, till: bool = True) -> list[LanePlan]:
    """Every lane's day. Site 0's first lane is the till typed at in a terminal (``till``),
    SIGKILLed mid-sale; site 0's second lane runs out of paper for a stretch; the last site's
    second lane has its scale unplugged for a stretch; the last site's last lane has no network
    at all (a USB bundle at the end)."""
    codes = catalog_codes()
    plans = []
    for site in range(sites):
        for number in range(1, lanes + 1):
            lane_seed = seed * 1000 + site * 100 + number
            rng = random.Random(lane_seed)
            is_till = till and site == 0 and number == 1
            count = sales if sales is not None else rng.randint(150, 600)
            if is_till:
                count = min(count, till_sales)
            plan = [sale_plan(rng, codes, is_till) for _ in range(count)]
            if count >= 3 and not is_till:  # one customer steps aside, the next one is served
                held = count // 3
                plan[held] = SalePlan(plan[held].items, plan[held].payments,
                                      plan[held].change_currency,
                                      plan[held].change_by_pago_movil, "hold")
            stretch = (count * 3 // 10, max(count * 3 // 10 + 1, count * 11 // 20))
            plans.append(LanePlan(
                site=site, lane=number, seed=lane_seed, sales=tuple(plan),
                network="usb" if site == sites - 1 and number == lanes and lanes > 1
                else "hub",
                till=is_till, kill_at=count // 2 if is_till else None,
                paper_out=stretch if site == 0 and number == min(2, lanes) and not is_till
                else None,
                scale_out=stretch if site == sites - 1 and number == min(2, lanes)
                and not is_till else None))
    return plans
