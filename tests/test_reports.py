"""X and Z reports add up to exactly what the journal holds."""

from __future__ import annotations

import random
from collections import Counter, defaultdict

from fairpos.domain.cart import Cart
from fairpos.domain.money import Money
from fairpos.domain.quantity import Quantity
from fairpos.domain.tenders import Tender
from fairpos.journal import DB_NAME, Journal
from fairpos.presets import example
from fairpos.settings import parse_settings
from harness.lanes import LaneDir

# These sales give large change on purpose: no second confirmation up to 1,000 USD here.
SETTINGS = parse_settings(example("feria"),
                          {"FAIRPOS_MONEY__MAX_CHANGE": "USD:1000"})


def _ring_up(store: Journal, rng: random.Random, count: int) -> None:
    catalog = store.catalog()
    rates = store.rates("USD", ["USD", "VES"])
    codes = list(catalog.products) + list(catalog.price_classes)
    sales = []
    for _ in range(count):
        cart = Cart("USD")
        for _ in range(rng.randint(1, 6)):
            code = rng.choice(codes)
            product = catalog.product(code)
            if product is None or product.unit == "kg":
                cart.add(catalog, code, Quantity(grams=rng.randint(10, 9000)))
            else:
                cart.add(catalog, code, Quantity(count=rng.randint(1, 5)))
        if len(cart.lines) > 1 and rng.random() < 0.2:
            cart.void(1)
        ves = rates.express(cart.total.minor // 2, "VES")
        tenders = [Tender("cash", ves)] if ves.minor else []
        tenders.append(Tender("cash", Money(cart.total.minor, "USD")))
        sales.append(store.confirm_sale(cart, tenders, rng.choice(["USD", "VES"]), SETTINGS))
    for sale in rng.sample(sales, 3):
        store.void_sale(sale.id, "test")
    refundable = [s for s in sales if s.id not in {v.ref_id for v in store.sales(1)}]
    first = next(n for n, line in enumerate(refundable[0].lines, start=1) if not line.voided)
    store.refund(refundable[0].id, [first], "test", "VES", SETTINGS)


def test_x_and_z_reports_match_the_journal(feria: LaneDir) -> None:
    store = Journal.open(feria.path / DB_NAME)
    _ring_up(store, random.Random(7), 40)
    entries = store.sales(1)
    x = store.report(SETTINGS, shift_id=1).to_json()
    kinds = Counter(e.kind for e in entries)
    assert x["kind"] == "X"
    assert (x["sales_count"], x["voids"]["count"], x["refunds"]["count"]) == (
        kinds["sale"], kinds["void"], kinds["refund"])
    assert x["total"] == Money(sum(e.total.minor for e in entries), "USD").plain()
    tenders: dict[tuple[str, str], int] = defaultdict(int)
    change: dict[str, int] = defaultdict(int)
    for e in entries:
        for t in e.tenders:
            tenders[(t.method, t.amount.currency)] += t.amount.minor
        change[e.change.currency] += e.change.minor
    assert {(t["method"], t["currency"]): t["amount"] for t in x["tenders"]} == {
        k: Money(v, k[1]).plain() for k, v in tenders.items()}
    assert x["change"] == {c: Money(v, c).plain() for c, v in change.items() if v}
    grams: dict[str, int] = defaultdict(int)
    for e in entries:
        for line in e.lines:
            if not line.voided and line.price_class:
                grams[line.price_class] += line.grams or 0
    assert {c["code"]: c["grams"] for c in x["price_classes"]} == dict(grams)
    assert x["line_voids"] == sum(line.voided for e in entries for line in e.lines)
    # Close with exactly the expected figures: the Z report repeats the same totals.
    expected = store.expected_counts(1)
    closed = store.close_shift(expected, SETTINGS)
    z = store.report(SETTINGS, shift_id=closed.shift.id).to_json()
    assert z["kind"] == "Z" and all(c["difference"].strip("-0.") == "" for c in z["counts"])
    assert {k: z[k] for k in ("total", "tenders", "change", "products", "price_classes")} == {
        k: x[k] for k in ("total", "tenders", "change", "products", "price_classes")}
    cash_usd = next(c for c in z["counts"] if (c["method"], c["currency"]) == ("cash", "USD"))
    assert cash_usd["expected"] == Money(2000 + tenders[("cash", "USD")] - change["USD"],
                                         "USD").plain()
