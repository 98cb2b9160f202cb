"""The counts and the week on the ledger's pages: each lane's cash on a day page — float,
expected, counted, over/short per method and currency — and the week page: for the assembly,
kilos and amount per price class week by week (a chart across weeks) and per product beside
the week before; for the treasurer, over/short per lane and per volunteer. Each as CSV."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

from fairpos.domain.tenders import method_label
from fairpos.i18n import _
from fairpos.ledger.links import lane_named
from fairpos.ledger.pages import class_label, class_name
from fairpos.ledger.render import Cell, chart, count, kilos, money, render
from fairpos.ledger.spreadsheets import csv_amount, csv_file, csv_kilos, csv_name, csv_text


def signed(minor: int, currency: str) -> Cell:
    """An over/short: "+1,50 USD" over, "−1,50 USD" short (in red), "0,00 USD" even."""
    return Cell(f"{'+' if minor > 0 else '−' if minor < 0 else ''}{money(abs(minor), currency)} "
                f"{currency}", warn=minor < 0)


def _clock(moment: str | None) -> str:
    """The time of day a lane wrote (its own clock): "07:42"."""
    return moment[11:16] if moment else ""


def cash_part(shifts: Sequence[dict[str, Any]], vouchers: Mapping[str, str],
              by_day: bool = False, one_fair: bool = False) -> dict[str, Any]:
    """A day's shifts lane by lane (``by_day``: a lane's shifts, day by day; ``one_fair``:
    the lanes are named without their fair): a closed shift's count lines (the float, what
    was expected, what was counted — the first count under it when a recount differed — and
    the over/short), an open one's float; the volunteer, the shift's hours and the reason
    given, on the shift's first line. Its table's headers and rows."""
    rows: list[tuple[Any, ...]] = []
    for shift in shifts:
        where: Cell | str
        if by_day:
            day = shift["business_date"]
            where = Cell(day, href=f"/day/{quote(day)}?fair={quote(shift['fair'])}",
                         note=_("training") if shift["training"] else None)
        else:
            where = lane_named(shift["lane"], None if one_fair else shift["fair"],
                               shift["device_id"])
        hours = f"{_clock(shift['opened_at'])}–{_clock(shift['closed_at'])}" \
            if shift["closed_at"] else _("open since {at}").format(at=_clock(shift["opened_at"]))
        who: Cell | str = Cell(shift["volunteer"], note=hours)
        if not shift["lines"]:
            rows.append((where, who, "", "", "", "", "", shift["reason"] or ""))
        for n, line in enumerate(shift["lines"]):
            if n:  # (the shift's other lines: its lane, volunteer and reason said once)
                where, who = "", ""
            currency = line["currency"]
            first = _("first count {amount}").format(amount=money(
                line["first_count"], currency)) if line["first_count"] != line["counted"] else None
            rows.append((where, who, f"{method_label(line['method'], vouchers)} · {currency}",
                         money(line["opening"], currency) if line["method"] == "cash" else "",
                         money(line["expected"], currency),
                         Cell(money(line["counted"], currency), note=first),
                         signed(line["difference"], currency),
                         "" if n else shift["reason"] or ""))
    return {"headers": [_("Business date") if by_day else _("Lane"), _("Volunteer"),
                        _("Tender"), _("Float"), _("Expected"), _("Counted"), _("Over/short"),
                        _("Reason")], "rows": rows}


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_page(week: dict[str, Any], sales: dict[str, Any], fairs: Sequence[str],
              vouchers: Mapping[str, str]) -> str:
    """A week: what moved (``sales``: per price class week by week, per product beside the
    week before) and its over/short per lane and per volunteer, per method and currency,
    with how many shifts closed short or over; links to the weeks around it, and CSV."""
    monday = date.fromisoformat(week["monday"])
    fair = week["fair"]
    suffix = f"?fair={quote(fair)}" if fair else ""
    heads = [_("Method"), _("Currency"), _("Shifts"), _("Short"), _("Over"), _("Over/short")]
    # (short and over as amounts, how many shifts under each)
    title = _("Week of {monday} to {sunday}").format(monday=week["monday"],
                                                       sunday=week["sunday"])
    return render(
        "week.html", title=" · ".join((fair or _("All fairs"), title)), signed_in=True,
        before=f"/week/{(monday - timedelta(days=7)).isoformat()}{suffix}",
        after=f"/week/{(monday + timedelta(days=7)).isoformat()}{suffix}",
        other_fairs=[(f, f"/week/{monday.isoformat()}?fair={quote(f)}")
                     for f in fairs if f != fair],
        every=f"/week/{monday.isoformat()}" if fair else None,
        csv_href=lambda name: f"/week/{monday.isoformat()}/{name}.csv{suffix}",
        moved=moved_part(sales),
        lanes={"headers": [_("Lane"), *heads], "rows": [
            (lane_named(r["lane"], r["fair"], r["device_id"]), *_counted(r, vouchers))
            for r in week["lanes"]]},
        volunteers={"headers": [_("Volunteer"), *heads], "rows": [
            (r["volunteer"], *_counted(r, vouchers)) for r in week["volunteers"]]})


def moved_part(sales: dict[str, Any]) -> dict[str, Any]:
    """Per price class, kilos and amount week by week with a chart of the kilos across the
    weeks; per product, this week beside the week before."""
    currency, weeks = sales["currency"], sales["weeks"]
    priced = _("Amount ({currency})").format(currency=currency)
    return {
        "charts": [chart([w[5:] for w in weeks], [w["grams"] for w in c["weeks"]],
                         _("{name}: kilos per week").format(
                             name=class_label(c["price_class"], c["names"])),
                         [kilos(w["grams"]) for w in c["weeks"]]) for c in sales["classes"]],
        "classes": {"headers": [_("Week"), _("Class"), _("Kilos"), priced], "rows": [
            (week, class_label(c["price_class"], c["names"]), kilos(c["weeks"][n]["grams"]),
             money(c["weeks"][n]["amount"], currency))
            for n, week in reversed(list(enumerate(weeks))) for c in sales["classes"]
            if c["weeks"][n] != {"grams": 0, "amount": 0}]},  # (weeks with sales)
        "products": {"headers": [_("PLU"), _("Product"), _("Sold"), _("Sold, moved"),
                                 priced, _("Amount, moved")], "rows": [
            (p["code"], p["name"], Cell(_quantity(p["this"]), note=_quantity(p["before"])),
             change(*_moved(p)), Cell(money(p["this"]["amount"], currency),
                                      note=money(p["before"]["amount"], currency)),
             change(p["this"]["amount"], p["before"]["amount"]))
            for p in sales["products"]]}}


def _quantity(sold: dict[str, int]) -> str:
    """What moved of a product in a week: its kilos, or its pieces."""
    if sold["grams"]:
        return f"{kilos(sold['grams'])} kg"
    return _("{count} pcs").format(count=count(sold["count"])) if sold["count"] else ""


def _moved(product: dict[str, Any]) -> tuple[int, int]:
    """A product's kilos (or pieces) this week and the week before: what a price change does
    not move."""
    unit = "grams" if product["this"]["grams"] or product["before"]["grams"] else "count"
    return product["this"][unit], product["before"][unit]


def change(now: int, before: int) -> str:
    """How much an amount moved from the week before: "+12 %", "−3 %" ("new": none then)."""
    if before <= 0:
        return _("new") if now > 0 else ""
    percent = round((now - before) * 100 / before)
    return f"{'+' if percent > 0 else '−' if percent < 0 else ''}{count(abs(percent))} %"


def _shifts(n: int) -> str:
    return _("1 shift") if n == 1 else _("{count} shifts").format(count=count(n))


def _counted(row: dict[str, Any], vouchers: Mapping[str, str]) -> tuple[Any, ...]:
    currency = row["currency"]
    short, over = signed(row["short_amount"], currency), signed(row["over_amount"], currency)
    return (method_label(row["method"], vouchers), currency, count(row["shifts"]),
            Cell(short.text, warn=short.warn, note=_shifts(row["short"])) if row["short"]
            else "", Cell(over.text, note=_shifts(row["over"])) if row["over"] else "",
            signed(row["difference"], currency))


def week_csv(week: dict[str, Any], sales: dict[str, Any], name: str,
             vouchers: Mapping[str, str]) -> str | None:
    """One of the week page's tables as CSV (None: no such table)."""
    currency = sales["currency"]
    priced = _("Amount ({currency})").format(currency=currency)
    if name == "classes":
        return csv_file([_("Week"), _("Class"), _("Code"), _("Kilos"), priced], [
            [week_start, csv_text(class_name(c["names"])), csv_text(c["price_class"]),
             csv_kilos(c["weeks"][n]["grams"]), csv_amount(c["weeks"][n]["amount"], currency)]
            for n, week_start in enumerate(sales["weeks"]) for c in sales["classes"]])
    if name == "products":
        return csv_file([_("PLU"), _("Product"), _("Kilos"), _("Pieces"), priced,
                         _("Kilos the week before"), _("The week before")], [
            [csv_text(p["code"]), csv_text(p["name"]), csv_kilos(p["this"]["grams"]),
             str(p["this"]["count"]), csv_amount(p["this"]["amount"], currency),
             csv_kilos(p["before"]["grams"]), csv_amount(p["before"]["amount"], currency)]
            for p in sales["products"]])
    heads = [_("Method"), _("Code"), _("Currency"), _("Shifts"), _("Shifts short"),
             _("Short"), _("Shifts over"), _("Over"), _("Over/short")]

    def counted(r: dict[str, Any]) -> list[str]:
        return [csv_text(method_label(r["method"], vouchers)), r["method"], r["currency"],
                str(r["shifts"]), str(r["short"]), csv_amount(r["short_amount"], r["currency"]),
                str(r["over"]), csv_amount(r["over_amount"], r["currency"]),
                csv_amount(r["difference"], r["currency"])]

    if name == "lanes":
        return csv_file([_("Fair"), _("Lane"), _("Device"), *heads], [
            [csv_text(r["fair"]), str(r["lane"]), r["device_id"], *counted(r)]
            for r in week["lanes"]])
    if name == "volunteers":
        return csv_file([_("Volunteer"), *heads], [
            [csv_text(r["volunteer"]), *counted(r)] for r in week["volunteers"]])
    return None


def week_csv_name(week: dict[str, Any], name: str) -> str:
    return csv_name(f"{week['monday']}-{week['sunday']}", week["fair"], name)


def cash_csv(shifts: Sequence[dict[str, Any]], vouchers: Mapping[str, str]) -> str:
    """The day page's cash by lane as CSV: one row per shift and counted method and
    currency (an open shift: one row with its opening time)."""
    rows: list[list[str]] = []
    for shift in shifts:
        who = [csv_text(shift["fair"]), str(shift["lane"]), shift["device_id"],
               csv_text(shift["volunteer"]), str(shift["shift"]), shift["opened_at"] or "",
               shift["closed_at"] or ""]
        if not shift["lines"]:
            rows.append([*who, "", "", "", "", "", "", "", "", csv_text(shift["reason"])])
        for line in shift["lines"]:
            currency = line["currency"]
            rows.append([*who, csv_text(method_label(line["method"], vouchers)),
                         line["method"], currency, csv_amount(line["opening"], currency),
                         csv_amount(line["expected"], currency),
                         csv_amount(line["first_count"], currency),
                         csv_amount(line["counted"], currency),
                         csv_amount(line["difference"], currency),
                         csv_text(shift["reason"])])
    return csv_file([_("Fair"), _("Lane"), _("Device"), _("Volunteer"), _("Shift"),
                     _("Opened"), _("Closed"), _("Method"), _("Code"), _("Currency"),
                     _("Float"), _("Expected"), _("First count"), _("Counted"),
                     _("Over/short"), _("Reason")], rows)
