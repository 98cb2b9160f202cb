"""The ledger's web app (Starlette): the sync API for stalls and the pages for people.

Every stall request carries ``Authorization: Bearer <device token>``; the device is the token's,
never the body's. A fair's hub (its site's ledger) calls the same API with its hub token on
behalf of its fair's lanes — and of no other fair's: it names the device, and the ledger
refuses one of another fair (403) — and learns the fair's lanes at ``/v1/hub/lanes``.

Pages need an admin: signed in at ``/login`` with an admin token (``fairpos ledger
admin-token``), which gives a session cookie (a random id, only its hash kept, for
``SESSION_HOURS``; ``HttpOnly``, ``SameSite=Strict``, ``Secure`` over https), or a script with
the admin token as its bearer token.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date, timedelta
from html import escape
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio.to_thread
from anyio import CapacityLimiter
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from fairpos.i18n import _
from fairpos.ledger import pages, reconciliation_pages, shift_pages
from fairpos.ledger.addresses import ADDRESSES
from fairpos.ledger.limits import BATCHES_AT_ONCE, SESSION_HOURS
from fairpos.ledger.responses import HTMLResponse, JSONResponse, TextResponse
from fairpos.ledger.store import Device, Hub, LedgerError, LedgerStore
from fairpos.ledger.throttle import SignInThrottle
from fairpos.sync.schema import split_id
from fairpos.sync.shift_entries import split_shift_id
from fairpos.sync.wire import (
    MAX_BATCH,
    MAX_BODY,
    MAX_HUB_BATCH,
    BodyTooLarge,
    WireError,
    decode_batch,
    decode_body,
    named_id,
)

SESSION_COOKIE = "fairpos_session"
Handler = Callable[[Request], Awaitable[Response]]


NOT_CLAIMED = "not_claimed"  # a token enrolled, whose device has not said who it is yet


def error(status: int, message: str, code: str | None = None) -> JSONResponse:
    """A refusal: ``message`` for a person, ``code`` (when given) for the client to act on."""
    body = {"error": message} if code is None else {"error": message, "code": code}
    return JSONResponse(body, status_code=status)


def bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


class NotJson(WireError):
    """A body sent as something else than application/json."""


async def read_body(request: Request, limit: int = MAX_BODY) -> tuple[bytes, bool]:
    """The request's body as sent (application/json, gzipped or not), reading at most
    ``limit`` bytes off the wire, and whether it is gzipped."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json":
        raise NotJson("the body must be sent as application/json")
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(f"the body is larger than {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"the body is larger than {limit} bytes")
    return bytes(body), request.headers.get("content-encoding", "").lower() == "gzip"


async def read_json(request: Request, limit: int = MAX_BODY) -> Any:
    """The request's JSON, inflated and parsed in a worker thread (a big body never holds
    up the other requests)."""
    body, gzipped = await read_body(request, limit)
    return await run_in_threadpool(decode_body, body, gzipped, limit)


async def read_batch(request: Request, what: str = "sales") -> tuple[Any, list[bytes]]:
    """A batch's device id and its entries' JSON, each to be read on its own."""
    body, gzipped = await read_body(request)
    return await run_in_threadpool(decode_batch, body, gzipped, MAX_BODY, what)


async def read_form(request: Request, limit: int = 4096) -> dict[str, str]:
    """A small url-encoded form (the sign-in form): its fields, the first of each name."""
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLarge(f"the form is larger than {limit} bytes")
    try:
        fields = parse_qs(body.decode("ascii"), max_num_fields=8, strict_parsing=False)
    except (UnicodeDecodeError, ValueError):
        raise WireError("the form cannot be read") from None
    return {name: values[0] for name, values in fields.items()}


class BadParameter(Exception):
    """A page's parameter out of bounds (a huge ``from``, a date at the calendar's end, a NUL
    byte): the page answers 400 with this, for a person."""


MOST_OFFSET = 10_000_000  # no list of the ledger's is that long
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(9000, 12, 31)  # (far from the calendar's ends)


def offset_of(request: Request, name: str = "from") -> int:
    """Where a paged list starts (``?from=N``, or the parameter ``name``; 0 for anything
    that is not a number)."""
    start = request.query_params.get(name, "0")
    if not (start.isascii() and start.isdigit()):
        return 0
    if len(start) > 9 or int(start) > MOST_OFFSET:
        raise BadParameter(_("“{name}” is past the end of any list").format(name=name))
    return int(start)


def page_day(text: str) -> date | None:
    """A date of a page's path or query (None: not a date); BadParameter far from any fair."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return None
    if not FIRST_DAY <= day <= LAST_DAY:
        raise BadParameter(_("{day} is not a date the ledger can have").format(day=text))
    return day


def check_parameters(request: Request) -> None:
    """No parameter of a page may hold a NUL byte (PostgreSQL's text cannot)."""
    for value in (*request.path_params.values(), *request.query_params.values()):
        if isinstance(value, str) and "\x00" in value:
            raise BadParameter(_("a parameter holds a NUL character"))


def csv_response(text: str, name: str) -> Response:
    return TextResponse(text, media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def refused(err: WireError) -> JSONResponse:
    """A body the ledger cannot take: too large (413), not JSON (415), or malformed (400)."""
    status = 413 if isinstance(err, BodyTooLarge) else 415 if isinstance(err, NotJson) else 400
    return error(status, str(err))


def csrf_of(request: Request) -> str:
    """The token a signed-in session's forms carry ("" without a session): derived from the
    session's secret id, so no page elsewhere can know it."""
    session = request.cookies.get(SESSION_COOKIE)
    if not session:
        return ""
    return hmac.new(session.encode(), b"fairpos forms", hashlib.sha256).hexdigest()[:32]


def from_here(request: Request, form: dict[str, str]) -> bool:
    """Whether a state-changing form comes from the ledger's own pages: its Origin (or
    Referer) is the ledger's own — scheme, host and port — and, for a signed-in session, it
    carries the session's token. A script with an admin token as its bearer has no cookie to
    be tricked with."""
    origin = request.headers.get("origin")
    if origin is None and request.headers.get("referer"):
        referer = urlsplit(request.headers["referer"])
        origin = f"{referer.scheme}://{referer.netloc}"
    if origin is not None and origin != f"{request.url.scheme}://{request.url.netloc}":
        return False
    if request.cookies.get(SESSION_COOKIE):
        return hmac.compare_digest(form.get("csrf", ""), csrf_of(request))
    return True


def client_address(request: Request) -> str:
    """Where a request comes from, as the throttle counts it."""
    return request.client.host if request.client is not None else "?"


def held_back(seconds: float) -> HTMLResponse:
    """A sign-in (or an admin token) refused while its address waits."""
    wait = max(1, int(seconds + 0.999))
    return HTMLResponse(pages.page(_("Too many attempts"), "<p>" + escape(_(
        "Too many wrong tokens from this address: try again in {seconds} s.").format(
            seconds=wait)) + "</p>"), status_code=429, headers={"Retry-After": str(wait)})


def create_app(store: LedgerStore, reads: LedgerStore | None = None,
               hub: bool = False, throttle: SignInThrottle | None = None) -> Starlette:
    """The ledger app over ``store``; pages, CSV and reports read from ``reads`` (a replica)
    when given. Both are closed when the app shuts down. A ``hub`` tells each lane, with
    every batch reply and sync state, how many of its entries have not reached the centre,
    and holds (not refuses) an entry paid by a voucher program the centre may have added."""
    view = reads or store
    store.relays = hub
    throttle = throttle or SignInThrottle()

    def with_upstream(device_id: str, reply: dict[str, Any]) -> dict[str, Any]:
        return {**reply, "upstream": store.upstream_of(device_id)} if hub else reply

    async def caller_of(request: Request) -> Device | Hub | JSONResponse:
        """A lane's device, or a hub, by its token."""
        token = bearer(request)
        if token is None:
            return error(401, "a device token is needed (Authorization: Bearer …)")
        device = await run_in_threadpool(store.device_for_token, token)
        if device is not None:
            ADDRESSES.know(client_address(request))
            return device
        hub = await run_in_threadpool(store.hub_for_token, token)
        if hub is None:
            return error(401, "unknown or revoked token")
        ADDRESSES.know(client_address(request))
        return hub

    async def lane_of_hub(hub: Hub, device_id: Any) -> Device | JSONResponse:
        """The device a hub speaks for: a live, claimed device of the hub's fair."""
        device = await run_in_threadpool(store.device_by_id, device_id) \
            if isinstance(device_id, str) else None
        if device is None or device.revoked:
            return error(403, f"there is no live device {str(device_id)[:40]!r}")
        if device.fair != hub.fair:
            return error(403, f"device {device.device_id} is not of fair {hub.fair}")
        return device

    async def hub_lanes(request: Request) -> Response:
        caller = await caller_of(request)
        if isinstance(caller, JSONResponse):
            return caller
        if not isinstance(caller, Hub):
            return error(403, "only a hub may list its fair's lanes")
        lanes = await run_in_threadpool(store.fair_lanes, caller.fair)
        vouchers = await run_in_threadpool(store.vouchers)
        return JSONResponse({"fair": caller.fair, "lanes": lanes, "vouchers": vouchers})

    async def health(request: Request) -> Response:
        return JSONResponse({"ok": True})

    async def claim(request: Request) -> Response:
        caller = await caller_of(request)
        if isinstance(caller, JSONResponse):
            return caller
        try:
            body = await read_json(request, 4096)
            device_id = body["device_id"] if isinstance(body, dict) else None
            if not isinstance(device_id, str):
                return error(400, "device_id is needed")
            if isinstance(caller, Hub):  # for one of its fair's enrolments
                enrolment = body.get("enrolment")
                lanes = await run_in_threadpool(store.fair_lanes, caller.fair)
                if type(enrolment) is not int or not any(  # (true is no enrolment number)
                        lane["enrolment"] == enrolment for lane in lanes):
                    return error(403, f"enrolment {str(enrolment)[:20]} is not of fair "
                                      f"{caller.fair}")
            else:
                enrolment = caller.enrolment
            claimed = await run_in_threadpool(store.claim, enrolment, device_id)
        except WireError as err:
            return refused(err)
        except LedgerError as err:
            return error(403, str(err))
        return JSONResponse({"device_id": claimed.device_id, "fair": claimed.fair,
                             "lane": claimed.lane})

    ingesting = CapacityLimiter(BATCHES_AT_ONCE)  # (see limits.py)

    def batches_of(what: str) -> Handler:
        """The handler of a batch of ``what``: "sales", or "shifts" (openings and closes)."""
        async def batch(request: Request) -> Response:
            caller = await caller_of(request)
            if isinstance(caller, JSONResponse):
                return caller
            if not isinstance(caller, Hub) and caller.device_id is None:
                return error(403, "this token has not been connected to a device yet "
                                  "(fairpos connect)", code=NOT_CLAIMED)
            try:
                named, entries = await read_batch(request, what)
            except WireError as err:
                return refused(err)
            if isinstance(caller, Hub):  # one device of its fair, named in the body
                device = await lane_of_hub(caller, named)
                if isinstance(device, JSONResponse):
                    return device
                return await ingested(device, entries, "hub", what)
            if named is not None and named != caller.device_id:
                return error(403, f"this token is device {caller.device_id}, not {named}")
            return await ingested(caller, entries, "direct", what)
        return batch

    async def ingested(device: Device, entries: list[bytes], path: str, what: str
                       ) -> Response:
        """``entries`` stored for ``device``: at most a batch (a hub's may be larger), every
        one of its own."""
        most = MAX_HUB_BATCH if path == "hub" else MAX_BATCH
        if len(entries) > most:
            return error(413, f"at most {most} {what} per batch")
        assert device.device_id is not None
        reply = await anyio.to_thread.run_sync(stored, device.device_id, entries, path, what,
                                               limiter=ingesting)
        return error(403, reply) if isinstance(reply, str) else JSONResponse(reply)

    def stored(device_id: str, entries: list[bytes], path: str, what: str
               ) -> dict[str, Any] | str:
        """(In a worker thread.) The batch's reply, or why it is refused: an entry that
        names another device."""
        owner_of = split_id if what == "sales" else split_shift_id
        for entry in entries:
            entry_id = named_id(entry)
            try:
                owner = owner_of(entry_id)[0] if isinstance(entry_id, str) else device_id
            except WireError:
                continue  # rejected on its own, with the others accepted
            if owner != device_id:
                return f"entry {entry_id} is not device {device_id}'s"
        ingest = store.ingest if what == "sales" else store.ingest_shifts
        return with_upstream(device_id, ingest(device_id, entries, path).to_json())

    async def own_device(request: Request) -> Device | JSONResponse:
        """The device of the path: the caller's own, or one of its fair's for a hub."""
        caller = await caller_of(request)
        if isinstance(caller, JSONResponse):
            return caller
        if isinstance(caller, Hub):
            return await lane_of_hub(caller, request.path_params["device"])
        if caller.device_id != request.path_params["device"]:
            return error(403, "a token can only see its own device")
        return caller

    async def sync_state(request: Request) -> Response:
        device = await own_device(request)
        if isinstance(device, JSONResponse):
            return device
        assert device.device_id is not None
        state = await run_in_threadpool(store.sync_state, device.device_id)
        return JSONResponse(await run_in_threadpool(with_upstream, device.device_id, state))

    async def day_close(request: Request) -> Response:
        device = await own_device(request)
        if isinstance(device, JSONResponse):
            return device
        assert device.device_id is not None
        try:
            figures = await read_json(request, 65536)
            if not isinstance(figures, dict):
                return error(400, "day-close needs the day's figures")
            result = await run_in_threadpool(store.day_close, device.device_id, figures)
            if hub:  # and what the centre said of that day, when the hub closed it there
                result["centre"] = await run_in_threadpool(
                    store.upstream_close_of, device.device_id, result["stall"]["business_date"])
        except WireError as err:
            return refused(err)
        except LedgerError as err:
            return error(400, str(err))
        return JSONResponse(result)

    def published(getter: Callable[[], Any]) -> Handler:
        async def handler(request: Request) -> Response:
            caller = await caller_of(request)
            if isinstance(caller, JSONResponse):
                return caller
            current = await run_in_threadpool(getter)
            if current is None:
                return error(404, "nothing has been published yet")
            if request.headers.get("if-none-match") == current.etag:
                return Response(status_code=304, headers={"ETag": current.etag})
            return JSONResponse(current.body, headers={"ETag": current.etag})
        return handler

    # -- pages -------------------------------------------------------------------------------

    def is_admin(request: Request) -> bool:
        """Signed in (a session cookie), or a script with an admin token as its bearer (a
        wrong one counted by the throttle)."""
        session = request.cookies.get(SESSION_COOKIE)
        if session is not None and store.in_session(session):
            return True
        token = bearer(request)
        if token is None:
            return False
        if store.is_admin(token):
            throttle.succeeded(client_address(request))
            return True
        throttle.failed(client_address(request))
        return False

    def admin(page: Callable[[Request], Response]) -> Handler:
        async def handler(request: Request) -> Response:
            wait = throttle.wait(client_address(request))
            if wait and bearer(request) is not None:
                return held_back(wait)
            if not await run_in_threadpool(is_admin, request):
                return HTMLResponse(pages.login_page(), status_code=401)
            ADDRESSES.know(client_address(request))
            def made(request: Request) -> Response:
                pages.CSRF.set(csrf_of(request))  # (the page's forms carry it)
                return page(request)

            try:
                check_parameters(request)
                return await run_in_threadpool(made, request)
            except BadParameter as err:
                return HTMLResponse(pages.page(_("Not a page"), f"<p>{escape(str(err))}</p>"),
                                    status_code=400)
        return handler

    async def login(request: Request) -> Response:
        """GET: the sign-in form. POST: the admin token from it, for a session cookie (the
        token itself never goes in a URL or a cookie)."""
        if request.method == "GET":
            return HTMLResponse(pages.login_page())
        address = client_address(request)
        wait = throttle.wait(address)
        if wait:
            return held_back(wait)
        try:
            form = await read_form(request)
        except WireError:
            return HTMLResponse(pages.login_page(failed=True), status_code=400)
        token = form.get("token", "").strip()
        session = await run_in_threadpool(store.sign_in, token) if token else None
        if session is None:
            throttle.failed(address)
            return HTMLResponse(pages.login_page(failed=True), status_code=401)
        throttle.succeeded(address)
        ADDRESSES.know(address)
        response = RedirectResponse("/", status_code=303)
        response.set_cookie(SESSION_COOKIE, session, max_age=SESSION_HOURS * 3600,
                            httponly=True, samesite="strict",
                            secure=request.url.scheme == "https")
        return response

    async def posted_form(request: Request) -> dict[str, str] | Response:
        """A state-changing form's fields — if it came from the ledger's own pages."""
        try:
            form = await read_form(request)
        except WireError as err:
            return error(400, str(err))
        if not from_here(request, form):
            return error(403, "this form did not come from the ledger's own pages")
        return form

    async def logout(request: Request) -> Response:
        session = request.cookies.get(SESSION_COOKIE)
        form = await posted_form(request)
        if isinstance(form, Response):
            return form
        if session is not None:
            await run_in_threadpool(store.sign_out, session)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, httponly=True, samesite="strict",
                               secure=request.url.scheme == "https")
        return response

    def index(request: Request) -> Response:
        return HTMLResponse(pages.index_page(
            view.days_at_a_glance(), view.devices(),
            view.quarantined(newest=pages.QUARANTINE_SHOWN), view.quarantine_count(),
            store.upstream_summary() if hub else None, offset_of(request)))

    def day(request: Request) -> Response:
        fair = request.query_params.get("fair") or None
        report = view.report(request.path_params["day"], fair)
        cash = shift_pages.cash_part(view.day_cash(request.path_params["day"], fair),
                                     view.vouchers(), one_fair=fair is not None)
        return HTMLResponse(pages.day_page(
            report, view.devices(), view.quarantined(fair, newest=pages.QUARANTINE_SHOWN),
            view.quarantine_count(fair), cash))

    def span_of(request: Request) -> tuple[date, date, str | None] | None:
        """The query's business dates (``from``, ``to``: the last seven days by default)
        and fair; None: not dates, or more than a year."""
        last = page_day(request.query_params.get("to") or date.today().isoformat())
        if last is None:
            return None
        first = page_day(request.query_params.get("from") or
                         (last - timedelta(days=6)).isoformat())
        if first is None or first > last or (last - first).days > 366:
            return None
        return first, last, request.query_params.get("fair") or None

    def span_page(read: Callable[..., dict[str, Any]],
                  render: Callable[[dict[str, Any], list[str]], str]) -> Callable[
                      [Request], Response]:
        """A page of a span of business dates for a fair: ``read`` from the store,
        ``render``-ed with the fairs to pick from (404 for dates that are not a span)."""
        def handler(request: Request) -> Response:
            span = span_of(request)
            if span is None:
                return HTMLResponse(pages.page(_("Not a date"), ""), status_code=404)
            return HTMLResponse(render(read(*span), view.fairs()))
        return handler

    def pago_movil(request: Request) -> Response:
        """The reconciliation of a span, each list a page at a time (``?lines=N`` and
        the like: where that list's page starts)."""
        span = span_of(request)
        if span is None:
            return HTMLResponse(pages.page(_("Not a date"), ""), status_code=404)
        at = {name: offset_of(request, name) for name in reconciliation_pages.LISTS}
        found = view.pago_movil(*span, lines_at=at["lines"],
                                lines_shown=reconciliation_pages.LIST_SHOWN)
        return HTMLResponse(reconciliation_pages.pago_movil_page(found, view.fairs(), at))

    def pago_movil_csv(request: Request) -> Response:
        span = span_of(request)
        which = request.path_params["list"]
        if span is None or which not in reconciliation_pages.LISTS:
            return error(404, f"there is no list {which} for those dates")
        found = view.pago_movil(*span, lines_shown=0)
        name = reconciliation_pages.pago_movil_csv_name(found, which)
        return StreamingResponse(  # (read as it is sent: a list may be a million lines)
            reconciliation_pages.pago_movil_csv(found, which),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'})

    def vouchers_csv(request: Request) -> Response:
        span = span_of(request)
        if span is None:
            return error(404, "not a span of dates")
        found = view.redemptions(*span)
        return csv_response(reconciliation_pages.redemptions_csv(found), pages.csv_name(
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
            return HTMLResponse(pages.page(_("Not a date"), ""), status_code=404)
        fairs = view.fairs()
        return HTMLResponse(shift_pages.week_page(
            view.week_over_short(*found), view.week_sales(*found), fairs, view.vouchers()))

    def week_csv(request: Request) -> Response:
        found = week_of(request)
        table = request.path_params["table"]
        if found is None or table not in ("lanes", "volunteers", "classes", "products"):
            return error(404, f"there is no table {table} for that week")
        counted = view.week_over_short(*found)
        sales = view.week_sales(*found) if table in ("classes", "products") else {
            "currency": "", "weeks": [], "classes": [], "products": []}
        rows = shift_pages.week_csv(counted, sales, table, view.vouchers())
        assert rows is not None
        return csv_response(rows, shift_pages.week_csv_name(counted, table))

    def lane(request: Request) -> Response:
        offset = offset_of(request)
        found = view.lane(request.path_params["device"], offset, pages.LANE_PAGE)
        if found is None:
            return HTMLResponse(pages.no_such_lane(), status_code=404)
        return HTMLResponse(pages.lane_page(found, offset, shift_pages.cash_part(
            found["shifts"], view.vouchers(), by_day=True)))

    def quarantine(request: Request) -> Response:
        fair = request.query_params.get("fair") or None
        device = (request.query_params.get("device") or "").strip().upper() or None
        state = request.query_params.get("state", "open")
        state = state if state in ("open", "reviewed", "all") else "open"
        offset = offset_of(request)
        rows, total = view.quarantine_page(fair, device, state, offset, pages.QUARANTINE_PAGE)
        fairs = view.fairs()
        return HTMLResponse(pages.quarantine_page(rows, total, fairs, fair, device, state,
                                                  offset))

    async def review(request: Request) -> Response:
        """A note from the quarantine page's form: the entry marked reviewed."""
        if not await run_in_threadpool(is_admin, request):
            return HTMLResponse(pages.login_page(), status_code=401)
        form = await posted_form(request)
        if isinstance(form, Response):
            return form
        try:
            await run_in_threadpool(store.review_quarantined,
                                    int(request.path_params["id"]), form.get("note", ""))
        except LedgerError as err:
            return error(400, str(err))
        back = form.get("back", "")
        return RedirectResponse(back if back.startswith("/quarantine?") else "/quarantine",
                                status_code=303)

    def day_csv(request: Request) -> Response:
        fair = request.query_params.get("fair") or None
        table = request.path_params["table"]
        if table == "quarantine":  # (each table reads only what it shows)
            rows: str | None = pages.quarantine_csv(view.quarantined(fair))
        elif table == "cash":
            rows = shift_pages.cash_csv(view.day_cash(request.path_params["day"], fair),
                                        view.vouchers())
        else:
            rows = pages.csv_rows(view.report(request.path_params["day"], fair), table,
                                  view.devices() if table == "sync" else [])
        if rows is None:
            return error(404, f"there is no table {table}")
        return csv_response(rows, pages.csv_name(request.path_params["day"], fair, table))

    def quarantine_csv(request: Request) -> Response:
        fair = request.query_params.get("fair") or None
        held = view.quarantined(fair)
        days = sorted({q["received_at"][:10] for q in held})  # (when they were received)
        span = f"{days[0]}-{days[-1]}" if len(days) > 1 else "".join(days)
        return csv_response(pages.quarantine_csv(held), pages.csv_name(span, fair, "quarantine"))

    async def gone(request: Request, exc: Exception) -> Response:
        """The client hung up mid-request (a stall losing its link): nothing was stored from
        a body never read whole, and it is not the ledger's fault — no traceback."""
        return Response(status_code=400)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        store.close()
        if reads is not None:
            reads.close()

    app = Starlette(exception_handlers={ClientDisconnect: gone}, lifespan=lifespan, routes=[
        Route("/v1/health", health),
        Route("/v1/devices/claim", claim, methods=["POST"]),
        Route("/v1/sales/batch", batches_of("sales"), methods=["POST"]),
        Route("/v1/shifts/batch", batches_of("shifts"), methods=["POST"]),
        Route("/v1/devices/{device}/sync-state", sync_state),
        Route("/v1/devices/{device}/day-close", day_close, methods=["POST"]),
        Route("/v1/hub/lanes", hub_lanes),
        Route("/v1/catalog", published(store.catalog)),
        Route("/v1/rates", published(store.rates)),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/", admin(index)),
        Route("/day/{day}", admin(day)),
        Route("/day/{day}/{table}.csv", admin(day_csv)),
        Route("/quarantine.csv", admin(quarantine_csv)),
        Route("/quarantine", admin(quarantine)),
        Route("/lane/{device}", admin(lane)),
        Route("/week/{day}", admin(week)),
        Route("/pago-movil", admin(pago_movil)),
        Route("/vouchers", admin(span_page(view.redemptions,
                                           reconciliation_pages.redemptions_page))),
        Route("/vouchers.csv", admin(vouchers_csv)),
        Route("/pago-movil/{list}.csv", admin(pago_movil_csv)),
        Route("/week/{day}/{table}.csv", admin(week_csv)),
        Route("/quarantine/{id:int}/review", review, methods=["POST"]),
    ])
    app.router.redirect_slashes = False  # (a path that is none of these: 404, not a 307)
    return app

