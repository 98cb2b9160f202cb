"""Vouchers and market tokens redeemed, for reimbursement: per program (SNAP, market tokens,
FMNP…, each a voucher code the ledger accepts) per day, per week and per lane, with how many
were taken and their value — the shape a funder asks for. Training entries are left out; a void
or refund gives a redemption back (it counts −1 and its value negatively)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, timedelta
from typing import Any

Rows = Callable[[str, Sequence[Any]], list[Any]]


def redemptions(rows: Rows, first: date, last: date, fair: str | None,
                codes: Sequence[str]) -> dict[str, Any]:
    """Each program's redemptions of business dates ``first`` to ``last``: by day, by week
    (Monday), by lane, and in all (count and value, per currency)."""
    found: list[Any] = []
    if codes:
        marks = ",".join("?" * len(codes))
        found = rows(
            "SELECT t.method, t.currency, s.business_date, d.fair, d.lane, s.device_id, "
            "CAST(SUM(CASE WHEN t.amount > 0 THEN 1 WHEN t.amount < 0 THEN -1 ELSE 0 END) "
            "AS BIGINT), CAST(SUM(t.amount) AS BIGINT) FROM sale_tenders t JOIN sales s ON "
            "s.id = t.sale_id JOIN devices d ON d.device_id = s.device_id WHERE t.method IN "
            f"({marks}) AND s.business_date BETWEEN ? AND ? AND s.training = 0 AND "
            "(CAST(? AS TEXT) IS NULL OR d.fair = ?) GROUP BY 1, 2, 3, 4, 5, 6",
            [*codes, first.isoformat(), last.isoformat(), fair, fair])
    programs: dict[tuple[str, str], dict[str, Any]] = {}
    for code, currency, day, fair_name, lane, device_id, taken, value in found:
        program = programs.setdefault((code, currency), {
            "code": code, "currency": currency, "count": 0, "value": 0, "days": {},
            "weeks": {}, "lanes": {}, "day_lanes": {}})
        program["count"] += int(taken)
        program["value"] += int(value)
        monday = date.fromisoformat(day) - timedelta(days=date.fromisoformat(day).weekday())
        for table, key, who in (
                ("days", day, {"day": day}), ("weeks", monday.isoformat(),
                                               {"monday": monday.isoformat()}),
                ("lanes", device_id, {"fair": fair_name, "lane": lane,
                                      "device_id": device_id}),
                ("day_lanes", (day, device_id), {"day": day, "fair": fair_name, "lane": lane,
                                                 "device_id": device_id})):
            kept = program[table].setdefault(key, {**who, "count": 0, "value": 0})
            kept["count"] += int(taken)
            kept["value"] += int(value)
    return {"first": first.isoformat(), "last": last.isoformat(), "fair": fair,
            "programs": [{**p, "days": [p["days"][k] for k in sorted(p["days"])],
                          "weeks": [p["weeks"][k] for k in sorted(p["weeks"])],
                          "lanes": sorted(p["lanes"].values(),
                                          key=lambda r: (r["fair"], r["lane"])),
                          "day_lanes": sorted(p["day_lanes"].values(), key=lambda r: (
                              r["day"], r["fair"], r["lane"]))}
                         for _key, p in sorted(programs.items())]}
