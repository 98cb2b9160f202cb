"""The week for the assembly: what moved, per price class and per product, week by week.

The assembly that sets next week's per-kilo prices looks at the weeks before it: kilos and
amount per price class over several weeks (a chart across weeks), and per product this week
beside the week before. Training entries are left out; voids and refunds count negatively.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

Rows = Callable[[str, Sequence[Any]], list[Any]]
WEEKS_SHOWN = 8  # weeks of the chart, this one the last


def bigint_sum(expression: str) -> str:
    return f"CAST(SUM({expression}) AS BIGINT)"


def week_sales(rows: Rows, monday: date, fair: str | None, weeks: int = WEEKS_SHOWN
               ) -> dict[str, Any]:
    """Kilos and amount per price class for each of ``weeks`` weeks ending with ``monday``'s,
    and per product for that week and the week before (in the pricing currency)."""
    first = monday - timedelta(days=7 * (weeks - 1))
    sunday = monday + timedelta(days=6)
    # (the lines as summed per day and lane when they were stored: training and voided ones
    # left out)
    where = ("FROM day_lines l JOIN devices d ON d.device_id = l.device_id WHERE "
             "l.business_date BETWEEN ? AND ? AND (CAST(? AS TEXT) IS NULL OR d.fair = ?)")
    starts = [first + timedelta(days=7 * n) for n in range(weeks)]
    classes: dict[str, list[dict[str, int]]] = {}
    currency = None
    for day, price_class, unit, grams, amount in rows(
            f"SELECT l.business_date, l.price_class, l.currency, {bigint_sum('l.grams')}, "
            f"{bigint_sum('l.amount')} {where} AND l.price_class IS NOT NULL GROUP BY 1, 2, 3",
            [first.isoformat(), sunday.isoformat(), fair, fair]):
        currency = currency or unit
        n = (date.fromisoformat(day) - first).days // 7
        per_week = classes.setdefault(price_class, [{"grams": 0, "amount": 0}
                                                    for _ in starts])
        per_week[n]["grams"] += int(grams)
        per_week[n]["amount"] += int(amount)
    before = monday - timedelta(days=7)
    products: dict[tuple[str, str], dict[str, Any]] = {}
    for day, code, name, unit, grams, count, amount in rows(
            f"SELECT l.business_date, l.code, l.name, l.currency, {bigint_sum('l.grams')}, "
            f"{bigint_sum('l.count')}, {bigint_sum('l.amount')} {where} AND l.kind = 'product' "
            "GROUP BY 1, 2, 3, 4",
            [before.isoformat(), sunday.isoformat(), fair, fair]):
        currency = currency or unit
        which = "this" if date.fromisoformat(day) >= monday else "before"
        product = products.setdefault((code, name), {
            "code": code, "name": name,
            "this": {"grams": 0, "count": 0, "amount": 0},
            "before": {"grams": 0, "count": 0, "amount": 0}})
        for key, value in (("grams", grams), ("count", count), ("amount", amount)):
            product[which][key] += int(value)
    return {"weeks": [d.isoformat() for d in starts], "currency": currency or "USD",
            "classes": [{"price_class": code, "weeks": classes[code]}
                        for code in sorted(classes)],
            "products": sorted(products.values(),
                               key=lambda p: (-p["this"]["amount"], p["code"]))}
