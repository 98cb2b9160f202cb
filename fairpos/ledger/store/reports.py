"""What the treasurer's pages read: the days at a glance, a day's report (its lanes, products,
tenders and hours in the fair's time zone), the devices and one lane's page, the cash of the
shifts, the week's figures and the vouchers redeemed.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fairpos.ledger.store.core import bigint_sum
from fairpos.ledger.store.hubs import Hubs
from fairpos.ledger.store.records import (
    ClassTotal,
    DayClosed,
    DayReport,
    HourTotal,
    IgtfTotal,
    LaneDay,
    LaneEntry,
    LanePage,
    LaneSync,
    LaneTotal,
    ProductTotal,
    TenderTotal,
)
from fairpos.ledger.store.redemptions import redemptions
from fairpos.ledger.store.shifts import day_cash, lane_shifts, week_over_short
from fairpos.ledger.store.weeks import week_sales

_FRACTION = re.compile(r"^(.{16})\.[0-9]+")


def _hour_at(moment: str, zone: ZoneInfo | None) -> str:
    """The hour ("07") of a moment as the lane wrote it (to the minute, with its offset), at
    the fair's time zone when it has one (the lane's own clock otherwise)."""
    try:  # (the minute, then whatever followed the seconds: a fraction, the offset)
        at = datetime.fromisoformat(_FRACTION.sub(r"\1", moment))
    except ValueError:
        return moment[11:13]
    if zone is not None and at.tzinfo is not None:
        at = at.astimezone(zone)
    return f"{at.hour:02d}"


class Reports(Hubs):
    """The figures the pages read."""

    def day_cash(self, business_date: str, fair: str | None = None) -> list[dict[str, Any]]:
        """Each shift of a business date, lane by lane, with its count lines
        (:func:`fairpos.ledger.store.shifts.day_cash`)."""
        return day_cash(self._all, business_date, fair)

    def week_over_short(self, monday: date, fair: str | None = None) -> dict[str, Any]:
        """A week's over/short per lane and per volunteer
        (:func:`fairpos.ledger.store.shifts.week_over_short`)."""
        return week_over_short(self._all, monday, fair)

    def week_sales(self, monday: date, fair: str | None = None) -> dict[str, Any]:
        """Kilos and amount per price class over the weeks up to ``monday``'s, and per
        product that week and the week before (:func:`fairpos.ledger.store.weeks.week_sales`);
        each class with its names."""
        sales = week_sales(self._all, monday, fair)
        named = self.class_names()
        for price_class in sales["classes"]:
            price_class["names"] = named.get(price_class["price_class"])
        return sales

    def redemptions(self, first: date, last: date, fair: str | None = None) -> dict[str, Any]:
        """Each voucher program's redemptions of those business dates, by day, week and lane
        (:func:`fairpos.ledger.store.redemptions.redemptions`), each program with its name."""
        names = self.vouchers()
        found = redemptions(self._all, first, last, fair, sorted(names))
        for program in found["programs"]:
            program["name"] = names.get(program["code"], program["code"])
        return found

    def devices(self, device_id: str | None = None) -> list[LaneSync]:
        """Every enrolled device (or the one ``device_id``), with its missing numbers (looked
        for only where a device has entries past its resume point: one query for all)."""
        found = []
        one = [device_id, device_id]
        ahead = {r[0] for r in self._all(
            "SELECT d.device_id FROM devices d WHERE (CAST(? AS TEXT) IS NULL OR d.device_id "
            "= ?) AND EXISTS (SELECT 1 FROM sales s WHERE s.device_id = d.device_id AND "
            "s.seq > d.max_contiguous_seq)", one)}
        for row in self._all(
                "SELECT enrolment, device_id, fair, lane, enrolled_at, claimed_at, revoked_at, "
                "max_contiguous_seq, last_sync_at, last_path FROM devices "
                "WHERE CAST(? AS TEXT) IS NULL OR device_id = ? ORDER BY fair, lane", one):
            missing, missing_count = self._missing(row[1]) if row[1] in ahead else ([], 0)
            found.append(LaneSync(int(row[0]), row[1], row[2], int(row[3]), row[4], row[5],
                                  row[6], int(row[7]), row[8], row[9], missing, missing_count))
        return found

    def lane(self, device_id: str, offset: int = 0, limit: int = 50) -> LanePage | None:
        """One lane's page: its device (fair, lane, sync), its days (entries and totals on
        the ledger, and what each day close said, newest first), its newest shifts with their
        counts, a page of its entries (newest first) and how many it has; None for a device
        the ledger does not know."""
        found = self.devices(device_id)
        if not found:
            return None
        closes: dict[str, DayClosed] = {}
        for row in self._all("SELECT business_date, result, at FROM day_closes "
                             "WHERE device_id = ? ORDER BY id", [device_id]):
            closes[row[0]] = DayClosed(row[1], row[2])  # (the newest of each day)
        days = [LaneDay(r[0], int(r[1]), r[2], int(r[3]), closes.get(r[0])) for r in self._all(
            f"SELECT business_date, COUNT(*) AS entries, currency, {bigint_sum('total')} AS total "
            "FROM sales WHERE device_id = ? AND training = 0 GROUP BY business_date, currency "
            "ORDER BY business_date DESC", [device_id])]
        entries = [LaneEntry(int(r[0]), r[1], r[2], r[3], r[4], bool(r[5]), r[6], int(r[7]), r[8])
                   for r in self._all(
            "SELECT seq, id, kind, business_date, confirmed_at, training, currency, total, "
            "received_at FROM sales WHERE device_id = ? ORDER BY seq DESC LIMIT ? OFFSET ?",
            [device_id, int(limit), max(int(offset), 0)])]
        count = int(self._all("SELECT COUNT(*) FROM sales WHERE device_id = ?",
                              [device_id])[0][0])
        return LanePage(found[0], days, entries, count, lane_shifts(self._all, device_id),
                        self.quarantine_page(device=device_id, state="all", limit=1)[1])

    def report(self, business_date: str, fair: str | None = None) -> DayReport:
        """A business date's figures, for one fair or all: counts and totals per currency
        and tender, per lane and in all, kilos and amount per product and price class, and
        sales by hour. Training entries are left out; voids and refunds count negatively.
        (Sums are cast to 64-bit integers: PostgreSQL would make them numeric.)"""
        where = ("s.business_date = ? AND s.training = 0 "
                 "AND (CAST(? AS TEXT) IS NULL OR d.fair = ?)")
        params = [business_date, fair, fair]
        base = f"FROM sales s JOIN devices d ON d.device_id = s.device_id WHERE {where}"
        totals = {r[0]: r[1] for r in self._all(
            f"SELECT s.currency, {bigint_sum('s.total')} {base} GROUP BY 1 ORDER BY 1", params)}
        count = self._all(f"SELECT COUNT(*) {base} AND s.kind = 'sale'", params)[0][0]
        entries = self._all(f"SELECT COUNT(*) {base}", params)[0][0]
        igtf = [IgtfTotal(r[0], int(r[1]), int(r[2])) for r in self._all(
            f"SELECT s.currency, {bigint_sum('s.igtf')}, {bigint_sum('s.igtf_base')} {base} "
            f"GROUP BY 1 HAVING {bigint_sum('s.igtf')} <> 0 ORDER BY 1", params)]
        sales_count = bigint_sum("CASE WHEN s.kind = 'sale' THEN 1 ELSE 0 END")
        by_lane: dict[str, list[TenderTotal]] = {}  # (one read: each lane's, and the sums)
        summed: dict[tuple[str, str], int] = {}
        for r in self._all(f"SELECT s.device_id, t.method, t.currency, {bigint_sum('t.amount')} "
                           f"AS amount FROM sale_tenders t JOIN sales s ON s.id = t.sale_id "
                           f"JOIN devices d ON d.device_id = s.device_id WHERE {where} "
                           f"GROUP BY 1, 2, 3 ORDER BY 1, 2, 3", params):
            by_lane.setdefault(r[0], []).append(TenderTotal(r[1], r[2], int(r[3])))
            summed[(r[1], r[2])] = summed.get((r[1], r[2]), 0) + int(r[3])
        lanes = [LaneTotal(r[0], int(r[1]), r[2], int(r[3]), r[4], int(r[5]),
                           by_lane.get(r[2], [])) for r in self._all(
            f"SELECT d.fair, d.lane, s.device_id, {sales_count} AS sales_count, s.currency, "
            f"{bigint_sum('s.total')} AS total {base} GROUP BY d.fair, d.lane, s.device_id, "
            f"s.currency ORDER BY d.fair, d.lane", params)]
        # (the day's lines as summed when they were stored: training and voided left out)
        line_where = ("FROM day_lines l JOIN devices d ON d.device_id = l.device_id WHERE "
                      "l.business_date = ? AND (CAST(? AS TEXT) IS NULL OR d.fair = ?)")
        grams, amount = bigint_sum("l.grams"), bigint_sum("l.amount")
        products = [ProductTotal(r[0], r[1], int(r[2]), int(r[3]), int(r[4])) for r in self._all(
            f"SELECT l.code, l.name, {grams} AS grams, {bigint_sum('l.count')} AS count, "
            f"{amount} AS amount {line_where} AND l.kind = 'product' GROUP BY l.code, l.name "
            f"ORDER BY {amount} DESC, l.code", params)]
        named = self.class_names()
        classes = [ClassTotal(r[0], int(r[1]), int(r[2]), named.get(r[0])) for r in self._all(
            f"SELECT l.price_class, {grams} AS grams, {amount} AS amount "
            f"{line_where} AND l.price_class IS NOT NULL GROUP BY 1 ORDER BY 1", params)]
        zones = self.timezones()
        hours: dict[str, tuple[int, int]] = {}  # hour at the fair → (sales, total)
        for fair_name, moment, sales, total in self._all(  # (by the minute, with its offset)
                f"SELECT d.fair, substr(s.confirmed_at, 1, 16) || substr(s.confirmed_at, 20), "
                f"COUNT(*), {bigint_sum('s.total')} {base} AND s.kind = 'sale' GROUP BY 1, 2",
                params):
            hour = _hour_at(moment, zones.get(fair_name))
            before = hours.get(hour, (0, 0))
            hours[hour] = (before[0] + int(sales), before[1] + int(total))
        zone = zones.get(fair) if fair else None
        pricing = next(iter(totals), None)
        rates = self.day_rates(business_date, pricing) if pricing is not None else {}

        def valued(currency: str, amount: int) -> int | None:
            rate = rates.get(currency)
            return amount if currency == pricing else None if rate is None \
                else round(rate.to_base(amount))
        tenders = [TenderTotal(m, c, a, valued(c, a) if pricing is not None else None)
                   for (m, c), a in sorted(summed.items())]
        return DayReport(business_date, fair, int(count), int(entries),
                         {c: int(t) for c, t in totals.items()}, tenders, igtf, lanes,
                         products, classes, zone.key if zone else None,
                         [HourTotal(hour, n, total) for hour, (n, total) in sorted(hours.items())],
                         self.vouchers())
