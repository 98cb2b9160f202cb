"""The pages a treasurer reconciles with others by: pago móvil — the lanes' tenders against the
bank's statement lines, for a span of business dates and a fair: matched, possible (a reference
one digit off), tenders with no statement line and statement lines with no tender — and the
vouchers and tokens redeemed, for the funders' reimbursement. Each list as CSV."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from html import escape
from typing import Any
from urllib.parse import urlencode

from fairpos.i18n import _
from fairpos.ledger.pages import (
    Safe,
    count,
    csv_amount,
    csv_file,
    csv_name,
    csv_parts,
    csv_text,
    h2,
    lane_link,
    money,
    page,
    pager,
    table,
)

LISTS = ("matched", "possible", "tenders", "lines")


def _lane(tender: Any) -> Safe:
    lane = _("Lane {lane} · {fair}").format(lane=tender.lane, fair=tender.fair)
    return Safe(f"{escape(lane)}<br>{lane_link(tender.device_id)}")


def _checked(tender: Any) -> str:
    return _("yes") if tender.verified else _("no")


def _ves(minor: int) -> str:
    return f"{money(minor, 'VES')} VES"


def span_form(action: str, found: dict[str, Any], fairs: Sequence[str]
              ) -> tuple[dict[str, str], str]:
    """A page of a span of business dates for a fair: its query (for its links) and the form
    that picks another span or fair."""
    first, last, fair = found["first"], found["last"], found["fair"]
    query = {"from": first, "to": last, **({"fair": fair} if fair else {})}
    choice = "".join(f'<option value="{escape(f)}"{" selected" if f == fair else ""}>'
                     f"{escape(f)}</option>" for f in fairs)
    since, until, fair_word = escape(_("From")), escape(_("To")), escape(_("Fair"))
    all_fairs, show = escape(_("All fairs")), escape(_("Show"))
    return query, (
        f'<form method="get" action="{action}"><p><label>{since} <input type="date" '
        f'name="from" value="{escape(first)}"></label> <label>{until} <input type="date" '
        f'name="to" value="{escape(last)}"></label> <label>{fair_word} <select name="fair">'
        f'<option value="">{all_fairs}</option>{choice}</select></label> '
        f'<button type="submit">{show}</button></p></form>')


LIST_SHOWN = 200  # rows of each list a page shows (the CSV has them all)


def pago_movil_page(found: dict[str, Any], fairs: Sequence[str],
                    at: dict[str, int] | None = None) -> str:
    """The reconciliation of a span's pago móvil: its figures, then each list a page of
    :data:`LIST_SHOWN` at a time (``at``: where each list's page starts)."""
    first, last, fair = found["first"], found["last"], found["fair"]
    query, form = span_form("/pago-movil", found, fairs)
    at = {name: max(at.get(name, 0), 0) for name in LISTS} if at else dict.fromkeys(LISTS, 0)

    def paged(name: str, rows: Sequence[Any], total: int) -> tuple[Sequence[Any], str]:
        """A list's rows on this page (the statement lines come paged already), and the
        links to the others."""
        shown = rows if name == "lines" else rows[at[name]:at[name] + LIST_SHOWN]
        href = "/pago-movil?" + urlencode({**query, **{k: v for k, v in at.items()
                                                      if k != name and v}}) + f"&{name}="
        links = pager(href, at[name], len(shown), total, LIST_SHOWN)
        return shown, f"<p>{links}</p>" if total > LIST_SHOWN else ""

    def csv_link(name: str) -> str:
        return f'<small><a href="/pago-movil/{name}.csv?{escape(urlencode(query))}">CSV</a></small>'

    matched, possible = found["matched"], found["possible"]
    tenders, lines = found["tenders"], found["lines"]
    unverified = [t for t, _line in matched if not t.verified]
    still = [t for t in tenders if not t.verified]
    said = [
        _("{count} matched ({amount})").format(count=count(len(matched)), amount=_ves(
            sum(t.amount for t, _line in matched))),
        _("{count} possible").format(count=count(len(possible))),
        _("{count} tenders with no statement line ({amount})").format(
            count=count(len(tenders)), amount=_ves(sum(t.amount for t in tenders))),
        _("{count} statement lines with no tender ({amount})").format(
            count=count(found["lines_count"]), amount=_ves(found["lines_amount"]))]
    checked = _("Unverified at the till: {matched} now matched, {still} still "
                "without a statement line.").format(matched=count(len(unverified)),
                                                    still=count(len(still)))
    warn = ""
    if not found["statements"]:
        warn = '<p class="warn">' + escape(_(
            "No statement imported yet: fairpos ledger statement import FILE.csv --bank "
            "CODE")) + "</p>"
    window = _("A statement line matches a tender of the same amount, within {days} days, "
               "with the same reference (or ending with the one typed at the till).").format(
        days=found["window"])
    heads = [_("Date"), _("Lane"), _("Sale"), _("Reference"), _("Bank's reference"),
             _("Amount"), _("Phone"), _("Verified at the till")]
    matched_shown, matched_pages = paged("matched", matched, len(matched))
    possible_shown, possible_pages = paged("possible", possible, len(possible))
    tenders_shown, tenders_pages = paged("tenders", tenders, len(tenders))
    _lines, lines_pages = paged("lines", lines, found["lines_count"])
    pairs = [
        (t.day.isoformat(), _lane(t), t.sale_id, t.reference, line.reference, _ves(t.amount),
         t.phone, _checked(t)) for t, line in matched_shown]
    maybe = [
        (t.day.isoformat(), _lane(t), t.sale_id, t.reference, line.reference, _ves(t.amount),
         t.phone, _checked(t)) for t, line in possible_shown]
    alone = [(t.day.isoformat(), _lane(t), t.sale_id, t.reference, _ves(t.amount), t.phone,
              _checked(t)) for t in tenders_shown]
    unclaimed = [(line.day.isoformat(), line.reference, _ves(line.amount), line.phone,
                  line.bank) for line in lines]
    title = " · ".join((_("Pago móvil"), fair or _("All fairs"), f"{first} – {last}"))
    back = escape(_("All days"))
    return page(title, "".join([
        f'<p><a href="/">{back}</a></p>', form, warn,
        f"<p>{escape(' · '.join(said))}</p>", f"<p>{escape(checked)}</p>",
        f"<p><small>{escape(window)}</small></p>",
        h2(_("Tenders with no statement line")), csv_link("tenders"),
        table([h for h in heads if h != _("Bank's reference")], alone, numeric=(4,)),
        tenders_pages,
        h2(_("Possible: a reference one digit off")), csv_link("possible"),
        table(heads, maybe, numeric=(5,)), possible_pages,
        h2(_("Statement lines with no tender")), csv_link("lines"),
        table([_("Date"), _("Reference"), _("Amount"), _("Phone"), _("Bank")], unclaimed,
              numeric=(2,)), lines_pages,
        h2(_("Matched")), csv_link("matched"), table(heads, pairs, numeric=(5,)),
        matched_pages,
    ]))


def pago_movil_csv(found: dict[str, Any], which: str) -> Iterator[str]:
    """One of the page's lists as CSV, a part at a time (the statement lines with no tender
    may be a million: they are read as they are written)."""
    heads = [_("Date"), _("Fair"), _("Lane"), _("Device"), _("Sale"), _("Reference")]

    def tender(t: Any) -> list[str]:
        return [t.day.isoformat(), csv_text(t.fair), str(t.lane), t.device_id, t.sale_id,
                csv_text(t.reference)]

    tail = [_("Amount (VES)"), _("Phone"), _("Verified at the till")]

    def rest(t: Any) -> list[str]:
        return [csv_amount(t.amount, "VES"), csv_text(t.phone), _checked(t)]

    if which in ("matched", "possible"):
        return csv_parts([*heads, _("Bank's reference"), *tail], (
            [*tender(t), csv_text(line.reference), *rest(t)] for t, line in found[which]))
    if which == "tenders":
        return csv_parts([*heads, *tail], ([*tender(t), *rest(t)] for t in found["tenders"]))
    return csv_parts([_("Date"), _("Reference"), _("Amount (VES)"), _("Phone"), _("Bank")],
                     ([line.day.isoformat(), csv_text(line.reference),
                       csv_amount(line.amount, "VES"), csv_text(line.phone), line.bank]
                      for line in found["every_line"]()))


def pago_movil_csv_name(found: dict[str, Any], which: str) -> str:
    return csv_name(f"{found['first']}-{found['last']}", found["fair"], f"pago-movil-{which}")



def redemptions_page(found: dict[str, Any], fairs: Sequence[str]) -> str:
    """Vouchers and market tokens redeemed, for reimbursement: each program in all, by week,
    by day and by lane (count and value), with a CSV in the same shape."""
    first, last, fair = found["first"], found["last"], found["fair"]
    query, form = span_form("/vouchers", found, fairs)
    every = escape(_("Every program, by day and by lane"))
    back = escape(_("All days"))
    parts = [f'<p><a href="/">{back}</a></p>', form,
             f'<p><small><a href="/vouchers.csv?{escape(urlencode(query))}">CSV: {every}'
             "</a></small></p>"]
    if not found["programs"]:
        parts.append("<p>" + escape(_("No voucher or token was redeemed on those days."))
                     + "</p>")
    for p in found["programs"]:
        currency = p["currency"]
        total = _("{count} redeemed, {amount} {currency}").format(
            count=count(p["count"]), amount=money(p["value"], currency), currency=currency)
        parts += [
            h2(f'{p["name"]} ({p["code"]})'), f"<p>{escape(total)}</p>",
            table([_("Week of"), _("Redeemed"), _("Value")],
                  [(w["monday"], count(w["count"]), f'{money(w["value"], currency)} {currency}')
                   for w in p["weeks"]], numeric=(1, 2)),
            table([_("Date"), _("Redeemed"), _("Value")],
                  [(d["day"], count(d["count"]), f'{money(d["value"], currency)} {currency}')
                   for d in p["days"]], numeric=(1, 2)),
            table([_("Lane"), _("Redeemed"), _("Value")],
                  [(_lane_of(r), count(r["count"]), f'{money(r["value"], currency)} {currency}')
                   for r in p["lanes"]], numeric=(1, 2))]
    title = " · ".join((_("Vouchers and tokens"), fair or _("All fairs"), f"{first} – {last}"))
    return page(title, "".join(parts))


def _lane_of(row: dict[str, Any]) -> Safe:
    lane = _("Lane {lane} · {fair}").format(lane=row["lane"], fair=row["fair"])
    return Safe(f"{escape(lane)}<br>{lane_link(row['device_id'])}")


def redemptions_csv(found: dict[str, Any]) -> str:
    """Every program's redemptions by day and lane: one row each, with the program's name
    and code, the count and the value."""
    return csv_file([_("Program"), _("Code"), _("Date"), _("Fair"), _("Lane"), _("Device"),
                     _("Redeemed"), _("Currency"), _("Value")], [
        [csv_text(p["name"]), p["code"], r["day"], csv_text(r["fair"]), str(r["lane"]),
         r["device_id"], str(r["count"]), p["currency"], csv_amount(r["value"], p["currency"])]
        for p in found["programs"] for r in p["day_lanes"]])
