"""The treasurer's pages and their CSVs, and signing in to them.

Pages need an admin: signed in at ``/login`` with an admin token (``fairpos ledger
admin-token``), which gives a session cookie (a random id, only its hash kept, for
``SESSION_HOURS``; ``HttpOnly``, ``SameSite=Strict``, ``Secure`` over https), or a script with
the admin token as its bearer token. Each page reads the pages' store (a replica, when the
ledger has one) in a worker thread; its forms carry the session's token.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from fairpos.i18n import _
from fairpos.ledger import (
    pages,
    quarantine_pages,
    reconciliation_pages,
    sale_pages,
    shift_pages,
    spreadsheets,
)
from fairpos.ledger.lane_days import lane_days_view
from fairpos.ledger.opendocument import MEDIA_TYPE
from fairpos.ledger.requests import (
    BadParameter,
    csv_response,
    error,
    offset_of,
    page_day,
    served,
)
from fairpos.ledger.responses import HTMLResponse
from fairpos.ledger.signing import SIGNING_ROUTES, acting, audited, signed
from fairpos.ledger.store import LedgerError
from fairpos.ledger.store.accounts import TOKEN_NAME
from fairpos.ledger.store.sale_reads import FOUND_MOST


def index(request: Request) -> Response:
    """Each fair's days, newest first, a page of them: the lanes' status is read for the
    days shown, not for the whole season."""
    serving = served(request)
    view = serving.view
    offset = offset_of(request)
    every = view.fair_dates()
    shown = every[offset:offset + pages.DAYS_PAGE]
    found = {(d.fair, d.business_date): d for d in view.fair_days(
        first=min(day for _fair, day in shown), last=max(day for _fair, day in shown))
        } if shown else {}
    return HTMLResponse(pages.index_page(
        [found[key] for key in shown if key in found], len(every), view.devices(),
        view.quarantined(newest=pages.QUARANTINE_SHOWN), view.quarantine_count(),
        serving.store.upstream_summary() if serving.hub else None, offset))


def day(request: Request) -> Response:
    view = served(request).view
    fair = request.query_params.get("fair") or None
    report = view.report(request.path_params["day"], fair)
    cash = shift_pages.cash_part(view.day_cash(request.path_params["day"], fair),
                                 view.vouchers(), one_fair=fair is not None)
    return HTMLResponse(pages.day_page(
        report, view.devices(), view.quarantined(fair, newest=pages.QUARANTINE_SHOWN),
        view.quarantine_count(fair), cash,
        lane_days_view(view.fair_days(request.path_params["day"], fair), view.timezones())))


def day_csv(request: Request) -> Response:
    view = served(request).view
    fair = request.query_params.get("fair") or None
    table = request.path_params["table"]
    if table == "quarantine":  # (each table reads only what it shows)
        rows: str | None = spreadsheets.quarantine_csv(view.quarantined(fair))
    elif table == "cash":
        rows = shift_pages.cash_csv(view.day_cash(request.path_params["day"], fair),
                                    view.vouchers())
    else:
        rows = spreadsheets.csv_rows(view.report(request.path_params["day"], fair), table,
                              view.devices() if table == "sync" else [])
    if rows is None:
        return error(404, f"there is no table {table}")
    return csv_response(rows, spreadsheets.csv_name(request.path_params["day"], fair, table))


def span_of(request: Request) -> tuple[date, date, str | None] | None:
    """The query's business dates (``from``, ``to``: the last seven days by default) and
    fair; None: not dates, or more than a year."""
    last = page_day(request.query_params.get("to") or date.today().isoformat())
    if last is None:
        return None
    first = page_day(request.query_params.get("from") or
                     (last - timedelta(days=6)).isoformat())
    if first is None or first > last or (last - first).days > 366:
        return None
    return first, last, request.query_params.get("fair") or None


def not_a_date() -> Response:
    return HTMLResponse(pages.message_page(_("Not a date")), status_code=404)


def pago_movil(request: Request) -> Response:
    """The reconciliation of a span, each list a page at a time (``?lines=N`` and the like:
    where that list's page starts)."""
    span = span_of(request)
    if span is None:
        return not_a_date()
    view = served(request).view
    at = {name: offset_of(request, name) for name in reconciliation_pages.LISTS}
    found = view.pago_movil(*span, lines_at=at["lines"],
                            lines_shown=reconciliation_pages.LIST_SHOWN)
    return HTMLResponse(reconciliation_pages.pago_movil_page(found, view.fairs(), at))


def pago_movil_list(request: Request) -> tuple[dict[str, Any], str, str] | Response:
    """The reconciliation a list of the pago móvil page is of, which list, and its file's
    name (without its extension); or the 404 of a list or span that is not one."""
    span = span_of(request)
    which = request.path_params["list"]
    if span is None or which not in reconciliation_pages.LISTS:
        return error(404, f"there is no list {which} for those dates")
    found = served(request).view.pago_movil(*span, lines_shown=0)
    name = reconciliation_pages.pago_movil_csv_name(found, which).removesuffix(".csv")
    return found, which, name


def pago_movil_csv(request: Request) -> Response:
    listed = pago_movil_list(request)
    if isinstance(listed, Response):
        return listed
    found, which, name = listed
    return StreamingResponse(  # (read as it is sent: a list may be a million lines)
        reconciliation_pages.pago_movil_csv(found, which),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


def pago_movil_ods(request: Request) -> Response:
    """A pago móvil list as a spreadsheet that keeps references and phones as text."""
    listed = pago_movil_list(request)
    if isinstance(listed, Response):
        return listed
    found, which, name = listed
    return Response(reconciliation_pages.pago_movil_ods(found, which), media_type=MEDIA_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{name}.ods"'})


def vouchers(request: Request) -> Response:
    span = span_of(request)
    if span is None:
        return not_a_date()
    view = served(request).view
    return HTMLResponse(reconciliation_pages.redemptions_page(view.redemptions(*span),
                                                              view.fairs()))


def vouchers_csv(request: Request) -> Response:
    span = span_of(request)
    if span is None:
        return error(404, "not a span of dates")
    found = served(request).view.redemptions(*span)
    return csv_response(reconciliation_pages.redemptions_csv(found), spreadsheets.csv_name(
        f"{found['first']}-{found['last']}", found["fair"], "vouchers"))


def week_of(request: Request) -> tuple[date, str | None] | None:
    """The Monday of the path's day and the query's fair (None: not a date)."""
    day = page_day(request.path_params["day"])
    if day is None:
        return None
    return shift_pages.monday_of(day), request.query_params.get("fair") or None


def week(request: Request) -> Response:
    found = week_of(request)
    if found is None:
        return not_a_date()
    view = served(request).view
    return HTMLResponse(shift_pages.week_page(
        view.week_over_short(*found), view.week_sales(*found), view.fairs(), view.vouchers()))


def week_csv(request: Request) -> Response:
    found = week_of(request)
    table = request.path_params["table"]
    if found is None or table not in ("lanes", "volunteers", "classes", "products"):
        return error(404, f"there is no table {table} for that week")
    view = served(request).view
    counted = view.week_over_short(*found)
    sales: dict[str, Any] = view.week_sales(*found) if table in ("classes", "products") else {
        "currency": "", "weeks": [], "classes": [], "products": []}
    rows = shift_pages.week_csv(counted, sales, table, view.vouchers())
    assert rows is not None
    return csv_response(rows, shift_pages.week_csv_name(counted, table))


def lane(request: Request) -> Response:
    view = served(request).view
    offset = offset_of(request)
    found = view.lane(request.path_params["device"], offset, pages.LANE_PAGE)
    if found is None:
        return HTMLResponse(pages.no_such_lane(), status_code=404)
    return HTMLResponse(pages.lane_page(found, offset, shift_pages.cash_part(
        found.shifts, view.vouchers(), by_day=True)))


def quarantine(request: Request) -> Response:
    view = served(request).view
    fair = request.query_params.get("fair") or None
    device = (request.query_params.get("device") or "").strip().upper() or None
    state = request.query_params.get("state", "open")
    state = state if state in ("open", "reviewed", "all") else "open"
    offset = offset_of(request)
    rows, total = view.quarantine_page(fair, device, state, offset, pages.QUARANTINE_PAGE)
    return HTMLResponse(pages.quarantine_page(rows, total, view.fairs(), fair, device, state,
                                              offset))


def quarantine_csv(request: Request) -> Response:
    fair = request.query_params.get("fair") or None
    held = served(request).view.quarantine_history(fair)
    days = sorted({q.received_at[:10] for q in held})  # (when they were received)
    span = f"{days[0]}-{days[-1]}" if len(days) > 1 else "".join(days)
    return csv_response(spreadsheets.quarantine_csv(held),
                        spreadsheets.csv_name(span, fair, "quarantine"))


def sale(request: Request) -> Response:
    view = served(request).view
    opened = view.sale(request.path_params["id"].strip().upper())
    if opened is None:
        return HTMLResponse(sale_pages.no_such_sale(), status_code=404)
    return HTMLResponse(sale_pages.sale_page(opened, view.vouchers(), view.timezones()))


def search(request: Request) -> Response:
    """The search form, and the entries it finds: by sale or device id, amount (in the
    pricing currency's units, as typed: "12.50" or "12,50"), fair and business dates."""
    view = served(request).view
    asked = {name: request.query_params.get(name, "").strip()
             for name in ("q", "amount", "fair", "from", "to")}
    if not any(asked.values()):
        return HTMLResponse(sale_pages.search_page(asked, None, view.fairs(),
                                                   view.timezones(), FOUND_MOST))
    days = [page_day(asked[name]) if asked[name] else None for name in ("from", "to")]
    amount = minor_of(asked["amount"]) if asked["amount"] else None
    if any(asked[name] and day is None for name, day in zip(("from", "to"), days,
                                                              strict=True)):
        raise BadParameter(_("“{text}” is not a date (YYYY-MM-DD)").format(
            text=asked["from"] if days[0] is None and asked["from"] else asked["to"]))
    if asked["amount"] and amount is None:
        raise BadParameter(_("“{text}” is not an amount").format(text=asked["amount"]))
    found = view.find_sales(asked["q"][:64], amount=amount, fair=asked["fair"] or None,
                            first=days[0].isoformat() if days[0] else None,
                            last=days[1].isoformat() if days[1] else None)
    return HTMLResponse(sale_pages.search_page(asked, found, view.fairs(), view.timezones(),
                                               FOUND_MOST))


def minor_of(text: str) -> int | None:
    """An amount as a treasurer types it ("12.50", "12,50", "1.234,50", "-3") in minor
    units of a two-decimal currency; None when it is not one."""
    cleaned = text.replace(" ", "")
    match = re.fullmatch(r"(-?)(\d{1,12}(?:[.,]\d{3})*)(?:[.,](\d{1,2}))?", cleaned)
    if match is None:
        return None
    sign, whole, cents = match.groups()
    minor = int(re.sub(r"\D", "", whole)) * 100 + int((cents or "0").ljust(2, "0"))
    return -minor if sign else minor


def quarantine_entry(request: Request) -> Response:
    view = served(request).view
    entry = view.quarantine_entry(int(request.path_params["id"]))
    if entry is None:
        return HTMLResponse(pages.message_page(_("No such entry in quarantine"), back=True),
                            status_code=404)
    return HTMLResponse(quarantine_pages.entry_page(entry, view.held_beside(entry),
                                                    view.vouchers()))


async def resolve(request: Request) -> Response:
    """The entry page's form: an entry in quarantine taken in or left out, once, in the
    name of who is signed in (an admin token's session names the person in the form)."""
    acted = await acting(request)
    if isinstance(acted, Response):
        return acted
    who, form = acted
    entry = int(request.path_params["id"])
    by = form.get("by", "") if who.name == TOKEN_NAME else who.name
    try:
        kept = await run_in_threadpool(served(request).store.resolve_quarantined, entry,
                                       form.get("action", ""), by, form.get("reason", ""))
    except LedgerError as err:
        return HTMLResponse(pages.message_page(_("Not settled"), str(err), back=True),
                            status_code=400)
    await audited(request, who, f"quarantine {form.get('action', '')}",
                  f"#{entry}" + (f" → {kept}" if kept else ""))
    return RedirectResponse(f"/quarantine/{entry}", status_code=303)


async def decide(request: Request) -> Response:
    """A person's word on a possible pago móvil match, from its page's form."""
    acted = await acting(request)
    if isinstance(acted, Response):
        return acted
    who, form = acted
    by = form.get("by", "") if who.name == TOKEN_NAME else who.name
    try:
        amount, line = int(form.get("amount", "")), int(form.get("line", ""))
        await run_in_threadpool(served(request).store.decide_possible, form.get("sale", ""),
                                amount, line, form.get("decision", ""), by or who.name,
                                form.get("reason", ""))
    except ValueError:
        return error(400, "not a tender and a statement line")
    except LedgerError as err:
        return HTMLResponse(pages.message_page(_("Not decided"), str(err), back=True),
                            status_code=400)
    await audited(request, who, f"pago móvil {form.get('decision', '')}",
                  f"{form.get('sale', '')} · #{line}")
    return _back_to_pago_movil(form)


async def note_line(request: Request) -> Response:
    """A note on a statement line, from the pago móvil page's form."""
    acted = await acting(request)
    if isinstance(acted, Response):
        return acted
    who, form = acted
    try:
        line = int(form.get("line", ""))
        await run_in_threadpool(served(request).store.note_statement_line, line,
                                form.get("note", ""), who.name)
    except ValueError:
        return error(400, "not a statement line")
    except LedgerError as err:
        return HTMLResponse(pages.message_page(_("Not noted"), str(err), back=True),
                            status_code=400)
    await audited(request, who, "statement line noted", f"#{line}")
    return _back_to_pago_movil(form)


def _back_to_pago_movil(form: dict[str, str]) -> Response:
    back = form.get("back", "")
    return RedirectResponse(back if back.startswith("/pago-movil?") else "/pago-movil",
                            status_code=303)


async def review(request: Request) -> Response:
    """A note from the quarantine page's form: the entry marked reviewed."""
    acted = await acting(request)
    if isinstance(acted, Response):
        return acted
    who, form = acted
    entry = int(request.path_params["id"])
    try:
        await run_in_threadpool(served(request).store.review_quarantined, entry,
                                form.get("note", ""))
    except LedgerError as err:
        return error(400, str(err))
    await audited(request, who, "quarantine reviewed", f"#{entry}")
    back = form.get("back", "")
    return RedirectResponse(back if back.startswith("/quarantine?") else "/quarantine",
                            status_code=303)


ROUTES = [
    *SIGNING_ROUTES,
    Route("/", signed(index)),
    Route("/day/{day}", signed(day)),
    Route("/day/{day}/{table}.csv", signed(day_csv)),
    Route("/quarantine.csv", signed(quarantine_csv)),
    Route("/quarantine", signed(quarantine)),
    Route("/lane/{device}", signed(lane)),
    Route("/sale/{id}", signed(sale)),
    Route("/search", signed(search)),
    Route("/week/{day}", signed(week)),
    Route("/pago-movil", signed(pago_movil)),
    Route("/vouchers", signed(vouchers)),
    Route("/vouchers.csv", signed(vouchers_csv)),
    Route("/pago-movil/{list}.csv", signed(pago_movil_csv)),
    Route("/pago-movil/{list}.ods", signed(pago_movil_ods)),
    Route("/pago-movil/decide", decide, methods=["POST"]),
    Route("/pago-movil/note", note_line, methods=["POST"]),
    Route("/week/{day}/{table}.csv", signed(week_csv)),
    Route("/quarantine/{id:int}/review", review, methods=["POST"]),
    Route("/quarantine/{id:int}/resolve", resolve, methods=["POST"]),
    Route("/quarantine/{id:int}", signed(quarantine_entry)),
]
