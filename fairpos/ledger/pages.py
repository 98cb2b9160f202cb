"""The ledger's pages for people: the fairs' days at a glance, a business date's figures, a lane,
the quarantine, signing in — each gathered here in the page's language and drawn by its
template (:mod:`fairpos.ledger.render`). Built to be read on a phone as well as on a desktop:
tables become cards on a narrow screen.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlencode

from babel.numbers import format_decimal

from fairpos.domain.tenders import method_label
from fairpos.i18n import N_, _, active, entries_text
from fairpos.ledger.lane_days import day_said, fair_time, totals_said
from fairpos.ledger.links import day_link, lane_link, sale_link
from fairpos.ledger.reasons import said
from fairpos.ledger.render import Cell, chart, count, kilos, money, pager, render
from fairpos.ledger.store.accounts import Audited
from fairpos.ledger.store.quarantine import LANE_DAY_KEPT
from fairpos.ledger.store.records import (
    DayReport,
    FairDay,
    LanePage,
    LaneSync,
    QuarantineEntry,
    TenderTotal,
)

QUARANTINE_SHOWN = 20  # the newest entries in quarantine a page lists (the CSV has them all)
QUARANTINE_PAGE = 50  # entries per page of /quarantine
LANE_PAGE = 50  # entries per page of /lane/DEVICE
DAYS_PAGE = 60  # fairs' days on a page of the home page, the newest first


def message_page(title: str, text: str = "", back: bool = False) -> str:
    """A page that only says something (``back``: with a link to the ledger's home)."""
    return render("message.html", title=title, text=text, back=back, signed_in=True)


def login_page(failed: bool = False) -> str:
    return render("login.html", title=_("Sign in"), failed=failed, signed_in=False)


def index_page(days_shown: Sequence[FairDay], days_in_all: int, devices: Sequence[LaneSync],
               quarantined: Sequence[QuarantineEntry], in_quarantine: int | None = None,
               upstream: dict[str, Any] | None = None, offset: int = 0) -> str:
    """The home page: each fair's days at a glance (sales, totals, how its lanes' days
    stand), the newest first, :data:`DAYS_PAGE` to a page (``days_shown``, from ``offset``
    of ``days_in_all``); a hub's (``upstream``: its link to the centre) says first what has
    not reached the centre yet."""
    paging = pager("/?from=", offset, len(days_shown), days_in_all, DAYS_PAGE) \
        if days_in_all > DAYS_PAGE else None
    days = {"headers": [_("Fair"), _("Business date"), _("Sales"), _("Totals"), _("Lanes"),
                        _("How the lanes stand")],
            "rows": [(d.fair, day_link(d.business_date, d.fair), count(d.sales),
                      totals_said(d.totals), count(len(d.lanes)), day_said(d))
                     for d in days_shown]}
    return render("index.html", title=_("Ledger") if upstream is None else _("Hub"),
                  signed_in=True, upstream=upstream_view(upstream) if upstream else None,
                  paging=paging, days=days, lane_rows=lanes_view(devices),
                  held=quarantine_view(quarantined, in_quarantine))


def upstream_view(upstream: dict[str, Any]) -> dict[str, Any]:
    """A hub's backlog to the centre, its age, and how the link stands."""
    pending = upstream["pending"]
    waiting = _("Not at the centre yet: {entries}").format(
        entries=_("1 entry") if pending == 1 else _("{count} entries").format(
            count=count(pending)))
    if upstream["oldest"]:
        waiting += " · " + _("the oldest received {at}").format(at=upstream["oldest"][:16])
    problems = []
    if upstream["problem"]:
        problems.append(_("The uplink: {problem}").format(problem=upstream["problem"]))
    problems += [_("The centre refused {refusal}").format(refusal=refusal)
                 for refusal in upstream.get("refused") or []]
    if aside := upstream.get("set_aside"):
        problems.append(_(
            "Set aside, of lanes revoked at the centre: {entries} ({lanes}). They are kept "
            "here: fairpos ledger export --revoked writes them to a site bundle.").format(
            entries=entries_text(aside), lanes=", ".join(upstream["set_aside_lanes"])))
    return {"waiting": waiting, "late": bool(pending), "problems": problems,
            "contact": _("The centre last answered: {at}").format(
                at=(upstream["last_contact"] or _("never"))[:19])}


def quarantine_view(shown: Sequence[QuarantineEntry], total: int | None) -> dict[str, Any]:
    """The quarantine's heading, its newest entries, and how many more there are."""
    total = len(shown) if total is None else total
    kinds = quarantine_kinds()
    more = _("The {shown} newest are shown; {more} more are in the CSV.").format(
        shown=count(len(shown)), more=count(total - len(shown))) if total > len(shown) else ""
    return {"title": _("Quarantine ({count})").format(count=count(total)), "more": more,
            "headers": [_("Device"), _("Lane"), _("Sale"), _("Kind"), _("Reason"),
                        _("Received")],
            "rows": [(q.device_id, q.lane or "", q.sale_id, kinds.get(q.kind, q.kind),
                      said(q.reason), fair_time(q.received_at, q.fair)) for q in shown]}


def resolution_words() -> dict[str, str]:
    """How a person settled an entry in quarantine, in the page's language."""
    return {"taken_in": _("taken in"), "copy": _("left out: a copy"),
            "wrong": _("left out: wrong")}


def settled_said(entry: QuarantineEntry) -> str:
    """How an entry was settled: "taken in as X-R3 · Marta · 2026-12-07 10:02 · why"."""
    if entry.resolution is None:
        return ""
    how = resolution_words().get(entry.resolution, entry.resolution)
    if entry.resolved_sale:
        how = _("taken in as {id}").format(id=entry.resolved_sale)
    return " · ".join(part for part in (how, entry.resolved_by or "",
                                         fair_time(entry.resolved_at, entry.fair),
                                         entry.resolved_reason or "") if part)


# what the audit records, in the page's words
AUDITED = {
    "signed in": N_("signed in"), "lane enrolled": N_("lane enrolled"),
    "lane revoked": N_("lane revoked"), "hub enrolled": N_("hub enrolled"),
    "admin token made": N_("admin token made"), "admin token revoked": N_("admin token revoked"),
    "voucher added": N_("voucher added"), "catalog published": N_("catalog published"),
    "rates published": N_("rates published"), "statement imported": N_("statement imported"),
    "account added": N_("account added"), "account disabled": N_("account disabled"),
    "quarantine reviewed": N_("quarantine reviewed"),
    "quarantine taken_in": N_("quarantine: taken in"),
    "quarantine copy": N_("quarantine: left out, a copy"),
    "quarantine wrong": N_("quarantine: left out, wrong"),
    "quarantine settled at a hub": N_("quarantine: taken in at a hub"),
    "pago móvil confirmed": N_("pago móvil: match confirmed"),
    "pago móvil refused": N_("pago móvil: match refused"),
    "statement line noted": N_("statement line noted"),
}


def audit_page(found: Sequence[Audited], total: int, offset: int, shown: int) -> str:
    """What people did at this ledger, newest first, a page at a time."""
    words = {action: _(said) for action, said in AUDITED.items()}
    return render("audit.html", title=_("Audit"), signed_in=True, rows=[
        (fair_time(a.at, None), a.who, words.get(a.action, a.action), a.detail)
        for a in found],
        paging=pager("/audit?from=", offset, len(found), total, shown))


def no_such_lane() -> str:
    return message_page(_("No such lane"), back=True)


def lane_page(lane: LanePage, offset: int, shifts: dict[str, Any]) -> str:
    """One lane: where it stands, its days with what each day close said, its shifts
    (``shifts``: their counts, as :func:`~fairpos.ledger.shift_pages.cash_part` lays them)
    and its entries page by page."""
    device = lane.lane
    device_id = str(device.device_id)
    said_of = {"match": _("matched"), "pending": _("pending"), "mismatch": _("mismatch")}
    kinds = {"sale": _("sale"), "void": _("void"), "refund": _("refund")}
    days = {"headers": [_("Business date"), _("Entries"), _("Total"), _("Day close")],
            "rows": [(day_link(d.business_date, device.fair), count(d.entries),
                      f"{money(d.total, d.currency)} {d.currency}",
                      f"{said_of.get(d.close.result, d.close.result)} ({d.close.at})"
                      if d.close else _("not closed"))
                     for d in lane.days]}
    entries = {"headers": [_("Seq"), _("Sale"), _("Kind"), _("Business date"), _("Confirmed"),
                           _("Total"), _("Received")],
               "rows": [(count(e.seq), sale_link(e.id), kinds.get(e.kind, e.kind), e.business_date,
                         fair_time(e.confirmed_at, device.fair),
                         f"{money(e.total, e.currency)} {e.currency}",
                         fair_time(e.received_at, device.fair))
                        for e in lane.entries]}
    title = _("Lane {lane} · {fair}").format(lane=device.lane, fair=device.fair)
    return render(
        "lane.html", title=f"{title} · {device_id}", signed_in=True,
        lane_rows=lanes_view([device]), days=days, shifts=shifts, entries=entries,
        held=_("In quarantine: {count}").format(count=count(lane.quarantined)),
        held_href=f"/quarantine?device={quote(device_id)}&state=all",
        device=quote(device_id), revoked=device.revoked_at is not None,
        paging=pager(f"/lane/{quote(device_id)}?from=", offset, len(lane.entries),
                     lane.count, LANE_PAGE))


# what a refused entry may hold that would act on the page rather than be read on it: control
# characters, bidirectional overrides and isolates, zero-width and other invisible ones
_HIDDEN = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f"
                     "\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb]")


def readable_body(payload: str) -> str:
    """An entry's body as received, laid out to be read (as it came when it is not JSON),
    each hidden character written as its escape (``\\u202e``): seen, never acted on."""
    try:
        text = json.dumps(json.loads(payload), indent=1, ensure_ascii=False, sort_keys=True)
    except (ValueError, RecursionError):
        text = payload
    return _HIDDEN.sub(lambda found: f"\\u{ord(found.group()):04x}", text)


def quarantine_page(rows: Sequence[QuarantineEntry], total: int, fairs: Sequence[str],
                    fair: str | None, device: str | None, state: str, offset: int) -> str:
    """The quarantine, page by page: a filter, each entry with its reason and its body, and
    a note to mark it reviewed (the entry itself stays as it came)."""
    states = {"open": _("not reviewed yet"), "reviewed": _("reviewed"), "all": _("all")}
    query = {"fair": fair or "", "device": device or "", "state": state}
    kinds = quarantine_kinds()
    entries = [{"id": q.id, "note": q.note, "reviewed_at": q.reviewed_at,
                "settled": settled_said(q), "conflict": q.kind == "conflict",
                "cells": (fair_time(q.received_at, q.fair), q.device_id, q.lane or "",
                          sale_link(q.sale_id) if q.kind == "conflict" else q.sale_id or "",
                          kinds.get(q.kind, q.kind), said(q.reason)),
                "body_said": body_said(q), "body": readable_body(q.payload or "")}
               for q in rows]
    return render(
        "quarantine.html", title=_("Quarantine"), signed_in=True, fairs=fairs, fair=fair,
        device=device or "", states=states, state=state, entries=entries,
        headers=[_("Received"), _("Device"), _("Lane"), _("Sale"), _("Kind"), _("Reason"),
                 _("Entry"), _("Review")],
        back=f"/quarantine?{urlencode({**query, 'from': offset})}",
        paging=pager(f"/quarantine?{urlencode(query)}&from=", offset, len(rows), total,
                     QUARANTINE_PAGE))


def body_said(entry: QuarantineEntry) -> str:
    """What a quarantine entry's body shows: all of it, its head, or nothing (past its lane's
    bytes for the day)."""
    kept, size = len((entry.payload or "").encode()), int(entry.size or 0)
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


def lanes_view(devices: Sequence[LaneSync]) -> dict[str, Any]:
    """Each lane and how it stands with the ledger: synced up to, missing, last sync, path."""
    paths = path_words()
    return {"headers": [_("Fair"), _("Lane"), _("Device"), _("Synced up to"), _("Missing"),
                        _("Last sync"), _("Path"), _("State")],
            "rows": [(d.fair, d.lane, lane_link(d.device_id), count(d.max_contiguous_seq),
                      Cell(", ".join(map(str, d.missing[:20])) + missing_more(d), warn=True)
                      if d.missing else "",
                      fair_time(d.last_sync_at, d.fair) or _("never"),
                      paths.get(d.last_path or "", ""),
                      _("revoked") if d.revoked_at else (
                          _("enrolled") if not d.device_id else _("active")))
                     for d in devices]}


def missing_more(device: LaneSync) -> str:
    """" … (1.234 in all)" after the first missing numbers, when there are more."""
    total = device.missing_count
    if total <= 20:
        return ""
    return " … " + _("({count} in all)").format(count=count(total))


def class_name(names: Mapping[str, str] | None) -> str:
    """A price class's name in the page's language ("" if the catalog has none)."""
    return str((names or {}).get(active()) or (names or {}).get("es") or "")


def class_label(code: str, names: Mapping[str, str] | None) -> str:
    """A price class by its name, its code beside: "Feria grande (G)"."""
    name = class_name(names)
    return f"{name} ({code})" if name else code


def tender_shares(tenders: Sequence[TenderTotal], currency: str,
                  vouchers: Mapping[str, str]) -> dict[str, Any]:
    """What each method and currency took, as a share of the day's payments valued in the
    pricing currency (at the day's rates); a currency with no rate is said, not charted."""
    valued = [(t, t.value) for t in tenders if t.value is not None and t.value > 0]
    whole = sum(value for _t, value in valued)
    if not whole:
        return {"chart": None, "note": ""}
    shares = [value * 100 / whole for _t, value in valued]
    unvalued = sorted({t.currency for t in tenders if t.value is None})
    return {
        "chart": chart([f"{method_label(t.method, vouchers)} {t.currency}"
                        for t, _v in valued],
                       [value for _t, value in valued],
                       _("Payments as shares of the day (valued in {currency} at the day's "
                         "rates)").format(currency=currency),
                       [f"{format_decimal(round(share, 1), format='#,##0.0', locale=active())}"
                        " %" for share in shares]),
        "note": _("No rate to value {currencies}: left out of the chart.").format(
            currencies=", ".join(unvalued)) if unvalued else ""}


def day_page(report: DayReport, devices: Sequence[LaneSync],
             quarantined: Sequence[QuarantineEntry], in_quarantine: int | None = None,
             cash: dict[str, Any] | None = None,
             lane_days: dict[str, Any] | None = None) -> str:
    """A business date's figures (``cash``: its shifts' counts, lane by lane, as
    :func:`~fairpos.ledger.shift_pages.cash_part` lays them)."""
    day, fair = report.business_date, report.fair
    suffix = f"?fair={quote(fair)}" if fair else ""
    currency = report.pricing
    priced = _("Amount ({currency})").format(currency=currency)
    top = report.products[:12]
    summary = _("{sales} sales ({entries} entries with voids and refunds)").format(
        sales=count(report.sales_count), entries=count(report.entries))
    totals = ", ".join(f"{money(v, c)} {c}" for c, v in report.totals.items())
    nothing = _("no sales")
    return render(
        "day.html", title=" · ".join((fair or _("All fairs"), day)), signed_in=True,
        csv_href=lambda name: f"/day/{quote(day)}/{name}.csv{suffix}",
        week_href=f"/week/{quote(day)}{suffix}",
        span=urlencode({"from": day, "to": day, **({"fair": fair} if fair else {})}),
        said=" · ".join((summary, totals or nothing)),
        tenders=[(method_label(t.method, report.vouchers), t.currency,
                  money(t.amount, t.currency))
                 for t in report.tenders],
        shares=tender_shares(report.tenders, currency, report.vouchers),
        igtf=[(t.currency, money(t.base, t.currency), money(t.amount, t.currency))
              for t in report.igtf],
        lane_totals=[(lane.fair, lane.lane, lane.device_id, count(lane.sales_count),
                      f"{money(lane.total, lane.currency)} {lane.currency}")
                     for lane in report.lanes],
        cash=cash or {"headers": [], "rows": []},
        lane_days=lane_days or {"headers": [], "rows": []},
        hours=chart([f"{h.hour}:00" for h in report.hours],
                    [h.sales_count for h in report.hours],
                    _("Sales per hour ({zone} time)").format(zone=report.timezone)
                    if report.timezone else _("Sales per hour")),
        priced=priced,
        classes=[(class_label(c.price_class, c.names), kilos(c.grams),
                  money(c.amount, currency)) for c in report.price_classes],
        top=chart([f"{p.code} {p.name}" for p in top], [p.amount for p in top],
                  _("Top products by amount ({currency})").format(currency=currency),
                  [money(p.amount, currency) for p in top]),
        products=[(p.code, p.name, kilos(p.grams) if p.grams else "",
                   count(p.count) if p.count else "", money(p.amount, currency))
                  for p in report.products],
        lane_rows=lanes_view([d for d in devices if not fair or d.fair == fair]),
        held=quarantine_view(quarantined, in_quarantine))
