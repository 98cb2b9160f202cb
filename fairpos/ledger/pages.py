"""The ledger's pages: plain server-rendered HTML, readable on a phone, charts as inline SVG.

Amounts are integer minor units in the data; they are shown in the page's language and
number format, and exported to CSV in the currency's major unit, exact, the way a spreadsheet
in that language reads numbers (see :func:`csv_file`).
"""

from __future__ import annotations

import csv
import io
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from contextvars import ContextVar
from decimal import Decimal
from html import escape
from typing import Any
from urllib.parse import quote, urlencode

from babel.numbers import format_decimal

from fairpos.i18n import _, active, entries_text, format_number
from fairpos.ledger.reasons import said
from fairpos.ledger.store.quarantine import LANE_DAY_KEPT
from fairpos.money import Money
from fairpos.tenders import method_label

STYLE = """
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:60rem;padding:.5rem 1rem;
line-height:1.4}table{border-collapse:collapse;width:100%;margin:.5rem 0 1rem}
th,td{padding:.25rem .5rem;border-bottom:1px solid #ddd;text-align:left}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}.wide{overflow-x:auto}
.warn{color:#a40000;font-weight:bold}small a{margin-right:.75rem}
svg{max-width:100%;height:auto}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:1.5rem}
td.t{overflow-wrap:anywhere;min-width:8rem;max-width:24rem}.out{float:right;margin-top:.5rem}
td{overflow-wrap:break-word}pre.body{white-space:pre-wrap;overflow-wrap:anywhere;font-size:.85rem}
textarea{width:100%;min-width:8rem;box-sizing:border-box}
@media (max-width:40rem){.wide table,.wide tbody,.wide tr,.wide td{display:block;width:auto}
.wide thead{display:none}.wide tr{border-bottom:2px solid #999;padding:.25rem 0}
.wide td{border:0;padding:.1rem 0;text-align:right;max-width:none;min-width:0;display:flex;
justify-content:space-between;gap:1rem}
.wide td::before{content:attr(data-label);font-weight:bold;text-align:left;flex:none}
.wide td>span{text-align:right}}
"""


def money(minor: int | None, currency: str) -> str:
    """An amount in the page's language: ``1.234,56`` in Spanish, ``1,234.56`` in English."""
    return format_number(Money(int(minor or 0), currency))


def kilos(grams: int | None) -> str:
    """Kilograms with three decimals, in the page's language (``327,049`` in Spanish)."""
    return str(format_decimal(Decimal(int(grams or 0)).scaleb(-3), format="#,##0.000",
                              locale=active()))


def count(value: int | None) -> str:
    return str(format_decimal(int(value or 0), locale=active()))


# The signed-in session's token for its forms (set for the page being made): a form posted
# from anywhere else lacks it, and changes nothing
CSRF: ContextVar[str] = ContextVar("csrf", default="")


def csrf_field() -> str:
    return f'<input type="hidden" name="csrf" value="{escape(CSRF.get(), quote=True)}">'


def page(title: str, body: str, signed_in: bool = True) -> str:
    sign_out = escape(_("Sign out"))
    out = (f'<form method="post" action="/logout" class="out">{csrf_field()}'
           f'<button type="submit">{sign_out}</button></form>') if signed_in else ""
    return (f'<!doctype html><html lang="{active()}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)} · fairpos</title><style>{STYLE}</style></head>"
            f"<body>{out}<h1>{escape(title)}</h1>{body}</body></html>")


class Safe(str):
    """Markup made here, not to be escaped again."""


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = (),
          free: Sequence[int] = ()) -> str:
    """``numeric`` columns align right; ``free`` columns hold free text (names, reasons),
    which wraps anywhere however long it is. On a phone each row is a card, each cell under
    its column's name, so that no amount is ever off the screen."""
    if not rows:
        return "<p>" + escape(_("None.")) + "</p>"

    def kind(i: int) -> str:
        return " class=n" if i in numeric else " class=t" if i in free else ""

    head = "".join(f"<th{kind(i)}>{escape(h)}</th>" for i, h in enumerate(headers))
    labels = [escape(h, quote=True) for h in headers]  # (each cell's, on a phone's cards)
    def shown(cell: Any) -> str:
        if not isinstance(cell, Safe):
            return escape(str(cell))
        # (lines of their own stay together, under the column's name, in a phone's card)
        return f"<span>{cell}</span>" if "<br>" in cell else cell

    body = "".join("<tr>" + "".join(
        f'<td{kind(i)} data-label="{labels[i]}">{shown(cell)}</td>'
        for i, cell in enumerate(row)) + "</tr>" for row in rows)
    return (f'<div class="wide"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>'
            f"</table></div>")


def bars(labels: Sequence[str], values: Sequence[int], caption: str,
         shown: Sequence[str] | None = None) -> str:
    """A horizontal bar chart as inline SVG; ``shown``: how each value is written. A long
    label (a product's name) is cut to fit, whole in the bar's title."""
    if not values:
        return ""
    shown = shown or [str(v) for v in values]
    top = max(max(values), 1)
    gutter = 70 if max(len(label) for label in labels) <= 8 else 180
    height = 26 * len(values) + 4
    items = []
    for i, (label, value, text) in enumerate(zip(labels, values, shown, strict=True)):
        width = 190 * max(value, 0) / top
        y = 26 * i + 2
        cut = label if len(label) <= 22 else label[:21] + "…"
        items.append(f'<text x="0" y="{y + 17}" font-size="15">{escape(cut)}</text>'
                     f'<rect x="{gutter}" y="{y + 3}" width="{width:.1f}" height="20" '
                     f'fill="#2a6f97"><title>{escape(label)}: {escape(text)}</title></rect>'
                     f'<text x="{gutter + 5 + width:.1f}" y="{y + 17}" font-size="14">'
                     f"{escape(text)}</text>")
    wide = gutter + 270
    return (f'<figure style="margin:0"><svg viewBox="0 0 {wide} {height}" width="{wide}" '
            f'height="{height}" role="img" aria-label="{escape(caption)}">{"".join(items)}'
            f"</svg><figcaption>{escape(caption)}</figcaption></figure>")


def h2(title: str) -> str:
    return f"<h2>{escape(title)}</h2>"


def login_page(failed: bool = False) -> str:
    warning = _("That token is not an admin token.")
    note = f'<p class="warn" role="alert">{escape(warning)}</p>' if failed else ""
    return page(_("Sign in"), note + (
        '<form method="post" action="/login"><p><label for="token">{label}</label><br>'
        '<input id="token" name="token" type="password" autocomplete="current-password" '
        'required size="44" autofocus></p><p><button type="submit">{sign_in}</button></p>'
        "</form><p><small>{hint}</small></p>").format(
        label=escape(_("Admin token")), sign_in=escape(_("Sign in")),
        hint=escape(_("fairpos ledger admin-token makes one."))), signed_in=False)


QUARANTINE_SHOWN = 20  # the newest entries in quarantine a page lists (the CSV has them all)


def closes_said(glance: dict[str, Any]) -> Safe:
    """How a fair's day closes stand, at a glance: "3 matched · 1 pending · 1 not closed"."""
    words = {"match": _("{count} matched"), "pending": _("{count} pending"),
             "mismatch": _("{count} mismatch"), "not_closed": _("{count} not closed"),
             "quarantined": _("{count} in quarantine")}
    said = " · ".join(words[k].format(count=count(glance[k])) for k in words
                      if glance.get(k))
    style = ' class="warn"' if glance["pending"] or glance["mismatch"] or \
        glance.get("quarantined") else ""
    return Safe(f"<span{style}>{escape(said)}</span>")


DAYS_PAGE = 60  # fairs' days on a page of the home page, the newest first


def index_page(days_seen: Sequence[dict[str, Any]], devices: Sequence[dict[str, Any]],
               quarantined: Sequence[dict[str, Any]], in_quarantine: int | None = None,
               upstream: dict[str, Any] | None = None, offset: int = 0) -> str:
    """The home page: each fair's days at a glance (sales, totals, how the lanes' day closes
    stand), the newest first, :data:`DAYS_PAGE` to a page from ``offset``; a hub's
    (``upstream``: its link to the centre) says first what has not reached the centre yet."""
    paging = pager("/?from=", offset, len(days_seen[offset:offset + DAYS_PAGE]),
                   len(days_seen), DAYS_PAGE) if len(days_seen) > DAYS_PAGE else ""
    days_seen = days_seen[offset:offset + DAYS_PAGE]
    days = table([_("Fair"), _("Business date"), _("Sales"), _("Totals"), _("Lanes"),
                  _("Day close")], [
        (g["fair"], Safe(f'<a href="/day/{quote(g["business_date"])}?fair={quote(g["fair"])}">'
                         f'{escape(g["business_date"])}</a>'), count(g["sales"]),
         " · ".join(f"{money(v, c)} {c}" for c, v in sorted(g["totals"].items())),
         count(g["lanes"]), closes_said(g))
        for g in days_seen], numeric=(2, 3, 4))
    return page(_("Ledger") if upstream is None else _("Hub"),
                (upstream_part(upstream) if upstream is not None else "")
                + h2(_("Days")) + (f"<p>{paging}</p>" if paging else "") + days
                + h2(_("Lanes")) + lanes_table(devices)
                + quarantine_part(quarantined, in_quarantine)
                + '<small><a href="/quarantine.csv">CSV</a></small>')


def upstream_part(upstream: dict[str, Any]) -> str:
    """A hub's backlog to the centre, its age, and how the link stands."""
    pending = upstream["pending"]
    waiting = _("Not at the centre yet: {entries}").format(
        entries=_("1 entry") if pending == 1 else _("{count} entries").format(
            count=count(pending)))
    if upstream["oldest"]:
        waiting += " · " + _("the oldest received {at}").format(at=upstream["oldest"][:16])
    contact = _("The centre last answered: {at}").format(
        at=(upstream["last_contact"] or _("never"))[:19])
    problem = ""
    if upstream["problem"]:
        problem = '<p class="warn">' + escape(_("The uplink: {problem}").format(
            problem=upstream["problem"])) + "</p>"
    for refusal in upstream.get("refused") or []:
        problem += '<p class="warn">' + escape(_("The centre refused {refusal}").format(
            refusal=refusal)) + "</p>"
    if aside := upstream.get("set_aside"):
        problem += '<p class="warn">' + escape(_(
            "Set aside, of lanes revoked at the centre: {entries} ({lanes}). They are kept "
            "here: fairpos ledger export --revoked writes them to a site bundle.").format(
            entries=entries_text(aside), lanes=", ".join(upstream["set_aside_lanes"]))) + "</p>"
    style = ' class="warn"' if upstream["pending"] else ""
    return (h2(_("To the centre")) + f"<p{style}>{escape(waiting)}</p>"
            + f"<p>{escape(contact)}</p>" + problem)


def quarantine_part(shown: Sequence[dict[str, Any]], total: int | None) -> str:
    """The quarantine's heading, its newest entries, and how many more there are."""
    total = len(shown) if total is None else total
    more = ""
    if total > len(shown):
        more = "<p>" + escape(_("The {shown} newest are shown; {more} more are in the CSV.")
                              .format(shown=count(len(shown)), more=count(total - len(shown)))
                              ) + "</p>"
    every = escape(_("The whole quarantine, to review"))
    return (h2(_("Quarantine ({count})").format(count=count(total)))
            + quarantine_table(shown) + more
            + f'<p><a href="/quarantine">{every}</a></p>')


QUARANTINE_PAGE = 50  # entries per page of /quarantine
LANE_PAGE = 50  # entries per page of /lane/DEVICE


def pager(href: str, offset: int, shown: int, total: int, size: int) -> str:
    """"Newer · 51–100 of 230 · Older" for a list shown ``size`` at a time from ``offset``;
    ``href`` + a start is each link (nothing when the list is empty: the table says so)."""
    if not total:
        return ""

    def link(start: int, text: str) -> str:
        return f'<a href="{escape(href + str(start), quote=True)}">{escape(text)}</a>'

    here = _("{first}–{last} of {total}").format(
        first=count(min(offset + 1, total)), last=count(min(offset + shown, total)),
        total=count(total))
    return " · ".join(part for part in (
        link(max(offset - size, 0), _("Newer")) if offset > 0 else "", escape(here),
        link(offset + shown, _("Older")) if offset + shown < total else "") if part)


def no_such_lane() -> str:
    back = escape(_("Ledger"))
    return page(_("No such lane"), f'<p><a href="/">{back}</a></p>')


def lane_page(lane: dict[str, Any], offset: int, shifts: str = "") -> str:
    """One lane: where it stands, its days with what each day close said, its shifts
    (``shifts``: their counts, as HTML) and its entries page by page."""
    device = lane["device"]
    device_id = str(device["device_id"])
    said = {"match": _("matched"), "pending": _("pending"), "mismatch": _("mismatch")}
    kinds = {"sale": _("sale"), "void": _("void"), "refund": _("refund")}
    days = table([_("Business date"), _("Entries"), _("Total"), _("Day close")], [
        (Safe(f'<a href="/day/{quote(d["business_date"])}?fair={quote(device["fair"])}">'
              f'{escape(d["business_date"])}</a>'), count(d["entries"]),
         f'{money(d["total"], d["currency"])} {d["currency"]}',
         f'{said.get(d["close"]["result"], d["close"]["result"])} ({d["close"]["at"]})'
         if d["close"] else _("not closed")) for d in lane["days"]], numeric=(1, 2))
    entries = table([_("Seq"), _("Sale"), _("Kind"), _("Business date"), _("Confirmed"),
                     _("Total"), _("Received")], [
        (count(e["seq"]), e["id"], kinds.get(e["kind"], e["kind"]), e["business_date"],
         e["confirmed_at"][:19].replace("T", " "),
         f'{money(e["total"], e["currency"])} {e["currency"]}', e["received_at"])
        for e in lane["entries"]], numeric=(0, 5))

    paging = pager(f"/lane/{quote(device_id)}?from=", offset, len(lane["entries"]),
                   lane["count"], LANE_PAGE)
    held = _("In quarantine: {count}").format(count=count(lane["quarantined"]))
    title = _("Lane {lane} · {fair}").format(lane=device["lane"], fair=device["fair"])
    back = escape(_("Ledger"))
    return page(f"{title} · {device_id}", "".join([
        f'<p><a href="/">{back}</a></p>', lanes_table([device]),
        f'<p><a href="/quarantine?device={quote(device_id)}&amp;state=all">'
        f"{escape(held)}</a></p>",
        h2(_("Days")), days, h2(_("Shifts")), shifts, h2(_("Entries")), f"<p>{paging}</p>",
        entries]))


def readable_body(payload: str) -> str:
    """An entry's body as received, laid out to be read (as it came when it is not JSON)."""
    try:
        return json.dumps(json.loads(payload), indent=1, ensure_ascii=False, sort_keys=True)
    except (ValueError, RecursionError):
        return payload


def quarantine_page(rows: Sequence[dict[str, Any]], total: int, fairs: Sequence[str],
                    fair: str | None, device: str | None, state: str, offset: int) -> str:
    """The quarantine, page by page: a filter, each entry with its reason and its body, and
    a note to mark it reviewed (the entry itself stays as it came)."""
    states = {"open": _("not reviewed yet"), "reviewed": _("reviewed"), "all": _("all")}
    choice = "".join(f'<option value="{escape(f)}"{" selected" if f == fair else ""}>'
                     f"{escape(f)}</option>" for f in fairs)
    kinds = "".join(f'<option value="{k}"{" selected" if k == state else ""}>{escape(v)}'
                    "</option>" for k, v in states.items())
    fair_word, all_fairs, device_word = escape(_("Fair")), escape(_("All fairs")), \
        escape(_("Device"))
    which, show = escape(_("Which")), escape(_("Show"))
    form = (f'<form method="get" action="/quarantine"><p><label>{fair_word} '
            f'<select name="fair"><option value="">{all_fairs}</option>{choice}'
            f'</select></label> <label>{device_word} <input name="device" size="10" '
            f'value="{escape(device or "")}"></label> <label>{which} '
            f'<select name="state">{kinds}</select></label> '
            f'<button type="submit">{show}</button></p></form>')
    query = {"fair": fair or "", "device": device or "", "state": state}

    paging = pager(f"/quarantine?{urlencode(query)}&from=", offset, len(rows), total,
                   QUARANTINE_PAGE)
    back = escape(f"/quarantine?{urlencode({**query, 'from': offset})}", quote=True)
    kinds_said = quarantine_kinds()
    asked, mark = escape(_("What was found, what was done")), escape(_("Mark reviewed"))
    entries = []
    for q in rows:
        if q["note"]:
            review = Safe(f"{escape(q['note'])}<br><small>{escape(q['reviewed_at'])}</small>")
        else:
            review = Safe(
                f'<form method="post" action="/quarantine/{int(q["id"])}/review">'
                f'{csrf_field()}<input type="hidden" name="back" value="{back}">'
                f'<textarea name="note" rows="2" required maxlength="500" '
                f'aria-label="{asked}"></textarea><br>'
                f'<button type="submit">{mark}</button></form>')
        body = Safe(f"<details><summary>{escape(body_said(q))}</summary>"
                    f'<pre class="body">{escape(readable_body(q["payload"]))}</pre></details>')
        entries.append((q["received_at"], q["device_id"], q["lane"] or "", q["sale_id"],
                        kinds_said.get(q["kind"], q["kind"]), said(q["reason"]), body, review))
    ledger_word = escape(_("Ledger"))
    return page(_("Quarantine"), form + f"<p>{paging}</p>" + table(
        [_("Received"), _("Device"), _("Lane"), _("Sale"), _("Kind"), _("Reason"),
         _("Entry"), _("Review")], entries, free=(5, 6, 7)) + f"<p>{paging}</p>" +
        f'<p><small><a href="/quarantine.csv">CSV</a> · <a href="/">{ledger_word}'
        "</a></small></p>")


def body_said(entry: dict[str, Any]) -> str:
    """What a quarantine entry's body shows: all of it, its head, or nothing (past its lane's
    bytes for the day)."""
    kept, size = len(entry["payload"].encode()), int(entry["size"] or 0)
    if kept >= size:
        return _("The entry as received ({size})").format(size=size_said(size))
    if kept == 0:
        return _("The entry as received ({size}): not kept, past its lane's {most} of the "
                 "day").format(size=size_said(size), most=size_said(LANE_DAY_KEPT))
    return _("The entry as received: its first {kept} of {size}").format(
        kept=size_said(kept), size=size_said(size))


def size_said(size: int) -> str:
    """A size in bytes as a person reads it: "310 B", "64 KiB", "15.3 MiB"."""
    if size < 1024:
        return f"{count(size)} B"
    for unit, power in (("KiB", 1), ("MiB", 2), ("GiB", 3)):
        value = Decimal(size) / 1024**power
        if value < 1024 or unit == "GiB":
            break
    return f"{format_decimal(round(value, 1), format='#,##0.#', locale=active())!s} {unit}"


def path_words() -> dict[str, str]:
    """How an entry reached the ledger, in the page's language."""
    return {"hub": _("through the hub"), "direct": _("direct"), "bundle": _("by USB stick")}


def quarantine_kinds() -> dict[str, str]:
    return {"rejected": _("rejected"), "conflict": _("in conflict")}


def lane_link(device_id: str | None) -> str:
    if not device_id:
        return "—"
    return Safe(f'<a href="/lane/{quote(device_id)}">{escape(device_id)}</a>')


def lanes_table(devices: Sequence[dict[str, Any]]) -> str:
    paths = path_words()
    return table([_("Fair"), _("Lane"), _("Device"), _("Synced up to"), _("Missing"),
                  _("Last sync"), _("Path"), _("State")], [
        (d["fair"], d["lane"], lane_link(d["device_id"]), count(d["max_contiguous_seq"]),
         Safe(f'<span class="warn">{escape(", ".join(map(str, d["missing"][:20])))}'
              f'{missing_more(d)}</span>') if d["missing"] else "",
         d["last_sync_at"] or _("never"), paths.get(d.get("last_path") or "", ""),
         _("revoked") if d["revoked_at"] else (_("enrolled") if not d["device_id"]
                                               else _("active")))
        for d in devices], numeric=(1, 3))


def missing_more(device: dict[str, Any]) -> str:
    """" … (1.234 in all)" after the first missing numbers, when there are more."""
    total = device.get("missing_count", len(device["missing"]))
    if total <= 20:
        return ""
    return " … " + escape(_("({count} in all)").format(count=count(total)))


def quarantine_table(rows: Sequence[dict[str, Any]]) -> str:
    kinds = quarantine_kinds()
    return table([_("Device"), _("Lane"), _("Sale"), _("Kind"), _("Reason"), _("Received")],
                 [
        (q["device_id"], q["lane"] or "", q["sale_id"], kinds.get(q["kind"], q["kind"]),
         said(q["reason"]), q["received_at"]) for q in rows], free=(4,))


def class_name(price_class: dict[str, Any]) -> str:
    """A price class's name in the page's language ("" if the catalog has none)."""
    names = price_class.get("names") or {}
    return str(names.get(active()) or names.get("es") or "")


def class_label(price_class: dict[str, Any]) -> str:
    """A price class by its name, its code beside: "Feria grande (G)"."""
    name, code = class_name(price_class), str(price_class["price_class"])
    return f"{name} ({code})" if name else code


def tender_shares(tenders: Sequence[dict[str, Any]], currency: str) -> str:
    """What each method and currency took, as a share of the day's payments valued in the
    pricing currency (at the day's rates); a currency with no rate is said, not charted."""
    valued = [t for t in tenders if t.get("value") is not None and t["value"] > 0]
    whole = sum(t["value"] for t in valued)
    if not whole:
        return ""
    shares = [t["value"] * 100 / whole for t in valued]
    chart = bars([f'{method_label(t["method"])} {t["currency"]}' for t in valued],
                 [t["value"] for t in valued],
                 _("Payments as shares of the day (valued in {currency} at the day's rates)")
                 .format(currency=currency),
                 [f"{format_decimal(round(share, 1), format='#,##0.0', locale=active())} %"
                  for share in shares])
    unvalued = sorted({t["currency"] for t in tenders if t.get("value") is None})
    note = "<p><small>" + escape(_("No rate to value {currencies}: left out of the chart.")
                                 .format(currencies=", ".join(unvalued))) + "</small></p>" \
        if unvalued else ""
    return chart + note


def day_page(report: dict[str, Any], devices: Sequence[dict[str, Any]],
             quarantined: Sequence[dict[str, Any]], in_quarantine: int | None = None,
             cash: str = "") -> str:
    """A business date's figures (``cash``: its shifts' counts, lane by lane, as HTML)."""
    day, fair = report["business_date"], report["fair"]
    suffix = f"?fair={quote(fair)}" if fair else ""
    currency = next(iter(report["totals"]), "USD")

    def csv_link(name: str) -> str:
        return f'<small><a href="/day/{quote(day)}/{name}.csv{suffix}">CSV</a></small>'

    totals = ", ".join(f"{money(v, c)} {escape(c)}" for c, v in report["totals"].items())
    summary = _("{sales} sales ({entries} entries with voids and refunds)").format(
        sales=count(report["sales_count"]), entries=count(report["entries"]))
    back, nothing, week = _("All days"), _("no sales"), _("The week")
    reconciled, redeemed = _("Pago móvil against the bank"), _("Vouchers and tokens")
    span = urlencode({"from": day, "to": day, **({"fair": fair} if fair else {})})
    parts = [
        f'<p><a href="/">{escape(back)}</a> · <a href="/week/{quote(day)}{suffix}">'
        f'{escape(week)}</a> · <a href="/pago-movil?{escape(span)}">{escape(reconciled)}</a>'
        f' · <a href="/vouchers?{escape(span)}">{escape(redeemed)}</a>'
        f" · {escape(summary)} · {totals or escape(nothing)}</p>",
        h2(_("Tenders")), csv_link("tenders"),
        table([_("Method"), _("Currency"), _("Amount")],
              [(method_label(t["method"]), t["currency"], money(t["amount"], t["currency"]))
               for t in report["tenders"]], numeric=(2,)),
        tender_shares(report["tenders"], currency),
        *([h2(_("IGTF")),
           table([_("Currency"), _("Base"), _("IGTF")],
                 [(t["currency"], money(t["base"], t["currency"]),
                   money(t["amount"], t["currency"])) for t in report.get("igtf", [])],
                 numeric=(1, 2))] if report.get("igtf") else []),
        h2(_("Lanes")), csv_link("lanes"),
        table([_("Fair"), _("Lane"), _("Device"), _("Sales"), _("Total")],
              [(lane["fair"], lane["lane"], lane["device_id"], count(lane["sales_count"]),
                f'{money(lane["total"], lane["currency"])} {lane["currency"]}')
               for lane in report["lanes"]], numeric=(1, 3, 4)),
        h2(_("Cash by lane")), csv_link("cash"), cash,
        h2(_("Sales by hour")), csv_link("hours"),
        bars([f'{h["hour"]}:00' for h in report["hours"]],
             [h["sales_count"] for h in report["hours"]],
             _("Sales per hour ({zone} time)").format(zone=report["timezone"])
             if report.get("timezone") else _("Sales per hour")),
        h2(_("Price classes")), csv_link("price_classes"),
        table([_("Class"), _("Kilos"), _("Amount ({currency})").format(currency=currency)],
              [(class_label(c), kilos(c["grams"]), money(c["amount"], currency))
               for c in report["price_classes"]], numeric=(1, 2)),
        h2(_("Products")), csv_link("products"),
        bars([f'{p["code"]} {p["name"]}' for p in report["products"][:12]],
             [p["amount"] for p in report["products"][:12]],
             _("Top products by amount ({currency})").format(currency=currency),
             [money(p["amount"], currency) for p in report["products"][:12]]),
        table([_("PLU"), _("Product"), _("Kilos"), _("Pieces"),
               _("Amount ({currency})").format(currency=currency)],
              [(p["code"], p["name"], kilos(p["grams"]) if p["grams"] else "",
                count(p["count"]) if p["count"] else "", money(p["amount"], currency))
               for p in report["products"]], numeric=(2, 3, 4), free=(1,)),
        h2(_("Lanes' sync")), csv_link("sync"),
        lanes_table([d for d in devices if not fair or d["fair"] == fair]),
        quarantine_part(quarantined, in_quarantine), csv_link("quarantine"),
    ]
    return page(" · ".join((fair or _("All fairs"), day)), "".join(parts))


# -- CSV for a spreadsheet -------------------------------------------------------------------

INERT = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet reads as the start of a formula


def csv_dialect() -> tuple[str, str]:
    """(delimiter, decimal mark) a spreadsheet in the page's language reads: Spanish ones
    take ``;`` and ``1234,56``, English ones ``,`` and ``1234.56``."""
    return (";", ",") if active() == "es" else (",", ".")


def csv_number(value: Decimal | int) -> str:
    """A number as a spreadsheet reads it: no grouping, the page's decimal mark."""
    return f"{Decimal(value):f}".replace(".", csv_dialect()[1])


def csv_amount(minor: int | None, currency: str) -> str:
    """An amount in the currency's major unit (``1234,56``), exact."""
    return csv_number(Money(int(minor or 0), currency).as_decimal())


def csv_kilos(grams: int | None) -> str:
    return csv_number(Decimal(int(grams or 0)).scaleb(-3))


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could read ``text`` as a formula: after what it strips first
    (spaces, a no-break space, other blanks), a formula's first character — as typed, or its
    full-width form (＝ ＋ － ＠), which some spreadsheets take for it."""
    head = unicodedata.normalize("NFKC", text.lstrip(" \t\r\n\u00a0\u2007\u202f\u3000"))
    return head.startswith(INERT) or text.startswith(INERT)


def csv_text(value: Any) -> str:
    """Text from the data (a name, a reason) that a spreadsheet shows as it is, never runs:
    one that begins like a formula is written with a leading apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if formula_like(text) else text


def csv_file(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """UTF-8 with a byte-order mark (so that a spreadsheet reads "Champiñón" right),
    headers in the page's language, the delimiter its spreadsheets expect."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=csv_dialect()[0])
    writer.writerow(headers)
    writer.writerows(rows)
    return "\ufeff" + out.getvalue()


def csv_parts(headers: Sequence[str], rows: Iterable[Sequence[str]], size: int = 1000
              ) -> Iterator[str]:
    """A CSV as :func:`csv_file` writes it, ``size`` rows at a time (to stream a long one)."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=csv_dialect()[0])
    out.write("\ufeff")
    writer.writerow(headers)
    for n, row in enumerate(rows, start=1):
        writer.writerow(row)
        if n % size == 0:
            yield out.getvalue()
            out.seek(0)
            out.truncate()
    yield out.getvalue()


def csv_name(day: str, fair: str | None, name: str) -> str:
    """The file name: the fair and the day in it (``feria-del-centro-2026-11-21-lanes.csv``),
    in plain ASCII."""
    plain = unicodedata.normalize("NFKD", fair or _("All fairs")).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", plain.decode().lower()).strip("-") or "fair"
    return "-".join(part for part in (slug, day, name) if part) + ".csv"


def csv_rows(report: dict[str, Any], name: str, devices: Sequence[dict[str, Any]]
             ) -> str | None:
    """One of the day page's tables as CSV, for the page's fair (or all), with the page's
    headers; amounts in the currency's major unit, weights in kilograms."""
    fair = report["fair"]
    currency = next(iter(report["totals"]), "USD")
    priced = _("Amount ({currency})").format(currency=currency)
    paths = path_words()
    tables: dict[str, tuple[list[str], list[list[str]]]] = {
        "tenders": ([_("Method"), _("Code"), _("Currency"), _("Amount")], [
            [csv_text(method_label(t["method"])), t["method"], t["currency"],
             csv_amount(t["amount"], t["currency"])] for t in report["tenders"]]),
        "lanes": ([_("Fair"), _("Lane"), _("Device"), _("Sales"), _("Currency"), _("Total")], [
            [csv_text(lane["fair"]), str(lane["lane"]), lane["device_id"],
             str(lane["sales_count"]), lane["currency"],
             csv_amount(lane["total"], lane["currency"])] for lane in report["lanes"]]),
        "hours": ([_("Hour"), _("Sales"), priced], [
            [f'{h["hour"]}:00', str(h["sales_count"]), csv_amount(h["total"], currency)]
            for h in report["hours"]]),
        "price_classes": ([_("Class"), _("Code"), _("Kilos"), priced], [
            [csv_text(class_name(c)), csv_text(c["price_class"]),
             csv_kilos(c["grams"]), csv_amount(c["amount"], currency)]
            for c in report["price_classes"]]),
        "products": ([_("PLU"), _("Product"), _("Kilos"), _("Pieces"), priced], [
            [csv_text(p["code"]), csv_text(p["name"]), csv_kilos(p["grams"]) if p["grams"]
             else "", str(p["count"]) if p["count"] else "", csv_amount(p["amount"], currency)]
            for p in report["products"]]),
        "sync": ([_("Fair"), _("Lane"), _("Device"), _("Synced up to"), _("Missing"),
                  _("Last sync"), _("Path")], [
            [csv_text(d["fair"]), str(d["lane"]), d["device_id"] or "",
             str(d["max_contiguous_seq"]), " ".join(map(str, d["missing"])),
             d["last_sync_at"] or "", paths.get(d.get("last_path") or "", "")]
            for d in devices if not fair or d["fair"] == fair]),
    }
    chosen = tables.get(name)
    return None if chosen is None else csv_file(*chosen)


def quarantine_csv(quarantined: Sequence[dict[str, Any]]) -> str:
    kinds = quarantine_kinds()
    return csv_file([_("Device"), _("Fair"), _("Lane"), _("Sale"), _("Kind"), _("Reason"),
                     _("Received")], [
        [q["device_id"], csv_text(q["fair"]), str(q["lane"] or ""), csv_text(q["sale_id"]),
         kinds.get(q["kind"], q["kind"]), csv_text(said(q["reason"])), q["received_at"]]
        for q in quarantined])
